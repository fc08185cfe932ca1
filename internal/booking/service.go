package booking

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/randid"
	"github.com/cityid/cityid/internal/store"
)

// Errors callers check with errors.Is.
var (
	ErrFull          = store.ErrFull          // the slot has no seat left
	ErrAlreadyBooked = store.ErrAlreadyBooked // the person holds another booking
	ErrNotReleased   = errors.New("slot is not open for booking")
	ErrPast          = errors.New("slot has already started")
	ErrWaiting       = errors.New("already on the waitlist")
	ErrNoRules       = errors.New("site has no booking rules")
)

// Slot is a published appointment time.
type Slot = store.Slot

// Appointment is a booking.
type Appointment = store.Appointment

// Ticket is a walk-in ticket.
type Ticket = store.Ticket

// Service runs bookings.
type Service struct {
	db   *store.DB
	loc  *time.Location
	now  func() time.Time
	rand io.Reader
}

// New returns a Service in the program's time zone; nil now and random
// mean the real clock and crypto/rand.
func New(db *store.DB, loc *time.Location, now func() time.Time, random io.Reader) *Service {
	if loc == nil {
		loc = time.UTC
	}
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	return &Service{db: db, loc: loc, now: now, rand: random}
}

// Location is the program's time zone.
func (s *Service) Location() *time.Location { return s.loc }

// SetRules validates and stores a site's rules.
func (s *Service) SetRules(ctx context.Context, siteID string, r Rules) error {
	if err := r.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("booking rules: %w", err)
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.SetBookingRules(ctx, store.BookingRules{SiteID: siteID, Rules: string(b), UpdatedAt: s.now()})
	})
}

// Rules returns every site's rules by site id.
func (s *Service) Rules(ctx context.Context) (map[string]Rules, error) {
	rows, err := s.db.BookingRules(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]Rules{}
	for _, row := range rows {
		var r Rules
		if err := json.Unmarshal([]byte(row.Rules), &r); err != nil {
			return nil, fmt.Errorf("booking rules of site %s: %w", row.SiteID, err)
		}
		out[row.SiteID] = r
	}
	return out, nil
}

// AddHoliday closes a site (siteID "" = every site) on day.
func (s *Service) AddHoliday(ctx context.Context, siteID string, day person.Date) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error { return tx.AddHoliday(ctx, siteID, day.String()) })
}

// Publish creates the slots of days from..to (inclusive) at a site from its
// rules, skipping holidays and slots that already exist. It returns how many
// it created.
func (s *Service) Publish(ctx context.Context, siteID string, from, to person.Date) (int, error) {
	all, err := s.Rules(ctx)
	if err != nil {
		return 0, err
	}
	r, ok := all[siteID]
	if !ok {
		// The defaults are what the rules page shows as in effect.
		r = DefaultRules()
	}
	closed, err := s.db.Holidays(ctx, siteID)
	if err != nil {
		return 0, err
	}
	if to.Before(from) || to.Time().Sub(from.Time()) > 400*24*time.Hour {
		return 0, fmt.Errorf("publish %s to %s: want a range of at most 400 days", from, to)
	}
	n := 0
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for d := from; !to.Before(d); d = person.DateOf(d.Time().AddDate(0, 0, 1)) {
			if closed[d.String()] {
				continue
			}
			release := r.ReleaseAt(d, s.loc)
			for _, start := range r.SlotTimes(d, s.loc) {
				id, err := randid.New(s.rand, "slt")
				if err != nil {
					return err
				}
				made, err := tx.InsertSlot(ctx, store.Slot{ID: id, SiteID: siteID, StartsAt: start,
					EndsAt: start.Add(time.Duration(r.SlotMinutes) * time.Minute), Capacity: r.Capacity,
					ReleaseAt: release, Lottery: r.Lottery})
				if err != nil {
					return err
				}
				if made {
					n++
				}
			}
		}
		return nil
	})
	return n, err
}

// Open lists a site's slots that can be booked now: released (and drawn, for
// lottery windows), not started, with a free seat.
func (s *Service) Open(ctx context.Context, siteID string, limit int) ([]Slot, error) {
	now := s.now()
	// Strictly after now: a slot starting this instant can no longer be booked.
	return s.db.Slots(ctx, store.SlotFilter{SiteID: siteID, From: now.Add(time.Microsecond), ReleasedBy: now, OnlyFree: true, Limit: limit})
}

// NextRelease returns the earliest future release time of a site's slots
// (zero when none is scheduled), so the site can say when to come back.
func (s *Service) NextRelease(ctx context.Context, siteID string) (time.Time, bool, error) {
	at, lottery, err := s.db.NextRelease(ctx, siteID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	return at, lottery, err
}

// Request is a booking attempt.
type Request struct {
	SlotID string
	// PreappID is the pre-application (reference code) booking: the
	// booking belongs to it, and only its holder moves or cancels it.
	PreappID string
	// PersonKey is the keyed blind index of name and date of birth. It never
	// decides anything a resident sees: when another pre-application with
	// the same key holds a booking, both are flagged for staff.
	PersonKey []byte
	// RequestKey comes from the form; a retried request (lost connection,
	// double click) returns the booking the first one made.
	RequestKey string
	// Rebook moves the pre-application's own booking to this slot in one
	// transaction: the old seat is kept if the new one is full.
	Rebook bool
}

// digest keeps whatever a client sent as a request key out of the database.
func digest(key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("booking-request\x00" + key))
	return hex.EncodeToString(sum[:16])
}

// Booked is a booking's outcome; Repeat is set when the request key had
// already made it (a retry after a lost connection), so nothing new happened.
// SamePerson (for staff and tests, never shown to the resident) says the
// booking was flagged: another pre-application with the same name and date
// of birth holds one too.
type Booked struct {
	Appointment
	Repeat     bool
	SamePerson bool
}

// Book books a slot for a pre-application. It returns ErrFull,
// ErrAlreadyBooked (the pre-application holds another booking and Rebook is
// off), ErrNotReleased, ErrPast or ErrNotFound; with a repeated request key
// it returns the appointment already made, marked Repeat, and no error.
//
// Only the pre-application's own booking is ever moved or cancelled. A live
// booking of another pre-application with the same person key (the same
// name and date of birth: the same person applying twice, or someone who
// knows her name and birth date) changes nothing the caller sees: the new
// booking is made as any other, and both are flagged for staff.
func (s *Service) Book(ctx context.Context, r Request) (Booked, error) {
	if len(r.RequestKey) > 128 {
		return Booked{}, fmt.Errorf("booking request key too long")
	}
	req := digest(r.RequestKey)
	if req != "" {
		if a, err := s.db.AppointmentByRequestKey(ctx, req); err == nil {
			return Booked{Appointment: a, Repeat: true}, nil
		}
	}
	id, err := randid.New(s.rand, "apt")
	if err != nil {
		return Booked{}, err
	}
	repeat, same := false, false
	var out Appointment
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.now().UTC()
		slot, err := tx.Slot(ctx, r.SlotID)
		if err != nil {
			return err
		}
		switch {
		case slot.ReleaseAt.After(now) || (slot.Lottery && !slot.Drawn):
			return fmt.Errorf("slot %s: %w", slot.ID, ErrNotReleased)
		case !slot.StartsAt.After(now):
			return fmt.Errorf("slot %s: %w", slot.ID, ErrPast)
		}
		if old, err := tx.LiveAppointment(ctx, r.PreappID); err == nil {
			if old.SlotID == slot.ID {
				out, repeat = old, true
				return nil
			}
			if !r.Rebook {
				return fmt.Errorf("slot %s: %w", slot.ID, ErrAlreadyBooked)
			}
			if err := tx.CancelAppointment(ctx, old.ID, now); err != nil {
				return err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		a := store.Appointment{ID: id, SlotID: slot.ID, SiteID: slot.SiteID, PreappID: r.PreappID, PersonKey: r.PersonKey,
			Status: "booked", RequestKey: req, CreatedAt: now, UpdatedAt: now}
		if err := tx.Book(ctx, a); err != nil {
			return err
		}
		if err := tx.ExtendPreapplication(ctx, r.PreappID, slot.EndsAt.Add(24*time.Hour)); err != nil {
			return err
		}
		if len(r.PersonKey) > 0 {
			if same, err = tx.FlagSamePersonBookings(ctx, r.PersonKey); err != nil {
				return err
			}
			if same {
				a.Flag = store.FlagSamePerson
			}
		}
		out = a
		return nil
	})
	if errors.Is(err, store.ErrConflict) && req != "" {
		// Two copies of one request raced; the other one won.
		a, err := s.db.AppointmentByRequestKey(ctx, req)
		return Booked{Appointment: a, Repeat: true}, err
	}
	return Booked{Appointment: out, Repeat: repeat, SamePerson: same}, err
}

// Flagged lists the live bookings staff should look at (another
// pre-application of the same name and date of birth holds one too) at a
// site, or at every site for "".
func (s *Service) Flagged(ctx context.Context, siteID string) ([]Appointment, error) {
	return s.db.FlaggedAppointments(ctx, siteID)
}

// Appointment returns a pre-application's live booking and its slot.
func (s *Service) Appointment(ctx context.Context, preappID string) (Appointment, Slot, error) {
	a, err := s.db.LiveAppointment(ctx, preappID)
	if err != nil {
		return Appointment{}, Slot{}, err
	}
	sl, err := s.db.Slot(ctx, a.SlotID)
	return a, sl, err
}

// Cancel cancels a pre-application's live booking and offers the freed seat
// to the person who has waited longest at that site.
func (s *Service) Cancel(ctx context.Context, preappID string) error {
	a, err := s.db.LiveAppointment(ctx, preappID)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.now().UTC()
		if err := tx.CancelAppointment(ctx, a.ID, now); err != nil {
			return err
		}
		return s.promote(ctx, tx, a.SlotID, now)
	})
}

// promote books the longest-waiting pre-application into slotID, if it
// holds no other booking; it is skipped (not an error) otherwise.
func (s *Service) promote(ctx context.Context, tx *store.Tx, slotID string, now time.Time) error {
	slot, err := tx.Slot(ctx, slotID)
	if err != nil || !slot.StartsAt.After(now) || slot.Booked >= slot.Capacity {
		return err
	}
	w, err := tx.NextWaiting(ctx, slot.SiteID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := tx.LiveAppointment(ctx, w.PreappID); err == nil {
		return tx.SetWaitlistStatus(ctx, w.ID, "left", now)
	}
	id, err := randid.New(s.rand, "apt")
	if err != nil {
		return err
	}
	if err := tx.Book(ctx, store.Appointment{ID: id, SlotID: slot.ID, SiteID: slot.SiteID, PreappID: w.PreappID, PersonKey: w.PersonKey,
		Status: "booked", CreatedAt: now, UpdatedAt: now}); err != nil {
		return err
	}
	if err := tx.ExtendPreapplication(ctx, w.PreappID, slot.EndsAt.Add(24*time.Hour)); err != nil {
		return err
	}
	if _, err := tx.FlagSamePersonBookings(ctx, w.PersonKey); err != nil {
		return err
	}
	return tx.SetWaitlistStatus(ctx, w.ID, "booked", now)
}

// Join puts a pre-application on a site's waitlist and returns its place
// in line (one place per pre-application, whatever its person key).
func (s *Service) Join(ctx context.Context, siteID, preappID string, personKey []byte) (int, error) {
	id, err := randid.New(s.rand, "wtl")
	if err != nil {
		return 0, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.JoinWaitlist(ctx, store.WaitlistEntry{ID: id, SiteID: siteID, PreappID: preappID, PersonKey: personKey, CreatedAt: s.now().UTC()})
	})
	if errors.Is(err, store.ErrConflict) {
		err = ErrWaiting
	}
	if err != nil && !errors.Is(err, ErrWaiting) {
		return 0, err
	}
	_, pos, perr := s.db.WaitlistPosition(ctx, preappID)
	if perr != nil {
		return 0, errors.Join(err, perr)
	}
	return pos, err
}

// Position returns a pre-application's site and place on a waitlist.
func (s *Service) Position(ctx context.Context, preappID string) (string, int, error) {
	return s.db.WaitlistPosition(ctx, preappID)
}

// Enter enters a pre-application in the lottery of a site's next release
// window (one entry per pre-application, whatever its person key).
func (s *Service) Enter(ctx context.Context, siteID string, window time.Time, preappID string, personKey []byte) error {
	id, err := randid.New(s.rand, "lot")
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.EnterLottery(ctx, store.LotteryEntry{ID: id, SiteID: siteID, WindowAt: window, PreappID: preappID, PersonKey: personKey, CreatedAt: s.now().UTC()})
	})
	if errors.Is(err, store.ErrConflict) {
		return ErrWaiting
	}
	return err
}

// Draw runs a release window's lottery once it is due: entries in a random
// order (crypto/rand, Fisher–Yates) get the window's seats earliest slot
// first; the rest go on the waitlist; whatever is left opens to everyone.
func (s *Service) Draw(ctx context.Context, siteID string, window time.Time) (won, waitlisted int, err error) {
	if s.now().Before(window) {
		return 0, 0, fmt.Errorf("draw %s: %w", window.Format(time.RFC3339), ErrNotReleased)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		won, waitlisted = 0, 0
		now := s.now().UTC()
		slots, err := tx.Slots(ctx, store.SlotFilter{SiteID: siteID, ReleaseAt: window, OnlyLottery: true, From: now})
		if err != nil {
			return err
		}
		entries, err := tx.LotteryEntries(ctx, siteID, window)
		if err != nil {
			return err
		}
		if err := s.shuffle(entries); err != nil {
			return err
		}
		si := 0
		for _, e := range entries {
			if _, err := tx.LiveAppointment(ctx, e.PreappID); err == nil {
				if err := tx.SetLotteryOutcome(ctx, e.ID, "already_booked"); err != nil {
					return err
				}
				continue
			}
			for si < len(slots) && slots[si].Booked >= slots[si].Capacity {
				si++
			}
			if si == len(slots) {
				wid, err := randid.New(s.rand, "wtl")
				if err != nil {
					return err
				}
				if _, err := tx.JoinWaitlistIfAbsent(ctx, store.WaitlistEntry{ID: wid, SiteID: siteID, PreappID: e.PreappID, PersonKey: e.PersonKey, CreatedAt: now}); err != nil {
					return err
				}
				waitlisted++
				if err := tx.SetLotteryOutcome(ctx, e.ID, "waitlisted"); err != nil {
					return err
				}
				continue
			}
			id, err := randid.New(s.rand, "apt")
			if err != nil {
				return err
			}
			if err := tx.Book(ctx, store.Appointment{ID: id, SlotID: slots[si].ID, SiteID: siteID, PreappID: e.PreappID, PersonKey: e.PersonKey,
				Status: "booked", CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			if err := tx.ExtendPreapplication(ctx, e.PreappID, slots[si].EndsAt.Add(24*time.Hour)); err != nil {
				return err
			}
			if _, err := tx.FlagSamePersonBookings(ctx, e.PersonKey); err != nil {
				return err
			}
			slots[si].Booked++
			won++
			if err := tx.SetLotteryOutcome(ctx, e.ID, "won"); err != nil {
				return err
			}
		}
		return tx.MarkDrawn(ctx, siteID, window)
	})
	return won, waitlisted, err
}

// DrawDue runs every lottery of a site whose release time has passed. The
// resident site calls it when someone looks at the site, so no scheduler is
// needed; two draws racing for one window cannot both commit (the second
// fails on the one-booking-per-pre-application index and rolls back), and a drawn
// window is never drawn again.
func (s *Service) DrawDue(ctx context.Context, siteID string) error {
	windows, err := s.db.DueLotteryWindows(ctx, siteID, s.now())
	if err != nil {
		return err
	}
	for _, w := range windows {
		if _, _, err := s.Draw(ctx, siteID, w); err != nil {
			return fmt.Errorf("draw %s: %w", w.Format(time.RFC3339), err)
		}
	}
	return nil
}

func (s *Service) shuffle(e []store.LotteryEntry) error {
	for i := len(e) - 1; i > 0; i-- {
		j, err := s.uniform(i + 1)
		if err != nil {
			return err
		}
		e[i], e[j] = e[j], e[i]
	}
	return nil
}

// uniform returns an unbiased random int in [0, n) by rejection sampling.
func (s *Service) uniform(n int) (int, error) {
	limit := ^uint64(0) - ^uint64(0)%uint64(n)
	var b [8]byte
	for {
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return 0, fmt.Errorf("lottery: %w", err)
		}
		if v := binary.BigEndian.Uint64(b[:]); v < limit {
			return int(v % uint64(n)), nil
		}
	}
}

// Take gives a walk-in the next numbered ticket of the day at a site.
func (s *Service) Take(ctx context.Context, siteID string) (Ticket, error) {
	id, err := randid.New(s.rand, "tkt")
	if err != nil {
		return Ticket{}, err
	}
	now := s.now()
	var t Ticket
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		t, err = tx.TakeTicket(ctx, store.Ticket{ID: id, SiteID: siteID, Day: person.DateOf(now.In(s.loc)).String(), CreatedAt: now.UTC()})
		return err
	})
	return t, err
}

// CallNext calls the lowest waiting ticket of the day to desk; ErrNotFound
// when nobody waits.
func (s *Service) CallNext(ctx context.Context, siteID, desk string) (Ticket, error) {
	now := s.now()
	var t Ticket
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		t, err = tx.CallNextTicket(ctx, siteID, person.DateOf(now.In(s.loc)).String(), desk, now.UTC())
		return err
	})
	return t, err
}

// Lobby is what a lobby screen shows: the tickets being served (latest call
// first) and how many wait.
type Lobby struct {
	Serving []Ticket
	Waiting int
}

// Lobby returns today's lobby view of a site.
func (s *Service) Lobby(ctx context.Context, siteID string) (Lobby, error) {
	list, err := s.db.Tickets(ctx, siteID, person.DateOf(s.now().In(s.loc)).String())
	if err != nil {
		return Lobby{}, err
	}
	var l Lobby
	for _, t := range list {
		switch t.Status {
		case "waiting":
			l.Waiting++
		case "called":
			l.Serving = append([]Ticket{t}, l.Serving...)
		}
	}
	if len(l.Serving) > 6 {
		l.Serving = l.Serving[:6]
	}
	return l, nil
}

// Slot returns a slot by id.
func (s *Service) Slot(ctx context.Context, id string) (Slot, error) { return s.db.Slot(ctx, id) }

// DueReminders lists the live bookings starting in [from, to) whose
// reminder has not gone out.
func (s *Service) DueReminders(ctx context.Context, from, to time.Time) ([]Appointment, error) {
	return s.db.DueReminders(ctx, from, to)
}

// MarkReminded records that a booking's reminder went out (or cannot), so
// it is tried once.
func (s *Service) MarkReminded(ctx context.Context, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error { return tx.MarkReminded(ctx, id) })
}

// Counts returns a site's live bookings, the distinct people holding them
// and the distinct slots they fill (the clerk's line page).
func (s *Service) Counts(ctx context.Context, siteID string) (bookings, people, slots int, err error) {
	return s.db.BookingCounts(ctx, siteID)
}
