package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Booking errors, besides ErrNotFound and ErrConflict.
var (
	ErrFull          = errors.New("slot is full")
	ErrAlreadyBooked = errors.New("person already has a booking")
)

// BookingRules is a site's booking configuration as JSON (package booking
// owns its shape).
type BookingRules struct {
	SiteID    string
	Rules     string
	UpdatedAt time.Time
}

// SetBookingRules inserts or replaces a site's rules.
func (tx *Tx) SetBookingRules(ctx context.Context, r BookingRules) error {
	_, err := tx.exec(ctx, `INSERT INTO booking_rules (site_id, rules, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (site_id) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at`,
		r.SiteID, r.Rules, micros(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("set booking rules: %w", err)
	}
	return nil
}

// BookingRules returns every site's rules.
func (db *DB) BookingRules(ctx context.Context) ([]BookingRules, error) {
	rows, err := db.query(ctx, "SELECT site_id, rules, updated_at FROM booking_rules ORDER BY site_id")
	if err != nil {
		return nil, fmt.Errorf("booking rules: %w", err)
	}
	defer rows.Close()
	var out []BookingRules
	for rows.Next() {
		var r BookingRules
		var at int64
		if err := rows.Scan(&r.SiteID, &r.Rules, &at); err != nil {
			return nil, fmt.Errorf("booking rules: %w", err)
		}
		r.UpdatedAt = fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddHoliday closes a site (or every site, siteID "") on day (YYYY-MM-DD).
func (tx *Tx) AddHoliday(ctx context.Context, siteID, day string) error {
	_, err := tx.exec(ctx, "INSERT INTO holidays (site_id, day) VALUES (?, ?) ON CONFLICT (site_id, day) DO NOTHING", siteID, day)
	if err != nil {
		return fmt.Errorf("add holiday: %w", err)
	}
	return nil
}

// Holidays returns the closed days of a site, including city-wide ones.
func (db *DB) Holidays(ctx context.Context, siteID string) (map[string]bool, error) {
	rows, err := db.query(ctx, "SELECT day FROM holidays WHERE site_id = ? OR site_id = ''", siteID)
	if err != nil {
		return nil, fmt.Errorf("holidays: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("holidays: %w", err)
		}
		out[d] = true
	}
	return out, rows.Err()
}

// Slot is a published appointment time at a site.
type Slot struct {
	ID               string
	SiteID           string
	StartsAt, EndsAt time.Time
	Capacity, Booked int
	ReleaseAt        time.Time
	Lottery, Drawn   bool
}

const slotCols = "id, site_id, starts_at, ends_at, capacity, booked, release_at, lottery, drawn"

func scanSlot(s scanner) (Slot, error) {
	var sl Slot
	var starts, ends, release int64
	var lottery, drawn int
	if err := s.Scan(&sl.ID, &sl.SiteID, &starts, &ends, &sl.Capacity, &sl.Booked, &release, &lottery, &drawn); err != nil {
		return Slot{}, err
	}
	sl.StartsAt, sl.EndsAt, sl.ReleaseAt = fromMicros(starts), fromMicros(ends), fromMicros(release)
	sl.Lottery, sl.Drawn = lottery == 1, drawn == 1
	return sl, nil
}

// InsertSlot publishes a slot; an existing slot at the same site and start
// is left alone and reported as false.
func (tx *Tx) InsertSlot(ctx context.Context, s Slot) (bool, error) {
	res, err := tx.exec(ctx, "INSERT INTO slots ("+slotCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, starts_at) DO NOTHING",
		s.ID, s.SiteID, micros(s.StartsAt), micros(s.EndsAt), s.Capacity, s.Booked, micros(s.ReleaseAt), boolInt(s.Lottery), boolInt(s.Drawn))
	if err != nil {
		return false, fmt.Errorf("insert slot: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Slot returns one slot.
func (db *DB) Slot(ctx context.Context, id string) (Slot, error) {
	s, err := scanSlot(db.queryRow(ctx, "SELECT "+slotCols+" FROM slots WHERE id = ?", id))
	if err != nil {
		return Slot{}, notFound(err, "slot "+id)
	}
	return s, nil
}

// SlotFilter selects slots.
type SlotFilter struct {
	SiteID      string
	From, To    time.Time // starts_at in [From, To)
	ReleasedBy  time.Time // zero: any release time
	OnlyFree    bool
	ReleaseAt   time.Time // exact release window, for lottery draws
	OnlyLottery bool
	Limit       int
}

// Slots lists slots by start time.
func (db *DB) Slots(ctx context.Context, f SlotFilter) ([]Slot, error) {
	return slotsQuery(ctx, db.r, db.dialect, f)
}

// Slots lists slots inside the transaction.
func (tx *Tx) Slots(ctx context.Context, f SlotFilter) ([]Slot, error) {
	return slotsQuery(ctx, tx.tx, tx.dialect, f)
}

// rowsQueryer is what *sql.DB and *sql.Tx both offer for reads.
type rowsQueryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func slotsQuery(ctx context.Context, q rowsQueryer, d Dialect, f SlotFilter) ([]Slot, error) {
	where := []string{"site_id = ?"}
	args := []any{f.SiteID}
	if !f.From.IsZero() {
		where, args = append(where, "starts_at >= ?"), append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "starts_at < ?"), append(args, micros(f.To))
	}
	if !f.ReleasedBy.IsZero() {
		where, args = append(where, "release_at <= ?", "(lottery = 0 OR drawn = 1)"), append(args, micros(f.ReleasedBy))
	}
	if !f.ReleaseAt.IsZero() {
		where, args = append(where, "release_at = ?"), append(args, micros(f.ReleaseAt))
	}
	if f.OnlyLottery {
		where = append(where, "lottery = 1")
	}
	if f.OnlyFree {
		where = append(where, "booked < capacity")
	}
	sqlText := "SELECT " + slotCols + " FROM slots WHERE " + strings.Join(where, " AND ") + " ORDER BY starts_at"
	if f.Limit > 0 {
		sqlText += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := q.QueryContext(ctx, rebind(d, sqlText), args...)
	if err != nil {
		return nil, fmt.Errorf("list slots: %w", err)
	}
	defer rows.Close()
	var out []Slot
	for rows.Next() {
		s, err := scanSlot(rows)
		if err != nil {
			return nil, fmt.Errorf("list slots: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// MarkDrawn records that a lottery window's slots were drawn, so what is left
// is open to everyone.
func (tx *Tx) MarkDrawn(ctx context.Context, siteID string, releaseAt time.Time) error {
	_, err := tx.exec(ctx, "UPDATE slots SET drawn = 1 WHERE site_id = ? AND release_at = ? AND lottery = 1", siteID, micros(releaseAt))
	if err != nil {
		return fmt.Errorf("mark drawn: %w", err)
	}
	return nil
}

// Appointment is a booking. It belongs to the pre-application that made it
// (one live booking each). It holds no personal data: person_key is a keyed
// blind index of name and date of birth, used only to flag for staff when
// two pre-applications of what looks like one person both hold bookings.
type Appointment struct {
	ID         string
	SlotID     string
	SiteID     string
	PreappID   string
	PersonKey  []byte
	Status     string // "booked", "cancelled", "attended", "expired"
	RequestKey string // digest of the client's request key; "" = none
	Reminded   bool
	// Flag is "" or FlagSamePerson: another pre-application with the same
	// name and date of birth holds a live booking too. Staff look; nothing
	// is cancelled and the resident is told nothing different.
	Flag      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FlagSamePerson marks bookings of two pre-applications with one person key.
const FlagSamePerson = "same_person"

const apptCols = "id, slot_id, site_id, preapp_id, person_key, status, request_key, reminded, flag, created_at, updated_at"

func scanAppt(s scanner) (Appointment, error) {
	var a Appointment
	var req *string
	var reminded int
	var created, updated int64
	if err := s.Scan(&a.ID, &a.SlotID, &a.SiteID, &a.PreappID, &a.PersonKey, &a.Status, &req, &reminded, &a.Flag, &created, &updated); err != nil {
		return Appointment{}, err
	}
	if req != nil {
		a.RequestKey = *req
	}
	a.Reminded = reminded == 1
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return a, nil
}

// Book takes one seat of a slot for a pre-application, atomically: the
// slot's count moves only while below capacity (ErrFull otherwise), and the
// partial unique index refuses a second live booking for the same
// pre-application (ErrAlreadyBooked).
// A repeated request key returns ErrConflict; the caller then reads the
// booking it already made with AppointmentByRequestKey.
func (tx *Tx) Book(ctx context.Context, a Appointment) error {
	if a.RequestKey != "" {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM appointments WHERE request_key = ?", a.RequestKey).Scan(&n); err != nil {
			return fmt.Errorf("book: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("booking request: %w", ErrConflict)
		}
	}
	res, err := tx.exec(ctx, "UPDATE slots SET booked = booked + 1 WHERE id = ? AND booked < capacity", a.SlotID)
	if err != nil {
		return fmt.Errorf("book: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("slot %s: %w", a.SlotID, ErrFull)
	}
	_, err = tx.exec(ctx, "INSERT INTO appointments ("+apptCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.SlotID, a.SiteID, a.PreappID, a.PersonKey, a.Status, nullString(a.RequestKey), boolInt(a.Reminded),
		a.Flag, micros(a.CreatedAt), micros(a.UpdatedAt))
	if isUnique(err) {
		if strings.Contains(err.Error(), "request_key") {
			return fmt.Errorf("booking request: %w", ErrConflict)
		}
		return fmt.Errorf("book: %w", ErrAlreadyBooked)
	}
	if err != nil {
		return fmt.Errorf("book: %w", err)
	}
	return nil
}

// CancelAppointment frees the seat of a live booking.
func (tx *Tx) CancelAppointment(ctx context.Context, id string, at time.Time) error {
	return tx.endAppointment(ctx, id, "cancelled", at, true)
}

// AttendPreappAppointment records that the resident of a pre-application
// came to its live booking at site; ErrNotFound when it has none there.
func (tx *Tx) AttendPreappAppointment(ctx context.Context, preappID, siteID string, at time.Time) error {
	var id string
	err := tx.queryRow(ctx, "SELECT id FROM appointments WHERE preapp_id = ? AND site_id = ? AND status = 'booked'", preappID, siteID).Scan(&id)
	if err != nil {
		return notFound(err, "live appointment of "+preappID)
	}
	return tx.endAppointment(ctx, id, "attended", at, false)
}

func (tx *Tx) endAppointment(ctx context.Context, id, to string, at time.Time, free bool) error {
	var slot string
	err := tx.queryRow(ctx, "SELECT slot_id FROM appointments WHERE id = ? AND status = 'booked'", id).Scan(&slot)
	if err != nil {
		return notFound(err, "live appointment "+id)
	}
	res, err := tx.exec(ctx, "UPDATE appointments SET status = ?, updated_at = ? WHERE id = ? AND status = 'booked'", to, micros(at), id)
	if err != nil {
		return fmt.Errorf("appointment %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("appointment %s: %w", id, ErrConflict)
	}
	if free {
		if _, err := tx.exec(ctx, "UPDATE slots SET booked = booked - 1 WHERE id = ? AND booked > 0", slot); err != nil {
			return fmt.Errorf("appointment %s: %w", id, err)
		}
	}
	return nil
}

// AppointmentByRequestKey returns the booking a request key made.
func (db *DB) AppointmentByRequestKey(ctx context.Context, key string) (Appointment, error) {
	a, err := scanAppt(db.queryRow(ctx, "SELECT "+apptCols+" FROM appointments WHERE request_key = ?", key))
	if err != nil {
		return Appointment{}, notFound(err, "appointment")
	}
	return a, nil
}

// LiveAppointment returns a pre-application's live booking.
func (db *DB) LiveAppointment(ctx context.Context, preappID string) (Appointment, error) {
	a, err := scanAppt(db.queryRow(ctx, "SELECT "+apptCols+" FROM appointments WHERE preapp_id = ? AND status = 'booked'", preappID))
	if err != nil {
		return Appointment{}, notFound(err, "appointment")
	}
	return a, nil
}

// LiveAppointment returns a pre-application's live booking inside a transaction.
func (tx *Tx) LiveAppointment(ctx context.Context, preappID string) (Appointment, error) {
	a, err := scanAppt(tx.queryRow(ctx, "SELECT "+apptCols+" FROM appointments WHERE preapp_id = ? AND status = 'booked'", preappID))
	if err != nil {
		return Appointment{}, notFound(err, "appointment")
	}
	return a, nil
}

// FlagSamePersonBookings marks every live booking with personKey
// FlagSamePerson when more than one pre-application holds one, and reports
// whether it did.
func (tx *Tx) FlagSamePersonBookings(ctx context.Context, personKey []byte) (bool, error) {
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(DISTINCT preapp_id) FROM appointments WHERE person_key = ? AND status = 'booked'", personKey).Scan(&n); err != nil {
		return false, fmt.Errorf("same-person bookings: %w", err)
	}
	if n < 2 {
		return false, nil
	}
	if _, err := tx.exec(ctx, "UPDATE appointments SET flag = ? WHERE person_key = ? AND status = 'booked'", FlagSamePerson, personKey); err != nil {
		return false, fmt.Errorf("same-person bookings: %w", err)
	}
	return true, nil
}

// FlaggedAppointments lists a site's live bookings with a flag ("" site:
// every site), by slot time, for staff to look at.
func (db *DB) FlaggedAppointments(ctx context.Context, siteID string) ([]Appointment, error) {
	q := `SELECT a.` + strings.ReplaceAll(apptCols, ", ", ", a.") + ` FROM appointments a JOIN slots s ON s.id = a.slot_id
		WHERE a.status = 'booked' AND a.flag <> ''`
	args := []any{}
	if siteID != "" {
		q += " AND a.site_id = ?"
		args = append(args, siteID)
	}
	rows, err := db.query(ctx, q+" ORDER BY s.starts_at, a.id", args...)
	if err != nil {
		return nil, fmt.Errorf("flagged appointments: %w", err)
	}
	defer rows.Close()
	var out []Appointment
	for rows.Next() {
		a, err := scanAppt(rows)
		if err != nil {
			return nil, fmt.Errorf("flagged appointments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DueReminders lists live bookings starting in [from, to) not yet reminded.
func (db *DB) DueReminders(ctx context.Context, from, to time.Time) ([]Appointment, error) {
	rows, err := db.query(ctx, `SELECT a.`+strings.ReplaceAll(apptCols, ", ", ", a.")+` FROM appointments a JOIN slots s ON s.id = a.slot_id
		WHERE a.status = 'booked' AND a.reminded = 0 AND s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at`, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	defer rows.Close()
	var out []Appointment
	for rows.Next() {
		a, err := scanAppt(rows)
		if err != nil {
			return nil, fmt.Errorf("due reminders: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// MarkReminded records that a reminder went out.
func (tx *Tx) MarkReminded(ctx context.Context, id string) error {
	if _, err := tx.exec(ctx, "UPDATE appointments SET reminded = 1 WHERE id = ?", id); err != nil {
		return fmt.Errorf("mark reminded: %w", err)
	}
	return nil
}

// ExtendPreapplication keeps a pre-application at least until until (its
// appointment), so it does not expire before the visit.
func (tx *Tx) ExtendPreapplication(ctx context.Context, id string, until time.Time) error {
	_, err := tx.exec(ctx, "UPDATE preapplications SET expires_at = ? WHERE id = ? AND expires_at < ?", micros(until), id, micros(until))
	if err != nil {
		return fmt.Errorf("extend pre-application: %w", err)
	}
	return nil
}

// WaitlistEntry is a person waiting for a free slot at a site.
type WaitlistEntry struct {
	ID        string
	SiteID    string
	PreappID  string
	PersonKey []byte
	Status    string // "waiting", "booked", "left"
	CreatedAt time.Time
}

// JoinWaitlist adds an entry; a pre-application already waiting is ErrConflict.
func (tx *Tx) JoinWaitlist(ctx context.Context, e WaitlistEntry) error {
	_, err := tx.exec(ctx, "INSERT INTO waitlist (id, site_id, preapp_id, person_key, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'waiting', ?, ?)",
		e.ID, e.SiteID, e.PreappID, e.PersonKey, micros(e.CreatedAt), micros(e.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("waitlist: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("join waitlist: %w", err)
	}
	return nil
}

// NextWaiting returns the longest-waiting entry at a site.
func (tx *Tx) NextWaiting(ctx context.Context, siteID string) (WaitlistEntry, error) {
	var e WaitlistEntry
	var created int64
	err := tx.queryRow(ctx, "SELECT id, site_id, preapp_id, person_key, status, created_at FROM waitlist WHERE site_id = ? AND status = 'waiting' ORDER BY created_at, id LIMIT 1", siteID).
		Scan(&e.ID, &e.SiteID, &e.PreappID, &e.PersonKey, &e.Status, &created)
	if err != nil {
		return WaitlistEntry{}, notFound(err, "waitlist")
	}
	e.CreatedAt = fromMicros(created)
	return e, nil
}

// SetWaitlistStatus moves a waiting entry to status.
func (tx *Tx) SetWaitlistStatus(ctx context.Context, id, status string, at time.Time) error {
	if _, err := tx.exec(ctx, "UPDATE waitlist SET status = ?, updated_at = ? WHERE id = ? AND status = 'waiting'", status, micros(at), id); err != nil {
		return fmt.Errorf("waitlist: %w", err)
	}
	return nil
}

// WaitlistPosition returns a pre-application's place in its site's line
// (1 = next), or ErrNotFound when it is not waiting.
func (db *DB) WaitlistPosition(ctx context.Context, preappID string) (string, int, error) {
	var site string
	var created int64
	err := db.queryRow(ctx, "SELECT site_id, created_at FROM waitlist WHERE preapp_id = ? AND status = 'waiting'", preappID).Scan(&site, &created)
	if err != nil {
		return "", 0, notFound(err, "waitlist")
	}
	var n int
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM waitlist WHERE site_id = ? AND status = 'waiting' AND created_at <= ?", site, created).Scan(&n); err != nil {
		return "", 0, fmt.Errorf("waitlist: %w", err)
	}
	return site, n, nil
}

// LotteryEntry is one person's entry in a release window's draw.
type LotteryEntry struct {
	ID        string
	SiteID    string
	WindowAt  time.Time
	PreappID  string
	PersonKey []byte
	Outcome   string // "", "won", "waitlisted"
	CreatedAt time.Time
}

// EnterLottery adds an entry; one per pre-application and window (ErrConflict).
func (tx *Tx) EnterLottery(ctx context.Context, e LotteryEntry) error {
	_, err := tx.exec(ctx, "INSERT INTO lottery_entries (id, site_id, window_at, preapp_id, person_key, outcome, created_at) VALUES (?, ?, ?, ?, ?, '', ?)",
		e.ID, e.SiteID, micros(e.WindowAt), e.PreappID, e.PersonKey, micros(e.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("lottery: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("enter lottery: %w", err)
	}
	return nil
}

// LotteryEntries lists a window's undrawn entries in id order (ids are random,
// but the draw shuffles with its own randomness anyway).
func (tx *Tx) LotteryEntries(ctx context.Context, siteID string, window time.Time) ([]LotteryEntry, error) {
	rows, err := tx.query(ctx, "SELECT id, site_id, window_at, preapp_id, person_key, outcome, created_at FROM lottery_entries WHERE site_id = ? AND window_at = ? AND outcome = '' ORDER BY id", siteID, micros(window))
	if err != nil {
		return nil, fmt.Errorf("lottery entries: %w", err)
	}
	defer rows.Close()
	var out []LotteryEntry
	for rows.Next() {
		var e LotteryEntry
		var w, c int64
		if err := rows.Scan(&e.ID, &e.SiteID, &w, &e.PreappID, &e.PersonKey, &e.Outcome, &c); err != nil {
			return nil, fmt.Errorf("lottery entries: %w", err)
		}
		e.WindowAt, e.CreatedAt = fromMicros(w), fromMicros(c)
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetLotteryOutcome records an entry's result.
func (tx *Tx) SetLotteryOutcome(ctx context.Context, id, outcome string) error {
	if _, err := tx.exec(ctx, "UPDATE lottery_entries SET outcome = ? WHERE id = ?", outcome, id); err != nil {
		return fmt.Errorf("lottery outcome: %w", err)
	}
	return nil
}

// Ticket is a walk-in's numbered place in a site's line for a day.
type Ticket struct {
	ID        string
	SiteID    string
	Day       string
	Number    int
	Status    string // "waiting", "called", "done"
	Desk      string
	CreatedAt time.Time
	CalledAt  time.Time
}

// TakeTicket gives the next number of the site's day, atomically.
func (tx *Tx) TakeTicket(ctx context.Context, t Ticket) (Ticket, error) {
	err := tx.queryRow(ctx, `INSERT INTO ticket_counters (site_id, day, last) VALUES (?, ?, 1)
		ON CONFLICT (site_id, day) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last`, t.SiteID, t.Day).Scan(&t.Number)
	if err != nil {
		return Ticket{}, fmt.Errorf("take ticket: %w", err)
	}
	t.Status = "waiting"
	_, err = tx.exec(ctx, "INSERT INTO tickets (id, site_id, day, number, status, desk, created_at, called_at) VALUES (?, ?, ?, ?, ?, '', ?, 0)",
		t.ID, t.SiteID, t.Day, t.Number, t.Status, micros(t.CreatedAt))
	if err != nil {
		return Ticket{}, fmt.Errorf("take ticket: %w", err)
	}
	return t, nil
}

// CallNextTicket marks the lowest waiting number of the day as called to
// desk; ErrNotFound when nobody waits. The guarded UPDATE makes two desks
// calling at once get different people.
func (tx *Tx) CallNextTicket(ctx context.Context, siteID, day, desk string, at time.Time) (Ticket, error) {
	for range 5 {
		var t Ticket
		var created int64
		err := tx.queryRow(ctx, "SELECT id, site_id, day, number, created_at FROM tickets WHERE site_id = ? AND day = ? AND status = 'waiting' ORDER BY number LIMIT 1", siteID, day).
			Scan(&t.ID, &t.SiteID, &t.Day, &t.Number, &created)
		if err != nil {
			return Ticket{}, notFound(err, "waiting ticket")
		}
		res, err := tx.exec(ctx, "UPDATE tickets SET status = 'called', desk = ?, called_at = ? WHERE id = ? AND status = 'waiting'", desk, micros(at), t.ID)
		if err != nil {
			return Ticket{}, fmt.Errorf("call ticket: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			t.Status, t.Desk, t.CreatedAt, t.CalledAt = "called", desk, fromMicros(created), at
			return t, nil
		}
	}
	return Ticket{}, fmt.Errorf("call ticket: %w", ErrConflict)
}

// Tickets lists a site's tickets for a day by number.
func (db *DB) Tickets(ctx context.Context, siteID, day string) ([]Ticket, error) {
	rows, err := db.query(ctx, "SELECT id, site_id, day, number, status, desk, created_at, called_at FROM tickets WHERE site_id = ? AND day = ? ORDER BY number", siteID, day)
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	defer rows.Close()
	var out []Ticket
	for rows.Next() {
		var t Ticket
		var c, k int64
		if err := rows.Scan(&t.ID, &t.SiteID, &t.Day, &t.Number, &t.Status, &t.Desk, &c, &k); err != nil {
			return nil, fmt.Errorf("tickets: %w", err)
		}
		t.CreatedAt, t.CalledAt = fromMicros(c), fromMicros(k)
		out = append(out, t)
	}
	return out, rows.Err()
}

// JoinWaitlistIfAbsent adds an entry unless the person already waits
// somewhere; it reports whether it added one. It never aborts the
// transaction, so a lottery draw can call it for every loser.
func (tx *Tx) JoinWaitlistIfAbsent(ctx context.Context, e WaitlistEntry) (bool, error) {
	res, err := tx.exec(ctx, "INSERT INTO waitlist (id, site_id, preapp_id, person_key, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'waiting', ?, ?) ON CONFLICT DO NOTHING",
		e.ID, e.SiteID, e.PreappID, e.PersonKey, micros(e.CreatedAt), micros(e.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("join waitlist: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Appointment returns one booking by id.
func (db *DB) Appointment(ctx context.Context, id string) (Appointment, error) {
	a, err := scanAppt(db.queryRow(ctx, "SELECT "+apptCols+" FROM appointments WHERE id = ?", id))
	if err != nil {
		return Appointment{}, notFound(err, "appointment "+id)
	}
	return a, nil
}

// Slot returns one slot inside the transaction.
func (tx *Tx) Slot(ctx context.Context, id string) (Slot, error) {
	s, err := scanSlot(tx.queryRow(ctx, "SELECT "+slotCols+" FROM slots WHERE id = ?", id))
	if err != nil {
		return Slot{}, notFound(err, "slot "+id)
	}
	return s, nil
}

// BookingCounts returns a site's live bookings, the distinct people holding
// them and the distinct slots they fill (for a site's own numbers and for
// checking that a rush kept its invariants).
func (db *DB) BookingCounts(ctx context.Context, siteID string) (bookings, people, slots int, err error) {
	err = db.queryRow(ctx, "SELECT COUNT(*), COUNT(DISTINCT person_key), COUNT(DISTINCT slot_id) FROM appointments WHERE site_id = ? AND status = 'booked'", siteID).
		Scan(&bookings, &people, &slots)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("booking counts: %w", err)
	}
	return bookings, people, slots, nil
}

// NextRelease returns the earliest release time after now among a site's
// future slots, or of a lottery window not drawn yet (ErrNotFound if none),
// and whether that window is a lottery.
func (db *DB) NextRelease(ctx context.Context, siteID string, now time.Time) (time.Time, bool, error) {
	var at int64
	var lottery int
	err := db.queryRow(ctx, `SELECT release_at, lottery FROM slots WHERE site_id = ? AND starts_at > ?
		AND (release_at > ? OR (lottery = 1 AND drawn = 0)) ORDER BY release_at LIMIT 1`, siteID, micros(now), micros(now)).Scan(&at, &lottery)
	if err != nil {
		return time.Time{}, false, notFound(err, "next release")
	}
	return fromMicros(at), lottery == 1, nil
}

// DueLotteryWindows lists a site's lottery release times that have passed
// without a draw.
func (db *DB) DueLotteryWindows(ctx context.Context, siteID string, now time.Time) ([]time.Time, error) {
	rows, err := db.query(ctx, "SELECT DISTINCT release_at FROM slots WHERE site_id = ? AND lottery = 1 AND drawn = 0 AND release_at <= ? ORDER BY release_at", siteID, micros(now))
	if err != nil {
		return nil, fmt.Errorf("due lottery windows: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("due lottery windows: %w", err)
		}
		out = append(out, fromMicros(at))
	}
	return out, rows.Err()
}
