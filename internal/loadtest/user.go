package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// user is one signed-in staff member's browser.
type user struct {
	n      int
	s      Session
	base   string
	client *http.Client
	rec    *recorder
	think  time.Duration
	end    time.Time // no request starts after it
	// body holds the last response's body and form the last intake's
	// request body, reused from request to request: a fresh buffer grown
	// to each page and photo was most of the tool's garbage, and
	// collecting and returning it to the system most of its CPU.
	body, form bytes.Buffer
}

// on reports whether the user should go on: the test has time left and
// was not cancelled.
func (u *user) on(ctx context.Context) bool { return ctx.Err() == nil && time.Now().Before(u.end) }

// do sends one request, records its latency under group and returns the
// status, the Location header and the body, which stays valid until the
// user's next request. A request cut short because the test was
// cancelled is not recorded.
func (u *user) do(ctx context.Context, group, method, path, contentType string, body []byte) (int, string, []byte, bool) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.base+path, rd)
	if err != nil {
		u.rec.add(group, 0, err.Error())
		return 0, "", nil, false
	}
	req.AddCookie(u.s.Cookie)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	t0 := time.Now()
	resp, err := u.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			u.rec.add(group, time.Since(t0), fmt.Sprintf("%s %s: %v", method, route(path), err))
		}
		return 0, "", nil, false
	}
	u.body.Reset()
	_, err = u.body.ReadFrom(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		if ctx.Err() == nil {
			u.rec.add(group, d, fmt.Sprintf("%s %s: %v", method, route(path), err))
		}
		return 0, "", nil, false
	}
	failure := ""
	if resp.StatusCode >= 400 {
		failure = fmt.Sprintf("%s %s answered %d", method, route(path), resp.StatusCode)
	}
	u.rec.add(group, d, failure)
	return resp.StatusCode, resp.Header.Get("Location"), u.body.Bytes(), failure == ""
}

// route is path with ids and the query left out: failures are printed,
// and an application id or a search is nobody's business in a log.
func route(path string) string {
	path, _, _ = strings.Cut(path, "?")
	return appIDRE.ReplaceAllString(path, "{id}")
}

func (u *user) pause(ctx context.Context) bool {
	if u.think > 0 {
		// Jitter so users do not move in step.
		t := time.NewTimer(min(u.think/2+rand.N(u.think), time.Until(u.end)))
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return u.on(ctx)
}

var appIDRE = regexp.MustCompile(`app_[A-Za-z0-9]+`)

// Page groups of the staff walk, in the order reports list them.
const (
	GroupDashboard   = "dashboard"
	GroupList        = "list"
	GroupApplication = "application"
	GroupIntakeForm  = "intake form"
	GroupQueue       = "review queue"
	GroupSearch      = "search"
	GroupSubmit      = "intake submit"
	GroupReceipt     = "receipt"
)

// Staff runs the staff walk: every user repeatedly opens the dashboard,
// a page of the site's applications (the first five pages, sometimes
// filtered to those waiting), one of the applications on it, and the
// intake form; a supervisor also opens the review queue and searches for
// a person by name and date of birth (stating a purpose, as the page asks).
func Staff(ctx context.Context, o Options) Report {
	rec := newRecorder(GroupDashboard, GroupList, GroupApplication, GroupIntakeForm, GroupQueue, GroupSearch)
	return run(ctx, o, rec, func(ctx context.Context, u *user) {
		r := rand.New(rand.NewPCG(uint64(u.n), 13))
		var ids []string
		for u.on(ctx) {
			u.do(ctx, GroupDashboard, http.MethodGet, "/staff", "", nil)
			if !u.pause(ctx) {
				return
			}
			path := "/staff/applications"
			switch x := r.IntN(4); {
			case x == 0:
				path += "?status=submitted"
			case x > 1:
				path += fmt.Sprintf("?page=%d", 1+r.IntN(5))
			}
			if _, _, body, ok := u.do(ctx, GroupList, http.MethodGet, path, "", nil); ok {
				if found := appIDRE.FindAll(body, -1); len(found) > 0 {
					ids = ids[:0]
					for _, id := range found {
						ids = append(ids, string(id))
					}
				}
			}
			if !u.pause(ctx) {
				return
			}
			if len(ids) > 0 {
				// A decided record asks for a purpose; "review" is the one a
				// desk states to look at its own site's work.
				u.do(ctx, GroupApplication, http.MethodGet, "/staff/applications/"+ids[r.IntN(len(ids))]+"?purpose=review", "", nil)
				if !u.pause(ctx) {
					return
				}
			}
			u.do(ctx, GroupIntakeForm, http.MethodGet, "/staff/intake", "", nil)
			if !u.pause(ctx) {
				return
			}
			if !u.s.Supervisor {
				continue
			}
			u.do(ctx, GroupQueue, http.MethodGet, "/staff/queue", "", nil)
			if !u.pause(ctx) {
				return
			}
			form := url.Values{"given_names": {searchNames[r.IntN(len(searchNames))]}, "surnames": {searchSurnames[r.IntN(len(searchSurnames))]},
				"date_of_birth": {fmt.Sprintf("%d-%02d-%02d", 1950+r.IntN(55), 1+r.IntN(12), 1+r.IntN(28))}, "purpose": {"fraud_review"}}
			u.do(ctx, GroupSearch, http.MethodPost, "/staff/search", "application/x-www-form-urlencoded", []byte(form.Encode()))
			if !u.pause(ctx) {
				return
			}
		}
	})
}

// Common names, so some searches find someone.
var (
	searchNames    = []string{"María", "José", "Ana", "Juan", "Luis", "Carmen", "Rosa", "Carlos"}
	searchSurnames = []string{"García", "Rodríguez", "López", "Martínez", "Hernández", "González", "Pérez", "Sánchez"}
)

// Applicant is one complete intake as the form sends it: the text fields
// (person, documents, payment) and the photo file.
type Applicant struct {
	Fields url.Values
	Photo  []byte
}

// idempotencyField is how the intake form carries its idempotency key.
var idempotencyField = []byte(`name="idempotency_key" value="`)

// idempotencyKey is the key in the intake form page ("" if none).
func idempotencyKey(page []byte) string {
	_, rest, ok := bytes.Cut(page, idempotencyField)
	if !ok {
		return ""
	}
	key, _, ok := bytes.Cut(rest, []byte{'"'})
	if !ok {
		return ""
	}
	return string(key)
}

// Intake runs the intake walk: every user repeatedly opens the intake
// form, submits a complete application with a photo drawn from next, and
// opens the receipt the form leads to. Report.Submitted counts the
// applications the server took (the form answered with the receipt).
func Intake(ctx context.Context, o Options, next func() Applicant) Report {
	rec := newRecorder(GroupIntakeForm, GroupSubmit, GroupReceipt)
	var mu sync.Mutex
	draw := func() Applicant {
		mu.Lock()
		defer mu.Unlock()
		return next()
	}
	return run(ctx, o, rec, func(ctx context.Context, u *user) {
		for u.on(ctx) && u.intake(ctx, draw) {
		}
	})
}

// intake is one application through the form: the form, the submission
// with its idempotency key, and the receipt it leads to. It reports
// whether the user should go on.
func (u *user) intake(ctx context.Context, draw func() Applicant) bool {
	_, _, page, ok := u.do(ctx, GroupIntakeForm, http.MethodGet, "/staff/intake", "", nil)
	if !ok {
		return u.pause(ctx)
	}
	a := draw()
	if key := idempotencyKey(page); key != "" {
		a.Fields.Set("idempotency_key", key)
	}
	a.Fields.Set("action", "submit")
	ct, err := multipartBody(&u.form, a)
	if err != nil {
		u.rec.fail(GroupSubmit, err.Error())
		return false
	}
	st, loc, _, ok := u.do(ctx, GroupSubmit, http.MethodPost, "/staff/intake", ct, u.form.Bytes())
	switch {
	case ok && st == http.StatusSeeOther && strings.Contains(loc, "/receipt"):
		u.rec.submitted()
		if !u.pause(ctx) {
			return false
		}
		u.do(ctx, GroupReceipt, http.MethodGet, loc, "", nil)
	case ok:
		// The form came back (a rule the drawn applicant broke): a
		// refusal the clerk would see, counted as a failure.
		u.rec.fail(GroupSubmit, fmt.Sprintf("POST /staff/intake answered %d without a receipt", st))
	}
	return u.pause(ctx)
}

// multipartBody writes a's fields and photo into buf (emptied first) as
// the form posts them and returns the content type.
func multipartBody(buf *bytes.Buffer, a Applicant) (string, error) {
	buf.Reset()
	mw := multipart.NewWriter(buf)
	for k, vs := range a.Fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				return "", err
			}
		}
	}
	if len(a.Photo) > 0 {
		fw, err := mw.CreateFormFile("photo", "photo.jpg")
		if err != nil {
			return "", err
		}
		if _, err := fw.Write(a.Photo); err != nil {
			return "", err
		}
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	return mw.FormDataContentType(), nil
}
