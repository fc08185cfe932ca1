package cli

import (
	"context"
	"fmt"

	"github.com/cityid/cityid/internal/audit"
	"github.com/cityid/cityid/internal/checkpoint"
)

func cmdAudit(ctx context.Context, stdio IO, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdio.Out, "Check the tamper-evident audit log.\n\n"+
			"Usage: cityid audit verify|checkpoint|export-checkpoints [--data DIR] [--db URL]\n\n"+
			"verify walks the hash chain from the first event and checks it against every signed\n"+
			"checkpoint; it reports the first event altered, removed or reordered, a log cut short,\n"+
			"or history rewritten after a checkpoint, and exits 0 only when all is intact.\n"+
			"checkpoint signs a checkpoint now; export-checkpoints writes them for a third party.")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, stdio, args[1:])
	case "checkpoint":
		return auditCheckpoint(ctx, stdio, args[1:])
	case "export-checkpoints":
		return auditExportCheckpoints(ctx, stdio, args[1:])
	default:
		fmt.Fprintf(stdio.Err, "cityid audit: unknown subcommand %q (want: verify, checkpoint, export-checkpoints)\n", args[0])
		return errUsage
	}
}

func auditVerify(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "audit verify", "audit verify [--data DIR] [--db URL] [--checkpoints FILE]",
		"Verify the audit log's hash chain and its signed checkpoints; print a JSON summary as the last line.")
	cpFile := fs.String("checkpoints", "", "also check against checkpoints exported earlier (audit export-checkpoints)")
	a, err := openAudit(ctx, fs, args)
	if err != nil {
		return err
	}
	defer a.Close()
	var external []audit.Checkpoint
	if *cpFile != "" {
		var problem *audit.Problem
		external, problem, err = externalCheckpoints(ctx, a, *cpFile)
		if err != nil {
			return err
		}
		if problem != nil {
			return printVerifyReport(stdio, checkpoint.Report{Problem: problem})
		}
	}
	total, err := a.DB.AuditCount(ctx)
	if err != nil {
		return err
	}
	prog := newMeter(stdio.Err, "verifying audit log", total)
	r, err := checkpoint.VerifyLog(ctx, a.DB, external, prog.Set)
	prog.Done()
	if err != nil {
		return err
	}
	return printVerifyReport(stdio, r)
}
