package resident

import (
	"errors"
	"net/http"

	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/site"
)

type kioskData struct {
	Site      site.Site
	Ticket    *booking.Ticket
	Lobby     booking.Lobby
	Refresh   bool
	Challenge string // proof-of-work for the next ticket
}

// challenge returns a fresh proof-of-work challenge, or "" when it is off.
func (s *Site) challenge() (string, error) {
	if s.pow == nil {
		return "", nil
	}
	return s.pow.challenge()
}

func (s *Site) siteFor(r *http.Request) (site.Site, error) {
	st, err := s.svc.Sites.Get(r.Context(), r.PathValue("site"))
	if errors.Is(err, errs.ErrNotFound) || (err == nil && !st.Active) {
		return site.Site{}, httplayer.Fail(http.StatusNotFound, "resident.error.not_found", err)
	}
	return st, err
}

// kiosk is the walk-in page on a tablet in the lobby: one big button.
func (s *Site) kiosk(w http.ResponseWriter, r *http.Request, p *page) error {
	st, err := s.siteFor(r)
	if err != nil {
		return err
	}
	ch, err := s.challenge()
	if err != nil {
		return err
	}
	p.TitleK = "resident.kiosk.title"
	p.Data = &kioskData{Site: st, Challenge: ch}
	return s.render(w, http.StatusOK, "kiosk", p)
}

func (s *Site) takeTicket(w http.ResponseWriter, r *http.Request, p *page) error {
	st, err := s.siteFor(r)
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	// Tickets cost a proof-of-work like bookings: the lobby tablet solves it
	// in a second; a script taking every number of the day pays for each.
	cost := 0.2
	if s.pow != nil && !s.pow.check(r.PostFormValue("pow_challenge"), r.PostFormValue("pow_nonce")) {
		cost = 5
	}
	if !allowed(s.forms, "kiosk:"+httplayer.ClientKey(r), cost) {
		return httplayer.Fail(http.StatusTooManyRequests, "resident.error.slow_down", errors.New("kiosk rate limit"))
	}
	t, err := s.booking.Take(r.Context(), st.ID)
	if err != nil {
		return err
	}
	l, err := s.booking.Lobby(r.Context(), st.ID)
	if err != nil {
		return err
	}
	ch, err := s.challenge()
	if err != nil {
		return err
	}
	p.TitleK = "resident.kiosk.title"
	p.Data = &kioskData{Site: st, Ticket: &t, Lobby: l, Challenge: ch}
	return s.render(w, http.StatusOK, "kiosk", p)
}

// lobby is the screen in the waiting room; it reloads itself every 10
// seconds (site.js; a meta refresh would fail WCAG 2.2.1 for visitors).
func (s *Site) lobby(w http.ResponseWriter, r *http.Request, p *page) error {
	st, err := s.siteFor(r)
	if err != nil {
		return err
	}
	l, err := s.booking.Lobby(r.Context(), st.ID)
	if err != nil {
		return err
	}
	p.TitleK = "resident.lobby.title"
	p.Data = &kioskData{Site: st, Lobby: l, Refresh: true}
	return s.render(w, http.StatusOK, "lobby", p)
}
