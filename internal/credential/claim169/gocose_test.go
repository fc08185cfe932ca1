package claim169

// The evaluation of github.com/veraison/go-cose against our COSE code
// (docs/credentials.md, "COSE: ours or a library"): the conformance
// vectors, signatures made by one read by the other, and a differential
// fuzz target that holds the two to the same verdict.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"testing"

	"github.com/fxamacker/cbor/v2"
	gocose "github.com/veraison/go-cose"

	"github.com/cityid/cityid/internal/credential/cose"
	"github.com/cityid/cityid/internal/credential/signing"
)

// libSigner adapts our signing.Signer (HSM-capable, randomness injected) to
// go-cose's Signer: both sign the whole Sig_structure and return r||s.
type libSigner struct{ s signing.Signer }

func (l libSigner) Algorithm() gocose.Algorithm {
	if l.s.Algorithm() == signing.EdDSA {
		return gocose.AlgorithmEdDSA
	}
	return gocose.AlgorithmES256
}

func (l libSigner) Sign(rand io.Reader, content []byte) ([]byte, error) {
	return l.s.Sign(rand, content)
}

func libVerifier(t testing.TB, pub any) gocose.Verifier {
	t.Helper()
	alg := gocose.AlgorithmES256
	if _, ok := pub.(ed25519.PublicKey); ok {
		alg = gocose.AlgorithmEdDSA
	}
	v, err := gocose.NewVerifier(alg, pub)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// libVerify checks untagged COSE_Sign1 content with go-cose.
func libVerify(t testing.TB, content []byte, pub any) error {
	var m gocose.UntaggedSign1Message
	if err := m.UnmarshalCBOR(content); err != nil {
		return err
	}
	return m.Verify(nil, libVerifier(t, pub))
}

// ourVerify checks untagged COSE_Sign1 content with internal/credential/cose.
func ourVerify(content []byte, pub any) error {
	m, err := cose.ParseSign1(content)
	if err != nil {
		return err
	}
	return m.Verify(pub)
}

// coseOf returns the COSE structure a QR payload carries.
func coseOf(t testing.TB, qr string) (uint64, []byte, error) {
	t.Helper()
	z, err := Base45Decode(qr)
	if err != nil {
		return 0, nil, err
	}
	data, err := inflate(z, 0)
	if err != nil {
		return 0, nil, err
	}
	return cose.Unwrap(data)
}

// TestGoCOSEVectors: go-cose verifies every signed, unencrypted vector we
// verify and refuses what we refuse. It has no COSE_Encrypt0, so the
// encrypted vectors stay with ours (logged, not failed).
func TestGoCOSEVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Category+"/"+v.Name, func(t *testing.T) {
			tag, content, err := coseOf(t, v.QR)
			if err != nil {
				if v.ExpectedError == "" {
					t.Fatalf("vector does not unwrap: %v", err)
				}
				return // Base45/zlib/tag errors: before any COSE library is asked
			}
			if tag == cose.TagEncrypt0 {
				t.Logf("COSE_Encrypt0: go-cose v1.3.0 has no Encrypt0; internal/credential/cose decrypts it")
				return
			}
			if v.SigningKey == nil {
				// Unsigned (an empty signature): ours parses it, so Decode with
				// SkipVerify can show what such a test credential says, and
				// refuses it when verifying; go-cose refuses to parse it at all.
				var m gocose.UntaggedSign1Message
				libErr := m.UnmarshalCBOR(content)
				msg, ourErr := cose.ParseSign1(content)
				if v.ExpectedError != "" {
					if libErr == nil || ourErr == nil && v.ExpectedError == "CoseParse" {
						t.Fatalf("parse of an invalid vector: go-cose %v, ours %v", libErr, ourErr)
					}
					return
				}
				if ourErr != nil || len(msg.Signature) != 0 {
					t.Fatalf("ours: ParseSign1 = %v, signature %d bytes; want an unsigned message", ourErr, len(msg.Signature))
				}
				if libErr == nil {
					t.Fatalf("go-cose parsed an unsigned COSE_Sign1; the docs say it cannot")
				}
				return
			}
			pub := v.keySet(t).Keys()[0].Public
			if err := libVerify(t, content, pub); err != nil {
				t.Errorf("go-cose Verify = %v, want nil", err)
			}
			if err := ourVerify(content, pub); err != nil {
				t.Errorf("ours Verify = %v, want nil", err)
			}
		})
	}
}

// TestGoCOSEInterop: a COSE_Sign1 made by cose.Sign1 (which signs with
// go-cose) and one made by calling go-cose directly are verified by both
// verifiers; with Ed25519 (deterministic) the bytes are equal. That the
// bytes are those the hand-written encoder made is TestSign1Bytes's check
// in internal/credential/cose.
func TestGoCOSEInterop(t *testing.T) {
	payload := []byte{0xa1, 0x01, 0x63, 'c', 'i', 't'}
	for _, alg := range []string{signing.ES256, signing.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			s := testSigner(t, alg)
			ours, err := cose.Sign1(rand.Reader, s, payload)
			if err != nil {
				t.Fatal(err)
			}
			hdr := gocose.Headers{Protected: gocose.ProtectedHeader{
				gocose.HeaderLabelAlgorithm: libSigner{s}.Algorithm(),
				gocose.HeaderLabelKeyID:     []byte(s.KeyID()),
			}}
			lib, err := gocose.Sign1(rand.Reader, libSigner{s}, hdr, payload, nil)
			if err != nil {
				t.Fatal(err)
			}
			for name, msg := range map[string][]byte{"ours": ours, "go-cose": lib} {
				tag, content, err := cose.Unwrap(msg)
				if err != nil || tag != cose.TagSign1 {
					t.Fatalf("%s: Unwrap = %d, %v", name, tag, err)
				}
				if err := ourVerify(content, s.Public()); err != nil {
					t.Errorf("%s signed, ours verifies: %v", name, err)
				}
				if err := libVerify(t, content, s.Public()); err != nil {
					t.Errorf("%s signed, go-cose verifies: %v", name, err)
				}
			}
			if alg == signing.EdDSA && !bytes.Equal(ours, lib) {
				t.Errorf("Ed25519 COSE_Sign1 bytes differ:\nours    %x\ngo-cose %x", ours, lib)
			}
		})
	}
}

// FuzzGoCOSEAgree mutates signed COSE_Sign1 messages: go-cose and ours must
// give the same verdict (both verify, or both refuse). Where go-cose is
// stricter by design the difference is named (allowedDifference).
func FuzzGoCOSEAgree(f *testing.F) {
	es := testSigner(f, signing.ES256)
	ed := testSigner(f, signing.EdDSA)
	for _, s := range []signing.Signer{es, ed} {
		msg, err := cose.Sign1(rand.Reader, s, []byte{0xa1, 0x01, 0x63, 'c', 'i', 't'})
		if err != nil {
			f.Fatal(err)
		}
		_, content, _ := cose.Unwrap(msg)
		f.Add(content, s == ed)
	}
	f.Fuzz(func(t *testing.T, content []byte, useEd bool) {
		var pub any = es.Public().(*ecdsa.PublicKey)
		if useEd {
			pub = ed.Public()
		}
		ourErr := ourVerify(content, pub)
		libErr := libVerify(t, content, pub)
		if (ourErr == nil) == (libErr == nil) {
			return
		}
		if why := allowedDifference(content, ourErr, libErr); why != "" {
			return
		}
		t.Fatalf("verdicts differ on %x: ours %v, go-cose %v", content, ourErr, libErr)
	})
}

// allowedDifference names a known, accepted difference, or returns "".
// go-cose forbids indefinite-length CBOR anywhere; ours accepts it (RFC
// 9052 does not forbid it for a message one only verifies).
func allowedDifference(content []byte, ourErr, libErr error) string {
	if ourErr == nil && libErr != nil && noIndefinite.Wellformed(content) != nil && cose.DecMode.Wellformed(content) == nil {
		return "indefinite-length CBOR"
	}
	return ""
}

var noIndefinite = func() cbor.DecMode {
	dm, err := cbor.DecOptions{IndefLength: cbor.IndefLengthForbidden}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// TestGoCOSEStrictness: hand-made changes to the unprotected header (which
// the signature does not cover) and to the message's shape, each with the
// verdict of both.
func TestGoCOSEStrictness(t *testing.T) {
	s := testSigner(t, signing.EdDSA)
	msg, err := cose.Sign1(rand.Reader, s, []byte{0xa0})
	if err != nil {
		t.Fatal(err)
	}
	_, good, _ := cose.Unwrap(msg)
	// good = 84 <bstr prot> a0 <bstr payload> <bstr sig>; find the a0.
	prot := int(good[1]&0x1f) + 2
	with := func(unprot []byte) []byte {
		out := append([]byte{}, good[:prot]...)
		out = append(out, unprot...)
		return append(out, good[prot+1:]...)
	}
	kid := append([]byte{0x04, 0x40 | byte(len(s.KeyID()))}, s.KeyID()...)
	for _, tc := range []struct {
		name         string
		in           []byte
		ours, goCOSE bool // verifies
	}{
		{"as signed", good, true, true},
		{"unprotected: indefinite-length empty map", with([]byte{0xbf, 0xff}), true, false},
		{"unprotected: kid again (also protected)", with(append([]byte{0xa1}, kid...)), true, true},
		{"unprotected: alg again", with([]byte{0xa1, 0x01, 0x27}), true, true},
		{"unprotected: unknown label", with([]byte{0xa1, 0x19, 0x01, 0x00, 0x01}), true, true},
		{"unprotected: crit", with([]byte{0xa1, 0x02, 0x81, 0x19, 0x01, 0x00}), false, false},
		{"indefinite-length array", append(append([]byte{0x9f}, good[1:]...), 0xff), true, false},
	} {
		ourErr := ourVerify(tc.in, s.Public())
		libErr := libVerify(t, tc.in, s.Public())
		if (ourErr == nil) != tc.ours || (libErr == nil) != tc.goCOSE {
			t.Errorf("%s: ours %v, go-cose %v; want verified %v, %v", tc.name, ourErr, libErr, tc.ours, tc.goCOSE)
		}
		if why := allowedDifference(tc.in, ourErr, libErr); (ourErr == nil) != (libErr == nil) && why == "" {
			t.Errorf("%s: a difference the fuzz target would not allow", tc.name)
		}
	}
}
