// Package metrics exposes cityid's health in the Prometheus text format:
// request latency per route group, audited actions (intakes, decisions,
// cards issued, printed, handed over, purges, backups), duplicate-screening
// latency, the state of applications and cards, the last purge and
// backup, the database pool and who leads the background jobs.
//
// No label names a person, a card, a record or a verifier: labels are
// route groups, HTTP methods, status classes, audit action codes and
// workflow statuses, each from a fixed set. A request's path is mapped to
// its group and never recorded.
package metrics

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/store"
)

// Metrics holds the registry of one server.
type Metrics struct {
	reg       *prometheus.Registry
	db        *store.DB
	requests  *prometheus.HistogramVec
	audited   *prometheus.CounterVec
	screening prometheus.Histogram
	leading   atomic.Bool
}

// countedActions are the audit actions counted (a fixed set: an action
// outside it is not a label).
var countedActions = map[string]bool{
	"application.draft": true, "application.from_preapp": true, "application.submit": true, "application.approve": true, "application.reject": true, "application.screen": true,
	"card.issue": true, "card.print": true, "card.reprint": true, "card.handover": true, "card.revoke": true,
	"card.suspend": true, "card.reinstate": true, "card.renew": true, "card.replace": true,
	"retention.erase": true, "retention.purge_done": true, "backup.made": true, "backup.restored": true,
	"backup.key_created": true, "backup.key_destroyed": true, "auth.login": true, "auth.login_failed": true,
}

// New builds the metrics of a server on db. Call db.SetAuditHook(m.Audited)
// to count audited actions.
func New(db *store.DB) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), db: db}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cityid_http_request_duration_seconds", Help: "HTTP request latency by route group, method and status class.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"group", "method", "code"})
	m.audited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cityid_audited_actions_total", Help: "Audited actions committed by this server (intakes, decisions, cards, purges, backups).",
	}, []string{"action"})
	m.screening = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "cityid_screening_duration_seconds", Help: "Duplicate screening of one submission.",
		Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1},
	})
	m.reg.MustRegister(m.requests, m.audited, m.screening,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&dbCollector{m: m, now: time.Now, count: db.CountBy, slow: slowCount, keep: keepCounts})
	return m
}

// Audited counts committed audit actions (store.DB.SetAuditHook). A
// refused step of a staff sign-in (a wrong password or code, a disabled or
// locked account: auth.login.* denied) counts as auth.login_failed — the
// label the alert on guessed passwords watches; no event has that action.
func (m *Metrics) Audited(actions []store.AuditedAction) {
	for _, a := range actions {
		label := a.Action
		if a.Denied && strings.HasPrefix(a.Action, "auth.login") {
			label = "auth.login_failed"
		}
		if countedActions[label] {
			m.audited.WithLabelValues(label).Inc()
		}
	}
}

// SetLeading records whether this server leads the background jobs.
func (m *Metrics) SetLeading(v bool) { m.leading.Store(v) }

// Group maps a request path to its route group; the path itself is never
// a label (it holds record ids).
func Group(path string) string {
	switch {
	case path == "/healthz" || path == "/readyz":
		return "health"
	case path == "/api/v1/verify":
		return "verify_api"
	case strings.HasPrefix(path, "/api/"):
		return "api"
	case path == "/verify" || strings.HasPrefix(path, "/verify/"):
		return "verify_page"
	case strings.HasPrefix(path, "/staff/static/") || strings.HasPrefix(path, "/static/"):
		return "static"
	case strings.HasPrefix(path, "/staff/intake") || strings.HasPrefix(path, "/staff/applications"):
		return "staff_applications"
	case strings.HasPrefix(path, "/staff/cards"):
		return "staff_cards"
	case strings.HasPrefix(path, "/staff/"), path == "/staff", path == "/login", strings.HasPrefix(path, "/login/"), path == "/logout":
		return "staff_other"
	case strings.HasPrefix(path, "/status/"), strings.HasPrefix(path, "/.well-known/"):
		return "status_lists"
	}
	return "resident"
}

var methods = map[string]bool{http.MethodGet: true, http.MethodPost: true, http.MethodHead: true}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Middleware times every request into its route group.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		method := r.Method
		if !methods[method] {
			method = "other"
		}
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		m.requests.WithLabelValues(Group(r.URL.Path), method, string(rune('0'+code/100))+"xx").Observe(time.Since(start).Seconds())
	})
}

// Handler serves /metrics. With a token, a scrape must send it as a bearer
// token (Prometheus: authorization { credentials: … }).
func (m *Metrics) Handler(token string) http.Handler {
	return Guard(token, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

// Guard serves h only to a request that sends token as a bearer token; an
// empty token lets every request through (the listener is internal).
func Guard(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Profiling serves the Go runtime's profiles (net/http/pprof) under
// /debug/pprof/, for the metrics listener only: CPU (profile?seconds=N),
// heap, allocs, goroutine, mutex, block, threadcreate and an execution
// trace. They hold stacks, counts and sizes, never a request's data. The
// process's command line (/debug/pprof/cmdline) is not served: a --db URL
// in it may carry a password.
func Profiling(token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/{$}", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	for _, name := range []string{"allocs", "block", "goroutine", "heap", "mutex", "threadcreate"} {
		mux.Handle("GET /debug/pprof/"+name, pprof.Handler(name))
	}
	return Guard(token, mux)
}

// Screener times duplicate screening (enroll.Service.SetScreener).
func (m *Metrics) Screener(sc enroll.Screener) enroll.Screener { return timedScreener{sc, m.screening} }

type timedScreener struct {
	enroll.Screener
	h prometheus.Histogram
}

func (t timedScreener) Screen(ctx context.Context, self string, p person.Person) ([]enroll.Match, error) {
	start := time.Now()
	out, err := t.Screener.Screen(ctx, self, p)
	if !errors.Is(err, enroll.ErrScreeningPending) { // no screening ran while the index loads
		t.h.Observe(time.Since(start).Seconds())
	}
	return out, err
}

// ScreeningState is the screening index's state at a scrape.
type ScreeningState struct {
	Ready            bool
	Loaded, Expected int64
}

// WatchScreening exports the screening index's state, read at each scrape:
// cityid_screening_index_ready (0 while it loads: applications then go to
// review as screening pending) and the records loaded of those expected.
func (m *Metrics) WatchScreening(state func() ScreeningState) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cityid_screening_index_ready",
			Help: "1 when the duplicate-screening index is loaded; 0 while it loads and submissions wait in review as screening pending."},
			func() float64 {
				if state().Ready {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cityid_screening_index_records_loaded",
			Help: "Records in the duplicate-screening index so far (while it loads: the build's progress)."},
			func() float64 { return float64(state().Loaded) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cityid_screening_index_records_expected",
			Help: "Records the duplicate-screening index's load expects (pending applications and cardholders counted at its start)."},
			func() float64 { return float64(state().Expected) }),
	)
}
