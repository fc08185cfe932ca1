package cli

import (
	"context"
	"fmt"

	"github.com/cityid/cityid/internal/app"
)

func cmdMigrate(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "migrate", "migrate [--data DIR] [--db URL]",
		"Create or upgrade the database schema. 'serve' does this too; run it alone before\n"+
			"starting several app servers against one PostgreSQL database.")
	data := addDataFlags(fs, "", true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o, err := data.options(app.Options{})
	if err != nil {
		return err
	}
	before, applied, err := app.Migrate(ctx, o)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdio.Out, "schema is up to date (version %d)\n", before)
		return nil
	}
	fmt.Fprintf(stdio.Out, "schema upgraded from version %d to %d\n", before, applied[len(applied)-1])
	return nil
}
