package claim169

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

	"github.com/cityid/cityid/internal/credential/cose"
)

// Signer is what Encode needs; *signing.Signer values implement it.
type Signer = cose.Signer

// CWT claim keys (RFC 8392, IANA CWT registry, draft-ietf-oauth-status-list).
const (
	cwtIss      = 1
	cwtSub      = 2
	cwtExp      = 4
	cwtNbf      = 5
	cwtIat      = 6
	cwtClaim169 = 169
	cwtStatus   = 65535
)

// Encode builds the signed QR payload: the claims as claim 169 inside a CWT with
// meta's claims, signed as COSE_Sign1 by signer with randomness from random
// (crypto/rand.Reader in production; injected so tests and HSMs choose),
// zlib-compressed, Base45-encoded.
func Encode(claims Claims, meta Meta, signer Signer, random io.Reader) (string, error) {
	if claims.ID == "" || (claims.FullName == "" && claims.FirstName == "" && claims.LastName == "") {
		return "", errors.New("claim169: claims need an id and a name")
	}
	if meta.IssuedAt.IsZero() || meta.ExpiresAt.IsZero() || !meta.ExpiresAt.After(meta.IssuedAt) {
		return "", errors.New("claim169: meta needs an issue time and a later expiry")
	}
	cwt := map[int64]any{
		cwtIat:      meta.IssuedAt.Unix(),
		cwtExp:      meta.ExpiresAt.Unix(),
		cwtClaim169: claims.claimMapCBOR(),
	}
	if meta.Issuer != "" {
		cwt[cwtIss] = meta.Issuer
	}
	if meta.Subject != "" {
		cwt[cwtSub] = meta.Subject
	}
	if !meta.NotBefore.IsZero() {
		cwt[cwtNbf] = meta.NotBefore.Unix()
	}
	if s := meta.Status; s != nil {
		if s.URI == "" || s.Index < 0 {
			return "", errors.New("claim169: status reference needs a uri and a non-negative index")
		}
		cwt[cwtStatus] = map[string]any{"status_list": map[string]any{"idx": s.Index, "uri": s.URI}}
	}
	payload, err := cose.EncMode.Marshal(cwt)
	if err != nil {
		return "", fmt.Errorf("claim169: encode CWT: %w", err)
	}
	signed, err := cose.Sign1(random, signer, payload)
	if err != nil {
		return "", err
	}
	return Base45Encode(deflate(signed)), nil
}

// deflate zlib-compresses b at the best compression level: QR capacity is
// the scarce resource, not CPU.
func deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		panic(err) // only for an invalid level, which is a constant here
	}
	zw.Write(b) // writes to a bytes.Buffer do not fail
	zw.Close()
	return buf.Bytes()
}
