package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/errs"
)

// SpotCheck is a pair screening scored under the review threshold, drawn at
// random for a supervisor to decide (schema 25). Same is nil until decided.
type SpotCheck struct {
	ApplicationID, CandidateID string
	Probability                float64
	// BandPairs is how many pairs in the same band the drawn record had:
	// this pair stands for them all.
	BandPairs int
	DrawnBy   string
	DrawnAt   time.Time
	Same      *bool
	DecidedBy string
	DecidedAt time.Time
}

// InsertSpotChecks adds drawn pairs; a pair already drawn is left as it is.
func (tx *Tx) InsertSpotChecks(ctx context.Context, cs []SpotCheck) error {
	for _, c := range cs {
		if _, err := tx.exec(ctx, `INSERT INTO spot_checks (application_id, candidate_id, probability, band_pairs, drawn_by, drawn_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (application_id, candidate_id) DO NOTHING`,
			c.ApplicationID, c.CandidateID, c.Probability, c.BandPairs, c.DrawnBy, micros(c.DrawnAt)); err != nil {
			return fmt.Errorf("insert spot check: %w", err)
		}
	}
	return nil
}

// DecideSpotCheck records a supervisor's decision on a drawn pair. A pair
// never drawn is ErrNotFound; one decided already is errs.ErrConflict (the
// first decision stands: two supervisors on one pair do not overwrite each
// other).
func (tx *Tx) DecideSpotCheck(ctx context.Context, applicationID, candidateID string, same bool, by string, at time.Time) error {
	res, err := tx.exec(ctx, "UPDATE spot_checks SET same = ?, decided_by = ?, decided_at = ? WHERE application_id = ? AND candidate_id = ? AND same IS NULL",
		boolInt(same), by, micros(at), applicationID, candidateID)
	if err != nil {
		return fmt.Errorf("decide spot check: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("decide spot check: %w", err)
	}
	if n == 1 {
		return nil
	}
	var drawn int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM spot_checks WHERE application_id = ? AND candidate_id = ?", applicationID, candidateID).Scan(&drawn); err != nil {
		return fmt.Errorf("decide spot check: %w", err)
	}
	if drawn == 0 {
		return fmt.Errorf("spot check %s/%s: %w", applicationID, candidateID, ErrNotFound)
	}
	return fmt.Errorf("spot check %s/%s decided already: %w", applicationID, candidateID, errs.ErrConflict)
}

const spotCheckColumns = "application_id, candidate_id, probability, band_pairs, drawn_by, drawn_at, same, decided_by, decided_at"

// SpotChecks lists drawn pairs, the oldest drawn first; undecided only
// when open is set.
func (db *DB) SpotChecks(ctx context.Context, open bool) ([]SpotCheck, error) {
	q := "SELECT " + spotCheckColumns + " FROM spot_checks"
	if open {
		q += " WHERE same IS NULL"
	}
	rows, err := db.query(ctx, q+" ORDER BY drawn_at, application_id, candidate_id")
	if err != nil {
		return nil, fmt.Errorf("spot checks: %w", err)
	}
	defer rows.Close()
	var out []SpotCheck
	for rows.Next() {
		c, err := scanSpotCheck(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

const spotCheckPairQuery = "SELECT " + spotCheckColumns + " FROM spot_checks WHERE application_id = ? AND candidate_id = ?"

// SpotCheckPair returns one drawn pair.
func (db *DB) SpotCheckPair(ctx context.Context, applicationID, candidateID string) (SpotCheck, error) {
	return spotCheckPair(db.queryRow(ctx, spotCheckPairQuery, applicationID, candidateID), applicationID, candidateID)
}

// SpotCheckPair is DB.SpotCheckPair inside a transaction.
func (tx *Tx) SpotCheckPair(ctx context.Context, applicationID, candidateID string) (SpotCheck, error) {
	return spotCheckPair(tx.queryRow(ctx, spotCheckPairQuery, applicationID, candidateID), applicationID, candidateID)
}

func spotCheckPair(row *sql.Row, applicationID, candidateID string) (SpotCheck, error) {
	c, err := scanSpotCheck(row)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("spot check %s/%s: %w", applicationID, candidateID, ErrNotFound)
	}
	return c, err
}

func scanSpotCheck(r interface{ Scan(...any) error }) (SpotCheck, error) {
	var c SpotCheck
	var drawn, decided int64
	var same sql.NullInt64
	if err := r.Scan(&c.ApplicationID, &c.CandidateID, &c.Probability, &c.BandPairs, &c.DrawnBy, &drawn, &same, &c.DecidedBy, &decided); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
		return c, fmt.Errorf("spot check: %w", err)
	}
	c.DrawnAt = fromMicros(drawn)
	if same.Valid {
		s := same.Int64 == 1
		c.Same, c.DecidedAt = &s, fromMicros(decided)
	}
	return c, nil
}
