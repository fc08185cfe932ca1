package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/person"
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
		c := &call{P: s.svc.I18n.Printer(s.language(r))}
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
		c := &call{P: s.svc.I18n.Printer(s.language(r))}
		ck, err := r.Cookie(s.sessionCookie())
		if err != nil || ck.Value == "" {
			s.toLogin(w, r)
			return
		}
		sess, err := s.svc.Auth.Session(r.Context(), ck.Value)
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
			s.renderError(w, r, httplayer.Fail(http.StatusForbidden, "web.error.forbidden", errors.New("role not allowed on "+r.Pattern)))
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
	s.renderError(w, r, httplayer.Fail(http.StatusUnauthorized, "auth.session.expired", auth.ErrNoSession))
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

// localPath accepts only a path on this site, so ?next= cannot send anyone
// to another one. It must hold after the browser's own normalisation of a
// Location header (the WHATWG URL parser), not just Go's: browsers drop
// tabs and newlines anywhere in a URL ("/\t/evil.example" becomes
// "//evil.example", another host), strip leading spaces and controls, and
// read a backslash as a slash ("/\\evil.example"). So: no control
// character, space or backslash at all; an absolute path that does not
// start with "//"; no scheme, host or user; and the same after dot
// segments are resolved. What comes back is re-encoded from the parsed
// URL, so what the browser receives is what was checked.
func localPath(p, fallback string) string {
	if p == "" || len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "//") {
		return fallback
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return fallback
	}
	if clean := path.Clean(u.Path); strings.HasPrefix(clean, "//") || strings.HasPrefix(u.EscapedPath(), "//") {
		return fallback
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	if out[0] != '/' || strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\\t\r\n") {
		return fallback
	}
	return out
}

// renderError shows a refusal or failure as the portal's error page in the
// reader's language; httplayer classifies it and logs the cause.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.errors.Resolve(w, r, err)
	c := &call{P: s.svc.I18n.Printer(s.language(r))}
	p := s.newPage(r, c, "web.error.title")
	p.Data = p.T(e.Key)
	if rerr := s.views.render(w, e.Status, "error", "layout", p); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		http.Error(w, http.StatusText(e.Status), e.Status)
	}
}

// errorKeys are the portal's messages for errors that carry none.
var errorKeys = map[string]string{
	httplayer.CodeBadRequest:      "web.error.bad_request",
	httplayer.CodeUnauthorized:    "auth.session.expired",
	httplayer.CodeForbidden:       "web.error.forbidden",
	httplayer.CodeNotFound:        "web.error.not_found",
	httplayer.CodeConflict:        "web.error.state",
	httplayer.CodeTooLarge:        "web.error.too_large",
	httplayer.CodeUnsupported:     "web.error.bad_request",
	httplayer.CodeValidation:      "web.error.invalid",
	httplayer.CodePurposeRequired: "web.error.purpose",
	httplayer.CodeInternal:        "web.error.internal",
}

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// fieldErrors extracts per-field errors from a service error, or nil.
func fieldErrors(err error) person.Errors { return httplayer.FieldErrors(err) }
