package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/checkpoint"
)

// openAudit adds the --data and --db flags to fs, parses args and opens
// the data directory, for the audit subcommands.
func openAudit(ctx context.Context, fs *flag.FlagSet, args []string) (*app.App, error) {
	data := addDataFlags(fs, "", true)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return data.open(ctx, app.Options{})
}

// checkpointService is the audit signer for an opened data directory.
func checkpointService(a *app.App) *checkpoint.Service {
	return checkpoint.New(a.DB, a.Vault, checkpoint.Options{
		Origin: checkpoint.Origin(a.Settings.Program.IssuerURL), Now: a.Now, Rand: a.Rand, Log: a.Log,
	})
}

// auditCheckpoint signs a checkpoint of the whole log now.
func auditCheckpoint(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "audit checkpoint", "audit checkpoint [--data DIR] [--db URL]",
		"Sign a checkpoint of the whole audit log now (the server also signs one every\n"+
			"1000 events and at least daily), and print it with the log's verifier key.")
	a, err := openAudit(ctx, fs, args)
	if err != nil {
		return err
	}
	defer a.Close()
	s := checkpointService(a)
	cp, err := s.Sign(ctx)
	if err != nil {
		return err
	}
	vkey, err := s.VerifierKey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "signed checkpoint of %d events\nverifier key: %s\n\n%s", cp.Size, vkey, cp.Note)
	return nil
}

// auditExportCheckpoints writes every checkpoint and the verifier key for
// a third party to keep.
func auditExportCheckpoints(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "audit export-checkpoints", "audit export-checkpoints [--data DIR] [--db URL] [--out FILE]",
		"Write the log's verifier key and every signed checkpoint, for a third party to keep.\n"+
			"Later, 'cityid audit verify --checkpoints FILE' proves the log was not cut or rewritten.")
	out := fs.String("out", "", "write to this file instead of standard output")
	a, err := openAudit(ctx, fs, args)
	if err != nil {
		return err
	}
	defer a.Close()
	w := stdio.Out
	var f *os.File
	if *out != "" {
		// Public data: checkpoints hold hashes and signatures only.
		if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err != nil {
			return err
		}
		w = f
	}
	n, err := checkpoint.Export(ctx, a.DB, w)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if errors.Is(err, checkpoint.ErrNoKey) {
		return fmt.Errorf("no checkpoint has been signed yet: run 'cityid audit checkpoint' first")
	}
	if err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(stdio.Err, "wrote %d checkpoints to %s\n", n, *out)
	}
	return nil
}

// externalCheckpoints reads an export file and checks that it was signed by
// this log's key.
func externalCheckpoints(ctx context.Context, a *app.App, path string) ([]audit.Checkpoint, *audit.Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	ex, err := checkpoint.ParseExport(f)
	if err != nil {
		return nil, nil, err
	}
	pub, err := checkpoint.LoadPublic(ctx, a.DB)
	if errors.Is(err, checkpoint.ErrNoKey) || (err == nil && pub.Key != ex.VerifierKey) {
		return nil, &audit.Problem{Reason: fmt.Sprintf(
			"%s was signed by key %s, but this log's key is missing or different: the key was replaced, or the file belongs to another log", path, ex.VerifierKey)}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return ex.Checkpoints, nil, nil
}

// printVerifyReport prints the verdict and a JSON summary as the last line.
func printVerifyReport(stdio IO, r checkpoint.Report) error {
	out := map[string]any{"events": r.Events, "intact": r.Problem == nil, "checkpoints": r.Checkpoints, "latest_checkpoint": r.Latest}
	if p := r.Problem; p != nil {
		out["first_bad_seq"] = p.Seq
		out["reason"] = p.Reason
		fmt.Fprintf(stdio.Out, "audit log BROKEN at event %d: %s\n", p.Seq, p.Reason)
	} else {
		fmt.Fprintf(stdio.Out, "audit log intact: %d events, checked against %d signed checkpoints", r.Events, r.Checkpoints)
		if r.Latest < r.Events {
			fmt.Fprintf(stdio.Out, " (events after %d are not covered by a checkpoint yet)", r.Latest)
		}
		fmt.Fprintln(stdio.Out)
	}
	b, _ := json.Marshal(out)
	fmt.Fprintln(stdio.Out, string(b))
	if r.Problem != nil {
		return exitError{1}
	}
	return nil
}
