package linkage

import (
	"slices"
	"testing"
)

func TestPostings(t *testing.T) {
	p := newPostings()
	get := func(k uint64) []int32 {
		var scratch [1]int32
		out := slices.Clone(p.get(k, &scratch))
		slices.Sort(out)
		return out
	}
	steps := []struct {
		add    bool
		k      uint64
		s      int32
		want   []int32 // p.get(k) after the step
		one, n int     // single-slot keys and keys in all
	}{
		{true, 1, 10, []int32{10}, 1, 1},
		{true, 1, 11, []int32{10, 11}, 0, 1},
		{true, 1, 12, []int32{10, 11, 12}, 0, 1},
		{true, 2, 10, []int32{10}, 1, 2},
		{false, 1, 11, []int32{10, 12}, 1, 2},
		{false, 1, 10, []int32{12}, 2, 2},
		{false, 1, 99, []int32{12}, 2, 2}, // not there: nothing changes
		{false, 1, 12, nil, 1, 1},
		{false, 2, 10, nil, 0, 0},
	}
	for i, st := range steps {
		if st.add {
			p.add(st.k, st.s)
		} else {
			p.remove(st.k, st.s)
		}
		if got := get(st.k); !slices.Equal(got, st.want) {
			t.Errorf("step %d: get(%d) = %v, want %v", i, st.k, got, st.want)
		}
		if len(p.one) != st.one || len(p.one)+len(p.many) != st.n {
			t.Errorf("step %d: %d single and %d shared keys, want %d single of %d", i, len(p.one), len(p.many), st.one, st.n)
		}
	}
}
