package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/audit"
)

func cmdAudit(ctx context.Context, stdio IO, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdio.Out, "Check the tamper-evident audit log.\n\nUsage: cityid audit verify [--data DIR] [--db URL]\n\n"+
			"verify walks the hash chain from the first event and reports the first event\n"+
			"that was altered, removed or reordered. It exits 0 only when the chain is intact.")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, stdio, args[1:])
	default:
		fmt.Fprintf(stdio.Err, "cityid audit: unknown subcommand %q (want: verify)\n", args[0])
		return errUsage
	}
}

func auditVerify(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "audit verify", "audit verify [--data DIR] [--db URL]",
		"Verify the audit log's hash chain; print a JSON summary as the last line.")
	dataDir := fs.String("data", "cityid-data", "data directory")
	dbURL := fs.String("db", "", "PostgreSQL URL instead of SQLite in the data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := app.Open(ctx, app.Options{DataDir: *dataDir, DBURL: *dbURL})
	if err != nil {
		return err
	}
	defer a.Close()
	total, err := a.DB.AuditCount(ctx)
	if err != nil {
		return err
	}
	prog := newMeter(stdio.Err, "verifying audit chain", total)
	events := make(chan audit.Event, 256)
	walkErr := make(chan error, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		walkErr <- a.DB.WalkAudit(wctx, func(e audit.Event) error {
			select {
			case events <- e:
				return nil
			case <-wctx.Done():
				return wctx.Err()
			}
		})
		close(events)
	}()
	var seen int64
	count, problem, err := audit.Verify(func() (audit.Event, bool, error) {
		e, ok := <-events
		if ok {
			seen++
			prog.Set(seen)
		}
		return e, ok, nil
	})
	cancel()
	prog.Done()
	if err != nil {
		return err
	}
	if werr := <-walkErr; werr != nil && problem == nil && wctx.Err() == nil {
		return werr
	}
	out := map[string]any{"events": count, "intact": problem == nil}
	if problem != nil {
		out["first_bad_seq"] = problem.Seq
		out["reason"] = problem.Reason
		fmt.Fprintf(stdio.Out, "audit chain BROKEN at event %d: %s\n", problem.Seq, problem.Reason)
	} else {
		fmt.Fprintf(stdio.Out, "audit chain intact: %d events\n", count)
	}
	b, _ := json.Marshal(out)
	fmt.Fprintln(stdio.Out, string(b))
	if problem != nil {
		return exitError{1}
	}
	return nil
}
