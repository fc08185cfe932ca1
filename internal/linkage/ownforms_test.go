package linkage

import (
	"testing"
)

// TestTrainCountsOwnForms: an index whose residents have several
// applications each (a program some years old, renewals taken as new
// applications) learns how many, and screening weighs a look-alike by it:
// on a generated city, where an application has 0.9 others of its own
// person on average against the setting's 0.1, screening finds more of
// them. An index of distinct people keeps the setting.
func TestTrainCountsOwnForms(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a city of 20,000 people and screens 6,000 of its applications twice")
	}
	distinct, _, _ := loadIndex(t, Options{}, 3000)
	if distinct.ownForms >= distinct.opt.DuplicateRate {
		t.Errorf("distinct residents: own forms %.3f, want under the setting %.2f", distinct.ownForms, distinct.opt.DuplicateRate)
	}

	recs, _ := generatedCity(t, 20000, 4)
	ix, err := NewIndex(Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	byTruth := map[string][]string{}
	for i := range recs {
		ix.Add(recs[i].ID, recs[i])
		byTruth[recs[i].Truth] = append(byTruth[recs[i].Truth], recs[i].ID)
	}
	ix.Train(1)
	pairs := 0
	for _, ids := range byTruth {
		pairs += len(ids) * (len(ids) - 1) / 2
	}
	truth := 2 * float64(pairs) / float64(len(recs))
	if ix.ownForms < 0.7*truth || ix.ownForms > 1.3*truth {
		t.Errorf("own forms learned %.3f, the city has %.3f", ix.ownForms, truth)
	}
	screen := func() (precision, recall float64) {
		var tp, fp, fn int
		for _, r := range recs[:6000] {
			own := map[string]bool{}
			for _, id := range byTruth[r.Truth] {
				if id != r.ID {
					own[id] = true
				}
			}
			found := 0
			for _, c := range ix.Screen(r) {
				switch {
				case c.ID == r.ID:
				case own[c.ID]:
					found++
				default:
					fp++
				}
			}
			tp += found
			fn += len(own) - found
		}
		return float64(tp) / float64(tp+fp), float64(tp) / float64(tp+fn)
	}
	p1, r1 := screen()
	learned := ix.ownForms
	ix.ownForms = 0 // the setting alone, as before
	p0, r0 := screen()
	t.Logf("own forms %.3f (city %.3f); screening precision %.4f → %.4f, recall %.4f → %.4f", learned, truth, p0, p1, r0, r1)
	if r1 < r0+0.005 || p1 < 0.98 {
		t.Errorf("screening with the learned share: precision %.4f → %.4f, recall %.4f → %.4f; want recall up 0.005 or more at precision ≥ 0.98", p0, p1, r0, r1)
	}
}
