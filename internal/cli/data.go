package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/vault"
)

// dataFlags are the flags of every command that works on a data directory:
// --data, --db where the command opens the database, and where the master
// key comes from. Commands open the directory through open, the one path
// to app.Open.
type dataFlags struct {
	dir     *string
	db      *string // nil when the command takes no --db
	keyFile *string
	keyFD   *int
}

// Environment the master key may come from, set by the service manager.
const (
	// envMasterKeyFile names a key file outside the data directory, like
	// --master-key-file (systemd: Environment=).
	envMasterKeyFile = "CITYID_MASTER_KEY_FILE"
	// envCredentials is the directory where systemd puts a service's
	// credentials (LoadCredential=, LoadCredentialEncrypted=).
	envCredentials = "CREDENTIALS_DIRECTORY"
	// credentialName is the credential cityid reads from it.
	credentialName = "cityid-master-key"
)

// addDataFlags declares --data (with dirUsage, or "data directory"), the
// master-key flags and, withDB, --db on fs.
func addDataFlags(fs *flag.FlagSet, dirUsage string, withDB bool) dataFlags {
	if dirUsage == "" {
		dirUsage = "data directory"
	}
	d := dataFlags{dir: fs.String("data", "cityid-data", dirUsage)}
	if withDB {
		d.db = fs.String("db", "", "PostgreSQL URL (postgres://user@host/db) instead of SQLite in the data directory")
	}
	d.keyFile = fs.String("master-key-file", "", "the master key file, kept apart from the data directory (default: $"+envMasterKeyFile+
		", else the systemd credential "+credentialName+" in $"+envCredentials+", else DIR/master.key)")
	d.keyFD = fs.Int("master-key-fd", -1, "read the master key file from this open file descriptor (0 = standard input), e.g. piped from a secrets tool")
	return d
}

// keySource is where the master key comes from: --master-key-fd,
// --master-key-file or $CITYID_MASTER_KEY_FILE, the systemd credential, or
// (nil) the key file in the data directory. The key itself is never taken
// from an environment variable: a process's environment is copied to its
// children and readable in /proc by the same user.
func (d dataFlags) keySource() (vault.KeySource, error) {
	if d.keyFD != nil && *d.keyFD >= 0 {
		if d.keyFile != nil && *d.keyFile != "" {
			return nil, errors.New("--master-key-fd and --master-key-file: give one")
		}
		f := os.NewFile(uintptr(*d.keyFD), "master-key-fd")
		if f == nil {
			return nil, fmt.Errorf("--master-key-fd %d: not an open file descriptor", *d.keyFD)
		}
		return &vault.KeyStream{Name: "file descriptor " + strconv.Itoa(*d.keyFD), R: f}, nil
	}
	path := os.Getenv(envMasterKeyFile)
	if d.keyFile != nil && *d.keyFile != "" {
		path = *d.keyFile
	}
	if path != "" {
		return vault.KeyFile{Path: path}, nil
	}
	if dir := os.Getenv(envCredentials); dir != "" {
		p := filepath.Join(dir, credentialName)
		if _, err := os.Stat(p); err == nil {
			return vault.CredentialFile{Path: p}, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("master key credential: %w", err)
		}
	}
	return nil, nil
}

// options returns o naming the data directory, database and master key of the flags.
func (d dataFlags) options(o app.Options) (app.Options, error) {
	o.DataDir = *d.dir
	if d.db != nil {
		o.DBURL = *d.db
	}
	if o.MasterKey == nil {
		src, err := d.keySource()
		if err != nil {
			return o, err
		}
		o.MasterKey = src
	}
	return o, nil
}

// open opens the data directory the flags name (see app.Open).
func (d dataFlags) open(ctx context.Context, o app.Options) (*app.App, error) {
	o, err := d.options(o)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, o)
}
