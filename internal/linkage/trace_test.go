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
// added only because others imply it was not linked before that step. In
// Bloom mode too: the trace's blocking keys are the run's keyed ones, named.
func TestTraceFollowsTheRun(t *testing.T) {
	recs, _ := generatedCity(t, 3000, 3)
	t.Run("plain", func(t *testing.T) { traceFollowsRun(t, recs, Options{Transitive: true, Seed: 1, Workers: 2}) })
	t.Run("bloom", func(t *testing.T) {
		traceFollowsRun(t, recs, Options{Mode: ModeBloom, Key: testKey(), Transitive: true, Seed: 1, Workers: 2})
	})
	if _, _, err := Trace(context.Background(), recs, Options{Seed: 1}, [][2]int{{1, 1}}); err == nil {
		t.Error("Trace of a record with itself: no error")
	}
	if _, _, err := Trace(context.Background(), recs, Options{Mode: ModeBloom, Key: []byte("short")}, [][2]int{{0, 1}}); !errors.Is(err, ErrShortKey) {
		t.Errorf("Trace in Bloom mode with a short key: err %v, want ErrShortKey", err)
	}
}

func traceFollowsRun(t *testing.T, recs []Record, opt Options) {
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
	// Sharing none, each record's own keys are listed, each in a block of
	// at least its own record.
	if len(last.LeftKeys) == 0 || len(last.RightKeys) == 0 {
		t.Errorf("first and last record: own keys %v and %v, want both listed", last.LeftKeys, last.RightKeys)
	}
	for _, k := range append(slices.Clone(last.LeftKeys), last.RightKeys...) {
		if k.Size < 1 || k.Kind == "" {
			t.Errorf("own key %+v: want a kind and a block of at least one record", k)
		}
	}
	for _, tr := range traces[:len(traces)-1] {
		if len(tr.Keys) > 0 && len(tr.LeftKeys)+len(tr.RightKeys) > 0 {
			t.Errorf("pair %d/%d shares keys yet lists its own: %+v", tr.Left, tr.Right, tr)
		}
	}
	t.Logf("%d pairs followed, %d linked only as implied by others", len(traces), implied)
}

// TestEmailLocalPartBlocks: two forms whose only shared key is the e-mail
// address before the @ (the domain mistyped on one, the given name left
// off, the birth date a decade out — the Splink set has such pairs) are
// compared, through that key.
func TestEmailLocalPartBlocks(t *testing.T) {
	recs := []Record{
		{ID: "a", GivenNames: "Emily", FirstSurname: "Atkinson", DateOfBirth: "2017-05-03", City: "London", Email: "emilya@roberts.com"},
		{ID: "b", FirstSurname: "Atkinsno", DateOfBirth: "2007-05-06", City: "Londo", Email: "emilya@eroberts.com"},
		{ID: "c", GivenNames: "Oscar", FirstSurname: "Moore", DateOfBirth: "1990-01-08", City: "Leeds", Email: "om@randall.com"},
		{ID: "d", GivenNames: "Oscar", FirstSurname: "Moore", DateOfBirth: "1990-01-08", City: "Leeds", Email: "om@randal.com"},
	}
	_, traces, err := Trace(context.Background(), recs, Options{Seed: 1}, [][2]int{{0, 1}, {2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	tr := traces[0]
	if !tr.Candidate || len(tr.Keys) != 1 || tr.Keys[0].Key != "l|emilya" || tr.Keys[0].Kind == "" {
		t.Errorf("Emily Atkinson's two forms: candidate %v, shared keys %+v; want compared through l|emilya", tr.Candidate, tr.Keys)
	}
	for _, k := range traces[1].Keys {
		if k.Key == "l|om" {
			t.Errorf("a two-letter part before the @ is a key: %+v (too short to tell anyone apart)", k)
		}
	}
}
