package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
)

type searchView struct {
	Purposes []option
	Searched bool
	Results  []searchResult
}

type searchResult struct {
	Reference, Site, Status, StatusKey, Href string
}

// searchPurposes are what a supervisor may search for.
var searchPurposes = append([]enroll.Purpose{enroll.PurposeReview}, enroll.CardholderPurposes...)

func (s *Server) searchView(p *page) searchView {
	v := searchView{Purposes: []option{{Value: "", Label: p.T("web.purpose.choose")}}}
	for _, pu := range searchPurposes {
		v.Purposes = append(v.Purposes, option{Value: string(pu), Label: p.T(pu.MessageKey())})
	}
	return v
}

// searchForm is the supervisor's search page: given names, surnames and
// date of birth, all three required, matched exactly.
func (s *Server) searchForm(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "search.title")
	p.Data = s.searchView(p)
	return s.views.render(w, http.StatusOK, "search", "layout", p)
}

// search runs a search. It is a POST so names and dates of birth never sit
// in a URL (browser history, proxies); results show references only.
func (s *Server) search(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := r.ParseForm(); err != nil {
		return httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", err)
	}
	p := s.newPage(r, c, "search.title")
	p.Form = r.PostForm
	v := s.searchView(p)
	purpose := r.PostForm.Get("purpose")
	var errs person.Errors
	for _, f := range []string{"given_names", "surnames"} {
		if r.PostForm.Get(f) == "" {
			errs = append(errs, person.FieldError{Field: f, Key: "error.required"})
		}
	}
	dobText, fe := formDate(r.PostForm, "date_of_birth")
	dob, err := person.ParseDate(dobText)
	switch {
	case fe != nil:
		errs = append(errs, *fe)
	case dobText == "":
		errs = append(errs, person.FieldError{Field: "date_of_birth", Key: "error.required"})
	case err != nil:
		errs = append(errs, person.FieldError{Field: "date_of_birth", Key: "error.date"})
	}
	if purpose == "" {
		errs = append(errs, person.FieldError{Field: "purpose", Key: "web.error.purpose"})
	}
	if len(errs) > 0 {
		p.setErrors(errs)
		p.Data = v
		return s.views.render(w, http.StatusUnprocessableEntity, "search", "layout", p)
	}
	list, err := s.svc.Applications.Search(r.Context(), c.Actor, r.PostForm.Get("given_names"), r.PostForm.Get("surnames"), dob, enroll.Purpose(purpose))
	if errors.Is(err, enroll.ErrPurpose) {
		p.setErrors(person.Errors{{Field: "purpose", Key: "web.error.purpose"}})
		p.Data = v
		return s.views.render(w, http.StatusUnprocessableEntity, "search", "layout", p)
	}
	if err != nil {
		return err
	}
	names := s.siteNames(r.Context())
	v.Searched = true
	for _, a := range list {
		v.Results = append(v.Results, searchResult{Reference: a.Reference, Site: names[a.SiteID], StatusKey: string(a.Status),
			Status: p.T("web.status." + string(a.Status)),
			Href:   "/staff/applications/" + url.PathEscape(a.ID) + "?purpose=" + url.QueryEscape(purpose)})
	}
	p.Data = v
	return s.views.render(w, http.StatusOK, "search", "layout", p)
}
