package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/enroll"
)

// InsertDuplicateCandidates records screening results for an application.
func (tx *Tx) InsertDuplicateCandidates(ctx context.Context, cs []enroll.DuplicateCandidate) error {
	for _, c := range cs {
		_, err := tx.exec(ctx, `INSERT INTO duplicate_candidates (application_id, candidate_id, probability, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (application_id, candidate_id) DO UPDATE SET probability = excluded.probability`,
			c.ApplicationID, c.CandidateID, c.Probability, micros(c.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert duplicate candidate: %w", err)
		}
	}
	return nil
}

// DuplicateCandidates lists an application's open candidates, most likely first.
func (db *DB) DuplicateCandidates(ctx context.Context, applicationID string) ([]enroll.DuplicateCandidate, error) {
	rows, err := db.query(ctx, `SELECT application_id, candidate_id, probability, created_at FROM duplicate_candidates
		WHERE application_id = ? ORDER BY probability DESC, candidate_id`, applicationID)
	if err != nil {
		return nil, fmt.Errorf("list duplicate candidates: %w", err)
	}
	defer rows.Close()
	var out []enroll.DuplicateCandidate
	for rows.Next() {
		var c enroll.DuplicateCandidate
		var at int64
		if err := rows.Scan(&c.ApplicationID, &c.CandidateID, &c.Probability, &at); err != nil {
			return nil, fmt.Errorf("list duplicate candidates: %w", err)
		}
		c.CreatedAt = fromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteDuplicateCandidate removes one resolved candidate and returns how many remain.
func (tx *Tx) DeleteDuplicateCandidate(ctx context.Context, applicationID, candidateID string) (int, error) {
	res, err := tx.exec(ctx, "DELETE FROM duplicate_candidates WHERE application_id = ? AND candidate_id = ?", applicationID, candidateID)
	if err != nil {
		return 0, fmt.Errorf("resolve duplicate candidate: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("duplicate candidate %s/%s: %w", applicationID, candidateID, ErrNotFound)
	}
	var left int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM duplicate_candidates WHERE application_id = ?", applicationID).Scan(&left); err != nil {
		return 0, fmt.Errorf("count duplicate candidates: %w", err)
	}
	return left, nil
}

// ClearDuplicateCandidates removes every candidate of an application (after a decision).
func (tx *Tx) ClearDuplicateCandidates(ctx context.Context, applicationID string) error {
	if _, err := tx.exec(ctx, "DELETE FROM duplicate_candidates WHERE application_id = ?", applicationID); err != nil {
		return fmt.Errorf("clear duplicate candidates: %w", err)
	}
	return nil
}

func orderedPair(a, b string) (string, string) {
	if b < a {
		return b, a
	}
	return a, b
}

// MarkDistinct remembers that two records are different people.
func (tx *Tx) MarkDistinct(ctx context.Context, a, b, by string, at time.Time) error {
	first, second := orderedPair(a, b)
	_, err := tx.exec(ctx, `INSERT INTO distinct_people (first_id, second_id, decided_by, decided_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (first_id, second_id) DO NOTHING`, first, second, by, micros(at))
	if err != nil {
		return fmt.Errorf("mark distinct: %w", err)
	}
	return nil
}

// DistinctFrom returns the ids a supervisor has said are not the same person as id.
func (db *DB) DistinctFrom(ctx context.Context, id string) (map[string]bool, error) {
	rows, err := db.query(ctx, `SELECT first_id, second_id FROM distinct_people WHERE first_id = ? OR second_id = ?`, id, id)
	if err != nil {
		return nil, fmt.Errorf("distinct people: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return nil, fmt.Errorf("distinct people: %w", err)
		}
		if a == id {
			out[b] = true
		} else {
			out[a] = true
		}
	}
	return out, rows.Err()
}

// leanColumns is appColumns without the large sealed columns (photo,
// documents, notes) and the times stored after them: SQLite keeps a 30 KB
// photo in overflow pages, and reading it — or any column behind it — for
// every resident would make rebuilding the screening index read gigabytes.
var leanColumns = strings.NewReplacer("documents, photo, notes", "NULL, NULL, NULL",
	"created_at, updated_at, submitted_at, decided_at", "0, 0, 0, 0").Replace(appColumns)

// EachApplication calls fn for every application in one of statuses (for
// rebuilding the screening index at start), with its person's wrapped data
// key (nil once erased). The photo, documents, notes and times are not
// read (zero in the rows). On SQLite it reads a page at a time in rowid
// order; on PostgreSQL it streams one query in the table's own order.
func (db *DB) EachApplication(ctx context.Context, statuses []enroll.Status, fn func(a enroll.Record, wrappedKey []byte) error) error {
	in := strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ")
	if db.dialect == Postgres {
		return db.streamApplications(ctx, in, statuses, fn)
	}
	const page = 2000
	type item struct {
		app enroll.Record
		key []byte
		pos any
	}
	// Page in storage order: on SQLite by rowid, since random text ids would
	// turn the walk into random page reads; on PostgreSQL by id.
	posCol := "id"
	var after any = ""
	if db.dialect == SQLite {
		posCol, after = "rowid", int64(0)
	}
	for {
		args := []any{after}
		for _, s := range statuses {
			args = append(args, string(s))
		}
		args = append(args, page)
		rows, err := db.query(ctx, "SELECT "+leanColumns+", (SELECT wrapped_key FROM persons WHERE persons.id = applications.person_id), "+posCol+
			" FROM applications WHERE "+posCol+" > ? AND status IN ("+in+") ORDER BY "+posCol+" LIMIT ?", args...)
		if err != nil {
			return fmt.Errorf("walk applications: %w", err)
		}
		var batch []item
		for rows.Next() {
			var it item
			a, err := scanApplication(keyScanner{rows, &it.key, &it.pos})
			if err != nil {
				rows.Close()
				return fmt.Errorf("walk applications: %w", err)
			}
			it.app = a
			batch = append(batch, it)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("walk applications: %w", err)
		}
		for _, it := range batch {
			if err := fn(it.app, it.key); err != nil {
				return err
			}
		}
		if len(batch) < page {
			return nil
		}
		after = batch[len(batch)-1].pos
	}
}

// streamApplications is EachApplication on PostgreSQL: one sequential scan
// joined with persons, read as it arrives. Paging by id (random text) made
// every page an index walk over random heap pages, and with the statistics
// of a freshly bulk-loaded table a scan of every row after the cursor: 90 s
// of a 100,000-resident server's start. A change committed while the
// query runs is applied from the screening change feed afterwards (Load
// notes the feed's position first).
func (db *DB) streamApplications(ctx context.Context, in string, statuses []enroll.Status, fn func(a enroll.Record, wrappedKey []byte) error) error {
	args := make([]any, len(statuses))
	for i, s := range statuses {
		args[i] = string(s)
	}
	rows, err := db.query(ctx, "SELECT "+leanColumns+", wk, 0 FROM (SELECT applications.*, persons.wrapped_key AS wk FROM applications"+
		" LEFT JOIN persons ON persons.id = applications.person_id WHERE applications.status IN ("+in+")) a", args...)
	if err != nil {
		return fmt.Errorf("walk applications: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key []byte
		var pos any
		a, err := scanApplication(keyScanner{rows, &key, &pos})
		if err != nil {
			return fmt.Errorf("walk applications: %w", err)
		}
		if err := fn(a, key); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("walk applications: %w", err)
	}
	return nil
}

// keyScanner appends the wrapped key and the paging position to a row scan.
type keyScanner struct {
	s   scanner
	key *[]byte
	pos *any
}

func (k keyScanner) Scan(dest ...any) error { return k.s.Scan(append(dest, k.key, k.pos)...) }

// LatestApplicationOf returns the id of a person's most recent application.
func (db *DB) LatestApplicationOf(ctx context.Context, personID string) (string, error) {
	var id string
	err := db.queryRow(ctx, "SELECT id FROM applications WHERE person_id = ? ORDER BY created_at DESC, id LIMIT 1", personID).Scan(&id)
	if err != nil {
		return "", notFound(err, "application of person "+personID)
	}
	return id, nil
}
