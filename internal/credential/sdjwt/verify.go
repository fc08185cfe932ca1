package sdjwt

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// KeyLookup returns the issuer's public key for a key id (the program's
// published key set). It must return an error for unknown ids.
type KeyLookup func(kid string) (crypto.PublicKey, error)

// VerifyOptions says what Verify checks besides the issuer signature and the
// disclosures, which it always checks.
type VerifyOptions struct {
	Keys KeyLookup
	Now  time.Time
	// Issuer and VCT, when set, must equal the credential's iss and vct.
	Issuer, VCT string
	// Skew is the clock difference tolerated for iat, nbf and exp; zero
	// means DefaultSkew.
	Skew time.Duration
	// KeyBinding, when set, requires a key-binding JWT signed by the cnf
	// key for this audience and nonce. A verifier of presentations always
	// sets it; without it a copied credential would be accepted.
	KeyBinding *KeyBindingCheck
}

// KeyBindingCheck is what a presentation must be bound to.
type KeyBindingCheck struct {
	Audience, Nonce string
	// MaxAge bounds how old the key-binding JWT's iat may be; zero means
	// DefaultKBMaxAge.
	MaxAge time.Duration
}

// Defaults for VerifyOptions.
const (
	DefaultSkew     = time.Minute
	DefaultKBMaxAge = 5 * time.Minute
)

// Verified is a verified credential or presentation.
type Verified struct {
	Issuer, VCT, KeyID string
	IssuedAt, Expires  time.Time // zero when absent
	Status             *StatusRef
	// Holder is the cnf key (nil when the credential has none).
	Holder crypto.PublicKey
	// Claims holds what the holder disclosed, and plain claims other than
	// the registered ones (iss, iat, exp, nbf, vct, cnf, status), with the
	// _sd machinery removed. Nested objects are map[string]any; numbers are
	// float64.
	Claims map[string]any
	// Disclosed lists the disclosures that were presented.
	Disclosed []Disclosure
	// KeyBound reports that a key-binding JWT was checked.
	KeyBound bool
}

// registered claims are reported in Verified's fields, not in Claims.
var registered = []string{"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "_sd_alg"}

// Verify checks a serialized SD-JWT (VC): the issuer signature and typ, that
// every disclosure's digest appears exactly once in what the issuer signed,
// the validity period and, when opts.KeyBinding is set, the key-binding JWT.
// Any failure returns an error wrapping ErrInvalid and no claims.
func Verify(s string, opts VerifyOptions) (*Verified, error) {
	if opts.Keys == nil || opts.Now.IsZero() {
		return nil, errors.New("sdjwt: verify: keys and time are required")
	}
	skew := opts.Skew
	if skew == 0 {
		skew = DefaultSkew
	}
	t, err := Split(s)
	if err != nil {
		return nil, err
	}
	payload, kid, err := verifyJWS(t.JWT, Type, func(kid string) (crypto.PublicKey, error) {
		pub, err := opts.Keys(kid)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrUnknownKey, kid, err)
		}
		return pub, nil
	})
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrMalformed, err)
	}
	if alg, ok := claims["_sd_alg"]; ok && alg != HashAlg {
		return nil, fmt.Errorf("%w: _sd_alg %v", ErrAlgorithm, alg)
	}
	v := &Verified{KeyID: kid}
	w := walker{byDigest: map[string]int{}, seen: map[string]bool{}, used: map[string]bool{}}
	for _, enc := range t.Disclosures {
		d, err := ParseDisclosure(enc)
		if err != nil {
			return nil, err
		}
		if _, dup := w.byDigest[d.Digest]; dup {
			return nil, fmt.Errorf("%w: the same disclosure twice", ErrDisclosure)
		}
		w.byDigest[d.Digest] = len(w.all)
		w.all = append(w.all, d)
	}
	out, err := w.value(claims, 0)
	if err != nil {
		return nil, err
	}
	for _, d := range w.all {
		if !w.used[d.Digest] {
			return nil, fmt.Errorf("%w: a disclosure whose digest is not in the credential", ErrDisclosure)
		}
	}
	v.Disclosed = w.all
	if err := v.registered(claims, opts, skew); err != nil {
		return nil, err
	}
	v.Claims = out.(map[string]any)
	for _, k := range registered {
		delete(v.Claims, k)
	}
	if opts.KeyBinding != nil {
		if err := v.checkKB(t, *opts.KeyBinding, opts.Now, skew); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// registered reads and checks iss, vct, iat, nbf, exp, status and cnf.
func (v *Verified) registered(c map[string]any, opts VerifyOptions, skew time.Duration) error {
	v.Issuer, _ = c["iss"].(string)
	v.VCT, _ = c["vct"].(string)
	if v.VCT == "" {
		return fmt.Errorf("%w: missing vct", ErrMalformed)
	}
	if opts.Issuer != "" && v.Issuer != opts.Issuer {
		return fmt.Errorf("%w: iss %q", ErrIssuer, v.Issuer)
	}
	if opts.VCT != "" && v.VCT != opts.VCT {
		return fmt.Errorf("%w: vct %q", ErrIssuer, v.VCT)
	}
	var err error
	if v.IssuedAt, err = numericDate(c, "iat"); err != nil {
		return err
	}
	if v.Expires, err = numericDate(c, "exp"); err != nil {
		return err
	}
	nbf, err := numericDate(c, "nbf")
	if err != nil {
		return err
	}
	now := opts.Now
	if !v.Expires.IsZero() && !now.Before(v.Expires.Add(skew)) {
		return fmt.Errorf("%w: at %s", ErrExpired, v.Expires.Format(time.RFC3339))
	}
	if !nbf.IsZero() && now.Add(skew).Before(nbf) {
		return fmt.Errorf("%w: until %s", ErrNotYetValid, nbf.Format(time.RFC3339))
	}
	if !v.IssuedAt.IsZero() && now.Add(skew).Before(v.IssuedAt) {
		return fmt.Errorf("%w: issued in the future (%s)", ErrNotYetValid, v.IssuedAt.Format(time.RFC3339))
	}
	if st, ok := c["status"]; ok {
		if v.Status, err = statusRef(st); err != nil {
			return err
		}
	}
	if cnf, ok := c["cnf"]; ok {
		if v.Holder, err = holderKey(cnf); err != nil {
			return err
		}
	}
	return nil
}

func numericDate(c map[string]any, name string) (time.Time, error) {
	raw, ok := c[name]
	if !ok {
		return time.Time{}, nil
	}
	f, ok := raw.(float64)
	if !ok || f <= 0 || f > math.MaxInt32*4 || f != math.Trunc(f) {
		return time.Time{}, fmt.Errorf("%w: %s is not a NumericDate", ErrMalformed, name)
	}
	return time.Unix(int64(f), 0).UTC(), nil
}

func statusRef(raw any) (*StatusRef, error) {
	st, _ := raw.(map[string]any)
	sl, _ := st["status_list"].(map[string]any)
	idx, okIdx := sl["idx"].(float64)
	uri, okURI := sl["uri"].(string)
	if !okIdx || !okURI || uri == "" || idx < 0 || idx > math.MaxInt32 || idx != math.Trunc(idx) {
		return nil, fmt.Errorf("%w: status is not {\"status_list\":{\"idx\":N,\"uri\":\"…\"}}", ErrMalformed)
	}
	return &StatusRef{URI: uri, Index: int(idx)}, nil
}

func holderKey(raw any) (crypto.PublicKey, error) {
	cnf, _ := raw.(map[string]any)
	j, ok := cnf["jwk"]
	if !ok {
		return nil, fmt.Errorf("%w: cnf without jwk", ErrMalformed)
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("%w: cnf.jwk: %w", ErrMalformed, err)
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("%w: cnf.jwk: %w", ErrMalformed, err)
	}
	if !k.Valid() || !k.IsPublic() {
		return nil, fmt.Errorf("%w: cnf.jwk is not a public signature key", ErrMalformed)
	}
	return k.Key, nil
}

// verifyJWS parses a compact JWS, checks its typ, and verifies it with the
// key lookup returns for its kid. It returns the payload and the kid.
func verifyJWS(compact, typ string, lookup func(kid string) (crypto.PublicKey, error)) ([]byte, string, error) {
	jws, err := jose.ParseSignedCompact(compact, algorithms)
	if err != nil {
		if errors.Is(err, jose.ErrUnsupportedAlgorithm) {
			return nil, "", fmt.Errorf("%w: %w", ErrAlgorithm, err)
		}
		return nil, "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, "", fmt.Errorf("%w: want one signature", ErrMalformed)
	}
	h := jws.Signatures[0].Protected
	if got, _ := h.ExtraHeaders[jose.HeaderType].(string); got != typ {
		return nil, "", fmt.Errorf("%w: typ %q, want %q", ErrType, got, typ)
	}
	pub, err := lookup(h.KeyID)
	if err != nil {
		return nil, "", err
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrSignature, err)
	}
	return payload, h.KeyID, nil
}

// walker replaces digests by the values of the disclosures presented, checking
// that each digest appears once and that each disclosure fits its place.
type walker struct {
	all      []Disclosure
	byDigest map[string]int
	seen     map[string]bool // every digest met, disclosed or not
	used     map[string]bool
}

func (w *walker) value(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: claims nested more than %d deep", ErrMalformed, maxDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		return w.object(x, depth)
	case []any:
		return w.array(x, depth)
	}
	return v, nil
}

func (w *walker) object(m map[string]any, depth int) (any, error) {
	out := make(map[string]any, len(m))
	for k, val := range m {
		if k == "_sd" {
			continue
		}
		p, err := w.value(val, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = p
	}
	raw, ok := m["_sd"]
	if !ok {
		return out, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: _sd is not an array", ErrMalformed)
	}
	for _, e := range list {
		d, ok, err := w.lookup(e)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if d.element {
			return nil, fmt.Errorf("%w: an array-element disclosure in an object", ErrDisclosure)
		}
		if _, exists := out[d.Name]; exists {
			return nil, fmt.Errorf("%w: claim %q both plain and disclosed", ErrDisclosure, d.Name)
		}
		p, err := w.value(d.Value, depth+1)
		if err != nil {
			return nil, err
		}
		out[d.Name] = p
	}
	return out, nil
}

func (w *walker) array(a []any, depth int) (any, error) {
	out := make([]any, 0, len(a))
	for _, e := range a {
		if m, ok := e.(map[string]any); ok && len(m) == 1 {
			if dg, ok := m["..."]; ok {
				d, found, err := w.lookup(dg)
				if err != nil {
					return nil, err
				}
				if !found {
					continue // not disclosed: the element is left out
				}
				if !d.element {
					return nil, fmt.Errorf("%w: an object-member disclosure in an array", ErrDisclosure)
				}
				p, err := w.value(d.Value, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, p)
				continue
			}
		}
		p, err := w.value(e, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// lookup notes a digest met in the payload and returns the disclosure
// presented for it, if any.
func (w *walker) lookup(raw any) (Disclosure, bool, error) {
	dg, ok := raw.(string)
	if !ok {
		return Disclosure{}, false, fmt.Errorf("%w: a digest is not a string", ErrMalformed)
	}
	if w.seen[dg] {
		return Disclosure{}, false, fmt.Errorf("%w: digest appears more than once", ErrDisclosure)
	}
	w.seen[dg] = true
	i, ok := w.byDigest[dg]
	if !ok {
		return Disclosure{}, false, nil
	}
	w.used[dg] = true
	return w.all[i], true, nil
}

// checkKB verifies the key-binding JWT against the holder key in cnf.
func (v *Verified) checkKB(t Token, check KeyBindingCheck, now time.Time, skew time.Duration) error {
	if t.KB == "" {
		return fmt.Errorf("%w: the presentation has no key-binding JWT", ErrKeyBinding)
	}
	if v.Holder == nil {
		return fmt.Errorf("%w: the credential has no holder key (cnf)", ErrKeyBinding)
	}
	payload, _, err := verifyJWS(t.KB, KBType, func(string) (crypto.PublicKey, error) { return v.Holder, nil })
	if errors.Is(err, ErrSignature) {
		return fmt.Errorf("%w: %w", ErrKeyBinding, err)
	}
	if err != nil {
		return err
	}
	var kb struct {
		Iat    *float64 `json:"iat"`
		Aud    any      `json:"aud"`
		Nonce  string   `json:"nonce"`
		SDHash string   `json:"sd_hash"`
	}
	if err := json.Unmarshal(payload, &kb); err != nil {
		return fmt.Errorf("%w: key-binding payload: %w", ErrMalformed, err)
	}
	if kb.SDHash != digest(t.withoutKB()) {
		return ErrSDHash
	}
	if aud, _ := kb.Aud.(string); check.Audience == "" || aud != check.Audience {
		return fmt.Errorf("%w: %v", ErrAudience, kb.Aud)
	}
	if check.Nonce == "" || kb.Nonce != check.Nonce {
		return ErrNonce
	}
	if kb.Iat == nil {
		return fmt.Errorf("%w: no iat", ErrStale)
	}
	maxAge := check.MaxAge
	if maxAge == 0 {
		maxAge = DefaultKBMaxAge
	}
	iat := time.Unix(int64(*kb.Iat), 0)
	if iat.After(now.Add(skew)) || now.Sub(iat) > maxAge {
		return fmt.Errorf("%w: iat %s", ErrStale, iat.UTC().Format(time.RFC3339))
	}
	v.KeyBound = true
	return nil
}

// Has reports whether name is among the disclosed claim names.
func (v *Verified) Has(name string) bool {
	return slices.ContainsFunc(v.Disclosed, func(d Disclosure) bool { return d.Name == name })
}
