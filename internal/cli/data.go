package cli

import (
	"context"
	"flag"

	"github.com/cityid/cityid/internal/app"
)

// dataFlags are the flags of every command that works on a data directory:
// --data, and --db where the command opens the database. Commands open the
// directory through open, the one path to app.Open.
type dataFlags struct {
	dir *string
	db  *string // nil when the command takes no --db
}

// addDataFlags declares --data (with dirUsage, or "data directory") and,
// withDB, --db on fs.
func addDataFlags(fs *flag.FlagSet, dirUsage string, withDB bool) dataFlags {
	if dirUsage == "" {
		dirUsage = "data directory"
	}
	d := dataFlags{dir: fs.String("data", "cityid-data", dirUsage)}
	if withDB {
		d.db = fs.String("db", "", "PostgreSQL URL (postgres://user@host/db) instead of SQLite in the data directory")
	}
	return d
}

// options returns o naming the data directory and database of the flags.
func (d dataFlags) options(o app.Options) app.Options {
	o.DataDir = *d.dir
	if d.db != nil {
		o.DBURL = *d.db
	}
	return o
}

// open opens the data directory the flags name (see app.Open).
func (d dataFlags) open(ctx context.Context, o app.Options) (*app.App, error) {
	return app.Open(ctx, d.options(o))
}
