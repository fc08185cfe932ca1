package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/resident"
)

// mountResident puts the public resident site at / (its pages live under
// /en/, /es/…, its assets under /assets/, so they never meet the portal's
// paths) and adds the clerk's side: loading a pre-application by its code
// (typed, or scanned: a QR scanner types the payload into the field) and
// the walk-in line (call next, lobby numbers).
func (s *Server) mountResident(pages *http.ServeMux) {
	notFound := s.handle(func(w http.ResponseWriter, r *http.Request, c *call) error {
		return httplayer.Fail(http.StatusNotFound, "web.error.not_found", errors.New("no such page"))
	})
	o := s.opts.Public
	if o.Logger == nil {
		o.Logger = s.log
	}
	o.NotFound = notFound
	pub, err := resident.New(s.svc, o)
	if err != nil {
		// Templates are parsed at start and tested; keep the portal up anyway.
		s.log.Error("resident site disabled", "err", err)
		pages.Handle("/", notFound)
	} else {
		pages.Handle("/", pub)
	}
	staff := s.staffOnly
	pages.Handle("GET /staff/preapp", staff(s.preappForm, roleIntake...))
	pages.Handle("POST /staff/preapp", staff(s.preappLoad, roleIntake...))
	pages.Handle("GET /staff/line", staff(s.linePage, roleIntake...))
	pages.Handle("POST /staff/line/next", staff(s.lineNext, roleIntake...))
	pages.Handle("GET /staff/admin/booking", staff(s.bookingAdmin, roleAdmin...))
	pages.Handle("POST /staff/admin/booking", staff(s.bookingAdminPost, roleAdmin...))
}

type preappView struct {
	Line     *booking.Lobby
	Called   int
	Desk     string
	Bookings int
	SiteName string
}

func (s *Server) preappForm(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "booking.staff.preapp_title")
	p.Data = &preappView{}
	return s.views.render(w, http.StatusOK, "preapp", "layout", p)
}

// preappLoad admits the pre-application: enroll turns it into a draft
// application at the clerk's site, marks it used and the resident's booking
// attended, in one transaction with one audit event. The clerk lands on the
// intake form with everything filled in; the resident's code then shows
// the application's status.
func (s *Server) preappLoad(w http.ResponseWriter, r *http.Request, c *call) error {
	p := s.newPage(r, c, "booking.staff.preapp_title")
	p.Data = &preappView{}
	if err := r.ParseForm(); err != nil {
		return httplayer.Fail(http.StatusBadRequest, "web.error.bad_request", err)
	}
	p.Form = url.Values{"code": {r.PostFormValue("code")}}
	code, err := enroll.ParseQR(r.PostFormValue("code"))
	if err != nil {
		p.setErrors(person.Errors{{Field: "code", Key: "booking.staff.bad_code"}})
		return s.views.render(w, http.StatusUnprocessableEntity, "preapp", "layout", p)
	}
	id, err := s.svc.Applications.Preapps().Admit(r.Context(), c.Actor, code)
	if errors.Is(err, enroll.ErrUnknownCode) {
		p.setErrors(person.Errors{{Field: "code", Key: "booking.staff.unknown_code"}})
		return s.views.render(w, http.StatusNotFound, "preapp", "layout", p)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/staff/intake?draft="+url.QueryEscape(id), http.StatusSeeOther)
	return nil
}

// booking is the booking service in the program's time zone (ticket days
// must match the kiosk's), built once with the other services.
func (s *Server) booking() *booking.Service { return s.svc.Booking }

// linePage shows the clerk's site's walk-in line and its booking numbers.
func (s *Server) linePage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.renderLine(w, r, c, 0, "")
}

func (s *Server) renderLine(w http.ResponseWriter, r *http.Request, c *call, called int, desk string) error {
	p := s.newPage(r, c, "booking.staff.line_title")
	if c.Actor.SiteID == "" {
		return httplayer.Fail(http.StatusForbidden, "booking.staff.no_site", errors.New("staff member has no site"))
	}
	b := s.booking()
	l, err := b.Lobby(r.Context(), c.Actor.SiteID)
	if err != nil {
		return err
	}
	n, _, _, err := s.svc.Booking.Counts(r.Context(), c.Actor.SiteID)
	if err != nil {
		return err
	}
	v := &preappView{Line: &l, Called: called, Desk: desk, Bookings: n}
	if st, err := s.svc.Sites.Get(r.Context(), c.Actor.SiteID); err == nil {
		v.SiteName = st.Name
	}
	p.Form = url.Values{"desk": {desk}}
	p.Data = v
	return s.views.render(w, http.StatusOK, "line", "layout", p)
}

// lineNext calls the next walk-in ticket to the clerk's desk.
func (s *Server) lineNext(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.Actor.SiteID == "" {
		return httplayer.Fail(http.StatusForbidden, "booking.staff.no_site", errors.New("staff member has no site"))
	}
	desk := r.PostFormValue("desk")
	if len([]rune(desk)) > 20 {
		desk = string([]rune(desk)[:20])
	}
	t, err := s.booking().CallNext(r.Context(), c.Actor.SiteID, desk)
	if errors.Is(err, errs.ErrNotFound) {
		return s.renderLine(w, r, c, -1, desk)
	}
	if err != nil {
		return fmt.Errorf("call next: %w", err)
	}
	return s.renderLine(w, r, c, t.Number, desk)
}
