package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/errs"
	"github.com/cityid/cityid/internal/person"
)

const userUsage = `Manage staff accounts. Every change is recorded in the audit log as "system".

Usage:
  cityid user add --username U --role clerk|supervisor|admin|auditor|verifier [--site NAME_OR_ID] [--name "Display Name"] [--password-stdin]
  cityid user list
  cityid user disable U
  cityid user enable U
  cityid user reset U [--password-stdin]
  cityid user requests
  cityid user approve REQUEST_ID
  cityid user refuse REQUEST_ID

All take --data DIR (default cityid-data) and --db URL (PostgreSQL instead of SQLite).
Without --password-stdin, add and reset print a one-time password: the person must
change it and set up an authenticator app at their first sign-in. reset also
removes the authenticator (lost phone) and ends the account's sessions.

In the staff portal, creating, promoting or resetting an account whose role
reads personal data (clerk, supervisor) waits for a second administrator,
unless security.single_administrator is set. requests lists what waits;
approve carries one out (printing the one-time password of a new account or
a reset) and refuse drops it. These commands act as "system", as every
command here does: whoever runs them holds the master key anyway.`

// cmdUserImpl runs "cityid user …".
func cmdUserImpl(ctx context.Context, stdio IO, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdio.Err, userUsage)
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(stdio, "user "+sub, "user "+sub+" [flags]", userUsage)
	data := addDataFlags(fs, "", true)
	var (
		username, role, site, name *string
		fromStdin                  *bool
	)
	switch sub {
	case "add":
		username = fs.String("username", "", "username: 3–32 of a-z 0-9 . _ -")
		role = fs.String("role", "", "clerk, supervisor, admin, auditor or verifier (a bank or other partner that only verifies cards)")
		site = fs.String("site", "", "site name or id (required for clerks)")
		name = fs.String("name", "", "display name (default: the username)")
		fromStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating a one-time password")
	case "reset":
		fromStdin = fs.Bool("password-stdin", false, "read the new password from the first line of standard input; it need not be changed at sign-in")
	case "list", "disable", "enable", "requests", "approve", "refuse":
	default:
		fmt.Fprintf(stdio.Err, "cityid user: unknown subcommand %q\n\n%s\n", sub, userUsage)
		return errUsage
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	wantPos := 1
	if sub == "add" || sub == "list" || sub == "requests" {
		wantPos = 0
	}
	if len(pos) != wantPos {
		fmt.Fprintf(stdio.Err, "cityid user %s: want %d username argument(s), got %d\n", sub, wantPos, len(pos))
		return errUsage
	}
	var password string
	if fromStdin != nil && *fromStdin {
		if password, err = readPasswordLine(stdio.In); err != nil {
			return err
		}
	}

	a, err := data.open(ctx, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	u := userCmd{a: a, stdio: stdio}
	switch sub {
	case "add":
		return u.add(ctx, auth.NewStaff{Username: *username, DisplayName: *name, Role: auth.Role(*role), Password: password}, *site)
	case "list":
		return u.list(ctx)
	case "disable":
		return u.disable(ctx, pos[0], true)
	case "enable":
		return u.disable(ctx, pos[0], false)
	case "requests":
		return u.requests(ctx)
	case "approve":
		return u.approve(ctx, pos[0])
	case "refuse":
		if err := u.a.Auth.RefuseStaffRequest(ctx, auth.System(), pos[0]); err != nil {
			return u.explain(err)
		}
		fmt.Fprintf(u.stdio.Out, "refused %s\n", pos[0])
		return nil
	default: // reset
		return u.reset(ctx, pos[0], password)
	}
}

// parseInterleaved parses flags that may come before or after the
// positional arguments ("user disable ana --data d") and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// readPasswordLine reads one line (at most 1 KiB) from r, without its line ending.
func readPasswordLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("--password-stdin: no standard input")
	}
	line, err := bufio.NewReaderSize(io.LimitReader(r, 1024), 1024).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("--password-stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("--password-stdin: standard input is empty")
	}
	return line, nil
}

type userCmd struct {
	a     *app.App
	stdio IO
}

// explain turns field errors (message keys) into English text for the terminal.
func (u userCmd) explain(err error) error {
	var fe person.Errors
	if !errors.As(err, &fe) {
		if key := auth.MessageKey(err, ""); key != "" {
			return errors.New(u.a.I18n.T("en", key))
		}
		return err
	}
	var parts []string
	for _, e := range fe {
		field := e.Field
		if field == "display_name" {
			field = "name"
		}
		parts = append(parts, "--"+field+": "+u.a.I18n.T("en", e.Key))
	}
	return errors.New(strings.Join(parts, "; "))
}

// siteID resolves a site name (any case) or id.
func (u userCmd) siteID(ctx context.Context, nameOrID string) (string, error) {
	if nameOrID == "" {
		return "", nil
	}
	sites, err := u.a.Sites.List(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range sites {
		if s.ID == nameOrID || strings.EqualFold(s.Name, nameOrID) {
			return s.ID, nil
		}
	}
	var names []string
	for _, s := range sites {
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return "", fmt.Errorf("--site %q: there are no sites yet; add one in the staff portal (Settings → Sites)", nameOrID)
	}
	return "", fmt.Errorf("--site %q: no such site; sites are: %s", nameOrID, strings.Join(names, ", "))
}

func (u userCmd) add(ctx context.Context, in auth.NewStaff, site string) error {
	var err error
	if in.SiteID, err = u.siteID(ctx, site); err != nil {
		return err
	}
	var st auth.Staff
	var oneTime string
	if in.Password == "" {
		st, oneTime, err = u.a.Auth.CreateStaffOneTime(ctx, auth.System(), in)
	} else {
		st, err = u.a.Auth.CreateStaff(ctx, auth.System(), in)
	}
	if err != nil {
		return u.explain(err)
	}
	fmt.Fprintf(u.stdio.Out, "created %s %s\n", st.Role, st.Username)
	if oneTime != "" {
		fmt.Fprintf(u.stdio.Out, "one-time password: %s\n", oneTime)
		fmt.Fprintln(u.stdio.Out, "Give it to them privately. At first sign-in they choose a password and set up an authenticator app.")
	} else {
		fmt.Fprintln(u.stdio.Out, "At first sign-in they set up an authenticator app.")
	}
	return nil
}

func (u userCmd) list(ctx context.Context) error {
	staff, err := u.a.Auth.ListStaff(ctx, auth.System())
	if err != nil {
		return err
	}
	sites, err := u.a.Sites.List(ctx)
	if err != nil {
		return err
	}
	siteName := map[string]string{}
	for _, s := range sites {
		siteName[s.ID] = s.Name
	}
	tw := tabwriter.NewWriter(u.stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tROLE\tSITE\tSTATUS\tTOTP")
	for _, s := range staff {
		site := "-"
		if s.SiteID != "" {
			site = siteName[s.SiteID]
			if site == "" {
				site = s.SiteID
			}
		}
		status := "active"
		switch {
		case s.Disabled:
			status = "disabled"
		case s.Locked:
			status = "locked"
		case s.MustChangePassword:
			status = "new password pending"
		}
		totp := "no"
		if s.TOTPEnrolled {
			totp = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Username, s.DisplayName, s.Role, site, status, totp)
	}
	return tw.Flush()
}

// staff finds an account by username, with a clear error for a typo.
func (u userCmd) staff(ctx context.Context, username string) (auth.Staff, error) {
	st, err := u.a.Auth.StaffByUsername(ctx, auth.System(), username)
	if errors.Is(err, errs.ErrNotFound) {
		return auth.Staff{}, fmt.Errorf("no staff account %q ('cityid user list' shows them)", auth.NormalizeUsername(username))
	}
	return st, err
}

func (u userCmd) disable(ctx context.Context, username string, disable bool) error {
	st, err := u.staff(ctx, username)
	if err != nil {
		return err
	}
	if disable {
		if err := u.a.Auth.DisableStaff(ctx, auth.System(), st.ID); err != nil {
			return u.explain(err)
		}
		fmt.Fprintf(u.stdio.Out, "disabled %s; their sessions have ended\n", st.Username)
		return nil
	}
	if err := u.a.Auth.EnableStaff(ctx, auth.System(), st.ID); err != nil {
		return u.explain(err)
	}
	fmt.Fprintf(u.stdio.Out, "enabled %s\n", st.Username)
	return nil
}

func (u userCmd) reset(ctx context.Context, username, password string) error {
	st, err := u.staff(ctx, username)
	if err != nil {
		return err
	}
	if password != "" {
		if err := u.a.Auth.SetPassword(ctx, st.Username, password); err != nil {
			return u.explain(err)
		}
		fmt.Fprintf(u.stdio.Out, "reset %s: password set, authenticator removed, sessions ended\n", st.Username)
		fmt.Fprintln(u.stdio.Out, "At next sign-in they set up an authenticator app again.")
		return nil
	}
	oneTime, err := u.a.Auth.ResetStaff(ctx, auth.System(), st.ID)
	if err != nil {
		return u.explain(err)
	}
	fmt.Fprintf(u.stdio.Out, "reset %s: authenticator removed, sessions ended\n", st.Username)
	fmt.Fprintf(u.stdio.Out, "one-time password: %s\n", oneTime)
	fmt.Fprintln(u.stdio.Out, "Give it to them privately. At next sign-in they choose a password and set up an authenticator app.")
	return nil
}

// requests lists the staff requests awaiting a second administrator.
func (u userCmd) requests(ctx context.Context) error {
	reqs, err := u.a.Auth.StaffRequests(ctx, auth.System())
	if err != nil {
		return err
	}
	staff, err := u.a.Auth.ListStaff(ctx, auth.System())
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, s := range staff {
		names[s.ID] = s.Username
	}
	tw := tabwriter.NewWriter(u.stdio.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST\tKIND\tUSERNAME\tROLE\tSITE\tASKED BY\tAT")
	for _, r := range reqs {
		site := r.SiteID
		if site == "" {
			site = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Username, r.Role, site, names[r.RequestedBy],
			r.RequestedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return tw.Flush()
}

// approve carries out a staff request as the system actor.
func (u userCmd) approve(ctx context.Context, id string) error {
	st, pw, err := u.a.Auth.ApproveStaffRequest(ctx, auth.System(), id)
	if errors.Is(err, errs.ErrNotFound) {
		return fmt.Errorf("no staff request %q ('cityid user requests' lists them)", id)
	}
	if err != nil {
		return u.explain(err)
	}
	fmt.Fprintf(u.stdio.Out, "approved %s: %s %s\n", id, st.Role, st.Username)
	if pw != "" {
		fmt.Fprintf(u.stdio.Out, "one-time password: %s\n", pw)
		fmt.Fprintln(u.stdio.Out, "Give it to them privately within a day. At first sign-in they choose a password and set up an authenticator app.")
	}
	return nil
}
