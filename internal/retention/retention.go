// Package retention forgets on schedule: per-class retention policies, the
// purge that erases people whose time is up (crypto-shredding: the data key
// and the rows go together), "no list" mode, the privacy report and the
// daily scheduler.
//
// A purge works person by person in batches; each batch is one transaction
// that destroys the data keys, deletes or blanks the rows, counts the run
// and writes an audit event with counts only, so an interrupted purge leaves
// every person either whole or gone and the next run carries on.
package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/randid"
	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

// Errors callers check with errors.Is.
var (
	// ErrClockSkew: the server clock is earlier than a previous run's start
	// by more than the safety margin; purging now could erase too early.
	ErrClockSkew = errors.New("retention: server clock is behind the last purge run")
	// ErrFuture: a real purge was asked to judge at a time later than the
	// server clock allows; only dry runs may look into the future.
	ErrFuture = errors.New("retention: purge time is in the future")
	// ErrKeyCheck: the master key does not match the database (or the check
	// value is missing); purging refuses rather than guess.
	ErrKeyCheck = errors.New("retention: master key check failed")
)

// Policy is how long each class is kept, in days. A zero period turns its
// rule off (tests use it to look at one rule at a time); the settings
// never allow one, so every class has a rule.
type Policy struct {
	DraftDays                 int // abandoned drafts (and pre-applications), from their last change
	RejectedDays              int // rejected applications, from the decision
	PendingDays               int // submitted, never decided, from the submission
	ApprovedDays              int // approved, card never issued, from the approval
	UncollectedDays           int // cards never handed over, from their issue or last print
	CardholderAfterExpiryDays int // cardholders, from the expiry of their last card
	TicketDays                int // walk-in tickets, from their day
	NoList                    bool
	NoListGraceDays           int // "no list": from the hand-over of the last card
	StaffDisabledDays         int // disabled staff accounts' names, from the disabling
}

// PolicyFrom reads the retention settings.
func PolicyFrom(r config.Retention) Policy {
	return Policy{DraftDays: r.DraftDays, RejectedDays: r.RejectedDays, PendingDays: r.PendingDays, ApprovedDays: r.ApprovedDays,
		UncollectedDays: r.UncollectedDays, CardholderAfterExpiryDays: r.CardholderAfterExpiryDays, TicketDays: r.TicketDays,
		NoList: r.NoListMode, NoListGraceDays: r.NoListGraceDays, StaffDisabledDays: r.StaffDisabledDays}
}

// LongestDays is the longest time, in days after its reference event, that
// any class keeps personal data (the "no list" grace is shorter than the
// cardholder rule it precedes). Backups use it: a backup older than this
// plus the margin holds nobody a purge has not since erased.
func (p Policy) LongestDays() int {
	return max(p.DraftDays, p.RejectedDays, p.PendingDays, p.ApprovedDays, p.UncollectedDays,
		p.CardholderAfterExpiryDays, p.TicketDays)
}

// Options tune the engine; zero values take the defaults.
type Options struct {
	// Margin is added to every due time and bounds the clock-skew check
	// (default 24 h).
	Margin time.Duration
	// BatchSize is how many people one transaction erases (default 500).
	BatchSize int
	Now       func() time.Time // server clock (default time.Now)
	Rand      io.Reader        // run ids (required)
	Log       *slog.Logger     // counts only, never ids or names
	// AfterBatch, when set, is called after each committed batch (tests use
	// it to interrupt a run).
	AfterBatch func(class store.DueClass, done int)
	// Erased, when set, is called after each committed batch with the ids
	// of the applications whose personal data the batch erased, so the
	// server can drop them from in-memory indexes (duplicate screening).
	Erased func(applicationIDs []string)
}

// Engine runs purges over one database.
type Engine struct {
	db  *store.DB
	v   *vault.Vault
	enc *linkage.Encoder
	pol Policy
	o   Options
}

// New returns an engine. matchKey is the key of the "no list" match
// encodings (vault.Keys.MatchKey).
func New(db *store.DB, v *vault.Vault, matchKey []byte, p Policy, o Options) (*Engine, error) {
	enc, err := linkage.NewEncoder(matchKey)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	if o.Margin <= 0 {
		o.Margin = 24 * time.Hour
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		return nil, errors.New("retention: Options.Rand is required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Engine{db: db, v: v, enc: enc, pol: p, o: o}, nil
}

// Classes in purge order: the full erasures first, so a cardholder whose
// cards expired long ago is erased, not merely reduced.
var Classes = []store.DueClass{store.DuePreapp, store.DueDraft, store.DueRejected, store.DuePending, store.DueApproved,
	store.DueUncollected, store.DueExpired, store.DueNoList, store.DueTickets}

// Cutoffs returns the due query judged at: a record is due when its
// reference time plus its retention period plus the margin lies before at.
func (e *Engine) Cutoffs(at time.Time) store.DueQuery {
	cut := func(days int) time.Time {
		if days <= 0 {
			return time.Time{}
		}
		return at.Add(-e.o.Margin).AddDate(0, 0, -days)
	}
	q := store.DueQuery{
		DraftIdleBefore:   cut(e.pol.DraftDays),
		RejectedBefore:    cut(e.pol.RejectedDays),
		PendingBefore:     cut(e.pol.PendingDays),
		ApprovedBefore:    cut(e.pol.ApprovedDays),
		UncollectedBefore: cut(e.pol.UncollectedDays),
		ExpiredBefore:     cut(e.pol.CardholderAfterExpiryDays),
	}
	if e.pol.NoList {
		// Grace 0 is allowed: erase as soon as the margin has passed.
		q.HandedOverBefore = at.Add(-e.o.Margin).AddDate(0, 0, -max(e.pol.NoListGraceDays, 0))
	}
	return q
}

// Plan is what a purge judged at JudgedAt erases: people per class.
type Plan struct {
	JudgedAt   time.Time
	NoList     bool
	ModeChange bool // the "no list" setting differs from the last run's
	Due        map[store.DueClass]int
}

// Total is the number of people the plan touches.
func (p Plan) Total() int {
	n := 0
	for _, v := range p.Due {
		n += v
	}
	return n
}

const metaNoList = "retention_no_list"

// Plan counts what a purge at `at` would erase, changing nothing (a dry
// run). at may lie in the future to preview a later purge.
func (e *Engine) Plan(ctx context.Context, at time.Time) (Plan, error) {
	q := e.Cutoffs(at)
	p := Plan{JudgedAt: at.UTC(), NoList: e.pol.NoList, Due: map[store.DueClass]int{}}
	n, err := e.db.CountExpiredPreapplications(ctx, at.Add(-e.o.Margin))
	if err != nil {
		return Plan{}, err
	}
	p.Due[store.DuePreapp] = n
	if day, ok := e.ticketCutoff(at); ok {
		if p.Due[store.DueTickets], err = e.db.CountOldTickets(ctx, day); err != nil {
			return Plan{}, err
		}
	}
	for _, c := range Classes {
		if c == store.DuePreapp || c == store.DueTickets {
			continue // counted above: not people, and their own cut-offs
		}
		n, err := e.db.CountDue(ctx, c, q)
		if err != nil {
			return Plan{}, err
		}
		p.Due[c] = n
	}
	last, err := e.db.Meta(ctx, metaNoList)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.ModeChange = e.pol.NoList // first run: only "on" is a change from the default
	case err != nil:
		return Plan{}, err
	default:
		p.ModeChange = (string(last) == "1") != e.pol.NoList
	}
	return p, nil
}

// Result is what a purge did.
type Result struct {
	RunID    string
	Plan     Plan                   // what was due at the start
	Done     map[store.DueClass]int // people erased or reduced per class
	Rows     store.Erased           // rows removed or blanked
	Skipped  int                    // "no list" people whose data could not be opened (left whole)
	Staff    int                    // disabled staff accounts whose names were replaced
	Finished bool                   // false when interrupted (ctx cancelled)
}

// Purge erases everything due at `at`. It refuses to run when the master key
// does not match the database, when the server clock is behind an earlier
// run by more than the margin, or when at is later than the server clock
// plus the margin. Cancelling ctx stops it between batches; every committed
// batch is whole, and the next run continues where this one stopped.
func (e *Engine) Purge(ctx context.Context, at time.Time) (Result, error) {
	if err := e.checkKey(ctx); err != nil {
		return Result{}, err
	}
	now := e.o.Now().UTC()
	if at.After(now.Add(e.o.Margin)) {
		return Result{}, fmt.Errorf("judging at %s, server clock %s: %w", at.UTC().Format(time.RFC3339), now.Format(time.RFC3339), ErrFuture)
	}
	last, err := e.db.LatestRunStart(ctx)
	if err != nil {
		return Result{}, err
	}
	if !last.IsZero() && now.Before(last.Add(-e.o.Margin)) {
		return Result{}, fmt.Errorf("server clock %s, last run started %s: %w", now.Format(time.RFC3339), last.Format(time.RFC3339), ErrClockSkew)
	}
	plan, err := e.Plan(ctx, at)
	if err != nil {
		return Result{}, err
	}
	id, err := randid.New(e.o.Rand, "ret")
	if err != nil {
		return Result{}, err
	}
	res := Result{RunID: id, Plan: plan, Done: map[store.DueClass]int{}}
	run := store.RetentionRun{ID: id, StartedAt: now, JudgedAt: at.UTC(), NoList: e.pol.NoList}
	err = e.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertRetentionRun(ctx, run); err != nil {
			return err
		}
		if plan.ModeChange {
			mode := map[bool]string{true: "no_list_on", false: "no_list_off"}[e.pol.NoList]
			if err := tx.AppendAudit(ctx, audit.Event{At: now, Actor: systemActor, Action: "retention.mode_change",
				RecordType: recordRun, RecordID: id, Purpose: mode}); err != nil {
				return err
			}
		}
		return tx.SetMeta(ctx, metaNoList, []byte(map[bool]string{true: "1", false: "0"}[e.pol.NoList]))
	})
	if err != nil {
		return Result{}, err
	}
	q := e.Cutoffs(at)
	for _, c := range Classes {
		purge := func() error { return e.purgeClass(ctx, c, q, &run, &res) }
		switch c {
		case store.DuePreapp:
			purge = func() error { return e.purgePreapps(ctx, at, &run, &res) }
		case store.DueTickets:
			purge = func() error { return e.purgeTickets(ctx, at, &run, &res) }
		}
		if err := purge(); err != nil {
			// The committed batches are whole; fold them out of the WAL even
			// when stopping early.
			cpErr := e.db.Checkpoint(context.WithoutCancel(ctx))
			if ctx.Err() != nil {
				e.o.Log.Info("purge interrupted", "run", id, "erased", run.Erased, "reduced", run.Reduced)
				return res, cpErr
			}
			return res, err
		}
	}
	if err := e.purgeStaff(ctx, at, &res); err != nil {
		return res, err
	}
	run.FinishedAt = e.o.Now().UTC()
	if err := e.db.InTx(ctx, func(tx *store.Tx) error {
		if err := e.setCounts(&run, &res); err != nil {
			return err
		}
		if err := tx.UpdateRetentionRun(ctx, run); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: run.FinishedAt, Actor: systemActor, Action: "retention.purge_done",
			RecordType: recordRun, RecordID: id, Purpose: countPurpose("total", run.Erased+run.Reduced)})
	}); err != nil {
		return res, err
	}
	res.Finished = true
	// Fold the WAL into the main file (whose freed pages secure_delete has
	// zeroed) and truncate it, so no old page of an erased person remains.
	if err := e.db.Checkpoint(ctx); err != nil {
		return res, fmt.Errorf("checkpoint after purge: %w", err)
	}
	e.o.Log.Info("purge done", "run", id, "erased", run.Erased, "reduced", run.Reduced, "skipped", res.Skipped)
	return res, nil
}

const (
	systemActor = "system"
	recordRun   = "retention_run"
)

func (e *Engine) setCounts(run *store.RetentionRun, res *Result) error {
	counts := map[string]int{"applications": res.Rows.Applications, "preapplication_rows": res.Rows.Preapplications, "cards": res.Rows.Cards,
		"encodings": res.Rows.Encodings, "skipped": res.Skipped, "staff_anonymized": res.Staff}
	for c, n := range res.Done {
		counts[string(c)] = n
	}
	b, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	run.Counts = string(b)
	return nil
}

// purgeStaff replaces the names of staff accounts disabled longer than the
// policy allows, a batch per transaction, with an audit event per account
// (by id: the auditor sees which account lost its name and when).
func (e *Engine) purgeStaff(ctx context.Context, at time.Time, res *Result) error {
	if e.pol.StaffDisabledDays <= 0 {
		return nil
	}
	before := at.Add(-time.Duration(e.pol.StaffDisabledDays)*24*time.Hour - e.o.Margin)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var ids []string
		err := e.db.InTx(ctx, func(tx *store.Tx) error {
			now := e.o.Now().UTC()
			var err error
			if ids, err = tx.AnonymizeDisabledStaff(ctx, before, now, e.o.BatchSize); err != nil {
				return err
			}
			for _, id := range ids {
				if err := tx.AppendAudit(ctx, audit.Event{At: now, Actor: systemActor, Action: "retention.staff_anonymize",
					RecordType: "staff", RecordID: id}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		res.Staff += len(ids)
		if len(ids) < e.o.BatchSize {
			return nil
		}
	}
}

// purgeClass erases class c in batches until nothing is due.
func (e *Engine) purgeClass(ctx context.Context, c store.DueClass, q store.DueQuery, run *store.RetentionRun, res *Result) error {
	skipped := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ids, err := e.db.DuePersons(ctx, c, q, e.o.BatchSize, skipped)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		var encodings map[string][]byte
		if c == store.DueNoList {
			// Open the data before the transaction: only reading, and a
			// person whose data cannot be opened stays whole.
			encodings = map[string][]byte{}
			for _, id := range ids {
				enc, err := e.encode(ctx, id)
				if err != nil {
					e.o.Log.Warn("no-list erasure skipped a person whose data could not be opened", "error", err)
					skipped++
					res.Skipped++
					continue
				}
				encodings[id] = enc
			}
		}
		var batch store.Erased
		var appIDs []string
		done := 0
		err = e.db.InTx(ctx, func(tx *store.Tx) error {
			at := e.o.Now().UTC()
			batch, done = store.Erased{}, 0
			if e.o.Erased != nil {
				var err error
				if appIDs, err = tx.ApplicationIDsOf(ctx, ids); err != nil {
					return err
				}
			}
			if c != store.DueNoList {
				slots, err := tx.CardSlotsOf(ctx, ids)
				if err != nil {
					return err
				}
				if err := card.RetireSlots(ctx, tx, slots, at); err != nil {
					return err
				}
				n, err := tx.ErasePersons(ctx, ids)
				if err != nil {
					return err
				}
				batch, done = n, n.Persons
			}
			for _, id := range ids {
				enc, ok := encodings[id]
				if !ok {
					continue
				}
				n, err := tx.ReducePerson(ctx, id, enc, at)
				if err != nil {
					return err
				}
				done += n.Persons
				batch = batch.Add(n)
			}
			r := *run
			r2 := *res
			r2.Done = copyCounts(res.Done)
			r2.Done[c] += done
			r2.Rows = res.Rows.Add(batch)
			if c == store.DueNoList {
				r.Reduced += done
			} else {
				r.Erased += done
			}
			if err := e.setCounts(&r, &r2); err != nil {
				return err
			}
			if err := tx.UpdateRetentionRun(ctx, r); err != nil {
				return err
			}
			return tx.AppendAudit(ctx, audit.Event{At: at, Actor: systemActor, Action: "retention.erase",
				RecordType: recordRun, RecordID: run.ID, Purpose: countPurpose(c, done)})
		})
		if err != nil {
			return err
		}
		res.Done[c] += done
		res.Rows = res.Rows.Add(batch)
		if c == store.DueNoList {
			run.Reduced += done
		} else {
			run.Erased += done
		}
		if e.o.Erased != nil && len(appIDs) > 0 {
			e.o.Erased(appIDs)
		}
		if e.o.AfterBatch != nil {
			e.o.AfterBatch(c, res.Done[c])
		}
	}
}

// purgePreapps erases the pre-applications that expired (plus the margin)
// before at, in one transaction with its audit event. Their expiry is set
// by the resident site when they are made.
func (e *Engine) purgePreapps(ctx context.Context, at time.Time, run *store.RetentionRun, res *Result) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var n int
	err := e.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = tx.PurgePreapplications(ctx, at.Add(-e.o.Margin)); err != nil || n == 0 {
			return err
		}
		r, r2 := *run, *res
		r2.Done = copyCounts(res.Done)
		r2.Done[store.DuePreapp] += n
		r2.Rows.Preapplications += n
		if err := e.setCounts(&r, &r2); err != nil {
			return err
		}
		if err := tx.UpdateRetentionRun(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: e.o.Now().UTC(), Actor: systemActor, Action: "retention.erase",
			RecordType: recordRun, RecordID: run.ID, Purpose: countPurpose(store.DuePreapp, n)})
	})
	if err != nil {
		return err
	}
	res.Done[store.DuePreapp] += n
	res.Rows.Preapplications += n
	return nil
}

// ticketCutoff is the first day whose walk-in tickets are kept when judging
// at `at` (tickets carry a calendar day, not a time).
func (e *Engine) ticketCutoff(at time.Time) (string, bool) {
	if e.pol.TicketDays <= 0 {
		return "", false
	}
	return at.Add(-e.o.Margin).AddDate(0, 0, -e.pol.TicketDays).UTC().Format(time.DateOnly), true
}

// purgeTickets erases the walk-in tickets of days past their period, in one
// transaction with its audit event.
func (e *Engine) purgeTickets(ctx context.Context, at time.Time, run *store.RetentionRun, res *Result) error {
	day, ok := e.ticketCutoff(at)
	if !ok {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var n int
	err := e.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = tx.PurgeTickets(ctx, day); err != nil || n == 0 {
			return err
		}
		r, r2 := *run, *res
		r2.Done = copyCounts(res.Done)
		r2.Done[store.DueTickets] += n
		if err := e.setCounts(&r, &r2); err != nil {
			return err
		}
		if err := tx.UpdateRetentionRun(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event{At: e.o.Now().UTC(), Actor: systemActor, Action: "retention.erase",
			RecordType: recordRun, RecordID: run.ID, Purpose: countPurpose(store.DueTickets, n)})
	})
	if err != nil {
		return err
	}
	res.Done[store.DueTickets] += n
	return nil
}

// countPurpose puts a batch's count into its audit event, so the hash chain
// itself records how many people each purge erased ("rejected.500"); the
// audit format allows short identifiers only, and never names.
func countPurpose[S ~string](class S, n int) string { return fmt.Sprintf("%s.%d", class, n) }

func copyCounts(m map[store.DueClass]int) map[store.DueClass]int {
	out := make(map[store.DueClass]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// checkKey refuses to run with a master key that does not match the
// database: a purge needs no decryption except for "no list" encodings, but
// a wrong key is a sign of a misconfigured server that should not erase.
func (e *Engine) checkKey(ctx context.Context) error {
	stored, err := e.db.Meta(ctx, "kek_check")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrKeyCheck, err)
	}
	if err := e.v.VerifyCheck(stored); err != nil {
		return fmt.Errorf("%w: %w", ErrKeyCheck, err)
	}
	return nil
}

// encode opens a cardholder's newest application with their data key and
// returns their match encoding (JSON of linkage.Encoding).
func (e *Engine) encode(ctx context.Context, personID string) ([]byte, error) {
	var out []byte
	err := e.db.InTx(ctx, func(tx *store.Tx) error {
		pr, err := tx.Person(ctx, personID)
		if err != nil {
			return err
		}
		if pr.WrappedKey == nil {
			return fmt.Errorf("person data key: %w", vault.ErrKeyDestroyed)
		}
		apps, err := tx.PersonApplications(ctx, personID)
		if err != nil {
			return err
		}
		dk, err := e.v.OpenDataKey(pr.WrappedKey)
		if err != nil {
			return err
		}
		defer dk.Destroy()
		for _, a := range apps {
			if a.Sealed.GivenNames == nil {
				continue
			}
			p, err := enroll.OpenPerson(dk, a)
			if err != nil {
				return err
			}
			enc := e.enc.Encode(linkage.FromPerson(personID, p))
			out, err = json.Marshal(enc)
			return err
		}
		return errors.New("no application with personal data")
	})
	return out, err
}
