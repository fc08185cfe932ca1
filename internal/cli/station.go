package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/field/station"
	"github.com/cityid/cityid/internal/field/uplink"
	"github.com/cityid/cityid/internal/field/wire"
	"github.com/cityid/cityid/internal/i18n"
	"github.com/cityid/cityid/internal/web"
)

const stationUsage = `cityid station: a field station — a laptop at a partner site or mobile unit that takes
applications offline, seals each for the city at once, and uploads them when it can.

Usage:
  cityid station init   --server URL --name "St. Rose church" [--dir DIR]   make keys, send the enrolment
  cityid station clerk  NAME --password-stdin [--dir DIR]                   add a clerk (or set a new password)
  cityid station serve  [--dir DIR] [--addr 127.0.0.1:8090] [--sync 1m]     the clerk's pages; syncs by itself
  cityid station sync   [--dir DIR]                                         fetch the enrolment, upload packets
  cityid station status [--dir DIR]                                         counts and free storage

docs/field.md explains setting up a laptop, enrolment and daily use.`

func cmdStation(ctx context.Context, stdio IO, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdio.Err, stationUsage)
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(stdio, "station "+sub, "station "+sub+" [flags]", stationUsage)
	dir := fs.String("dir", "station-data", "the station's data directory")
	var server, name, addr *string
	var every *time.Duration
	var fromStdin *bool
	switch sub {
	case "init":
		server = fs.String("server", "", "the city server's URL, e.g. https://id.example.gov")
		name = fs.String("name", "", `the station's name as the city will see it, e.g. "St. Rose church"`)
	case "clerk":
		fromStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	case "serve":
		addr = fs.String("addr", "127.0.0.1:8090", "address of the clerk's pages (keep it on localhost)")
		every = fs.Duration("sync", time.Minute, "how often to try the city server (0: only from the page)")
	case "sync", "status":
	default:
		fmt.Fprintf(stdio.Err, "cityid station: unknown subcommand %q\n\n%s\n", sub, stationUsage)
		return errUsage
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "init":
		return stationInit(ctx, stdio, *dir, *server, *name)
	case "clerk":
		if len(pos) != 1 || !*fromStdin {
			return fmt.Errorf("usage: cityid station clerk NAME --password-stdin (the password, at least %d characters, on standard input)", station.MinPassword)
		}
		st, err := station.Open(*dir, station.Options{})
		if err != nil {
			return err
		}
		pw, err := readPasswordLine(stdio.In)
		if err != nil {
			return err
		}
		c, err := st.AddClerk(pos[0], pw, auth.DefaultParams())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "clerk %q can sign in (id %s)\n", c.Name, c.ID)
		return nil
	case "serve":
		return stationServe(ctx, stdio, *dir, *addr, *every)
	case "sync":
		st, c, err := openStation(*dir)
		if err != nil {
			return err
		}
		rep, err := uplink.Sync(ctx, st, c)
		if err != nil {
			return fmt.Errorf("%w (nothing is lost: the packets wait for the next sync)", err)
		}
		fmt.Fprintf(stdio.Out, "enrolment: %s; uploaded %d (%d refused by the city); %d waiting\n", rep.Enrolment, rep.Uploaded, rep.Refused, rep.Waiting)
		return nil
	case "status":
		st, err := station.Open(*dir, station.Options{})
		if err != nil {
			return err
		}
		return printStationStatus(stdio.Out, st)
	}
	return nil
}

func openStation(dir string) (*station.Station, *uplink.Client, error) {
	st, err := station.Open(dir, station.Options{})
	if err != nil {
		return nil, nil, err
	}
	c, err := uplink.New(st.State().Server, nil)
	if err != nil {
		return nil, nil, err
	}
	return st, c, nil
}

func stationInit(ctx context.Context, stdio IO, dir, server, name string) error {
	if server == "" || name == "" {
		return errors.New("--server and --name are required")
	}
	c, err := uplink.New(server, nil)
	if err != nil {
		return err
	}
	st, err := station.Init(dir, name, server, station.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "station %q set up in %s\n\n  code for the supervisor: %s\n\n", name, dir, wire.Code(st.PublicKey()))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rep, err := uplink.Sync(ctx, st, c)
	if err != nil {
		fmt.Fprintf(stdio.Out, "the city server could not be reached (%v);\nthe enrolment is sent at the next 'cityid station sync' or while serving.\n", err)
		return nil
	}
	fmt.Fprintf(stdio.Out, "enrolment sent: %s\nA supervisor approves the station on the city's staff pages after checking this code.\n", rep.Enrolment)
	fmt.Fprintln(stdio.Out, "Next: add clerks with 'cityid station clerk NAME --password-stdin', then 'cityid station serve'.")
	return nil
}

func printStationStatus(w io.Writer, st *station.Station) error {
	s, err := st.Status()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "station:      %s (%s)\nenrolment:    %s", s.Name, s.StationID, s.Enrolment)
	if s.Code != "" {
		fmt.Fprintf(w, ", code %s", s.Code)
	}
	fmt.Fprintf(w, "\nsealed:       %d\nwaiting:      %d (%d KB)\nacknowledged: %d\n", s.Sealed, s.Waiting, (s.WaitingBytes+1023)>>10, s.Acked)
	for _, r := range s.Refused {
		fmt.Fprintf(w, "  refused by the city: packet %d (%s)\n", r.Seq, r.Reason)
	}
	last := "never"
	if !s.LastSync.IsZero() {
		last = s.LastSync.Local().Format("2006-01-02 15:04 MST")
	}
	fmt.Fprintf(w, "last sync:    %s\n", last)
	if s.FreeBytes >= 0 {
		fmt.Fprintf(w, "free storage: %d MB\n", s.FreeBytes>>20)
	}
	if s.ClockOff {
		fmt.Fprintf(w, "WARNING: this laptop's clock is %v off from the city's (corrected meanwhile): set its date and time.\n", s.ClockOffset.Abs().Round(time.Minute))
	}
	if s.LowStorage {
		fmt.Fprintln(w, "WARNING: storage is almost full: sync with the city or free space before taking more applications.")
	}
	return nil
}

// stationDesk is the station with its uplink, for the clerk's pages.
type stationDesk struct {
	*station.Station
	client *uplink.Client
}

func (d stationDesk) Sync(ctx context.Context) error {
	_, err := uplink.Sync(ctx, d.Station, d.client)
	return err
}

func stationServe(ctx context.Context, stdio IO, dir, addr string, every time.Duration) error {
	st, c, err := openStation(dir)
	if err != nil {
		return err
	}
	bundle, err := i18n.Load()
	if err != nil {
		return err
	}
	settings := st.Settings()
	loc, err := time.LoadLocation(settings.Program.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	log := slog.New(slog.NewTextHandler(stdio.Err, nil))
	svc := &app.Services{Settings: &settings, Location: loc, I18n: bundle, Applications: st.Rules(), Now: time.Now, Log: log}
	desk := stationDesk{Station: st, client: c}
	h, err := web.NewStation(svc, desk, web.Options{Logger: log})
	if err != nil {
		return err
	}
	// The clerk's pages are plain HTTP with no second factor: this
	// laptop's browser only.
	if host, _, err := net.SplitHostPort(addr); err != nil || !isLoopback(host) {
		return fmt.Errorf("--addr %s: the station's pages listen on this laptop only (127.0.0.1, ::1 or localhost)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdio.Out, "field station %q: clerk's pages at http://%s/\n", st.State().Name, ln.Addr())
	if every > 0 {
		go func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				sctx, cancel := context.WithTimeout(ctx, every)
				if err := desk.Sync(sctx); err != nil {
					log.Info("sync: city server not reached; packets wait", "err", err)
				}
				cancel()
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
