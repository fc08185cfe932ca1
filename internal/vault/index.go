package vault

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// IndexKey is the secret key of blind indexes. It is a distinct type so it
// cannot be passed where a master or match key is wanted.
type IndexKey struct {
	key *[keyBytes]byte
}

// NewIndexKey wraps 32 bytes of key material (copied).
func NewIndexKey(b []byte) (IndexKey, error) {
	if len(b) != keyBytes {
		return IndexKey{}, fmt.Errorf("vault: index key is %d bytes, want %d", len(b), keyBytes)
	}
	k := new([keyBytes]byte)
	copy(k[:], b)
	return IndexKey{key: k}, nil
}

func (k IndexKey) bytes() []byte {
	if k.key == nil {
		panic("vault: zero IndexKey; make one with NewIndexKey or Keys.IndexKey")
	}
	return k.key[:]
}

// BlindIndex is a keyed hash for exact-match search:
// HMAC-SHA256(index key, purpose, parts...), each length-prefixed so
// ("ab","c") and ("a","bc") differ, and purposes separate so an index for
// one query cannot be compared with another's.
//
// Parts are folded before hashing so the clerk's typing does not decide a
// match: Unicode case folding, accents removed (José = JOSE, Peña = Pena:
// many keyboards and older documents lack them), NFC, spaces trimmed and
// inner runs of white space collapsed to one. Punctuation is kept: the
// person package normalizes names before they reach here.
func (v *Vault) BlindIndex(purpose string, parts ...string) []byte {
	m := hmac.New(sha256.New, v.idx.bytes())
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(purpose)))
	m.Write(n[:])
	m.Write([]byte(purpose))
	for _, p := range parts {
		f := FoldForIndex(p)
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		m.Write(n[:])
		m.Write([]byte(f))
	}
	return m.Sum(nil)
}

// FoldForIndex is the normalization BlindIndex applies to each part.
func FoldForIndex(s string) string {
	if isASCII(s) {
		// Fast path: ASCII has no accents and folds to lower case.
		return strings.Join(strings.Fields(strings.ToLower(s)), " ")
	}
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), cases.Fold(), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		// The chain cannot fail on a string; fall back to the unfolded
		// text rather than lose the part.
		out = s
	}
	return strings.Join(strings.Fields(out), " ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
