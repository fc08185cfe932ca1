package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/credential/statuslist"
)

// cmdCard runs "cityid card issue|print|list|status-lists".
const cardUsage = `Issue, print and list ID cards, and export the signed status lists.

Usage:
  cityid card issue --as SUPERVISOR APPLICATION_ID...   turn approved applications into cards
  cityid card print --as SUPERVISOR [--queue N | CARD_ID...] --out FILE.pdf
                                                         one print-ready PDF (ID-1 pages or a proof sheet)
  cityid card list [--status STATUS]                     cards without personal data
  cityid card status-lists --out DIR                     the signed status lists (JWT and CWT) for static hosting

All take --data DIR (default cityid-data) and --db URL. Every action is audited as the
supervisor named by --as. 'cityid card SUBCOMMAND --help' lists a subcommand's flags.
`

func cmdCard(ctx context.Context, stdio IO, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprint(stdio.Err, cardUsage)
			return errUsage
		}
		fmt.Fprint(stdio.Out, cardUsage)
		return nil
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "issue":
		return cardIssue(ctx, stdio, rest)
	case "print":
		return cardPrint(ctx, stdio, rest)
	case "list":
		return cardList(ctx, stdio, rest)
	case "status-lists":
		return cardStatusLists(ctx, stdio, rest)
	}
	fmt.Fprintf(stdio.Err, "cityid card: unknown subcommand %q (issue, print, list or status-lists)\n", sub)
	return errUsage
}

// cardEnv is an opened data directory with its card service.
type cardEnv struct {
	app   *app.App
	cards *card.Service
}

// openCards parses the common flags plus fs's own and opens the data
// directory with its card service (the signing keyring is sealed under the
// master key; see internal/app).
func openCards(ctx context.Context, fs *flag.FlagSet, args []string) (*cardEnv, error) {
	data := addDataFlags(fs, "", true)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	a, err := data.open(ctx, app.Options{})
	if err != nil {
		return nil, err
	}
	if a.Cards == nil {
		a.Close()
		return nil, fmt.Errorf("%s has no signing keyring: run 'cityid keys rotate --data %s' or 'cityid serve' once", a.DataDir, a.DataDir)
	}
	return &cardEnv{app: a, cards: a.Cards}, nil
}

// actor resolves --as to an enabled staff member.
func (e *cardEnv) actor(ctx context.Context, username string) (auth.Actor, error) {
	if username == "" {
		return auth.Actor{}, errors.New("--as USERNAME is required: the staff member (a supervisor) the audit log records")
	}
	s, err := e.app.Auth.StaffByUsername(ctx, auth.System(), username)
	if err != nil {
		return auth.Actor{}, fmt.Errorf("--as %s: %w", username, err)
	}
	if s.Disabled {
		return auth.Actor{}, fmt.Errorf("--as %s: the account is disabled", username)
	}
	return auth.Actor{StaffID: s.ID, Username: s.Username, Role: s.Role, SiteID: s.SiteID}, nil
}

func cardIssue(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "card issue", "card issue --as USERNAME APPLICATION_ID...",
		"Issue cards for approved applications; they join the print queue.")
	as := fs.String("as", "", "supervisor username recorded in the audit log")
	e, err := openCards(ctx, fs, args)
	if err != nil {
		return err
	}
	defer e.app.Close()
	by, err := e.actor(ctx, *as)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("give at least one application id")
	}
	for _, id := range fs.Args() {
		c, err := e.cards.Issue(ctx, by, id)
		if err != nil {
			return fmt.Errorf("application %s: %w", id, err)
		}
		fmt.Fprintf(stdio.Out, "%s\t%s\tvalid %s to %s\n", c.ID, c.Number, c.IssuedOn, c.ExpiresOn)
	}
	return nil
}

func cardPrint(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "card print", "card print --as USERNAME [--proof] [--queue N | CARD_ID...] --out FILE.pdf",
		"Print cards into one PDF: ID-1 pages (front, back) for a card printer set to 300 dpi,\n"+
			"actual size, no scaling; or --proof for letter-size proof sheets (nothing is marked printed).")
	as := fs.String("as", "", "supervisor username recorded in the audit log")
	out := fs.String("out", "", "PDF file to write")
	proof := fs.Bool("proof", false, "letter-size proof sheets with crop marks")
	queue := fs.Int("queue", 0, "print the oldest N cards waiting in the print queue")
	e, err := openCards(ctx, fs, args)
	if err != nil {
		return err
	}
	defer e.app.Close()
	by, err := e.actor(ctx, *as)
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out FILE.pdf is required")
	}
	ids := fs.Args()
	if *queue > 0 {
		q, err := e.cards.Queue(ctx, *queue)
		if err != nil {
			return err
		}
		for _, c := range q {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return errors.New("nothing to print: give card ids or --queue N")
	}
	sheet := card.CardPages
	if *proof {
		sheet = card.ProofSheet
	}
	pdf, err := e.cards.Print(ctx, by, ids, sheet)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, pdf, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "wrote %d cards to %s\n", len(ids), *out)
	return nil
}

func cardList(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "card list", "card list [--queue] [--status S] [--limit N]",
		"List cards (no personal data): id, number, status, dates.")
	queue := fs.Bool("queue", false, "only cards waiting to be printed")
	status := fs.String("status", "", "only cards in this status (active, suspended, revoked, expired, replaced)")
	limit := fs.Int("limit", 50, "at most this many")
	e, err := openCards(ctx, fs, args)
	if err != nil {
		return err
	}
	defer e.app.Close()
	f := card.Filter{Unprinted: *queue, Limit: *limit}
	if *status != "" {
		f.Statuses = []card.Status{card.Status(*status)}
	}
	cards, err := e.cards.List(ctx, f)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdio.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNUMBER\tSTATUS\tKIND\tISSUED\tEXPIRES\tPRINTED\tHANDED OVER")
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(time.DateOnly)
	}
	for _, c := range cards {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Number, c.Status, c.Kind, c.IssuedOn, c.ExpiresOn, day(c.PrintedAt), day(c.HandedOverAt))
	}
	return tw.Flush()
}

// cardStatusLists writes every status list, signed, as static files
// (N.jwt and N.cwt) for a web server or CDN to serve at /status/N.
func cardStatusLists(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "card status-lists", "card status-lists --out DIR",
		"Write every signed status list as DIR/N.jwt and DIR/N.cwt, for static hosting.")
	dir := fs.String("out", "", "directory to write into")
	e, err := openCards(ctx, fs, args)
	if err != nil {
		return err
	}
	defer e.app.Close()
	if *dir == "" {
		return errors.New("--out DIR is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	ids, err := e.cards.StatusListIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		for ext, format := range map[string]string{"jwt": statuslist.JWTContentType, "cwt": statuslist.CWTType} {
			resp, err := e.cards.StatusList(ctx, id, format)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(*dir, id+"."+ext), resp.Body, 0o644); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(stdio.Out, "wrote %d status lists (%s) to %s\n", len(ids), strings.Join(ids, ", "), *dir)
	return nil
}
