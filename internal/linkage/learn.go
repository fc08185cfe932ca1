package linkage

import (
	"errors"
	"fmt"
	"math"
)

// Label is a reviewer's decision on one pair of records: the same person,
// or two different people. Supervisors make them on every possible
// duplicate they resolve; they are the only ground truth a city has.
type Label struct {
	A, B Record
	Same bool
}

// LabelScore is how a model's decisions at the review threshold compare
// with reviewers' decisions.
type LabelScore struct {
	Pairs int `json:"pairs"`
	Same  int `json:"same"` // pairs the reviewers called one person
	// TP: one person, flagged; FP: two people, flagged; FN: one person, not flagged.
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// Calibration sets the probability the model gave each pair against
	// what the reviewers decided, band by band: of the pairs it put at
	// 70–90 %, the share that were one person. A model whose percentages
	// can be taken at their word has bands that agree. The probabilities
	// are the ones shown: through the model's calibration when it has one.
	Calibration [len(calibrationEdges) - 1]CalibrationBand `json:"calibration"`
	// Brier is the mean squared difference between the probability shown
	// and the decision (1 one person, 0 two): 0 is perfect, and lower is
	// better calibrated and sharper.
	Brier float64 `json:"brier"`
}

// CalibrationBand is one band of probabilities (From ≤ p < To; the last
// band includes 1): how many decided pairs the model put there, how many
// of them the reviewers called one person, and the model's mean
// probability over them.
type CalibrationBand struct {
	From            float64 `json:"from"`
	To              float64 `json:"to"`
	Pairs           int     `json:"pairs"`
	Same            int     `json:"same"`
	MeanProbability float64 `json:"mean_probability"`
}

// SameShare is the share of the band's pairs the reviewers called one
// person (0 for an empty band).
func (b CalibrationBand) SameShare() float64 {
	if b.Pairs == 0 {
		return 0
	}
	return float64(b.Same) / float64(b.Pairs)
}

// calibrationEdges bound the bands: the review threshold (0.5) and the
// strong-match one (0.9) among them, finer where reviewers decide.
var calibrationEdges = [...]float64{0, 0.2, 0.5, 0.7, 0.9, 0.99, 1}

// addCalibrated counts a pair the model gave probability p into its band.
func (s *LabelScore) addCalibrated(p float64, same bool) {
	k := len(s.Calibration) - 1
	for k > 0 && p < calibrationEdges[k] {
		k--
	}
	b := &s.Calibration[k]
	b.Pairs++
	if same {
		b.Same++
	}
	b.MeanProbability += p // a sum until Evaluate divides
}

// Label-learning weights, in pairs: how much the current model counts
// against reviewers' decisions. A few dozen decisions nudge it; thousands
// replace it.
const (
	kappaLabelsM = 50
	kappaLabelsH = 100
)

// ErrFewLabels means there are too few decisions to learn from.
var ErrFewLabels = errors.New("linkage: too few reviewer decisions to learn from")

// labelsH are the household factors reviewers' "different people" teach:
// how often two look-alike people share a given name or a birth date (a
// junior, a twin) is what unlabeled data cannot say (see hLearned).
var labelsH = [numFactors]bool{FactorGiven: true, FactorBirth: true, FactorSuffix: true}

// Learn returns the index's model re-estimated from reviewers' decisions:
// each factor's distribution among duplicates (m) from the "same person"
// pairs, and among relatives (h) for given name, birth date and suffix
// from the "different people" pairs, each a Dirichlet-posterior mean with
// the built-in model as the prior, then held to the usual bounds. u and the
// priors, which the population gives, are kept. The same decisions give the
// same model, whichever model is active.
func (ix *Index) Learn(labels []Label) (*Model, error) {
	var same, diff int
	var cm, ch [numFactors][numLevels]float64
	for i := range labels {
		l := ix.levelsOf(&labels[i])
		for f := Factor(0); f < numFactors; f++ {
			if l[f] == Missing {
				continue
			}
			if labels[i].Same {
				cm[f][l[f]]++
			} else {
				ch[f][l[f]]++
			}
		}
		if labels[i].Same {
			same++
		} else {
			diff++
		}
	}
	if same == 0 || diff == 0 {
		return nil, fmt.Errorf("%w: %d same-person and %d different-people decisions, need both", ErrFewLabels, same, diff)
	}
	m := ix.Model()
	m.Calibration = nil // fitted to the old model's probabilities, not the new one's
	// The prior is the built-in model, not the active one: an active model
	// learned from these decisions already holds them, and starting from it
	// would count each decision again at every re-estimate (and the same
	// decisions would give another model each time).
	base := DefaultModel()
	for f := Factor(0); f < numFactors; f++ {
		m.M[f] = mapEstimate(&cm[f], &base.M[f], kappaLabelsM)
		if labelsH[f] {
			m.H[f] = mapEstimate(&ch[f], &base.H[f], kappaLabelsH)
		}
	}
	m.constrain()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// levelsOf compares a label's two records as the index would.
func (ix *Index) levelsOf(l *Label) [numFactors]Level {
	a, b := ix.entryOf(&l.A), ix.entryOf(&l.B)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return factorLevels(ix.sc.compare(&a, &b))
}

// weights scores each labelled pair with model (nil: the index's own) in
// this index's population — its term frequencies and priors, as Screen
// would — and returns the log2 odds and the model used.
func (ix *Index) weights(model *Model, labels []Label) ([]float64, *Model) {
	ix.mu.RLock()
	sc := *ix.sc
	ix.priors(&sc)
	ix.mu.RUnlock()
	if model != nil {
		sc.setModel(model)
	}
	ws := make([]float64, len(labels))
	for i := range labels {
		a, b := ix.entryOf(&labels[i].A), ix.entryOf(&labels[i].B)
		ix.mu.RLock()
		_, ws[i] = sc.score(&a, &b)
		ix.mu.RUnlock()
	}
	return ws, sc.model
}

// Calibrate returns a copy of model (nil: the index's own) with a
// calibration fitted to labels (FitCalibration): what its probabilities
// mean in this city by its reviewers' decisions.
func (ix *Index) Calibrate(model *Model, labels []Label) (*Model, error) {
	ws, m := ix.weights(model, labels)
	p := make([]float64, len(ws))
	same := make([]bool, len(ws))
	for i, w := range ws {
		p[i], same[i] = fromLogit2(w), labels[i].Same
	}
	pts, err := FitCalibration(p, same)
	if err != nil {
		return nil, err
	}
	c := *m
	c.Calibration = pts
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Evaluate scores each labelled pair with model (nil: the index's own) as
// Screen would and compares the decision at the review threshold with the
// reviewer's; the calibration bands and Brier score read the probability
// shown (Model.Calibrated).
func (ix *Index) Evaluate(model *Model, labels []Label) LabelScore {
	ws, m := ix.weights(model, labels)
	threshold := logit2(ix.opt.Thresholds.Review)
	var s LabelScore
	for i, w := range ws {
		flagged := w >= threshold
		shown := m.Calibrated(fromLogit2(w))
		s.addCalibrated(shown, labels[i].Same)
		if labels[i].Same {
			s.Brier += (1 - shown) * (1 - shown)
		} else {
			s.Brier += shown * shown
		}
		s.Pairs++
		switch {
		case labels[i].Same:
			s.Same++
			if flagged {
				s.TP++
			} else {
				s.FN++
			}
		case flagged:
			s.FP++
		}
	}
	for k := range s.Calibration {
		b := &s.Calibration[k]
		b.From, b.To = calibrationEdges[k], calibrationEdges[k+1]
		if b.Pairs > 0 {
			b.MeanProbability /= float64(b.Pairs)
		}
	}
	if s.Pairs > 0 {
		s.Brier /= float64(s.Pairs)
	}
	if s.TP+s.FP > 0 {
		s.Precision = float64(s.TP) / float64(s.TP+s.FP)
	}
	if s.Same > 0 {
		s.Recall = float64(s.TP) / float64(s.Same)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}

// SetModel replaces the index's model after checking it; on error the
// index keeps the model it had.
func (ix *Index) SetModel(m *Model) error {
	if m == nil {
		return fmt.Errorf("%w: no model", ErrModel)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	c := *m
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.sc.setModel(&c)
	return nil
}

// Worse reports whether a candidate's score on held-out decisions is worse
// than the current model's: a lower F1, by more than rounding.
func (s LabelScore) Worse(than LabelScore) bool {
	return s.F1 < than.F1-1e-9 || math.IsNaN(s.F1)
}
