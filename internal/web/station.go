package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/field/station"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
)

// Desk is what a field station's local pages need from the station: clerk
// sign-in, sealing a finished intake, the counts, and a sync.
type Desk interface {
	Login(name, password string) (station.Clerk, error)
	Finish(clerkID string, in enroll.Intake) (station.Receipt, error)
	Status() (station.Status, error)
	Sync(ctx context.Context) error
}

// stationSessionTTL is how long a clerk stays signed in at a field
// station; drafts live in the session and go with it.
const stationSessionTTL = 8 * time.Hour

// stationSession is a signed-in clerk at a field station. Drafts are kept
// here, in memory only: never on the laptop's disk, gone at sign-out, at
// the end of the session or when the station stops.
type stationSession struct {
	actor    auth.Actor
	expires  time.Time
	drafts   map[string]stationDraft
	receipts map[string]stationReceipt // by idempotency key: a double click shows the same receipt
}

type stationDraft struct {
	form  url.Values
	photo []byte
}

type stationReceipt struct {
	rc   station.Receipt
	name string
}

// stationDesk is the local web UI of a field station: the city hall intake
// page (same template, rules, evidence check and camera script) whose
// "submit" seals the application instead of storing it.
type stationDesk struct {
	*Server
	desk Desk
	now  func() time.Time

	mu       sync.Mutex
	sessions map[string]*stationSession
}

// NewStation returns the handler of a field station's local pages. svc
// needs only Settings, Location, I18n, Log and Applications (an enroll
// service without a store, for the live evidence and fee check).
func NewStation(svc *app.Services, desk Desk, opts Options) (http.Handler, error) {
	if svc == nil || svc.Applications == nil || svc.I18n == nil || svc.Settings == nil {
		return nil, errors.New("web: station: incomplete services")
	}
	base := &Server{svc: svc, opts: opts, log: opts.Logger, errors: httplayer.Responder{Keys: errorKeys}}
	if base.log == nil {
		base.log = svc.Log
	}
	if base.log == nil {
		base.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	base.errors.Log = base.log
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	base.views = v
	static, err := base.static()
	if err != nil {
		return nil, err
	}
	d := &stationDesk{Server: base, desk: desk, now: svc.Now, sessions: map[string]*stationSession{}}
	if d.now == nil {
		d.now = time.Now
	}
	base.station = true
	mux := http.NewServeMux()
	mux.Handle("GET /static/", static)
	mux.Handle("GET /lang/{lang}", base.handle(base.setLanguage))
	mux.Handle("GET /{$}", http.RedirectHandler("/staff/intake", http.StatusSeeOther))
	mux.Handle("GET /staff", http.RedirectHandler("/staff/intake", http.StatusSeeOther))
	mux.Handle("GET /login", base.handle(base.loginForm))
	mux.Handle("POST /login", base.handle(d.login))
	mux.Handle("POST /logout", base.handle(d.logout))
	mux.Handle("GET /staff/intake", d.clerk(d.intakeForm))
	mux.Handle("POST /staff/intake", d.clerk(d.intakePost))
	mux.Handle("POST /staff/intake/check", d.clerk(base.intakeCheck))
	mux.Handle("GET /staff/receipt/{key}", d.clerk(d.receipt))
	mux.Handle("GET /staff/station", d.clerk(d.statusPage))
	mux.Handle("POST /staff/station/sync", d.clerk(d.syncNow))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base.renderError(w, r, httplayer.Fail(http.StatusForbidden, "web.error.cross_origin", errors.New("cross-origin request refused")))
	}))
	return base.logRequests(httplayer.Headers(base.policy(), cop.Handler(mux))), nil
}

// stationNav are the station's links (its pages are few).
func stationNav(p *page) []navLink {
	return []navLink{{"/staff/intake", p.T("web.nav.intake")}, {"/staff/station", p.T("station.title")}}
}

func (d *stationDesk) session(r *http.Request) (string, *stationSession) {
	ck, err := r.Cookie(d.sessionCookie())
	if err != nil || ck.Value == "" {
		return "", nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// Expired sessions go, with their drafts, at the next request of any
	// clerk (a station has a handful).
	now := d.now()
	for t, s := range d.sessions {
		if now.After(s.expires) {
			delete(d.sessions, t)
		}
	}
	s := d.sessions[ck.Value]
	if s == nil {
		return "", nil
	}
	return ck.Value, s
}

// clerk wraps a page for a signed-in clerk of the station.
func (d *stationDesk) clerk(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		token, s := d.session(r)
		if s == nil {
			d.toLogin(w, r)
			return
		}
		c := &call{P: d.svc.I18n.Printer(d.language(r)), Actor: s.actor, Token: token}
		if err := fn(w, r, c); err != nil {
			d.renderError(w, r, err)
		}
	})
}

func (d *stationDesk) login(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	user := r.PostForm.Get("username")
	clerk, err := d.desk.Login(user, r.PostForm.Get("password"))
	if errors.Is(err, station.ErrLogin) {
		p := d.newPage(r, c, "web.login.title")
		p.Form.Set("username", user)
		p.setErrors(person.Errors{{Field: "username", Key: "auth.login.failed"}})
		return d.views.render(w, http.StatusUnauthorized, "login", "layout", p)
	}
	if err != nil {
		return err
	}
	token, err := randomHex(32)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.sessions[token] = &stationSession{
		actor:   auth.Actor{StaffID: clerk.ID, Username: clerk.Name, Role: auth.RoleClerk, SiteID: "station"},
		expires: d.now().Add(stationSessionTTL), drafts: map[string]stationDraft{}, receipts: map[string]stationReceipt{},
	}
	d.mu.Unlock()
	d.setSession(w, token)
	http.Redirect(w, r, localPath(r.PostForm.Get("next"), "/staff/intake"), http.StatusSeeOther)
	return nil
}

func (d *stationDesk) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	if token, _ := d.session(r); token != "" {
		d.mu.Lock()
		delete(d.sessions, token) // the drafts go with it
		d.mu.Unlock()
	}
	d.clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// withSession runs fn with the request's session locked.
func (d *stationDesk) withSession(c *call, fn func(s *stationSession)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s := d.sessions[c.Token]; s != nil {
		fn(s)
	}
}

func (d *stationDesk) intakeForm(w http.ResponseWriter, r *http.Request, c *call) error {
	p := d.newPage(r, c, "web.intake.title")
	var photo []byte
	if id := r.URL.Query().Get("draft"); id != "" {
		var dr stationDraft
		var ok bool
		d.withSession(c, func(s *stationSession) { dr, ok = s.drafts[id] })
		if !ok {
			return httplayer.Fail(http.StatusNotFound, "web.error.not_found", fmt.Errorf("no draft %s in this session", id))
		}
		p.Form, photo = cloneValues(dr.form), dr.photo
		p.Flash = p.T("web.intake.saved")
	} else {
		p.Form.Set("language", c.P.Lang)
	}
	d.notice(p)
	return d.renderIntake(w, c, p, nil, nil, http.StatusOK, func(v *intakeView) { v.Photo = photo })
}

// notice tells the clerk, on the intake page, what the station does with
// a finished application, and warns when storage runs low.
func (d *stationDesk) notice(p *page) {
	st, err := d.desk.Status()
	if err != nil {
		return
	}
	switch {
	case st.Enrolment != station.StatusApproved:
		p.Notice = p.T("station.not_approved")
	case st.ClockOff:
		p.Notice = clockNotice(p, st.ClockOffset)
	case st.LowStorage:
		p.Notice = p.T("station.low_storage")
	default:
		p.Notice = p.T("station.offline_note", "n", st.Waiting)
	}
}

// clockNotice asks the coordinator to set the laptop's clock, saying by
// how much it is off (the station corrects for it meanwhile).
func clockNotice(p *page, off time.Duration) string {
	off = off.Abs()
	if off >= 24*time.Hour {
		return p.T("station.clock_off_days", "n", int(off/(24*time.Hour)))
	}
	return p.T("station.clock_off_minutes", "n", int(off/time.Minute))
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// intakePost handles the intake form's buttons as at city hall, but
// "submit" checks and seals the application (Desk.Finish) and "draft"
// keeps the form in the session's memory.
func (d *stationDesk) intakePost(w http.ResponseWriter, r *http.Request, c *call) error {
	form, photoBytes, err := d.readIntake(w, r)
	if err != nil && (!errors.Is(err, errPhotoTooLarge) || form == nil) {
		return err
	}
	d.minimizeForm(form)
	action := form.Get("action")
	form.Del("action")
	p := d.newPage(r, c, "web.intake.title")
	p.Form = form
	tooLarge := err != nil // the photo was over the limit; everything else arrived
	// A photo sent earlier with a draft stays with it.
	if len(photoBytes) == 0 {
		if id := form.Get("draft_id"); id != "" {
			d.withSession(c, func(s *stationSession) { photoBytes = s.drafts[id].photo })
		}
	}
	if tooLarge {
		return d.rerender(w, c, p, photoBytes, person.Errors{{Field: "photo", Key: "web.intake.photo_too_large", N: d.maxPhotoMB()}}, http.StatusUnprocessableEntity)
	}
	switch action {
	case "more":
		n, _ := strconv.Atoi(form.Get("rows"))
		form.Set("rows", strconv.Itoa(min(max(n, defaultDocRows)+3, maxDocRows)))
		return d.rerender(w, c, p, photoBytes, nil, http.StatusOK)
	case "check":
		return d.rerender(w, c, p, photoBytes, nil, http.StatusOK)
	case "draft":
		id := d.keepDraft(c, form, photoBytes)
		http.Redirect(w, r, "/staff/intake?draft="+url.QueryEscape(id), http.StatusSeeOther)
		return nil
	case "submit":
	default:
		return httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", fmt.Errorf("unknown intake action %q", action))
	}
	key := form.Get("idempotency_key")
	var done bool
	d.withSession(c, func(s *stationSession) { _, done = s.receipts[key] })
	if key != "" && done { // a second click on Finish: the same receipt
		http.Redirect(w, r, "/staff/receipt/"+url.PathEscape(key), http.StatusSeeOther)
		return nil
	}
	in0, _ := intakeFromForm(form, nil)
	_, q, _ := d.svc.Applications.Check(in0)
	in, dateErrs := intakeFromForm(form, &q)
	in.Photo = photoBytes
	if len(dateErrs) > 0 {
		return d.rerender(w, c, p, photoBytes, dateErrs, http.StatusUnprocessableEntity)
	}
	rc, err := d.desk.Finish(c.Actor.StaffID, in)
	if fe := fieldErrors(err); fe != nil {
		return d.rerender(w, c, p, photoBytes, fe, http.StatusUnprocessableEntity)
	}
	if errors.Is(err, station.ErrNotApproved) {
		return httplayer.Fail(http.StatusConflict, "station.not_approved", err)
	}
	if errors.Is(err, station.ErrStorageFull) {
		// The form stays in the session as a draft: nothing typed is lost.
		d.keepDraft(c, form, photoBytes)
		p.Notice = p.T("station.storage_full")
		return d.rerender(w, c, p, photoBytes, nil, http.StatusInsufficientStorage)
	}
	if err != nil {
		return err
	}
	if key == "" {
		if key, err = newIdempotencyKey(); err != nil {
			return err
		}
	}
	d.withSession(c, func(s *stationSession) {
		s.receipts[key] = stationReceipt{rc: rc, name: in.Person.FullName()}
		delete(s.drafts, form.Get("draft_id"))
	})
	http.Redirect(w, r, "/staff/receipt/"+url.PathEscape(key), http.StatusSeeOther)
	return nil
}

// keepDraft keeps the form and photo in the session's memory and returns
// the draft's id. The photo is kept re-encoded as intake stores it (no
// metadata, its final size); one that is not a usable photo is not kept.
func (d *stationDesk) keepDraft(c *call, form url.Values, photo []byte) string {
	id := form.Get("draft_id")
	if id == "" {
		id, _ = randomHex(8)
		form.Set("draft_id", id)
	}
	if len(photo) > 0 {
		photo, _ = d.svc.Applications.NormalizePhoto(photo)
	}
	d.withSession(c, func(s *stationSession) { s.drafts[id] = stationDraft{form: cloneValues(form), photo: photo} })
	return id
}

// rerender shows the form again; a photo that came with it is kept in the
// session's memory as a draft, as city hall keeps it in a saved draft.
func (d *stationDesk) rerender(w http.ResponseWriter, c *call, p *page, photo []byte, errs person.Errors, status int) error {
	lost := false
	if len(photo) > 0 {
		id := d.keepDraft(c, p.Form, photo)
		d.withSession(c, func(s *stationSession) { photo = s.drafts[id].photo })
		lost = len(photo) == 0
	}
	return d.renderIntake(w, c, p, nil, errs, status, func(v *intakeView) { v.Photo, v.PhotoLost = photo, lost })
}

// receipt is the resident's receipt, in their language and a second one,
// as at city hall; it is in the session's memory only.
func (d *stationDesk) receipt(w http.ResponseWriter, r *http.Request, c *call) error {
	var sr stationReceipt
	var ok bool
	d.withSession(c, func(s *stationSession) { sr, ok = s.receipts[r.PathValue("key")] })
	if !ok {
		return httplayer.Fail(http.StatusNotFound, "web.error.not_found", errors.New("no such receipt in this session"))
	}
	st := *d.svc.Settings
	// The resident's language first, then English (or Spanish for an
	// English speaker), as city hall's receipt does.
	first, second := sr.rc.Language, "en"
	if !d.svc.I18n.Has(first) {
		first = "en"
	}
	if first == "en" {
		second = "es"
	}
	langs := []string{first, second}
	var v receiptView
	for _, l := range langs {
		pr := d.svc.I18n.Printer(l)
		v.Copies = append(v.Copies, receiptCopy{Labels: newReceiptLabels(pr), Program: d.programName(l), Lang: l, Name: sr.name, Reference: sr.rc.Reference,
			StatusKey: string(enroll.StatusSubmitted), Status: pr.T("station.receipt.status"),
			Payment: paymentText(pr, st, sr.rc.Payment), Fee: fee.Format(sr.rc.Quote.AmountCents, st.Fees.Currency, l),
			Next: pr.T("station.receipt.next"), Date: d.formatTime(pr, sr.rc.SealedAt)})
	}
	p := d.newPage(r, c, "web.receipt.title")
	p.Data = v
	return d.views.render(w, http.StatusOK, "receipt", "layout", p)
}

// stationStatusView is the station page: counts and storage, no names.
type stationStatusView struct {
	St        station.Status
	FreeMB    int64
	WaitingKB int64
	LastSync  string
	Synced    string // the result of "sync now", translated
	SyncError bool   // the city could not be reached
}

func (d *stationDesk) statusPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return d.renderStatus(w, r, c, "", false)
}

func (d *stationDesk) renderStatus(w http.ResponseWriter, r *http.Request, c *call, synced string, failed bool) error {
	st, err := d.desk.Status()
	if err != nil {
		return err
	}
	p := d.newPage(r, c, "station.title")
	switch {
	case st.LowStorage:
		p.Notice = p.T("station.low_storage")
	case st.ClockOff:
		p.Notice = clockNotice(p, st.ClockOffset)
	}
	v := stationStatusView{St: st, FreeMB: st.FreeBytes >> 20, WaitingKB: (st.WaitingBytes + 1023) >> 10, Synced: synced, SyncError: failed}
	if !st.LastSync.IsZero() {
		v.LastSync = d.formatTime(c.P, st.LastSync)
	}
	p.Data = v
	return d.views.render(w, http.StatusOK, "station", "layout", p)
}

func (d *stationDesk) syncNow(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	if err := d.desk.Sync(ctx); err != nil {
		d.log.Warn("station sync failed", "err", err)
		return d.renderStatus(w, r, c, c.P.T("station.sync_failed"), true)
	}
	return d.renderStatus(w, r, c, c.P.T("station.sync_ok"), false)
}
