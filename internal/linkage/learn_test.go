package linkage

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/cityid/cityid/internal/synth"
)

// labels makes reviewer decisions on synthetic pairs: second applications
// (same person) and twins and juniors of one household (different people).
func labels(g *synth.Generator, n int) []Label {
	var out []Label
	for i := 0; i < n; i++ {
		p := g.Person()
		out = append(out, Label{A: FromPerson("", p), B: FromPerson("", g.Duplicate(p)), Same: true})
		rel := synth.Twin
		if i%2 == 1 {
			rel = synth.Junior
		}
		out = append(out, Label{A: FromPerson("", p), B: FromPerson("", g.Relative(p, rel))})
	}
	return out
}

func TestLearnFromReviewers(t *testing.T) {
	ix, _, _ := loadIndex(t, Options{}, 3000)
	g := synth.New(77)
	train, test := labels(g, 300), labels(g, 200)
	before := ix.Evaluate(nil, test)
	m, err := ix.Learn(train)
	if err != nil {
		t.Fatal(err)
	}
	after := ix.Evaluate(m, test)
	t.Logf("held-out decisions: before P %.3f R %.3f F1 %.3f; after P %.3f R %.3f F1 %.3f",
		before.Precision, before.Recall, before.F1, after.Precision, after.Recall, after.F1)
	if after.Pairs != len(test) || after.Same != len(test)/2 {
		t.Fatalf("Evaluate counted %d pairs, %d same; want %d, %d", after.Pairs, after.Same, len(test), len(test)/2)
	}
	if after.Worse(before) {
		t.Errorf("learning from 600 decisions made held-out F1 worse: %.3f → %.3f", before.F1, after.F1)
	}
	// The calibration bands hold every pair once, each at a probability
	// within its band; those at or over the review threshold (0.5) are
	// the flagged ones.
	pairs, same, flagged := 0, 0, 0
	for _, b := range after.Calibration {
		t.Logf("calibration %.2f–%.2f: %d pairs, model %.3f, reviewers %.3f one person", b.From, b.To, b.Pairs, b.MeanProbability, b.SameShare())
		pairs += b.Pairs
		same += b.Same
		if b.From >= DefaultReview {
			flagged += b.Pairs
		}
		if b.Pairs > 0 && (b.MeanProbability < b.From || b.MeanProbability > b.To) {
			t.Errorf("band %.2f–%.2f: mean probability %.3f outside it", b.From, b.To, b.MeanProbability)
		}
	}
	if pairs != after.Pairs || same != after.Same || flagged != after.TP+after.FP {
		t.Errorf("calibration bands hold %d pairs, %d same, %d flagged; want %d, %d, %d", pairs, same, flagged, after.Pairs, after.Same, after.TP+after.FP)
	}
	// The learned model is used only once set; a broken one is refused.
	if err := ix.SetModel(m); err != nil {
		t.Fatal(err)
	}
	if got := ix.Evaluate(nil, test); got != after {
		t.Errorf("Evaluate after SetModel = %+v, want %+v", got, after)
	}
	// Learning again from the same decisions, with the learned model now
	// in use, gives the same model: each decision counts once, however often
	// the model is re-estimated (the daily run re-estimates from all of them).
	again, err := ix.Learn(train)
	if err != nil {
		t.Fatal(err)
	}
	if again.M != m.M || again.H != m.H {
		t.Errorf("re-learning from the same decisions changed the model: given-name m %v → %v", m.M[FactorGiven], again.M[FactorGiven])
	}
	bad := *m
	bad.M[FactorGiven][Exact] = 7
	if err := ix.SetModel(&bad); !errors.Is(err, ErrModel) {
		t.Errorf("SetModel(probability 7) = %v, want ErrModel", err)
	}
	if got := ix.Evaluate(nil, test); got != after {
		t.Error("a refused model changed the index's scores")
	}
	// Wrong decisions (every pair called the opposite) teach a model that
	// does worse on the true held-out decisions: Worse says so, and the
	// caller refuses it.
	flipped := make([]Label, len(train))
	for i, l := range train {
		l.Same = !l.Same
		flipped[i] = l
	}
	wrong, err := ix.Learn(flipped)
	if err != nil {
		t.Fatal(err)
	}
	if w := ix.Evaluate(wrong, test); !w.Worse(after) {
		t.Errorf("a model learned from wrong decisions scores F1 %.3f on held-out, not worse than %.3f", w.F1, after.F1)
	}
	// Only one kind of decision: nothing to learn a contrast from.
	if _, err := ix.Learn(train[:1]); !errors.Is(err, ErrFewLabels) {
		t.Errorf("Learn(one same-person decision) = %v, want ErrFewLabels", err)
	}
}

// TestTrainDeterministic: one input trains one model, bit for bit, however
// Go orders the maps the training histograms are kept in; the links, and so
// F1, are then the same on every run.
func TestTrainDeterministic(t *testing.T) {
	recs, _ := synthPopulation(5, 3000)
	first, err := Dedup(context.Background(), recs, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Training compares its pairs on the workers: as many as there are
	// must not change the model (nor, so, the pairs).
	for run, workers := range []int{1, 2, 5} {
		res, err := Dedup(context.Background(), recs, Options{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Model, first.Model) {
			t.Fatalf("run %d (%d workers) trained another model:\n%+v\nfirst (one worker):\n%+v", run+2, workers, *res.Model, *first.Model)
		}
		if !slices.Equal(res.Pairs, first.Pairs) {
			t.Fatalf("run %d (%d workers) found %d pairs, first run %d (or others)", run+2, workers, len(res.Pairs), len(first.Pairs))
		}
	}
}

// TestPriorFromWholeSameDayBlocks: the prior of a match is estimated from
// the pairs born the same day, which must be taken whole even where a birth
// date is shared by more records than the comparison cap — at 1,000,000
// records most are (docs/linkage.md "Why movers fall at 1M"). Counting only
// the small same-day blocks put the prior several times too low there.
func TestPriorFromWholeSameDayBlocks(t *testing.T) {
	recs, _ := synthPopulation(7, 3000)
	// Births in two years, a person's forms in the same one: about five
	// records a birth date, over a cap of three.
	truePairs := map[string]int{}
	for i := range recs {
		r := &recs[i]
		if len(r.DateOfBirth) == 10 && r.DateOfBirth[4] == '-' {
			r.DateOfBirth = fmt.Sprint(1980+len(r.Truth)%2) + r.DateOfBirth[4:]
		}
		truePairs[r.Truth]++
	}
	var matches float64
	for _, n := range truePairs {
		matches += float64(n * (n - 1) / 2)
	}
	want := matches / (float64(len(recs)) * float64(len(recs)-1) / 2)
	for _, maxBlock := range []int{3, 500} {
		res, err := Dedup(context.Background(), recs, Options{MaxBlock: maxBlock})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Model.PriorM; got < want/1.5 || got > want*1.5 {
			t.Errorf("comparison cap %d: prior of a match %.3g, the population's share of matching pairs is %.3g", maxBlock, got, want)
		}
	}
}
