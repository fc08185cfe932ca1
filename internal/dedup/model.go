package dedup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/store"
)

// Learning from reviewers. Every supervisor decision on a possible
// duplicate is a label (store.PairDecision). Estimate re-estimates the
// model from three quarters of them and tests it on the rest, which it
// never trained on; a model that does worse there than the active one is
// stored as refused and never used. Versions are kept; one is active;
// every server applies the active one within seconds (Sync).

// MinHeldOut is the fewest held-out decisions a re-estimation is judged on.
const MinHeldOut = 10

// ErrRefused means a re-estimated or imported model was not made active.
var ErrRefused = errors.New("duplicate model refused")

// ModelReport says what a re-estimation learned from and how it scored.
type ModelReport struct {
	Version   int64 `json:"version,omitempty"`
	Decisions int   `json:"decisions"` // usable decisions (both records still readable)
	Trained   int   `json:"trained"`
	HeldOut   int   `json:"held_out"`
	// Previous is the active model's score on the held-out decisions,
	// Candidate the new model's.
	Previous  linkage.LabelScore `json:"previous"`
	Candidate linkage.LabelScore `json:"candidate"`
	// Calibrated says the new model carries a calibration to the
	// decisions it learned from (linkage.FitCalibration), kept because it
	// brought the held-out Brier score down from UncalibratedBrier (the
	// figures without it) to Candidate.Brier. CalibrationNote says why
	// there is none otherwise.
	Calibrated        bool    `json:"calibrated"`
	UncalibratedBrier float64 `json:"uncalibrated_brier"`
	CalibrationNote   string  `json:"calibration_note,omitempty"`
	Refused           bool    `json:"refused"`
	Reason            string  `json:"reason,omitempty"`
	// ActiveCalibrated is set when the new model was refused but the
	// active one, calibrated to the decisions, showed truer figures on the
	// held-out ones (Brier ActiveCalibratedBrier against Previous.Brier):
	// the version stored and made active for it, which flags what the
	// active model flags.
	ActiveCalibrated      int64   `json:"active_calibrated_version,omitempty"`
	ActiveCalibratedBrier float64 `json:"active_calibrated_brier,omitempty"`
}

// heldOut puts a quarter of the decisions aside, by a hash of the pair's
// ids: the same pair is always on the same side, whatever else changes.
func heldOut(d enroll.DecidedPair) bool {
	h := fnv.New32a()
	h.Write([]byte(d.ApplicationID + "|" + d.CandidateID))
	return h.Sum32()%4 == 0
}

func labelOf(d enroll.DecidedPair) linkage.Label {
	return linkage.Label{A: linkage.FromPerson(d.ApplicationID, d.Application), B: linkage.FromPerson(d.CandidateID, d.Candidate), Same: d.Same}
}

// Estimate re-estimates the model from reviewers' decisions, stores it as
// a new version and activates it — unless it scores worse than the active
// model on the held-out decisions, when it is stored as refused and
// ErrRefused returned with the report.
func (s *Screener) Estimate(ctx context.Context, svc *enroll.Service, by auth.Actor, now time.Time) (ModelReport, error) {
	var rep ModelReport
	if err := mayManage(by); err != nil {
		return rep, err
	}
	if s.loading.Load() {
		return rep, fmt.Errorf("re-estimate the duplicate model: %w", errLoading)
	}
	train, test, err := s.decisions(ctx, svc, by, &rep)
	if err != nil {
		return rep, err
	}
	m, err := s.ix.Learn(train)
	if err != nil {
		return rep, err
	}
	rep.Previous = s.ix.Evaluate(nil, test)
	rep.Candidate = s.ix.Evaluate(m, test)
	rep.UncalibratedBrier = rep.Candidate.Brier
	m, rep.Candidate, rep.Calibrated, rep.CalibrationNote = s.calibrate(m, rep.Candidate, train, test)
	if rep.Candidate.Worse(rep.Previous) {
		rep.Refused = true
		rep.Reason = fmt.Sprintf("held-out F1 %.4f is below the active model's %.4f", rep.Candidate.F1, rep.Previous.F1)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return rep, err
	}
	rep.Version, err = s.storeModel(ctx, by, now, "estimate", body, &rep)
	if err != nil {
		return rep, err
	}
	if !rep.Refused {
		return rep, s.Activate(ctx, by, rep.Version, now)
	}
	// The active model stays. Its figures can still be made truer (see
	// CalibrateActive).
	crep := ModelReport{Decisions: rep.Decisions, Trained: rep.Trained, HeldOut: rep.HeldOut, Previous: rep.Previous}
	if err := s.calibrateActive(ctx, by, now, train, test, &crep); err == nil {
		rep.ActiveCalibrated, rep.ActiveCalibratedBrier = crep.Version, crep.Candidate.Brier
	} else if !errors.Is(err, ErrRefused) {
		return rep, err
	}
	return rep, fmt.Errorf("%w: %s; the active model is kept", ErrRefused, rep.Reason)
}

// decisions reads the reviewers' decisions whose records are still
// readable and splits them into training and held-out ones (heldOut),
// counting them in rep; too few held out is ErrFewLabels.
func (s *Screener) decisions(ctx context.Context, svc *enroll.Service, by auth.Actor, rep *ModelReport) (train, test []linkage.Label, err error) {
	stored, err := s.db.PairDecisions(ctx)
	if err != nil {
		return nil, nil, err
	}
	ds := make([]enroll.PairDecision, len(stored))
	for i, d := range stored {
		ds[i] = enroll.PairDecision{ApplicationID: d.ApplicationID, CandidateID: d.CandidateID, Same: d.Same}
	}
	pairs, err := svc.DecidedPairs(ctx, by, ds)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range pairs {
		if heldOut(p) {
			test = append(test, labelOf(p))
		} else {
			train = append(train, labelOf(p))
		}
	}
	rep.Decisions, rep.Trained, rep.HeldOut = len(pairs), len(train), len(test)
	if len(test) < MinHeldOut {
		return nil, nil, fmt.Errorf("%w: %d decisions held out, need %d (%d usable decisions in all)", linkage.ErrFewLabels, len(test), MinHeldOut, len(pairs))
	}
	return train, test, nil
}

// CalibrateActive fits the active model's calibration to the reviewers'
// decisions, without re-estimating the model: when that makes the figures
// shown truer on the held-out decisions (a lower Brier score), the
// calibrated model is stored as a version of its own and made active;
// otherwise nothing is stored and ErrRefused says why. A calibration
// changes what is shown, never what is flagged, so the new version flags
// exactly what the active one did. Estimate does this itself when it
// refuses a re-estimated model.
func (s *Screener) CalibrateActive(ctx context.Context, svc *enroll.Service, by auth.Actor, now time.Time) (ModelReport, error) {
	var rep ModelReport
	if err := mayManage(by); err != nil {
		return rep, err
	}
	if s.loading.Load() {
		return rep, fmt.Errorf("calibrate the duplicate model: %w", errLoading)
	}
	train, test, err := s.decisions(ctx, svc, by, &rep)
	if err != nil {
		return rep, err
	}
	rep.Previous = s.ix.Evaluate(nil, test)
	return rep, s.calibrateActive(ctx, by, now, train, test, &rep)
}

// calibrateActive is CalibrateActive on decisions already read, with
// rep.Previous the active model's held-out score.
func (s *Screener) calibrateActive(ctx context.Context, by auth.Actor, now time.Time, train, test []linkage.Label, rep *ModelReport) error {
	rep.UncalibratedBrier = rep.Previous.Brier
	m, sc, ok, note := s.calibrate(s.ix.Model(), rep.Previous, train, test)
	if !ok {
		rep.Candidate, rep.CalibrationNote = rep.Previous, note
		return fmt.Errorf("%w: %s; the active model is kept", ErrRefused, note)
	}
	rep.Candidate, rep.Calibrated = sc, true
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if rep.Version, err = s.storeModel(ctx, by, now, "calibrate", body, rep); err != nil {
		return err
	}
	return s.Activate(ctx, by, rep.Version, now)
}

// calibrate fits m's calibration to the training decisions (replacing any
// it had) and keeps it if the held-out Brier score falls below that of
// score, m's held-out score without it. It returns the model to store, its
// held-out score, whether a calibration was kept and, if not, why not.
func (s *Screener) calibrate(m *linkage.Model, score linkage.LabelScore, train, test []linkage.Label) (*linkage.Model, linkage.LabelScore, bool, string) {
	cm, err := s.ix.Calibrate(m, train)
	if err != nil {
		return m, score, false, err.Error()
	}
	sc := s.ix.Evaluate(cm, test)
	if sc.Brier >= score.Brier {
		return m, score, false, fmt.Sprintf("calibrated, the held-out Brier score was %.4f against %.4f without: not kept", sc.Brier, score.Brier)
	}
	return cm, sc, true, ""
}

// storeModel inserts a version with its report and audits it.
func (s *Screener) storeModel(ctx context.Context, by auth.Actor, now time.Time, source string, body []byte, rep *ModelReport) (int64, error) {
	var v int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		r, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		if v, err = tx.InsertLinkageModel(ctx, store.LinkageModel{CreatedAt: now, CreatedBy: by.StaffID, Source: source, Model: body, Report: r, Refused: rep.Refused}); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, auditEvent(now, by, "linkage.model_store", v))
	})
	return v, err
}

// Import stores a model file as a new version (not active). A file that is
// not a valid model of this format is refused and nothing is stored.
func (s *Screener) Import(ctx context.Context, by auth.Actor, body []byte, now time.Time) (int64, error) {
	if err := mayManage(by); err != nil {
		return 0, err
	}
	if _, err := linkage.ParseModel(body); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return s.storeModel(ctx, by, now, "import", body, &ModelReport{})
}

// Activate makes version the active model (0: the built-in one) and applies
// it here; other servers follow within seconds. A stored model that does
// not load is refused and the active one kept.
func (s *Screener) Activate(ctx context.Context, by auth.Actor, version int64, now time.Time) error {
	if err := mayManage(by); err != nil {
		return err
	}
	if version != 0 {
		ms, err := s.db.LinkageModels(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, m := range ms {
			if m.Version == version {
				found = true
				if _, err := linkage.ParseModel(m.Model); err != nil {
					return fmt.Errorf("%w: version %d: %w", ErrRefused, version, err)
				}
			}
		}
		if !found {
			return fmt.Errorf("linkage model %d: %w", version, errs.ErrNotFound)
		}
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.ActivateLinkageModel(ctx, version, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, auditEvent(now, by, "linkage.model_activate", version))
	})
	if err != nil {
		return err
	}
	return s.applyActive(ctx)
}

// Rollback activates the newest usable version older than the active one
// (versions only grow, so rolling back again goes further back), or the
// built-in model when there is none; it returns the version now active.
func (s *Screener) Rollback(ctx context.Context, by auth.Actor, now time.Time) (int64, error) {
	if err := mayManage(by); err != nil {
		return 0, err
	}
	ms, err := s.db.LinkageModels(ctx)
	if err != nil {
		return 0, err
	}
	var cur int64
	for _, m := range ms {
		if m.Active {
			cur = m.Version
		}
	}
	if cur == 0 {
		return 0, fmt.Errorf("no model to roll back from: the built-in model is active: %w", errs.ErrConflict)
	}
	var prev int64
	for _, m := range ms { // newest first
		if m.Version < cur && !m.Refused {
			if _, err := linkage.ParseModel(m.Model); err == nil {
				prev = m.Version
				break
			}
		}
	}
	return prev, s.Activate(ctx, by, prev, now)
}

// applyActive puts the database's active model into the indexes (the
// population-trained default when none is). A model that fails to load is
// refused: the indexes keep the model they have.
func (s *Screener) applyActive(ctx context.Context) error {
	if s.db == nil {
		return nil
	}
	active, err := s.db.ActiveLinkageModel(ctx)
	var version int64
	var m *linkage.Model
	switch {
	case errors.Is(err, errs.ErrNotFound):
		m = s.base
	case err != nil:
		return err
	default:
		version = active.Version
		if m, err = linkage.ParseModel(active.Model); err != nil {
			s.modelVersion.Store(version) // do not retry (and log) every poll
			return fmt.Errorf("%w: active version %d: %w; keeping the model in use", ErrRefused, version, err)
		}
	}
	if m == nil {
		s.modelVersion.Store(version)
		return nil
	}
	if err := s.ix.SetModel(m); err != nil {
		s.modelVersion.Store(version)
		return fmt.Errorf("%w: version %d: %w; keeping the model in use", ErrRefused, version, err)
	}
	s.modelVersion.Store(version)
	return nil
}

// ModelVersion is the model version in use here (0: built-in).
func (s *Screener) ModelVersion() int64 { return s.modelVersion.Load() }

func auditEvent(at time.Time, by auth.Actor, action string, version int64) audit.Event {
	return audit.Event{At: at, Actor: by.StaffID, Action: action, RecordType: "linkage_model", RecordID: fmt.Sprint(version)}
}

// EstimateIfNew runs Estimate when supervisors have decided a pair since the
// newest stored model was made (or no model is stored yet); ran is false
// when there was nothing new. The job leader calls it daily.
func (s *Screener) EstimateIfNew(ctx context.Context, svc *enroll.Service, by auth.Actor, now time.Time) (rep ModelReport, ran bool, err error) {
	if err := mayManage(by); err != nil {
		return rep, false, err
	}
	ms, err := s.db.LinkageModels(ctx)
	if err != nil {
		return rep, false, err
	}
	ds, err := s.db.PairDecisions(ctx)
	if err != nil {
		return rep, false, err
	}
	fresh := false
	for _, d := range ds {
		fresh = fresh || len(ms) == 0 || d.DecidedAt.After(ms[0].CreatedAt)
	}
	if !fresh {
		return rep, false, nil
	}
	rep, err = s.Estimate(ctx, svc, by, now)
	return rep, true, err
}
