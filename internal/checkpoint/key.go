package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/cityid/cityid/internal/store"
	"github.com/cityid/cityid/internal/vault"
)

// metaKey names the meta row holding the checkpoint key.
//
// The key lives in the database's meta table, its private half sealed with
// a data key wrapped by the master key, rather than in a file of the data
// directory: several app servers on one PostgreSQL database must sign with
// the same key, and only the database is shared between them. Sealing it
// like personal data means a copy of the database alone cannot forge
// checkpoints, and a master-key rotation rewraps it with everything else
// (see Rewrap). The verifier key is public and stored in the clear, so
// `cityid audit verify` needs no secret.
const metaKey = "audit_checkpoint_key"

// keyRecord is the JSON stored under metaKey.
type keyRecord struct {
	Origin   string `json:"origin"`
	Verifier string `json:"verifier"` // note verifier key: <origin>+<hash>+<key>
	KEKID    string `json:"kek_id"`
	Wrapped  []byte `json:"wrapped"` // data key, wrapped by the master key
	Sealed   []byte `json:"sealed"`  // note signer key, sealed by the data key
}

func keyBinding() vault.Binding {
	return vault.Binding{Table: "meta", Column: "value", Row: metaKey}
}

// ErrNoKey means no checkpoint was ever signed: the key does not exist yet.
var ErrNoKey = errors.New("audit checkpoint key not created yet")

// Origin derives a log name from the issuer URL's host, e.g.
// "id.newhaven.gov/audit"; "cityid/audit" when there is none.
func Origin(issuerURL string) string {
	if u, err := url.Parse(issuerURL); err == nil && u.Hostname() != "" {
		return u.Hostname() + "/audit"
	}
	return "cityid/audit"
}

func validOrigin(o string) bool {
	return o != "" && !strings.ContainsAny(o, " \t\n+") && len(o) <= 200
}

// loadRecord reads the stored key record.
func loadRecord(ctx context.Context, db *store.DB) (keyRecord, error) {
	raw, err := db.Meta(ctx, metaKey)
	if errors.Is(err, store.ErrNotFound) {
		return keyRecord{}, ErrNoKey
	}
	if err != nil {
		return keyRecord{}, err
	}
	var rec keyRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return keyRecord{}, fmt.Errorf("audit checkpoint key record: %w", err)
	}
	return rec, nil
}

// Public is the public half of the log's checkpoint key.
type Public struct {
	Origin   string        // the log's name in every checkpoint
	Key      string        // note verifier key, "<origin>+<hash>+<base64 key>"
	Verifier note.Verifier // Key, parsed
}

// LoadPublic returns the log's origin and verifier key from the database;
// no secret is needed. ErrNoKey when no key exists yet.
func LoadPublic(ctx context.Context, db *store.DB) (Public, error) {
	rec, err := loadRecord(ctx, db)
	if err != nil {
		return Public{}, err
	}
	v, err := note.NewVerifier(rec.Verifier)
	if err != nil {
		return Public{}, fmt.Errorf("audit checkpoint verifier key: %w", err)
	}
	return Public{Origin: rec.Origin, Key: rec.Verifier, Verifier: v}, nil
}

// keyPair is an opened checkpoint key.
type keyPair struct {
	origin      string
	signer      note.Signer
	verifier    note.Verifier
	verifierKey string
}

// openOrCreateKey loads the key, creating it on first use. Two servers
// creating it at once agree on whichever record was stored first.
func openOrCreateKey(ctx context.Context, db *store.DB, v *vault.Vault, origin string, random io.Reader) (*keyPair, error) {
	rec, err := loadRecord(ctx, db)
	if errors.Is(err, ErrNoKey) {
		rec, err = createKey(ctx, db, v, origin, random)
	}
	if err != nil {
		return nil, err
	}
	dk, err := v.OpenDataKey(rec.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("audit checkpoint key: %w", err)
	}
	defer dk.Destroy()
	skey, err := dk.Open(keyBinding(), rec.Sealed)
	if err != nil {
		return nil, fmt.Errorf("audit checkpoint key: %w", err)
	}
	signer, err := note.NewSigner(string(skey))
	clear(skey)
	if err != nil {
		return nil, fmt.Errorf("audit checkpoint key: %w", err)
	}
	verifier, err := note.NewVerifier(rec.Verifier)
	if err != nil {
		return nil, fmt.Errorf("audit checkpoint verifier key: %w", err)
	}
	if verifier.KeyHash() != signer.KeyHash() || verifier.Name() != signer.Name() {
		return nil, errors.New("audit checkpoint key: the stored verifier key does not belong to the signing key")
	}
	return &keyPair{origin: rec.Origin, signer: signer, verifier: verifier, verifierKey: rec.Verifier}, nil
}

func createKey(ctx context.Context, db *store.DB, v *vault.Vault, origin string, random io.Reader) (keyRecord, error) {
	if !validOrigin(origin) {
		return keyRecord{}, fmt.Errorf("audit checkpoint origin %q: want a name without spaces or '+'", origin)
	}
	skey, vkey, err := note.GenerateKey(random, origin)
	if err != nil {
		return keyRecord{}, fmt.Errorf("generate audit checkpoint key: %w", err)
	}
	dk, wrapped, err := v.NewDataKey()
	if err != nil {
		return keyRecord{}, err
	}
	defer dk.Destroy()
	sealed, err := dk.Seal(keyBinding(), []byte(skey))
	if err != nil {
		return keyRecord{}, err
	}
	raw, err := json.Marshal(keyRecord{Origin: origin, Verifier: vkey, KEKID: v.KEKID(), Wrapped: wrapped, Sealed: sealed})
	if err != nil {
		return keyRecord{}, err
	}
	var stored []byte
	err = db.InTx(ctx, func(tx *store.Tx) error {
		stored, err = tx.SetMetaIfAbsent(ctx, metaKey, raw)
		return err
	})
	if err != nil {
		// On PostgreSQL two servers may both find the row absent; the
		// loser's insert fails and it uses the winner's key.
		if rec, lerr := loadRecord(ctx, db); lerr == nil {
			return rec, nil
		}
		return keyRecord{}, fmt.Errorf("store audit checkpoint key: %w", err)
	}
	var rec keyRecord
	if err := json.Unmarshal(stored, &rec); err != nil {
		return keyRecord{}, fmt.Errorf("audit checkpoint key record: %w", err)
	}
	return rec, nil
}

// Rewrap re-encrypts the checkpoint key's data key from the master key of
// from to the master key to, inside the rotation's transaction. It does
// nothing when no key exists yet.
func Rewrap(ctx context.Context, tx *store.Tx, db *store.DB, from *vault.Vault, to vault.KEK) error {
	rec, err := loadRecord(ctx, db)
	if errors.Is(err, ErrNoKey) {
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Wrapped, err = from.Rewrap(rec.Wrapped, to); err != nil {
		return fmt.Errorf("audit checkpoint key: %w", err)
	}
	rec.KEKID = to.ID()
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.SetMeta(ctx, metaKey, raw)
}
