// Package api is cityid's JSON API for staff tools and scripts, served
// under /api/v1. Every request carries an API token
// ("Authorization: Bearer cid_…") that acts as the staff member who made
// it, with their role; there are no cookies, so cross-site requests cannot
// ride on a browser session. Errors are JSON with a stable code and a
// message translated by Accept-Language; validation errors list fields.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/photo"
	"github.com/cityid/cityid/internal/throttle"
)

// API serves /api/v1.
type API struct {
	svc      *app.Services
	log      *slog.Logger
	maxPhoto int64
	mux      *http.ServeMux
	// verifyLimit is the per-token budget of POST /api/v1/verify.
	verifyLimit *throttle.Limiter
	// reads budgets the personal-data records tokens open.
	reads  *readBudget
	errors httplayer.Responder
	field  fieldLimits
	// publicURL is the server's address as wallets reach it (SetPublicURL).
	publicURL string
}

// New builds the API on the domain services.
func New(a *app.Services, log *slog.Logger) *API {
	maxPhoto := photo.DefaultSpec().MaxUploadBytes
	if mb := a.Settings.Photo.MaxUploadMB; mb > 0 {
		maxPhoto = int64(mb) << 20
	}
	x := &API{svc: a, log: log, maxPhoto: maxPhoto, mux: http.NewServeMux(), verifyLimit: newVerifyLimiter(a.Now),
		reads:  newReadBudget(a.Settings.Security, a.Now, a.Auth.BudgetExceeded),
		errors: httplayer.Responder{Log: log, Keys: errorKeys}, field: newFieldLimits(a.Now)}
	a.Guard.Share(x.verifyLimit, "api.verify")
	a.Guard.Share(x.field.enrol, "api.field.enrol")
	a.Guard.Share(x.field.upload, "api.field.upload")
	x.reads.share(a.Guard.Share)
	x.routes()
	return x
}

// Handler returns the API's handler (mounted at /api/v1/).
func (x *API) Handler() http.Handler { return x.mux }

func (x *API) routes() {
	m, h := x.mux, x.handle
	m.Handle("GET /api/v1/me", h(x.me))
	m.Handle("POST /api/v1/applications", h(x.createApplication))
	m.Handle("POST /api/v1/applications/check", h(x.checkApplication))
	m.Handle("GET /api/v1/applications", h(x.listApplications))
	m.Handle("GET /api/v1/applications/{id}", h(x.getApplication))
	m.Handle("POST /api/v1/applications/{id}/approve", h(x.approve))
	m.Handle("POST /api/v1/applications/{id}/reject", h(x.reject))
	m.Handle("GET /api/v1/sites", h(x.listSites))
	m.Handle("POST /api/v1/sites", h(x.createSite))
	m.Handle("GET /api/v1/staff", h(x.listStaff))
	m.Handle("POST /api/v1/staff", h(x.createStaff))
	m.Handle("POST /api/v1/staff/{id}/disable", h(x.disableStaff))
	m.Handle("POST /api/v1/staff/{id}/reset", h(x.resetStaff))
	m.Handle("GET /api/v1/staff/requests", h(x.listStaffRequests))
	m.Handle("POST /api/v1/staff/requests/{id}/approve", h(x.approveStaffRequest))
	m.Handle("POST /api/v1/staff/requests/{id}/refuse", h(x.refuseStaffRequest))
	m.Handle("GET /api/v1/audit", h(x.audit))
	m.Handle("GET /api/v1/stats", h(x.stats))
	m.Handle("POST /api/v1/verify", h(x.verify))
	m.Handle("POST "+wire.EnrolPath, x.public(x.field.enrol, x.fieldEnrol))
	m.Handle("GET "+wire.StationPath+"{id}", x.public(x.field.upload, x.fieldStation))
	m.Handle("POST "+wire.PacketsPath, x.public(x.field.upload, x.fieldUpload))
	m.Handle("POST /api/v1/presentations", h(x.startPresentation))
	m.Handle("GET /api/v1/presentations/{handle}", h(x.presentationResult))
	m.Handle("/api/v1/", h(func(w http.ResponseWriter, r *http.Request, c *call) error {
		return &httplayer.Error{Status: http.StatusNotFound, Code: "not_found", Key: "api.error.not_found"}
	}))
}

// call is an authenticated request's context.
type call struct {
	P     i18n.Printer
	Actor auth.Actor
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// handle authenticates the token, then runs fn; errors become JSON.
func (x *API) handle(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		c := &call{P: x.svc.I18n.Printer(x.svc.I18n.Match(r.Header.Get("Accept-Language")))}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cityid"`)
			x.writeError(w, r, c, &httplayer.Error{Status: http.StatusUnauthorized, Code: "unauthorized", Key: "api.error.unauthorized"})
			return
		}
		actor, err := x.svc.Auth.APIToken(r.Context(), strings.TrimSpace(token))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cityid", error="invalid_token"`)
			if !errors.Is(err, auth.ErrInvalidToken) {
				x.writeError(w, r, c, err)
				return
			}
			x.writeError(w, r, c, &httplayer.Error{Status: http.StatusUnauthorized, Code: "unauthorized", Key: "api.error.unauthorized", Cause: err})
			return
		}
		c.Actor = actor
		if actor.Role == auth.RoleVerifier && !verifierRoutes[r.Pattern] {
			// A verification partner verifies cards and nothing else: not the
			// evidence check, not the list of partner sites.
			x.writeError(w, r, c, &httplayer.Error{Status: http.StatusForbidden, Code: "forbidden", Key: "api.error.forbidden",
				Cause: fmt.Errorf("verifier token on %s", r.Pattern)})
			return
		}
		if err := fn(w, r, c); err != nil {
			x.writeError(w, r, c, err)
		}
	})
}

// verifierRoutes are the only routes a verifier's token may call.
var verifierRoutes = map[string]bool{"GET /api/v1/me": true, "POST /api/v1/verify": true,
	"POST /api/v1/presentations": true, "GET /api/v1/presentations/{handle}": true}

// errorKeys are the API's messages for errors that carry none.
var errorKeys = map[string]string{
	httplayer.CodeBadRequest:      "api.error.json",
	httplayer.CodeBadJSON:         "api.error.json",
	httplayer.CodeUnsupported:     "api.error.json",
	httplayer.CodeUnauthorized:    "api.error.unauthorized",
	httplayer.CodeForbidden:       "api.error.forbidden",
	httplayer.CodeNotFound:        "api.error.not_found",
	httplayer.CodeConflict:        "api.error.conflict",
	httplayer.CodeTooLarge:        "api.error.too_large",
	httplayer.CodeValidation:      "api.error.validation",
	httplayer.CodePurposeRequired: "api.error.purpose",
	httplayer.CodeInternal:        "api.error.internal",
}

func (x *API) writeError(w http.ResponseWriter, r *http.Request, c *call, err error) {
	x.errors.JSON(w, r, c.P, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httplayer.WriteJSON(w, status, v) }

// decode reads one JSON object of at most limit bytes into v, refusing
// unknown fields and trailing data.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &httplayer.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Key: "api.error.json"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	return decodeJSON(r.Body, v)
}

// decodeJSON is decode's parser, separate so it can be fuzzed.
func decodeJSON(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty body is an empty object
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httplayer.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Key: "api.error.too_large", Cause: err}
		}
		return &httplayer.Error{Status: http.StatusBadRequest, Code: "bad_json", Key: "api.error.json", Cause: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &httplayer.Error{Status: http.StatusBadRequest, Code: "bad_json", Key: "api.error.json", Cause: errors.New("trailing data after the JSON object")}
	}
	return nil
}
