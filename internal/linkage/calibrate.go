package linkage

import (
	"fmt"
	"math"
	"slices"
)

// Calibration to reviewers' decisions. A naive-Bayes score treats the
// fields as independent; they are not (a common name and a common birth
// year, an address and its postcode), and pairs the model puts at 50–90 %
// are one person less often than it says (docs/linkage.md "Are the
// percentages honest?"). Reviewers' decisions measure by how much. A
// calibration maps the model's probability to the share of such pairs
// reviewers called one person, so the review page shows a figure a
// supervisor can take at its word. It changes what is shown, never what is
// flagged: the review threshold still applies to the model's own
// probability, so no pair leaves the review queue because of it.

// CalibrationPoint is one point of a calibration: pairs the model put at
// Model (a group's mean) were one person Share of the time.
type CalibrationPoint struct {
	Model float64 `json:"model"`
	Share float64 `json:"share"`
}

// MinCalibration is the fewest decided pairs a calibration is fitted on.
const MinCalibration = 40

// calibrationPrior is how many pairs' worth the model's own probability
// counts in each group of the fit: a group of three decisions moves the
// figure only part of the way from the model's to the reviewers'.
const calibrationPrior = 5

// FitCalibration fits a calibration to decided pairs: p[i] is the model's
// probability for pair i, same[i] the reviewers' decision. It is isotonic
// regression (pool adjacent violators: a higher probability never maps
// lower), each group's share drawn toward the group's own probability by
// calibrationPrior pairs, and pooled again where that broke the order.
func FitCalibration(p []float64, same []bool) ([]CalibrationPoint, error) {
	if len(p) != len(same) {
		return nil, fmt.Errorf("linkage: calibration: %d probabilities for %d decisions", len(p), len(same))
	}
	if len(p) < MinCalibration {
		return nil, fmt.Errorf("%w: %d decisions to calibrate on, need %d", ErrFewLabels, len(p), MinCalibration)
	}
	idx := make([]int, len(p))
	for i := range idx {
		if math.IsNaN(p[i]) || p[i] < 0 || p[i] > 1 {
			return nil, fmt.Errorf("linkage: calibration: probability %v", p[i])
		}
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	// A group: w pairs' worth, sumP their probabilities, sumY the value
	// fitted (decisions, then smoothed shares) times its weight.
	type group struct{ w, sumP, sumY float64 }
	pool := func(gs []group) []group {
		out := gs[:0]
		for _, g := range gs {
			out = append(out, g)
			for len(out) > 1 {
				a, b := out[len(out)-2], out[len(out)-1]
				if a.sumY/a.w < b.sumY/b.w {
					break
				}
				out = out[:len(out)-1]
				out[len(out)-1] = group{a.w + b.w, a.sumP + b.sumP, a.sumY + b.sumY}
			}
		}
		return out
	}
	gs := make([]group, 0, len(p))
	for _, i := range idx {
		y := 0.0
		if same[i] {
			y = 1
		}
		gs = append(gs, group{1, p[i], y})
	}
	gs = pool(gs)
	for k, g := range gs {
		mean := g.sumP / g.w
		share := (g.sumY + calibrationPrior*mean) / (g.w + calibrationPrior)
		gs[k] = group{g.w + calibrationPrior, mean * (g.w + calibrationPrior), share * (g.w + calibrationPrior)}
	}
	gs = pool(gs)
	pts := make([]CalibrationPoint, 0, len(gs))
	for _, g := range gs {
		pt := CalibrationPoint{Model: g.sumP / g.w, Share: min(max(g.sumY/g.w, 0), 1)}
		if n := len(pts); n > 0 && pt.Model <= pts[n-1].Model {
			continue // a rounding tie: the earlier, lower share stands
		}
		pts = append(pts, pt)
	}
	return pts, nil
}

// validCalibration checks that a calibration is a non-decreasing map
// within [0, 1].
func validCalibration(pts []CalibrationPoint) error {
	ok := func(x float64) bool { return !math.IsNaN(x) && x >= 0 && x <= 1 }
	for i, pt := range pts {
		if !ok(pt.Model) || !ok(pt.Share) {
			return fmt.Errorf("%w: calibration point %d is %v → %v", ErrModel, i, pt.Model, pt.Share)
		}
		if i > 0 && (pt.Model <= pts[i-1].Model || pt.Share < pts[i-1].Share) {
			return fmt.Errorf("%w: calibration point %d (%v → %v) does not rise from the one before", ErrModel, i, pt.Model, pt.Share)
		}
	}
	return nil
}

// Calibrated maps the model's probability p through the calibration,
// straight between its points and from (0, 0) and to (1, 1) beyond them;
// with no calibration it is p.
func (m *Model) Calibrated(p float64) float64 {
	pts := m.Calibration
	if len(pts) == 0 {
		return p
	}
	line := func(x0, y0, x1, y1 float64) float64 {
		if x1 <= x0 {
			return y0
		}
		return y0 + (y1-y0)*(p-x0)/(x1-x0)
	}
	first, last := pts[0], pts[len(pts)-1]
	switch {
	case p <= first.Model:
		return line(0, 0, first.Model, first.Share)
	case p >= last.Model:
		return line(last.Model, last.Share, 1, 1)
	}
	k, _ := slices.BinarySearchFunc(pts, p, func(pt CalibrationPoint, p float64) int {
		if pt.Model < p {
			return -1
		}
		if pt.Model > p {
			return 1
		}
		return 0
	})
	return line(pts[k-1].Model, pts[k-1].Share, pts[k].Model, pts[k].Share)
}
