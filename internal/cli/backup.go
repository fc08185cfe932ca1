package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/backup"
	"github.com/cityid/cityid/internal/config"
)

// backupKeys opens the data directory's backup key file with the periods
// the settings give.
func backupKeys(dataDir string, s config.Backup) (*backup.Keys, error) {
	return backup.OpenKeys(filepath.Join(dataDir, backup.KeysFile), backup.Periods{KeyDays: s.KeyDays, KeepDays: s.KeepDays})
}

// openWithBackupKeys opens the data directory the flags name and its
// backup key file.
func openWithBackupKeys(ctx context.Context, data dataFlags) (*app.App, *backup.Keys, error) {
	a, err := data.open(ctx, app.Options{})
	if err != nil {
		return nil, nil, err
	}
	keys, err := backupKeys(a.DataDir, a.Settings.Backup)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, keys, nil
}

func cmdBackup(ctx context.Context, stdio IO, args []string) error {
	if len(args) > 0 && args[0] == "keys" {
		return cmdBackupKeys(ctx, stdio, args[1:])
	}
	fs := newFlagSet(stdio, "backup", "backup --out FILE [--data DIR] [--db URL]\n       cityid backup keys [--data DIR]",
		"Write an encrypted, verified backup of the database, the settings and the sealed signing keys.\n\n"+
			"SQLite is copied with VACUUM INTO while the server runs; PostgreSQL is dumped table by table\n"+
			"from one snapshot (no pg_dump needed). The file is encrypted (age, X25519) to the key of the\n"+
			"current period, kept in backup-keys.json in the data directory; the key is destroyed\n"+
			"[backup] keep_days after its period ends, and its backups can no longer be opened. The\n"+
			"master key is never in a backup. The backup is read back and checked before it is named.\n"+
			"'cityid backup keys' lists the keys and when each is destroyed.")
	data := addDataFlags(fs, "data directory (holds backup-keys.json)", true)
	out := fs.String("out", "", "file to write (must not exist)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(stdio.Err, "cityid backup: --out FILE is required")
		return errUsage
	}
	a, keys, err := openWithBackupKeys(ctx, data)
	if err != nil {
		return err
	}
	defer a.Close()
	prog := &stagedMeter{w: stdio.Err}
	start := time.Now()
	m, err := backup.Make(ctx, backup.Source{DataDir: a.DataDir, DB: a.DB, Keys: keys, Now: a.Now, Log: a.Log, Progress: prog.set}, *out)
	prog.done()
	if err != nil {
		return err
	}
	rows := 0
	for _, n := range m.Rows {
		rows += n
	}
	fmt.Fprintf(stdio.Out, "backup %s written and verified in %.1fs: %s database, %d rows, %d audit events, key of period %s\n",
		*out, time.Since(start).Seconds(), m.Dialect, rows, m.AuditEvents, m.Period)
	for _, k := range keys.List() {
		if k.Period == m.Period {
			fmt.Fprintf(stdio.Out, "it can be opened until %s, when its key is destroyed\n", k.DestroyAfter.Format(time.RFC3339))
		}
	}
	return json.NewEncoder(stdio.Out).Encode(m)
}

func cmdBackupKeys(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "backup keys", "backup keys [--data DIR] [--db URL]",
		"List the backup keys (periods, when each is destroyed) and destroy those that are due.")
	data := addDataFlags(fs, "", true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, keys, err := openWithBackupKeys(ctx, data)
	if err != nil {
		return err
	}
	defer a.Close()
	gone, err := backup.ExpireKeys(ctx, a.DB, keys, a.Now())
	if err != nil {
		return err
	}
	for _, p := range gone {
		fmt.Fprintf(stdio.Out, "destroyed the key of period %s: its backups can no longer be opened\n", p)
	}
	for _, k := range keys.List() {
		fmt.Fprintf(stdio.Out, "period %s (%s to %s): destroyed after %s\n", k.Period, k.Start.Format(time.DateOnly),
			k.End.Format(time.DateOnly), k.DestroyAfter.Format(time.RFC3339))
	}
	return nil
}

func cmdRestore(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "restore", "restore --in FILE [--data DIR] [--db URL] [--force]",
		"Bring a backup back into an empty data directory or database, then check the audit chain and\n"+
			"every card. The data directory must already hold master.key and backup-keys.json (from\n"+
			"your key custodian: backups never hold them). The whole backup is decrypted and checked\n"+
			"before anything is written; a backup with a wrong key, cut short or altered is refused and\n"+
			"nothing is changed. A database that holds data is never replaced without --force (stop\n"+
			"cityid serve first).")
	data := addDataFlags(fs, "data directory to restore into", true)
	in := fs.String("in", "", "backup file")
	force := fs.Bool("force", false, "replace a database that holds data (and settings or signing keys that differ)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || fs.NArg() != 0 {
		fmt.Fprintln(stdio.Err, "cityid restore: --in FILE is required")
		return errUsage
	}
	o, err := data.options(app.Options{})
	if err != nil {
		return err
	}
	dataDir, dbURL := &o.DataDir, &o.DBURL
	s := config.Default().Backup
	if st, err := config.Load(filepath.Join(*dataDir, app.SettingsFile)); err == nil {
		s = st.Backup
	}
	keys, err := backupKeys(*dataDir, s)
	if err != nil {
		return err
	}
	prog := &stagedMeter{w: stdio.Err}
	m, err := backup.Restore(ctx, *in, backup.Target{DataDir: *dataDir, DBURL: *dbURL, Keys: keys, MasterKey: o.KeySource(), Force: *force, Progress: prog.set})
	prog.done()
	switch {
	case errors.Is(err, backup.ErrKeyDestroyed):
		return fmt.Errorf("%w: the backup is past its retention and can no longer be opened (this is what makes purges reach backups)", err)
	case err != nil:
		return fmt.Errorf("%w; nothing was restored", err)
	}
	a, err := app.Open(ctx, o)
	if err != nil {
		return fmt.Errorf("open the restored system: %w", err)
	}
	defer a.Close()
	cm := newMeter(stdio.Err, "checking the audit log", int64(m.AuditEvents))
	rep, err := backup.Check(ctx, a, m, cm.Set)
	cm.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "restored the backup of %s (period %s): %d audit events and %d checkpoints verified, %d cards checked against %d status lists\n",
		m.CreatedAt.Format(time.RFC3339), m.Period, rep.AuditEvents, rep.Checkpoints, rep.Cards.Cards, rep.Cards.Lists)
	if !rep.OK() {
		for _, p := range rep.Problems {
			fmt.Fprintln(stdio.Out, "PROBLEM:", p)
		}
		return exitError{code: 1}
	}
	fmt.Fprintln(stdio.Out, "all checks passed")
	return nil
}
