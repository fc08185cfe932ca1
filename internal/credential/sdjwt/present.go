package sdjwt

import (
	"encoding/json"
	"fmt"
	"time"
)

// ParseCredential splits a credential as a wallet stores it and decodes its
// disclosures, without verifying anything: the holder's side, to choose what
// to present.
func ParseCredential(s string) (*Credential, error) {
	t, err := Split(s)
	if err != nil {
		return nil, err
	}
	c := &Credential{JWT: t.JWT}
	for _, enc := range t.Disclosures {
		d, err := ParseDisclosure(enc)
		if err != nil {
			return nil, err
		}
		c.Disclosures = append(c.Disclosures, d)
	}
	return c, nil
}

// KeyBind returns the presentation t with a key-binding JWT signed by the
// holder's key for verifier aud and its request nonce.
func KeyBind(t Token, holder Signer, aud, nonce string, iat time.Time) (string, error) {
	t.KB = ""
	body, err := json.Marshal(map[string]any{
		"iat":     iat.Unix(),
		"aud":     aud,
		"nonce":   nonce,
		"sd_hash": digest(t.withoutKB()),
	})
	if err != nil {
		return "", fmt.Errorf("sdjwt: key binding: %w", err)
	}
	kb, err := sign(holder, KBType, body)
	if err != nil {
		return "", err
	}
	t.KB = kb
	return t.String(), nil
}
