package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
)

// A site's public details (phone, hours, languages, accessibility): the
// administrator edits them with the rest of the site; every staff member
// can read them on the site page, as residents read them on the resident site.

type siteDay struct {
	Label, Hours string
	Closed       bool
}

type siteDetailView struct {
	ID, Name, Kind, Address, Phone, Accessibility string
	Languages                                     string
	Active, HoursKnown, CanEdit                   bool
	Days                                          []siteDay
}

// siteDetails applies the detail fields of an edit form to st. Hours that
// do not read are field errors; the rest is validated by package site.
func siteDetails(f url.Values, st *site.Site) person.Errors {
	st.Phone = strings.TrimSpace(f.Get("phone"))
	st.Languages = site.ParseLanguages(f.Get("languages"))
	st.Accessibility = strings.TrimSpace(f.Get("accessibility"))
	var texts [7]string
	for d, key := range site.Weekdays {
		texts[d] = f.Get("hours_" + key)
	}
	h, errs := site.ParseWeek(texts)
	st.Hours = h
	return errs
}

// siteFormValues fills an edit form from a stored site.
func siteFormValues(st site.Site) url.Values {
	v := url.Values{"name": {st.Name}, "kind": {st.Kind}, "address": {st.Address},
		"phone": {st.Phone}, "languages": {strings.Join(st.Languages, ", ")}, "accessibility": {st.Accessibility}}
	for d, key := range site.Weekdays {
		v.Set("hours_"+key, site.FormatDay(st.Hours[d]))
	}
	if st.Active {
		v.Set("active", "1")
	}
	return v
}

// HoursInputs are the seven opening-hours inputs of the site form, Monday first.
func (p *page) HoursInputs() []input {
	var out []input
	for _, d := range site.DisplayOrder() {
		key := site.Weekdays[d]
		in := p.control("hours_"+key, "date.day."+key, "text")
		in.Hint, in.Describe = "", "f-hours-hint"
		if in.Err != "" {
			in.Describe += " " + in.ErrID
		}
		out = append(out, in)
	}
	return out
}

func (s *Server) sitePage(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.svc.Sites.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "site.page.title")
	if r.URL.Query().Get("saved") != "" {
		p.Flash = p.T("web.saved")
	}
	v := siteDetailView{ID: st.ID, Name: st.Name, Kind: p.T("web.site.kind." + st.Kind), Address: st.Address, Phone: st.Phone,
		Accessibility: st.Accessibility, Languages: strings.Join(st.Languages, ", "), Active: st.Active,
		HoursKnown: st.Hours.Known(), CanEdit: c.Actor.Can(roleAdmin...)}
	for _, d := range site.DisplayOrder() {
		v.Days = append(v.Days, siteDay{Label: p.T("date.day." + site.Weekdays[d]), Hours: site.FormatDayOn(st.Hours[d], p.c.P.Clock), Closed: len(st.Hours[d]) == 0})
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "site", "layout", p)
}
