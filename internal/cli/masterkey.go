package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/credential/hsm"
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

func cmdWrapMaster(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "keys wrap-master", "keys wrap-master [--data DIR] [--db URL] [--master-key-file PATH]",
		"Wrap the master key by the PKCS#11 token that holds the card signing keys, and remove the plain\n"+
			"key file, so a copy of the data directory opens nothing without the token and its PIN.\n\n"+
			"Needs a binary built with -tags pkcs11 and the token in the environment: "+hsm.EnvModule+",\n"+
			hsm.EnvToken+", and the PIN in a file ("+hsm.EnvPINFile+", or the systemd credential\n"+
			hsm.PINCredential+"); "+hsm.EnvWrapKey+" names the token's AES key (default "+hsm.DefaultWrapKey+"),\n"+
			"generated on the token, not extractable, when missing. The key is checked against the database,\n"+
			"written wrapped as PATH.wrapped (DIR/master.key.wrapped), read back through the token, and only\n"+
			"then is PATH removed: interrupt it anywhere and run it again. Every command then unwraps the key\n"+
			"through the token at start. Run it again with a new "+hsm.EnvWrapKey+" to move the wrapped key\n"+
			"to a new token key. Keep an offline copy of the plain key file (the key custodian's backup)\n"+
			"before you run it: without it, losing the token loses every sealed field.")
	data := addDataFlags(fs, "", true)
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
	st, err := app.WrapMasterKey(ctx, o)
	if err != nil {
		return err
	}
	if st.Removed != "" {
		fmt.Fprintf(stdio.Out, "master key wrapped by token key %q into %s; %s removed\n", st.To, st.Wrapped, st.Removed)
	} else {
		fmt.Fprintf(stdio.Out, "%s wrapped again: token key %q → %q; delete the old token key once no backup of the wrapped file needs it\n", st.Wrapped, st.From, st.To)
	}
	return json.NewEncoder(stdio.Out).Encode(st)
}
