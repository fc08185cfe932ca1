package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/enroll"
)

// InsertPerson stores a new person's wrapped data key.
func (tx *Tx) InsertPerson(ctx context.Context, p enroll.PersonKey) error {
	_, err := tx.exec(ctx, "INSERT INTO persons (id, wrapped_key, kek_id, created_at) VALUES (?, ?, ?, ?)",
		p.ID, p.WrappedKey, p.KEKID, micros(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert person: %w", err)
	}
	return nil
}

// Person returns a person's key record.
func (db *DB) Person(ctx context.Context, id string) (enroll.PersonKey, error) {
	var p enroll.PersonKey
	var created int64
	err := db.queryRow(ctx, "SELECT id, wrapped_key, kek_id, created_at FROM persons WHERE id = ?", id).
		Scan(&p.ID, &p.WrappedKey, &p.KEKID, &created)
	if err != nil {
		return enroll.PersonKey{}, notFound(err, "person "+id)
	}
	p.CreatedAt = fromMicros(created)
	return p, nil
}

// Person returns a person's key record inside the transaction.
func (tx *Tx) Person(ctx context.Context, id string) (enroll.PersonKey, error) {
	var p enroll.PersonKey
	var created int64
	err := tx.queryRow(ctx, "SELECT id, wrapped_key, kek_id, created_at FROM persons WHERE id = ?", id).
		Scan(&p.ID, &p.WrappedKey, &p.KEKID, &created)
	if err != nil {
		return enroll.PersonKey{}, notFound(err, "person "+id)
	}
	p.CreatedAt = fromMicros(created)
	return p, nil
}

const appColumns = `id, reference, person_id, site_id, clerk_id, status, idempotency_key, language, age_category,
	evidence_ok, fee_kind, fee_cents, payment_method, waiver_reason, decision_reason, review_reason, decided_by, name_dob_index,
	given_names, first_surname, second_surname, date_of_birth, sex, address, contact, extras, documents, photo, notes,
	created_at, updated_at, submitted_at, decided_at, field_review`

// appPlaceholders is one "?" for each of appColumns, for the inserts.
var appPlaceholders = strings.TrimSuffix(strings.Repeat("?, ", strings.Count(appColumns, ",")+1), ", ")

func appArgs(a enroll.Record) []any {
	return []any{a.ID, a.Reference, a.PersonID, a.SiteID, a.ClerkID, string(a.Status), nullString(a.IdempotencyKey),
		a.Language, a.AgeCategory, boolInt(a.EvidenceOK), a.FeeKind, a.FeeCents, a.PaymentMethod, a.WaiverReason,
		a.DecisionReason, a.ReviewReason, nullString(a.DecidedBy), a.NameDOBIndex,
		a.Sealed.GivenNames, a.Sealed.FirstSurname, a.Sealed.SecondSurname, a.Sealed.DateOfBirth, a.Sealed.Sex,
		a.Sealed.Address, a.Sealed.Contact, a.Sealed.Extras, a.Sealed.Documents, a.Sealed.Photo, a.Sealed.Notes,
		micros(a.CreatedAt), micros(a.UpdatedAt), micros(a.SubmittedAt), micros(a.DecidedAt), a.FieldReview}
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scanApplication scans appColumns, then into extra the columns a query
// selects after them.
func scanApplication(s scanner, extra ...any) (enroll.Record, error) {
	var a enroll.Record
	var idem, decidedBy *string
	var evOK int
	var created, updated, submitted, decided int64
	dest := []any{&a.ID, &a.Reference, &a.PersonID, &a.SiteID, &a.ClerkID, (*string)(&a.Status), &idem, &a.Language, &a.AgeCategory,
		&evOK, &a.FeeKind, &a.FeeCents, &a.PaymentMethod, &a.WaiverReason, &a.DecisionReason, &a.ReviewReason, &decidedBy, &a.NameDOBIndex,
		&a.Sealed.GivenNames, &a.Sealed.FirstSurname, &a.Sealed.SecondSurname, &a.Sealed.DateOfBirth, &a.Sealed.Sex,
		&a.Sealed.Address, &a.Sealed.Contact, &a.Sealed.Extras, &a.Sealed.Documents, &a.Sealed.Photo, &a.Sealed.Notes,
		&created, &updated, &submitted, &decided, &a.FieldReview}
	err := s.Scan(append(dest, extra...)...)
	if err != nil {
		return enroll.Record{}, err
	}
	if idem != nil {
		a.IdempotencyKey = *idem
	}
	if decidedBy != nil {
		a.DecidedBy = *decidedBy
	}
	a.EvidenceOK = evOK == 1
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	a.SubmittedAt, a.DecidedAt = fromMicros(submitted), fromMicros(decided)
	return a, nil
}

// InsertApplication inserts a with its screening change and returns the
// change's number; a repeated (clerk, idempotency key) is ErrConflict.
func (tx *Tx) InsertApplication(ctx context.Context, a enroll.Record) (int64, error) {
	insert := "INSERT INTO applications (" + appColumns + ") VALUES (" + appPlaceholders + ")"
	var change int64
	if tx.dialect == Postgres {
		// The screening change in the same statement: a round trip an
		// intake less. SQLite has no INSERT inside WITH, and no round trip.
		insert = "WITH a AS (" + insert + " RETURNING id, person_id)" +
			" INSERT INTO screening_changes (application_id, person_id) SELECT id, person_id FROM a RETURNING seq"
		err := tx.queryRow(ctx, insert, appArgs(a)...).Scan(&change)
		if isUnique(err) {
			return 0, fmt.Errorf("application: %w", ErrConflict)
		}
		if err != nil {
			return 0, fmt.Errorf("insert application: %w", err)
		}
		return change, nil
	}
	_, err := tx.exec(ctx, insert, appArgs(a)...)
	if isUnique(err) {
		return 0, fmt.Errorf("application: %w", ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("insert application: %w", err)
	}
	if err := tx.queryRow(ctx, "INSERT INTO screening_changes (application_id, person_id) VALUES (?, ?) RETURNING seq", a.ID, a.PersonID).Scan(&change); err != nil {
		return 0, fmt.Errorf("note screening change: %w", err)
	}
	return change, nil
}

// InsertPersonApplication inserts a new person's key and their first
// application with its screening change, and returns the change's number;
// a repeated (clerk, idempotency key) is ErrConflict and stores nothing. On
// PostgreSQL the three rows go in one statement (an intake's round trip;
// the application's foreign key is checked at the statement's end, when
// the person is there). SQLite has no INSERT inside WITH, and no round trip.
func (tx *Tx) InsertPersonApplication(ctx context.Context, p enroll.PersonKey, a enroll.Record) (int64, error) {
	if tx.dialect != Postgres {
		if err := tx.InsertPerson(ctx, p); err != nil {
			return 0, err
		}
		return tx.InsertApplication(ctx, a)
	}
	var change int64
	ins := personApplication(p, a, &change)
	if err := tx.queryRow(ctx, ins.q, ins.args...).Scan(ins.dest...); err != nil {
		return 0, ins.wrap(err)
	}
	return change, nil
}

// personApplication is the one statement (PostgreSQL) that inserts a new
// person's key, their application and its screening change, scanning the
// change's number into change; a repeated (clerk, idempotency key) wraps
// ErrConflict.
func personApplication(p enroll.PersonKey, a enroll.Record, change *int64) *pipelined {
	return &pipelined{
		q:    insertPersonApplication,
		args: append([]any{p.ID, p.WrappedKey, p.KEKID, micros(p.CreatedAt)}, appArgs(a)...),
		dest: []any{change},
		wrap: func(err error) error {
			if isUnique(err) {
				return fmt.Errorf("application: %w", ErrConflict)
			}
			return fmt.Errorf("insert person and application: %w", err)
		},
	}
}

// InsertPersonApplicationAudited is InsertPersonApplication and then
// AppendAudit(e): a new applicant's intake and its event, in this
// transaction. On PostgreSQL the insert goes in the same round trip as the
// audit chain's lock and head read (a pipeline of three statements, run in
// that order: the lock is taken right after the insert, as before, and
// the head read once it is held), so an intake's submit is four round trips
// (begin, the insert with the lock and head, the event, commit), not five.
// A repeated (clerk, idempotency key) is ErrConflict, the lock not taken
// and nothing stored.
func (tx *Tx) InsertPersonApplicationAudited(ctx context.Context, p enroll.PersonKey, a enroll.Record, e audit.Event) (int64, error) {
	if tx.dialect != Postgres {
		change, err := tx.InsertPersonApplication(ctx, p, a)
		if err != nil {
			return 0, err
		}
		return change, tx.AppendAudit(ctx, e)
	}
	var change int64
	if err := tx.appendAuditsAfter(ctx, []audit.Event{e}, personApplication(p, a, &change)); err != nil {
		return 0, err
	}
	return change, nil
}

var insertPersonApplication = "WITH p AS (INSERT INTO persons (id, wrapped_key, kek_id, created_at) VALUES (?, ?, ?, ?))," +
	" a AS (INSERT INTO applications (" + appColumns + ") VALUES (" + appPlaceholders + ")" +
	" RETURNING id, person_id)" +
	" INSERT INTO screening_changes (application_id, person_id) SELECT id, person_id FROM a RETURNING seq"

// UpdateApplication rewrites every mutable column of a.
func (tx *Tx) UpdateApplication(ctx context.Context, a enroll.Record) error {
	res, err := tx.exec(ctx, `UPDATE applications SET status = ?, language = ?, age_category = ?, evidence_ok = ?,
		fee_kind = ?, fee_cents = ?, payment_method = ?, waiver_reason = ?, decision_reason = ?, review_reason = ?, decided_by = ?,
		name_dob_index = ?, given_names = ?, first_surname = ?, second_surname = ?, date_of_birth = ?, sex = ?,
		address = ?, contact = ?, extras = ?, documents = ?, photo = ?, notes = ?,
		updated_at = ?, submitted_at = ?, decided_at = ? WHERE id = ?`,
		string(a.Status), a.Language, a.AgeCategory, boolInt(a.EvidenceOK), a.FeeKind, a.FeeCents, a.PaymentMethod,
		a.WaiverReason, a.DecisionReason, a.ReviewReason, nullString(a.DecidedBy), a.NameDOBIndex,
		a.Sealed.GivenNames, a.Sealed.FirstSurname, a.Sealed.SecondSurname, a.Sealed.DateOfBirth, a.Sealed.Sex,
		a.Sealed.Address, a.Sealed.Contact, a.Sealed.Extras, a.Sealed.Documents, a.Sealed.Photo, a.Sealed.Notes,
		micros(a.UpdatedAt), micros(a.SubmittedAt), micros(a.DecidedAt), a.ID)
	if err != nil {
		return fmt.Errorf("update application: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("application %s: %w", a.ID, ErrNotFound)
	}
	return tx.noteScreening(ctx, a)
}

// SetApplicationStatus moves an application from one status to another; it
// fails with ErrConflict when the application is no longer in status from,
// so two supervisors cannot both decide it.
func (tx *Tx) SetApplicationStatus(ctx context.Context, id string, from, to enroll.Status, reason, decidedBy string, notes []byte, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE applications SET status = ?, decision_reason = ?, decided_by = ?, notes = COALESCE(?, notes),
		decided_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
		string(to), reason, nullString(decidedBy), notes, micros(at), micros(at), id, string(from))
	if err != nil {
		return fmt.Errorf("set application status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("application %s is not %s: %w", id, from, ErrConflict)
	}
	return tx.noteScreeningOf(ctx, id)
}

// Application returns one application by id.
func (db *DB) Application(ctx context.Context, id string) (enroll.Record, error) {
	a, err := scanApplication(db.queryRow(ctx, "SELECT "+appColumns+" FROM applications WHERE id = ?", id))
	if err != nil {
		return enroll.Record{}, notFound(err, "application "+id)
	}
	return a, nil
}

// withKeyQuery and withKeyNoPhotoQuery read an application and its
// person's wrapped data key in one statement (an audited read's round trip
// less). The second leaves the sealed photo unread: the ~22 KB column
// lives out of line (TOAST on PostgreSQL), and a page that does not show
// the portrait need not fetch and decrypt it.
var withKeyQuery, withKeyNoPhotoQuery = func() (string, string) {
	cols := strings.Split(appColumns, ",")
	for i, c := range cols {
		cols[i] = "a." + strings.TrimSpace(c)
	}
	q := func(cols []string) string {
		return "SELECT " + strings.Join(cols, ", ") + ", p.wrapped_key FROM applications a LEFT JOIN persons p ON p.id = a.person_id WHERE a.id = ?"
	}
	all := q(cols)
	noPhoto := slices.Clone(cols)
	noPhoto[slices.Index(noPhoto, "a.photo")] = "NULL"
	return all, q(noPhoto)
}()

// ApplicationWithKey returns one application and its person's wrapped data
// key (nil once erased), read together; without photo Sealed.Photo is nil.
func (db *DB) ApplicationWithKey(ctx context.Context, id string, photo bool) (enroll.Record, []byte, error) {
	q := withKeyQuery
	if !photo {
		q = withKeyNoPhotoQuery
	}
	var key []byte
	a, err := scanApplication(db.queryRow(ctx, q, id), &key)
	if err != nil {
		return enroll.Record{}, nil, notFound(err, "application "+id)
	}
	return a, key, nil
}

// Application returns one application by id inside the transaction.
func (tx *Tx) Application(ctx context.Context, id string) (enroll.Record, error) {
	a, err := scanApplication(tx.queryRow(ctx, "SELECT "+appColumns+" FROM applications WHERE id = ?", id))
	if err != nil {
		return enroll.Record{}, notFound(err, "application "+id)
	}
	return a, nil
}

// ApplicationByIdempotencyKey finds the application a clerk created with key.
func (tx *Tx) ApplicationByIdempotencyKey(ctx context.Context, clerkID, key string) (enroll.Record, error) {
	a, err := scanApplication(tx.queryRow(ctx, "SELECT "+appColumns+" FROM applications WHERE clerk_id = ? AND idempotency_key = ?", clerkID, key))
	if err != nil {
		return enroll.Record{}, notFound(err, "application by idempotency key")
	}
	return a, nil
}

// ApplicationByReference finds an application by its resident-facing reference.
func (db *DB) ApplicationByReference(ctx context.Context, ref string) (enroll.Record, error) {
	a, err := scanApplication(db.queryRow(ctx, "SELECT "+appColumns+" FROM applications WHERE reference = ?", ref))
	if err != nil {
		return enroll.Record{}, notFound(err, "application by reference")
	}
	return a, nil
}

// ApplicationsByNameDOB returns applications whose blind index matches.
func (db *DB) ApplicationsByNameDOB(ctx context.Context, index []byte) ([]enroll.Record, error) {
	rows, err := db.query(ctx, "SELECT "+appColumns+" FROM applications WHERE name_dob_index = ? ORDER BY created_at", index)
	if err != nil {
		return nil, fmt.Errorf("search applications: %w", err)
	}
	defer rows.Close()
	var out []enroll.Record
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, fmt.Errorf("search applications: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// listOrder is the application lists' order: when a draft was last
// touched, else when it was submitted. Migration 20 indexes it per status
// and per site and status; the text must stay the same for those indexes
// to serve.
const listOrder = "CASE WHEN submitted_at = 0 THEN updated_at ELSE submitted_at END"

// listStatuses are the statuses a list without a status filter reads, one
// index range each.
var listStatuses = []enroll.Status{enroll.StatusDraft, enroll.StatusSubmitted, enroll.StatusNeedsReview,
	enroll.StatusApproved, enroll.StatusRejected, enroll.StatusIssued}

// ListApplications returns summaries, oldest submission first for queues.
// Each status is read in order from an index, at most a page and its
// offset of it, and the parts merged: the cost of a page does not grow
// with the number of applications (a sort of every row of a site did).
func (db *DB) ListApplications(ctx context.Context, f enroll.ListFilter) ([]enroll.Summary, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		f.Limit = 500
	}
	f.Offset = max(f.Offset, 0)
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = listStatuses
	}
	var parts []string
	var args []any
	for _, st := range statuses {
		q := `SELECT id, reference, site_id, clerk_id, status, language, age_category, payment_method, review_reason, evidence_ok,
		created_at, updated_at, submitted_at, decided_at, COALESCE(decided_by, '') AS decided_by, ` + listOrder + ` AS list_at FROM applications WHERE status = ?`
		args = append(args, string(st))
		if f.SiteID != "" {
			q += " AND site_id = ?"
			args = append(args, f.SiteID)
		}
		if f.ReferencePrefix != "" {
			// The prefix holds reference characters only (enroll.ReferencePrefix): no LIKE wildcards.
			q += " AND reference LIKE ?"
			args = append(args, f.ReferencePrefix+"%")
		}
		q += fmt.Sprintf(" ORDER BY %s, id LIMIT %d", listOrder, f.Limit+f.Offset)
		parts = append(parts, fmt.Sprintf("SELECT * FROM (%s) AS s%d", q, len(parts)))
	}
	q := strings.Join(parts, " UNION ALL ") + fmt.Sprintf(" ORDER BY list_at, id LIMIT %d OFFSET %d", f.Limit, f.Offset)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	defer rows.Close()
	var out []enroll.Summary
	for rows.Next() {
		var s enroll.Summary
		var evOK int
		var c, u, sub, d, at int64
		if err := rows.Scan(&s.ID, &s.Reference, &s.SiteID, &s.ClerkID, (*string)(&s.Status), &s.Language, &s.AgeCategory,
			&s.PaymentMethod, &s.ReviewReason, &evOK, &c, &u, &sub, &d, &s.DecidedBy, &at); err != nil {
			return nil, fmt.Errorf("list applications: %w", err)
		}
		s.EvidenceOK = evOK == 1
		s.CreatedAt, s.UpdatedAt, s.SubmittedAt, s.DecidedAt = fromMicros(c), fromMicros(u), fromMicros(sub), fromMicros(d)
		out = append(out, s)
	}
	return out, rows.Err()
}

// CountApplications counts applications by status (for dashboards).
func (db *DB) CountApplications(ctx context.Context, siteID string) (map[enroll.Status]int, error) {
	q := "SELECT status, COUNT(*) FROM applications"
	var args []any
	if siteID != "" {
		q += " WHERE site_id = ?"
		args = append(args, siteID)
	}
	q += " GROUP BY status"
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("count applications: %w", err)
	}
	defer rows.Close()
	out := map[enroll.Status]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("count applications: %w", err)
		}
		out[enroll.Status(s)] = n
	}
	return out, rows.Err()
}

// InsertReadNote stores a sealed note.
func (tx *Tx) InsertReadNote(ctx context.Context, n enroll.ReadNote) error {
	_, err := tx.exec(ctx, "INSERT INTO read_notes (id, application_id, person_id, actor, at, note) VALUES (?, ?, ?, ?, ?, ?)",
		n.ID, n.ApplicationID, n.PersonID, n.Actor, micros(n.At), n.Note)
	if err != nil {
		return fmt.Errorf("insert read note: %w", err)
	}
	return nil
}

// ReadNotes lists an application's notes, oldest first.
func (db *DB) ReadNotes(ctx context.Context, applicationID string) ([]enroll.ReadNote, error) {
	rows, err := db.query(ctx, "SELECT id, application_id, person_id, actor, at, note FROM read_notes WHERE application_id = ? ORDER BY at, id", applicationID)
	if err != nil {
		return nil, fmt.Errorf("read notes: %w", err)
	}
	defer rows.Close()
	var out []enroll.ReadNote
	for rows.Next() {
		var n enroll.ReadNote
		var at int64
		if err := rows.Scan(&n.ID, &n.ApplicationID, &n.PersonID, &n.Actor, &at, &n.Note); err != nil {
			return nil, fmt.Errorf("read notes: %w", err)
		}
		n.At = fromMicros(at)
		out = append(out, n)
	}
	return out, rows.Err()
}
