package cli

import (
	"context"
	"fmt"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/auth"
)

// cmdRotatePacket makes a new field-station packet key (docs/field.md).
func cmdRotatePacket(ctx context.Context, stdio IO, args []string) error {
	fs := newFlagSet(stdio, "keys rotate-packet", "keys rotate-packet [--data DIR] [--db URL]",
		"Make a new key for field stations to seal packets to. Stations fetch it at their next sync;\n"+
			"the old private key is kept for field.retired_key_days (default 365) so packets sealed to it\n"+
			"before then still import. Audited as field.key.rotate.")
	data := addDataFlags(fs, "", true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	a, err := data.open(ctx, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	k, err := a.Field.RotateKey(ctx, auth.System())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "new field packet key %s; stations fetch it at their next sync\n", k.ID)
	return nil
}
