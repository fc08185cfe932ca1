package resident

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"slices"
	"time"

	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/evidence"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/notify"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/qrcode"
	"github.com/cityid/cityid/internal/randid"
	"github.com/cityid/cityid/internal/site"
)

func (s *Site) today() person.Date { return person.DateOf(s.svc.Now().In(s.loc)) }

type docOption struct {
	Code, Label string
	Identity    bool
	Residency   bool
}

// docGroups splits the document catalogue into "who you are" and "where
// you live" (a document good for both appears in both).
func (s *Site) docGroups(p *page) (identity, residency []docOption) {
	for _, d := range s.svc.Settings.Documents {
		o := docOption{Code: d.Code, Label: config.DocumentName(d, p.Lang, p.T), Identity: d.IdentityPoints > 0, Residency: d.ResidencyPoints > 0}
		if o.Identity {
			identity = append(identity, o)
		}
		if o.Residency {
			residency = append(residency, o)
		}
	}
	return identity, residency
}

// evidenceLines says in plain words what is still missing.
func (s *Site) evidenceLines(p *page, res evidence.Result) []string {
	var out []string
	for _, m := range append(append([]evidence.Missing(nil), res.Missing...), res.Notes...) {
		name := m.Document
		if d, ok := s.svc.Settings.Document(m.Document); ok {
			name = config.DocumentName(d, p.Lang, p.T)
		}
		out = append(out, p.T(m.Key, "n", m.N, "document", name))
	}
	return out
}

type homeData struct {
	Fees       []feeLine
	Bring      []bringView
	BringNotes []string
	Places     []*placeView
}

type feeLine struct{ Label, Amount string }

func (s *Site) home(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.home.title"
	d := &homeData{Fees: feeLines(p.T, p.Lang, s.svc.Settings.Fees)}
	d.Bring, d.BringNotes = s.bring(p)
	places, err := s.places(r.Context(), p)
	if err != nil {
		return err
	}
	d.Places = places
	p.Data = d
	return s.render(w, http.StatusOK, "home", p)
}

type checklistData struct {
	Identity, Residency []docOption
	Asked, OK           bool
	Lines               []string
}

func (s *Site) checklist(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.checklist.title"
	p.Form = r.URL.Query()
	in, errs := ParseChecklist(p.Form, *s.svc.Settings)
	d := &checklistData{}
	d.Identity, d.Residency = s.docGroups(p)
	p.setErrors(errs)
	if in.Asked && len(errs) == 0 {
		age := in.Age
		if p.Form.Get("age") == "" {
			age = 30
		}
		res := evidence.Evaluate(s.svc.Settings.Evidence, s.svc.Settings.Documents, evidence.Input{Shown: in.Documents, Age: age, Today: s.today()})
		d.Asked, d.OK, d.Lines = true, res.OK, s.evidenceLines(p, res)
	}
	p.Data = d
	return s.render(w, http.StatusOK, "checklist", p)
}

type applyData struct {
	Identity, Residency []docOption
	Langs               []langLink
	Challenge           string
	// Remind lists "none" and the channels the configured senders deliver
	// on; with none, no reminder is offered (or promised).
	Remind []string
}

func (s *Site) applyData(p *page) (*applyData, error) {
	d := &applyData{}
	if ch := s.channels(); len(ch) > 0 {
		d.Remind = append([]string{"none"}, ch...)
	}
	d.Identity, d.Residency = s.docGroups(p)
	for _, l := range s.svc.Settings.Program.Languages {
		d.Langs = append(d.Langs, langLink{Lang: l, Label: s.svc.I18n.T(l, "resident.lang.name"), Current: p.V("language") == l})
	}
	if s.pow != nil {
		c, err := s.pow.challenge()
		if err != nil {
			return nil, err
		}
		d.Challenge = c
	}
	if p.Form.Get("request_key") == "" {
		k, err := randid.New(s.svc.Rand, "req")
		if err != nil {
			return nil, err
		}
		p.Form.Set("request_key", k)
	}
	return d, nil
}

// channels are the reminder channels the configured senders deliver on,
// in the order the form offers them.
func (s *Site) channels() []string {
	var out []string
	for _, c := range []notify.Channel{notify.SMS, notify.Email} {
		if notify.Can(s.opts.Notify, c) {
			out = append(out, string(c))
		}
	}
	return out
}

func (s *Site) applyForm(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.apply.title"
	p.Form.Set("language", p.Lang)
	d, err := s.applyData(p)
	if err != nil {
		return err
	}
	p.Data = d
	return s.render(w, http.StatusOK, "apply", p)
}

// guard applies the rate limit and the proof-of-work to a form post. A
// browser without JavaScript sends no solution; it is let through at five
// times the cost, so a few honest no-script visits still work while a bot
// gains nothing by skipping the work.
func (s *Site) guard(r *http.Request) error {
	cost := 1.0
	if s.pow != nil && !s.pow.check(r.PostFormValue("pow_challenge"), r.PostFormValue("pow_nonce")) {
		cost = 5
	}
	if !allowed(s.forms, httplayer.ClientKey(r), cost) {
		return httplayer.Fail(http.StatusTooManyRequests, "resident.error.slow_down", errors.New("form rate limit"))
	}
	return nil
}

func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httplayer.Fail(http.StatusBadRequest, "resident.error.bad_form", err)
	}
	return nil
}

type appliedData struct {
	Code string
	// QR is a data: URL of a PNG. It is a template.URL because html/template
	// rewrites any other data: URL in a src to "#ZgotmplZ" (an empty box).
	QR     template.URL
	Expiry string
	Sites  []site.Site
}

func (s *Site) apply(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.apply.title"
	if err := parseForm(r); err != nil {
		return err
	}
	p.Form = r.PostForm
	if err := s.guard(r); err != nil {
		return err
	}
	in, errs := ParseApply(r.PostForm, *s.svc.Settings, p.Lang)
	if len(errs) == 0 || !hasField(errs, "form") {
		errs = append(errs, in.Person.Validate(s.today(), s.svc.Settings.Program.Languages)...)
	}
	if in.RemindBy != "" && !notify.Can(s.opts.Notify, notify.Channel(in.RemindBy)) {
		// Only a hand-made form gets here: the page offers no such choice.
		errs = append(errs, person.FieldError{Field: "remind", Key: "error.invalid_choice"})
	}
	if len(errs) > 0 {
		p.setErrors(dedupe(errs))
		d, err := s.applyData(p)
		if err != nil {
			return err
		}
		p.Data = d
		return s.render(w, http.StatusUnprocessableEntity, "apply", p)
	}
	pre, code, err := s.preapps.Create(r.Context(), in.Person, evidence.Minimize(s.svc.Settings.Documents, in.Documents), in.RemindBy, r.PostFormValue("request_key"))
	if err != nil {
		return err
	}
	qrURL, err := qrDataURL(enroll.QRPayload(code))
	if err != nil {
		return err
	}
	sites, err := s.bookableSites(r.Context())
	if err != nil {
		return err
	}
	p.TitleK = "resident.applied.title"
	p.Form = nil
	p.Data = &appliedData{Code: code, QR: qrURL, Expiry: p.p.LongDate(pre.ExpiresAt.In(s.loc)), Sites: sites}
	return s.render(w, http.StatusOK, "applied", p)
}

func hasField(errs person.Errors, f string) bool {
	for _, e := range errs {
		if e.Field == f {
			return true
		}
	}
	return false
}

func dedupe(errs person.Errors) person.Errors {
	seen := map[string]bool{}
	var out person.Errors
	for _, e := range errs {
		// Map the person package's address fields to our form's names.
		if e.Field == "date_of_birth" {
			e.Field = "dob"
		}
		if !seen[e.Field] {
			seen[e.Field] = true
			out = append(out, e)
		}
	}
	return out
}

// qrDataURL renders text as a QR code PNG in a data: URL (QR alphanumeric
// mode for upper-case payloads, medium error correction, 4-module margin),
// proof-read with ZXing (package qrcode).
// The URL is built here from our own PNG bytes only, which is what makes
// marking it safe for the template.
func qrDataURL(text string) (template.URL, error) {
	code, err := qrcode.Encode(text, qrcode.M)
	if err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	var buf bytes.Buffer
	// A quiet zone of 4 modules on a white page is the CSS padding's job.
	if err := png.Encode(&buf, qrcode.Scale(qrcode.Bare(code), 8)); err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// bookableSites lists the active sites with booking rules.
func (s *Site) bookableSites(ctx context.Context) ([]site.Site, error) {
	_, bookable, err := s.sites(ctx)
	return bookable, err
}

// sites lists the active sites, and those of them with booking rules. The
// lists are kept for a few seconds: under a rush every request needs them,
// and read connections are the scarce resource.
func (s *Site) sites(ctx context.Context) (active, bookable []site.Site, err error) {
	now := time.Now()
	s.sitesMu.Lock()
	if now.Before(s.sitesUntil) {
		active, bookable = s.activeCache, s.sitesCache
		s.sitesMu.Unlock()
		return active, bookable, nil
	}
	s.sitesMu.Unlock()
	all, err := s.svc.Sites.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	rules, err := s.booking.Rules(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, st := range all {
		if !st.Active {
			continue
		}
		active = append(active, st)
		if _, ok := rules[st.ID]; ok {
			bookable = append(bookable, st)
		}
	}
	s.sitesMu.Lock()
	s.activeCache, s.sitesCache, s.sitesUntil = active, bookable, now.Add(5*time.Second)
	s.sitesMu.Unlock()
	return active, bookable, nil
}

// slotView is a slot as the resident sees it.
type slotView struct {
	ID, Day, Time string
	Free          int
	Left          string // "2 places left"
}

// dayView is one day in the day picker.
type dayView struct {
	Value, Label, Free string
	Current            bool
}

type bookData struct {
	Sites       []site.Site
	Walkin      []*placeView // the offices to go to when none books online
	Site        *site.Site
	Code        string
	Booked      *slotView
	BookedPlace *placeView
	// Listed: the open times were looked up (not right after booking, when
	// the page only confirms), so "no free times" is said only when true.
	Listed    bool
	Days      []dayView
	Day       *dayView // the picked day, whose times are Slots
	Slots     []slotView
	Waiting   int
	Full      bool
	Lottery   bool
	NextOpen  string
	Just      string // "booked", "cancelled", "waitlisted", "entered", "full"
	More      bool   // booked just now: offer "change the time" instead of the list
	Challenge string
	Reminder  bool
}

func (s *Site) bookStart(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.book.title"
	sites, err := s.bookableSites(r.Context())
	if err != nil {
		return err
	}
	d := &bookData{Sites: sites}
	if len(sites) == 0 {
		// No office books online: the form would offer an empty list and
		// a button that can only fail. Say where to go instead.
		if d.Walkin, err = s.places(r.Context(), p); err != nil {
			return err
		}
	}
	p.Data = d
	return s.render(w, http.StatusOK, "book", p)
}

func (s *Site) slotView(p *page, sl booking.Slot) slotView {
	t := sl.StartsAt.In(s.loc)
	free := sl.Capacity - sl.Booked
	return slotView{ID: sl.ID, Day: p.p.LongDate(t), Time: p.p.Time(t), Free: free, Left: p.T("resident.book.left", "n", free)}
}

// book handles every step of booking: find (code + site), book a slot,
// cancel, join the waitlist, enter the lottery. Codes travel in form
// bodies, never in URLs.
func (s *Site) book(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.book.title"
	if err := parseForm(r); err != nil {
		return err
	}
	p.Form = r.PostForm
	ctx := r.Context()
	sites, err := s.bookableSites(ctx)
	if err != nil {
		return err
	}
	d := &bookData{Sites: sites}
	p.Data = d
	step := r.PostFormValue("step")
	if step != "find" && step != "ics" {
		if err := s.guard(r); err != nil {
			return err
		}
	} else if !allowed(s.lookups, httplayer.ClientKey(r), 1) {
		return httplayer.Fail(http.StatusTooManyRequests, "resident.error.slow_down", errors.New("lookup rate limit"))
	}
	code, cerr := enroll.ParseCode(r.PostFormValue("code"))
	var pre *enroll.Preapplication
	if cerr == nil {
		pre, cerr = s.preapps.Load(ctx, code)
	}
	if cerr != nil {
		if !errors.Is(cerr, enroll.ErrBadCode) && !errors.Is(cerr, enroll.ErrUnknownCode) {
			return cerr
		}
		p.setErrors(person.Errors{{Field: "code", Key: "resident.error.code"}})
		return s.render(w, http.StatusUnprocessableEntity, "book", p)
	}
	d.Code = code
	siteID := r.PostFormValue("site")
	for i := range sites {
		if sites[i].ID == siteID {
			d.Site = &sites[i]
		}
	}
	switch step {
	case "book":
		a, err := s.booking.Book(ctx, booking.Request{SlotID: r.PostFormValue("slot"), PreappID: pre.ID, PersonKey: pre.PersonKey,
			RequestKey: r.PostFormValue("request_key"), Rebook: true})
		switch {
		case err == nil:
			d.Just, d.More = "booked", true
			if !a.Repeat {
				s.remind(ctx, pre, a.Appointment)
			}
		case errors.Is(err, booking.ErrFull), errors.Is(err, booking.ErrPast), errors.Is(err, booking.ErrNotReleased), errors.Is(err, errs.ErrNotFound):
			s.log.Debug("booking refused", "err", err)
			d.Just = "full"
		default:
			return err
		}
	case "cancel":
		if err := s.booking.Cancel(ctx, pre.ID); err != nil && !errors.Is(err, errs.ErrNotFound) {
			return err
		}
		d.Just = "cancelled"
	case "waitlist":
		if d.Site != nil {
			if _, err := s.booking.Join(ctx, d.Site.ID, pre.ID, pre.PersonKey); err != nil && !errors.Is(err, booking.ErrWaiting) {
				return err
			}
			d.Just = "waitlisted"
		}
	case "lottery":
		if d.Site != nil {
			next, lottery, err := s.booking.NextRelease(ctx, d.Site.ID)
			if err != nil {
				return err
			}
			if lottery {
				if err := s.booking.Enter(ctx, d.Site.ID, next, pre.ID, pre.PersonKey); err != nil && !errors.Is(err, booking.ErrWaiting) {
					return err
				}
				d.Just = "entered"
			}
		}
	case "ics":
		a, sl, err := s.booking.Appointment(ctx, pre.ID)
		if err == nil {
			return s.calendar(ctx, w, p, a, sl)
		}
		if !errors.Is(err, errs.ErrNotFound) {
			return err
		}
	case "find":
	default:
		return httplayer.Fail(http.StatusBadRequest, "resident.error.bad_form", fmt.Errorf("unknown step"))
	}
	return s.showBooking(w, r, p, d, pre)
}

// calendar sends the appointment as an .ics file for the phone's own
// calendar: time, place and what to bring; no name, no code.
func (s *Site) calendar(ctx context.Context, w http.ResponseWriter, p *page, a booking.Appointment, sl booking.Slot) error {
	st, err := s.svc.Sites.Get(ctx, a.SiteID)
	if err != nil {
		return err
	}
	ics := booking.ICS(booking.Event{UID: a.ID + "@cityid", Start: sl.StartsAt, End: sl.EndsAt, Stamp: s.svc.Now(),
		Summary: p.T("resident.remind.subject"), Location: st.Name + ", " + st.Address, Description: p.T("resident.book.bring_calendar")})
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="appointment.ics"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(ics)
	return err
}

// showBooking renders the resident's booking, or the open slots of the
// chosen site, or the waitlist and lottery choices when none is free.
func (s *Site) showBooking(w http.ResponseWriter, r *http.Request, p *page, d *bookData, pre *enroll.Preapplication) error {
	ctx := r.Context()
	if d.Site != nil {
		// A lottery whose release time has passed is drawn by the first
		// visitor after it, so the winners see their time right away.
		if err := s.booking.DrawDue(ctx, d.Site.ID); err != nil {
			s.log.Warn("lottery draw", "site", d.Site.ID, "err", err)
		}
	}
	a, sl, err := s.booking.Appointment(ctx, pre.ID)
	switch {
	case err == nil:
		v := s.slotView(p, sl)
		d.Booked = &v
		d.Reminder = pre.RemindBy != "" && notify.Can(s.opts.Notify, notify.Channel(pre.RemindBy))
		if st, err := s.svc.Sites.Get(ctx, a.SiteID); err == nil {
			d.BookedPlace = s.place(p, st)
			if d.Site == nil {
				d.Site = &st
			}
		}
	case !errors.Is(err, errs.ErrNotFound):
		return err
	}
	if d.Booked == nil {
		if _, pos, err := s.booking.Position(ctx, pre.ID); err == nil {
			d.Waiting = pos
		}
	}
	// Right after booking, the page confirms it and offers no list: moving
	// is one "find" away. This keeps the answer light under a rush.
	if d.Site != nil && d.Just != "booked" {
		// Two weeks of a busy office is a few hundred slots; the page shows
		// one day's times at a time.
		slots, err := s.booking.Open(ctx, d.Site.ID, 1000)
		if err != nil {
			return err
		}
		if d.Booked != nil {
			slots = slices.DeleteFunc(slots, func(sl booking.Slot) bool { return sl.ID == d.Booked.ID })
		}
		days := booking.ByDay(slots, s.loc)
		pick := 0
		for i, day := range days {
			if day.Date.String() == p.V("day") {
				pick = i
			}
		}
		for i, day := range days {
			t := time.Date(day.Date.Year, day.Date.Month, day.Date.Day, 12, 0, 0, 0, s.loc)
			d.Days = append(d.Days, dayView{Value: day.Date.String(), Label: p.p.DayMonth(t), Free: p.T("resident.book.day_free", "n", day.Free), Current: i == pick})
		}
		if len(days) > 0 {
			d.Day = &d.Days[pick]
			for _, sl := range days[pick].Slots {
				d.Slots = append(d.Slots, s.slotView(p, sl))
			}
		}
		d.Listed, d.Full = true, len(days) == 0
		next, lottery, err := s.booking.NextRelease(ctx, d.Site.ID)
		if err != nil {
			return err
		}
		if !next.IsZero() {
			t := next.In(s.loc)
			d.NextOpen = p.p.LongDate(t) + ", " + p.p.Time(t)
			d.Lottery = lottery
		}
	}
	k, err := randid.New(s.svc.Rand, "req")
	if err != nil {
		return err
	}
	p.Form.Set("request_key", k)
	if s.pow != nil {
		if d.Challenge, err = s.pow.challenge(); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if d.Just == "full" {
		status = http.StatusConflict
	}
	return s.render(w, status, "booked", p)
}

// remind sends the booking confirmation to a resident who asked for
// reminders: the time and place only.
func (s *Site) remind(ctx context.Context, pre *enroll.Preapplication, a booking.Appointment) {
	if s.opts.Notify == nil || pre.RemindBy == "" {
		return
	}
	if err := s.sendReminder(ctx, pre, a); err != nil {
		s.log.Warn("reminder not sent", "appointment", a.ID, "err", err)
	}
}

func (s *Site) statusForm(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.status.title"
	return s.render(w, http.StatusOK, "status", p)
}

func (s *Site) lostForm(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.lost.title"
	if s.opts.Cards == nil {
		return httplayer.Fail(http.StatusNotFound, "resident.lost.unavailable", errors.New("no card service"))
	}
	return s.render(w, http.StatusOK, "lost", p)
}
