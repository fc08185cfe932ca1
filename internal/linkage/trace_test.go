package linkage

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestTraceFollowsTheRun checks that following pairs does not change the
// run (Trace gives Dedup's pairs) and that each step it reports is what the
// run did: a pair linked in the output has its probability there; a pair
// added only because others imply it was not linked before that step.
func TestTraceFollowsTheRun(t *testing.T) {
	recs, _ := generatedCity(t, 3000, 3)
	opt := Options{Transitive: true, Seed: 1, Workers: 2}
	want, err := Dedup(context.Background(), recs, opt)
	if err != nil {
		t.Fatal(err)
	}
	var follow [][2]int
	for i, p := range want.Pairs {
		if i%37 == 0 {
			follow = append(follow, [2]int{p.Right, p.Left}) // either order
		}
	}
	follow = append(follow, [2]int{0, len(recs) - 1})
	got, traces, err := Trace(context.Background(), recs, opt, follow)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Pairs, want.Pairs) {
		t.Fatalf("Trace linked %d pairs, Dedup %d: following pairs changed the run", len(got.Pairs), len(want.Pairs))
	}
	final := map[[2]int]float64{}
	for _, p := range want.Pairs {
		final[[2]int{p.Left, p.Right}] = p.Probability
	}
	implied := 0
	for _, tr := range traces {
		if tr.Left > tr.Right {
			t.Fatalf("trace %d/%d not in index order", tr.Left, tr.Right)
		}
		if tr.Final != final[[2]int{tr.Left, tr.Right}] {
			t.Errorf("pair %d/%d: trace final %v, run %v", tr.Left, tr.Right, tr.Final, final[[2]int{tr.Left, tr.Right}])
		}
		if tr.Scored > 0 && !tr.Candidate {
			t.Errorf("pair %d/%d scored %v but not a candidate", tr.Left, tr.Right, tr.Scored)
		}
		if tr.Scored > 0 && tr.Scored != tr.Explanation.Probability {
			t.Errorf("pair %d/%d: scored %v, explanation %v", tr.Left, tr.Right, tr.Scored, tr.Explanation.Probability)
		}
		if tr.Final > 0 && tr.Split == 0 {
			implied++
		}
	}
	last := traces[len(traces)-1]
	if last.Final != 0 || last.Candidate || len(last.Keys) != 0 {
		t.Errorf("first and last record: %+v, want no shared key, not compared, not linked", last)
	}
	t.Logf("%d pairs followed, %d linked only as implied by others", len(traces), implied)

	if _, _, err := Trace(context.Background(), recs, opt, [][2]int{{1, 1}}); err == nil {
		t.Error("Trace of a record with itself: no error")
	}
	if _, _, err := Trace(context.Background(), recs, Options{Mode: ModeBloom, Key: testKey()}, [][2]int{{0, 1}}); !errors.Is(err, ErrMode) {
		t.Errorf("Trace in Bloom mode: err %v, want ErrMode", err)
	}
}
