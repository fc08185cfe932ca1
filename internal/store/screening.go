package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/enroll"
)

// ScreeningChange says that what duplicate screening sees of an application
// may have changed (it was taken, decided, erased or reduced). Servers
// re-read the application; the row holds ids only.
type ScreeningChange struct {
	Seq           int64
	ApplicationID string
	PersonID      string
}

// noteScreening adds change rows for applications, in the writing
// transaction so that the rows commit with the change or not at all.
func (tx *Tx) noteScreening(ctx context.Context, as ...enroll.Record) error {
	if len(as) == 0 {
		return nil
	}
	rows := make([][]any, len(as))
	for i, a := range as {
		rows[i] = []any{a.ID, a.PersonID}
	}
	if err := tx.insertRows(ctx, "screening_changes", "application_id, person_id", rows); err != nil {
		return fmt.Errorf("note screening change: %w", err)
	}
	return nil
}

// noteScreeningOf adds change rows for one application by id.
func (tx *Tx) noteScreeningOf(ctx context.Context, id string) error {
	if _, err := tx.exec(ctx, `INSERT INTO screening_changes (application_id, person_id)
		SELECT id, person_id FROM applications WHERE id = ?`, id); err != nil {
		return fmt.Errorf("note screening change: %w", err)
	}
	return nil
}

// noteScreeningOfPersons adds change rows for every application of people
// (before their rows are deleted, so the ids are still there to read).
func (tx *Tx) noteScreeningOfPersons(ctx context.Context, personIDs []string) error {
	if len(personIDs) == 0 {
		return nil
	}
	args := make([]any, len(personIDs))
	for i, id := range personIDs {
		args[i] = id
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(personIDs)), ", ") + ")"
	if _, err := tx.exec(ctx, `INSERT INTO screening_changes (application_id, person_id)
		SELECT id, person_id FROM applications WHERE person_id IN `+in, args...); err != nil {
		return fmt.Errorf("note screening change: %w", err)
	}
	// They are being erased or reduced: no index snapshot may keep them.
	_, err := tx.dropScreeningSnapshots(ctx)
	return err
}

// LastScreeningChange returns the newest change's number (0 when none):
// a server reads it before loading its index, then follows from there.
func (db *DB) LastScreeningChange(ctx context.Context) (int64, error) {
	var n int64
	if err := db.queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM screening_changes").Scan(&n); err != nil {
		return 0, fmt.Errorf("last screening change: %w", err)
	}
	return n, nil
}

// ScreeningChanges returns at most limit changes numbered after after,
// in order. On PostgreSQL numbers are taken when a row is written, not
// when it commits, so a later number may be visible before an earlier
// one: callers keep the gaps they saw and ask again from below them.
func (db *DB) ScreeningChanges(ctx context.Context, after int64, limit int) ([]ScreeningChange, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	rows, err := db.query(ctx, fmt.Sprintf(
		"SELECT seq, application_id, person_id FROM screening_changes WHERE seq > ? ORDER BY seq LIMIT %d", limit), after)
	if err != nil {
		return nil, fmt.Errorf("screening changes: %w", err)
	}
	out, err := scanChanges(rows, nil)
	if err != nil {
		return nil, fmt.Errorf("screening changes: %w", err)
	}
	return out, nil
}

// scanChanges appends the rows (seq, application_id, person_id) to out and
// closes them.
func scanChanges(rows *sql.Rows, out []ScreeningChange) ([]ScreeningChange, error) {
	defer rows.Close()
	for rows.Next() {
		var c ScreeningChange
		if err := rows.Scan(&c.Seq, &c.ApplicationID, &c.PersonID); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ScreeningChangesAt returns the changes numbered seqs that exist now, in
// order: a server asks for the numbers it saw missing (a write numbered
// earlier that had not committed yet) by name, so a number that never
// commits (its write rolled back) costs a lookup a poll, not a re-read of
// every change since it.
func (db *DB) ScreeningChangesAt(ctx context.Context, seqs []int64) ([]ScreeningChange, error) {
	var out []ScreeningChange
	for len(seqs) > 0 {
		page := seqs[:min(len(seqs), 500)]
		seqs = seqs[len(page):]
		args := make([]any, len(page))
		for i, n := range page {
			args[i] = n
		}
		in := strings.TrimSuffix(strings.Repeat("?, ", len(page)), ", ")
		rows, err := db.query(ctx, "SELECT seq, application_id, person_id FROM screening_changes WHERE seq IN ("+in+") ORDER BY seq", args...)
		if err != nil {
			return nil, fmt.Errorf("screening changes by number: %w", err)
		}
		if out, err = scanChanges(rows, out); err != nil {
			return nil, fmt.Errorf("screening changes by number: %w", err)
		}
	}
	return out, nil
}

// PruneScreeningChanges keeps the newest keep changes and deletes the rest;
// a server further behind than that reloads its index.
func (db *DB) PruneScreeningChanges(ctx context.Context, keep int64) (int, error) {
	var n int
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "DELETE FROM screening_changes WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM screening_changes) - ?", keep)
		if err != nil {
			return err
		}
		m, _ := res.RowsAffected()
		n = int(m)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune screening changes: %w", err)
	}
	return n, nil
}

// FirstScreeningChange returns the oldest change kept (0 when none).
func (db *DB) FirstScreeningChange(ctx context.Context) (int64, error) {
	var n int64
	if err := db.queryRow(ctx, "SELECT COALESCE(MIN(seq), 0) FROM screening_changes").Scan(&n); err != nil {
		return 0, fmt.Errorf("first screening change: %w", err)
	}
	return n, nil
}

// ScreeningApplications calls fn for each of the applications ids that
// still exist, with its person's wrapped data key (nil once erased); the
// large sealed columns and the times are not read, as in EachApplication.
func (db *DB) ScreeningApplications(ctx context.Context, ids []string, fn func(a enroll.Record, wrappedKey []byte) error) error {
	for len(ids) > 0 {
		page := ids[:min(len(ids), 500)]
		ids = ids[len(page):]
		args := make([]any, len(page))
		for i, id := range page {
			args[i] = id
		}
		in := strings.TrimSuffix(strings.Repeat("?, ", len(page)), ", ")
		rows, err := db.query(ctx, "SELECT "+leanColumns+", (SELECT wrapped_key FROM persons WHERE persons.id = applications.person_id), id"+
			" FROM applications WHERE id IN ("+in+")", args...)
		if err != nil {
			return fmt.Errorf("screening applications: %w", err)
		}
		type item struct {
			app enroll.Record
			key []byte
		}
		var batch []item
		for rows.Next() {
			var it item
			var pos any
			a, err := scanApplication(keyScanner{rows, &it.key, &pos})
			if err != nil {
				rows.Close()
				return fmt.Errorf("screening applications: %w", err)
			}
			it.app = a
			batch = append(batch, it)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("screening applications: %w", err)
		}
		for _, it := range batch {
			if err := fn(it.app, it.key); err != nil {
				return err
			}
		}
	}
	return nil
}

// MatchEncodingsOf returns the stored "no list" encodings of people, by
// person id (a person without one is absent): one query for a page of
// up to 500 people, where a server following the change feed used to
// ask once for every person taken anywhere.
func (db *DB) MatchEncodingsOf(ctx context.Context, personIDs []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for len(personIDs) > 0 {
		page := personIDs[:min(len(personIDs), 500)]
		personIDs = personIDs[len(page):]
		args := make([]any, len(page))
		for i, id := range page {
			args[i] = id
		}
		in := strings.TrimSuffix(strings.Repeat("?, ", len(page)), ", ")
		rows, err := db.query(ctx, "SELECT person_id, encoding FROM match_encodings WHERE person_id IN ("+in+")", args...)
		if err != nil {
			return nil, fmt.Errorf("match encodings of people: %w", err)
		}
		for rows.Next() {
			var id string
			var enc []byte
			if err := rows.Scan(&id, &enc); err != nil {
				rows.Close()
				return nil, fmt.Errorf("match encodings of people: %w", err)
			}
			out[id] = enc
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("match encodings of people: %w", err)
		}
	}
	return out, nil
}

// PendingScreening lists (by id, at most limit) the applications waiting in
// review because they were taken while a screening index was loading.
func (db *DB) PendingScreening(ctx context.Context, limit int) ([]string, error) {
	rows, err := db.query(ctx, fmt.Sprintf(`SELECT id FROM applications WHERE review_reason = ? AND status = ?
		ORDER BY id LIMIT %d`, limit), enroll.ReviewScreeningPending, string(enroll.StatusNeedsReview))
	if err != nil {
		return nil, fmt.Errorf("applications pending screening: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("applications pending screening: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetScreened records that an application pending screening was screened:
// it moves to status with the review reason; ErrConflict when it is no
// longer pending (decided meanwhile, or screened by another server).
func (tx *Tx) SetScreened(ctx context.Context, id string, status enroll.Status, reason string, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE applications SET status = ?, review_reason = ?, updated_at = ?
		WHERE id = ? AND status = ? AND review_reason = ?`,
		string(status), reason, micros(at), id, string(enroll.StatusNeedsReview), enroll.ReviewScreeningPending)
	if err != nil {
		return fmt.Errorf("set application screened: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("application %s is not pending screening: %w", id, ErrConflict)
	}
	return nil
}
