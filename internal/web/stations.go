package web

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/field/wire"
)

// The field stations page (/staff/stations): requests to compare and
// approve, each station's packet counts with a warning when it has not
// synced for a while, and the quarantine. Supervisors and administrators
// decide; auditors see the counts. No resident is named on it.

var roleStations = []auth.Role{auth.RoleSupervisor, auth.RoleAdmin, auth.RoleAuditor}

type stationRow struct {
	ID, Name, Code, Status, StatusLabel, Site, Requested, LastSync, Revoked string
	Sealed, Uploaded, Imported, Quarantined, Waiting                        uint64
	Reasons                                                                 []string // "why: n", translated
	Stale                                                                   bool
	AcceptThrough                                                           uint64 // the revoke form's default: what was sealed so far
}

type quarantineRow struct {
	Received, Station, Reason string
	Seq                       uint64
	Size                      string
}

type stationsView struct {
	Pending, Stations []stationRow
	Quarantine        []quarantineRow
	Sites             []option
	CanDecide         bool
	StaleDays         int
	QuarantineDays    int
}

func (s *Server) stationsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "field.title")
	switch r.URL.Query().Get("done") {
	case "approved", "refused", "revoked":
		p.Flash = p.T("field." + r.URL.Query().Get("done"))
	}
	return s.renderStations(w, r, c, p, http.StatusOK)
}

func (s *Server) renderStations(w http.ResponseWriter, r *http.Request, c *call, p *page, status int) error {
	ctx := r.Context()
	views, err := s.svc.Field.Stations(ctx, c.Actor)
	if err != nil {
		return err
	}
	quarantined, err := s.svc.Field.Quarantine(ctx, c.Actor)
	if err != nil {
		return err
	}
	sites := s.siteNames(ctx)
	v := stationsView{CanDecide: c.Actor.Can(auth.RoleSupervisor, auth.RoleAdmin),
		StaleDays: int(s.svc.Field.StaleAfter().Hours() / 24), QuarantineDays: s.svc.Settings.Field.QuarantineDays}
	names := map[string]string{}
	for _, st := range views {
		names[st.ID] = st.Name
		row := stationRow{ID: st.ID, Name: st.Name, Code: st.Code, Status: st.Status, StatusLabel: c.P.T("field.status." + st.Status),
			Site: sites[st.SiteID], Requested: s.formatTime(c.P, st.CreatedAt), LastSync: c.P.T("field.never"),
			Sealed: st.MaxSeq, Uploaded: uint64(st.Uploaded), Imported: uint64(st.Imported), Quarantined: uint64(st.Quarantined),
			Stale: st.Stale, AcceptThrough: st.MaxSeq}
		if st.MaxSeq > uint64(st.Uploaded) {
			row.Waiting = st.MaxSeq - uint64(st.Uploaded)
		}
		if !st.LastSync.IsZero() {
			row.LastSync = s.formatTime(c.P, st.LastSync)
		}
		if st.Status == wire.StatusRevoked {
			row.Revoked, row.AcceptThrough = s.formatTime(c.P, st.RevokedAt), st.Station.AcceptThrough
		}
		for _, reason := range slices.Sorted(maps.Keys(st.Reasons)) {
			row.Reasons = append(row.Reasons, c.P.T("field.reason."+reason)+" ("+strconv.Itoa(st.Reasons[reason])+")")
		}
		if st.Status == wire.StatusPending {
			v.Pending = append(v.Pending, row)
		} else {
			v.Stations = append(v.Stations, row)
		}
	}
	for _, q := range quarantined {
		name := names[q.StationID]
		if name == "" {
			name = c.P.T("field.unknown")
		}
		v.Quarantine = append(v.Quarantine, quarantineRow{Received: s.formatTime(c.P, q.ReceivedAt), Station: name, Seq: q.Seq,
			Reason: c.P.T("field.reason." + q.Reason), Size: strconv.Itoa((q.Size+1023)/1024) + " KB"})
	}
	for id, name := range sites {
		v.Sites = append(v.Sites, option{Value: id, Label: name})
	}
	sortOptions(v.Sites)
	p.Data = v
	return s.views.render(w, status, "stations", "layout", p)
}

func (s *Server) stationApprove(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	err := s.svc.Field.Approve(r.Context(), c.Actor, r.PathValue("id"), strings.TrimSpace(r.PostForm.Get("site")))
	if fieldErrors(err) != nil { // no site chosen, or one that is gone or closed
		p := s.newPage(r, c, "field.title")
		p.Notice = p.T("field.error.site")
		return s.renderStations(w, r, c, p, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/staff/stations?done=approved", http.StatusSeeOther)
	return nil
}

func (s *Server) stationRefuse(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.svc.Field.Refuse(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/staff/stations?done=refused", http.StatusSeeOther)
	return nil
}

func (s *Server) stationRevoke(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	through, err := strconv.ParseUint(strings.TrimSpace(r.PostForm.Get("accept_through")), 10, 63)
	if err != nil {
		through = 0 // empty or not a number: accept nothing more, the safe reading
	}
	if err := s.svc.Field.Revoke(r.Context(), c.Actor, r.PathValue("id"), through); err != nil {
		return err
	}
	http.Redirect(w, r, "/staff/stations?done=revoked", http.StatusSeeOther)
	return nil
}
