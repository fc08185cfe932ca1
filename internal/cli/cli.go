// Package cli implements the cityid subcommands and their flags.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// IO carries a command's standard streams so tests can run commands in-process.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, stdio IO, args []string) error
}

// errUsage marks an error already explained to the user by the flag package.
var errUsage = errors.New("usage")

// exitError carries a specific exit status (e.g. verify exits 1 for an invalid card).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func commands() []command {
	cmds := []command{
		{"serve", "run the staff portal, resident site, verifier page and API", cmdServe},
		{"user", "manage staff accounts: add, list, disable, reset", cmdUser},
		{"migrate", "create or upgrade the database schema", cmdMigrate},
		{"audit", "check the tamper-evident audit log", cmdAudit},
		{"demo", "load synthetic residents through the normal intake path", cmdDemo},
		{"loadtest", "drive a running server as signed-in staff: page latency and intake rate", cmdLoadtest},
		{"linkage", "find duplicate people in a file (record linkage)", cmdLinkage},
		{"verify", "verify a card's QR code offline", cmdVerify},
		{"keys", "manage keys: signing keys (list, rotate, export-public) and the master key (rotate-master), the field packet key (rotate-packet)", cmdKeys},
		{"card", "issue, print and list cards; export status lists", cmdCard},
		{"purge", "erase what the retention settings say is due (crypto-shredding)", cmdPurge},
		{"privacy", "privacy report: what personal data the system holds, as counts", cmdPrivacy},
		{"backup", "write an encrypted, verified backup that forgets on schedule", cmdBackup},
		{"restore", "restore a backup into an empty data directory or database, then check it", cmdRestore},
		{"station", "a field station: offline intake at partner sites and mobile units, sealed uploads", cmdStation},
	}
	cmds = append(cmds, extraCommands()...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

// Main runs the binary with args (without the program name) and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, IO{In: stdin, Out: stdout, Err: stderr}, args)
}

// Run dispatches to a subcommand; it is Main without signal handling, for tests.
func Run(ctx context.Context, stdio IO, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			args = []string{args[1], "--help"}
		} else {
			usage(stdio.Out)
			if len(args) == 0 {
				return 2
			}
			return 0
		}
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, stdio, args[1:])
		var ee exitError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.As(err, &ee):
			return ee.code
		default:
			fmt.Fprintf(stdio.Err, "cityid %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stdio.Err, "cityid: unknown command %q\n\n", args[0])
	usage(stdio.Err)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "cityid runs a municipal ID card program for all residents.")
	fmt.Fprintln(w, "\nUsage: cityid <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'cityid <command> --help' for a command's flags.")
	fmt.Fprintln(w, "Start here: 'cityid serve' creates ./cityid-data and prints the staff URL.")
}

// newFlagSet returns a flag set whose --help prints the summary, usage line and flags.
func newFlagSet(stdio IO, name, usageLine, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "%s\n\nUsage: cityid %s\n", summary, usageLine)
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintln(out, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args and maps flag errors to errUsage (the flag package already printed why).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(nil)
			return flag.ErrHelp
		}
		return errUsage
	}
	return nil
}
