package statuslist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The draft's section 4.1 examples: statuses, the packed bytes it shows,
// and its compressed "lst" string.
var draftExamples = []struct {
	name     string
	bits     int
	statuses []Status
	bytes    []byte
	lst      string
}{
	{
		name:     "1 bit",
		bits:     1,
		statuses: []Status{1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1},
		bytes:    []byte{0xB9, 0xA3},
		lst:      "eNrbuRgAAhcBXQ",
	},
	{
		name:     "2 bits",
		bits:     2,
		statuses: []Status{1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3},
		bytes:    []byte{0xC9, 0x44, 0xF9},
		lst:      "eNo76fITAAPfAgc",
	},
}

func TestDraftExamples(t *testing.T) {
	for _, ex := range draftExamples {
		t.Run(ex.name, func(t *testing.T) {
			l, err := New(ex.bits, len(ex.statuses))
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range ex.statuses {
				if err := l.Set(i, s); err != nil {
					t.Fatalf("Set(%d, %v) = %v", i, s, err)
				}
			}
			if got := l.Bytes(); !bytes.Equal(got, ex.bytes) {
				t.Errorf("Bytes() = % X, want % X", got, ex.bytes)
			}
			z, err := base64.RawURLEncoding.DecodeString(ex.lst)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decode(z, ex.bits, 0)
			if err != nil {
				t.Fatalf("Decode(draft lst) = %v", err)
			}
			if got := d.Bytes(); !bytes.Equal(got, ex.bytes) {
				t.Errorf("Decode(draft lst).Bytes() = % X, want % X", got, ex.bytes)
			}
			for i, want := range ex.statuses {
				if got, _ := d.Get(i); got != want {
					t.Errorf("Get(%d) = %v, want %v", i, got, want)
				}
			}
			// Our own compression must round-trip (the compressed bytes
			// themselves may differ from the draft's encoder).
			js, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			var back List
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatalf("Unmarshal(%s) = %v", js, err)
			}
			if !bytes.Equal(back.Bytes(), ex.bytes) || back.Bits() != ex.bits {
				t.Errorf("JSON round trip %s = % X bits %d, want % X bits %d", js, back.Bytes(), back.Bits(), ex.bytes, ex.bits)
			}
		})
	}
}

func TestSetGetAllWidths(t *testing.T) {
	for _, bits := range []int{1, 2, 4, 8} {
		t.Run(string(rune('0'+bits))+" bits", func(t *testing.T) {
			const n = 1000
			l, err := New(bits, n)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, uint64(bits)))
			want := make([]Status, n)
			for i := range want {
				want[i] = Status(r.IntN(1 << bits))
				if err := l.Set(i, want[i]); err != nil {
					t.Fatal(err)
				}
			}
			// Overwrite half to check Set clears the old bits.
			for i := 0; i < n; i += 2 {
				want[i] = Status(r.IntN(1 << bits))
				if err := l.Set(i, want[i]); err != nil {
					t.Fatal(err)
				}
			}
			z, err := l.Encode()
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decode(z, bits, n)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]Status, n)
			for i := range got {
				got[i], _ = d.Get(i)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statuses after Encode/Decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	if _, err := New(3, 10); !errors.Is(err, ErrBits) {
		t.Errorf("New(3, 10) = %v, want ErrBits", err)
	}
	if _, err := New(1, 0); err == nil {
		t.Error("New(1, 0) = nil error, want error")
	}
	l, _ := New(1, 16)
	if err := l.Set(16, Invalid); !errors.Is(err, ErrIndex) {
		t.Errorf("Set(16) on 16 entries = %v, want ErrIndex", err)
	}
	if _, err := l.Get(-1); !errors.Is(err, ErrIndex) {
		t.Errorf("Get(-1) = %v, want ErrIndex", err)
	}
	if err := l.Set(0, Suspended); !errors.Is(err, ErrValue) {
		t.Errorf("Set(0, Suspended) in a 1-bit list = %v, want ErrValue", err)
	}
}

func zlibBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestDecodeBombAndGarbage(t *testing.T) {
	bomb := zlibBytes(t, make([]byte, MaxDecodedBytes+1))
	if len(bomb) > 10000 {
		t.Fatalf("bomb is %d bytes; the test wants a small input that expands", len(bomb))
	}
	good := zlibBytes(t, make([]byte, 16))
	tests := []struct {
		name    string
		in      []byte
		bits    int
		maxSize int
		want    error
	}{
		{"bomb over the global cap", bomb, 1, 0, ErrTooLarge},
		{"over the caller's size", good, 1, 64, ErrTooLarge},
		{"exactly the caller's size", good, 1, 128, nil},
		{"not zlib", []byte("hello"), 1, 0, ErrCompressed},
		{"truncated", good[:len(good)-3], 1, 0, ErrCompressed},
		{"trailing bytes", append(bytes.Clone(good), 0), 1, 0, ErrCompressed},
		{"empty list", zlibBytes(t, nil), 1, 0, ErrCompressed},
		{"bad bits", good, 5, 0, ErrBits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in, tt.bits, tt.maxSize)
			if !errors.Is(err, tt.want) {
				t.Errorf("Decode() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRandomIndex(t *testing.T) {
	l, _ := New(1, 4096)
	r := rand.NewChaCha8([32]byte{7})
	used := map[int]bool{}
	for range 4096 {
		i, err := l.RandomIndex(r, func(i int) bool { return used[i] })
		if err != nil {
			t.Fatalf("RandomIndex after %d = %v", len(used), err)
		}
		if used[i] || i < 0 || i >= l.Len() {
			t.Fatalf("RandomIndex returned %d, used or out of range", i)
		}
		used[i] = true
	}
	if _, err := l.RandomIndex(r, func(int) bool { return true }); !errors.Is(err, ErrFull) {
		t.Errorf("RandomIndex on a full list = %v, want ErrFull", err)
	}
	// Not sequential: the first 100 picks of a fresh list are spread out.
	fresh := map[int]bool{}
	below := 0
	for range 100 {
		i, _ := l.RandomIndex(r, func(i int) bool { return fresh[i] })
		fresh[i] = true
		if i < 2048 {
			below++
		}
	}
	if below < 25 || below > 75 {
		t.Errorf("%d of 100 random indexes in the lower half, want about 50", below)
	}
}

func FuzzDecode(f *testing.F) {
	for _, ex := range draftExamples {
		z, _ := base64.RawURLEncoding.DecodeString(ex.lst)
		f.Add(z, uint8(ex.bits))
	}
	f.Add(zlibBytes(f, make([]byte, 1<<16)), uint8(8))
	f.Add([]byte{0x78, 0x9c}, uint8(1))
	f.Fuzz(func(t *testing.T, z []byte, bits uint8) {
		l, err := Decode(z, int(bits), 1<<20)
		if err != nil {
			return
		}
		if len(l.Bytes()) > (1<<20)*int(bits)/8 {
			t.Fatalf("Decode returned %d bytes, above its bound", len(l.Bytes()))
		}
		again, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(again, int(bits), 0)
		if err != nil || !bytes.Equal(back.Bytes(), l.Bytes()) {
			t.Fatalf("re-encode round trip failed: %v", err)
		}
	})
}
