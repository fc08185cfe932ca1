package web

import (
	"context"
	"net/http"

	"github.com/cityid/cityid/internal/auth"
)

// Requests for a role that reads personal data wait on the staff page for a
// second administrator (see auth.StaffRequest). The requester sees them
// with a withdraw button only; any other administrator approves or refuses.

type requestRow struct {
	ID, Kind, Username, DisplayName, Role, Site, RequestedBy, RequestedAt string
	Mine                                                                  bool
}

// staffRequestRows lists the pending requests for the staff page.
func (s *Server) staffRequestRows(ctx context.Context, c *call, staff []auth.Staff, sites map[string]string) ([]requestRow, error) {
	reqs, err := s.svc.Auth.StaffRequests(ctx, c.Actor)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, st := range staff {
		names[st.ID] = st.Username
	}
	out := make([]requestRow, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, requestRow{
			ID: r.ID, Kind: c.P.T("web.staff.request.kind." + string(r.Kind)), Username: r.Username, DisplayName: r.DisplayName,
			Role: c.P.T("web.role." + string(r.Role)), Site: sites[r.SiteID], RequestedBy: names[r.RequestedBy],
			RequestedAt: s.formatTime(c.P, r.RequestedAt), Mine: r.RequestedBy == c.Actor.StaffID,
		})
	}
	return out, nil
}

// staffPending renders the staff page saying that req awaits a second administrator.
func (s *Server) staffPending(w http.ResponseWriter, r *http.Request, c *call, req auth.StaffRequest) error {
	p := s.newPage(r, c, "web.staff.title")
	p.Flash = p.T("web.staff.request.filed", "username", req.Username)
	return s.renderStaff(w, r, c, p, http.StatusAccepted, staffView{})
}

func (s *Server) staffRequestApprove(w http.ResponseWriter, r *http.Request, c *call) error {
	st, pw, err := s.svc.Auth.ApproveStaffRequest(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		if fe := fieldErrors(err); fe != nil {
			p := s.newPage(r, c, "web.staff.title")
			p.Notice = p.T(fe[0].Key)
			return s.renderStaff(w, r, c, p, http.StatusConflict, staffView{})
		}
		return err
	}
	if pw == "" {
		http.Redirect(w, r, "/staff/admin/staff?saved=1", http.StatusSeeOther)
		return nil
	}
	// The approver, not the requester, hands the one-time password over.
	p := s.newPage(r, c, "web.staff.title")
	return s.renderStaff(w, r, c, p, http.StatusOK, staffView{Password: pw, For: st.Username})
}

func (s *Server) staffRequestRefuse(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.svc.Auth.RefuseStaffRequest(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/staff/admin/staff?saved=1", http.StatusSeeOther)
	return nil
}
