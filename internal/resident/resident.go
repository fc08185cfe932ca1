// Package resident is the public site residents use on their phones: learn
// what the card is for, what it costs and what to bring; check their
// documents against the city's rules; pre-apply without an account; book,
// move or cancel a visit (or wait in line or in a lottery when the slots are
// gone); check their application's status; report a lost card; and take a
// numbered ticket at a site's kiosk.
//
// Pages are server-rendered HTML with one small stylesheet and one optional
// script (the proof-of-work that slows bots down). There are no cookies, no
// outside scripts, no trackers. The language is in the path (/es/…), chosen
// from the browser at /, and switchable on every page.
package resident

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/booking"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/enroll"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/notify"
	"github.com/cityid/cityid/internal/person"
	"github.com/cityid/cityid/internal/site"
	"github.com/cityid/cityid/internal/throttle"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Cards is what the site needs from the card service (*card.Service
// implements it): the cards made from an application, suspending one when
// its holder reports it lost, and auditing a report with nothing to suspend.
type Cards interface {
	List(ctx context.Context, f card.Filter) ([]card.Card, error)
	// ByNumber finds a card by its number as typed, so a holder who lost
	// the receipt can report the card with the number on a photo or copy.
	ByNumber(ctx context.Context, typed string) (card.Card, error)
	Suspend(ctx context.Context, by auth.Actor, id, reason string) (card.Card, error)
	RecordLostReport(ctx context.Context, applicationID string) error
}

// Limits are the per-client rate limits; zero fields take the defaults.
type Limits struct {
	// Forms: pre-applications, bookings, kiosk tickets per client address.
	FormsPerMinute, FormsBurst int
	// Lookups: status and lost-card lookups per client address.
	LookupsPerMinute, LookupsBurst int
	// CodeFailures: wrong dates of birth allowed per reference code per hour,
	// so a code cannot be used to guess a birth date.
	CodeFailures int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.FormsPerMinute, 6)
	def(&l.FormsBurst, 12)
	def(&l.LookupsPerMinute, 5)
	def(&l.LookupsBurst, 10)
	def(&l.CodeFailures, 5)
	return l
}

// Options configure the site.
type Options struct {
	// Cards enables "card ready at site X" and lost-card reports; nil hides them.
	Cards Cards
	// Notify sends reminders to residents who ask for them; nil: none offered.
	Notify notify.Sender
	// PowBits is the proof-of-work difficulty in leading zero bits (default
	// 16; negative turns the challenge off, e.g. for a kiosk network).
	PowBits int
	Limits  Limits
	Logger  *slog.Logger
	// NotFound answers paths the site does not know (a portal mounting the
	// site at / passes its own 404 page); nil renders the site's own.
	NotFound http.Handler
}

// Site is the public site's handler.
type Site struct {
	svc      *app.Services
	opts     Options
	log      *slog.Logger
	pages    map[string]*template.Template
	mux      *http.ServeMux
	handler  http.Handler
	errors   httplayer.Responder
	preapps  *enroll.Preapps
	booking  *booking.Service
	loc      *time.Location
	forms    *throttle.Limiter
	lookups  *throttle.Limiter
	failures *throttle.Limiter
	pow      *pow
	langs    []string

	sitesMu     sync.Mutex
	sitesCache  []site.Site // active sites with booking rules
	activeCache []site.Site
	sitesUntil  time.Time
}

// New builds the public site on the domain services: templates are parsed
// once here, so a broken template fails at start.
func New(svc *app.Services, opts Options) (http.Handler, error) { return NewSite(svc, opts) }

// NewSite is New returning the concrete type (for the staff portal and tests).
func NewSite(a *app.Services, opts Options) (*Site, error) {
	if a == nil {
		return nil, errors.New("resident: nil services")
	}
	now, random := a.Now, a.Rand
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	log := opts.Logger
	if log == nil {
		log = a.Log
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.PowBits == 0 {
		opts.PowBits = 16
	}
	opts.Limits = opts.Limits.withDefaults()
	loc := a.Location
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s := &Site{svc: a, opts: opts, log: log, pages: pages, loc: loc,
		preapps: a.Preapps,
		booking: a.Booking,
		forms:   throttle.New(opts.Limits.FormsPerMinute, opts.Limits.FormsBurst, 100_000, now),
		lookups: throttle.New(opts.Limits.LookupsPerMinute, opts.Limits.LookupsBurst, 100_000, now),
		// Wrong dates of birth per reference code: CodeFailures an hour.
		failures: throttle.NewPer(opts.Limits.CodeFailures, time.Hour, opts.Limits.CodeFailures, 100_000, now),
	}
	if opts.PowBits > 0 {
		// The key is derived from the master key so every app server behind
		// a load balancer accepts the others' challenges.
		s.pow = newPOW(a.Guard.Hash("resident.pow.key"), opts.PowBits, now, random)
	}
	// Several app servers on one PostgreSQL database share the limits and
	// the spent challenges, so they hold across servers. Keys are keyed
	// hashes of the client address, never the address.
	for name, l := range map[string]*throttle.Limiter{"resident.forms": s.forms, "resident.lookups": s.lookups, "resident.code_failures": s.failures} {
		a.Guard.Share(l, name)
	}
	if s.pow != nil && a.Guard.Challenges != nil {
		s.pow.spent = a.Guard.Challenges
	}
	for _, l := range a.Settings.Program.Languages {
		if a.I18n.Has(l) {
			s.langs = append(s.langs, l)
		}
	}
	if len(s.langs) == 0 {
		s.langs = a.I18n.Languages()
	}
	s.mux = s.routes()
	s.handler = httplayer.Headers(policy, s.mux)
	s.errors = httplayer.Responder{Log: log, Keys: errorKeys}
	return s, nil
}

// Booking is the site's booking service.
func (s *Site) Booking() *booking.Service { return s.booking }

// Preapps is the site's pre-application store.
func (s *Site) Preapps() *enroll.Preapps { return s.preapps }

func (s *Site) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.root)
	m.Handle("GET /assets/", s.static())
	if s.opts.NotFound != nil {
		m.Handle("/", s.opts.NotFound)
	} else {
		m.HandleFunc("/", s.notFound)
	}
	// One set of routes per language: /es/… and /en/… never collide with
	// the staff portal's paths when both share a mux.
	for _, l := range s.langs {
		h := func(fn handlerFunc) http.Handler { return s.handle(l, fn) }
		for pattern, fn := range map[string]handlerFunc{
			"GET /{$}":                 s.home,
			"GET /checklist":           s.checklist,
			"GET /apply":               s.applyForm,
			"POST /apply":              s.apply,
			"GET /book":                s.bookStart,
			"POST /book":               s.book,
			"GET /status":              s.statusForm,
			"POST /status":             s.status,
			"GET /lost":                s.lostForm,
			"POST /lost":               s.lost,
			"GET /form.pdf":            s.blankForm,
			"GET /sites/{site}/kiosk":  s.kiosk,
			"POST /sites/{site}/kiosk": s.takeTicket,
			"GET /sites/{site}/lobby":  s.lobby,
		} {
			method, path, _ := strings.Cut(pattern, " ")
			m.Handle(method+" /"+l+path, h(fn))
		}
	}
	return m
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *page) error

// policy: our own files only; the QR code is an inline data: image; no
// camera, microphone or location.
var policy = httplayer.Policy{
	CSP: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	Permissions: "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

// ServeHTTP serves the site with its security headers. No cookies are set.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// root sends a visitor to the best language their browser asks for.
func (s *Site) root(w http.ResponseWriter, r *http.Request) {
	lang := s.svc.I18n.Match(r.Header.Get("Accept-Language"))
	if !slices.Contains(s.langs, lang) {
		lang = s.langs[0]
	}
	w.Header().Set("Vary", "Accept-Language")
	http.Redirect(w, r, "/"+lang+"/", http.StatusSeeOther)
}

// notFound answers any other path in the browser's language.
func (s *Site) notFound(w http.ResponseWriter, r *http.Request) {
	lang := s.svc.I18n.Match(r.Header.Get("Accept-Language"))
	if !slices.Contains(s.langs, lang) {
		lang = s.langs[0]
	}
	p := s.newPage(r, lang, "resident.error.title")
	p.Path = "/"
	for i := range p.Langs {
		p.Langs[i].Href = "/" + p.Langs[i].Lang + "/"
	}
	s.fail(w, p, r, httplayer.Fail(http.StatusNotFound, "resident.error.not_found", errors.New("no such page")))
}

func (s *Site) static() http.Handler {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.StripPrefix("/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// handle resolves the language, runs fn and renders its error, if any.
func (s *Site) handle(lang string, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		p := s.newPage(r, lang, "")
		if err := fn(w, r, p); err != nil {
			s.fail(w, p, r, err)
		}
	})
}

// fail renders err as the site's error page in the page's language;
// httplayer classifies it and logs the cause.
func (s *Site) fail(w http.ResponseWriter, p *page, r *http.Request, err error) {
	e := s.errors.Resolve(w, r, err)
	p.TitleK = "resident.error.title"
	p.Message = p.T(e.Key)
	if rerr := s.render(w, e.Status, "error", p); rerr != nil {
		s.log.Error("render error page", "err", rerr)
	}
}

// errorKeys are the site's messages, in plain words, for errors that
// carry none.
var errorKeys = map[string]string{
	httplayer.CodeBadRequest:  "resident.error.bad_form",
	httplayer.CodeTooLarge:    "resident.error.too_big",
	httplayer.CodeNotFound:    "resident.error.not_found",
	httplayer.CodeRateLimited: "resident.error.slow_down",
	httplayer.CodeInternal:    "resident.error.server",
}

// render writes a page through a buffer, so a template error is a clean 500.
func (s *Site) render(w http.ResponseWriter, status int, name string, p *page) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("resident: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("resident: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("base").ParseFS(templateFiles, "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("resident: parse layout: %w", err)
	}
	entries, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFiles, e); err != nil {
			return nil, fmt.Errorf("resident: parse %s: %w", e, err)
		}
		out[name] = t
	}
	return out, nil
}

// page is what every template gets.
type page struct {
	p       i18n.Printer
	Lang    string
	TitleK  string
	Program string
	Path    string // path after the language, for the language switch
	Langs   []langLink
	Form    url.Values
	Errs    []fieldMsg
	errs    map[string]string
	Message string // an error page's text
	PowBits int
	Data    any
}

type langLink struct {
	Href, Label, Lang string
	Current           bool
}

type fieldMsg struct{ Field, Message string }

func (s *Site) newPage(r *http.Request, lang, titleKey string) *page {
	rest := strings.TrimPrefix(r.URL.Path, "/"+lang)
	if rest == "" {
		rest = "/"
	}
	p := &page{p: s.svc.I18n.Printer(lang), Lang: lang, TitleK: titleKey, Path: rest, Form: url.Values{}, errs: map[string]string{}}
	p.Program = s.svc.Settings.Program.Title[lang]
	if p.Program == "" {
		p.Program = s.svc.Settings.Program.Name
	}
	if s.pow != nil {
		p.PowBits = s.pow.bits
	}
	for _, l := range s.langs {
		p.Langs = append(p.Langs, langLink{Href: "/" + l + rest, Label: s.svc.I18n.T(l, "resident.lang.name"), Lang: l, Current: l == lang})
	}
	return p
}

// T translates key in the page's language.
func (p *page) T(key string, args ...any) string { return p.p.T(key, args...) }

// Title is the translated page title.
func (p *page) Title() string { return p.T(p.TitleK) }

// V is a form value as the resident typed it.
func (p *page) V(field string) string { return p.Form.Get(field) }

// Has reports whether a checkbox or multi-value field holds v.
func (p *page) Has(field, v string) bool { return slices.Contains(p.Form[field], v) }

// E is field's translated error message, or "".
func (p *page) E(field string) string { return p.errs[field] }

// URL prefixes a path with the page's language.
func (p *page) URL(path string) string { return "/" + p.Lang + path }

// setErrors translates field errors for the summary and the fields.
func (p *page) setErrors(errs person.Errors) {
	for _, fe := range errs {
		if _, dup := p.errs[fe.Field]; dup {
			continue
		}
		msg := p.T(fe.Key)
		if k := "resident.field." + fe.Field; p.T(k) != k {
			msg = p.T(k) + ": " + msg
		}
		p.errs[fe.Field] = p.T(fe.Key)
		p.Errs = append(p.Errs, fieldMsg{Field: fe.Field, Message: msg})
	}
}
