package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
)

// The administrator's booking page: each site's rules (opening hours,
// slot length, capacity, release schedule, lottery) as JSON, holidays,
// and publishing slots for a date range.

type bookingAdminView struct {
	Sites []bookingSiteView
}

type bookingSiteView struct {
	ID, Name, Rules string
	Open            int
	// Flagged counts live bookings of two pre-applications with the same
	// name and date of birth: staff check them at the desk.
	Flagged int
}

func (s *Server) bookingAdmin(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.renderBookingAdmin(w, r, c, http.StatusOK, nil, "")
}

func (s *Server) renderBookingAdmin(w http.ResponseWriter, r *http.Request, c *call, status int, form url.Values, notice string) error {
	p := s.newPage(r, c, "booking.staff.admin_title")
	if form != nil {
		p.Form = form
	}
	p.Notice = notice
	sites, err := s.svc.Sites.List(r.Context())
	if err != nil {
		return err
	}
	b := s.booking()
	rules, err := b.Rules(r.Context())
	if err != nil {
		return err
	}
	v := &bookingAdminView{}
	for _, st := range sites {
		rs, ok := rules[st.ID]
		if !ok {
			rs = booking.DefaultRules()
		}
		js, _ := json.MarshalIndent(rs, "", "  ")
		open, err := b.Open(r.Context(), st.ID, 0)
		if err != nil {
			return err
		}
		flagged, err := b.Flagged(r.Context(), st.ID)
		if err != nil {
			return err
		}
		v.Sites = append(v.Sites, bookingSiteView{ID: st.ID, Name: st.Name, Rules: string(js), Open: len(open), Flagged: len(flagged)})
	}
	p.Data = v
	return s.views.render(w, status, "booking_admin", "layout", p)
}

// bookingAdminPost handles the three forms: rules, holiday, publish.
func (s *Server) bookingAdminPost(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := r.ParseForm(); err != nil {
		return httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", err)
	}
	ctx := r.Context()
	f := r.PostForm
	site := f.Get("site")
	if _, err := s.svc.Sites.Get(ctx, site); err != nil {
		return httplayer.Fail(http.StatusNotFound, "web.error.not_found", err)
	}
	b := s.booking()
	bad := func(field, key string) error {
		p := s.newPage(r, c, "booking.staff.admin_title")
		p.setErrors(person.Errors{{Field: field, Key: key}})
		return s.renderBookingAdmin(w, r, c, http.StatusUnprocessableEntity, f, p.T(key))
	}
	switch f.Get("action") {
	case "rules":
		var rs booking.Rules
		if err := json.Unmarshal([]byte(f.Get("rules")), &rs); err != nil {
			return bad("rules", "booking.staff.rules_invalid")
		}
		if err := b.SetRules(ctx, site, rs); errors.Is(err, booking.ErrRules) {
			return s.renderBookingAdmin(w, r, c, http.StatusUnprocessableEntity, f, s.svc.I18n.T(c.P.Lang, "booking.staff.rules_invalid")+" "+err.Error())
		} else if err != nil {
			return err
		}
		return s.renderBookingAdmin(w, r, c, http.StatusOK, nil, c.P.T("booking.staff.saved"))
	case "holiday":
		d, err := person.ParseDate(f.Get("day"))
		if err != nil {
			return bad("day", "error.date")
		}
		scope := site
		if f.Get("all_sites") == "1" {
			scope = ""
		}
		if err := b.AddHoliday(ctx, scope, d); err != nil {
			return err
		}
		return s.renderBookingAdmin(w, r, c, http.StatusOK, nil, c.P.T("booking.staff.saved"))
	case "publish":
		from, err1 := person.ParseDate(f.Get("from"))
		to, err2 := person.ParseDate(f.Get("to"))
		if err1 != nil || err2 != nil {
			return bad("from", "error.date")
		}
		n, err := b.Publish(ctx, site, from, to)
		if errors.Is(err, booking.ErrNoRules) {
			return bad("site", "booking.staff.no_rules")
		}
		if err != nil {
			return bad("to", "booking.staff.range")
		}
		return s.renderBookingAdmin(w, r, c, http.StatusOK, nil, c.P.T("booking.staff.published", "n", n))
	}
	return httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", errors.New("unknown action"))
}
