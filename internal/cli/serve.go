package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"go/version"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/backup"
	"github.com/cityid/cityid/internal/config"
	"github.com/cityid/cityid/internal/dedup"
	"github.com/cityid/cityid/internal/demo"
	"github.com/cityid/cityid/internal/httplayer"
	"github.com/cityid/cityid/internal/leader"
	"github.com/cityid/cityid/internal/linkage"
	"github.com/cityid/cityid/internal/metrics"
	"github.com/cityid/cityid/internal/notify"
	"github.com/cityid/cityid/internal/resident"
	"github.com/cityid/cityid/internal/web"
)

func cmdServe(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "serve", "serve [--data DIR] [--addr HOST:PORT] [--db URL] [--demo]",
		"Run the staff portal, the JSON API and the health checks.\n\n"+
			"On first start it creates the data directory (settings file cityid.toml, master key,\n"+
			"SQLite database) and prints the staff URL and a one-time administrator password.")
	data := addDataFlags(fs, "data directory (settings, master key, SQLite database)", true)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	withDemo := fs.Bool("demo", false, "also load synthetic residents, a few of whom apply again or bring a look-alike for the duplicate review (only into an empty database: refuses one that holds people)")
	demoN := fs.Int("demo-residents", 200, "how many synthetic residents --demo loads")
	publicURL := fs.String("public-url", "", "URL residents and staff use, when behind a proxy (default http://ADDR)")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure and send HSTS (implied by --tls-cert or an https --public-url)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate chain (PEM file); needs --tls-key")
	tlsKey := fs.String("tls-key", "", "the private key (PEM file) of --tls-cert")
	trustedProxy := fs.String("trusted-proxy", "", "reverse proxies whose forwarded-address header is believed, as CIDR,…\n"+
		"(added to settings server.trusted_proxies); rate limits then key on the client behind them")
	readyAfterIndex := fs.Bool("ready-after-index", false, "/readyz answers 503 \"screening index loading\" until the duplicate-screening index is loaded\n"+
		"(seconds from a snapshot, a minute or two on a first start at a million residents): for several servers\n"+
		"behind a proxy, so a starting server takes no clerks until it is warm. Default: ready at once, slower at first")
	debug := fs.Bool("debug", false, "log at debug level")
	verifyRate := fs.Int("api-verify-per-minute", 600, "each API token's budget for POST /api/v1/verify, per minute")
	smtpAddr := fs.String("smtp", "", "SMTP relay HOST:PORT for appointment reminders (default: reminders go to the log);\n"+
		"user and password from CITYID_SMTP_USER and CITYID_SMTP_PASSWORD")
	smtpFrom := fs.String("smtp-from", "", "sender address for reminders, e.g. idcard@city.gov")
	smsDomain := fs.String("sms-email-domain", "", "email-to-SMS gateway domain for text reminders")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus /metrics on this separate address, e.g. 127.0.0.1:9090\n"+
		"(never on the public one); a scrape must send CITYID_METRICS_TOKEN as a bearer token when it is set")
	profiling := fs.Bool("pprof", false, "also serve Go's runtime profiles (CPU, heap, goroutines…) at /debug/pprof/ on --metrics-addr,\n"+
		"behind the same token; for measuring, not for everyday running")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *profiling && *metricsAddr == "" {
		fmt.Fprintln(stdio.Err, "cityid serve: --pprof serves the profiles on the metrics address, never the public one: give --metrics-addr too")
		return errUsage
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: level}))

	a, err := data.open(ctx, app.Options{Create: true, Logger: logger, Screening: true, ScreenLater: true})
	if err != nil {
		return err
	}
	defer a.Close()
	if *readyAfterIndex {
		a.ReadyAfterIndex()
	}
	if *withDemo {
		// Before anything else: synthetic residents never go in with real ones.
		if err := demo.CheckEmpty(ctx, a); errors.Is(err, demo.ErrNotEmpty) {
			return fmt.Errorf("--demo loads synthetic residents only into an empty database, and this one already holds people "+
				"(%v); start without --demo, or give a new --data directory (or --db) for a demonstration", err)
		} else if err != nil {
			return err
		}
	}
	if err := exampleSettings(ctx, a, *addr, *publicURL, *tlsCert != "", logger); err != nil {
		return err
	}
	sender, err := reminderSender(*smtpAddr, *smtpFrom, *smsDomain, a.Settings.Notify, logger)
	if err != nil {
		return err
	}
	if a.Cards != nil {
		// A resident who asked for reminders hears when the card is printed.
		a.Cards.OnPrinted(resident.CardReady(a.Services, sender))
	}
	// Background jobs stop with ctx (Ctrl+C, SIGTERM). With several servers
	// on one PostgreSQL database one of them runs them: the holder of an
	// advisory lock, handed over when it dies (internal/leader).
	m := metrics.New(a.DB)
	a.DB.SetAuditHook(m.Audited)
	if a.Screener != nil {
		a.Enroll.SetScreener(m.Screener(a.Screener))
		m.WatchScreening(func() metrics.ScreeningState {
			st := a.Screener.State()
			return metrics.ScreeningState{Ready: st.Ready, Loaded: st.Loaded, Expected: st.Expected}
		})
		// The index loads (from a snapshot, or rebuilt: a minute at 1.5 M
		// residents) while the server already answers; until it is ready
		// every application goes to review as screening pending, and
		// Follow screens those once it is.
		go loadScreening(ctx, a)
		// Every server follows the others' writes (several may share one
		// PostgreSQL database): its index is at most a poll behind.
		go a.Screener.Follow(ctx, a.Enroll, dedup.FollowInterval, logger)
	}
	elector := &leader.Elector{DB: a.DB, Key: leader.JobsLock, Log: logger, OnChange: m.SetLeading}
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		elector.Run(ctx, func(lctx context.Context) {
			go checkpointService(a).Run(lctx) // signed audit checkpoints: every 1000 events, at least daily
			go runRetentionScheduler(lctx, a) // purge what retention says is due: 5 minutes after start, then daily
			if a.Screener != nil {
				go func() {
					// Both need the whole index: they start once it is loaded.
					if a.Screener.WaitReady(lctx) != nil {
						return
					}
					go every(lctx, 24*time.Hour, func() { relearnDuplicates(lctx, a) })
					// A sealed snapshot of the screening index, so servers start
					// without decrypting every resident: when the newest is an
					// hour old, or within minutes when there is none (a purge
					// deletes them; a first start).
					every(lctx, dedup.SnapshotCheck, func() {
						if due, err := a.Screener.SnapshotDue(lctx, dedup.SnapshotInterval); due || err != nil {
							writeSnapshot(lctx, a, "due")
						}
					})
				}()
			}
			every(lctx, 5*time.Minute, func() { housekeeping(lctx, a, sender) })
			if a.Screener != nil && a.Screener.Ready() && ctx.Err() != nil && lctx.Err() != nil {
				// A clean shutdown (not a lost lead): the snapshot is as
				// fresh as it can be for the next start.
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownSnapshotTimeout)
				// Apply the last changes first, so the next start replays none.
				if _, err := a.Screener.Sync(sctx, a.Enroll); err != nil {
					a.Log.Warn("duplicate screening: follow the change feed", "err", err)
				}
				if due, err := a.Screener.SnapshotDue(sctx, 0); due || err != nil {
					writeSnapshot(sctx, a, "shutdown")
				} else {
					a.Log.Info("duplicate screening snapshot already current; not written again at shutdown")
				}
				cancel()
			}
		})
	}()

	for _, w := range a.Settings.Warnings() {
		logger.Warn("settings", "key", w.Key, "warning", w.Msg)
	}
	if w := toolchainWarning(runtime.Version()); w != "" {
		logger.Warn("toolchain", "warning", w)
	}
	user, password, created, err := a.Auth.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("create the first administrator: %w", err)
	}
	if *withDemo {
		// The demo's residents are screened as intake screens them.
		if err := a.Screener.WaitReady(ctx); err != nil {
			return err
		}
		if err := seedDemo(ctx, stdio, a, demo.Options{Residents: *demoN, Seed: 1}, false); err != nil {
			return err
		}
		// A few come back and a few bring a look-alike, so the
		// supervisor's duplicate review has something to show.
		if err := seedReturning(ctx, stdio, a, 1); err != nil {
			return err
		}
	}
	// The dashboards' counts by status, scanned before the first clerk
	// asks (a site of 10,000 applications or more keeps them; see
	// enroll's countApplications).
	if sites, err := a.Sites.List(ctx); err == nil {
		ids := []string{""}
		for _, st := range sites {
			ids = append(ids, st.ID)
		}
		a.Enroll.WarmCounts(ids...)
	}
	if err := a.DB.Warm(ctx, 20); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another cityid running? try --addr 127.0.0.1:8081)", *addr, err)
	}
	proxies, err := httplayer.NewProxies(append(a.Settings.Server.TrustedProxies, httplayer.ParseProxyList(*trustedProxy)...), a.Settings.Server.ProxyHeader)
	if err != nil {
		ln.Close()
		return fmt.Errorf("--trusted-proxy: %w", err)
	}
	tlsConfig, err := serveTLS(*tlsCert, *tlsKey)
	if err != nil {
		ln.Close()
		return err
	}
	base := *publicURL
	if base == "" {
		scheme := "http://"
		if tlsConfig != nil {
			scheme = "https://"
		}
		base = scheme + ln.Addr().String()
	}
	// Clients reach us over TLS when we terminate it or the public URL says
	// https (a proxy terminates it): cookies are Secure and HSTS is sent.
	tlsSeen := *secure || tlsConfig != nil || strings.HasPrefix(strings.ToLower(base), "https://")
	srv, err := web.New(a.Services, web.Options{PublicURL: base, Secure: tlsSeen, Logger: logger,
		Public: resident.Options{Cards: residentCards(a), Notify: sender, Logger: logger}, VerifyPerMinute: *verifyRate,
		Proxies: proxies})
	if err != nil {
		ln.Close()
		return err
	}
	httpSrv := &http.Server{
		Handler:           m.Middleware(srv.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}

	fmt.Fprintf(stdio.Out, "cityid is serving %s\n", a.Settings.Program.Name)
	fmt.Fprintf(stdio.Out, "  data:      %s (%s)\n", a.DataDir, a.DB.Dialect())
	fmt.Fprintf(stdio.Out, "  staff URL: %s/staff/\n", base)
	if *metricsAddr != "" {
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s for metrics: %w", *metricsAddr, err)
		}
		token := os.Getenv("CITYID_METRICS_TOKEN")
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler(token))
		if *profiling {
			mux.Handle("/debug/pprof/", metrics.Profiling(token))
		}
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go msrv.Serve(mln)
		defer msrv.Close()
		fmt.Fprintf(stdio.Out, "  metrics:   http://%s/metrics\n", mln.Addr())
		if *profiling {
			fmt.Fprintf(stdio.Out, "  profiles:  http://%s/debug/pprof/\n", mln.Addr())
		}
	}
	if created {
		printBootstrap(stdio.Out, user, password)
	}
	fmt.Fprintln(stdio.Out, "Press Ctrl+C to stop.")

	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- httpSrv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
			return
		}
		errc <- httpSrv.Serve(ln)
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = httpSrv.Shutdown(shutCtx)
	// The leader writes its last snapshot before the process ends.
	select {
	case <-jobsDone:
	case <-time.After(shutdownSnapshotTimeout + 10*time.Second):
		logger.Warn("background jobs did not stop in time")
	}
	return err
}

// loadScreening loads the screening index in the background, trying again
// every loadRetry after a failure (a database that is not answering yet)
// until ctx ends.
func loadScreening(ctx context.Context, a *app.App) {
	for {
		err := a.LoadScreening(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		a.Log.Error("duplicate screening index not loaded; applications go to review as screening pending until it is", "err", err, "retry_seconds", loadRetry.Seconds())
		select {
		case <-ctx.Done():
			return
		case <-time.After(loadRetry):
		}
	}
}

// loadRetry is how long a failed index load waits before trying again.
const loadRetry = 30 * time.Second

// shutdownSnapshotTimeout bounds the screening snapshot written at a clean
// shutdown; one cut short is dropped and the next start uses the hourly one.
const shutdownSnapshotTimeout = 60 * time.Second

// writeSnapshot seals the screening index into the database (the leader);
// a failure is logged and the next run tries again. The log line says why
// ("due": the newest is old or missing; "shutdown": a clean stop).
func writeSnapshot(ctx context.Context, a *app.App, why string) {
	st, err := a.Screener.WriteSnapshot(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.Log.Warn("duplicate screening snapshot not written", "reason", why, "error", err)
		}
		return
	}
	a.Log.Info("duplicate screening snapshot written", "records", st.Records, "chunks", st.Chunks, "mb", st.Bytes>>20,
		"mark", st.Mark, "seconds", st.Duration.Seconds(), "reason", why)
}

// reminderSender picks how opted-in residents get reminders and "card
// ready" notices: e-mail through an SMTP relay, text messages through the
// SMS provider in the settings (or the relay's e-mail-to-SMS gateway).
// With neither it is the log, which delivers nothing, so the resident site
// offers and promises no reminder.
func reminderSender(addr, from, smsDomain string, n config.Notify, logger *slog.Logger) (notify.Sender, error) {
	var route notify.Route
	if addr != "" {
		var auth smtp.Auth
		if user := os.Getenv("CITYID_SMTP_USER"); user != "" {
			host, _, _ := net.SplitHostPort(addr)
			auth = smtp.PlainAuth("", user, os.Getenv("CITYID_SMTP_PASSWORD"), host)
		}
		s, err := notify.NewSMTP(addr, from, auth, smsDomain)
		if err != nil {
			return nil, fmt.Errorf("--smtp: %w", err)
		}
		route.Email, route.SMS = s, s
	}
	if n.SMSURL != "" {
		value := ""
		if n.SMSAuthEnv != "" {
			value = os.Getenv(n.SMSAuthEnv)
			if value == "" {
				return nil, fmt.Errorf("notify.sms_auth_env: the environment variable %s is empty (it holds the SMS provider's %s value)", n.SMSAuthEnv, n.SMSAuthHeader)
			}
		}
		s, err := notify.NewSMSHTTP(n.SMSURL, n.SMSAuthHeader, value, n.SMSContentType, n.SMSBody, nil)
		if err != nil {
			return nil, fmt.Errorf("settings [notify]: %w", err)
		}
		route.SMS = s
	}
	if len(route.Channels()) == 0 {
		return notify.Log{Logger: logger}, nil
	}
	return route, nil
}

// every runs fn now and then every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// relearnDuplicates re-estimates the duplicate model from supervisors' new
// decisions (the leader, daily; see docs/linkage.md "Learning from
// reviewers"). Too few decisions or a worse model are normal outcomes,
// logged; the active model stays.
func relearnDuplicates(ctx context.Context, a *app.App) {
	rep, ran, err := a.Screener.EstimateIfNew(ctx, a.Enroll, auth.System(), a.Now())
	switch {
	case !ran && err == nil:
	case errors.Is(err, linkage.ErrFewLabels), errors.Is(err, dedup.ErrRefused):
		a.Log.Info("duplicate model not replaced", "reason", err.Error(), "decisions", rep.Decisions)
		if rep.ActiveCalibrated > 0 {
			a.Log.Info("duplicate model calibrated to the decisions", "version", rep.ActiveCalibrated,
				"held_out_brier", rep.ActiveCalibratedBrier, "before", rep.Previous.Brier)
		}
	case err != nil:
		a.Log.Error("duplicate model re-estimation", "error", err)
	default:
		a.Log.Info("duplicate model re-estimated", "version", rep.Version, "held_out", rep.HeldOut,
			"precision", rep.Candidate.Precision, "recall", rep.Candidate.Recall, "calibrated", rep.Calibrated)
	}
}

// housekeeping is the frequent background work: reminders for tomorrow's
// appointments, expired pre-applications, stale sessions. Errors are logged
// without personal data and retried next time.
func housekeeping(ctx context.Context, a *app.App, sender notify.Sender) {
	if n, err := resident.Remind(ctx, a.Services, sender, 24*time.Hour); err != nil {
		a.Log.Warn("reminders", "error", err)
	} else if n > 0 {
		a.Log.Info("reminders sent", "count", n)
	}
	if n, err := a.Enroll.Preapps().Purge(ctx); err != nil {
		a.Log.Warn("expired pre-applications", "error", err)
	} else if n > 0 {
		a.Log.Info("expired pre-applications erased", "count", n)
	}
	if n, err := a.Field.PurgeQuarantine(ctx); err != nil {
		a.Log.Warn("field quarantine", "error", err)
	} else if n > 0 {
		a.Log.Info("quarantined field packets deleted", "count", n)
	}
	// Backup keys past their retention are destroyed on schedule even on
	// days no backup runs (only on the host whose data directory has them).
	if keys, err := backupKeys(a.DataDir, a.Settings.Backup); err != nil {
		a.Log.Warn("backup keys", "error", err)
	} else if gone, err := backup.ExpireKeys(ctx, a.DB, keys, a.Now()); err != nil {
		a.Log.Warn("destroy expired backup keys", "error", err)
	} else if len(gone) > 0 {
		a.Log.Info("backup keys destroyed", "count", len(gone))
	}
	// Shared rate buckets idle for a day have refilled: they hold nothing.
	if _, err := a.DB.PruneShared(ctx, a.Now().Add(-24*time.Hour), a.Now()); err != nil {
		a.Log.Warn("prune shared limits", "error", err)
	}
	if _, err := a.Auth.PruneSessions(ctx); err != nil {
		a.Log.Warn("prune sessions", "error", err)
	}
	if a.Cards != nil {
		if n, err := a.Cards.ExpireDue(ctx); err != nil {
			a.Log.Warn("expire cards", "error", err)
		} else if n > 0 {
			a.Log.Info("cards expired", "count", n)
		}
		// Offers and tokens a wallet never used: nothing of an abandoned
		// flow stays behind.
		if n, err := a.Cards.PrunePhoneOffers(ctx); err != nil {
			a.Log.Warn("expired phone offers", "error", err)
		} else if n > 0 {
			a.Log.Info("expired phone offers deleted", "count", n)
		}
	}
}

// residentCards gives the resident site the card service, or nil (no
// lost-card reports) when there is none; a typed nil would not compare nil.
func residentCards(a *app.App) resident.Cards {
	if a.Cards == nil {
		return nil
	}
	return a.Cards
}

// serveTLS loads the certificate and key for HTTPS, or returns nil when
// neither is given. TLS 1.2 is the floor; Go's defaults choose the suites.
func serveTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// printBootstrap shows the first administrator's one-time password, once,
// and only on a terminal: when standard output is a file, a pipe or the
// service manager's journal, the password would sit in a log, so it is not
// printed and the operator makes a new one in a terminal.
func printBootstrap(w io.Writer, user, password string) {
	if !isTerminal(w) {
		fmt.Fprintf(w, "  first login: user %q; its one-time password is shown only on a terminal, and this output is not one.\n", user)
		fmt.Fprintf(w, "  Run 'cityid user reset %s' (with the same --data or --db) in a terminal to get one; it works for 24 hours.\n", user)
		return
	}
	fmt.Fprintf(w, "  first login: user %q, one-time password %s\n", user, password)
	fmt.Fprintln(w, "  (it works for 24 hours; you will set your own password and an authenticator app at first login)")
}

// exampleSettings stops the first public start (no card issued yet) while
// a setting still holds a shipped profile's example value, saying what to
// change; trying cityid on this machine (a loopback address, no public
// URL, no TLS) only warns, and so does a program that has issued cards.
func exampleSettings(ctx context.Context, a *app.App, addr, publicURL string, tls bool, logger *slog.Logger) error {
	problems := a.Settings.ExampleValues()
	if len(problems) == 0 {
		return nil
	}
	cards, err := a.DB.CountRows(ctx, "cards")
	if err != nil {
		return err
	}
	public := tls || !loopback(addr)
	if u, err := url.Parse(publicURL); publicURL != "" && (err != nil || !loopback(u.Host)) {
		public = true
	}
	if !public || cards > 0 {
		for _, p := range problems {
			logger.Warn("settings still hold an example value", "key", p.Key, "warning", p.Msg)
		}
		return nil
	}
	var b strings.Builder
	b.WriteString("the settings still hold the example city's values; change them in the settings file, then start again:")
	for _, p := range problems {
		fmt.Fprintf(&b, "\n  %s: %s", p.Key, p.Msg)
	}
	return errors.New(b.String())
}

// loopback reports whether a listen or URL host is this machine only.
func loopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// patchedGo is the first Go release without the standard-library
// vulnerabilities govulncheck finds reachable in older ones (net/http,
// crypto/x509, html/template…; docs/security.md). go.mod's toolchain line
// names it, so "go run" and "go build" switch to it unless GOTOOLCHAIN=local.
const patchedGo = "go1.26.10"

// toolchainWarning says what to do when the binary was built with a Go
// older than patchedGo; "" when it was not (or the version is a
// development build that cannot be compared).
func toolchainWarning(v string) string {
	if !version.IsValid(v) || version.Compare(v, patchedGo) >= 0 {
		return ""
	}
	return fmt.Sprintf("built with %s, which has known vulnerabilities fixed in %s: rebuild with GOTOOLCHAIN=%s go build ./cmd/cityid", v, patchedGo, patchedGo)
}
