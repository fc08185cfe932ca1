package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/masterkey"
	"github.com/cityid/cityid/internal/vault"
)

func cmdRotateMaster(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "keys rotate-master", "keys rotate-master [--data DIR] [--db URL] [--batch N]",
		"Rewrap every data key under a new master key, without re-encrypting any data.\n\n"+
			"Stop 'cityid serve' first. The new key is written beside the key file (DIR/master.key,\n"+
			"or --master-key-file PATH) as .new; data keys are rewrapped in batches (interrupt and\n"+
			"run again to resume); at the end the key file holds the new key and the previous one is\n"+
			"kept beside it as .old. Back up the new key,\n"+
			"then delete master.key.old (together with backups made before the rotation, which it\n"+
			"still opens).")
	data := addDataFlags(fs, "", true)
	batch := fs.Int("batch", 1000, "data keys per transaction")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	o, err := data.options(app.Options{})
	if err != nil {
		return err
	}
	var prog *meter
	st, err := app.RotateMasterKey(ctx, o, masterkey.Options{Batch: *batch,
		Progress: func(done, total int) {
			if prog == nil {
				prog = newMeter(stdio.Err, "rewrapping data keys", int64(total))
			}
			prog.Set(int64(done))
		}})
	if prog != nil {
		prog.Done()
	}
	if err != nil {
		return err
	}
	keys := o.KeySource()
	old := "the previous master key"
	if r, ok := keys.(vault.KeyRotator); ok {
		old, _ = r.Retired()
	}
	fmt.Fprintf(stdio.Out, "master key rotated to %s: %d data keys rewrapped (%d in earlier interrupted runs)\n",
		st.NewKEK, st.Rewrapped, st.Before)
	fmt.Fprintf(stdio.Out, "back up %s now; then delete %s (and backups made before the rotation)\n", keys, old)
	return json.NewEncoder(stdio.Out).Encode(st)
}
