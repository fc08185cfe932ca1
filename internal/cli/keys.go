package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/cityid/cityid/internal/app"
	"github.com/cityid/cityid/internal/credential/signing"
	"github.com/cityid/cityid/internal/masterkey"
)

// cardYears is how long a card is valid (FACTS: 5 years), so how long a
// retired key must stay published.
const cardYears = 5

func cmdKeys(ctx context.Context, stdio IO, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "rotate-master":
		return cmdRotateMaster(ctx, stdio, args)
	case "wrap-master":
		return cmdWrapMaster(ctx, stdio, args)
	case "rotate-packet":
		return cmdRotatePacket(ctx, stdio, args)
	}
	fs := newFlagSet(stdio, "keys "+sub, "keys list|rotate|export-public|rotate-master|wrap-master|rotate-packet [--data DIR] [flags]",
		"Manage the credential signing keys: list them, rotate to a new active key, export the public key set.\n"+
			"'keys rotate-master' rewraps every person's data key under a new master key (see its --help).\n"+
			"'keys wrap-master' moves the master key onto the PKCS#11 token (see its --help).\n"+
			"'keys rotate-packet' makes a new key for field stations' packets (see its --help).")
	data := addDataFlags(fs, "", false)
	passEnv := fs.String("passphrase-env", "", "unlock the keyring with the passphrase in this environment variable instead of DIR/master.key")
	alg := fs.String("alg", signing.ES256, "rotate: algorithm of the new key (ES256 or EdDSA)")
	asCOSE := fs.Bool("cose", false, "export-public: write the COSE key set (CBOR) instead of the JWK set")
	out := fs.String("out", "", "export-public: write to this file instead of standard output")
	if sub != "list" && sub != "rotate" && sub != "export-public" {
		if sub == "-h" || sub == "--help" || sub == "help" {
			fs.Usage()
			return nil
		}
		fs.Usage()
		return errUsage
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	path := filepath.Join(*data.dir, signing.KeyringFile)
	switch sub {
	case "export-public":
		// Public keys need no secret: they are stored in the clear.
		set, err := signing.LoadPublished(path, time.Now())
		if err != nil {
			return err
		}
		var b []byte
		if *asCOSE {
			b, err = set.MarshalCOSE()
		} else {
			b, err = set.MarshalJWKS()
			b = append(b, '\n')
		}
		if err != nil {
			return err
		}
		if *out != "" {
			return os.WriteFile(*out, b, 0o644)
		}
		_, err = stdio.Out.Write(b)
		return err
	case "list":
		set, err := signing.LoadKeyInfo(path)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY ID\tALG\tCREATED\tSTATE\tPUBLISHED UNTIL")
		now := time.Now()
		for _, k := range set {
			state, until := "active", "-"
			if !k.RetiredAt.IsZero() {
				state, until = "retired", k.VerifyUntil.Format(time.DateOnly)
				if !now.Before(k.VerifyUntil) {
					state = "expired"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Alg, k.Created.Format(time.DateOnly), state, until)
		}
		return tw.Flush()
	}
	o, err := data.options(app.Options{})
	if err != nil {
		return err
	}
	unlock, err := keyringUnlock(o, *passEnv)
	if err != nil {
		return err
	}
	kr, err := signing.OpenKeyring(path, unlock, rand.Reader, time.Now)
	if err != nil {
		return err
	}
	now := time.Now()
	k, err := kr.Rotate(rand.Reader, *alg, now.AddDate(cardYears, 0, 0).Sub(now))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "new active signing key %s (%s); earlier keys stay published until their cards expire\n", k.ID, k.Alg)
	fmt.Fprintln(stdio.Out, "republish the public keys: cityid keys export-public")
	return nil
}

// keyringUnlock returns how to unlock the signing keyring of the data
// directory o names: a passphrase from the named environment variable, or
// a key derived from the master key (app.Options.KeySource), under which
// the signing keys are sealed.
func keyringUnlock(o app.Options, passEnv string) (signing.Unlock, error) {
	if passEnv != "" {
		p := os.Getenv(passEnv)
		if p == "" {
			return signing.Unlock{}, fmt.Errorf("environment variable %s is empty or unset", passEnv)
		}
		return signing.Passphrase([]byte(p)), nil
	}
	src := o.KeySource()
	keys, err := src.LoadKeys()
	if errors.Is(err, fs.ErrNotExist) {
		return signing.Unlock{}, fmt.Errorf("no master key at %s (run 'cityid serve' once, or pass --passphrase-env)", src)
	}
	if err != nil {
		return signing.Unlock{}, fmt.Errorf("master key: %w", err)
	}
	return masterkey.KeyringUnlock(keys)
}
