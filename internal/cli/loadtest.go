package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/demo"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/loadtest"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/synth"
)

const loadtestUsage = `Drive a running server (or the proxy in front of several) as signed-in staff
and report latency percentiles per page group.

Usage:
  cityid loadtest staff  --url URL [--clerks 50] [--supervisors 0] [--duration 60s] [--think 0s] [--wait-ready 0s]
  cityid loadtest intake --url URL [--clerks 10] [--duration 60s] [--think 0s] [--seed S] [--wait-ready 0s]

Both take --data DIR and --db URL of the city the server runs on: the test
signs its accounts in through the authentication service (password, then
authenticator enrolment with real time codes), which a server's per-address
sign-in limit would otherwise hold to ten a minute from one machine.
The accounts are loadtest-clerk-NN (spread over the sites) and
loadtest-supervisor-NN, with a new random password each run; they are
disabled when the test ends. Everything they do is audited like any clerk's.

staff:  each user walks the dashboard, a page of the site's applications, one
        application on it and the intake form; supervisors also open the review
        queue and search by name and date of birth.
intake: each clerk opens the intake form, submits a complete synthetic
        application with a photo and opens its receipt; reports applications/s.

A line of progress every 10 s; at the end p50/p95/p99/max per page group.

To measure a server's first minute, give --wait-ready 5m, start the server
once the test says its staff are signed in, and the load begins the moment
URL/readyz answers 200 (signing fifty accounts in can take longer than the
server takes to start).`

func cmdLoadtest(ctx context.Context, stdio IO, args []string) error {
	if len(args) == 0 || (args[0] != "staff" && args[0] != "intake") {
		fmt.Fprintln(stdio.Err, loadtestUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return flag.ErrHelp
		}
		return errUsage
	}
	kind, args := args[0], args[1:]
	fs := newFlagSet(stdio, "loadtest "+kind, "loadtest "+kind+" --url URL [flags]", loadtestUsage)
	data := addDataFlags(fs, "", true)
	base := fs.String("url", "", "the server or proxy to drive, e.g. http://127.0.0.1:8080")
	defClerks := 50
	if kind == "intake" {
		defClerks = 10
	}
	clerks := fs.Int("clerks", defClerks, "signed-in clerks working at once")
	supervisors := fs.Int("supervisors", 0, "signed-in supervisors working at once (staff: also search and the review queue)")
	duration := fs.Duration("duration", time.Minute, "how long to run")
	think := fs.Duration("think", 0, "pause between one user's requests (0: none, the worst case)")
	seed := fs.Int64("seed", 0, "seed of the synthetic applicants (intake; 0: from the clock)")
	waitReady := fs.Duration("wait-ready", 0, "after signing in, wait up to this long for URL/readyz to answer 200, then start (0: start at once)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintln(stdio.Err, "cityid loadtest: --url must be an http:// or https:// address")
		return errUsage
	}
	if *clerks < 0 || *supervisors < 0 || *clerks+*supervisors == 0 || *duration <= 0 {
		fmt.Fprintln(stdio.Err, "cityid loadtest: need at least one clerk or supervisor and a positive --duration")
		return errUsage
	}
	if *waitReady < 0 {
		fmt.Fprintln(stdio.Err, "cityid loadtest: --wait-ready must not be negative")
		return errUsage
	}
	// The sign-in limits are per process and per address; this process
	// signs in its own accounts, so it needs none (the server keeps its own).
	ao := auth.DefaultOptions()
	ao.PerIPPerMinute, ao.TOTPPerIPPerMinute = 0, 0
	a, err := data.open(ctx, app.Options{Auth: &ao})
	if err != nil {
		return err
	}
	defer a.Close()
	cookie := "cityid_session"
	if u.Scheme == "https" {
		cookie = "__Host-cityid_session"
	}
	sessions, ids, err := signIn(ctx, a, *clerks, *supervisors, cookie)
	// Whatever happens, the accounts do not outlive the test.
	defer func() {
		for _, id := range ids {
			if err := a.Auth.DisableStaff(context.WithoutCancel(ctx), auth.System(), id); err != nil {
				fmt.Fprintf(stdio.Err, "cityid loadtest: disabling a test account: %v\n", err)
			}
		}
	}()
	if err != nil {
		return err
	}
	if *waitReady > 0 {
		fmt.Fprintf(stdio.Err, "%d staff signed in; waiting up to %s for %s/readyz\n", len(sessions), *waitReady, u.Redacted())
		waited, err := awaitReady(ctx, strings.TrimRight(*base, "/")+"/readyz", *waitReady)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Err, "ready after %s of waiting\n", waited.Round(time.Millisecond))
	}
	fmt.Fprintf(stdio.Err, "%d staff signed in; running %s against %s\n", len(sessions), *duration, u.Redacted())
	o := loadtest.Options{URL: strings.TrimRight(*base, "/"), Sessions: sessions, Duration: *duration, Think: *think, Progress: stdio.Err}
	var rep loadtest.Report
	if kind == "staff" {
		rep = loadtest.Staff(ctx, o)
	} else {
		next, err := applicants(a, *seed)
		if err != nil {
			return err
		}
		rep = loadtest.Intake(ctx, o, next)
	}
	rep.Write(stdio.Out)
	return nil
}

// readyPoll is how often awaitReady asks: the load starts at most this
// long after the server is ready.
const readyPoll = 50 * time.Millisecond

// awaitReady asks readyz until it answers 200 (a server not yet listening
// refuses the connection; one starting answers 503) or limit has passed,
// and returns how long it waited.
func awaitReady(ctx context.Context, readyz string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	t := time.NewTicker(readyPoll)
	defer t.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, readyz, nil)
		if err != nil {
			return 0, fmt.Errorf("loadtest: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		select {
		case <-ctx.Done():
			if err := parent.Err(); err != nil {
				return 0, err
			}
			return 0, fmt.Errorf("loadtest: %s did not answer 200 within %s", readyz, limit)
		case <-t.C:
		}
	}
}

// signIn makes (or re-enables) the test accounts, gives each a new random
// password and signs it in through both steps, two at a time (password
// hashing is the cost). It returns the sessions and every account id
// touched, to disable afterwards.
func signIn(ctx context.Context, a *app.App, clerks, supervisors int, cookie string) ([]loadtest.Session, []string, error) {
	sites, err := a.Sites.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(sites) == 0 {
		return nil, nil, errors.New("loadtest: the city has no site (load one with cityid demo)")
	}
	type acct struct {
		name string
		role auth.Role
		site string
	}
	var want []acct
	for i := range clerks {
		want = append(want, acct{fmt.Sprintf("loadtest-clerk-%02d", i+1), auth.RoleClerk, sites[i%len(sites)].ID})
	}
	for i := range supervisors {
		want = append(want, acct{fmt.Sprintf("loadtest-supervisor-%02d", i+1), auth.RoleSupervisor, sites[i%len(sites)].ID})
	}
	out := make([]loadtest.Session, len(want))
	var mu sync.Mutex
	var ids []string
	var firstErr error
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, w := range want {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			id, tok, err := signInOne(ctx, a, w.name, w.role, w.site)
			mu.Lock()
			defer mu.Unlock()
			if id != "" {
				ids = append(ids, id)
			}
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("loadtest: signing in %s: %w", w.name, err)
				}
				return
			}
			out[i] = loadtest.Session{Username: w.name, Supervisor: w.role == auth.RoleSupervisor,
				Cookie: &http.Cookie{Name: cookie, Value: tok}}
		})
	}
	wg.Wait()
	return out, ids, firstErr
}

func signInOne(ctx context.Context, a *app.App, username string, role auth.Role, siteID string) (id, token string, err error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	password := base64.RawURLEncoding.EncodeToString(b)
	st, err := a.Auth.StaffByUsername(ctx, auth.System(), username)
	switch {
	case errors.Is(err, errs.ErrNotFound):
		st, err = a.Auth.CreateStaff(ctx, auth.System(), auth.NewStaff{Username: username, Role: role, SiteID: siteID, Password: password})
		if err != nil {
			return "", "", err
		}
	case err != nil:
		return "", "", err
	default:
		if st.Disabled {
			if err := a.Auth.EnableStaff(ctx, auth.System(), st.ID); err != nil {
				return st.ID, "", err
			}
		}
		// A new password also removes the authenticator: enrolled again below.
		if err := a.Auth.SetPassword(ctx, username, password); err != nil {
			return st.ID, "", err
		}
	}
	token, step, err := a.Auth.Login(ctx, username, password, "127.0.0.1")
	if err != nil {
		return st.ID, "", err
	}
	if step != auth.StepEnrollTOTP {
		return st.ID, "", fmt.Errorf("sign-in asks for step %q, want %q", step, auth.StepEnrollTOTP)
	}
	secret, _, err := a.Auth.BeginTOTP(ctx, token)
	if err != nil {
		return st.ID, "", err
	}
	token, err = a.Auth.ConfirmTOTP(ctx, token, auth.CodeAt(secret, time.Now()), "127.0.0.1")
	return st.ID, token, err
}

// applicants draws complete synthetic applications as the intake form
// sends them: the demo's people, documents and payments, and one of a
// dozen generated portraits.
func applicants(a *app.App, seed int64) (func() loadtest.Applicant, error) {
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	gen := synth.New(seed)
	r := mrand.New(mrand.NewPCG(uint64(seed), 0x10ad))
	spec := photo.DefaultSpec()
	if a.Settings.Photo.Width > 0 {
		spec.Width, spec.Height = a.Settings.Photo.Width, a.Settings.Photo.Height
	}
	portraits := make([][]byte, 12)
	for i := range portraits {
		var err error
		if portraits[i], err = demo.Portrait(r, spec.Width, spec.Height); err != nil {
			return nil, err
		}
	}
	return func() loadtest.Applicant {
		in := demo.Applicant(a.Settings, gen, r, a.Today())
		f := url.Values{}
		person.FormOf(in.Person).Write(f.Set)
		for i, d := range in.Documents {
			n := strconv.Itoa(i)
			f.Set("doc_type_"+n, d.Type)
			if d.Issuer != "" {
				f.Set("doc_issuer_"+n, d.Issuer)
			}
			if !d.Expires.IsZero() {
				f.Set("doc_expires_"+n, d.Expires.String())
			}
			if !d.Dated.IsZero() {
				f.Set("doc_dated_"+n, d.Dated.String())
			}
		}
		if in.Payment.WaiverReason != "" {
			f.Set("payment_method", fee.MethodWaiver)
			f.Set("waiver_reason", in.Payment.WaiverReason)
			f.Set("waiver_note", in.Payment.WaiverNote)
		} else {
			f.Set("payment_method", in.Payment.Method)
		}
		return loadtest.Applicant{Fields: f, Photo: portraits[r.IntN(len(portraits))]}
	}, nil
}
