package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
)

// DueClass names a rule by which a person's data falls due for erasure.
type DueClass string

// The rules. Every rule but DueNoList erases the person entirely; DueNoList
// erases their personal data but keeps the person row, their cards and a
// match encoding. DueTickets erases walk-in tickets, which belong to no
// person row.
const (
	DuePreapp      DueClass = "preapplications" // expired pre-applications (see PurgePreapplications)
	DueDraft       DueClass = "drafts"
	DueRejected    DueClass = "rejected"
	DuePending     DueClass = "pending"             // submitted, never decided
	DueApproved    DueClass = "approved_not_issued" // approved, card never issued
	DueUncollected DueClass = "uncollected"         // card issued, never handed over
	DueExpired     DueClass = "cardholders_expired"
	DueNoList      DueClass = "no_list"
	DueTickets     DueClass = "tickets" // walk-in tickets (see PurgeTickets)
)

// DueQuery says when each rule's records fall due: a record whose reference
// time lies before the cut-off is due. A zero cut-off disables the rule.
type DueQuery struct {
	DraftIdleBefore   time.Time // drafts last touched before
	RejectedBefore    time.Time // rejected applications decided before
	PendingBefore     time.Time // submitted applications still undecided, submitted before
	ApprovedBefore    time.Time // approved applications without a card, approved before
	UncollectedBefore time.Time // cards never handed over, last issued or printed before
	ExpiredBefore     time.Time // cardholders whose last card expired before
	HandedOverBefore  time.Time // "no list": last card handed over before
}

// dueSQL selects the person ids a rule makes due, oldest first; args are
// bound from the cut-offs. Every rule excludes people with another
// application still in progress, so a person is judged as a whole. A person
// with two due applications may be listed twice (erasing twice is a no-op);
// leaving out GROUP BY lets the index give the order without a sort.
func dueSQL(c DueClass, q DueQuery) (string, []any, bool) {
	switch c {
	case DueDraft:
		if q.DraftIdleBefore.IsZero() {
			return "", nil, false
		}
		return `SELECT a.person_id FROM applications a WHERE a.status = 'draft' AND a.updated_at < ?
			AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.person_id = a.person_id)
			AND NOT EXISTS (SELECT 1 FROM applications o WHERE o.person_id = a.person_id AND o.status <> 'draft')
			ORDER BY a.updated_at, a.person_id`, []any{micros(q.DraftIdleBefore)}, true
	case DueRejected:
		if q.RejectedBefore.IsZero() {
			return "", nil, false
		}
		return `SELECT a.person_id FROM applications a WHERE a.status = 'rejected' AND a.decided_at < ?
			AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.person_id = a.person_id)
			AND NOT EXISTS (SELECT 1 FROM applications o WHERE o.person_id = a.person_id AND o.status NOT IN ('draft', 'rejected'))
			ORDER BY a.decided_at, a.person_id`, []any{micros(q.RejectedBefore)}, true
	case DuePending:
		if q.PendingBefore.IsZero() {
			return "", nil, false
		}
		// Undecided for the whole period: the person has no card and nothing
		// approved; a decision later restarts the clock under its own rule.
		return `SELECT a.person_id FROM applications a WHERE a.status IN ('submitted', 'needs_review') AND a.submitted_at < ?
			AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.person_id = a.person_id)
			AND NOT EXISTS (SELECT 1 FROM applications o WHERE o.person_id = a.person_id AND o.status IN ('approved', 'issued'))
			ORDER BY a.submitted_at, a.person_id`, []any{micros(q.PendingBefore)}, true
	case DueApproved:
		if q.ApprovedBefore.IsZero() {
			return "", nil, false
		}
		return `SELECT a.person_id FROM applications a WHERE a.status = 'approved' AND a.decided_at < ?
			AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.person_id = a.person_id)
			ORDER BY a.decided_at, a.person_id`, []any{micros(q.ApprovedBefore)}, true
	case DueUncollected:
		if q.UncollectedBefore.IsZero() {
			return "", nil, false
		}
		// No card of theirs was ever handed over, and the newest was issued
		// or printed before the cut-off: the printed card has been destroyed
		// and the record follows it.
		return `SELECT c.person_id FROM cards c GROUP BY c.person_id
			HAVING MAX(c.handed_over_at) = 0
			AND MAX(CASE WHEN c.printed_at > c.created_at THEN c.printed_at ELSE c.created_at END) < ?
			ORDER BY MAX(CASE WHEN c.printed_at > c.created_at THEN c.printed_at ELSE c.created_at END), c.person_id`,
			[]any{micros(q.UncollectedBefore)}, true
	case DueExpired:
		if q.ExpiredBefore.IsZero() {
			return "", nil, false
		}
		return `SELECT c.person_id FROM cards c GROUP BY c.person_id HAVING MAX(c.expires_at) < ?
			ORDER BY MAX(c.expires_at), c.person_id`, []any{micros(q.ExpiredBefore)}, true
	case DueNoList:
		if q.HandedOverBefore.IsZero() {
			return "", nil, false
		}
		// Every card handed over (or no longer active), the last hand-over
		// before the cut-off, data not yet erased, and not already due in full.
		return `SELECT c.person_id FROM cards c JOIN persons p ON p.id = c.person_id
			WHERE p.erased_at = 0 AND p.wrapped_key IS NOT NULL
			GROUP BY c.person_id
			HAVING MAX(c.handed_over_at) > 0 AND MAX(c.handed_over_at) < ?
			AND MIN(CASE WHEN c.handed_over_at = 0 AND c.status IN ('active', 'suspended') THEN 0 ELSE 1 END) = 1
			AND MAX(c.expires_at) >= ?
			ORDER BY MAX(c.handed_over_at), c.person_id`,
			[]any{micros(q.HandedOverBefore), micros(q.ExpiredBefore)}, true
	}
	return "", nil, false
}

// DuePersons returns up to limit ids of people due under rule c, oldest
// first. Erasing them and asking again gives the next ones, so a purge is a
// loop of small batches that can stop anywhere.
// offset skips people a caller chose to leave (e.g. data it could not open).
func (db *DB) DuePersons(ctx context.Context, c DueClass, q DueQuery, limit, offset int) ([]string, error) {
	s, args, ok := dueSQL(c, q)
	if !ok {
		return nil, nil
	}
	if limit <= 0 {
		limit = 500
	}
	rows, err := db.query(ctx, s+fmt.Sprintf(" LIMIT %d OFFSET %d", limit, max(offset, 0)), args...)
	if err != nil {
		return nil, fmt.Errorf("due persons (%s): %w", c, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("due persons (%s): %w", c, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// CountDue counts the people due under rule c (for dry runs and reports).
func (db *DB) CountDue(ctx context.Context, c DueClass, q DueQuery) (int, error) {
	s, args, ok := dueSQL(c, q)
	if !ok {
		return 0, nil
	}
	var n int
	if err := db.queryRow(ctx, "SELECT COUNT(DISTINCT person_id) FROM ("+s+") d", args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count due (%s): %w", c, err)
	}
	return n, nil
}

// CountOldTickets counts walk-in tickets of days before beforeDay
// (YYYY-MM-DD); PurgeTickets erases them.
func (db *DB) CountOldTickets(ctx context.Context, beforeDay string) (int, error) {
	var n int
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM tickets WHERE day < ?", beforeDay).Scan(&n); err != nil {
		return 0, fmt.Errorf("count old tickets: %w", err)
	}
	return n, nil
}

// PurgeTickets deletes the walk-in tickets and day counters of days before
// beforeDay (YYYY-MM-DD) and returns how many tickets it removed. A ticket
// names no one, but its time and desk could be matched to a visit.
func (tx *Tx) PurgeTickets(ctx context.Context, beforeDay string) (int, error) {
	res, err := tx.exec(ctx, "DELETE FROM tickets WHERE day < ?", beforeDay)
	if err != nil {
		return 0, fmt.Errorf("purge tickets: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.exec(ctx, "DELETE FROM ticket_counters WHERE day < ?", beforeDay); err != nil {
		return 0, fmt.Errorf("purge ticket counters: %w", err)
	}
	return int(n), nil
}

// Erased counts the rows one erasure removed or blanked.
type Erased struct {
	Persons, Applications, Preapplications, Cards, Encodings int
}

// Add sums two counts.
func (e Erased) Add(o Erased) Erased {
	return Erased{e.Persons + o.Persons, e.Applications + o.Applications, e.Preapplications + o.Preapplications,
		e.Cards + o.Cards, e.Encodings + o.Encodings}
}

// CountExpiredPreapplications counts pre-applications that expired before
// `before` (PurgePreapplications erases them).
func (db *DB) CountExpiredPreapplications(ctx context.Context, before time.Time) (int, error) {
	var n int
	if err := db.queryRow(ctx, "SELECT COUNT(*) FROM preapplications WHERE expires_at <= ?", micros(before)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count expired pre-applications: %w", err)
	}
	return n, nil
}

// CardSlotsOf returns the status-list entries of every card of the people
// and of those cards' phone credentials, which a purge retires (card.RetireSlots) before erasing the cards.
func (tx *Tx) CardSlotsOf(ctx context.Context, personIDs []string) ([]card.Slot, error) {
	if len(personIDs) == 0 {
		return nil, nil
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(personIDs)), ", ") + ")"
	args := make([]any, len(personIDs))
	for i, id := range personIDs {
		args[i] = id
	}
	// The cards' own entries and their phone credentials'.
	rows, err := tx.query(ctx, "SELECT status_list_id, status_index FROM cards WHERE person_id IN "+in+
		" UNION ALL SELECT p.status_list_id, p.status_index FROM phone_credentials p JOIN cards c ON c.id = p.card_id WHERE c.person_id IN "+in+
		" ORDER BY 1, 2", append(args, args...)...)
	if err != nil {
		return nil, fmt.Errorf("card slots: %w", err)
	}
	defer rows.Close()
	var out []card.Slot
	for rows.Next() {
		var s card.Slot
		if err := rows.Scan(&s.ListID, &s.Index); err != nil {
			return nil, fmt.Errorf("card slots: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ErasePerson deletes a person entirely: cards, match encoding, applications
// (and with them every sealed column), pre-applications and the person row
// with the wrapped data key. With SQLite's secure_delete the freed pages are
// zeroed. A person already gone erases nothing and is not an error (purges
// are idempotent).
func (tx *Tx) ErasePerson(ctx context.Context, personID string) (Erased, error) {
	return tx.ErasePersons(ctx, []string{personID})
}

// ErasePersons is ErasePerson for a batch of people, a statement per table.
// Repeated ids are fine.
func (tx *Tx) ErasePersons(ctx context.Context, personIDs []string) (Erased, error) {
	var e Erased
	if len(personIDs) == 0 {
		return e, nil
	}
	// Every server's screening index drops these applications.
	if err := tx.noteScreeningOfPersons(ctx, personIDs); err != nil {
		return Erased{}, err
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(personIDs)), ", ") + ")"
	args := make([]any, len(personIDs))
	for i, id := range personIDs {
		args[i] = id
	}
	steps := []struct {
		q string
		n *int
	}{
		{"DELETE FROM read_notes WHERE person_id IN " + in, nil},
		{"DELETE FROM card_reviews WHERE card_id IN (SELECT id FROM cards WHERE person_id IN " + in + ")", nil},
		// Phone credentials and offers are the cards' (their status entries
		// were retired with the cards', CardSlotsOf).
		{"DELETE FROM phone_credentials WHERE card_id IN (SELECT id FROM cards WHERE person_id IN " + in + ")", nil},
		{"DELETE FROM phone_offers WHERE card_id IN (SELECT id FROM cards WHERE person_id IN " + in + ")", nil},
		{"DELETE FROM cards WHERE person_id IN " + in, &e.Cards},
		{"DELETE FROM match_encodings WHERE person_id IN " + in, &e.Encodings},
		// Links between records name the erased ones: they go too.
		{"DELETE FROM duplicate_candidates WHERE candidate_id IN (SELECT id FROM applications WHERE person_id IN " + in + ") OR candidate_id IN " + in, nil},
		{"DELETE FROM distinct_people WHERE first_id IN (SELECT id FROM applications WHERE person_id IN " + in + ") OR second_id IN (SELECT id FROM applications WHERE person_id IN " + in + ") OR first_id IN " + in + " OR second_id IN " + in, nil},
		{"DELETE FROM duplicate_candidates WHERE application_id IN (SELECT id FROM applications WHERE person_id IN " + in + ")", nil},
		{"DELETE FROM pair_decisions WHERE application_id IN (SELECT id FROM applications WHERE person_id IN " + in + ") OR candidate_id IN (SELECT id FROM applications WHERE person_id IN " + in + ")", nil},
		{"DELETE FROM spot_checks WHERE application_id IN (SELECT id FROM applications WHERE person_id IN " + in + ") OR candidate_id IN (SELECT id FROM applications WHERE person_id IN " + in + ")", nil},
		{"DELETE FROM applications WHERE person_id IN " + in, &e.Applications},
		{"UPDATE slots SET booked = booked - (SELECT COUNT(*) FROM appointments a WHERE a.slot_id = slots.id AND a.status = 'booked' AND a.preapp_id IN (SELECT id FROM preapplications WHERE person_id IN " + in + ")) " +
			"WHERE id IN (SELECT slot_id FROM appointments WHERE status = 'booked' AND preapp_id IN (SELECT id FROM preapplications WHERE person_id IN " + in + "))", nil},
		{"DELETE FROM appointments WHERE preapp_id IN (SELECT id FROM preapplications WHERE person_id IN " + in + ")", nil},
		{"DELETE FROM waitlist WHERE preapp_id IN (SELECT id FROM preapplications WHERE person_id IN " + in + ")", nil},
		{"DELETE FROM lottery_entries WHERE preapp_id IN (SELECT id FROM preapplications WHERE person_id IN " + in + ")", nil},
		{"DELETE FROM preapplications WHERE person_id IN " + in, &e.Preapplications},
		{"DELETE FROM persons WHERE id IN " + in, &e.Persons},
	}
	for _, s := range steps {
		// A statement may name the batch more than once: bind it each time.
		var bound []any
		for range strings.Count(s.q, "?") / len(args) {
			bound = append(bound, args...)
		}
		res, err := tx.exec(ctx, s.q, bound...)
		if err != nil {
			return Erased{}, fmt.Errorf("erase persons: %w", err)
		}
		if s.n != nil {
			n, _ := res.RowsAffected()
			*s.n = int(n)
		}
	}
	return e, nil
}

// ApplicationIDsOf returns the ids of the applications of the given people
// (for dropping them from in-memory indexes after an erasure).
func (tx *Tx) ApplicationIDsOf(ctx context.Context, personIDs []string) ([]string, error) {
	if len(personIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(personIDs))
	for i, id := range personIDs {
		args[i] = id
	}
	q := "SELECT id FROM applications WHERE person_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(personIDs)), ", ") + ") ORDER BY id"
	rows, err := tx.tx.QueryContext(ctx, rebind(tx.dialect, q), args...)
	if err != nil {
		return nil, fmt.Errorf("application ids: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("application ids: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// sealedColumns are every applications column that holds personal data or
// a value derived from it, other than the name/date-of-birth blind index.
const sealedColumnsNull = `given_names = NULL, first_surname = NULL, second_surname = NULL, date_of_birth = NULL,
	sex = NULL, address = NULL, contact = NULL, extras = NULL, documents = NULL, photo = NULL, notes = NULL`

// ReducePerson is the "no list" erasure: it stores the person's match
// encoding, blanks every sealed column of their applications and destroys
// their data key, keeping the person row (cards refer to it), the cards and
// the keyed name/date-of-birth blind index. A person already reduced is
// left alone and counts nothing.
func (tx *Tx) ReducePerson(ctx context.Context, personID string, encoding []byte, at time.Time) (Erased, error) {
	var e Erased
	res, err := tx.exec(ctx, "UPDATE persons SET wrapped_key = NULL, erased_at = ? WHERE id = ? AND erased_at = 0", micros(at), personID)
	if err != nil {
		return Erased{}, fmt.Errorf("reduce person: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Erased{}, nil
	}
	e.Persons = 1
	if encoding != nil {
		if _, err := tx.exec(ctx, `INSERT INTO match_encodings (person_id, encoding, created_at) VALUES (?, ?, ?)
			ON CONFLICT (person_id) DO UPDATE SET encoding = excluded.encoding, created_at = excluded.created_at`,
			personID, encoding, micros(at)); err != nil {
			return Erased{}, fmt.Errorf("reduce person: store encoding: %w", err)
		}
		e.Encodings = 1
	}
	res, err = tx.exec(ctx, "UPDATE applications SET "+sealedColumnsNull+", updated_at = ? WHERE person_id = ?", micros(at), personID)
	if err != nil {
		return Erased{}, fmt.Errorf("reduce person: %w", err)
	}
	n, _ := res.RowsAffected()
	e.Applications = int(n)
	// A spot check not yet decided cannot be any more: its record has no
	// personal data to look at. Decided ones stay (ids only) until erasure.
	if _, err := tx.exec(ctx, "DELETE FROM spot_checks WHERE same IS NULL AND (application_id IN (SELECT id FROM applications WHERE person_id = ?) OR candidate_id IN (SELECT id FROM applications WHERE person_id = ?))",
		personID, personID); err != nil {
		return Erased{}, fmt.Errorf("reduce person: spot checks: %w", err)
	}
	// Every server moves them from its plain index to its "no list" one.
	if err := tx.noteScreeningOfPersons(ctx, []string{personID}); err != nil {
		return Erased{}, err
	}
	return e, nil
}

// PersonApplications returns the applications of a person, newest first.
func (tx *Tx) PersonApplications(ctx context.Context, personID string) ([]enroll.Record, error) {
	rows, err := tx.tx.QueryContext(ctx, rebind(tx.dialect,
		"SELECT "+appColumns+" FROM applications WHERE person_id = ? ORDER BY created_at DESC, id"), personID)
	if err != nil {
		return nil, fmt.Errorf("person applications: %w", err)
	}
	defer rows.Close()
	var out []enroll.Record
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, fmt.Errorf("person applications: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// MatchEncoding is a stored "no list" match encoding.
type MatchEncoding struct {
	PersonID  string
	Encoding  []byte
	CreatedAt time.Time
}

// MatchEncodings returns the stored encodings after person id after (""
// from the start), at most limit, for rebuilding the duplicate index.
func (db *DB) MatchEncodings(ctx context.Context, after string, limit int) ([]MatchEncoding, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	rows, err := db.query(ctx, fmt.Sprintf(
		"SELECT person_id, encoding, created_at FROM match_encodings WHERE person_id > ? ORDER BY person_id LIMIT %d", limit), after)
	if err != nil {
		return nil, fmt.Errorf("match encodings: %w", err)
	}
	defer rows.Close()
	var out []MatchEncoding
	for rows.Next() {
		var m MatchEncoding
		var at int64
		if err := rows.Scan(&m.PersonID, &m.Encoding, &at); err != nil {
			return nil, fmt.Errorf("match encodings: %w", err)
		}
		m.CreatedAt = fromMicros(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// RetentionRun is one purge run, with counts only.
type RetentionRun struct {
	ID         string
	StartedAt  time.Time // server clock
	JudgedAt   time.Time // the instant due times were judged at
	FinishedAt time.Time // zero while running or when interrupted
	NoList     bool
	Erased     int    // people erased entirely
	Reduced    int    // people reduced to a card and a match encoding
	Counts     string // JSON object of counts per rule
}

// InsertRetentionRun records the start of a run.
func (tx *Tx) InsertRetentionRun(ctx context.Context, r RetentionRun) error {
	if r.Counts == "" {
		r.Counts = "{}"
	}
	_, err := tx.exec(ctx, `INSERT INTO retention_runs (id, started_at, judged_at, finished_at, no_list, erased, reduced, counts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, micros(r.StartedAt), micros(r.JudgedAt), micros(r.FinishedAt),
		boolInt(r.NoList), r.Erased, r.Reduced, r.Counts)
	if err != nil {
		return fmt.Errorf("insert retention run: %w", err)
	}
	return nil
}

// UpdateRetentionRun stores a run's progress (in the transaction of the
// batch it counts, so counts and erasures commit together).
func (tx *Tx) UpdateRetentionRun(ctx context.Context, r RetentionRun) error {
	res, err := tx.exec(ctx, `UPDATE retention_runs SET finished_at = ?, erased = ?, reduced = ?, counts = ? WHERE id = ?`,
		micros(r.FinishedAt), r.Erased, r.Reduced, r.Counts, r.ID)
	if err != nil {
		return fmt.Errorf("update retention run: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("retention run %s: %w", r.ID, ErrNotFound)
	}
	return nil
}

// RetentionRuns returns the latest runs, newest first.
func (db *DB) RetentionRuns(ctx context.Context, limit int) ([]RetentionRun, error) {
	if limit <= 0 || limit > 1000 {
		limit = 20
	}
	rows, err := db.query(ctx, fmt.Sprintf(`SELECT id, started_at, judged_at, finished_at, no_list, erased, reduced, counts
		FROM retention_runs ORDER BY started_at DESC, id DESC LIMIT %d`, limit))
	if err != nil {
		return nil, fmt.Errorf("retention runs: %w", err)
	}
	defer rows.Close()
	var out []RetentionRun
	for rows.Next() {
		var r RetentionRun
		var s, j, f int64
		var noList int
		if err := rows.Scan(&r.ID, &s, &j, &f, &noList, &r.Erased, &r.Reduced, &r.Counts); err != nil {
			return nil, fmt.Errorf("retention runs: %w", err)
		}
		r.StartedAt, r.JudgedAt, r.FinishedAt, r.NoList = fromMicros(s), fromMicros(j), fromMicros(f), noList == 1
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestRunStart returns the latest server-clock start of any run (zero
// when none), for the clock-skew check.
func (db *DB) LatestRunStart(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	if err := db.queryRow(ctx, "SELECT MAX(started_at) FROM retention_runs").Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("latest retention run: %w", err)
	}
	return fromMicros(v.Int64), nil
}

// Holding is how many records of one data class the database holds, by age.
type Holding struct {
	Class   string
	Buckets [4]int // age < 30 days, 30–89 days, 90–364 days, 365 days and over
}

// Total sums the buckets.
func (h Holding) Total() int { return h.Buckets[0] + h.Buckets[1] + h.Buckets[2] + h.Buckets[3] }

// Data classes counted by Holdings.
const (
	ClassPreapplications  = "preapplications"
	ClassDrafts           = "drafts"
	ClassPending          = "pending"
	ClassApproved         = "approved_not_issued"
	ClassRejected         = "rejected"
	ClassCardholdersData  = "cardholders_with_data"
	ClassCardholdersNoPII = "cardholders_without_data"
	ClassDataKeys         = "data_keys"
	ClassMatchEncodings   = "match_encodings"
	ClassErasedPersons    = "erased_persons"
	ClassUncollected      = "cards_not_collected"
	ClassBookings         = "bookings"
	ClassTickets          = "tickets"
	// ClassUnclassified counts people (and booking records) that no
	// retention rule covers, so nothing would ever erase them. It must be 0.
	ClassUnclassified = "unclassified"
)

// HoldingClasses lists the classes in report order.
var HoldingClasses = []string{ClassPreapplications, ClassDrafts, ClassPending, ClassApproved, ClassRejected, ClassUncollected,
	ClassCardholdersData, ClassCardholdersNoPII, ClassDataKeys, ClassMatchEncodings, ClassBookings, ClassTickets,
	ClassErasedPersons, ClassUnclassified}

// classifiedSQL holds for a person p that some retention rule covers: they
// hold a card (uncollected, cardholder or "no list" rules), an application
// in a state with a rule, or a pre-application (its expiry).
const classifiedSQL = `(EXISTS (SELECT 1 FROM cards c WHERE c.person_id = p.id)
	OR EXISTS (SELECT 1 FROM applications a WHERE a.person_id = p.id AND a.status IN ('draft', 'submitted', 'needs_review', 'approved', 'rejected'))
	OR EXISTS (SELECT 1 FROM preapplications r WHERE r.person_id = p.id))`

// Holdings counts what the database holds today per data class and age
// (age from the record's creation, judged at now). Erased persons are the
// people erased entirely by all recorded runs plus those reduced.
func (db *DB) Holdings(ctx context.Context, now time.Time) ([]Holding, error) {
	day := int64(24 * time.Hour / time.Microsecond)
	n := micros(now)
	bucket := func(col string) string {
		return fmt.Sprintf(`CASE WHEN %[1]s > %[2]d THEN 0 WHEN %[1]s > %[3]d THEN 1 WHEN %[1]s > %[4]d THEN 2 ELSE 3 END`,
			col, n-30*day, n-90*day, n-365*day)
	}
	queries := []struct{ class, q string }{
		{ClassPreapplications, "SELECT " + bucket("created_at") + " b, COUNT(*) FROM preapplications WHERE used_at = 0 GROUP BY b"},
		{ClassDrafts, "SELECT " + bucket("created_at") + " b, COUNT(*) FROM applications WHERE status = 'draft' GROUP BY b"},
		{ClassPending, "SELECT " + bucket("created_at") + " b, COUNT(*) FROM applications WHERE status IN ('submitted', 'needs_review') GROUP BY b"},
		{ClassApproved, "SELECT " + bucket("created_at") + " b, COUNT(*) FROM applications WHERE status = 'approved' GROUP BY b"},
		{ClassRejected, "SELECT " + bucket("created_at") + " b, COUNT(*) FROM applications WHERE status = 'rejected' GROUP BY b"},
		{ClassCardholdersData, "SELECT " + bucket("p.created_at") + ` b, COUNT(*) FROM persons p
			WHERE p.wrapped_key IS NOT NULL AND EXISTS (SELECT 1 FROM cards c WHERE c.person_id = p.id) GROUP BY b`},
		{ClassCardholdersNoPII, "SELECT " + bucket("p.created_at") + ` b, COUNT(*) FROM persons p
			WHERE p.wrapped_key IS NULL AND EXISTS (SELECT 1 FROM cards c WHERE c.person_id = p.id) GROUP BY b`},
		{ClassDataKeys, "SELECT " + bucket("created_at") + " b, COUNT(*) FROM persons WHERE wrapped_key IS NOT NULL GROUP BY b"},
		{ClassMatchEncodings, "SELECT " + bucket("created_at") + " b, COUNT(*) FROM match_encodings GROUP BY b"},
		{ClassUncollected, "SELECT " + bucket("c.created_at") + ` b, COUNT(*) FROM (SELECT MAX(c.created_at) AS created_at FROM cards c
			GROUP BY c.person_id HAVING MAX(c.handed_over_at) = 0) c GROUP BY b`},
		{ClassBookings, "SELECT " + bucket("created_at") + ` b, COUNT(*) FROM (SELECT created_at FROM appointments
			UNION ALL SELECT created_at FROM waitlist UNION ALL SELECT created_at FROM lottery_entries) x GROUP BY b`},
		{ClassTickets, "SELECT " + bucket("created_at") + " b, COUNT(*) FROM tickets GROUP BY b"},
		{ClassUnclassified, "SELECT " + bucket("created_at") + ` b, COUNT(*) FROM (
			SELECT p.created_at FROM persons p WHERE NOT ` + classifiedSQL + `
			UNION ALL SELECT created_at FROM appointments x WHERE NOT EXISTS (SELECT 1 FROM preapplications r WHERE r.id = x.preapp_id)
			UNION ALL SELECT created_at FROM waitlist x WHERE NOT EXISTS (SELECT 1 FROM preapplications r WHERE r.id = x.preapp_id)
			UNION ALL SELECT created_at FROM lottery_entries x WHERE NOT EXISTS (SELECT 1 FROM preapplications r WHERE r.id = x.preapp_id)) u GROUP BY b`},
	}
	var out []Holding
	for _, q := range queries {
		h := Holding{Class: q.class}
		if err := db.scanBuckets(ctx, q.q, &h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	// Erased entirely: no rows left to age, so all count as "today" by
	// run; kept in the last bucket by the age of the run that erased them.
	h := Holding{Class: ClassErasedPersons}
	if err := db.scanBuckets(ctx, "SELECT "+bucket("started_at")+" b, CAST(SUM(erased) AS BIGINT) FROM retention_runs GROUP BY b", &h); err != nil {
		return nil, err
	}
	out = append(out, h)
	order := map[string]int{}
	for i, c := range HoldingClasses {
		order[c] = i
	}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].Class] < order[out[j].Class] })
	return out, nil
}

func (db *DB) scanBuckets(ctx context.Context, q string, h *Holding) error {
	rows, err := db.query(ctx, q)
	if err != nil {
		return fmt.Errorf("holdings %s: %w", h.Class, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b int
		var c sql.NullInt64
		if err := rows.Scan(&b, &c); err != nil {
			return fmt.Errorf("holdings %s: %w", h.Class, err)
		}
		if b < 0 || b >= len(h.Buckets) {
			return errors.New("holdings: bucket out of range")
		}
		h.Buckets[b] += int(c.Int64)
	}
	return rows.Err()
}

// WrappedKeyBatch returns up to limit persons (id, wrapped key) whose data
// key is wrapped by a master key other than kekID, for master-key rotation.
func (db *DB) WrappedKeyBatch(ctx context.Context, notKEK string, limit int) ([]enroll.PersonKey, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	rows, err := db.query(ctx, fmt.Sprintf(`SELECT id, wrapped_key, kek_id, created_at FROM persons
		WHERE wrapped_key IS NOT NULL AND kek_id <> ? ORDER BY id LIMIT %d`, limit), notKEK)
	if err != nil {
		return nil, fmt.Errorf("wrapped keys: %w", err)
	}
	defer rows.Close()
	var out []enroll.PersonKey
	for rows.Next() {
		var p enroll.PersonKey
		var c int64
		if err := rows.Scan(&p.ID, &p.WrappedKey, &p.KEKID, &c); err != nil {
			return nil, fmt.Errorf("wrapped keys: %w", err)
		}
		p.CreatedAt = fromMicros(c)
		out = append(out, p)
	}
	return out, rows.Err()
}

// CountWrappedKeys counts data keys wrapped by kekID (or by any other key
// when other is true).
func (db *DB) CountWrappedKeys(ctx context.Context, kekID string, other bool) (int, error) {
	op := "="
	if other {
		op = "<>"
	}
	var n int
	err := db.queryRow(ctx, "SELECT COUNT(*) FROM persons WHERE wrapped_key IS NOT NULL AND kek_id "+op+" ?", kekID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count wrapped keys: %w", err)
	}
	return n, nil
}

// RewrapPerson replaces a person's wrapped data key, only if it is still
// the one read (so a key destroyed meanwhile by a purge stays destroyed).
func (tx *Tx) RewrapPerson(ctx context.Context, id string, old, wrapped []byte, kekID string) (bool, error) {
	res, err := tx.exec(ctx, "UPDATE persons SET wrapped_key = ?, kek_id = ? WHERE id = ? AND wrapped_key = ?", wrapped, kekID, id, old)
	if err != nil {
		return false, fmt.Errorf("rewrap person: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
