package resident

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
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
	Reason   string      // rejected: a review reason code
	Place    *store.Site // card ready at / appointment at
	When     time.Time   // appointment time, if any
	appID    string
	personID string
}

// errNoMatch is the one answer for a wrong code, a wrong date of birth or
// no such application: the page must not tell them apart.
var errNoMatch = errors.New("no application matches this code and date of birth")

// lookup finds an application or pre-application by code and checks the
// date of birth against the sealed one.
func (s *Site) lookup(ctx context.Context, code string, dob person.Date) (*Lookup, error) {
	if pre, err := s.preapps.Load(ctx, code); err == nil {
		if pre.Person.DateOfBirth != dob {
			return nil, errNoMatch
		}
		if pre.ApplicationID == "" {
			l := &Lookup{Status: StatusPreapplied}
			if a, sl, err := s.booking.Appointment(ctx, pre.ID); err == nil {
				l.When = sl.StartsAt.In(s.loc)
				if st, err := s.app.DB.Site(ctx, a.SiteID); err == nil {
					l.Place = &st
				}
			}
			return l, nil
		}
		row, err := s.app.DB.Application(ctx, pre.ApplicationID)
		if err != nil {
			return nil, errNoMatch
		}
		return s.applicationStatus(ctx, row)
	} else if !errors.Is(err, ErrUnknownCode) {
		return nil, err
	}
	row, err := s.app.DB.ApplicationByReference(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoMatch
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.dobMatches(ctx, row, dob)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoMatch
	}
	return s.applicationStatus(ctx, row)
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
	row, err := s.app.DB.Application(ctx, c.ApplicationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoMatch
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.dobMatches(ctx, row, dob)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoMatch
	}
	return s.applicationStatus(ctx, row)
}

func (s *Site) dobMatches(ctx context.Context, row enroll.Record, dob person.Date) (bool, error) {
	per, err := s.app.DB.Person(ctx, row.PersonID)
	if err != nil || per.WrappedKey == nil || row.Sealed.DateOfBirth == nil {
		return false, nil //nolint:nilerr // an erased person matches nothing
	}
	dk, err := s.app.Vault.OpenDataKey(per.WrappedKey)
	if err != nil {
		return false, fmt.Errorf("status lookup: %w", err)
	}
	defer dk.Destroy()
	b, err := dk.Open(vault.Binding{Table: "applications", Column: "date_of_birth", Row: row.ID}, row.Sealed.DateOfBirth)
	if err != nil {
		return false, fmt.Errorf("status lookup: %w", err)
	}
	return string(b) == dob.String(), nil
}

func (s *Site) applicationStatus(ctx context.Context, row enroll.Record) (*Lookup, error) {
	l := &Lookup{appID: row.ID, personID: row.PersonID}
	switch enroll.Status(row.Status) {
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
			cards, err := s.opts.Cards.List(ctx, card.Filter{ApplicationID: row.ID})
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
					if st, err := s.app.DB.Site(ctx, row.SiteID); err == nil {
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
	code, err := ParseCode(r.PostFormValue("code"))
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
		v.When = s.longDate(p, l.When) + ", " + s.clockTime(l.When)
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
		// Already suspended or no active card: say so, and log the report.
		_ = s.app.DB.InTx(r.Context(), func(tx *store.Tx) error {
			return tx.AppendAudit(r.Context(), audit.Event{At: s.app.Now(), Actor: "resident", Action: "card.report_lost", RecordType: "application", RecordID: l.appID, Outcome: "no_active_card"})
		})
	}
	d.None = !d.Suspended
	p.Form = nil
	return s.render(w, http.StatusOK, "lost", p)
}

// replacementFee is what a replacement card costs, in words.
func (s *Site) replacementFee(p *page) string {
	f := s.app.Settings.Fees
	if f.Replacement == 0 {
		return p.T("resident.lost.replacement_free")
	}
	return p.T("resident.lost.replacement", "amount", fee.Format(f.Replacement, f.Currency, p.Lang))
}
