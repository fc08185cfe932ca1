package present_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/app/apptest"
	"github.com/cityid/cityid/internal/credential/municipalid"
	"github.com/cityid/cityid/internal/wallet/present"
)

const issuer = "https://id.example.gov"

// plainChecker accepts a presentation that is the JSON of its claims, made
// for the request's nonce: the cryptography is tested elsewhere; here the
// storage is.
type plainChecker struct{}

func (plainChecker) Check(p, nonce, aud string, at time.Time) (present.Checked, error) {
	var in struct {
		Nonce  string
		Claims map[string]any
	}
	if err := json.Unmarshal([]byte(p), &in); err != nil || in.Nonce != nonce {
		return present.Checked{}, &present.Refusal{Reason: present.ReasonWrongNonce, Err: errors.New("nonce")}
	}
	return present.Checked{Issuer: issuer, VCT: municipalid.VCT(issuer), Claims: in.Claims}, nil
}

// TestRequestsAcrossServers runs two verifiers — two app servers — on one
// database: one makes the request, the other takes the wallet's answer, the
// first shows it. The database holds the answer sealed: no claim in clear.
// A presentation used once is refused on the other server too.
func TestRequestsAcrossServers(t *testing.T) {
	apptest.Each(t, func(t *testing.T, dbURL string) {
		a := apptest.Open(t, dbURL, nil)
		ctx := context.Background()
		one := present.New(a.DB, plainChecker{}, nil, nil, present.Options{Issuer: issuer})
		two := present.New(a.DB, plainChecker{}, nil, nil, present.Options{Issuer: issuer})

		req, err := one.Start(ctx, "web", present.PresetResidentOver21, "https://id.example.gov")
		if err != nil {
			t.Fatal(err)
		}
		p, _ := json.Marshal(map[string]any{"Nonce": req.Nonce, "Claims": map[string]any{"resident_of": "Elm City Heights", "age_over_21": true}})
		vp, _ := json.Marshal(map[string][]string{present.QueryID: {string(p)}})
		form := url.Values{"vp_token": {string(vp)}, "state": {req.State}}
		if err := two.Respond(ctx, req.ID, form); err != nil {
			t.Fatalf("answer on the other server: %v", err)
		}
		if err := one.Respond(ctx, req.ID, form); !errors.Is(err, present.ErrAnswered) {
			t.Errorf("a second answer on the first server = %v, want ErrAnswered", err)
		}
		poll, err := one.Result(ctx, req.Handle)
		if err != nil || poll.Answer == nil || !poll.Answer.Valid || poll.Answer.Claims["resident_of"] != "Elm City Heights" {
			t.Fatalf("Result on the first server = %+v, %v; want the valid answer", poll, err)
		}
		row, err := a.DB.PresentationByID(ctx, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(row.Answer) == 0 || bytes.Contains(row.Answer, []byte("Elm City")) || bytes.Contains([]byte(row.Request), []byte(req.Handle)) {
			t.Errorf("stored row holds the claim in clear or the handle: answer %q, request %s", row.Answer, row.Request)
		}
		if _, err := two.Result(ctx, "not-"+req.Handle); !errors.Is(err, present.ErrNotFound) {
			t.Errorf("Result(another handle) = %v, want ErrNotFound", err)
		}

		req2, err := two.Start(ctx, "web", present.PresetResidentOver21, "https://id.example.gov")
		if err != nil {
			t.Fatal(err)
		}
		if err := one.Respond(ctx, req2.ID, url.Values{"vp_token": {string(vp)}, "state": {req2.State}}); err != nil {
			t.Fatal(err)
		}
		if poll, _ := two.Result(ctx, req2.Handle); poll.Answer == nil || poll.Answer.Reason != present.ReasonReplayed {
			t.Errorf("the same presentation on the other server: %+v, want replayed", poll.Answer)
		}
	})
}
