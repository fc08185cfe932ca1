package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/store"
)

// Roles allowed on groups of pages.
var (
	roleIntake = []auth.Role{auth.RoleClerk, auth.RoleSupervisor}
	roleReview = []auth.Role{auth.RoleSupervisor}
	roleAdmin  = []auth.Role{auth.RoleAdmin}
	roleAudit  = []auth.Role{auth.RoleAuditor}
)

// call is what a handler knows about the request beyond http.Request.
type call struct {
	P     i18n.Printer
	Actor auth.Actor // zero on public pages
	Token string     // session token, "" when none
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// handle wraps a public page: language, no session required.
func (s *Server) handle(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{P: s.app.I18n.Printer(s.language(r))}
		if ck, err := r.Cookie(s.sessionCookie()); err == nil {
			c.Token = ck.Value
		}
		if err := fn(w, r, c); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// staffOnly wraps a page that needs a fully signed-in staff member (password
// and TOTP done) holding one of roles (any role when none are given). Pages
// for signed-in staff carry personal data, so nothing is cached.
func (s *Server) staffOnly(fn handlerFunc, roles ...auth.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		c := &call{P: s.app.I18n.Printer(s.language(r))}
		ck, err := r.Cookie(s.sessionCookie())
		if err != nil || ck.Value == "" {
			s.toLogin(w, r)
			return
		}
		sess, err := s.app.Auth.Session(r.Context(), ck.Value)
		if err != nil {
			if errors.Is(err, auth.ErrNoSession) {
				s.clearSession(w)
				s.toLogin(w, r)
				return
			}
			s.renderError(w, r, err)
			return
		}
		if sess.Next != auth.StepDone {
			http.Redirect(w, r, stepPath(sess.Next), http.StatusSeeOther)
			return
		}
		c.Token, c.Actor = ck.Value, sess.Actor
		if len(roles) > 0 && !sess.Actor.Can(roles...) {
			s.renderError(w, r, &httpError{status: http.StatusForbidden, key: "web.error.forbidden", cause: errors.New("role not allowed on " + r.Pattern)})
			return
		}
		if err := fn(w, r, c); err != nil {
			s.renderError(w, r, err)
		}
	})
}

func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return
	}
	s.renderError(w, r, &httpError{status: http.StatusUnauthorized, key: "auth.session.expired", cause: auth.ErrNoSession})
}

// stepPath is the page for the next login step.
func stepPath(step auth.Step) string {
	switch step {
	case auth.StepChangePassword:
		return "/login/password"
	case auth.StepEnrollTOTP:
		return "/login/totp/enroll"
	case auth.StepTOTP:
		return "/login/totp"
	case auth.StepDone:
		return "/staff"
	}
	return "/login"
}

// localPath accepts only a same-site absolute path, so ?next= cannot
// send anyone to another site.
func localPath(p, fallback string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return fallback
	}
	return p
}

// renderError shows a translated message; the log gets the cause.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status, key := classify(err)
	if status >= 500 {
		s.log.Error("request failed", "route", r.Pattern, "err", err)
	} else {
		s.log.Info("request refused", "route", r.Pattern, "status", status, "key", key, "err", err)
	}
	c := &call{P: s.app.I18n.Printer(s.language(r))}
	p := s.newPage(r, c, "web.error.title")
	p.Data = p.T(key)
	w.Header().Set("Cache-Control", "no-store")
	if rerr := s.views.render(w, status, "error", "layout", p); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

// classify maps an error to an HTTP status and a message key.
func classify(err error) (int, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.key
	}
	var ae *auth.Error
	switch {
	case errors.Is(err, enroll.ErrForbidden), errors.Is(err, site.ErrForbidden), errors.Is(err, auth.ErrForbidden):
		return http.StatusForbidden, "web.error.forbidden"
	case errors.Is(err, enroll.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "web.error.not_found"
	case errors.Is(err, enroll.ErrState):
		return http.StatusConflict, "web.error.state"
	case errors.Is(err, enroll.ErrPurpose):
		return http.StatusBadRequest, "web.error.purpose"
	case errors.Is(err, auth.ErrNoSession):
		return http.StatusUnauthorized, "auth.session.expired"
	case errors.As(err, &ae):
		return http.StatusBadRequest, ae.Key
	}
	var ve *enroll.ValidationError
	var pe person.Errors
	if errors.As(err, &ve) || errors.As(err, &pe) {
		return http.StatusUnprocessableEntity, "web.error.invalid"
	}
	return http.StatusInternalServerError, "web.error.internal"
}

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// fieldErrors extracts per-field errors from a service error, or nil.
func fieldErrors(err error) person.Errors {
	var ve *enroll.ValidationError
	if errors.As(err, &ve) {
		return ve.Fields
	}
	var pe person.Errors
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}
