package web

import (
	"net/http"
	"strconv"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/field/wire"
)

// statusOrder is how statuses are listed on pages.
var statusOrder = []enroll.Status{enroll.StatusDraft, enroll.StatusSubmitted, enroll.StatusNeedsReview,
	enroll.StatusApproved, enroll.StatusRejected, enroll.StatusIssued}

type countRow struct {
	Status enroll.Status
	Label  string
	N      int
}

type dashboardView struct {
	Counts   []countRow
	SiteName string
	// Field stations waiting for a supervisor, and approved ones that have
	// not synced for field.stale_days (supervisors and administrators).
	FieldPending, FieldStale, StaleDays int
	// IndexLoading is set while the duplicate-screening index loads (how
	// much is loaded): applications taken now wait in review.
	IndexLoading string
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "web.dashboard.title")
	var v dashboardView
	if c.Actor.Can(auth.RoleClerk, auth.RoleSupervisor, auth.RoleAuditor) {
		m, err := s.svc.Applications.Counts(r.Context(), c.Actor)
		if err != nil {
			return err
		}
		for _, st := range statusOrder {
			v.Counts = append(v.Counts, countRow{Status: st, Label: p.T("web.status." + string(st)), N: m[st]})
		}
	}
	if c.Actor.SiteID != "" {
		if st, err := s.svc.Sites.Get(r.Context(), c.Actor.SiteID); err == nil {
			v.SiteName = st.Name
		}
	}
	if c.Actor.Can(auth.RoleSupervisor, auth.RoleAdmin) {
		views, err := s.svc.Field.Stations(r.Context(), c.Actor)
		if err != nil {
			return err
		}
		for _, st := range views {
			if st.Status == wire.StatusPending {
				v.FieldPending++
			}
			if st.Stale {
				v.FieldStale++
			}
		}
		v.StaleDays = int(s.svc.Field.StaleAfter().Hours() / 24)
	}
	if s.svc.ScreeningLoading != nil && c.Actor.Can(auth.RoleClerk, auth.RoleSupervisor, auth.RoleAdmin) {
		if pct, ok := s.svc.ScreeningLoading(); ok {
			v.IndexLoading = strconv.Itoa(pct) // the catalog writes the % as its language does ("37%", "37 %")
		}
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "dashboard", "layout", p)
}
