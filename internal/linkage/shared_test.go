package linkage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

const sharedData = "../../../shared/data"

func readShared(t testing.TB, rel string, m Mapping) []Record {
	t.Helper()
	path := filepath.Join(sharedData, rel)
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("shared data %s not available: %v", path, err)
	}
	defer f.Close()
	recs, err := ReadCSV(f, m)
	if err != nil {
		t.Fatalf("ReadCSV(%s): %v", rel, err)
	}
	return recs
}

func splinkMapping() Mapping {
	return Mapping{Columns: map[string]string{"id": "unique_id", "given_name": "first_name",
		"surname": "surname", "date_of_birth": "dob", "city": "city", "email": "email"}, Truth: "cluster"}
}

// TestSharedDataF1 evaluates the engine with default thresholds on the public
// benchmarks. Floors sit a little under the measured figures (docs/linkage.md).
func TestSharedDataF1(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	cases := []struct {
		name        string
		left, right string
		m           Mapping
		mode        Mode
		floor       float64
	}{
		{"febrl1", "febrl/dataset1.csv", "", FEBRLMapping(), ModePlain, 0.995},
		{"febrl2", "febrl/dataset2.csv", "", FEBRLMapping(), ModePlain, 0.993},
		{"febrl3", "febrl/dataset3.csv", "", FEBRLMapping(), ModePlain, 0.995},
		{"febrl4", "febrl/dataset4a.csv", "febrl/dataset4b.csv", FEBRLMapping(), ModePlain, 0.995},
		{"splink", "splink/fake_1000.csv", "", splinkMapping(), ModePlain, 0.91},
		{"febrl1-bloom", "febrl/dataset1.csv", "", FEBRLMapping(), ModeBloom, 0.995},
		{"febrl3-bloom", "febrl/dataset3.csv", "", FEBRLMapping(), ModeBloom, 0.995},
		{"febrl4-bloom", "febrl/dataset4a.csv", "febrl/dataset4b.csv", FEBRLMapping(), ModeBloom, 0.993},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			left := readShared(t, c.left, c.m)
			var right []Record
			opt := Options{Mode: c.mode, Key: key, Transitive: true}
			var res *Result
			var err error
			if c.right != "" {
				right = readShared(t, c.right, c.m)
				res, err = Link(context.Background(), left, right, opt)
			} else {
				res, err = Dedup(context.Background(), left, opt)
			}
			if err != nil {
				t.Fatal(err)
			}
			ev := Evaluate(left, right, res)
			t.Logf("%s: %+v prior=%.3f", c.name, ev, res.Model.PriorM)
			if ev.F1 < c.floor {
				t.Errorf("F1(%s) = %.4f, want ≥ %.3f", c.name, ev.F1, c.floor)
			}
		})
	}
}
