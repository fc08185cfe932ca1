package store_test

import (
	"io"
	"testing"
	"time"

	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/store/storetest"
)

// memDump holds a dump in memory, as Dump wrote it (memReader reads it back).
type memDump struct {
	tables []string
	cols   [][]string
	rows   [][][]any
	t, r   int
}

func (m *memDump) Table(name string, cols []string) error {
	m.tables, m.cols, m.rows = append(m.tables, name), append(m.cols, cols), append(m.rows, nil)
	return nil
}
func (m *memDump) Row(v []any) error {
	m.rows[len(m.rows)-1] = append(m.rows[len(m.rows)-1], v)
	return nil
}
func (m *memDump) Next() (string, []string, error) {
	if m.t >= len(m.tables) {
		return "", nil, errEOF
	}
	m.t, m.r = m.t+1, 0
	return m.tables[m.t-1], m.cols[m.t-1], nil
}
func (m *memDump) next() ([]any, error) {
	rows := m.rows[m.t-1]
	if m.r >= len(rows) {
		return nil, errEOF
	}
	m.r++
	return rows[m.r-1], nil
}

type memReader struct{ *memDump }

func (m memReader) Row() ([]any, error) { return m.next() }

var errEOF = io.EOF

// TestScreeningChanges: every write that changes what screening sees adds
// a change, in order, with ids only; and after a dump is loaded into a new
// database the numbering goes on after the loaded changes.
func TestScreeningChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedSite(t, db)
		if err := insert(t, db, newApp("app_1", "k1")); err != nil {
			t.Fatal(err)
		}
		if err := insert(t, db, newApp("app_2", "k2")); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetApplicationStatus(ctx, "app_1", "draft", "rejected", "x", "stf_1", nil, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ErasePerson(ctx, "per_app_2")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got, err := db.ScreeningChanges(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"app_1", "app_2", "app_1", "app_2"}
		if len(got) != len(want) {
			t.Fatalf("ScreeningChanges = %+v, want changes of %v", got, want)
		}
		for i, c := range got {
			if c.ApplicationID != want[i] || c.PersonID != "per_"+want[i] || (i > 0 && c.Seq <= got[i-1].Seq) {
				t.Errorf("change %d = %+v, want %s after %d", i, c, want[i], got[max(i-1, 0)].Seq)
			}
		}
		last, err := db.LastScreeningChange(ctx)
		if err != nil || last != got[3].Seq {
			t.Errorf("LastScreeningChange = %d, %v; want %d", last, err, got[3].Seq)
		}
		if after, _ := db.ScreeningChanges(ctx, got[1].Seq, 100); len(after) != 2 || after[0].Seq != got[2].Seq {
			t.Errorf("ScreeningChanges(after %d) = %+v, want the last two", got[1].Seq, after)
		}
		if n, err := db.PruneScreeningChanges(ctx, 1); err != nil || n != 3 {
			t.Errorf("PruneScreeningChanges(keep 1) = %d, %v; want 3 deleted", n, err)
		}
		if first, _ := db.FirstScreeningChange(ctx); first != last {
			t.Errorf("after pruning the first change is %d, want %d", first, last)
		}
		if encs, err := db.MatchEncodingsOf(ctx, []string{"per_app_1"}); err != nil || len(encs) != 0 {
			t.Errorf("MatchEncodingsOf(no encoding) = %q, %v; want none", encs, err)
		}

		// Dump, load into a fresh database of the same dialect, write again.
		var d memDump
		v, err := db.Dump(ctx, &d)
		if err != nil {
			t.Fatal(err)
		}
		var fresh *store.DB
		if db.Dialect() == store.Postgres {
			fresh = storetest.Postgres(t)
		} else {
			fresh = storetest.SQLite(t)
		}
		if err := fresh.Load(ctx, v, memReader{&d}, store.LoadOptions{Replace: true}); err != nil {
			t.Fatalf("Load: %v", err)
		}
		if err := insert(t, fresh, newApp("app_3", "k3")); err != nil {
			t.Fatalf("a write after loading a dump: %v", err)
		}
		if n, _ := fresh.LastScreeningChange(ctx); n <= last {
			t.Errorf("after load the next change is numbered %d, want after %d", n, last)
		}
	})
}
