package cose

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
)

type encrypt0Array struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected header
	Ciphertext  []byte
}

// encStructure builds the RFC 9052 Enc_structure for COSE_Encrypt0 with empty external AAD.
func encStructure(protected []byte) []byte {
	b := append([]byte{0x83, 0x68}, "Encrypt0"...)
	b = appendBytes(b, protected)
	return append(b, 0x40)
}

// Decrypt0 decrypts untagged COSE_Encrypt0 content (see Unwrap) with an AES-GCM key.
func Decrypt0(content, key []byte) ([]byte, error) {
	var a encrypt0Array
	if err := DecMode.Unmarshal(content, &a); err != nil {
		return nil, fmt.Errorf("%w: COSE_Encrypt0: %v", ErrNotCOSE, err)
	}
	ph, err := decodeHeader(a.Protected, "protected")
	if err != nil {
		return nil, err
	}
	alg, ok, err := ph.alg()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: COSE_Encrypt0 without a protected alg", ErrAlgorithm)
	}
	want := map[int64]int{AlgA128GCM: 16, AlgA256GCM: 32}[alg]
	if want == 0 {
		return nil, fmt.Errorf("%w: encryption alg %d", ErrAlgorithm, alg)
	}
	if len(key) != want {
		return nil, fmt.Errorf("%w: key is %d bytes, alg needs %d", ErrDecrypt, len(key), want)
	}
	iv := a.Unprotected.IV
	if iv == nil {
		iv = ph.IV
	}
	if len(iv) != 12 {
		return nil, fmt.Errorf("%w: IV is %d bytes, want 12", ErrNotCOSE, len(iv))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	pt, err := gcm.Open(nil, iv, a.Ciphertext, encStructure(a.Protected))
	if err != nil {
		return nil, fmt.Errorf("%w: wrong key or tampered ciphertext", ErrDecrypt)
	}
	return pt, nil
}

// Encrypt0 returns a tagged COSE_Encrypt0 of plaintext under an AES-256-GCM key
// with a random IV. Cards are not encrypted (a verifier must read them offline);
// this exists so the decoder can be tested against our own encryptions too.
func Encrypt0(rand io.Reader, key, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("cose: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("cose: %w", err)
	}
	alg := int64(AlgA128GCM)
	if len(key) == 32 {
		alg = AlgA256GCM
	}
	iv := make([]byte, 12)
	if _, err := io.ReadFull(rand, iv); err != nil {
		return nil, fmt.Errorf("cose: IV: %w", err)
	}
	prot, err := EncMode.Marshal(header{Alg: mustInt(alg)})
	if err != nil {
		return nil, fmt.Errorf("cose: %w", err)
	}
	ct := gcm.Seal(nil, iv, plaintext, encStructure(prot))
	out := appendHead(nil, 6, TagEncrypt0)
	out = appendHead(out, 4, 3)
	out = appendBytes(out, prot)
	unprot, err := EncMode.Marshal(header{IV: iv})
	if err != nil {
		return nil, fmt.Errorf("cose: %w", err)
	}
	out = append(out, unprot...)
	return appendBytes(out, ct), nil
}

func mustInt(v int64) cbor.RawMessage {
	b, err := EncMode.Marshal(v)
	if err != nil {
		panic(err) // encoding an int64 cannot fail
	}
	return b
}
