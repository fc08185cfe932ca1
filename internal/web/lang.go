package web

import (
	"net/http"
	"time"

	"github.com/cityid/cityid/internal/httplayer"
)

const langCookie = "cityid_lang"

// language is the cookie's choice when it names a shipped language, else
// the best match for Accept-Language.
func (s *Server) language(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil && s.svc.I18n.Has(ck.Value) {
		return ck.Value
	}
	return s.svc.I18n.Match(r.Header.Get("Accept-Language"))
}

// setLanguage remembers the chosen language and goes back to the page.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request, c *call) error {
	lang := r.PathValue("lang")
	if !s.svc.I18n.Has(lang) {
		return httplayer.Fail(http.StatusNotFound, "web.error.not_found", nil)
	}
	s.chooseLanguage(w, r, lang, localPath(r.URL.Query().Get("next"), "/staff"))
	return nil
}

// inLanguage is a page's address in one language (/es/verify): it chooses
// the language as the switch does and opens the page.
func (s *Server) inLanguage(lang, page string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		s.chooseLanguage(w, r, lang, page)
		return nil
	}
}

// chooseLanguage remembers lang (the cookie holds the language only) and
// sends the browser to next.
func (s *Server) chooseLanguage(w http.ResponseWriter, r *http.Request, lang, next string) {
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: lang, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookie(), Value: token, Path: "/",
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteStrictMode,
	})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookie(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteStrictMode,
	})
}
