package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/enroll"
)

// Preapplication is a resident's pre-application as stored; package
// enroll owns the type and its sealed layout.
type Preapplication = enroll.PreappRecord

const preappCols = "id, ref_index, person_id, person_key, idempotency_key, language, remind, person, documents, application_id, created_at, expires_at, used_at"

func scanPreapp(s scanner) (Preapplication, error) {
	var p Preapplication
	var idem *string
	var remind int
	var created, expires, used int64
	err := s.Scan(&p.ID, &p.RefIndex, &p.PersonID, &p.PersonKey, &idem, &p.Language, &remind, &p.Person, &p.Documents,
		&p.ApplicationID, &created, &expires, &used)
	if err != nil {
		return Preapplication{}, err
	}
	if idem != nil {
		p.IdempotencyKey = *idem
	}
	p.Remind = remind == 1
	p.CreatedAt, p.ExpiresAt, p.UsedAt = fromMicros(created), fromMicros(expires), fromMicros(used)
	return p, nil
}

// InsertPreapplication stores p; a reused reference or idempotency key is ErrConflict.
func (tx *Tx) InsertPreapplication(ctx context.Context, p Preapplication) error {
	_, err := tx.exec(ctx, "INSERT INTO preapplications ("+preappCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		p.ID, p.RefIndex, p.PersonID, p.PersonKey, nullString(p.IdempotencyKey), p.Language, boolInt(p.Remind),
		p.Person, p.Documents, p.ApplicationID, micros(p.CreatedAt), micros(p.ExpiresAt), micros(p.UsedAt))
	if isUnique(err) {
		return fmt.Errorf("pre-application %s: %w", p.ID, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert pre-application: %w", err)
	}
	return nil
}

// PreapplicationByRef returns the unexpired pre-application whose reference
// code hashes to refIndex at time now; expired ones are ErrNotFound.
func (db *DB) PreapplicationByRef(ctx context.Context, refIndex []byte, now time.Time) (Preapplication, error) {
	p, err := scanPreapp(db.queryRow(ctx, "SELECT "+preappCols+" FROM preapplications WHERE ref_index = ? AND expires_at > ?", refIndex, micros(now)))
	if err != nil {
		return Preapplication{}, notFound(err, "pre-application")
	}
	return p, nil
}

// Preapplication returns a pre-application by id (expired or not).
func (db *DB) Preapplication(ctx context.Context, id string) (Preapplication, error) {
	p, err := scanPreapp(db.queryRow(ctx, "SELECT "+preappCols+" FROM preapplications WHERE id = ?", id))
	if err != nil {
		return Preapplication{}, notFound(err, "pre-application "+id)
	}
	return p, nil
}

// PreapplicationByApplication returns the pre-application a clerk made
// application appID from (ErrNotFound when it came in on paper, or the
// pre-application has expired and been erased).
func (db *DB) PreapplicationByApplication(ctx context.Context, appID string) (Preapplication, error) {
	p, err := scanPreapp(db.queryRow(ctx, "SELECT "+preappCols+" FROM preapplications WHERE application_id = ?", appID))
	if err != nil {
		return Preapplication{}, notFound(err, "pre-application of "+appID)
	}
	return p, nil
}

// PreapplicationByIdempotencyKey returns the pre-application a form's
// request key already made (a resubmitted form).
func (tx *Tx) PreapplicationByIdempotencyKey(ctx context.Context, key string) (Preapplication, error) {
	p, err := scanPreapp(tx.queryRow(ctx, "SELECT "+preappCols+" FROM preapplications WHERE idempotency_key = ?", key))
	if err != nil {
		return Preapplication{}, notFound(err, "pre-application")
	}
	return p, nil
}

// MarkPreapplicationUsed records the application a clerk made from it;
// ErrConflict when an application was made from it already (two clerks
// loading one code at once: one wins).
func (tx *Tx) MarkPreapplicationUsed(ctx context.Context, id, applicationID string, at time.Time) error {
	res, err := tx.exec(ctx, "UPDATE preapplications SET application_id = ?, used_at = ? WHERE id = ? AND application_id = ''", applicationID, micros(at), id)
	if err != nil {
		return fmt.Errorf("mark pre-application used: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := scanPreapp(tx.queryRow(ctx, "SELECT "+preappCols+" FROM preapplications WHERE id = ?", id)); err != nil {
			return notFound(err, "pre-application "+id)
		}
		return fmt.Errorf("pre-application %s already used: %w", id, ErrConflict)
	}
	return nil
}

// PurgePreapplications deletes pre-applications that expired before now,
// their appointments (freeing a booked slot), waitlist and lottery entries
// and their person rows (the data keys: crypto-shredding), and returns how
// many it removed. Appointments and entries go too: they carry the keyed
// person index and would link visits to a person no longer on file.
func (tx *Tx) PurgePreapplications(ctx context.Context, now time.Time) (int, error) {
	rows, err := tx.query(ctx, "SELECT id, person_id FROM preapplications WHERE expires_at <= ?", micros(now))
	if err != nil {
		return 0, fmt.Errorf("purge pre-applications: %w", err)
	}
	type pair struct{ id, person string }
	var due []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.id, &p.person); err != nil {
			rows.Close()
			return 0, fmt.Errorf("purge pre-applications: %w", err)
		}
		due = append(due, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("purge pre-applications: %w", err)
	}
	for _, p := range due {
		for _, q := range []string{
			"UPDATE slots SET booked = booked - 1 WHERE id IN (SELECT slot_id FROM appointments WHERE preapp_id = ? AND status = 'booked')",
			"DELETE FROM appointments WHERE preapp_id = ?",
			"DELETE FROM waitlist WHERE preapp_id = ?",
			"DELETE FROM lottery_entries WHERE preapp_id = ?",
			"DELETE FROM preapplications WHERE id = ?",
		} {
			if _, err := tx.exec(ctx, q, p.id); err != nil {
				return 0, fmt.Errorf("purge pre-application %s: %w", p.id, err)
			}
		}
		if _, err := tx.exec(ctx, "DELETE FROM persons WHERE id = ? AND NOT EXISTS (SELECT 1 FROM applications WHERE person_id = ?)", p.person, p.person); err != nil {
			return 0, fmt.Errorf("purge pre-application %s: %w", p.id, err)
		}
	}
	return len(due), nil
}

// PreapplicationAndKey is PreapplicationByRef with its person's wrapped data
// key in the same query (nil once crypto-shredded): one read instead of two
// on the busiest path of the resident site.
func (db *DB) PreapplicationAndKey(ctx context.Context, refIndex []byte, now time.Time) (Preapplication, []byte, error) {
	var wrapped []byte
	row := db.queryRow(ctx, "SELECT p."+strings.ReplaceAll(preappCols, ", ", ", p.")+", k.wrapped_key FROM preapplications p JOIN persons k ON k.id = p.person_id WHERE p.ref_index = ? AND p.expires_at > ?", refIndex, micros(now))
	p, err := scanPreapp(scanFunc(func(dest ...any) error { return row.Scan(append(dest, &wrapped)...) }))
	if err != nil {
		return Preapplication{}, nil, notFound(err, "pre-application")
	}
	return p, wrapped, nil
}

// scanFunc adapts a function to the scanner interface.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }
