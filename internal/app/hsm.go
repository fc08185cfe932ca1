package app

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cityid/cityid/internal/card"
	"github.com/cityid/cityid/internal/credential/cose"
	"github.com/cityid/cityid/internal/credential/hsm"
	"github.com/cityid/cityid/internal/credential/signing"
)

// EnvPKCS11Key names the token key that signs cards when an HSM is configured
// (hsm.EnvModule, hsm.EnvToken, hsm.EnvPIN); default "cityid-card-signing".
// EnvPKCS11Retired lists, comma-separated, earlier token keys whose cards
// are still valid: they are published (to verify) but sign nothing.
const (
	EnvPKCS11Key     = "CITYID_PKCS11_KEY"
	EnvPKCS11Retired = "CITYID_PKCS11_RETIRED_KEYS"
)

// hsmKeyring signs new cards with a key that never leaves the HSM, and
// publishes it beside the file keyring's keys, which keep verifying the
// cards they signed until those expire.
type hsmKeyring struct {
	signer  signing.Signer
	retired []signing.Signer // earlier token keys, published only
	file    *signing.Keyring
}

func (k hsmKeyring) Active() (signing.Signer, error) { return k.signer, nil }

func (k hsmKeyring) Published() (*signing.KeySet, error) {
	set, err := k.file.Published()
	if err != nil {
		return nil, err
	}
	var keys []cose.Key
	seen := map[string]bool{}
	for _, s := range append([]signing.Signer{k.signer}, k.retired...) {
		if !seen[s.KeyID()] {
			seen[s.KeyID()] = true
			keys = append(keys, cose.Key{ID: s.KeyID(), Alg: s.Algorithm(), Public: s.Public()})
		}
	}
	for _, key := range set.Keys() {
		if !seen[key.ID] {
			keys = append(keys, key)
		}
	}
	return signing.NewKeySet(keys...)
}

// openHSM returns the card keyring backed by a PKCS#11 token when the
// environment configures one, or nil when it does not. The binary must be
// built with -tags pkcs11 (cgo) for this; otherwise a configured HSM is an
// error rather than a silent fall-back to file keys.
func (a *App) openHSM(file *signing.Keyring, create bool) (card.Keyring, error) {
	cfg, err := hsm.ConfigFromEnv(os.Getenv)
	if errors.Is(err, hsm.ErrNotConfigured) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ctx, err := hsm.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("HSM: %w", err)
	}
	label := os.Getenv(EnvPKCS11Key)
	if label == "" {
		label = "cityid-card-signing"
	}
	s, err := ctx.Signer(label)
	if errors.Is(err, hsm.ErrNotFound) && create {
		s, err = ctx.Generate(label)
		if err == nil {
			a.Log.Info("generated the card signing key on the HSM", "label", label)
		}
	}
	if err != nil {
		ctx.Close()
		return nil, fmt.Errorf("HSM key %q: %w", label, err)
	}
	var retired []signing.Signer
	for _, l := range strings.Split(os.Getenv(EnvPKCS11Retired), ",") {
		if l = strings.TrimSpace(l); l == "" || l == label {
			continue
		}
		r, err := ctx.Signer(l)
		if err != nil {
			ctx.Close()
			return nil, fmt.Errorf("HSM retired key %q (%s): %w", l, EnvPKCS11Retired, err)
		}
		retired = append(retired, r)
	}
	a.hsm = ctx
	return hsmKeyring{signer: s, retired: retired, file: file}, nil
}
