package present

import (
	"crypto"
	"errors"
	"fmt"
	"time"

	"github.com/cityid/cityid/internal/credential/sdjwt"
	"github.com/cityid/cityid/internal/credential/signing"
)

// SDJWT is the Checker for the city's SD-JWT VC: issuer signatures by the
// program's published keys (the keyring's, as for the card QR), key
// binding required.
type SDJWT struct {
	// Keys returns the published key set (card.Service.PublishedKeys).
	Keys func() (*signing.KeySet, error)
}

// Check verifies one presentation for the request's nonce and client id.
func (c SDJWT) Check(presentation, nonce, audience string, at time.Time) (Checked, error) {
	keys, err := c.Keys()
	if err != nil {
		return Checked{}, fmt.Errorf("present: signing keys: %w", err)
	}
	lookup := func(kid string) (crypto.PublicKey, error) {
		k, ok := keys.Lookup(kid)
		if !ok {
			return nil, errors.New("not a key of this program")
		}
		return k.Public, nil
	}
	v, err := sdjwt.Verify(presentation, sdjwt.VerifyOptions{Keys: lookup, Now: at,
		KeyBinding: &sdjwt.KeyBindingCheck{Audience: audience, Nonce: nonce}})
	if err != nil {
		return Checked{}, &Refusal{Reason: refusalReason(err), Err: err}
	}
	if !v.KeyBound {
		return Checked{}, &Refusal{Reason: ReasonHolderKey, Err: errors.New("presentation not key-bound")}
	}
	out := Checked{Issuer: v.Issuer, VCT: v.VCT, Expires: v.Expires, Claims: v.Claims}
	if v.Status != nil {
		out.Status = &StatusRef{URI: v.Status.URI, Index: v.Status.Index}
	}
	return out, nil
}

// refusalReason names why sdjwt refused a presentation. The key-binding
// errors come first: a KB-JWT signed by another key also wraps
// sdjwt.ErrSignature.
func refusalReason(err error) string {
	for _, m := range []struct {
		err    error
		reason string
	}{
		{sdjwt.ErrKeyBinding, ReasonHolderKey},
		{sdjwt.ErrNonce, ReasonWrongNonce},
		{sdjwt.ErrAudience, ReasonWrongAudience},
		{sdjwt.ErrStale, ReasonStale},
		{sdjwt.ErrSDHash, ReasonSDHash},
		{sdjwt.ErrDisclosure, ReasonDisclosure},
		{sdjwt.ErrUnknownKey, ReasonUnknownIssuer},
		{sdjwt.ErrIssuer, ReasonUnknownIssuer},
		{sdjwt.ErrType, ReasonWrongType},
		{sdjwt.ErrSignature, ReasonBadSignature},
		{sdjwt.ErrAlgorithm, ReasonBadSignature},
		{sdjwt.ErrExpired, ReasonExpired},
		{sdjwt.ErrNotYetValid, ReasonNotYetValid},
	} {
		if errors.Is(err, m.err) {
			return m.reason
		}
	}
	return ReasonMalformed
}
