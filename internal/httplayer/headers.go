package httplayer

import "net/http"

// Policy is what the security headers of one surface allow. The browser
// is told to run only the site's own scripts and styles, never to frame
// the pages, never to send a referrer, and to use the camera only where a
// surface needs it (the staff intake takes photos; the resident site does
// not).
type Policy struct {
	CSP         string // Content-Security-Policy
	Permissions string // Permissions-Policy
	// HSTS adds Strict-Transport-Security: set it only when every client
	// reaches the server over TLS (an https public URL).
	HSTS bool
}

// Headers sets the policy's security headers on every response of next.
// An inner Headers (the resident site inside the portal's mux) overrides
// an outer one, so each surface keeps its own policy.
func Headers(p Policy, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if p.HSTS {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Set("Content-Security-Policy", p.CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", p.Permissions)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
