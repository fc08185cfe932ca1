package store

import (
	"context"
	"fmt"
	"strings"

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
	defer rows.Close()
	var out []ScreeningChange
	for rows.Next() {
		var c ScreeningChange
		if err := rows.Scan(&c.Seq, &c.ApplicationID, &c.PersonID); err != nil {
			return nil, fmt.Errorf("screening changes: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
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

// MatchEncodingOf returns one person's stored "no list" encoding, or
// ErrNotFound.
func (db *DB) MatchEncodingOf(ctx context.Context, personID string) ([]byte, error) {
	var enc []byte
	err := db.queryRow(ctx, "SELECT encoding FROM match_encodings WHERE person_id = ?", personID).Scan(&enc)
	if err != nil {
		return nil, notFound(err, "match encoding of person "+personID)
	}
	return enc, nil
}
