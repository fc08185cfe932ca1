package verify

import (
	"math"
	"testing"
)

// TestFitHomography: points mapped by a known projective map (rotation,
// scale, perspective, offset into a 12 MP frame) give that map back, with
// exactly four pairs and with many.
func TestFitHomography(t *testing.T) {
	want := homography{5.1, -1.2, 1200, 0.9, 6.3, 800, 0.0011, -0.0007, 1}
	var grid [][2]float64
	for y := 0.5; y < 105; y += 24 {
		for x := 0.5; x < 105; x += 24 {
			grid = append(grid, [2]float64{x, y})
		}
	}
	corners := [][2]float64{{3.5, 3.5}, {101.5, 3.5}, {3.5, 101.5}, {98.5, 98.5}}
	for _, tc := range []struct {
		name string
		src  [][2]float64
	}{{"four points", corners}, {"grid", grid}} {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([][2]float64, len(tc.src))
			for i, p := range tc.src {
				dst[i][0], dst[i][1] = want.at(p[0], p[1])
			}
			got, ok := fitHomography(tc.src, dst)
			if !ok {
				t.Fatal("fitHomography failed")
			}
			for _, p := range [][2]float64{{0, 0}, {105, 0}, {52, 52}, {105, 105}, {0, 105}} {
				gx, gy := got.at(p[0], p[1])
				wx, wy := want.at(p[0], p[1])
				if math.Hypot(gx-wx, gy-wy) > 1e-6 {
					t.Errorf("fitted map takes %v to (%.4f, %.4f), want (%.4f, %.4f)", p, gx, gy, wx, wy)
				}
			}
		})
	}
	if _, ok := fitHomography(corners[:3], corners[:3]); ok {
		t.Error("fitHomography with three pairs succeeded, want failure (four are needed)")
	}
}
