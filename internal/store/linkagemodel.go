package store

import (
	"context"
	"fmt"
	"time"
)

// PairDecision is a supervisor's decision on one possible duplicate: the
// application and the earlier record are the same person or not.
type PairDecision struct {
	ApplicationID, CandidateID string
	Same                       bool
	DecidedBy                  string
	DecidedAt                  time.Time
}

// RecordPairDecision keeps a decision as a label for re-estimating the
// duplicate model; deciding the same pair again replaces it.
func (tx *Tx) RecordPairDecision(ctx context.Context, applicationID, candidateID string, same bool, by string, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO pair_decisions (application_id, candidate_id, same, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (application_id, candidate_id) DO UPDATE SET same = excluded.same, decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
		applicationID, candidateID, boolInt(same), by, micros(at))
	if err != nil {
		return fmt.Errorf("record pair decision: %w", err)
	}
	return nil
}

// PairDecisions returns every kept decision, oldest first.
func (db *DB) PairDecisions(ctx context.Context) ([]PairDecision, error) {
	rows, err := db.query(ctx, "SELECT application_id, candidate_id, same, decided_by, decided_at FROM pair_decisions ORDER BY decided_at, application_id, candidate_id")
	if err != nil {
		return nil, fmt.Errorf("pair decisions: %w", err)
	}
	defer rows.Close()
	var out []PairDecision
	for rows.Next() {
		var d PairDecision
		var same int
		var at int64
		if err := rows.Scan(&d.ApplicationID, &d.CandidateID, &same, &d.DecidedBy, &at); err != nil {
			return nil, fmt.Errorf("pair decisions: %w", err)
		}
		d.Same, d.DecidedAt = same == 1, fromMicros(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// LinkageModel is one stored version of the duplicate-detection model.
type LinkageModel struct {
	Version     int64
	CreatedAt   time.Time
	CreatedBy   string
	Source      string // "estimate" (from reviewers' decisions) or "import" (a file)
	Model       []byte // linkage.Model as JSON
	Report      []byte // JSON: what it was trained and tested on, and how it scored
	Refused     bool   // worse than the model it would have replaced: never activated
	Active      bool
	ActivatedAt time.Time
}

// InsertLinkageModel stores m as the next version and returns its number.
func (tx *Tx) InsertLinkageModel(ctx context.Context, m LinkageModel) (int64, error) {
	var v int64
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM linkage_models").Scan(&v); err != nil {
		return 0, fmt.Errorf("insert linkage model: %w", err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO linkage_models (version, created_at, created_by, source, model, report, refused)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, v, micros(m.CreatedAt), m.CreatedBy, m.Source, string(m.Model), string(m.Report), boolInt(m.Refused)); err != nil {
		if isUnique(err) {
			return 0, fmt.Errorf("insert linkage model: %w", ErrConflict)
		}
		return 0, fmt.Errorf("insert linkage model: %w", err)
	}
	return v, nil
}

// ActivateLinkageModel makes version the active model (0: none, the
// built-in default). A refused version cannot be activated (ErrConflict).
func (tx *Tx) ActivateLinkageModel(ctx context.Context, version int64, at time.Time) error {
	if version != 0 {
		var refused int
		if err := tx.queryRow(ctx, "SELECT refused FROM linkage_models WHERE version = ?", version).Scan(&refused); err != nil {
			return notFound(err, fmt.Sprintf("linkage model %d", version))
		}
		if refused == 1 {
			return fmt.Errorf("linkage model %d was refused: %w", version, ErrConflict)
		}
	}
	if _, err := tx.exec(ctx, "UPDATE linkage_models SET active = 0 WHERE active = 1"); err != nil {
		return fmt.Errorf("activate linkage model: %w", err)
	}
	if version == 0 {
		return nil
	}
	if _, err := tx.exec(ctx, "UPDATE linkage_models SET active = 1, activated_at = ? WHERE version = ?", micros(at), version); err != nil {
		return fmt.Errorf("activate linkage model: %w", err)
	}
	return nil
}

const linkageModelColumns = "version, created_at, created_by, source, model, report, refused, active, activated_at"

func scanLinkageModel(s scanner) (LinkageModel, error) {
	var m LinkageModel
	var created, activated int64
	var model, report string
	var refused, active int
	if err := s.Scan(&m.Version, &created, &m.CreatedBy, &m.Source, &model, &report, &refused, &active, &activated); err != nil {
		return LinkageModel{}, err
	}
	m.CreatedAt, m.ActivatedAt = fromMicros(created), fromMicros(activated)
	m.Model, m.Report, m.Refused, m.Active = []byte(model), []byte(report), refused == 1, active == 1
	return m, nil
}

// LinkageModels lists the stored versions, newest first.
func (db *DB) LinkageModels(ctx context.Context) ([]LinkageModel, error) {
	rows, err := db.query(ctx, "SELECT "+linkageModelColumns+" FROM linkage_models ORDER BY version DESC")
	if err != nil {
		return nil, fmt.Errorf("linkage models: %w", err)
	}
	defer rows.Close()
	var out []LinkageModel
	for rows.Next() {
		m, err := scanLinkageModel(rows)
		if err != nil {
			return nil, fmt.Errorf("linkage models: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ActiveLinkageModel returns the active version, or ErrNotFound when the
// built-in default is in use.
func (db *DB) ActiveLinkageModel(ctx context.Context) (LinkageModel, error) {
	m, err := scanLinkageModel(db.queryRow(ctx, "SELECT "+linkageModelColumns+" FROM linkage_models WHERE active = 1"))
	if err != nil {
		return LinkageModel{}, notFound(err, "active linkage model")
	}
	return m, nil
}

// ActiveLinkageModelVersion returns the active version (0: the built-in
// model), cheaply, for servers checking whether to switch.
func (db *DB) ActiveLinkageModelVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := db.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM linkage_models WHERE active = 1").Scan(&v); err != nil {
		return 0, fmt.Errorf("active linkage model: %w", err)
	}
	return v, nil
}
