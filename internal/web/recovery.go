package web

import "net/http"

// recoveryView is the recovery-codes page: a new set (shown once) or how
// many codes are left.
type recoveryView struct {
	Codes []string // a set just made; empty otherwise
	Left  int
	Used  bool // the staff member just signed in with a code
}

// renderRecoveryCodes shows a new set of codes once, with what they are for.
func (s *Server) renderRecoveryCodes(w http.ResponseWriter, r *http.Request, c *call, codes []string) error {
	p := s.newPage(r, c, "web.recovery.title")
	p.Data = recoveryView{Codes: codes, Left: len(codes)}
	return s.views.render(w, http.StatusOK, "recovery", "layout", p)
}

// recoveryPage says how many codes are left and offers a new set.
func (s *Server) recoveryPage(w http.ResponseWriter, r *http.Request, c *call) error {
	left, err := s.svc.Auth.RecoveryCodesLeft(r.Context(), c.Token)
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "web.recovery.title")
	p.Data = recoveryView{Left: left, Used: r.URL.Query().Get("used") != ""}
	return s.views.render(w, http.StatusOK, "recovery", "layout", p)
}

// recoveryNew makes a new set, voiding the old one, and shows it once.
func (s *Server) recoveryNew(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	codes, err := s.svc.Auth.NewRecoveryCodes(r.Context(), c.Token)
	if err != nil {
		return err
	}
	return s.renderRecoveryCodes(w, r, c, codes)
}

// recoveryAfterEnroll shows the first set of codes right after TOTP
// enrolment completed the login with token.
func (s *Server) recoveryAfterEnroll(w http.ResponseWriter, r *http.Request, c *call, token string) error {
	codes, err := s.svc.Auth.NewRecoveryCodes(r.Context(), token)
	if err != nil {
		// The login is complete; the codes can be made from the page.
		s.log.Error("recovery codes after TOTP enrolment", "err", err)
		http.Redirect(w, r, "/staff/recovery-codes", http.StatusSeeOther)
		return nil
	}
	sess, err := s.svc.Auth.Session(r.Context(), token)
	if err != nil {
		return err
	}
	c.Token, c.Actor = token, sess.Actor
	return s.renderRecoveryCodes(w, r, c, codes)
}
