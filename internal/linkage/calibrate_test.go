package linkage

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cityid/cityid/internal/synth"
)

func TestFitCalibration(t *testing.T) {
	// Pairs a model puts at p are one person p − 0.2 of the time (at
	// least 0.05): an over-confident model, as on the city between 50 and
	// 90 %. The fit recovers it within sampling error.
	rng := rand.New(rand.NewPCG(1, 2))
	truth := func(p float64) float64 { return max(p-0.2, 0.05) }
	var ps []float64
	var same []bool
	for range 4000 {
		p := 0.5 + 0.5*rng.Float64()
		ps = append(ps, p)
		same = append(same, rng.Float64() < truth(p))
	}
	pts, err := FitCalibration(ps, same)
	if err != nil {
		t.Fatal(err)
	}
	if err := validCalibration(pts); err != nil {
		t.Fatalf("fitted calibration invalid: %v (%v)", err, pts)
	}
	m := &Model{Calibration: pts}
	for _, p := range []float64{0.55, 0.65, 0.75, 0.85, 0.95} {
		if got := m.Calibrated(p); math.Abs(got-truth(p)) > 0.06 {
			t.Errorf("Calibrated(%.2f) = %.3f, want about %.2f", p, got, truth(p))
		}
	}
	prev := -1.0
	for p := 0.0; p <= 1; p += 0.001 {
		c := m.Calibrated(p)
		if c < prev-1e-12 || c < 0 || c > 1 {
			t.Fatalf("Calibrated(%.3f) = %v after %v: not a rising map into [0, 1]", p, c, prev)
		}
		prev = c
	}
	if got := m.Calibrated(1); got != 1 {
		t.Errorf("Calibrated(1) = %v, want 1", got)
	}

	// No calibration: the model's own figure.
	if got := (&Model{}).Calibrated(0.73); got != 0.73 {
		t.Errorf("no calibration: Calibrated(0.73) = %v", got)
	}
	// A small group is drawn toward the model's own figure: three pairs at
	// 0.99, all "different people", do not make it 0.
	few := append(make([]float64, 0, 43), 0.99, 0.99, 0.99)
	fewSame := []bool{false, false, false}
	for range 40 {
		few, fewSame = append(few, 0.6), append(fewSame, true)
	}
	if pts, err := FitCalibration(few, fewSame); err != nil {
		t.Fatal(err)
	} else if got := (&Model{Calibration: pts}).Calibrated(0.99); got < 0.4 {
		t.Errorf("three contrary decisions pulled 0.99 to %.3f", got)
	}

	for _, tt := range []struct {
		name string
		p    []float64
		same []bool
		want error
	}{
		{"too few", ps[:MinCalibration-1], same[:MinCalibration-1], ErrFewLabels},
		{"lengths differ", ps[:50], same[:49], nil},
		{"not a probability", append([]float64{math.NaN()}, ps[:60]...), append([]bool{true}, same[:60]...), nil},
		{"over one", append([]float64{1.5}, ps[:60]...), append([]bool{true}, same[:60]...), nil},
	} {
		_, err := FitCalibration(tt.p, tt.same)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: FitCalibration error = %v, want one (%v)", tt.name, err, tt.want)
		}
	}
}

// TestModelCalibrationRefused: a model file whose calibration is not a
// rising map into [0, 1] is refused like any broken model.
func TestModelCalibrationRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		pts  []CalibrationPoint
		ok   bool
	}{
		{"none", nil, true},
		{"rising", []CalibrationPoint{{0.6, 0.4}, {0.8, 0.7}, {0.99, 0.98}}, true},
		{"falls", []CalibrationPoint{{0.6, 0.5}, {0.8, 0.4}}, false},
		{"model out of order", []CalibrationPoint{{0.8, 0.4}, {0.6, 0.5}}, false},
		{"share over one", []CalibrationPoint{{0.6, 1.2}}, false},
		{"not a number", []CalibrationPoint{{math.NaN(), 0.5}}, false},
	} {
		m := DefaultModel()
		m.Calibration = tt.pts
		err := m.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrModel)) {
			t.Errorf("%s: Validate = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

// TestCalibrationOnCityDecisions plays a city's review: the pairs a batch
// run flags on a generated city are decided by the truth, as reviewers
// would; a quarter is held out by a hash of the pair. Scored as screening
// scores them with the share of second applications the index learned
// (ownForms), the figures are near the truth. Scored with the setting's
// one in ten alone (a city of nine in ten), they are off: pairs put at
// 70–90 % are one person 97 % of the time. A calibration fitted on the
// rest then makes the held-out figures truer (Brier score, and each
// band's figure nearer the share of one person) and flags exactly the
// same pairs.
func TestCalibrationOnCityDecisions(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and deduplicates a city of 20,000 people")
	}
	recs, _ := generatedCity(t, 20000, 4)
	res, err := Dedup(context.Background(), recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := NewIndex(Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		ix.Add(recs[i].ID, recs[i])
	}
	ix.Train(1)
	var train, test []Label
	for _, p := range res.Pairs {
		a, b := recs[p.Left], recs[p.Right]
		l := Label{A: a, B: b, Same: a.Truth == b.Truth}
		h := fnv.New32a()
		h.Write([]byte(a.ID + "|" + b.ID))
		if h.Sum32()%4 == 0 {
			test = append(test, l)
		} else {
			train = append(train, l)
		}
	}
	learned := ix.Evaluate(nil, test)
	ix.ownForms = 0 // the setting alone
	cm, err := ix.Calibrate(nil, train)
	if err != nil {
		t.Fatal(err)
	}
	before, after := ix.Evaluate(nil, test), ix.Evaluate(cm, test)
	t.Logf("%d decisions, %d held out; Brier %.4f with the learned share of second applications; with the setting's, %.4f → %.4f calibrated; calibration %v",
		len(train)+len(test), len(test), learned.Brier, before.Brier, after.Brier, cm.Calibration)
	if learned.Brier >= before.Brier {
		t.Errorf("held-out Brier %.4f with the learned share, %.4f with the setting's: want the learned one truer", learned.Brier, before.Brier)
	}
	// gap is the mean distance between a band's figure and its share of
	// one person, over the flagged pairs under 99 %.
	gap := func(s LabelScore) float64 {
		var sum, n float64
		for _, b := range s.Calibration {
			if b.From >= DefaultReview && b.To <= 0.99 && b.Pairs > 0 {
				t.Logf("  %.2f–%.2f: %d pairs, shown %.3f, one person %.3f", b.From, b.To, b.Pairs, b.MeanProbability, b.SameShare())
				sum += float64(b.Pairs) * math.Abs(b.MeanProbability-b.SameShare())
				n += float64(b.Pairs)
			}
		}
		return sum / n
	}
	gb, ga := gap(before), gap(after)
	if before.Brier <= after.Brier || gb <= ga || gb < 0.05 {
		t.Errorf("held out: Brier %.4f → %.4f, band gap %.3f → %.3f; want both lower, from a real over-confidence (gap ≥ 0.05)", before.Brier, after.Brier, gb, ga)
	}
	if before.TP != after.TP || before.FP != after.FP || before.FN != after.FN {
		t.Errorf("the calibration changed what is flagged: %+v → %+v", before, after)
	}
	// Screening shows the calibrated figure and flags as before.
	if err := ix.SetModel(cm); err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, l := range test[:min(len(test), 200)] {
		for _, c := range ix.Screen(l.A) {
			if want := cm.Calibrated(c.Probability); c.Calibrated != want {
				t.Fatalf("candidate %s: calibrated %v, want %v", c.ID, c.Calibrated, want)
			}
			if math.Abs(c.Calibrated-c.Probability) >= 0.05 {
				moved++
			}
		}
	}
	if moved == 0 {
		t.Error("no screened candidate's figure moved by 5 points or more with the calibration")
	}
}

// FuzzParseModel: a model file is outside input (`cityid linkage model
// import`). Whatever the bytes, ParseModel returns an error or a model
// that validates, scores a pair with a probability, and whose calibration
// maps [0, 1] into [0, 1] without falling.
func FuzzParseModel(f *testing.F) {
	m := DefaultModel()
	plain, _ := json.Marshal(m)
	m.Calibration = []CalibrationPoint{{0.55, 0.4}, {0.8, 0.7}, {0.999, 0.998}}
	calibrated, _ := json.Marshal(m)
	f.Add(plain)
	f.Add(calibrated)
	f.Add([]byte(`{"format": 2, "calibration": [{"model": 0.5, "share": 0.2}, {"model": 1, "share": 0.1}]}`))
	f.Add([]byte(`{"format": 2, "calibration": [{"model": 0, "share": 0}, {"model": 0, "share": 1}]}`))
	a := FromPerson("", synth.New(1).Person())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseModel(b)
		if err != nil {
			if !errors.Is(err, ErrModel) {
				t.Fatalf("ParseModel error %v is not ErrModel", err)
			}
			return
		}
		prev := 0.0
		for i := 0; i <= 100; i++ {
			c := m.Calibrated(float64(i) / 100)
			if math.IsNaN(c) || c < 0 || c > 1 || c < prev-1e-9 {
				t.Fatalf("Calibrated(%.2f) = %v after %v with %v", float64(i)/100, c, prev, m.Calibration)
			}
			prev = c
		}
		ix, err := NewIndex(Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ix.Add("a", a)
		if err := ix.SetModel(m); err != nil {
			t.Fatalf("a model ParseModel accepted is refused by SetModel: %v", err)
		}
		for _, c := range ix.Screen(a) {
			if math.IsNaN(c.Probability) || math.IsNaN(c.Calibrated) || c.Calibrated < 0 || c.Calibrated > 1 {
				t.Fatalf("screening with the parsed model gave %+v", c)
			}
		}
	})
}
