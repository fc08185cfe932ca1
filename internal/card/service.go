package card

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card/render"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/credential/statuslist"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/randid"
)

// Applications opens approved applications; *enroll.Service implements it.
// Every Get is audited there with its purpose.
type Applications interface {
	Get(ctx context.Context, by auth.Actor, id string, purpose enroll.Purpose) (*enroll.Application, error)
	// Handlers are the staff who took or edited an application.
	Handlers(ctx context.Context, id string) (map[string]bool, error)
	// SinglePersonSite reports a site where four eyes cannot hold.
	SinglePersonSite(siteID string) bool
	// Decider is who approved (or rejected) an application.
	Decider(ctx context.Context, id string) (string, error)
	// SiteOf is the site an application was taken at.
	SiteOf(ctx context.Context, id string) (string, error)
	// StatusOf is an application's status.
	StatusOf(ctx context.Context, id string) (enroll.Status, error)
}

// Keyring is the signing keyring; *signing.Keyring implements it.
type Keyring interface {
	Active() (signing.Signer, error)
	Published() (*signing.KeySet, error)
}

// Translator turns message keys into text; *i18n.Bundle implements it.
type Translator interface {
	T(lang, key string, args ...any) string
}

// Options are the optional dependencies of New.
type Options struct {
	Now  func() time.Time // nil: time.Now
	Rand io.Reader        // nil: crypto/rand
	// StatusTTL is how long verifiers and caches may keep a status list
	// (its ttl claim and Cache-Control max-age): the longest a revocation
	// takes to reach an offline verifier. Default 15 minutes.
	StatusTTL time.Duration
	// ListSize is the number of entries per status list; at least
	// statuslist.RecommendedSize (131,072), the default.
	ListSize int
	// Seal is the city seal image (PNG or JPEG bytes), read by the caller
	// from Settings.Card.SealImage; nil draws a placeholder seal.
	Seal []byte
}

// Service runs the card lifecycle.
type Service struct {
	db       Store
	apps     Applications
	keys     Keyring
	tr       Translator
	settings config.Settings
	now      func() time.Time
	rand     io.Reader
	ttl      time.Duration
	listSize int
	loc      *time.Location
	renderer *render.Renderer

	mu      sync.Mutex
	tokens  map[tokenKey]signedList // signed status lists by list and format
	onPrint func(context.Context, []Card)
}

// New returns a Service.
func New(db Store, apps Applications, keys Keyring, tr Translator, s config.Settings, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.StatusTTL <= 0 {
		o.StatusTTL = 15 * time.Minute
	}
	if o.ListSize == 0 {
		o.ListSize = minListSize
	}
	if o.ListSize < minListSize {
		return nil, fmt.Errorf("card: status lists need at least %d entries for herd privacy, got %d", minListSize, o.ListSize)
	}
	loc, err := time.LoadLocation(s.Program.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	style, err := styleFor(s, tr, o.Seal)
	if err != nil {
		return nil, err
	}
	r, err := render.New(style)
	if err != nil {
		return nil, err
	}
	return &Service{db: db, apps: apps, keys: keys, tr: tr, settings: s, now: o.Now, rand: o.Rand,
		ttl: o.StatusTTL, listSize: o.ListSize, loc: loc, renderer: r, tokens: map[tokenKey]signedList{}}, nil
}

func (s *Service) today() person.Date { return person.DateOf(s.now().In(s.loc)) }

// fromRow converts a store row.
func fromRow(r Record) Card {
	n, _ := ParseNumber(r.Number)
	return Card{ID: r.ID, Number: n, ApplicationID: r.ApplicationID, PersonID: r.PersonID, Kind: r.Kind,
		Status: r.Status, StatusListID: r.StatusListID, StatusIndex: r.StatusIndex, KeyID: r.KeyID,
		IssuedOn: person.DateOf(r.IssuedAt), ExpiresOn: person.DateOf(r.ExpiresAt), PrintedAt: r.PrintedAt,
		PrintCount: r.PrintCount, HandedOverAt: r.HandedOverAt, Replaces: r.Replaces, ReplacedBy: r.ReplacedBy,
		FeeCents: r.FeeCents, WaiverReason: r.WaiverReason, Reason: r.Reason, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// canManage: supervisors issue, print and change cards; clerks may hand
// printed cards over at their desk.
func canManage(by auth.Actor) bool { return by.Can(auth.RoleSupervisor) }

// deny records a refused attempt and returns err.
func (s *Service) deny(ctx context.Context, by auth.Actor, action, id string, err error) error {
	// A refusal changes nothing: its event goes through the audit group
	// commit (one turn on the chain's lock for all waiting), not a
	// transaction of its own.
	auditErr := s.db.Audit(ctx, audit.Event{At: s.now(), Actor: by.StaffID, Action: action, RecordType: "card", RecordID: safeID(id), Outcome: audit.OutcomeDenied})
	return errors.Join(fmt.Errorf("card %s: %w", safeID(id), err), auditErr)
}

// safeID keeps a caller-supplied id usable as an audit record id.
func safeID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// errRetry marks a conflict worth retrying the whole transaction for: a
// drawn number or list index already taken, or a status list changed by
// another writer.
var errRetry = errors.New("retry")

const maxRetries = 5

// inTx runs fn in a transaction, retrying on errRetry.
func (s *Service) inTx(ctx context.Context, fn func(tx Tx) error) error {
	var err error
	for range maxRetries {
		err = s.db.InTx(ctx, fn)
		if !errors.Is(err, errRetry) {
			return err
		}
	}
	return fmt.Errorf("card: gave up after %d conflicting attempts: %w", maxRetries, err)
}

// retryable turns a store conflict into errRetry.
func retryable(err error) error {
	if errors.Is(err, errs.ErrWriteConflict) {
		return fmt.Errorf("%w: %w", errRetry, err)
	}
	return err
}

// Get returns a card by id. Any staff role may look: a card row holds no
// personal data.
func (s *Service) Get(ctx context.Context, id string) (Card, error) {
	r, err := s.db.Card(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return Card{}, fmt.Errorf("%w: %w", errs.ErrNotFound, err)
	}
	if err != nil {
		return Card{}, err
	}
	return fromRow(r), nil
}

// ByNumber returns the card with a number as typed (spaces and dashes allowed).
func (s *Service) ByNumber(ctx context.Context, typed string) (Card, error) {
	n, err := ParseNumber(typed)
	if err != nil {
		return Card{}, err
	}
	r, err := s.db.CardByNumber(ctx, n.Compact())
	if errors.Is(err, errs.ErrNotFound) {
		return Card{}, fmt.Errorf("%w: %w", errs.ErrNotFound, err)
	}
	if err != nil {
		return Card{}, err
	}
	return fromRow(r), nil
}

// Filter selects cards for a list.
type Filter struct {
	ApplicationID string
	Statuses      []Status
	Unprinted     bool // the print queue
	// AwaitingPickup: printed, not yet handed over.
	AwaitingPickup bool
	PrintedBefore  time.Time // only cards first printed before this (zero: any)
	SiteID         string    // only cards of applications taken at this site
	ExpiresBefore  time.Time // only cards expiring before this (zero: any)
	Limit, Offset  int       // limit: default 50, at most 1000
}

// List returns cards, oldest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Card, error) {
	rows, err := s.db.ListCards(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]Card, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// Queue returns the active cards waiting to be printed.
func (s *Service) Queue(ctx context.Context, limit int) ([]Card, error) {
	return s.List(ctx, Filter{Statuses: []Status{StatusActive}, Unprinted: true, Limit: limit})
}

// validity returns the card lifetime in years for a holder born on dob.
func (s *Service) validity(dob, today person.Date) int {
	c := s.settings.Card
	if fee.Category(s.settings.Fees, dob, today) == fee.CategoryChild && c.ChildValidityYears > 0 {
		return c.ChildValidityYears
	}
	return c.ValidityYears
}

// Issue turns an approved application into an active card in the print
// queue, moving the application to "issued" in the same transaction. A
// second Issue for the same application fails with ErrState.
func (s *Service) Issue(ctx context.Context, by auth.Actor, applicationID string) (Card, error) {
	if !canManage(by) {
		return Card{}, s.deny(ctx, by, "card.issue", applicationID, errs.ErrForbidden)
	}
	// Check the step before opening the record: a refused issue reads nothing.
	st, err := s.apps.StatusOf(ctx, applicationID)
	if err != nil {
		return Card{}, fmt.Errorf("issue card: %w", err)
	}
	if st != enroll.StatusApproved {
		return Card{}, fmt.Errorf("application %s is %s: %w", applicationID, st, ErrState)
	}
	// Four eyes before the read too: an approver issuing their own
	// approval is refused without opening the record.
	waived, err := s.checkFourEyes(ctx, by, applicationID)
	if err != nil {
		return Card{}, err
	}
	app, err := s.apps.Get(ctx, by, applicationID, enroll.PurposeIssue)
	if err != nil {
		return Card{}, fmt.Errorf("issue card: %w", err)
	}
	if app.Status != enroll.StatusApproved {
		return Card{}, fmt.Errorf("application %s is %s: %w", app.ID, app.Status, ErrState)
	}
	signer, err := s.keys.Active()
	if err != nil {
		return Card{}, fmt.Errorf("issue card: %w", err)
	}
	today := s.today()
	var out Card
	err = s.inTx(ctx, func(tx Tx) error {
		now := s.now().UTC()
		if err := tx.SetApplicationStatus(ctx, app.ID, enroll.StatusApproved, enroll.StatusIssued, "", by.StaffID, nil, now); err != nil {
			if errors.Is(err, errs.ErrWriteConflict) {
				return fmt.Errorf("%w: %w", ErrState, err)
			}
			return err
		}
		row, err := s.newCard(ctx, tx, Record{ApplicationID: app.ID, PersonID: app.PersonID, Kind: KindNew,
			KeyID: signer.KeyID(), IssuedAt: today.Time(), ExpiresAt: today.AddYears(s.validity(app.Person.DateOfBirth, today)).Time(),
			FeeCents: app.Payment.AmountCents, WaiverReason: app.Payment.WaiverReason}, now)
		if err != nil {
			return err
		}
		ev := audit.Event{At: now, Actor: by.StaffID, Action: "card.issue", RecordType: "card", RecordID: row.ID}
		if waived {
			ev.Purpose = enroll.FourEyesWaived
			if err := tx.InsertCardReview(ctx, ReviewRecord{CardID: row.ID, Reason: enroll.FourEyesWaived, CreatedAt: now}); err != nil {
				return err
			}
		}
		if err := tx.AppendAudit(ctx, ev); err != nil {
			return err
		}
		out = fromRow(row)
		return nil
	})
	return out, err
}

// newCard inserts row as a new active card with a fresh id, random number
// and random status-list index.
func (s *Service) newCard(ctx context.Context, tx Tx, row Record, now time.Time) (Record, error) {
	id, err := randid.New(s.rand, "crd")
	if err != nil {
		return Record{}, err
	}
	list, idx, err := s.allocate(ctx, tx, now)
	if err != nil {
		return Record{}, err
	}
	row.ID, row.Number, row.Status = id, NewNumber(s.rand).Compact(), StatusActive
	row.StatusListID, row.StatusIndex, row.CreatedAt, row.UpdatedAt = list, idx, now, now
	if err := tx.InsertCard(ctx, row); err != nil {
		return Record{}, retryable(err)
	}
	return row, nil
}

// change moves card id from one of the statuses in from to status to,
// setting its status-list entry in the same transaction.
func (s *Service) change(ctx context.Context, by auth.Actor, action, id string, from []Status, to Status, reason string, reasons []string) (Card, error) {
	if !canManage(by) {
		return Card{}, s.deny(ctx, by, "card."+action, id, errs.ErrForbidden)
	}
	if !slices.Contains(reasons, reason) {
		return Card{}, fmt.Errorf("%w: %q for %s", ErrReason, reason, action)
	}
	var out Card
	err := s.inTx(ctx, func(tx Tx) error {
		row, err := s.cardInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, row.Status) {
			return fmt.Errorf("card %s is %s, cannot %s: %w", row.ID, row.Status, action, ErrState)
		}
		now := s.now().UTC()
		if err := tx.SetCardStatus(ctx, row.ID, row.Status, to, reason, now); err != nil {
			if errors.Is(err, errs.ErrWriteConflict) {
				return fmt.Errorf("%w: %w", ErrState, err)
			}
			return err
		}
		if err := s.setListEntry(ctx, tx, row.StatusListID, row.StatusIndex, listValue(to), now); err != nil {
			return err
		}
		if err := s.setPhoneEntries(ctx, tx, row.ID, listValue(to), now); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "card." + action, RecordType: "card", RecordID: row.ID, Purpose: reason}); err != nil {
			return err
		}
		row.Status, row.Reason, row.UpdatedAt = to, reason, now
		out = fromRow(row)
		return nil
	})
	return out, err
}

func (s *Service) cardInTx(ctx context.Context, tx Tx, id string) (Record, error) {
	row, err := tx.Card(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return Record{}, fmt.Errorf("%w: %w", errs.ErrNotFound, err)
	}
	return row, err
}

// Suspend makes an active card fail verification until it is reinstated.
func (s *Service) Suspend(ctx context.Context, by auth.Actor, id, reason string) (Card, error) {
	return s.change(ctx, by, "suspend", id, []Status{StatusActive}, StatusSuspended, reason, SuspendReasons)
}

// Reinstate makes a suspended card verify again.
func (s *Service) Reinstate(ctx context.Context, by auth.Actor, id, reason string) (Card, error) {
	return s.change(ctx, by, "reinstate", id, []Status{StatusSuspended}, StatusActive, reason, ReinstateReasons)
}

// Revoke ends an active or suspended card for good.
func (s *Service) Revoke(ctx context.Context, by auth.Actor, id, reason string) (Card, error) {
	return s.change(ctx, by, "revoke", id, []Status{StatusActive, StatusSuspended}, StatusRevoked, reason, RevokeReasons)
}

// Renew issues a new card for the holder of an active or expired card
// within the renewal window (settings: days before and after expiry). The
// new card is valid for the full period from today; the old one is
// replaced and stops verifying at once.
func (s *Service) Renew(ctx context.Context, by auth.Actor, id string, pay fee.Payment) (Card, error) {
	return s.reissue(ctx, by, id, KindRenewal, "renewal", pay)
}

// Replace issues a new card for a lost, stolen or damaged one (active or
// suspended), keeping the old card's expiry date, for the replacement fee
// or a recorded waiver. The old card stops verifying at once.
func (s *Service) Replace(ctx context.Context, by auth.Actor, id, reason string, pay fee.Payment) (Card, error) {
	if !slices.Contains(ReplacementReasons, reason) {
		return Card{}, fmt.Errorf("%w: %q for replace", ErrReason, reason)
	}
	return s.reissue(ctx, by, id, KindReplacement, reason, pay)
}

// PaymentError lists what is wrong with a payment, as message keys.
type PaymentError struct{ Fields person.Errors }

// Error lists the payment's field errors.
func (e *PaymentError) Error() string { return "invalid payment: " + e.Fields.Error() }

func (s *Service) reissue(ctx context.Context, by auth.Actor, id string, kind Kind, reason string, pay fee.Payment) (Card, error) {
	action := "card." + map[Kind]string{KindRenewal: "renew", KindReplacement: "replace"}[kind]
	if !canManage(by) {
		return Card{}, s.deny(ctx, by, action, id, errs.ErrForbidden)
	}
	old, err := s.Get(ctx, id)
	if err != nil {
		return Card{}, err
	}
	purpose := enroll.PurposeReplacement
	if kind == KindRenewal {
		purpose = enroll.PurposeRenewal
	}
	app, err := s.apps.Get(ctx, by, old.ApplicationID, purpose)
	if err != nil {
		return Card{}, fmt.Errorf("%s: %w", action, err)
	}
	today := s.today()
	from := []Status{StatusActive, StatusSuspended}
	issued, expires := today, old.ExpiresOn
	feeKind := fee.KindReplacement
	if kind == KindRenewal {
		from = []Status{StatusActive, StatusExpired}
		c := s.settings.Card
		opens := old.ExpiresOn.Time().AddDate(0, 0, -c.RenewalWindowBeforeDays)
		closes := old.ExpiresOn.Time().AddDate(0, 0, c.RenewalWindowAfterDays)
		if t := today.Time(); t.Before(opens) || t.After(closes) {
			return Card{}, fmt.Errorf("card %s expires %s; renewal is open %s to %s: %w", old.ID, old.ExpiresOn,
				person.DateOf(opens), person.DateOf(closes), ErrWindow)
		}
		expires = today.AddYears(s.validity(app.Person.DateOfBirth, today))
		feeKind = fee.KindRenewal
	}
	if !slices.Contains(from, old.Status) {
		return Card{}, fmt.Errorf("card %s is %s, cannot %s: %w", old.ID, old.Status, action, ErrState)
	}
	if kind == KindReplacement && old.ExpiresOn.Before(today) {
		// A replacement keeps the expiry date: an expired card is renewed instead.
		return Card{}, fmt.Errorf("card %s expired on %s, renew it instead: %w", old.ID, old.ExpiresOn, ErrState)
	}
	q := fee.Compute(s.settings.Fees, feeKind, app.Person.DateOfBirth, today)
	if errs := fee.ValidatePayment(s.settings.Fees, q, pay); len(errs) > 0 {
		return Card{}, &PaymentError{Fields: errs}
	}
	signer, err := s.keys.Active()
	if err != nil {
		return Card{}, fmt.Errorf("%s: %w", action, err)
	}
	// The fee goes into the drawer of the staff member's site, or of the
	// application's site for staff without one (the cash reconciliation).
	site, method := by.SiteID, pay.Method
	if site == "" {
		site = app.SiteID
	}
	if pay.IsWaiver() {
		method = fee.MethodWaiver
	}
	var out Card
	err = s.inTx(ctx, func(tx Tx) error {
		now := s.now().UTC()
		cur, err := s.cardInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, cur.Status) {
			return fmt.Errorf("card %s is %s, cannot %s: %w", cur.ID, cur.Status, action, ErrState)
		}
		// The old card's list is locked before the open list the new card
		// draws from, always in that order (the open list is the newest),
		// so two reissues cannot deadlock on PostgreSQL.
		if err := s.setListEntry(ctx, tx, cur.StatusListID, cur.StatusIndex, listValue(StatusReplaced), now); err != nil {
			return err
		}
		if err := s.setPhoneEntries(ctx, tx, cur.ID, statuslist.Invalid, now); err != nil {
			return err
		}
		row, err := s.newCard(ctx, tx, Record{ApplicationID: cur.ApplicationID, PersonID: cur.PersonID, Kind: kind,
			KeyID: signer.KeyID(), IssuedAt: issued.Time(), ExpiresAt: expires.Time(), Replaces: cur.ID,
			FeeCents: pay.AmountCents, WaiverReason: pay.WaiverReason, FeeTakenBy: by.StaffID, FeeSiteID: site, PaymentMethod: method}, now)
		if err != nil {
			return err
		}
		if err := tx.SetCardReplacedBy(ctx, cur.ID, cur.Status, row.ID, reason, now); err != nil {
			if errors.Is(err, errs.ErrWriteConflict) {
				return fmt.Errorf("%w: %w", ErrState, err)
			}
			return err
		}
		if err := tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: action, RecordType: "card", RecordID: row.ID, Purpose: reason}); err != nil {
			return err
		}
		out = fromRow(row)
		return nil
	})
	return out, err
}

// ExpireDue records as expired every active card whose expiry date has
// passed, and returns how many. Verifiers already refuse them by the exp
// in the QR; this keeps staff lists and statistics right.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	today := s.today()
	n := 0
	for {
		rows, err := s.db.ListCards(ctx, Filter{Statuses: []Status{StatusActive}, ExpiresBefore: today.Time(), Limit: 500})
		if err != nil {
			return n, err
		}
		if len(rows) == 0 {
			return n, nil
		}
		err = s.db.InTx(ctx, func(tx Tx) error {
			now := s.now().UTC()
			for _, r := range rows {
				if err := tx.SetCardStatus(ctx, r.ID, StatusActive, StatusExpired, "expired", now); err != nil {
					if errors.Is(err, errs.ErrWriteConflict) {
						continue // changed meanwhile; nothing to expire
					}
					return err
				}
				if err := tx.AppendAudit(ctx, audit.Event{At: now, Actor: auth.System().StaffID, Action: "card.expire", RecordType: "card", RecordID: r.ID}); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
}

// checkFourEyes refuses (audited) the issue of a card by the person who
// approved its application, unless the site is a single-person site; then
// (or when the approver had also taken or edited the application there) it
// reports waived, and the card is listed for a second review. The system
// actor (the operator's command line) is outside the rule.
func (s *Service) checkFourEyes(ctx context.Context, by auth.Actor, appID string) (waived bool, err error) {
	if by.StaffID == auth.System().StaffID {
		return false, nil
	}
	handlers, err := s.apps.Handlers(ctx, appID)
	if err != nil {
		return false, err
	}
	decider, err := s.apps.Decider(ctx, appID)
	if err != nil {
		return false, err
	}
	site, err := s.apps.SiteOf(ctx, appID)
	if err != nil {
		return false, err
	}
	single := s.apps.SinglePersonSite(site)
	if by.StaffID == decider && !single {
		return false, s.deny(ctx, by, "card.issue", appID, enroll.ErrFourEyes)
	}
	return single && (by.StaffID == decider || handlers[decider]), nil
}

// SecondReview is a card listed for a second look: four eyes were waived
// at a single-person site.
type SecondReview struct {
	Card   Card
	Reason string
	Listed time.Time
}

// SecondReviews lists the cards waiting for a second review (supervisors).
func (s *Service) SecondReviews(ctx context.Context, by auth.Actor) ([]SecondReview, error) {
	if !canManage(by) {
		return nil, s.deny(ctx, by, "card.second_review", "list", errs.ErrForbidden)
	}
	rows, err := s.db.PendingCardReviews(ctx, 500)
	if err != nil {
		return nil, err
	}
	out := make([]SecondReview, 0, len(rows))
	for _, r := range rows {
		c, err := s.Get(ctx, r.CardID)
		if err != nil {
			return nil, err
		}
		out = append(out, SecondReview{Card: c, Reason: r.Reason, Listed: r.CreatedAt})
	}
	return out, nil
}

// CompleteSecondReview records that another supervisor, who neither took,
// edited, approved nor issued the card's application, looked at it.
func (s *Service) CompleteSecondReview(ctx context.Context, by auth.Actor, cardID string) error {
	if !canManage(by) {
		return s.deny(ctx, by, "card.second_review", cardID, errs.ErrForbidden)
	}
	c, err := s.Get(ctx, cardID)
	if err != nil {
		return err
	}
	handlers, err := s.apps.Handlers(ctx, c.ApplicationID)
	if err != nil {
		return err
	}
	issuers, err := s.db.AuditEvents(ctx, audit.Filter{RecordType: "card", RecordID: c.ID, Action: "card.issue", Limit: 10})
	if err != nil {
		return err
	}
	for _, e := range issuers {
		handlers[e.Actor] = true
	}
	decider, err := s.apps.Decider(ctx, c.ApplicationID)
	if err != nil {
		return err
	}
	handlers[decider] = true
	if handlers[by.StaffID] {
		return s.deny(ctx, by, "card.second_review", cardID, enroll.ErrFourEyes)
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		now := s.now().UTC()
		if err := tx.CompleteCardReview(ctx, c.ID, by.StaffID, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: now, Actor: by.StaffID, Action: "card.second_review", RecordType: "card", RecordID: c.ID})
	})
}

// RecordLostReport records that the holder of an application's card
// reported it lost when no active card was left to suspend (already
// suspended, or none issued): the report is audited all the same.
func (s *Service) RecordLostReport(ctx context.Context, applicationID string) error {
	// Nothing changes: the event goes through the audit group commit. The
	// log's outcomes are "ok" and "denied" (audit.Validate); that no card
	// was left to suspend is the event's purpose.
	return s.db.Audit(ctx, audit.Event{At: s.now(), Actor: "resident", Action: "card.report_lost", RecordType: "application", RecordID: safeID(applicationID), Purpose: "no_active_card"})
}
