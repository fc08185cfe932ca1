package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/person"
)

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.Token != "" {
		// Already signed in (or half-way): continue where the session is.
		if sess, err := s.svc.Auth.Session(r.Context(), c.Token); err == nil {
			http.Redirect(w, r, stepPath(sess.Next), http.StatusSeeOther)
			return nil
		}
	}
	p := s.newPage(r, c, "web.login.title")
	p.Form.Set("next", localPath(r.URL.Query().Get("next"), ""))
	return s.views.render(w, http.StatusOK, "login", "layout", p)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	token, next, err := s.svc.Auth.Login(r.Context(), user, pass, httplayer.ClientKey(r))
	if err != nil {
		var ae *auth.Error
		if !errors.As(err, &ae) {
			return err
		}
		p := s.newPage(r, c, "web.login.title")
		p.Form.Set("username", user)
		p.Form.Set("next", localPath(r.PostForm.Get("next"), ""))
		p.setErrors(person.Errors{{Field: "username", Key: ae.Key}})
		// A locked account answers as a wrong password does (401, same
		// message): only the per-address limit says 429.
		status := http.StatusUnauthorized
		if errors.Is(err, auth.ErrRateLimited) {
			status = http.StatusTooManyRequests
		}
		return s.views.render(w, status, "login", "layout", p)
	}
	s.setSession(w, token)
	dest := stepPath(next)
	if next == auth.StepDone {
		dest = localPath(r.PostForm.Get("next"), "/staff")
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// atStep checks that the caller's session is waiting for step; otherwise
// it redirects to where the session actually is and returns false.
func (s *Server) atStep(w http.ResponseWriter, r *http.Request, c *call, step auth.Step) (auth.Session, bool, error) {
	if c.Token == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return auth.Session{}, false, nil
	}
	sess, err := s.svc.Auth.Session(r.Context(), c.Token)
	if errors.Is(err, auth.ErrNoSession) {
		s.clearSession(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return auth.Session{}, false, nil
	}
	if err != nil {
		return auth.Session{}, false, err
	}
	if sess.Next != step {
		http.Redirect(w, r, stepPath(sess.Next), http.StatusSeeOther)
		return auth.Session{}, false, nil
	}
	c.Actor = auth.Actor{} // not signed in until every step is done
	return sess, true, nil
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, ok, err := s.atStep(w, r, c, auth.StepChangePassword); !ok {
		return err
	}
	return s.views.render(w, http.StatusOK, "password", "layout", s.newPage(r, c, "web.password.title"))
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, ok, err := s.atStep(w, r, c, auth.StepChangePassword); !ok {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	cur, nw, again := r.PostForm.Get("current_password"), r.PostForm.Get("new_password"), r.PostForm.Get("new_password_again")
	var errs person.Errors
	if nw != again {
		errs = append(errs, person.FieldError{Field: "new_password_again", Key: "web.password.mismatch"})
	}
	if len(errs) == 0 {
		next, err := s.svc.Auth.ChangePassword(r.Context(), c.Token, cur, nw)
		if err == nil {
			http.Redirect(w, r, stepPath(next), http.StatusSeeOther)
			return nil
		}
		errs = passwordErrors(err)
		if errs == nil {
			return err
		}
	}
	p := s.newPage(r, c, "web.password.title")
	p.setErrors(errs)
	return s.views.render(w, http.StatusUnprocessableEntity, "password", "layout", p)
}

// passwordErrors maps a password change failure to form fields.
func passwordErrors(err error) person.Errors {
	if fe := fieldErrors(err); fe != nil {
		return fe
	}
	var ae *auth.Error
	if errors.As(err, &ae) && !errors.Is(err, auth.ErrNoSession) {
		return person.Errors{{Field: "current_password", Key: ae.Key}}
	}
	return nil
}

// totpEnrollView is the enrollment page's data.
type totpEnrollView struct {
	Secret, OTPAuth string
	QR              []byte
}

func (s *Server) totpEnrollForm(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, ok, err := s.atStep(w, r, c, auth.StepEnrollTOTP); !ok {
		return err
	}
	secret, otpauth, err := s.svc.Auth.BeginTOTP(r.Context(), c.Token)
	if err != nil {
		return err
	}
	return s.renderTOTPEnroll(w, r, c, http.StatusOK, secret, otpauth, nil)
}

func (s *Server) renderTOTPEnroll(w http.ResponseWriter, r *http.Request, c *call, status int, secret, otpauth string, errs person.Errors) error {
	qr, err := auth.EnrollmentQR(otpauth)
	if err != nil {
		return err
	}
	p := s.newPage(r, c, "web.totp.enroll.title")
	p.setErrors(errs)
	p.Data = totpEnrollView{Secret: secret, OTPAuth: otpauth, QR: qr}
	return s.views.render(w, status, "totp_enroll", "layout", p)
}

func (s *Server) totpEnroll(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, ok, err := s.atStep(w, r, c, auth.StepEnrollTOTP); !ok {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	token, err := s.svc.Auth.ConfirmTOTP(r.Context(), c.Token, strings.TrimSpace(r.PostForm.Get("code")), httplayer.ClientKey(r))
	if err == nil {
		s.setSession(w, token)
		// The first set of recovery codes, shown this once.
		return s.recoveryAfterEnroll(w, r, c, token)
	}
	if errors.Is(err, auth.ErrRateLimited) {
		return httplayer.Fail(http.StatusTooManyRequests, auth.MessageKey(err, "auth.login.rate_limited"), err)
	}
	if !errors.Is(err, auth.ErrBadCode) {
		return err
	}
	// Show the same secret again: the one pending is the one the staff
	// member already scanned. The otpauth URL came from our own page.
	secret, otpauth := r.PostForm.Get("secret"), r.PostForm.Get("otpauth")
	if !strings.HasPrefix(otpauth, "otpauth://totp/") || len(otpauth) > 512 {
		http.Redirect(w, r, "/login/totp/enroll", http.StatusSeeOther)
		return nil
	}
	return s.renderTOTPEnroll(w, r, c, http.StatusUnprocessableEntity, secret, otpauth, person.Errors{{Field: "code", Key: auth.MessageKey(err, "auth.totp.bad_code")}})
}

func (s *Server) totpForm(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, ok, err := s.atStep(w, r, c, auth.StepTOTP); !ok {
		return err
	}
	return s.views.render(w, http.StatusOK, "totp", "layout", s.newPage(r, c, "web.totp.title"))
}

func (s *Server) totpVerify(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, ok, err := s.atStep(w, r, c, auth.StepTOTP); !ok {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	var token string
	var err error
	if auth.IsRecoveryCode(code) {
		// A recovery code in place of the app's code: used up, and the
		// next page says how many are left.
		token, _, err = s.svc.Auth.UseRecoveryCode(r.Context(), c.Token, code, httplayer.ClientKey(r))
		if err == nil {
			s.setSession(w, token)
			http.Redirect(w, r, "/staff/recovery-codes?used=1", http.StatusSeeOther)
			return nil
		}
	} else {
		token, err = s.svc.Auth.VerifyTOTP(r.Context(), c.Token, code, httplayer.ClientKey(r))
	}
	if err == nil {
		s.setSession(w, token)
		http.Redirect(w, r, "/staff", http.StatusSeeOther)
		return nil
	}
	var ae *auth.Error
	if !errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, auth.ErrNoSession) {
		s.clearSession(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	p := s.newPage(r, c, "web.totp.title")
	p.setErrors(person.Errors{{Field: "code", Key: ae.Key}})
	status := http.StatusUnprocessableEntity
	if errors.Is(err, auth.ErrRateLimited) {
		status = http.StatusTooManyRequests
	}
	return s.views.render(w, status, "totp", "layout", p)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.Token != "" {
		if err := s.svc.Auth.Logout(r.Context(), c.Token); err != nil && !errors.Is(err, auth.ErrNoSession) {
			return err
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.Token != "" {
		if err := s.svc.Auth.LogoutEverywhere(r.Context(), c.Token); err != nil && !errors.Is(err, auth.ErrNoSession) {
			return err
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
