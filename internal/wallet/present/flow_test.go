package present

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/credential/municipalid"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/verify"
)

// These tests drive the request/answer state machine with a checker that
// reads a presentation as JSON; the cryptography is tested against real
// SD-JWTs in sdjwt_test.go.

const base = "https://id.example.gov"

type jsonChecker struct{}

// Check reads {"nonce":…,"aud":…,"claims":{…},"reason":…}.
func (jsonChecker) Check(p, nonce, aud string, at time.Time) (Checked, error) {
	var in struct {
		Nonce, Aud, Reason, Issuer, VCT string
		Claims                          map[string]any
		Status                          *StatusRef
	}
	if err := json.Unmarshal([]byte(p), &in); err != nil {
		return Checked{}, &Refusal{Reason: ReasonMalformed, Err: err}
	}
	switch {
	case in.Reason != "":
		return Checked{}, &Refusal{Reason: in.Reason, Err: errors.New("test refusal")}
	case in.Nonce != nonce:
		return Checked{}, &Refusal{Reason: ReasonWrongNonce, Err: errors.New("nonce")}
	case in.Aud != aud:
		return Checked{}, &Refusal{Reason: ReasonWrongAudience, Err: errors.New("aud")}
	}
	if in.Issuer == "" {
		in.Issuer = base
	}
	if in.VCT == "" {
		in.VCT = municipalid.VCT(base)
	}
	return Checked{Issuer: in.Issuer, VCT: in.VCT, Claims: in.Claims, Status: in.Status, Expires: at.Add(time.Hour)}, nil
}

type fixedStatus map[int]statuslist.Status

func (f fixedStatus) Status(_ context.Context, uri string, idx int) (statuslist.Status, error) {
	st, ok := f[idx]
	if !ok || uri != base+"/status/1" {
		return 0, errors.New("no such entry")
	}
	return st, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type counts map[string]int

func newTestVerifier(t *testing.T) (*Verifier, *clock, counts) {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	n := counts{}
	v := New(newMemStore(), jsonChecker{}, fixedStatus{1: statuslist.Valid, 2: statuslist.Invalid, 3: statuslist.Suspended}.Status,
		func(_ context.Context, partner, outcome string) { n[partner+"/"+outcome]++ }, Options{Issuer: base, Now: c.now})
	return v, c, n
}

// answer builds the wallet's form for req: a presentation of claims with
// status entry idx, tweaked by mod.
func answer(req *Request, claims map[string]any, idx int, mod func(m map[string]any)) url.Values {
	m := map[string]any{"nonce": req.Nonce, "aud": req.ClientID, "claims": claims}
	if idx > 0 {
		m["status"] = map[string]any{"URI": base + "/status/1", "Index": idx}
	}
	if mod != nil {
		mod(m)
	}
	p, _ := json.Marshal(m)
	tok, _ := json.Marshal(map[string][]string{QueryID: {string(p)}})
	return url.Values{"vp_token": {string(tok)}, "state": {req.State}}
}

func TestRequestParams(t *testing.T) {
	v, _, _ := newTestVerifier(t)
	req, err := v.Start(context.Background(), "web", PresetResidentOver21, base+"/")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(req.URI())
	if err != nil || u.Scheme != "openid4vp" {
		t.Fatalf("URI() = %q (%v), want an openid4vp: URL", req.URI(), err)
	}
	q := u.Query()
	want := base + ResponsePath + req.ID
	for name, w := range map[string]string{"response_type": "vp_token", "response_mode": "direct_post",
		"client_id": "redirect_uri:" + want, "response_uri": want, "nonce": req.Nonce, "state": req.State} {
		if got := q.Get(name); got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
	var dq Query
	if err := json.Unmarshal([]byte(q.Get("dcql_query")), &dq); err != nil {
		t.Fatal(err)
	}
	wantQ := Query{Credentials: []CredentialQuery{{ID: QueryID, Format: "dc+sd-jwt",
		Meta:   QueryMeta{VCTValues: []string{base + "/credentials/municipal-id/v1"}},
		Claims: []ClaimPath{{Path: []string{"resident_of"}}, {Path: []string{"age_over_21"}}}}}}
	if d := cmp.Diff(wantQ, dq); d != "" {
		t.Errorf("dcql_query (-want +got):\n%s", d)
	}
	if len(req.Nonce) < 22 || len(req.State) < 22 || req.Handle == req.ID {
		t.Errorf("nonce %q, state %q: want 128-bit values; handle must differ from the id", req.Nonce, req.State)
	}
	if strings.Contains(req.URI(), req.Handle) {
		t.Error("the request shown to the wallet contains the asker's handle")
	}
	if _, err := v.Start(context.Background(), "web", Preset("birthdate"), base); !errors.Is(err, ErrBadRequest) {
		t.Errorf("Start(unknown preset) = %v, want ErrBadRequest", err)
	}
}

func TestAnswers(t *testing.T) {
	both := map[string]any{"resident_of": "New Haven", "age_over_21": true}
	tests := []struct {
		name    string
		preset  Preset
		claims  map[string]any
		idx     int
		mod     func(m map[string]any)
		form    func(f url.Values)
		want    Answer
		counter string
	}{
		{name: "valid", preset: PresetResidentOver21, claims: both, idx: 1,
			want:    Answer{Valid: true, Outcome: verify.OutcomeValid, Status: verify.StatusValid, Claims: both},
			counter: "web/phone_valid"},
		{name: "extra claims are not shown", preset: PresetOver21,
			claims: map[string]any{"age_over_21": true, "given_name": "Ana", "birthdate": "1990-01-01"}, idx: 1,
			want: Answer{Valid: true, Outcome: verify.OutcomeValid, Status: verify.StatusValid, Claims: map[string]any{"age_over_21": true}}},
		{name: "fewer claims than asked", preset: PresetResidentOver21, claims: map[string]any{"resident_of": "New Haven"}, idx: 1,
			want: Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonMissingClaims, Status: verify.StatusNotChecked}},
		{name: "revoked", preset: PresetResidentOver21, claims: both, idx: 2,
			want:    Answer{Outcome: verify.OutcomeInvalid, Reason: ReasonRevoked, Status: verify.StatusRevoked},
			counter: "web/phone_revoked"},
		{name: "suspended", preset: PresetResidentOver21, claims: both, idx: 3,
			want: Answer{Outcome: verify.OutcomeInvalid, Reason: ReasonSuspended, Status: verify.StatusSuspended}},
		{name: "status unavailable", preset: PresetResidentOver21, claims: both, idx: 9,
			want: Answer{Outcome: verify.OutcomeUnknown, Reason: ReasonStatus, Status: verify.StatusUnavailable}},
		{name: "wrong nonce", preset: PresetResident, claims: both, idx: 1, mod: func(m map[string]any) { m["nonce"] = "other" },
			want: Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonWrongNonce, Status: verify.StatusNotChecked}},
		{name: "wrong audience", preset: PresetResident, claims: both, idx: 1, mod: func(m map[string]any) { m["aud"] = "redirect_uri:https://evil.example/cb" },
			want: Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonWrongAudience, Status: verify.StatusNotChecked}},
		{name: "other issuer", preset: PresetResident, claims: both, idx: 1, mod: func(m map[string]any) { m["Issuer"] = "https://other.example" },
			want: Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonUnknownIssuer, Status: verify.StatusNotChecked}},
		{name: "other type", preset: PresetResident, claims: both, idx: 1, mod: func(m map[string]any) { m["VCT"] = base + "/credentials/library-card/v1" },
			want: Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonWrongType, Status: verify.StatusNotChecked}},
		{name: "expired", preset: PresetResident, claims: both, idx: 1, mod: func(m map[string]any) { m["reason"] = ReasonExpired },
			want: Answer{Outcome: verify.OutcomeInvalid, Reason: ReasonExpired, Status: verify.StatusNotChecked}},
		{name: "declined", preset: PresetResident, form: func(f url.Values) { f.Del("vp_token"); f.Set("error", "access_denied") },
			want:    Answer{Outcome: OutcomeDeclined, Reason: ReasonDeclined, Status: verify.StatusNotChecked},
			counter: "web/phone_declined"},
		{name: "two credentials", preset: PresetResident, form: func(f url.Values) { f.Set("vp_token", `{"municipal_id":["a","b"]}`) },
			want: Answer{Outcome: verify.OutcomeNotGenuine, Reason: ReasonMalformed, Status: verify.StatusNotChecked}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c, n := newTestVerifier(t)
			req, err := v.Start(context.Background(), "web", tt.preset, base)
			if err != nil {
				t.Fatal(err)
			}
			f := answer(req, tt.claims, tt.idx, tt.mod)
			if tt.form != nil {
				tt.form(f)
			}
			if err := v.Respond(context.Background(), req.ID, f); err != nil {
				t.Fatalf("Respond = %v", err)
			}
			p, err := v.Result(context.Background(), req.Handle)
			if err != nil || p.Answer == nil {
				t.Fatalf("Result = %+v, %v; want an answer", p, err)
			}
			got := *p.Answer
			got.ExpiresAt, got.At = nil, time.Time{}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("answer (-want +got):\n%s", d)
			}
			if tt.counter != "" && n[tt.counter] != 1 {
				t.Errorf("counters = %v, want %s once", n, tt.counter)
			}
			if !p.Answer.At.Equal(c.t) {
				t.Errorf("answer at %v, want %v", p.Answer.At, c.t)
			}
		})
	}
}

func TestOneAnswerPerRequest(t *testing.T) {
	v, _, _ := newTestVerifier(t)
	ctx := context.Background()
	req, _ := v.Start(context.Background(), "web", PresetResident, base)
	good := answer(req, map[string]any{"resident_of": "New Haven"}, 1, nil)

	bad := answer(req, nil, 1, nil)
	bad.Set("state", "not-the-state")
	if err := v.Respond(ctx, req.ID, bad); !errors.Is(err, ErrState) {
		t.Fatalf("Respond(wrong state) = %v, want ErrState", err)
	}
	if err := v.Respond(ctx, req.ID, good); err != nil {
		t.Fatalf("first answer: %v", err)
	}
	if err := v.Respond(ctx, req.ID, good); !errors.Is(err, ErrAnswered) {
		t.Fatalf("second answer = %v, want ErrAnswered", err)
	}
	if err := v.Respond(ctx, "no-such-request", good); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown request = %v, want ErrNotFound", err)
	}

	// The same presentation sent to a new request (a copy someone kept) is
	// a replay, whatever else it says.
	req2, _ := v.Start(context.Background(), "web", PresetResident, base)
	f := url.Values{"vp_token": good["vp_token"], "state": {req2.State}}
	if err := v.Respond(ctx, req2.ID, f); err != nil {
		t.Fatal(err)
	}
	p, _ := v.Result(context.Background(), req2.Handle)
	if p.Answer == nil || p.Answer.Reason != ReasonReplayed || p.Answer.Claims != nil {
		t.Errorf("replayed presentation: answer %+v, want reason %q and no claims", p.Answer, ReasonReplayed)
	}
}

func TestRequestsExpire(t *testing.T) {
	v, c, _ := newTestVerifier(t)
	req, _ := v.Start(context.Background(), "web", PresetResident, base)
	c.t = c.t.Add(DefaultTTL + time.Second)
	p, err := v.Result(context.Background(), req.Handle)
	if err != nil || !p.Expired || p.Answer != nil {
		t.Fatalf("Result after the ttl = %+v, %v; want expired, no answer", p, err)
	}
	f := answer(req, map[string]any{"resident_of": "New Haven"}, 1, nil)
	if err := v.Respond(context.Background(), req.ID, f); !errors.Is(err, ErrExpired) {
		t.Fatalf("late answer = %v, want ErrExpired", err)
	}
	// Once past the time an answer is kept, the request is forgotten.
	c.t = c.t.Add(keepAnswer)
	if _, err := v.Result(context.Background(), req.Handle); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Result long after = %v, want ErrNotFound", err)
	}
}

func TestParseVPToken(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`{"municipal_id":["eyJ.a.b~c~"]}`, "eyJ.a.b~c~", true},
		{``, "", false},
		{`[]`, "", false},
		{`{"municipal_id":"eyJ"}`, "", false},
		{`{"municipal_id":[]}`, "", false},
		{`{"municipal_id":[""]}`, "", false},
		{`{"municipal_id":["a"],"other":["b"]}`, "", false},
		{`{"other":["b"]}`, "", false},
	}
	for _, tt := range tests {
		got, err := ParseVPToken(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseVPToken(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseVPToken(f *testing.F) {
	for _, s := range []string{`{"municipal_id":["eyJ.a.b~c~"]}`, `{"municipal_id":["a","b"]}`, `{}`, `null`, `{"municipal_id":[1]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseVPToken(s)
		if err == nil && (p == "" || len(p) > len(s)) {
			t.Fatalf("ParseVPToken(%q) = %q without error", s, p)
		}
	})
}
