package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cityid/cityid/internal/store/storetest"
)

func exportFile(t testing.TB, events int) string {
	t.Helper()
	db := storetest.SQLite(t)
	ctx := context.Background()
	appendEvents(t, db, events)
	if _, err := New(db, newVault(t), Options{Origin: "id.example.gov/audit", Every: 2}).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := Export(ctx, db, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestParseExportRejects(t *testing.T) {
	good := exportFile(t, 4)
	other := exportFile(t, 2)
	otherKey := strings.Split(other, "\n")[2]
	tests := []struct {
		name, file, want string
	}{
		{"empty", "", "want \"cityid audit checkpoints v1\""},
		{"no origin", "cityid audit checkpoints v1\nverifier x\n", "want \"origin NAME\""},
		{"another log's key", strings.Replace(good, strings.Split(good, "\n")[2], otherKey, 1), "no verifiable signatures"},
		{"root altered", strings.Replace(good, "\n2\n", "\n3\n", 1), "checkpoint signature"},
		{"signature cut", good[:strings.LastIndex(good, "— ")], "want a signature line"},
		{"junk after a note", good + "not a signature\n", "has no signature"},
		{"junk right after a signature", strings.TrimSuffix(good, "\n") + "not a signature\n", "want a signature line or a blank line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExport(strings.NewReader(tt.file))
			if !errors.Is(err, ErrExport) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseExport = %v, want ErrExport mentioning %q", err, tt.want)
			}
		})
	}
	ex, err := ParseExport(strings.NewReader(good))
	if err != nil || len(ex.Checkpoints) != 2 || ex.Origin != "id.example.gov/audit" {
		t.Errorf("ParseExport(good) = %d checkpoints for %q, %v; want 2 for id.example.gov/audit", len(ex.Checkpoints), ex.Origin, err)
	}
}

func FuzzParseExport(f *testing.F) {
	good := exportFile(f, 6)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add("cityid audit checkpoints v1\norigin a/b\nverifier a/b+00000000+AQ\n\n")
	f.Add(strings.ReplaceAll(good, "\n\n", "\n"))
	f.Fuzz(func(t *testing.T, file string) {
		ex, err := ParseExport(strings.NewReader(file))
		if err != nil {
			if !errors.Is(err, ErrExport) {
				t.Fatalf("ParseExport error %v does not wrap ErrExport", err)
			}
			return
		}
		for _, c := range ex.Checkpoints {
			if c.Origin != ex.Origin || c.Size < 0 {
				t.Fatalf("accepted checkpoint %+v for origin %q", c, ex.Origin)
			}
		}
	})
}
