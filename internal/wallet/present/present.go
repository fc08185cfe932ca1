// Package present is the city's OpenID for Verifiable Presentations 1.0
// verifier: a city service or partner asks a resident's wallet for a few
// claims of the phone credential (a DCQL query for an SD-JWT VC), the wallet
// posts its answer to the response URI (response mode direct_post), and the
// verifier learns only what it asked for and whether the card is still
// valid.
//
// Requests live in the database for minutes, so that any app server can
// take a wallet's answer; the answer is sealed (HPKE) to a key only the
// asker's handle gives, so what a wallet disclosed is never readable there.
// Nothing records which card answered or who asked — only the day's
// counters, like the card verifier.
package present

import (
	"context"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cityid/cityid/internal/credential/municipalid"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/verify"
)

// ResponsePath is where wallets post their answers, under the server's
// public URL; it sits outside the browser pages' cross-origin protection: a
// wallet is not a browser.
const ResponsePath = "/oid4vp/response/"

// Limits.
const (
	// DefaultTTL is how long a request waits for its answer: long enough to
	// find the phone and consent, short enough that a QR left on a screen
	// goes stale.
	DefaultTTL = 5 * time.Minute
	// keepAnswer is how long an answer (or "no answer in time") stays
	// readable by the verifier who asked.
	keepAnswer = 10 * time.Minute
	// MaxResponse bounds a wallet's form post.
	MaxResponse = 256 << 10
	// maxReplayWindow is how long a presentation's digest is remembered
	// to refuse it if it comes again.
	maxReplayWindow = 30 * time.Minute
)

// Reason codes in Answer.Reason (stable; the words are the message keys
// "present.reason.<code>").
const (
	ReasonMalformed     = "malformed"      // vp_token not what the request asked for
	ReasonDeclined      = "declined"       // the wallet or the resident said no
	ReasonReplayed      = "replayed"       // this presentation was already used
	ReasonWrongNonce    = "wrong_nonce"    // made for another request
	ReasonWrongAudience = "wrong_audience" // made for another verifier
	ReasonStale         = "stale"          // key binding too old or from the future
	ReasonHolderKey     = "holder_key"     // key binding missing or not by the credential's key
	ReasonSDHash        = "sd_hash"        // key binding does not cover what was sent
	ReasonDisclosure    = "disclosure"     // a disclosure the credential does not contain
	ReasonBadSignature  = "bad_signature"  // the issuer signature does not verify
	ReasonUnknownIssuer = "unknown_issuer" // not signed by this city's keys
	ReasonWrongType     = "wrong_type"     // not the municipal ID credential
	ReasonExpired       = "expired"        // the credential has expired
	ReasonNotYetValid   = "not_yet_valid"
	ReasonMissingClaims = "missing_claims" // fewer claims than asked
	ReasonRevoked       = "revoked"
	ReasonSuspended     = "suspended"
	ReasonStatus        = "status_unavailable"
)

// OutcomeDeclined is Answer.Outcome when the wallet answered with an error
// (the resident declined, or holds no such credential): no verdict on
// anyone's card. The other outcomes are verify's.
const OutcomeDeclined = "declined"

// Errors.
var (
	// ErrBadRequest: a verifier's request could not be made (unknown preset).
	ErrBadRequest = errors.New("present: bad request")
	// ErrNotFound: no such request, or it expired and was forgotten.
	ErrNotFound = errors.New("present: no such request")
	// ErrAnswered: the request already has its answer (one per request).
	ErrAnswered = errors.New("present: request already answered")
	// ErrExpired: the request expired before the wallet answered.
	ErrExpired = errors.New("present: request expired")
	// ErrState: the wallet's state is not the request's.
	ErrState = errors.New("present: state does not match")
)

// Refusal is a Checker's verdict that a presentation is not acceptable,
// with the reason code to show.
type Refusal struct {
	Reason string
	Err    error
}

// Error says the reason and the cause.
func (r *Refusal) Error() string { return "present: " + r.Reason + ": " + r.Err.Error() }

// Unwrap returns the cause.
func (r *Refusal) Unwrap() error { return r.Err }

// StatusRef is a credential's entry in a Token Status List.
type StatusRef struct {
	URI   string
	Index int
}

// Checked is what a verified presentation says.
type Checked struct {
	Issuer  string
	VCT     string
	Expires time.Time
	// Claims are the disclosed claims (and any plain ones) by name.
	Claims map[string]any
	Status *StatusRef
}

// Checker verifies one SD-JWT VC presentation with key binding: issuer
// signature by the program's keys, every disclosure in the credential, the
// key-binding JWT by the credential's holder key over this presentation,
// for nonce and audience, made recently. A failure is a *Refusal.
type Checker interface {
	Check(presentation, nonce, audience string, at time.Time) (Checked, error)
}

// StatusLookup reads a credential's entry in a status list (the card
// service reads its own lists from the database).
type StatusLookup func(ctx context.Context, uri string, idx int) (statuslist.Status, error)

// Counter records one verification outcome for a partner and day (the
// card verifier's counters): never which card, never who.
type Counter func(ctx context.Context, partner, outcome string)

// Options configure a Verifier.
type Options struct {
	// Issuer is the program's issuer URL (settings program.issuer_url):
	// the credential's iss must be it, and its vct is under it.
	Issuer string
	Now    func() time.Time
	Rand   io.Reader
	TTL    time.Duration
}

// Store keeps requests where every app server finds them (store.DB on
// SQLite or PostgreSQL). It never sees a disclosed claim: answers arrive
// sealed to the asker's handle.
type Store interface {
	PutPresentation(ctx context.Context, r Stored) error
	// PresentationByID and PresentationByHandle return an error wrapping
	// errs.ErrNotFound when there is none.
	PresentationByID(ctx context.Context, id string) (Stored, error)
	PresentationByHandle(ctx context.Context, handleHash []byte) (Stored, error)
	// ClaimPresentation marks the request busy unless an answer came
	// first or it expired at now; false then.
	ClaimPresentation(ctx context.Context, id string, now time.Time) (bool, error)
	AnswerPresentation(ctx context.Context, id string, sealed []byte, forgetAt time.Time) error
	// SeenPresentation records a presentation digest; false when seen before.
	SeenPresentation(ctx context.Context, digest []byte, expires time.Time) (bool, error)
	ForgetPresentations(ctx context.Context, now time.Time) error
}

// Stored is a request as the Store keeps it.
type Stored struct {
	ID         string
	HandleHash []byte // SHA-256 of the handle: the handle itself is not kept
	Partner    string
	Request    string // the Request as JSON, without the handle
	AnswerKey  []byte // X25519 public key derived from the handle
	Expires    time.Time
	ForgetAt   time.Time
	Busy       bool   // an answer is being judged or has been
	Answer     []byte // the Answer as JSON, HPKE-sealed to AnswerKey; nil until then
}

// Verifier makes requests and judges the answers.
type Verifier struct {
	store  Store
	check  Checker
	status StatusLookup
	count  Counter
	issuer string
	now    func() time.Time
	rand   io.Reader
	ttl    time.Duration
}

// New returns a Verifier over store; status may be nil (status reported
// not checked), count may be nil.
func New(store Store, check Checker, status StatusLookup, count Counter, o Options) *Verifier {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if count == nil {
		count = func(context.Context, string, string) {}
	}
	return &Verifier{store: store, check: check, status: status, count: count, issuer: strings.TrimRight(o.Issuer, "/"),
		now: o.Now, rand: o.Rand, ttl: o.TTL}
}

// Request is one authorization request for a presentation.
type Request struct {
	// ID names the request in its response URI (the wallet sees it).
	ID string `json:"-"`
	// Handle is what the verifier who asked reads the answer with; only
	// they have it (the reference design's transaction id).
	Handle      string    `json:"-"`
	Preset      Preset    `json:"preset"`
	ClientID    string    `json:"client_id"`
	ResponseURI string    `json:"response_uri"`
	Nonce       string    `json:"nonce"`
	State       string    `json:"state"`
	Query       Query     `json:"dcql_query"`
	Expires     time.Time `json:"expires"`
}

// Params are the authorization request's parameters, passed by value: with
// the redirect_uri client identifier prefix a request cannot be signed
// (OpenID4VP 1.0 §5.9.3), so there is no request object to fetch.
func (r *Request) Params() url.Values {
	q, _ := json.Marshal(r.Query)
	md, _ := json.Marshal(clientMetadata())
	return url.Values{
		"response_type":   {"vp_token"},
		"response_mode":   {"direct_post"},
		"client_id":       {r.ClientID},
		"response_uri":    {r.ResponseURI},
		"nonce":           {r.Nonce},
		"state":           {r.State},
		"dcql_query":      {string(q)},
		"client_metadata": {string(md)},
	}
}

// URI is the request as an openid4vp:// link: the QR for a wallet on
// another device, the link for one on this device.
func (r *Request) URI() string { return "openid4vp://?" + r.Params().Encode() }

// clientMetadata tells the wallet which signature algorithms the verifier
// accepts (the keyring's: ES256, EdDSA).
func clientMetadata() map[string]any {
	algs := []string{"ES256", "EdDSA"}
	return map[string]any{"vp_formats_supported": map[string]any{
		Format: map[string]any{"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs}}}
}

// Answer is what the verifier who asked sees.
type Answer struct {
	Valid   bool   `json:"valid"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	// Status is the card's status-list entry: valid, suspended, revoked,
	// unavailable, or not_checked.
	Status string `json:"status"`
	// Claims are exactly the claims asked for, set only when Valid: a
	// refused presentation (expired, altered, replayed, revoked…) shows none.
	Claims map[string]any `json:"claims,omitempty"`
	// ExpiresAt is the credential's expiry.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	At        time.Time  `json:"at"`
}

// Start makes a request for preset on behalf of partner ("web" for the
// page, the API token's holder otherwise). base is the server's public URL
// (https://id.example.gov): the response URI and client id are under it.
func (v *Verifier) Start(ctx context.Context, partner string, p Preset, base string) (*Request, error) {
	if p.Claims() == nil {
		return nil, fmt.Errorf("%w: unknown preset %q", ErrBadRequest, p)
	}
	base = strings.TrimRight(base, "/")
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return nil, fmt.Errorf("%w: base URL %q", ErrBadRequest, base)
	}
	var ids [4]string
	for i := range ids {
		b := make([]byte, 16) // 128 bits each, as OpenID4VP asks of nonce and state
		if _, err := io.ReadFull(v.rand, b); err != nil {
			return nil, fmt.Errorf("present: random: %w", err)
		}
		ids[i] = base64.RawURLEncoding.EncodeToString(b)
	}
	now := v.now()
	resp := base + ResponsePath + ids[0]
	req := Request{ID: ids[0], Handle: ids[1], Nonce: ids[2], State: ids[3], Preset: p,
		ClientID: "redirect_uri:" + resp, ResponseURI: resp,
		Query: NewQuery(municipalid.VCT(v.issuer), p.Claims()), Expires: now.Add(v.ttl)}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("present: %w", err)
	}
	key, err := answerKey(req.Handle)
	if err != nil {
		return nil, err
	}
	hh := sha256.Sum256([]byte(req.Handle))
	// Forget what is past its time here, once per request, not on every poll.
	if err := v.store.ForgetPresentations(ctx, now); err != nil {
		return nil, err
	}
	err = v.store.PutPresentation(ctx, Stored{ID: req.ID, HandleHash: hh[:], Partner: partner, Request: string(body),
		AnswerKey: key.PublicKey().Bytes(), Expires: req.Expires, ForgetAt: req.Expires.Add(keepAnswer)})
	if err != nil {
		return nil, err
	}
	return &req, nil
}

// answerKey derives the X25519 key an answer is sealed to from the handle:
// whoever holds the handle can open the answer; the database, which keeps
// only the public key and the handle's hash, cannot.
func answerKey(handle string) (*ecdh.PrivateKey, error) {
	seed := sha256.Sum256([]byte("cityid present answer key\x00" + handle))
	k, err := ecdh.X25519().NewPrivateKey(seed[:])
	if err != nil {
		return nil, fmt.Errorf("present: answer key: %w", err)
	}
	return k, nil
}

// answerInfo binds a sealed answer to its request.
func answerInfo(id string) []byte { return []byte("cityid present answer " + id) }

// Poll is what the verifier who asked sees of a request.
type Poll struct {
	Request Request
	// Partner is who asked (Start's partner).
	Partner string
	Answer  *Answer // nil while waiting
	Expired bool    // no answer came in time
}

// Result returns the request with handle and its answer when it came.
func (v *Verifier) Result(ctx context.Context, handle string) (Poll, error) {
	now := v.now()
	hh := sha256.Sum256([]byte(handle))
	st, err := v.store.PresentationByHandle(ctx, hh[:])
	if errors.Is(err, errs.ErrNotFound) || err == nil && now.After(st.ForgetAt) {
		return Poll{}, ErrNotFound
	}
	if err != nil {
		return Poll{}, err
	}
	p := Poll{Partner: st.Partner}
	if err := json.Unmarshal([]byte(st.Request), &p.Request); err != nil {
		return Poll{}, fmt.Errorf("present: stored request %s: %w", st.ID, err)
	}
	p.Request.ID, p.Request.Handle = st.ID, handle
	switch {
	case st.Answer != nil:
		key, err := answerKey(handle)
		if err != nil {
			return Poll{}, err
		}
		hk, err := hpke.NewDHKEMPrivateKey(key)
		if err != nil {
			return Poll{}, fmt.Errorf("present: answer key: %w", err)
		}
		plain, err := hpke.Open(hk, hpke.HKDFSHA256(), hpke.AES256GCM(), answerInfo(st.ID), st.Answer)
		if err != nil {
			return Poll{}, fmt.Errorf("present: open answer %s: %w", st.ID, err)
		}
		var a Answer
		if err := json.Unmarshal(plain, &a); err != nil {
			return Poll{}, fmt.Errorf("present: answer %s: %w", st.ID, err)
		}
		p.Answer = &a
	case now.After(st.Expires):
		p.Expired = true
	}
	return p, nil
}

// Asker returns who made request id (Start's partner), for the response
// endpoint to decide where the wallet sends its user next.
func (v *Verifier) Asker(ctx context.Context, id string) (string, error) {
	st, err := v.store.PresentationByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return "", ErrNotFound
	}
	return st.Partner, err
}

// Respond takes a wallet's authorization response (the direct_post form)
// for request id. It returns an error the wallet should hear about
// (ErrNotFound, ErrExpired, ErrAnswered, ErrState); a presentation that
// fails verification is an answer like any other — the verifier who asked
// sees why — and returns nil.
func (v *Verifier) Respond(ctx context.Context, id string, form url.Values) error {
	now := v.now()
	st, err := v.store.PresentationByID(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	var req Request
	if err := json.Unmarshal([]byte(st.Request), &req); err != nil {
		return fmt.Errorf("present: stored request %s: %w", id, err)
	}
	req.ID = id
	switch {
	case st.Busy:
		return ErrAnswered
	case now.After(st.Expires):
		return ErrExpired
	case form.Get("state") != req.State:
		return ErrState
	}
	// One answer per request, even while this one is judged, on any server.
	if ok, err := v.store.ClaimPresentation(ctx, id, now); err != nil {
		return err
	} else if !ok {
		return ErrAnswered
	}

	a, err := v.judge(ctx, req, form, now)
	if err != nil {
		return err
	}
	a.At = now
	outcome := a.Outcome
	if a.Reason != "" {
		outcome = a.Reason
	}
	v.count(ctx, st.Partner, "phone_"+outcome)

	plain, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("present: %w", err)
	}
	pub, err := ecdh.X25519().NewPublicKey(st.AnswerKey)
	if err != nil {
		return fmt.Errorf("present: answer key of %s: %w", id, err)
	}
	hk, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return fmt.Errorf("present: answer key of %s: %w", id, err)
	}
	sealed, err := hpke.Seal(hk, hpke.HKDFSHA256(), hpke.AES256GCM(), answerInfo(id), plain)
	if err != nil {
		return fmt.Errorf("present: seal answer: %w", err)
	}
	return v.store.AnswerPresentation(ctx, id, sealed, now.Add(keepAnswer))
}

// judge verifies a wallet's response against the request it answers.
func (v *Verifier) judge(ctx context.Context, req Request, form url.Values, now time.Time) (Answer, error) {
	if form.Get("error") != "" {
		return Answer{Outcome: OutcomeDeclined, Reason: ReasonDeclined, Status: verify.StatusNotChecked}, nil
	}
	pres, err := ParseVPToken(form.Get("vp_token"))
	if err != nil {
		return refused(ReasonMalformed), nil
	}
	sum := sha256.Sum256([]byte(pres))
	first, err := v.store.SeenPresentation(ctx, sum[:], now.Add(maxReplayWindow))
	if err != nil {
		return Answer{}, err
	}
	if !first {
		return refused(ReasonReplayed), nil
	}
	got, err := v.check.Check(pres, req.Nonce, req.ClientID, now)
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			return refused(r.Reason), nil
		}
		// Our own failure (the keys could not be read): no verdict.
		return Answer{Outcome: verify.OutcomeUnknown, Reason: ReasonStatus, Status: verify.StatusUnavailable}, nil
	}
	if got.Issuer != v.issuer {
		return refused(ReasonUnknownIssuer), nil
	}
	if got.VCT != req.Query.Credentials[0].Meta.VCTValues[0] {
		return refused(ReasonWrongType), nil
	}
	for _, c := range req.Query.asked() {
		if _, ok := got.Claims[c]; !ok {
			return refused(ReasonMissingClaims), nil
		}
	}
	a := Answer{Outcome: verify.OutcomeValid, Valid: true, Status: verify.StatusNotChecked}
	a.fill(req, got)
	if got.Status == nil || v.status == nil {
		return a, nil
	}
	st, err := v.status(ctx, got.Status.URI, got.Status.Index)
	switch {
	case err != nil:
		a.Valid, a.Outcome, a.Status, a.Reason = false, verify.OutcomeUnknown, verify.StatusUnavailable, ReasonStatus
	case st == statuslist.Valid:
		a.Status = verify.StatusValid
	case st == statuslist.Suspended:
		a.Valid, a.Outcome, a.Status, a.Reason = false, verify.OutcomeInvalid, verify.StatusSuspended, ReasonSuspended
	default: // invalid, and any value this version does not know
		a.Valid, a.Outcome, a.Status, a.Reason = false, verify.OutcomeInvalid, verify.StatusRevoked, ReasonRevoked
	}
	if !a.Valid {
		// A revoked or suspended card, or one whose status is unknown,
		// proves nothing: show why, not what it says.
		a.Claims = nil
	}
	return a, nil
}

// fill copies exactly the asked-for claims: whatever else a wallet sent is
// not shown and not kept.
func (a *Answer) fill(req Request, got Checked) {
	a.Claims = map[string]any{}
	for _, c := range req.Query.asked() {
		if val, ok := got.Claims[c]; ok {
			a.Claims[c] = val
		}
	}
	if !got.Expires.IsZero() {
		t := got.Expires
		a.ExpiresAt = &t
	}
}

// refused is the answer for a presentation that proves nothing: no claims.
func refused(reason string) Answer {
	outcome := verify.OutcomeNotGenuine
	switch reason {
	case ReasonExpired, ReasonNotYetValid:
		outcome = verify.OutcomeInvalid
	}
	return Answer{Outcome: outcome, Reason: reason, Status: verify.StatusNotChecked}
}

// ParseVPToken reads the vp_token of a response to our query: a JSON
// object whose only key is QueryID, holding exactly one presentation
// string (multiple is not asked for).
func ParseVPToken(s string) (string, error) {
	if s == "" || len(s) > MaxResponse {
		return "", errors.New("present: vp_token missing or too large")
	}
	if !utf8.ValidString(s) {
		// JSON would turn the bad bytes into U+FFFD and hand on a token
		// the wallet never sent.
		return "", errors.New("present: vp_token is not valid UTF-8")
	}
	var tok map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &tok); err != nil {
		return "", fmt.Errorf("present: vp_token: %w", err)
	}
	raw, ok := tok[QueryID]
	if !ok || len(tok) != 1 {
		return "", fmt.Errorf("present: vp_token answers %d queries, want only %q", len(tok), QueryID)
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", fmt.Errorf("present: vp_token[%s]: %w", QueryID, err)
	}
	if len(list) != 1 || list[0] == "" {
		return "", fmt.Errorf("present: vp_token[%s] holds %d presentations, want 1", QueryID, len(list))
	}
	return list[0], nil
}
