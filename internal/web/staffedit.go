package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/cityid/cityid/internal/auth"
)

// Changing an account's role or site after creation. auth.UpdateStaff
// decides: a change that widens what the account reads of personal data
// (or makes an administrator) waits for a second administrator, and the
// page says so; anything else takes effect at the account's next request.

type staffEditView struct {
	ID, Username string
	Roles, Sites []option
}

func (s *Server) staffEditForm(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.svc.Auth.StaffByID(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "desk.staff.edit_title")
	p.Form = url.Values{"display_name": {st.DisplayName}, "role": {string(st.Role)}, "site": {st.SiteID}}
	return s.renderStaffEdit(w, r, c, p, http.StatusOK, st)
}

func (s *Server) renderStaffEdit(w http.ResponseWriter, r *http.Request, c *call, p *page, status int, st auth.Staff) error {
	v := staffEditView{ID: st.ID, Username: st.Username}
	for _, role := range auth.Roles() {
		v.Roles = append(v.Roles, option{Value: string(role), Label: c.P.T("web.role." + string(role))})
	}
	v.Sites = append(v.Sites, option{Value: "", Label: c.P.T("web.staff.no_site")})
	sites, err := s.svc.Sites.List(r.Context())
	if err != nil {
		return err
	}
	for _, site := range sites {
		if site.Active || site.ID == st.SiteID {
			v.Sites = append(v.Sites, option{Value: site.ID, Label: site.Name})
		}
	}
	p.Data = v
	return s.views.render(w, status, "staff_edit", "layout", p)
}

func (s *Server) staffUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	st, err := s.svc.Auth.StaffByID(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	f := r.PostForm
	err = s.svc.Auth.UpdateStaff(r.Context(), c.Actor, id, auth.Profile{DisplayName: f.Get("display_name"), Role: auth.Role(f.Get("role")), SiteID: f.Get("site")})
	if req, ok := auth.Pending(err); ok {
		return s.staffPending(w, r, c, req)
	}
	if err != nil {
		p := s.newPage(r, c, "desk.staff.edit_title")
		p.Form = f
		if errors.Is(err, auth.ErrLastAdmin) {
			p.Notice = p.T(auth.MessageKey(err, "web.error.invalid"))
			return s.renderStaffEdit(w, r, c, p, http.StatusConflict, st)
		}
		fe := fieldErrors(err)
		if fe == nil {
			return err
		}
		p.setErrors(fe)
		return s.renderStaffEdit(w, r, c, p, http.StatusUnprocessableEntity, st)
	}
	http.Redirect(w, r, "/staff/admin/staff?saved=1", http.StatusSeeOther)
	return nil
}
