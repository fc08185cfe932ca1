package pdf417

import (
	"errors"
	"testing"
)

// FuzzDecodeData: any sequence of codewords decodes to bytes or fails with
// ErrFormat, never panics, and never yields more than six bytes a codeword.
func FuzzDecodeData(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	f.Add([]byte{0x03, 0x85, 0x00, 0x10, 0x03, 0x84, 0x00, 0x21}) // 901 … 900 …
	f.Add([]byte{0x03, 0x86, 0x01, 0x00, 0x02, 0x00})             // 902 …
	f.Add([]byte{0x03, 0x91, 0x00, 0x41, 0x00, 0x1d})             // 913 …
	f.Add([]byte{0x03, 0x9c, 0x03, 0xa0, 0x03, 0x9d, 0x00, 0x01}) // 924 928 925
	f.Fuzz(func(t *testing.T, raw []byte) {
		cw := make([]int, len(raw)/2)
		for i := range cw {
			cw[i] = (int(raw[2*i])<<8 | int(raw[2*i+1])) % mod
		}
		out, err := decodeData(cw)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("decodeData error %v is not ErrFormat", err)
			}
			return
		}
		if len(out) > 6*len(cw)+6 {
			t.Fatalf("%d codewords gave %d bytes", len(cw), len(out))
		}
	})
}

// FuzzRoundTrip: any text the encoder takes is read back from its drawn
// symbol byte for byte, in the orientation given.
func FuzzRoundTrip(f *testing.F) {
	f.Add("@\n\x1e\rANSI 000000100002ID00410120ZC01610017IDDAQ4821093755216\nDCSGARCIA LOPEZ\r", uint8(0))
	f.Add("1234567890123456789", uint8(1))
	f.Add("Mixed CASE; punct: [x] ~ {y} 123 $%", uint8(2))
	f.Add("\x00\x01\xff\xfe binary", uint8(3))
	f.Fuzz(func(t *testing.T, data string, turn uint8) {
		if len(data) == 0 || len(data) > 300 {
			return
		}
		if shiftsOneByte(data) {
			return // the encoder's symbol holds other text (see shiftsOneByte)
		}
		g, ok := tryDraw(data, 3, 2, 3)
		if !ok {
			return // the encoder refused it
		}
		res, err := Decode(g.rotate(int(turn % 4)))
		if err != nil {
			t.Fatalf("Decode(%q): %v", data, err)
		}
		if string(res.Data) != data {
			t.Fatalf("Decode(%q) = %q", data, res.Data)
		}
	})
}

// shiftsOneByte reports data with a single byte that text compaction has no
// code for (not tab, LF, CR or printable ASCII) between two runs of text.
// boombuler/barcode v1.1.0 writes it as a one-byte shift (913) inside text
// compaction, and its symbol then holds other text than it was given: a
// text run of odd length is padded with the value 29, which in the
// punctuation submode latches to upper case (and in upper case shifts to
// punctuation), while the encoder goes on in the submode it was in. The
// reader follows the standard ("AAAA00000A000000000!!\xff00000A" reads
// back as "…!!\xff'AAAAA0", as the codewords say). cityid's AAMVA data never
// has such a byte: after the header it is printable ASCII, LF and CR.
func shiftsOneByte(data string) bool {
	text := func(c byte) bool { return c == '\t' || c == '\n' || c == '\r' || (c >= 32 && c <= 126) }
	for i := 1; i+1 < len(data); i++ {
		if !text(data[i]) && text(data[i-1]) && text(data[i+1]) {
			return true
		}
	}
	return false
}
