package vault

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func testVault(t testing.TB) (*Vault, *Keys) {
	t.Helper()
	k, err := GenerateKeys(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return New(k.KEK(), k.IndexKey(), rand.Reader), k
}

// RFC 3394 section 4.6: wrap 256 bits of key data with a 256-bit KEK.
func TestKeyWrapRFC3394(t *testing.T) {
	kek, _ := hex.DecodeString("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
	data, _ := hex.DecodeString("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
	want := "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21"
	block, err := aes.NewCipher(kek)
	if err != nil {
		t.Fatal(err)
	}
	got := keyWrap(block, data)
	if hex.EncodeToString(got) != want {
		t.Fatalf("keyWrap = %x, want %s", got, want)
	}
	back, ok := keyUnwrap(block, got)
	if !ok || !bytes.Equal(back, data) {
		t.Fatalf("keyUnwrap = %x, %v, want %x, true", back, ok, data)
	}
	got[5] ^= 1
	if _, ok := keyUnwrap(block, got); ok {
		t.Error("keyUnwrap of altered data succeeded")
	}
}

func TestSealOpen(t *testing.T) {
	v, _ := testVault(t)
	dk, wrapped, err := v.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	b := Binding{Table: "person", Column: "given_names", Row: "app_123"}
	for _, plain := range [][]byte{nil, []byte("María José"), bytes.Repeat([]byte{0xAB}, 30000)} {
		sealed, err := dk.Seal(b, plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != len(plain)+Overhead {
			t.Errorf("len(Seal(%d bytes)) = %d, want %d", len(plain), len(sealed), len(plain)+Overhead)
		}
		if len(plain) > 4 && bytes.Contains(sealed, plain) {
			t.Errorf("Seal(%q) contains the plaintext", plain)
		}
		// Open with the key as loaded back from storage.
		dk2, err := v.OpenDataKey(wrapped)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dk2.Open(b, sealed)
		if err != nil {
			t.Fatalf("Open = %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open(Seal(%q)) = %q", plain, got)
		}
	}
	s1, _ := dk.Seal(b, []byte("x"))
	s2, _ := dk.Seal(b, []byte("x"))
	if bytes.Equal(s1, s2) {
		t.Error("two seals of the same value are equal: nonces repeat")
	}
}

func TestOpenTamper(t *testing.T) {
	v, _ := testVault(t)
	dk, _, err := v.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	b := Binding{Table: "person", Column: "dob", Row: "app_1"}
	sealed, err := dk.Seal(b, []byte("1990-07-25"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := dk.Open(b, bad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("Open(byte %d flipped) error = %v, want ErrDecrypt", i, err)
		}
	}
	for _, n := range []int{0, 1, Overhead - 1, len(sealed) - 1} {
		if _, err := dk.Open(b, sealed[:n]); !errors.Is(err, ErrDecrypt) {
			t.Errorf("Open(truncated to %d) error = %v, want ErrDecrypt", n, err)
		}
	}
	for _, other := range []Binding{
		{Table: "person", Column: "dob", Row: "app_2"},
		{Table: "person", Column: "surname", Row: "app_1"},
		{Table: "card", Column: "dob", Row: "app_1"},
		{Table: "person", Column: "do", Row: "bapp_1"}, // same concatenation
	} {
		if _, err := dk.Open(other, sealed); !errors.Is(err, ErrDecrypt) {
			t.Errorf("Open(%+v) of a value sealed for %+v: error = %v, want ErrDecrypt", other, b, err)
		}
	}
	other, _, _ := v.NewDataKey()
	if _, err := other.Open(b, sealed); !errors.Is(err, ErrDecrypt) {
		t.Errorf("Open with another person's key: error = %v, want ErrDecrypt", err)
	}
}

func TestWrongMasterKey(t *testing.T) {
	v1, _ := testVault(t)
	v2, _ := testVault(t)
	_, wrapped, err := v1.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.OpenDataKey(wrapped); !errors.Is(err, ErrWrongKey) {
		t.Errorf("OpenDataKey with another master key: error = %v, want ErrWrongKey", err)
	}
	// A damaged wrapped key is not a wrong master key.
	bad := bytes.Clone(wrapped)
	bad[len(bad)-1] ^= 1
	if _, err := v1.OpenDataKey(bad); !errors.Is(err, ErrDecrypt) || errors.Is(err, ErrWrongKey) {
		t.Errorf("OpenDataKey(damaged) error = %v, want ErrDecrypt only", err)
	}
	if v1.KEKID() == v2.KEKID() || len(v1.KEKID()) != 16 {
		t.Errorf("KEKIDs = %q, %q; want distinct 16-hex-digit ids", v1.KEKID(), v2.KEKID())
	}
	// A forged id prefix still fails the RFC 3394 integrity check.
	forged := bytes.Clone(wrapped)
	id, _ := hex.DecodeString(v2.KEKID())
	copy(forged[1:], id)
	if _, err := v2.OpenDataKey(forged); !errors.Is(err, ErrDecrypt) {
		t.Errorf("OpenDataKey(forged id) error = %v, want ErrDecrypt", err)
	}
}

func TestRewrap(t *testing.T) {
	v1, _ := testVault(t)
	k2, err := GenerateKeys(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v2 := New(k2.KEK(), k2.IndexKey(), rand.Reader)
	dk, wrapped, err := v1.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	b := Binding{Table: "person", Column: "address", Row: "app_9"}
	sealed, err := dk.Seal(b, []byte("12 Elm St"))
	if err != nil {
		t.Fatal(err)
	}
	rewrapped, err := v1.Rewrap(wrapped, k2.KEK())
	if err != nil {
		t.Fatal(err)
	}
	dk2, err := v2.OpenDataKey(rewrapped)
	if err != nil {
		t.Fatalf("OpenDataKey(rewrapped) under the new master key: %v", err)
	}
	if got, err := dk2.Open(b, sealed); err != nil || string(got) != "12 Elm St" {
		t.Errorf("Open after rewrap = %q, %v; want the old data", got, err)
	}
	if _, err := v1.OpenDataKey(rewrapped); !errors.Is(err, ErrWrongKey) {
		t.Errorf("old master key opens the rewrapped key: error = %v, want ErrWrongKey", err)
	}
	if _, err := v2.Rewrap(wrapped, k2.KEK()); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Rewrap with the wrong current key: error = %v, want ErrWrongKey", err)
	}
}

func TestDestroy(t *testing.T) {
	v, _ := testVault(t)
	dk, _, err := v.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	b := Binding{Table: "t", Column: "c", Row: "r"}
	sealed, _ := dk.Seal(b, []byte("secret"))
	alias := dk
	inner := dk.key
	dk.Destroy()
	if !isZero(inner[:]) {
		t.Error("Destroy left key bytes in memory")
	}
	if _, err := alias.Open(b, sealed); !errors.Is(err, ErrKeyDestroyed) {
		t.Errorf("Open with a copy of a destroyed key: error = %v, want ErrKeyDestroyed", err)
	}
	if _, err := dk.Seal(b, []byte("x")); !errors.Is(err, ErrKeyDestroyed) {
		t.Errorf("Seal with a destroyed key: error = %v, want ErrKeyDestroyed", err)
	}
	dk.Destroy() // twice is harmless
}

func TestBlindIndex(t *testing.T) {
	v, _ := testVault(t)
	same := [][2][]string{
		{{"José", "1990-07-25"}, {"JOSE", "1990-07-25"}},
		{{"  María   José ", "1990-07-25"}, {"maria jose", "1990-07-25"}},
		{{"Peña"}, {"PENA"}},
		{{"Peña"}, {"Pen\u0303a"}}, // decomposed ñ
		{{"Straße"}, {"STRASSE"}},
		{{"O'Brien"}, {"o'brien"}},
		{{"Ana\tMaría"}, {"ANA MARIA"}},
		{{"KIM"}, {"\u212aim"}}, // Kelvin sign folds to k
	}
	for _, tc := range same {
		a, b := v.BlindIndex("name_dob", tc[0]...), v.BlindIndex("name_dob", tc[1]...)
		if !bytes.Equal(a, b) {
			t.Errorf("BlindIndex(%q) != BlindIndex(%q), want equal", tc[0], tc[1])
		}
		if len(a) != 32 {
			t.Errorf("len(BlindIndex) = %d, want 32", len(a))
		}
	}
	differ := [][2][]string{
		{{"Ana", "1990-07-25"}, {"Ana", "1990-07-26"}},
		{{"ab", "c"}, {"a", "bc"}},
		{{"ab c"}, {"ab", "c"}},
		{{"Ana María"}, {"AnaMaría"}},
		{{"O'Brien"}, {"OBrien"}},
	}
	for _, tc := range differ {
		if bytes.Equal(v.BlindIndex("name_dob", tc[0]...), v.BlindIndex("name_dob", tc[1]...)) {
			t.Errorf("BlindIndex(%q) == BlindIndex(%q), want different", tc[0], tc[1])
		}
	}
	if bytes.Equal(v.BlindIndex("name_dob", "Ana"), v.BlindIndex("phone", "Ana")) {
		t.Error("BlindIndex does not separate purposes")
	}
	other, _ := testVault(t)
	if bytes.Equal(v.BlindIndex("name_dob", "Ana"), other.BlindIndex("name_dob", "Ana")) {
		t.Error("BlindIndex is the same under different index keys")
	}
	if !bytes.Equal(v.BlindIndex("name_dob", "Ana"), v.BlindIndex("name_dob", "Ana")) {
		t.Error("BlindIndex is not stable")
	}
}

func TestCheck(t *testing.T) {
	v, k := testVault(t)
	chk := v.Check()
	if err := v.VerifyCheck(chk); err != nil {
		t.Fatalf("VerifyCheck(own Check) = %v", err)
	}
	if err := New(k.KEK(), k.IndexKey(), rand.Reader).VerifyCheck(chk); err != nil {
		t.Errorf("VerifyCheck with the same keys = %v", err)
	}
	other, k2 := testVault(t)
	err := other.VerifyCheck(chk)
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "master key") {
		t.Errorf("VerifyCheck with another master key = %v, want ErrWrongKey naming the master key", err)
	}
	mixed := New(k.KEK(), k2.IndexKey(), rand.Reader)
	if err := mixed.VerifyCheck(chk); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "index key") {
		t.Errorf("VerifyCheck with another index key = %v, want ErrWrongKey naming the index key", err)
	}
	for _, bad := range [][]byte{nil, {1}, chk[:len(chk)-1], append(bytes.Clone(chk), 0)} {
		if err := v.VerifyCheck(bad); err == nil || errors.Is(err, ErrWrongKey) {
			t.Errorf("VerifyCheck(%x) = %v, want a damaged-value error", bad, err)
		}
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	if err := CreateKeyFile(path, rand.Reader); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", st.Mode().Perm())
	}
	before, _ := os.ReadFile(path)
	if err := CreateKeyFile(path, rand.Reader); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateKeyFile over an existing file: error = %v, want fs.ErrExist", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("CreateKeyFile changed an existing key file")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".keys-*")); len(m) != 0 {
		t.Errorf("temporary files left behind: %v", m)
	}

	k1, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Data sealed after one load opens after another.
	v1 := New(k1.KEK(), k1.IndexKey(), rand.Reader)
	v2 := New(k2.KEK(), k2.IndexKey(), rand.Reader)
	_, wrapped, _ := v1.NewDataKey()
	if _, err := v2.OpenDataKey(wrapped); err != nil {
		t.Errorf("OpenDataKey after reload: %v", err)
	}
	if !bytes.Equal(v1.BlindIndex("p", "x"), v2.BlindIndex("p", "x")) || !bytes.Equal(k1.MatchKey(), k2.MatchKey()) {
		t.Error("keys differ between loads")
	}
	mk := k1.MatchKey()
	mk[0] ^= 1
	if bytes.Equal(mk, k1.MatchKey()) {
		t.Error("MatchKey returns the internal slice, not a copy")
	}
	if bytes.Equal(k1.master[:], k1.index[:]) || bytes.Equal(k1.index[:], k1.match[:]) {
		t.Error("keys in the file are not independent")
	}

	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKeyFile(path)
		if !errors.Is(err, ErrKeyFilePermissions) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("LoadKeyFile(mode 0644) error = %v, want ErrKeyFilePermissions telling how to fix it", err)
		}
	}
}

func TestLoadKeyFileBad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.key")
	if err := CreateKeyFile(good, rand.Reader); err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(good)
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "not a cityid key file"},
		{"not json", "hello", "not a cityid key file"},
		{"wrong format", strings.Replace(string(orig), `"cityid-keys"`, `"other"`, 1), "format"},
		{"future version", strings.Replace(string(orig), `"version": 1`, `"version": 2`, 1), "version 2"},
		{"unknown field", strings.Replace(string(orig), `"version": 1`, `"version": 1, "x": 1`, 1), "unknown field"},
		{"short key", strings.Replace(string(orig), `"match": "`, `"match": "AAAA`, 1), "match key"},
		{"damaged id", strings.Replace(string(orig), `"master_id": "`, `"master_id": "00`, 1), "damaged"},
		{"huge", strings.Repeat(" ", maxKeyFileSize+1), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKeyFile(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadKeyFile(%s) error = %v, want one containing %q", tt.name, err, tt.want)
			}
		})
	}
	if _, err := LoadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadKeyFile(missing) error = %v, want fs.ErrNotExist", err)
	}
}

func TestFailingRandom(t *testing.T) {
	k, err := GenerateKeys(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	// Enough randomness for one data key, none for a nonce.
	v := New(k.KEK(), k.IndexKey(), bytes.NewReader(key))
	dk, _, err := v.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dk.Seal(Binding{}, []byte("x")); err == nil {
		t.Error("Seal with exhausted randomness succeeded")
	}
	if _, _, err := v.NewDataKey(); err == nil {
		t.Error("NewDataKey with exhausted randomness succeeded")
	}
	if _, err := GenerateKeys(bytes.NewReader(key)); err == nil {
		t.Error("GenerateKeys with 32 bytes of randomness succeeded")
	}
}

func benchSeal(b *testing.B, n int) {
	v, _ := testVault(b)
	dk, _, err := v.NewDataKey()
	if err != nil {
		b.Fatal(err)
	}
	bind := Binding{Table: "person", Column: "photo", Row: "app_123456"}
	plain := make([]byte, n)
	b.Run("Seal", func(b *testing.B) {
		b.SetBytes(int64(n))
		for b.Loop() {
			if _, err := dk.Seal(bind, plain); err != nil {
				b.Fatal(err)
			}
		}
	})
	sealed, _ := dk.Seal(bind, plain)
	b.Run("Open", func(b *testing.B) {
		b.SetBytes(int64(n))
		for b.Loop() {
			if _, err := dk.Open(bind, sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkField40B(b *testing.B)  { benchSeal(b, 40) }
func BenchmarkPhoto30KB(b *testing.B) { benchSeal(b, 30<<10) }

func BenchmarkNewDataKey(b *testing.B) {
	v, _ := testVault(b)
	for b.Loop() {
		if _, _, err := v.NewDataKey(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenDataKey(b *testing.B) {
	v, _ := testVault(b)
	_, wrapped, _ := v.NewDataKey()
	for b.Loop() {
		if _, err := v.OpenDataKey(wrapped); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlindIndex(b *testing.B) {
	v, _ := testVault(b)
	for b.Loop() {
		v.BlindIndex("name_dob", "María José", "García López", "1990-07-25")
	}
}

func TestDerive(t *testing.T) {
	_, keys := testVault(t)
	a, err := keys.Derive("signing-keys")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := keys.Derive("signing-keys")
	c, _ := keys.Derive("something-else")
	other, _ := GenerateKeys(rand.Reader)
	d, _ := other.Derive("signing-keys")
	if len(a) != 32 || !bytes.Equal(a, b) {
		t.Errorf("Derive is not a stable 32-byte key: %x vs %x", a, b)
	}
	if bytes.Equal(a, c) || bytes.Equal(a, d) {
		t.Error("Derive gave the same key for another purpose or another master key")
	}
	if bytes.Equal(a, keys.master[:]) {
		t.Error("Derive returned the master key itself")
	}
}
