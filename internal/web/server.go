// Package web is the staff portal: server-rendered pages for clerks,
// supervisors, administrators and auditors, and the HTTP plumbing around
// them (security headers, cross-origin protection, sessions, language,
// request logging). The JSON API lives in package api and is mounted here
// under /api/v1 on its own mux, with token authentication and no cookies.
package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/cityid/cityid/internal/api"
	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/oid4vci"
	"github.com/cityid/cityid/internal/resident"
	"github.com/cityid/cityid/internal/verify"
	"github.com/cityid/cityid/internal/wallet/present"
)

// Options configure the portal.
type Options struct {
	// PublicURL is the staff portal's address as users see it, e.g.
	// "https://id.example.gov"; used only for display.
	PublicURL string
	// Secure marks cookies Secure and names the session cookie with the
	// __Host- prefix; set it when clients reach the server over TLS.
	Secure bool
	Logger *slog.Logger
	// Public configures the resident site mounted at / (cards, reminders).
	Public resident.Options
	// VerifyPerMinute is each API token's budget for POST /api/v1/verify
	// (0: the default, 600 a minute).
	VerifyPerMinute int
	// Proxies are the reverse proxies whose forwarded-address header is
	// believed (nil: none; every limit keys on the connection's address).
	Proxies *httplayer.Proxies
}

// Server is the staff portal and API.
type Server struct {
	svc     *app.Services
	opts    Options
	log     *slog.Logger
	views   *views
	api     *api.API
	errors  httplayer.Responder
	handler http.Handler
	// photos bounds concurrent decodes of uploaded card photos (/verify).
	photos *verify.Decoder
	// wallet is the OpenID4VCI issuer of the phone credential (nil without a keyring).
	wallet *oid4vci.Handler
	// station marks a field station's local pages (NewStation): its own
	// few links in the navigation.
	station bool
	// blankIntake is the blank intake form's content by language.
	blankIntake formCache
}

// New builds the portal: templates and assets are parsed once here, so a
// broken template fails at start, not on a request.
func New(a *app.Services, opts Options) (*Server, error) {
	if a == nil {
		return nil, errors.New("web: nil services")
	}
	log := opts.Logger
	if log == nil {
		log = a.Log
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	s := &Server{svc: a, opts: opts, log: log, views: v, api: api.New(a, log), photos: verify.NewDecoder(2),
		errors: httplayer.Responder{Log: log, Keys: errorKeys}}
	s.api.SetVerifyRate(opts.VerifyPerMinute)
	if a.Cards != nil {
		s.wallet, err = oid4vci.New(oid4vci.Config{Issuer: a.Cards, IssuerURL: a.Settings.Program.IssuerURL,
			City: a.Settings.Program.City, Program: a.Settings.Program.Name, Languages: a.Settings.Program.Languages,
			Tr: a.I18n, Now: a.Now, MAC: a.Guard.Hash, SigningAlg: a.Cards.SigningAlgorithm(), Log: log, Rand: a.Rand})
		if err != nil {
			return nil, err
		}
	}
	s.api.SetPublicURL(opts.PublicURL)
	static, err := s.static()
	if err != nil {
		return nil, err
	}
	s.handler = s.routes(static)
	return s, nil
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// sessionCookie is the session cookie's name; __Host- forbids Domain and
// requires Secure and Path=/, so a sibling subdomain cannot plant one.
func (s *Server) sessionCookie() string {
	if s.opts.Secure {
		return "__Host-cityid_session"
	}
	return "cityid_session"
}

func (s *Server) routes(static http.Handler) http.Handler {
	pages := http.NewServeMux()
	h := s.handle
	pages.Handle("GET /static/", static)
	pages.Handle("GET /lang/{lang}", h(s.setLanguage))
	s.mountResident(pages) // the public resident site at /, and the clerk pages for it
	s.mountCards(pages)    // card pages, the public verifier, keys and status lists

	pages.Handle("GET /login", h(s.loginForm))
	pages.Handle("POST /login", h(s.login))
	pages.Handle("GET /login/password", h(s.passwordForm))
	pages.Handle("POST /login/password", h(s.changePassword))
	pages.Handle("GET /login/totp/enroll", h(s.totpEnrollForm))
	pages.Handle("POST /login/totp/enroll", h(s.totpEnroll))
	pages.Handle("GET /login/totp", h(s.totpForm))
	pages.Handle("POST /login/totp", h(s.totpVerify))
	pages.Handle("POST /logout", h(s.logout))
	pages.Handle("POST /logout/everywhere", h(s.logoutEverywhere))

	staff := s.staffOnly
	pages.Handle("GET /staff", staff(s.dashboard))
	pages.HandleFunc("GET /staff/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/staff", http.StatusSeeOther)
	})

	pages.Handle("GET /staff/intake", staff(s.intakeForm, roleIntake...))
	pages.Handle("POST /staff/intake", staff(s.intakePost, roleIntake...))
	pages.Handle("POST /staff/intake/check", staff(s.intakeCheck, roleIntake...))
	pages.Handle("GET /staff/applications", staff(s.applicationList, roleIntake...))
	pages.Handle("GET /staff/applications/{id}", staff(s.applicationView, roleIntake...))
	pages.Handle("GET /staff/applications/{id}/receipt", staff(s.receipt, roleIntake...))
	pages.Handle("GET /staff/queue", staff(s.queue, roleReview...))
	pages.Handle("GET /staff/applications/{id}/duplicates", staff(s.duplicatesPage, roleReview...))
	pages.Handle("POST /staff/applications/{id}/duplicates/{candidate}/same", staff(s.duplicateDecision(true), roleReview...))
	pages.Handle("POST /staff/applications/{id}/duplicates/{candidate}/distinct", staff(s.duplicateDecision(false), roleReview...))
	pages.Handle("POST /staff/applications/{id}/duplicates/{candidate}/replace", staff(s.duplicateReplace, roleReview...))
	pages.Handle("GET /staff/spot-checks", staff(s.spotChecksPage, roleReview...))
	pages.Handle("GET /staff/spot-checks/{a}/{b}", staff(s.spotCheckPage, roleReview...))
	pages.Handle("POST /staff/spot-checks/{a}/{b}/same", staff(s.spotDecision(true), roleReview...))
	pages.Handle("POST /staff/spot-checks/{a}/{b}/distinct", staff(s.spotDecision(false), roleReview...))
	pages.Handle("POST /staff/applications/{id}/approve", staff(s.approve, roleReview...))
	pages.Handle("POST /staff/applications/{id}/reject", staff(s.reject, roleReview...))

	pages.Handle("GET /staff/stats", staff(s.statsPage, roleStats...))
	pages.Handle("GET /staff/cash", staff(s.cashPage, roleCash...))
	pages.Handle("GET /staff/stations", staff(s.stationsPage, roleStations...))
	pages.Handle("POST /staff/stations/{id}/approve", staff(s.stationApprove, roleStations...))
	pages.Handle("POST /staff/stations/{id}/refuse", staff(s.stationRefuse, roleStations...))
	pages.Handle("POST /staff/stations/{id}/revoke", staff(s.stationRevoke, roleStations...))
	// Search and access export check the role in enroll, which audits refusals.
	pages.Handle("GET /staff/search", staff(s.searchForm, roleReview...))
	pages.Handle("POST /staff/search", staff(s.search))
	pages.Handle("GET /staff/applications/{id}/access", staff(s.accessExport))

	pages.Handle("GET /staff/audit", staff(s.auditLog, roleAudit...))
	pages.Handle("GET /staff/audit/verify", staff(s.auditVerify, roleAudit...))
	pages.Handle("GET /staff/audit/checkpoints", staff(s.auditCheckpoints, roleAudit...))
	pages.Handle("GET /staff/privacy", staff(s.privacyPage, rolePrivacy...))

	pages.Handle("GET /staff/sites/{id}", staff(s.sitePage))
	pages.Handle("GET /staff/admin/sites", staff(s.sitesPage, roleAdmin...))
	pages.Handle("POST /staff/admin/sites", staff(s.siteCreate, roleAdmin...))
	pages.Handle("GET /staff/admin/sites/{id}", staff(s.siteEditForm, roleAdmin...))
	pages.Handle("POST /staff/admin/sites/{id}", staff(s.siteUpdate, roleAdmin...))
	pages.Handle("GET /staff/admin/staff", staff(s.staffPage, roleAdmin...))
	pages.Handle("POST /staff/admin/staff", staff(s.staffCreate, roleAdmin...))
	pages.Handle("GET /staff/admin/staff/{id}", staff(s.staffEditForm, roleAdmin...))
	pages.Handle("POST /staff/admin/staff/{id}", staff(s.staffUpdate, roleAdmin...))
	pages.Handle("POST /staff/admin/staff/{id}/disable", staff(s.staffDisable, roleAdmin...))
	pages.Handle("POST /staff/admin/staff/{id}/enable", staff(s.staffEnable, roleAdmin...))
	pages.Handle("POST /staff/admin/staff/{id}/reset", staff(s.staffReset, roleAdmin...))
	pages.Handle("POST /staff/admin/staff/requests/{id}/approve", staff(s.staffRequestApprove, roleAdmin...))
	pages.Handle("POST /staff/admin/staff/requests/{id}/refuse", staff(s.staffRequestRefuse, roleAdmin...))
	pages.Handle("GET /staff/recovery-codes", staff(s.recoveryPage))
	pages.Handle("POST /staff/recovery-codes", staff(s.recoveryNew))
	pages.Handle("GET /staff/tokens", staff(s.tokensPage))
	pages.Handle("POST /staff/tokens", staff(s.tokenCreate))
	pages.Handle("POST /staff/tokens/{id}/revoke", staff(s.tokenRevoke))
	pages.Handle("GET /staff/admin/settings", staff(s.settingsPage, roleAdmin...))
	pages.Handle("GET /staff/admin/model", staff(s.modelPage, roleAdmin...))
	pages.Handle("POST /staff/admin/model/estimate", staff(s.modelEstimate, roleAdmin...))
	pages.Handle("POST /staff/admin/model/rollback", staff(s.modelRollback, roleAdmin...))
	pages.Handle("POST /staff/admin/model/spot-checks", staff(s.modelSpotDraw, roleAdmin...))
	pages.Handle("POST /staff/admin/model/{version}/activate", staff(s.modelActivate, roleAdmin...))

	// Browser pages: cross-origin POSTs are refused (Sec-Fetch-Site /
	// Origin checks), on top of the SameSite=Strict session cookie.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, httplayer.Fail(http.StatusForbidden, "web.error.cross_origin", errors.New("cross-origin request refused")))
	}))
	browser := cop.Handler(pages)

	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	root.HandleFunc("GET /readyz", s.ready)
	root.Handle("/api/v1/", s.api.Handler())
	if s.wallet != nil {
		// Wallets are other origins and native apps: outside the browser
		// pages' cross-origin protection, like the API.
		s.wallet.Register(root)
	}
	if s.svc.Presentations != nil {
		// Wallets post their answers here: not a browser page (see walletResponse).
		root.HandleFunc("POST "+present.ResponsePath+"{id}", s.walletResponse)
	}
	root.Handle("/", browser)
	return s.opts.Proxies.Handler(s.logRequests(httplayer.Headers(s.policy(), root)))
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var starting interface{ Loading() bool } // app.ErrIndexLoading
	if err := s.svc.Ready(ctx); errors.As(err, &starting) && starting.Loading() {
		// serve --ready-after-index: expected for the first seconds, polled
		// by the proxy every few seconds; not a warning.
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "screening index loading\n")
		return
	} else if err != nil {
		s.log.Warn("readiness check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "database unavailable\n")
		return
	}
	io.WriteString(w, "ready\n")
}

// csp allows only our own script and style files: no inline code at all.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// policy is the portal's security-header policy; the intake page may use
// the camera.
func (s *Server) policy() httplayer.Policy {
	return httplayer.Policy{
		CSP:         csp,
		Permissions: "camera=(self), microphone=(), geolocation=()",
		HSTS:        s.opts.Secure,
	}
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs method, route pattern, status and duration. Never the
// URL's query string, form values or path values: an application id in a
// path is not personal data, but the pattern is enough and keeps logs lean.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "(unmatched)"
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", sw.status), slog.Duration("duration", time.Since(start)))
	})
}
