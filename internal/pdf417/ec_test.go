package pdf417

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCorrect damages codewords with errors and erasures up to the limit
// 2·errors + erasures ≤ k, and one past it.
func TestCorrect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ k, errs, erasures int }{
		{8, 0, 0}, {8, 4, 0}, {8, 0, 8}, {8, 2, 4}, {64, 32, 0}, {64, 10, 44}, {64, 0, 64},
	} {
		data := make([]int, 40)
		for i := range data {
			data[i] = rng.IntN(mod)
		}
		want := append(slices.Clone(data), ecCodewords(data, tc.k)...)
		got := slices.Clone(want)
		pos := rng.Perm(len(got))[:tc.errs+tc.erasures]
		for _, p := range pos {
			got[p] = (got[p] + 1 + rng.IntN(mod-1)) % mod
		}
		if _, err := correct(got, tc.k, pos[tc.errs:]); err != nil {
			t.Fatalf("k=%d, %d errors, %d erasures: %v", tc.k, tc.errs, tc.erasures, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("k=%d, %d errors, %d erasures: not repaired", tc.k, tc.errs, tc.erasures)
		}
	}
	// One error past the limit is not silently "repaired" to the original.
	data := []int{1, 2, 3, 4, 5, 6}
	cw := append(slices.Clone(data), ecCodewords(data, 4)...)
	orig := slices.Clone(cw)
	cw[0], cw[1], cw[2] = 100, 200, 300
	if _, err := correct(cw, 4, nil); err == nil && slices.Equal(cw, orig) {
		t.Fatal("three errors with four check codewords were corrected")
	} else if err != nil && !errors.Is(err, ErrCorrection) {
		t.Fatal(err)
	}
}
