package web

import (
	"errors"
	"html/template"
	"net/http"
	"sort"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/cash"
	"github.com/cityid/cityid/internal/fee"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/stats"
)

// roleCash may open the cash reconciliation: clerks see their own day,
// supervisors and administrators every clerk's.
var roleCash = []auth.Role{auth.RoleClerk, auth.RoleSupervisor, auth.RoleAdmin}

type cashView struct {
	Day         string // YYYY-MM-DD, for the form
	DayLong     string // in the reader's language
	ClerkOnly   bool
	Sites       []option
	ByClerk     []cashGroup
	BySite      []cashGroup
	Total       cashGroup
	Chart       template.HTML
	ChartTitle  string
	CanPickSite bool
}

type cashGroup struct {
	Label   string
	Lines   []cashLine // paid, by method and fee class
	Waivers []cashLine
	NoFee   int
	Paid    int
	Waived  int
	Amount  string
}

type cashLine struct {
	Label  string
	Count  int
	Amount string
}

// cashPage shows one day's reconciliation: ?day=YYYY-MM-DD (default
// today in the program's time zone), ?site= for supervisors.
func (s *Server) cashPage(w http.ResponseWriter, r *http.Request, c *call) error {
	q := cash.Query{Day: s.svc.Cash.Today(), SiteID: r.URL.Query().Get("site")}
	if d := r.URL.Query().Get("day"); d != "" {
		day, err := person.ParseDate(d)
		if err != nil {
			return httplayer.Fail(http.StatusBadRequest, "cash.error.day", err)
		}
		q.Day = day
	}
	names := s.siteNames(r.Context())
	if _, ok := names[q.SiteID]; q.SiteID != "" && !ok {
		return httplayer.Fail(http.StatusBadRequest, "cash.error.site", errors.New("unknown site"))
	}
	rep, err := s.svc.Cash.Day(r.Context(), c.Actor, q)
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "cash.title")
	cur, lang := s.svc.Settings.Fees.Currency, c.P.Lang
	money := func(cents int) string { return fee.Format(cents, cur, lang) }
	view := func(g cash.Group, label string) cashGroup {
		out := cashGroup{Label: label, NoFee: g.NoFee, Paid: g.PaidCount, Waived: g.Waived, Amount: money(g.Cents)}
		for _, l := range g.Paid {
			// Applications: "Cash · Adult"; cards: "Replacement cards · Cash".
			label := p.T("fee.method."+l.Method) + " · " + p.T("web.category."+l.FeeClass)
			if l.Kind != "" {
				label = p.T("cash.kind."+l.Kind) + " · " + p.T("fee.method."+l.Method)
			}
			out.Lines = append(out.Lines, cashLine{Label: label, Count: l.Count, Amount: money(l.Cents)})
		}
		for _, wl := range g.Waivers {
			label := p.T("fee.waiver." + wl.Reason)
			if wl.Kind != "" {
				label = p.T("cash.kind."+wl.Kind) + " · " + label
			}
			out.Waivers = append(out.Waivers, cashLine{Label: label, Count: wl.Count})
		}
		return out
	}
	v := cashView{Day: rep.Day.String(), DayLong: p.c.P.LongDate(rep.Day.Time()), ClerkOnly: rep.ClerkOnly,
		Total: view(rep.Total, p.T("cash.total")), CanPickSite: !rep.ClerkOnly}
	for _, g := range rep.ByClerk {
		v.ByClerk = append(v.ByClerk, view(g, g.Key))
	}
	for _, g := range rep.BySite {
		label := names[g.Key]
		if label == "" {
			label = g.Key
		}
		v.BySite = append(v.BySite, view(g, label))
	}
	if v.CanPickSite {
		v.Sites = append(v.Sites, option{Value: "", Label: p.T("cash.all_sites")})
		for id, n := range names {
			v.Sites = append(v.Sites, option{Value: id, Label: n, Selected: id == q.SiteID})
		}
		sortOptions(v.Sites[1:])
	}
	var bars []stats.Bar
	for _, d := range rep.Last {
		bars = append(bars, stats.Bar{Label: p.c.P.DayMonth(d.Day.Time()), Cell: stats.Cell{Text: money(d.Cents), Value: d.Cents}})
	}
	v.ChartTitle = p.T("cash.chart", "n", cash.ChartDays)
	// Built by stats.BarChart, which escapes every text it writes.
	v.Chart = template.HTML(stats.BarChart("cash-chart", v.ChartTitle, v.ChartTitle+". "+p.T("cash.chart_desc"), bars))
	p.Form.Set("day", v.Day)
	p.Form.Set("site", q.SiteID)
	p.Data = v
	return s.views.render(w, http.StatusOK, "cash", "layout", p)
}

func sortOptions(o []option) { sort.Slice(o, func(i, j int) bool { return o[i].Label < o[j].Label }) }
