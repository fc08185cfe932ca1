package resident

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
)

// Public status codes, each a message key "resident.status.<code>".
const (
	StatusPreapplied   = "preapplied" // pre-applied, not yet seen by a clerk
	StatusPending      = "pending"    // submitted, under review
	StatusNeedsDocs    = "needs_documents"
	StatusApproved     = "approved"      // approved, card being made
	StatusCardReady    = "card_ready"    // printed, ready at a site
	StatusCardActive   = "card_active"   // handed over
	StatusCardInactive = "card_inactive" // suspended, revoked, expired, replaced
	StatusRejected     = "rejected"
)

// Lookup is what a status check shows the resident.
type Lookup struct {
	Status   string
	Reason   string     // rejected: a review reason code
	Place    *site.Site // card ready at / appointment at
	When     time.Time  // appointment time, if any
	appID    string
	personID string
}

// errNoMatch is the one answer for a wrong code, a wrong date of birth or
// no such application: the page must not tell them apart.
var errNoMatch = enroll.ErrNoMatch

// lookup finds an application or pre-application by code and checks the
// date of birth against the sealed one.
func (s *Site) lookup(ctx context.Context, code string, dob person.Date) (*Lookup, error) {
	st, err := s.svc.Applications.StandingOf(ctx, code, dob)
	if err != nil {
		return nil, err
	}
	if st.PreappID != "" {
		l := &Lookup{Status: StatusPreapplied}
		if a, sl, err := s.booking.Appointment(ctx, st.PreappID); err == nil {
			l.When = sl.StartsAt.In(s.loc)
			if place, err := s.svc.Sites.Get(ctx, a.SiteID); err == nil {
				l.Place = &place
			}
		}
		return l, nil
	}
	return s.applicationStatus(ctx, st)
}

// lookupCard finds the application of the card with this number and checks
// the date of birth, with the same single answer for every mismatch.
func (s *Site) lookupCard(ctx context.Context, n card.Number, dob person.Date) (*Lookup, error) {
	c, err := s.opts.Cards.ByNumber(ctx, n.Compact())
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errNoMatch
	}
	if err != nil {
		return nil, err
	}
	st, err := s.svc.Applications.StandingOfApplication(ctx, c.ApplicationID, dob)
	if err != nil {
		return nil, err
	}
	return s.applicationStatus(ctx, st)
}

func (s *Site) applicationStatus(ctx context.Context, row enroll.Standing) (*Lookup, error) {
	l := &Lookup{appID: row.ApplicationID, personID: row.PersonID}
	switch row.Status {
	case enroll.StatusDraft, enroll.StatusSubmitted, enroll.StatusNeedsReview:
		l.Status = StatusPending
	case enroll.StatusApproved:
		l.Status = StatusApproved
	case enroll.StatusRejected:
		l.Status, l.Reason = StatusRejected, row.DecisionReason
		if row.DecisionReason == "insufficient_identity" || row.DecisionReason == "insufficient_residency" {
			l.Status = StatusNeedsDocs
		}
	case enroll.StatusIssued:
		l.Status = StatusApproved
		if s.opts.Cards != nil {
			cards, err := s.opts.Cards.List(ctx, card.Filter{ApplicationID: row.ApplicationID})
			if err != nil {
				return nil, err
			}
			if len(cards) > 0 {
				c := cards[len(cards)-1]
				switch {
				case c.Status != card.StatusActive:
					l.Status = StatusCardInactive
				case !c.HandedOverAt.IsZero():
					l.Status = StatusCardActive
				case !c.PrintedAt.IsZero():
					l.Status = StatusCardReady
					if st, err := s.svc.Sites.Get(ctx, row.SiteID); err == nil {
						l.Place = &st
					}
				}
			}
		}
	default:
		l.Status = StatusPending
	}
	return l, nil
}

// checkLookup runs the shared part of status and lost-card posts: limits,
// parsing, lookup. A wrong date of birth costs the code one of its few
// attempts an hour, so a code cannot be used to guess a birth date.
func (s *Site) checkLookup(r *http.Request, p *page) (*Lookup, error) {
	if err := parseForm(r); err != nil {
		return nil, err
	}
	p.Form = r.PostForm
	if !allowed(s.lookups, httplayer.ClientKey(r), 1) {
		return nil, httplayer.Fail(http.StatusTooManyRequests, "resident.error.slow_down", errors.New("lookup rate limit"))
	}
	var errs person.Errors
	// The reference code, or the card's number.
	code, err := enroll.ParseCode(r.PostFormValue("code"))
	var number card.Number
	if err != nil {
		number, err = card.ParseNumber(r.PostFormValue("code"))
		code = number.Compact()
	}
	if err != nil || (!number.IsZero() && s.opts.Cards == nil) {
		errs = append(errs, person.FieldError{Field: "code", Key: "resident.error.code_format"})
	}
	dob, key := parseDate(r.PostForm, "dob")
	if key != "" {
		errs = append(errs, person.FieldError{Field: "dob", Key: key})
	}
	if len(errs) > 0 {
		p.setErrors(errs)
		return nil, nil
	}
	if !s.failures.Has(code, 1) {
		return nil, httplayer.Fail(http.StatusTooManyRequests, "resident.error.code_locked", errors.New("code locked"))
	}
	var l *Lookup
	if number.IsZero() {
		l, err = s.lookup(r.Context(), code, dob)
	} else {
		l, err = s.lookupCard(r.Context(), number, dob)
	}
	if errors.Is(err, errNoMatch) {
		s.failures.AllowN(code, 1)
		p.setErrors(person.Errors{{Field: "code", Key: "resident.error.no_match"}})
		return nil, nil
	}
	return l, err
}

// statusView is the status answer in the reader's language: the visit's
// date written out, and where to go with its address, hours and phone.
type statusView struct {
	Status, Reason, When string
	Place                *placeView
}

func (s *Site) status(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.status.title"
	l, err := s.checkLookup(r, p)
	if err != nil {
		return err
	}
	if l == nil {
		return s.render(w, http.StatusUnprocessableEntity, "status", p)
	}
	p.Form.Del("code")
	v := &statusView{Status: l.Status, Reason: l.Reason}
	if !l.When.IsZero() {
		v.When = p.p.LongDate(l.When) + ", " + p.p.Time(l.When)
	}
	if l.Place != nil {
		v.Place = s.place(p, *l.Place)
	}
	p.Data = v
	return s.render(w, http.StatusOK, "status", p)
}

// residentActor is who suspends a card reported lost by its holder: the
// audit log records "resident", and the card service's supervisor check is
// met because the code and date of birth proved the holder.
func residentActor() auth.Actor {
	return auth.Actor{StaffID: "resident", Username: "resident", Role: auth.RoleSupervisor}
}

// lostData is the lost-card page: the form, then a confirmation naming
// the card (its last digits), then the result; every step says where to
// go and what a replacement costs.
type lostData struct {
	Confirm, Suspended, None bool
	Cards                    []string // "•••• 1234" of the active cards to block
	Replacement              string
	Places                   []*placeView
}

func (s *Site) lost(w http.ResponseWriter, r *http.Request, p *page) error {
	p.TitleK = "resident.lost.title"
	if s.opts.Cards == nil {
		return httplayer.Fail(http.StatusNotFound, "resident.lost.unavailable", errors.New("no card service"))
	}
	l, err := s.checkLookup(r, p)
	if err != nil {
		return err
	}
	if l == nil {
		return s.render(w, http.StatusUnprocessableEntity, "lost", p)
	}
	d := &lostData{Replacement: s.replacementFee(p)}
	if d.Places, err = s.places(r.Context(), p); err != nil {
		return err
	}
	p.Data = d
	var active []card.Card
	if l.appID != "" {
		if active, err = s.opts.Cards.List(r.Context(), card.Filter{ApplicationID: l.appID, Statuses: []card.Status{card.StatusActive}}); err != nil {
			return err
		}
	}
	if len(active) > 0 && r.PostFormValue("confirm") != "yes" {
		// Nothing is blocked until the holder says so on the next page.
		d.Confirm = true
		for _, c := range active {
			n := c.Number.Compact()
			d.Cards = append(d.Cards, "••••\u00a0"+n[max(0, len(n)-4):]) // no line break inside
		}
		return s.render(w, http.StatusOK, "lost", p)
	}
	for _, c := range active {
		if _, err := s.opts.Cards.Suspend(r.Context(), residentActor(), c.ID, "reported_lost"); err != nil && !errors.Is(err, card.ErrState) {
			return err
		}
		d.Suspended = true
	}
	if !d.Suspended && l.appID != "" {
		// Already suspended or no active card: say so; the card service
		// audits the report.
		if err := s.opts.Cards.RecordLostReport(r.Context(), l.appID); err != nil {
			s.log.Warn("lost-card report not audited", "err", err)
		}
	}
	d.None = !d.Suspended
	p.Form = nil
	return s.render(w, http.StatusOK, "lost", p)
}

// replacementFee is what a replacement card costs, in words.
func (s *Site) replacementFee(p *page) string {
	f := s.svc.Settings.Fees
	if f.Replacement == 0 {
		return p.T("resident.lost.replacement_free")
	}
	return p.T("resident.lost.replacement", "amount", fee.Format(f.Replacement, f.Currency, p.Lang))
}
