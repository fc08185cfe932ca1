package stats

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cityid/cityid/internal/store"
)

func texts(cells []Cell) []string {
	var out []string
	for _, c := range cells {
		out = append(out, c.Text)
	}
	return out
}

// column builds a one-measure table from counts and suppresses it.
func column(counts ...int) Table {
	t := Table{Total: Row{Key: "total"}}
	total := 0
	for _, n := range counts {
		row := Row{Cells: make([]Cell, len(Measures))}
		row.Cells[0].n = n
		t.Rows = append(t.Rows, row)
		total += n
	}
	t.Total.Cells = make([]Cell, len(Measures))
	t.Total.Cells[0].n = total
	suppress(&t)
	return t
}

func TestSuppress(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		want   []string // the rows, then the total
	}{
		{"all large", []int{10, 25, 0}, []string{"10", "25", "0", "35"}},
		{"one small: a second cell hidden", []int{4, 30, 12}, []string{"<10", "30", "x", "46"}},
		{"two small: no complement needed", []int{4, 30, 7}, []string{"<10", "30", "<10", "41"}},
		{"small total hides everything", []int{3, 0, 5}, []string{"<10", "0", "<10", "<10"}},
		{"complement is the smallest non-zero", []int{11, 2, 0, 50}, []string{"x", "<10", "0", "50", "63"}},
		{"zeros are shown", []int{0, 0}, []string{"0", "0", "0"}},
		{"nine and ten", []int{9, 10, 10}, []string{"<10", "x", "10", "29"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := column(tt.counts...)
			var got []string
			for _, r := range tab.Rows {
				got = append(got, r.Cells[0].Text)
			}
			got = append(got, tab.Total.Cells[0].Text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("suppress(%v) (-want +got):\n%s", tt.counts, diff)
			}
			// No published number lets the total give a hidden one away.
			hidden, shownSum := 0, 0
			for _, r := range tab.Rows {
				if r.Cells[0].Suppressed {
					hidden++
				} else {
					shownSum += r.Cells[0].Value
				}
				if r.Cells[0].Suppressed && r.Cells[0].Value != 0 {
					t.Errorf("suppressed cell carries Value %d", r.Cells[0].Value)
				}
			}
			if !tab.Total.Cells[0].Suppressed && hidden == 1 {
				t.Errorf("exactly one hidden cell with the total %d shown: it is %d", tab.Total.Cells[0].Value, tab.Total.Cells[0].Value-shownSum)
			}
		})
	}
}

// fakeSource serves fixed rows, filtering by time as the store does.
type fakeSource struct {
	apps  []store.StatsApplication
	cards []store.StatsCard
}

func (f fakeSource) WalkStatsApplications(_ context.Context, from, to time.Time, fn func(store.StatsApplication)) error {
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	for _, a := range f.apps {
		if a.Status != "draft" && (in(a.SubmittedAt) || in(a.DecidedAt)) {
			fn(a)
		}
	}
	return nil
}

func (f fakeSource) WalkStatsCards(_ context.Context, from, to time.Time, fn func(store.StatsCard)) error {
	for _, c := range f.cards {
		if !c.IssuedAt.Before(from) && c.IssuedAt.Before(to) {
			fn(c)
		}
	}
	return nil
}

func repeat[T any](n int, v T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestCompute(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	// 23:30 on 31 March in New York is April in UTC: it counts for March.
	lateMarch := time.Date(2026, 3, 31, 23, 30, 0, 0, ny)
	april := time.Date(2026, 4, 10, 12, 0, 0, 0, ny)
	var src fakeSource
	src.apps = append(src.apps, repeat(12, store.StatsApplication{SiteID: "site_a", Status: "submitted", Language: "es", AgeCategory: "adult",
		PaymentMethod: "cash", FeeCents: 1000, SubmittedAt: lateMarch})...)
	src.apps = append(src.apps, repeat(15, store.StatsApplication{SiteID: "site_b", Status: "issued", Language: "en", AgeCategory: "adult",
		WaiverReason: "hardship", SubmittedAt: lateMarch, DecidedAt: april})...)
	src.apps = append(src.apps, repeat(3, store.StatsApplication{SiteID: "site_b", Status: "rejected", Language: "en", AgeCategory: "child",
		SubmittedAt: april, DecidedAt: april})...)
	src.apps = append(src.apps, store.StatsApplication{SiteID: "site_a", Status: "draft", SubmittedAt: april})
	src.cards = repeat(15, store.StatsCard{SiteID: "site_b", Language: "en", AgeCategory: "adult", Kind: "new", WaiverReason: "hardship", IssuedAt: april})

	r, err := Compute(context.Background(), src, ny, Month{2026, 2}, Month{2026, 4})
	if err != nil {
		t.Fatal(err)
	}
	type line struct {
		Key   string
		Cells []string
	}
	lines := func(tab Table) []line {
		var out []line
		for _, row := range append(tab.Rows, tab.Total) {
			out = append(out, line{row.Key, texts(row.Cells)})
		}
		return out
	}
	want := map[Dimension][]line{
		ByMonth: {
			{"2026-02", []string{"0", "0", "0", "0"}},
			{"2026-03", []string{"x", "0", "0", "0"}}, // the complement of April's "<10"
			{"2026-04", []string{"<10", "15", "<10", "15"}},
			{"total", []string{"30", "15", "<10", "15"}},
		},
		BySite: {
			{"site_a", []string{"12", "0", "0", "0"}},
			{"site_b", []string{"18", "15", "<10", "15"}},
			{"total", []string{"30", "15", "<10", "15"}},
		},
		ByAge: {
			{"adult", []string{"x", "15", "0", "15"}},
			{"child", []string{"<10", "0", "<10", "0"}},
			{"total", []string{"30", "15", "<10", "15"}},
		},
		ByPayment: {
			{"fee", []string{"x", "0", "0", "0"}}, // smaller than the waiver's 15
			{"no_fee", []string{"<10", "0", "<10", "0"}},
			{"waiver.hardship", []string{"15", "15", "0", "15"}},
			{"total", []string{"30", "15", "<10", "15"}},
		},
	}
	for d, w := range want {
		if diff := cmp.Diff(w, lines(r.Table(d))); diff != "" {
			t.Errorf("table by %s (-want +got):\n%s", d, diff)
		}
	}
}

func TestMonth(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		ok   bool
	}{{"2026-03", "2026-03", true}, {"2026-3", "", false}, {"26-03", "", false}, {"2026-13", "", false}, {"", "", false}} {
		m, err := ParseMonth(tt.in)
		if (err == nil) != tt.ok || (tt.ok && m.String() != tt.want) {
			t.Errorf("ParseMonth(%q) = %v, %v; want %q ok=%v", tt.in, m, err, tt.want, tt.ok)
		}
	}
	if got := (Month{2026, 11}).Add(3).String(); got != "2027-02" {
		t.Errorf("2026-11 + 3 = %s, want 2027-02", got)
	}
}

func TestWriteCSV(t *testing.T) {
	src := fakeSource{apps: repeat(14, store.StatsApplication{SiteID: "site_a", Status: "submitted", Language: "es",
		SubmittedAt: time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)})}
	src.apps = append(src.apps, store.StatsApplication{SiteID: "site_b", Status: "submitted", Language: "en",
		SubmittedAt: time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)})
	r, err := Compute(context.Background(), src, time.UTC, Month{2026, 3}, Month{2026, 3})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	label := func(d Dimension, k string) string {
		if d == BySite && k == "site_b" {
			return "=HYPERLINK(\"x\")"
		}
		return k
	}
	if err := WriteCSV(&b, r, label); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	if diff := cmp.Diff([]string{"dimension", "key", "label", "submitted", "approved", "rejected", "cards_issued"}, recs[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	got := map[string][]string{}
	for _, rec := range recs[1:] {
		got[rec[0]+"/"+rec[1]] = rec[2:]
	}
	for k, want := range map[string][]string{
		"month/2026-03": {"2026-03", "15", "0", "0", "0"},
		"site/site_a":   {"site_a", "x", "0", "0", "0"},
		"site/site_b":   {"'=HYPERLINK(\"x\")", "<10", "0", "0", "0"},
		"site/total":    {"total", "15", "0", "0", "0"},
	} {
		if diff := cmp.Diff(want, got[k]); diff != "" {
			t.Errorf("CSV line %s (-want +got):\n%s", k, diff)
		}
	}
	if strings.Contains(b.String(), "14") {
		t.Error("the CSV shows the hidden count 14")
	}
}

func TestBarChart(t *testing.T) {
	bars := []Bar{
		{Label: "City Hall & Annex", Cell: Cell{Text: "40", Value: 40}},
		{Label: "Junta", Cell: Cell{Text: "<10", Suppressed: true, n: 3}},
		{Label: "Library", Cell: Cell{Text: "x", Suppressed: true, n: 12}},
	}
	svg := BarChart("by-site", "Applications by site", "Applications submitted per site, March 2026", bars)
	var doc struct {
		XMLName xml.Name
		Role    string `xml:"role,attr"`
		Title   string `xml:"title"`
		Desc    string `xml:"desc"`
		Rects   []struct {
			Width string `xml:"width,attr"`
		} `xml:"rect"`
		Texts []string `xml:"text"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("chart is not well-formed XML: %v\n%s", err, svg)
	}
	if doc.XMLName.Local != "svg" || doc.Role != "img" || doc.Title != "Applications by site" || !strings.Contains(doc.Desc, "March 2026") {
		t.Errorf("chart root = %s role %q title %q desc %q", doc.XMLName.Local, doc.Role, doc.Title, doc.Desc)
	}
	if len(doc.Rects) != 1 {
		t.Errorf("chart draws %d bars, want 1 (suppressed cells get none)", len(doc.Rects))
	}
	want := []string{"City Hall & Annex", "40", "Junta", "<10", "Library", "x"}
	if diff := cmp.Diff(want, doc.Texts); diff != "" {
		t.Errorf("chart texts (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"style", "<script", "on"} {
		if bad == "on" {
			if strings.Contains(string(svg), " onload") || strings.Contains(string(svg), " onclick") {
				t.Error("chart has an event handler attribute")
			}
			continue
		}
		if strings.Contains(string(svg), bad) {
			t.Errorf("chart contains %q, which a strict CSP blocks", bad)
		}
	}
}

func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-03", "0000-01", "9999-12", "2026-1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s)
		if err != nil {
			return
		}
		if m.String() != s {
			t.Fatalf("ParseMonth(%q).String() = %q", s, m.String())
		}
	})
}

func TestSpan(t *testing.T) {
	now := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC) // still December in New York
	ny, _ := time.LoadLocation("America/New_York")
	for _, tt := range []struct {
		from, to, want string
		err            bool
	}{
		{"", "", "2025-01..2025-12", false},
		{"", "2026-06", "2025-07..2026-06", false},
		{"2024-01", "2024-03", "2024-01..2024-03", false},
		{"2024-1", "", "", true},
		{"", "June", "", true},
	} {
		f, to, err := Span(now, ny, tt.from, tt.to)
		if (err != nil) != tt.err || (!tt.err && f.String()+".."+to.String() != tt.want) {
			t.Errorf("Span(%q, %q) = %s..%s, %v; want %s (error %v)", tt.from, tt.to, f, to, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, ErrMonth) {
			t.Errorf("Span(%q, %q) error %v does not wrap ErrMonth", tt.from, tt.to, err)
		}
	}
}
