package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/site"
)

// parseForm reads a small urlencoded form (64 KiB at most).
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return httplayer.TooLargeOr(err)
	}
	return nil
}

func (s *Server) kindOptions(c *call) []option {
	var out []option
	for _, k := range site.Kinds() {
		out = append(out, option{Value: k, Label: c.P.T("web.site.kind." + k)})
	}
	return out
}

type sitesView struct {
	Sites []siteRow
	Kinds []option
}

type siteRow struct {
	ID, Name, Kind, Address string
	Active                  bool
}

func (s *Server) renderSites(w http.ResponseWriter, r *http.Request, c *call, p *page, status int) error {
	sites, err := s.svc.Sites.List(r.Context())
	if err != nil {
		return err
	}
	v := sitesView{Kinds: s.kindOptions(c)}
	for _, st := range sites {
		v.Sites = append(v.Sites, siteRow{ID: st.ID, Name: st.Name, Kind: c.P.T("web.site.kind." + st.Kind), Address: st.Address, Active: st.Active})
	}
	p.Data = v
	return s.views.render(w, status, "sites", "layout", p)
}

func (s *Server) sitesPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "web.sites.title")
	if r.URL.Query().Get("saved") != "" {
		p.Flash = p.T("web.saved")
	}
	return s.renderSites(w, r, c, p, http.StatusOK)
}

func (s *Server) siteCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := site.Site{Name: strings.TrimSpace(r.PostForm.Get("name")), Kind: r.PostForm.Get("kind"), Address: strings.TrimSpace(r.PostForm.Get("address"))}
	bad := siteDetails(r.PostForm, &in)
	var err error
	if len(bad) == 0 {
		_, err = s.svc.Sites.Create(r.Context(), c.Actor, in)
	} else {
		err = bad
	}
	if err != nil {
		fe := fieldErrors(err)
		if fe == nil {
			return err
		}
		p := s.newPage(r, c, "web.sites.title")
		p.Form = r.PostForm
		p.setErrors(fe)
		return s.renderSites(w, r, c, p, http.StatusUnprocessableEntity)
	}
	http.Redirect(w, r, "/staff/admin/sites?saved=1", http.StatusSeeOther)
	return nil
}

func (s *Server) siteEditForm(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.svc.Sites.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "web.site.edit.title")
	p.Form = siteFormValues(st)
	p.Data = sitesView{Kinds: s.kindOptions(c), Sites: []siteRow{{ID: st.ID}}}
	return s.views.render(w, http.StatusOK, "site_edit", "layout", p)
}

func (s *Server) siteUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	st, err := s.svc.Sites.Get(r.Context(), id)
	if err != nil {
		return err
	}
	st.Name, st.Kind, st.Address = strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("kind"), strings.TrimSpace(r.PostForm.Get("address"))
	st.Active = r.PostForm.Get("active") == "1"
	bad := siteDetails(r.PostForm, &st)
	if len(bad) == 0 {
		err = s.svc.Sites.Update(r.Context(), c.Actor, st)
	} else {
		err = bad
	}
	if err != nil {
		fe := fieldErrors(err)
		if fe == nil {
			return err
		}
		p := s.newPage(r, c, "web.site.edit.title")
		p.Form = r.PostForm
		p.setErrors(fe)
		p.Data = sitesView{Kinds: s.kindOptions(c), Sites: []siteRow{{ID: id}}}
		return s.views.render(w, http.StatusUnprocessableEntity, "site_edit", "layout", p)
	}
	http.Redirect(w, r, "/staff/sites/"+id+"?saved=1", http.StatusSeeOther)
	return nil
}

// --- staff accounts

type staffView struct {
	Staff    []staffRow
	Requests []requestRow // awaiting a second administrator
	Roles    []option
	Sites    []option
	Password string // a one-time password, shown once
	For      string
}

type staffRow struct {
	ID, Username, DisplayName, Role, Site string
	Disabled, Retired, Locked, TOTP, Self bool
}

func (s *Server) renderStaff(w http.ResponseWriter, r *http.Request, c *call, p *page, status int, v staffView) error {
	list, err := s.svc.Auth.ListStaff(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	names := s.siteNames(r.Context())
	for _, st := range list {
		v.Staff = append(v.Staff, staffRow{ID: st.ID, Username: st.Username, DisplayName: st.DisplayName,
			Role: c.P.T("web.role." + string(st.Role)), Site: names[st.SiteID], Disabled: st.Disabled, Retired: st.Retired,
			Locked: st.Locked, TOTP: st.TOTPEnrolled, Self: st.ID == c.Actor.StaffID})
	}
	if v.Requests, err = s.staffRequestRows(r.Context(), c, list, names); err != nil {
		return err
	}
	for _, role := range auth.Roles() {
		v.Roles = append(v.Roles, option{Value: string(role), Label: c.P.T("web.role." + string(role))})
	}
	v.Sites = append(v.Sites, option{Value: "", Label: c.P.T("web.staff.no_site")})
	sites, err := s.svc.Sites.List(r.Context())
	if err != nil {
		return err
	}
	for _, st := range sites {
		if st.Active {
			v.Sites = append(v.Sites, option{Value: st.ID, Label: st.Name})
		}
	}
	p.Data = v
	return s.views.render(w, status, "staff", "layout", p)
}

func (s *Server) staffPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "web.staff.title")
	if r.URL.Query().Get("saved") != "" {
		p.Flash = p.T("web.saved")
	}
	return s.renderStaff(w, r, c, p, http.StatusOK, staffView{})
}

func (s *Server) staffCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	st, pw, err := s.svc.Auth.CreateStaffOneTime(r.Context(), c.Actor, auth.NewStaff{
		Username: f.Get("username"), DisplayName: f.Get("display_name"), Role: auth.Role(f.Get("role")), SiteID: f.Get("site"),
	})
	if req, ok := auth.Pending(err); ok {
		return s.staffPending(w, r, c, req)
	}
	p := s.newPage(r, c, "web.staff.title")
	if err != nil {
		fe := fieldErrors(err)
		if fe == nil {
			return err
		}
		p.Form = f
		p.setErrors(fe)
		return s.renderStaff(w, r, c, p, http.StatusUnprocessableEntity, staffView{})
	}
	// The one-time password is in this response only; nothing is cached.
	return s.renderStaff(w, r, c, p, http.StatusOK, staffView{Password: pw, For: st.Username})
}

func (s *Server) staffDisable(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.staffAction(w, r, c, s.svc.Auth.DisableStaff)
}

func (s *Server) staffEnable(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.staffAction(w, r, c, s.svc.Auth.EnableStaff)
}

func (s *Server) staffAction(w http.ResponseWriter, r *http.Request, c *call, act func(ctx context.Context, by auth.Actor, id string) error) error {
	if err := act(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		if req, ok := auth.Pending(err); ok {
			return s.staffPending(w, r, c, req)
		}
		if errors.Is(err, auth.ErrLastAdmin) || errors.Is(err, auth.ErrRetired) {
			p := s.newPage(r, c, "web.staff.title")
			p.Notice = p.T(auth.MessageKey(err, "web.error.invalid"))
			return s.renderStaff(w, r, c, p, http.StatusConflict, staffView{})
		}
		return err
	}
	http.Redirect(w, r, "/staff/admin/staff?saved=1", http.StatusSeeOther)
	return nil
}

func (s *Server) staffReset(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	st, err := s.svc.Auth.StaffByID(r.Context(), c.Actor, id)
	if err != nil {
		return err
	}
	pw, err := s.svc.Auth.ResetStaff(r.Context(), c.Actor, id)
	if req, ok := auth.Pending(err); ok {
		return s.staffPending(w, r, c, req)
	}
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "web.staff.title")
	return s.renderStaff(w, r, c, p, http.StatusOK, staffView{Password: pw, For: st.Username})
}

// --- API tokens

type tokensView struct {
	Tokens []tokenRow
	Token  string // shown once
}

type tokenRow struct {
	ID, Name, Created, LastUsed string
	Revoked                     bool
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, c *call, p *page, status int, token string) error {
	list, err := s.svc.Auth.APITokens(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	v := tokensView{Token: token}
	for _, t := range list {
		v.Tokens = append(v.Tokens, tokenRow{ID: t.ID, Name: t.Name, Created: s.formatTime(c.P, t.CreatedAt), LastUsed: s.formatTime(c.P, t.LastUsedAt), Revoked: !t.RevokedAt.IsZero()})
	}
	p.Data = v
	return s.views.render(w, status, "tokens", "layout", p)
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "web.tokens.title")
	if r.URL.Query().Get("saved") != "" {
		p.Flash = p.T("web.saved")
	}
	return s.renderTokens(w, r, c, p, http.StatusOK, "")
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p := s.newPage(r, c, "web.tokens.title")
	token, _, err := s.svc.Auth.CreateAPIToken(r.Context(), c.Actor, r.PostForm.Get("name"))
	if err != nil {
		fe := fieldErrors(err)
		if fe == nil {
			return err
		}
		p.Form = r.PostForm
		p.setErrors(fe)
		return s.renderTokens(w, r, c, p, http.StatusUnprocessableEntity, "")
	}
	return s.renderTokens(w, r, c, p, http.StatusOK, token)
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.svc.Auth.RevokeAPIToken(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		if errors.Is(err, errs.ErrNotFound) {
			return httplayer.Fail(http.StatusNotFound, "web.error.not_found", err)
		}
		return err
	}
	http.Redirect(w, r, "/staff/tokens?saved=1", http.StatusSeeOther)
	return nil
}
