package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
)

// The administrator's booking page: each site's rules (opening hours per
// weekday, slot length, capacity, release schedule, lottery) as a form,
// holidays, and publishing slots for a date range. A site without saved
// rules shows the defaults as in effect, and publishing uses them.

type bookingAdminView struct {
	Sites []bookingSiteView
}

type bookingSiteView struct {
	ID, Name string
	Form     booking.RulesForm
	Days     []bookingDay
	Weekdays []option
	Errs     map[string]string // this site's form errors, by field
	Saved    bool              // rules saved, or the defaults in effect
	Open     int
	// Flagged counts live bookings of two pre-applications with the same
	// name and date of birth: staff check them at the desk.
	Flagged int
}

func (s *Server) bookingAdmin(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.renderBookingAdmin(w, r, c, http.StatusOK, nil, "")
}

// bookingDay is one weekday's hours input of a site's rules form.
type bookingDay struct {
	Key, Label, Value string
}

// bookingFailed is a refused rules form: the site, what was typed, the errors.
type bookingFailed struct {
	site string
	form booking.RulesForm
	errs person.Errors
}

func (s *Server) renderBookingAdmin(w http.ResponseWriter, r *http.Request, c *call, status int, form url.Values, notice string) error {
	return s.renderBookingAdminWith(w, r, c, status, form, notice, nil)
}

func (s *Server) renderBookingAdminWith(w http.ResponseWriter, r *http.Request, c *call, status int, form url.Values, notice string, failed *bookingFailed) error {
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
		rs, saved := rules[st.ID]
		if !saved {
			rs = booking.DefaultRules()
		}
		sv := bookingSiteView{ID: st.ID, Name: st.Name, Form: booking.FormOf(rs), Saved: saved}
		if failed != nil && failed.site == st.ID {
			sv.Form, sv.Errs = failed.form, map[string]string{}
			p.setErrors(failed.errs)
			for i := range p.Errs {
				p.Errs[i].ID = "f-" + st.ID + "-" + fieldID(p.Errs[i].Field)
				sv.Errs[p.Errs[i].Field] = p.errs[p.Errs[i].Field]
			}
		}
		for _, d := range site.DisplayOrder() {
			key := site.Weekdays[d]
			sv.Days = append(sv.Days, bookingDay{Key: key, Label: c.P.T("date.day." + key), Value: sv.Form.Hours[d]})
		}
		sv.Weekdays = []option{{Value: "", Label: c.P.T("desk.booking.release_daily")}}
		for _, d := range site.DisplayOrder() {
			key := site.Weekdays[d]
			sv.Weekdays = append(sv.Weekdays, option{Value: key, Label: c.P.T("date.day." + key), Selected: key == sv.Form.ReleaseWeekday})
		}
		open, err := b.Open(r.Context(), st.ID, 0)
		if err != nil {
			return err
		}
		flagged, err := b.Flagged(r.Context(), st.ID)
		if err != nil {
			return err
		}
		sv.Open, sv.Flagged = len(open), len(flagged)
		v.Sites = append(v.Sites, sv)
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
	siteID := f.Get("site")
	if _, err := s.svc.Sites.Get(ctx, siteID); err != nil {
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
		rf := booking.RulesForm{SlotMinutes: f.Get("slot_minutes"), Capacity: f.Get("capacity"), ReleaseDays: f.Get("release_days"),
			ReleaseWeekday: f.Get("release_weekday"), ReleaseAt: f.Get("release_at"), Lottery: f.Get("lottery") == "1"}
		for d, key := range site.Weekdays {
			rf.Hours[d] = f.Get("hours_" + key)
		}
		rs, ferrs := rf.Parse()
		if len(ferrs) > 0 {
			return s.renderBookingAdminWith(w, r, c, http.StatusUnprocessableEntity, nil, "", &bookingFailed{site: siteID, form: rf, errs: ferrs})
		}
		if err := b.SetRules(ctx, siteID, rs); err != nil {
			return err
		}
		return s.renderBookingAdmin(w, r, c, http.StatusOK, nil, c.P.T("booking.staff.saved"))
	case "holiday":
		d, err := person.ParseDate(f.Get("day"))
		if err != nil {
			return bad("day", "error.date")
		}
		scope := siteID
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
		n, err := b.Publish(ctx, siteID, from, to)
		if err != nil {
			return bad("to", "booking.staff.range")
		}
		return s.renderBookingAdmin(w, r, c, http.StatusOK, nil, c.P.T("booking.staff.published", "n", n))
	}
	return httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", errors.New("unknown action"))
}
