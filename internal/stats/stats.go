// Package stats computes aggregate statistics of the program for the
// council and the press: applications submitted, approved and rejected, and
// cards issued, by month, site, age category, language and fee or waiver.
//
// Only plain workflow columns are read; nothing is ever decrypted. Small
// cells are suppressed before anything leaves the package: a count from 1
// to 9 is shown as "<10", and where a measure's total would let a reader
// work a suppressed count out (exactly one suppressed cell in a table's
// column), a second cell is hidden too ("x"). The raw counts of suppressed
// cells are unexported, so no template, JSON or CSV can show them.
package stats

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cityid/cityid/internal/store"
)

// Threshold is the smallest count shown as a number (zero is shown too).
const Threshold = 10

// Measure is a column of every table.
type Measure string

// The measures, in column order.
const (
	Submitted Measure = "submitted"
	Approved  Measure = "approved"
	Rejected  Measure = "rejected"
	Cards     Measure = "cards_issued"
)

// Measures lists the measures in column order.
var Measures = []Measure{Submitted, Approved, Rejected, Cards}

// Dimension is what a table breaks the counts down by.
type Dimension string

// The dimensions, in table order.
const (
	ByMonth    Dimension = "month"
	BySite     Dimension = "site"
	ByAge      Dimension = "age_category"
	ByLanguage Dimension = "language"
	ByPayment  Dimension = "payment"
)

// Dimensions lists the dimensions in table order.
var Dimensions = []Dimension{ByMonth, BySite, ByAge, ByLanguage, ByPayment}

// Payment keys: "fee", "no_fee", or "waiver." plus the waiver reason code.
const (
	PaymentFee    = "fee"
	PaymentNoFee  = "no_fee"
	PaymentWaiver = "waiver."
)

// Cell is one published count.
type Cell struct {
	Text       string // "12", "0", "<10" or "x"
	Value      int    // the count when shown, else 0
	Suppressed bool   // Text is "<10" or "x"
	n          int    // the true count; never leaves the package
}

// Row is one value of a dimension.
type Row struct {
	Key   string // month "2026-03", site id, category, language code or payment key
	Cells []Cell // one per Measures entry
}

// Table is the counts by one dimension, with the total of each measure.
type Table struct {
	Dimension Dimension
	Rows      []Row
	Total     Row // Key "total"
}

// Report is every table for a span of months.
type Report struct {
	From, To string // first and last month, "YYYY-MM"
	Tables   []Table
}

// Table returns the table for d.
func (r Report) Table(d Dimension) Table {
	for _, t := range r.Tables {
		if t.Dimension == d {
			return t
		}
	}
	return Table{Dimension: d}
}

// Month is a calendar month.
type Month struct {
	Year  int
	Month time.Month
}

// String formats the month as YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, m.Month) }

// Before reports whether m is an earlier month than o.
func (m Month) Before(o Month) bool {
	return m.Year < o.Year || m.Year == o.Year && m.Month < o.Month
}

// Add moves n months forward (or back).
func (m Month) Add(n int) Month {
	t := time.Date(m.Year, m.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	return Month{t.Year(), t.Month()}
}

func (m Month) start(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
}

// MonthOf is the month t falls in, in loc.
func MonthOf(t time.Time, loc *time.Location) Month {
	t = t.In(loc)
	return Month{t.Year(), t.Month()}
}

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Month{}, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

// ErrMonth is wrapped by Span's errors about malformed months.
var ErrMonth = errors.New("month must be YYYY-MM")

// Span reads the months a request asks for ("" for either is the default):
// by default the twelve months up to the one now falls in; to alone ends
// the twelve months there.
func Span(now time.Time, loc *time.Location, from, to string) (Month, Month, error) {
	end := MonthOf(now, loc)
	if to != "" {
		m, err := ParseMonth(to)
		if err != nil {
			return Month{}, Month{}, fmt.Errorf("to: %w", errors.Join(err, ErrMonth))
		}
		end = m
	}
	start := end.Add(-11)
	if from != "" {
		m, err := ParseMonth(from)
		if err != nil {
			return Month{}, Month{}, fmt.Errorf("from: %w", errors.Join(err, ErrMonth))
		}
		start = m
	}
	return start, end, nil
}

// Source is where counts come from (a *store.DB).
type Source interface {
	WalkStatsApplications(ctx context.Context, from, to time.Time, fn func(store.StatsApplication)) error
	WalkStatsCards(ctx context.Context, from, to time.Time, fn func(store.StatsCard)) error
}

// maxMonths bounds a report's span.
const maxMonths = 120

// ErrSpan means a report was asked for more than maxMonths months.
var ErrSpan = errors.New("statistics span too many months")

// Compute counts everything from month from to month to (inclusive), with
// months in loc (the program's time zone), and suppresses small cells.
func Compute(ctx context.Context, src Source, loc *time.Location, from, to Month) (Report, error) {
	if to.start(time.UTC).Before(from.start(time.UTC)) {
		from, to = to, from
	}
	if from.Add(maxMonths - 1).start(time.UTC).Before(to.start(time.UTC)) {
		return Report{}, fmt.Errorf("more than %d months: %w", maxMonths, ErrSpan)
	}
	c := newCounter()
	lo, hi := from.start(loc), to.Add(1).start(loc)
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(lo) && t.Before(hi) }
	err := src.WalkStatsApplications(ctx, lo, hi, func(a store.StatsApplication) {
		keys := dims(MonthOf(a.SubmittedAt, loc), a.SiteID, a.AgeCategory, a.Language, paymentKey(a.WaiverReason, a.FeeCents, a.PaymentMethod))
		if in(a.SubmittedAt) {
			c.add(Submitted, keys)
		}
		if in(a.DecidedAt) {
			keys[ByMonth] = MonthOf(a.DecidedAt, loc).String()
			switch a.Status {
			case "approved", "issued":
				c.add(Approved, keys)
			case "rejected":
				c.add(Rejected, keys)
			}
		}
	})
	if err != nil {
		return Report{}, err
	}
	err = src.WalkStatsCards(ctx, lo, hi, func(k store.StatsCard) {
		c.add(Cards, dims(MonthOf(k.IssuedAt, loc), k.SiteID, k.AgeCategory, k.Language, paymentKey(k.WaiverReason, k.FeeCents, "")))
	})
	if err != nil {
		return Report{}, err
	}
	r := Report{From: from.String(), To: to.String()}
	for _, d := range Dimensions {
		keys := c.keys[d]
		if d == ByMonth {
			// Every month of the span, even an empty one.
			keys = map[string]bool{}
			for m := from; !to.start(time.UTC).Before(m.start(time.UTC)); m = m.Add(1) {
				keys[m.String()] = true
			}
		}
		r.Tables = append(r.Tables, c.table(d, keys))
	}
	return r, nil
}

func dims(m Month, site, age, lang, pay string) map[Dimension]string {
	return map[Dimension]string{ByMonth: m.String(), BySite: site, ByAge: age, ByLanguage: lang, ByPayment: pay}
}

func paymentKey(waiver string, feeCents int, method string) string {
	switch {
	case waiver != "":
		return PaymentWaiver + waiver
	case feeCents > 0 || method != "":
		return PaymentFee
	}
	return PaymentNoFee
}

// counter holds raw counts per dimension, key and measure.
type counter struct {
	n    map[Dimension]map[string]map[Measure]int
	keys map[Dimension]map[string]bool
}

func newCounter() *counter {
	c := &counter{n: map[Dimension]map[string]map[Measure]int{}, keys: map[Dimension]map[string]bool{}}
	for _, d := range Dimensions {
		c.n[d] = map[string]map[Measure]int{}
		c.keys[d] = map[string]bool{}
	}
	return c
}

func (c *counter) add(m Measure, keys map[Dimension]string) {
	for d, k := range keys {
		if k == "" {
			k = "unknown"
		}
		if c.n[d][k] == nil {
			c.n[d][k] = map[Measure]int{}
		}
		c.n[d][k][m]++
		c.keys[d][k] = true
	}
}

func (c *counter) table(d Dimension, keys map[string]bool) Table {
	t := Table{Dimension: d, Total: Row{Key: "total"}}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	totals := make([]int, len(Measures))
	for _, k := range sorted {
		row := Row{Key: k}
		for i, m := range Measures {
			n := c.n[d][k][m]
			row.Cells = append(row.Cells, Cell{n: n})
			totals[i] += n
		}
		t.Rows = append(t.Rows, row)
	}
	for _, n := range totals {
		t.Total.Cells = append(t.Total.Cells, Cell{n: n})
	}
	suppress(&t)
	return t
}

// suppress fills in every cell's published text. Primary suppression hides
// counts 1–9. Then, column by column, when the total is shown and exactly
// one cell is hidden, the total minus the shown cells would give it away,
// so the smallest other non-zero cell is hidden too.
func suppress(t *Table) {
	for i := range Measures {
		col := make([]*Cell, 0, len(t.Rows))
		for r := range t.Rows {
			col = append(col, &t.Rows[r].Cells[i])
		}
		total := &t.Total.Cells[i]
		for _, c := range append(col, total) {
			c.Suppressed = c.n > 0 && c.n < Threshold
		}
		if !total.Suppressed && hiddenIn(col) == 1 {
			var pick *Cell
			for _, c := range col {
				if !c.Suppressed && c.n > 0 && (pick == nil || c.n < pick.n) {
					pick = c
				}
			}
			if pick != nil {
				pick.Suppressed = true
			}
		}
		for _, c := range append(col, total) {
			switch {
			case !c.Suppressed:
				c.Text, c.Value = strconv.Itoa(c.n), c.n
			case c.n < Threshold:
				c.Text = "<10"
			default:
				c.Text = "x"
			}
		}
	}
}

func hiddenIn(col []*Cell) int {
	n := 0
	for _, c := range col {
		if c.Suppressed {
			n++
		}
	}
	return n
}

// Service computes reports from one source (the store) for the staff
// pages and the API.
type Service struct{ src Source }

// NewService returns the statistics service over src.
func NewService(src Source) *Service { return &Service{src: src} }

// Compute is Compute over the service's source.
func (s *Service) Compute(ctx context.Context, loc *time.Location, from, to Month) (Report, error) {
	return Compute(ctx, s.src, loc, from, to)
}
