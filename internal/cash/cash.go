// Package cash is the end-of-day cash reconciliation: for one day in the
// program's time zone, per clerk and per site, how many applications were
// paid by each method and fee class, how many renewal and replacement
// cards by each method (fees taken at the card desk), the amount the
// drawer should hold,
// and the waivers by reason, with the totals and the last 14 days' amounts
// for a chart. Money is integer cents.
//
// The report names staff (usernames) and sites, never residents: it reads
// plain workflow columns and decrypts nothing. Because it names clerks,
// each view is audited.
package cash

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
)

// ChartDays is how many days, up to the chosen one, the chart shows.
const ChartDays = 14

// Line is the paid applications of one payment method and fee class, or
// the paid renewal or replacement cards (Kind) of one payment method.
type Line struct {
	Kind             string // "" for applications, else the card kind
	Method, FeeClass string
	Count            int
	Cents            int
}

// WaiverLine is the waived applications (Kind "") or cards of one reason.
type WaiverLine struct {
	Kind   string
	Reason string
	Count  int
}

// Group is one clerk's, one site's, or everyone's day.
type Group struct {
	Key   string // clerk username or site id; "" for the total
	Label string // filled in by the caller for sites (their names)
	Paid  []Line // applications, then cards by kind; by method, then fee class
	// Waivers by reason; NoFee counts applications whose fee was zero
	// (a free age class) and that needed no waiver.
	Waivers           []WaiverLine
	NoFee             int
	PaidCount, Waived int
	Cents             int // the amount expected in the drawer
}

// DayAmount is one day's expected amount, for the chart.
type DayAmount struct {
	Day   person.Date
	Cents int
}

// Report is the reconciliation of one day.
type Report struct {
	Day     person.Date
	ByClerk []Group
	BySite  []Group
	Total   Group
	Last    []DayAmount // ChartDays days ending on Day, oldest first
	// ClerkOnly is set when the report is one clerk's own day.
	ClerkOnly bool
}

// Service builds reconciliations.
type Service struct {
	db  *store.DB
	loc *time.Location
	now func() time.Time
}

// NewService returns the reconciliation service over db; days are
// calendar days in loc.
func NewService(db *store.DB, loc *time.Location, now func() time.Time) *Service {
	return &Service{db: db, loc: loc, now: now}
}

// Today is the current day in the program's time zone.
func (s *Service) Today() person.Date { return person.DateOf(s.now().In(s.loc)) }

// Query selects what a reconciliation covers.
type Query struct {
	Day    person.Date
	SiteID string // "" for every site (supervisors and administrators)
}

// Day reconciles q.Day for by: supervisors and administrators see every
// clerk (of q.SiteID, or all sites); a clerk sees only her own
// applications and cards. The view is audited (it names clerks).
func (s *Service) Day(ctx context.Context, by auth.Actor, q Query) (Report, error) {
	var clerkOnly string
	switch {
	case by.Can(auth.RoleSupervisor, auth.RoleAdmin):
	case by.Can(auth.RoleClerk):
		clerkOnly = by.StaffID
		q.SiteID = ""
	default:
		return Report{}, fmt.Errorf("cash reconciliation: %w", errs.ErrForbidden)
	}
	first := q.Day.AddDays(-(ChartDays - 1))
	from := time.Date(first.Year, first.Month, first.Day, 0, 0, 0, 0, s.loc)
	end := q.Day.AddDays(1)
	to := time.Date(end.Year, end.Month, end.Day, 0, 0, 0, 0, s.loc)

	rep := Report{Day: q.Day, ClerkOnly: clerkOnly != ""}
	daily := map[person.Date]int{}
	clerks, sites := map[string]*Group{}, map[string]*Group{}
	err := s.db.WalkCashEntries(ctx, from, to, func(e store.CashEntry) {
		if clerkOnly != "" && e.ClerkID != clerkOnly || q.SiteID != "" && e.SiteID != q.SiteID {
			return
		}
		day := person.DateOf(e.At.In(s.loc))
		if e.WaiverReason == "" && e.Method != "" {
			daily[day] += e.Cents
		}
		if day != q.Day {
			return
		}
		name := e.ClerkUsername
		if name == "" {
			name = e.ClerkID
		}
		for _, g := range []*Group{group(clerks, name), group(sites, e.SiteID), &rep.Total} {
			g.add(e)
		}
	})
	if err != nil {
		return Report{}, err
	}
	for d := first; !q.Day.Before(d); d = d.AddDays(1) {
		rep.Last = append(rep.Last, DayAmount{Day: d, Cents: daily[d]})
	}
	rep.ByClerk, rep.BySite = sorted(clerks), sorted(sites)
	rep.Total.finish()

	record := q.Day.String()
	if q.SiteID != "" {
		record += ":" + q.SiteID
	}
	// A view changes nothing: its event goes through the audit group commit
	// (one turn on the chain's lock for all waiting), committed before the
	// report is returned, as before.
	err = s.db.Audit(ctx, audit.Event{At: s.now().UTC(), Actor: by.StaffID, Action: "cash.reconciliation.view",
		RecordType: "cash_day", RecordID: record, Outcome: audit.OutcomeOK})
	if err != nil {
		return Report{}, fmt.Errorf("cash reconciliation: %w", err)
	}
	return rep, nil
}

func group(m map[string]*Group, key string) *Group {
	g := m[key]
	if g == nil {
		g = &Group{Key: key}
		m[key] = g
	}
	return g
}

func (g *Group) add(e store.CashEntry) {
	switch {
	case e.WaiverReason != "":
		g.Waived++
		for i := range g.Waivers {
			if g.Waivers[i].Kind == e.Kind && g.Waivers[i].Reason == e.WaiverReason {
				g.Waivers[i].Count++
				return
			}
		}
		g.Waivers = append(g.Waivers, WaiverLine{Kind: e.Kind, Reason: e.WaiverReason, Count: 1})
	case e.Method == "" || e.Cents == 0:
		g.NoFee++
	default:
		g.PaidCount++
		g.Cents += e.Cents
		for i := range g.Paid {
			if g.Paid[i].Kind == e.Kind && g.Paid[i].Method == e.Method && g.Paid[i].FeeClass == e.FeeClass {
				g.Paid[i].Count++
				g.Paid[i].Cents += e.Cents
				return
			}
		}
		g.Paid = append(g.Paid, Line{Kind: e.Kind, Method: e.Method, FeeClass: e.FeeClass, Count: 1, Cents: e.Cents})
	}
}

func (g *Group) finish() {
	sort.Slice(g.Paid, func(i, j int) bool {
		if g.Paid[i].Kind != g.Paid[j].Kind {
			return g.Paid[i].Kind < g.Paid[j].Kind
		}
		if g.Paid[i].Method != g.Paid[j].Method {
			return g.Paid[i].Method < g.Paid[j].Method
		}
		return g.Paid[i].FeeClass < g.Paid[j].FeeClass
	})
	sort.Slice(g.Waivers, func(i, j int) bool {
		if g.Waivers[i].Kind != g.Waivers[j].Kind {
			return g.Waivers[i].Kind < g.Waivers[j].Kind
		}
		return g.Waivers[i].Reason < g.Waivers[j].Reason
	})
}

func sorted(m map[string]*Group) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		g.finish()
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
