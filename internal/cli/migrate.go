package cli

import (
	"context"
	"fmt"

	"github.com/cityid/cityid/internal/store"
)

func cmdMigrate(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "migrate", "migrate [--data DIR] [--db URL]",
		"Create or upgrade the database schema. 'serve' does this too; run it alone before\n"+
			"starting several app servers against one PostgreSQL database.")
	dataDir := fs.String("data", "cityid-data", "data directory")
	dbURL := fs.String("db", "", "PostgreSQL URL instead of SQLite in the data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dsn := *dbURL
	if dsn == "" {
		dsn = sqlitePath(*dataDir)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.CurrentVersion(ctx)
	if err != nil {
		return err
	}
	applied, err := db.Migrate(ctx)
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
