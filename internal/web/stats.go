package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/stats"
)

// roleStats may see aggregate statistics (never personal data).
var roleStats = []auth.Role{auth.RoleSupervisor, auth.RoleAdmin, auth.RoleAuditor}

type statsView struct {
	From, To string
	Months   []option // the months the pickers offer, newest first, named in the page's language
	CSVURL   string
	Measures []string // translated column headings
	Charts   []statsChart
	Tables   []statsTable
}

type statsChart struct {
	Title string
	SVG   template.HTML
}

type statsTable struct {
	Caption string
	Rows    []statsRow
	Total   statsRow
}

type statsRow struct {
	Label string
	Cells []stats.Cell
}

// statsReport computes the report the request asks for: ?from= and ?to=
// months (YYYY-MM), by default the twelve months up to this one.
func (s *Server) statsReport(r *http.Request) (stats.Report, error) {
	loc := s.svc.Location
	q := r.URL.Query()
	from, to, err := stats.Span(s.svc.Now(), loc, q.Get("from"), q.Get("to"))
	if err != nil {
		return stats.Report{}, httplayer.Fail(http.StatusBadRequest, "stats.error.month", err)
	}
	rep, err := s.svc.Stats.Compute(r.Context(), loc, from, to)
	if errors.Is(err, stats.ErrSpan) {
		return rep, httplayer.Fail(http.StatusBadRequest, "stats.error.span", err)
	}
	return rep, err
}

// statsLabeler names dimension keys in the reader's language.
func (s *Server) statsLabeler(p i18n.Printer, sites map[string]string) stats.Labeler {
	return func(d stats.Dimension, key string) string {
		switch {
		case key == "total":
			return p.T("stats.total")
		case key == "unknown":
			return p.T("stats.unknown")
		case d == stats.BySite:
			if n := sites[key]; n != "" {
				return n
			}
		case d == stats.ByAge:
			return p.T("web.category." + key)
		case d == stats.ByLanguage:
			return p.T("web.lang.name." + key)
		case d == stats.ByPayment && strings.HasPrefix(key, stats.PaymentWaiver):
			return p.T("stats.payment.waiver", "reason", p.T("fee.waiver."+strings.TrimPrefix(key, stats.PaymentWaiver)))
		case d == stats.ByPayment:
			return p.T("stats.payment." + key)
		}
		return key
	}
}

// statsPage shows the aggregate statistics with charts, or the CSV with
// ?format=csv. Small cells are suppressed by package stats.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	rep, err := s.statsReport(r)
	if err != nil {
		return err
	}
	csvLabel := s.statsLabeler(c.P, s.siteNames(r.Context()))
	// The page names months as people do ("March 2026", "marzo de 2026");
	// the CSV keeps 2026-03, which a spreadsheet sorts and reads as a date.
	label := func(d stats.Dimension, key string) string {
		if d == stats.ByMonth {
			if t, err := time.Parse("2006-01", key); err == nil {
				return c.P.MonthYear(t)
			}
		}
		return csvLabel(d, key)
	}
	if r.URL.Query().Get("format") == "csv" {
		var buf bytes.Buffer
		if err := stats.WriteCSV(&buf, rep, csvLabel); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="cityid-statistics-`+rep.From+`-`+rep.To+`.csv"`)
		_, err := buf.WriteTo(w)
		return err
	}
	p := s.newPage(r, c, "stats.title")
	p.Form.Set("from", rep.From)
	p.Form.Set("to", rep.To)
	v := statsView{From: rep.From, To: rep.To, CSVURL: "/staff/stats?format=csv&from=" + rep.From + "&to=" + rep.To}
	v.Months = statsMonths(stats.MonthOf(s.svc.Now(), s.svc.Location), rep.From, rep.To, func(m string) string { return label(stats.ByMonth, m) })
	for _, m := range stats.Measures {
		v.Measures = append(v.Measures, p.T("stats.measure."+string(m)))
	}
	// The charts' descriptions (read by screen readers) name the months as
	// the page does, not as the CSV does.
	span := p.T("stats.span", "from", label(stats.ByMonth, rep.From), "to", label(stats.ByMonth, rep.To))
	for _, d := range []stats.Dimension{stats.ByMonth, stats.BySite, stats.ByLanguage} {
		title := p.T("stats.chart." + string(d))
		svg := stats.BarChart("chart-"+string(d), title, title+". "+span+". "+p.T("stats.suppressed_note"),
			stats.Bars(rep.Table(d), stats.Submitted, label))
		// Built by stats.BarChart, which escapes every text it writes.
		v.Charts = append(v.Charts, statsChart{Title: title, SVG: template.HTML(svg)})
	}
	for _, t := range rep.Tables {
		st := statsTable{Caption: p.T("stats.by." + string(t.Dimension)),
			Total: statsRow{Label: label(t.Dimension, t.Total.Key), Cells: t.Total.Cells}}
		for _, row := range t.Rows {
			st.Rows = append(st.Rows, statsRow{Label: label(t.Dimension, row.Key), Cells: row.Cells})
		}
		v.Tables = append(v.Tables, st)
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "stats", "layout", p)
}

// statsMonths are the months the period's pickers offer: the last five
// years up to this month, and the report's own months if older or later.
// They are a list of named months, not a browser's month picker, which
// speaks the phone's language ("April 2025" on a Spanish page).
func statsMonths(now stats.Month, from, to string, name func(string) string) []option {
	first, last := now.Add(-59), now
	for _, s := range []string{from, to} {
		m, err := stats.ParseMonth(s)
		if err != nil {
			continue
		}
		if m.Before(first) {
			first = m
		}
		if last.Before(m) {
			last = m
		}
	}
	var out []option
	for m := last; !m.Before(first); m = m.Add(-1) {
		out = append(out, option{Value: m.String(), Label: name(m.String())})
	}
	return out
}
