package signing

import (
	"fmt"
	"io"
)

// Rekey re-seals every private key and the check value under u with a fresh
// salt and saves the keyring atomically. The master-key rotation calls it so
// the keyring follows the data directory's new master key; until Rekey
// returns, the file on disk still opens with the old secret.
func (k *Keyring) Rekey(rand io.Reader, u Unlock) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	plain := make([][]byte, len(k.doc.Keys))
	for i, ki := range k.doc.Keys {
		pt, err := k.open(ki.Sealed, ki.ID)
		if err != nil {
			return fmt.Errorf("signing: rekey: open key %s: %w", ki.ID, err)
		}
		plain[i] = pt
	}
	old := k.doc
	oldAEAD := k.aead
	salt := make([]byte, 16)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return fmt.Errorf("signing: salt: %w", err)
	}
	k.doc.Salt, k.doc.KDF = salt, u.kdf
	k.doc.Keys = append([]KeyInfo(nil), old.Keys...)
	restore := func(err error) error {
		k.doc, k.aead = old, oldAEAD
		return err
	}
	if err := k.initAEAD(u); err != nil {
		return restore(err)
	}
	var err error
	if k.doc.Check, err = k.seal(rand, []byte(checkText), "check"); err != nil {
		return restore(err)
	}
	for i := range k.doc.Keys {
		if k.doc.Keys[i].Sealed, err = k.seal(rand, plain[i], k.doc.Keys[i].ID); err != nil {
			return restore(err)
		}
		clear(plain[i])
	}
	if err := k.save(); err != nil {
		return restore(err)
	}
	return nil
}
