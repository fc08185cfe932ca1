package photo

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// checkBaseline reads a baseline JPEG as stripJPEG writes it (SOI, tables,
// one SOF0, one scan, EOI) through the entropy decoding of every block,
// without dequantizing, transforming or storing any pixel. It returns nil
// only when image/jpeg would decode the file to the size in its header and
// to the same colours as before stripping: every table defined and used
// within the baseline limits, every Huffman code valid, every block's 64
// coefficients accounted for, restart markers in sequence, and nothing
// between the last block and EOI but the one-bits that pad the last byte.
//
// It is stricter than image/jpeg (anything unusual is refused): a photo it
// refuses is decoded and re-encoded instead, which gives the decoder's own
// verdict. Entropy decoding is about a tenth of the work of a full decode
// (BenchmarkNormalizeSpecSize: ~10× faster than decoding to check).
func checkBaseline(data []byte) error {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return errors.New("no SOI")
	}
	var (
		quant    [4]bool
		huff     [2][2]*huffTable // [class: 0 DC, 1 AC][id]
		restart  int
		sof      bool
		width    int
		height   int
		comps    []scanComp
		hmax     int
		vmax     int
		numComps int
	)
	i := 2
	for {
		if i+4 > len(data) || data[i] != 0xFF {
			return errors.New("segment expected")
		}
		marker := data[i+1]
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			return errors.New("segment length")
		}
		seg := data[i+4 : i+2+n]
		switch marker {
		case 0xDB: // DQT
			for len(seg) > 0 {
				pq, tq := seg[0]>>4, seg[0]&0x0F
				size := 64
				if pq == 1 {
					size = 128
				}
				if pq > 1 || tq > 3 || len(seg) < 1+size {
					return errors.New("DQT")
				}
				quant[tq] = true
				seg = seg[1+size:]
			}
		case 0xC4: // DHT
			for len(seg) > 0 {
				if len(seg) < 17 {
					return errors.New("DHT length")
				}
				tc, th := seg[0]>>4, seg[0]&0x0F
				if tc > 1 || th > 1 {
					return errors.New("DHT class or id")
				}
				t, used, err := newHuffTable(seg[1:17], seg[17:])
				if err != nil {
					return err
				}
				huff[tc][th] = t
				seg = seg[17+used:]
			}
		case 0xDD: // DRI
			if len(seg) != 2 {
				return errors.New("DRI length")
			}
			restart = int(seg[0])<<8 | int(seg[1])
		case 0xC0: // SOF0
			if sof || len(seg) < 6 {
				return errors.New("SOF")
			}
			sof = true
			height = int(seg[1])<<8 | int(seg[2])
			width = int(seg[3])<<8 | int(seg[4])
			numComps = int(seg[5])
			if seg[0] != 8 || width == 0 || height == 0 || (numComps != 1 && numComps != 3) || len(seg) != 6+3*numComps {
				return errors.New("SOF values")
			}
			comps = make([]scanComp, numComps)
			for c := range comps {
				p := seg[6+3*c:]
				comps[c] = scanComp{id: p[0], h: int(p[1] >> 4), v: int(p[1] & 0x0F), tq: p[2]}
				for _, o := range comps[:c] {
					if o.id == comps[c].id {
						return errors.New("repeated component id")
					}
				}
				if comps[c].tq > 3 {
					return errors.New("SOF Tq")
				}
			}
			if err := checkSampling(comps); err != nil {
				return err
			}
			if numComps == 1 {
				comps[0].h, comps[0].v = 1, 1 // one component is never interleaved
			}
			hmax, vmax = comps[0].h, comps[0].v
		case 0xDA: // SOS: the last segment stripJPEG keeps
			if !sof || len(seg) < 1 || int(seg[0]) != numComps || len(seg) != 4+2*numComps {
				return errors.New("SOS header")
			}
			for c := range numComps {
				sel, tables := seg[1+2*c], seg[2+2*c]
				if sel != comps[c].id {
					return errors.New("SOS component order")
				}
				td, ta := tables>>4, tables&0x0F
				if td > 1 || ta > 1 || huff[0][td] == nil || huff[1][ta] == nil || !quant[comps[c].tq] {
					return errors.New("SOS tables")
				}
				comps[c].dc, comps[c].ac = huff[0][td], huff[1][ta]
			}
			if tail := seg[1+2*numComps:]; tail[0] != 0 || tail[1] != 63 || tail[2] != 0 {
				return errors.New("SOS not baseline")
			}
			mx := (width + 8*hmax - 1) / (8 * hmax)
			my := (height + 8*vmax - 1) / (8 * vmax)
			return checkScan(data[i+2+n:], comps, mx*my, restart)
		default:
			return fmt.Errorf("segment %#x", marker)
		}
		i += 2 + n
	}
}

type scanComp struct {
	id, tq byte
	h, v   int
	dc, ac *huffTable
}

// checkSampling allows what image/jpeg decodes: for YCbCr, luma 1–2 high
// and 1, 2 or 4 wide, chroma dividing it, both chroma alike. Component ids
// 'R', 'G', 'B' are refused: without the JFIF segment stripJPEG drops,
// image/jpeg would take such a file for RGB and change its colours.
func checkSampling(c []scanComp) error {
	for _, x := range c {
		if x.h < 1 || x.h > 4 || x.v < 1 || x.v > 4 || x.h == 3 || x.v == 3 {
			return errors.New("sampling factors")
		}
	}
	if len(c) == 1 {
		return nil
	}
	if c[0].id == 'R' && c[1].id == 'G' && c[2].id == 'B' {
		return errors.New("RGB component ids")
	}
	y, cb, cr := c[0], c[1], c[2]
	if y.v == 4 || y.h%cb.h != 0 || y.v%cb.v != 0 || cr.h != cb.h || cr.v != cb.v || y.h*y.v+2*cb.h*cb.v > 10 {
		return errors.New("unsupported sampling")
	}
	return nil
}

const lutBits = 9

// huffTable is a canonical Huffman code: for each length, the largest code
// of that length (-1 if none) and where its values start.
type huffTable struct {
	lut [1 << lutBits]uint16 // next lutBits bits → value<<8 | code length, 0 for longer codes
	// withBits is lut for a code whose value is a coefficient's
	// (run, size) and whose size extra bits fit in the lutBits too: the
	// length is that of the code and the bits together, so block skips
	// both at once (it checks coefficients, it never needs their values).
	withBits [1 << lutBits]uint16
	maxCode  [17]int32
	minCode  [17]int32
	index    [17]int32
	vals     []byte
}

// newHuffTable builds a code from its 16 counts and values, refusing an
// empty or over-full one; it returns the table and how many values it used.
func newHuffTable(counts, rest []byte) (*huffTable, int, error) {
	t := &huffTable{}
	total := 0
	for _, n := range counts {
		total += int(n)
	}
	if total == 0 || total > 256 || total > len(rest) {
		return nil, 0, errors.New("DHT counts")
	}
	t.vals = rest[:total]
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.minCode[l], t.maxCode[l], t.index[l] = code, code+n-1, k
		for j := range n {
			if l > lutBits || code+j >= 1<<l {
				break
			}
			base := int(code+j) << (lutBits - l)
			v := t.vals[k+j]
			for x := range 1 << (lutBits - l) {
				t.lut[base+x] = uint16(v)<<8 | uint16(l)
			}
			if total := l + int(v&0x0F); total <= lutBits {
				for x := range 1 << (lutBits - l) {
					t.withBits[base+x] = uint16(v)<<8 | uint16(total)
				}
			}
		}
		if n == 0 {
			t.maxCode[l] = -1
		}
		code += n
		k += n
		if code > 1<<l { // more codes than the length allows
			return nil, 0, errors.New("DHT over-full")
		}
		code <<= 1
	}
	return t, total, nil
}

// bitReader reads the entropy-coded segment: 0xFF 0x00 is a data 0xFF,
// any other marker ends the data.
type bitReader struct {
	data []byte
	pos  int    // next byte to load
	acc  uint64 // bits, most significant first
	n    uint   // bits in acc
	end  bool   // a marker was reached
}

func (r *bitReader) fill() {
	if r.n <= 56 && !r.end && r.pos+8 <= len(r.data) {
		// Eight bytes at once when none is 0xFF (a marker or a stuffed
		// byte), which is nearly always: as many whole bytes as fit.
		w := binary.BigEndian.Uint64(r.data[r.pos:])
		if (^w-0x0101010101010101)&w&0x8080808080808080 == 0 {
			k := (64 - r.n) / 8
			r.acc |= w >> (64 - 8*k) << (64 - 8*k - r.n)
			r.pos += int(k)
			r.n += 8 * k
			return
		}
	}
	for r.n <= 56 && !r.end {
		if r.pos >= len(r.data) {
			r.end = true
			return
		}
		b := r.data[r.pos]
		if b == 0xFF {
			if r.pos+1 < len(r.data) && r.data[r.pos+1] == 0x00 {
				r.pos += 2
			} else {
				r.end = true
				return
			}
		} else {
			r.pos++
		}
		r.acc |= uint64(b) << (56 - r.n)
		r.n += 8
	}
}

// skip drops the next k bits (a coefficient's value: checked for being
// there, never needed).
func (r *bitReader) skip(k uint) error {
	if r.n < k {
		r.fill()
		if r.n < k {
			return errShortScan
		}
	}
	r.acc <<= k
	r.n -= k
	return nil
}

func (r *bitReader) bits(k uint) (int32, error) {
	if k == 0 {
		return 0, nil
	}
	if r.n < k {
		r.fill()
		if r.n < k {
			return 0, errShortScan
		}
	}
	v := int32(r.acc >> (64 - k))
	r.acc <<= k
	r.n -= k
	return v, nil
}

var errShortScan = errors.New("scan data ends early")

func (r *bitReader) decode(t *huffTable) (byte, error) {
	if r.n < 16 {
		r.fill()
	}
	if r.n >= lutBits {
		if v := t.lut[r.acc>>(64-lutBits)]; v != 0 {
			l := uint(v & 0xFF)
			r.acc <<= l
			r.n -= l
			return byte(v >> 8), nil
		}
	}
	code := int32(0)
	for l := uint(1); l <= 16; l++ {
		if l > r.n {
			return 0, errShortScan
		}
		code = code<<1 | int32(r.acc>>(64-l)&1)
		if code <= t.maxCode[l] {
			r.acc <<= l
			r.n -= l
			return t.vals[t.index[l]+code-t.minCode[l]], nil
		}
	}
	return 0, errors.New("bad Huffman code")
}

// checkScan entropy-decodes mcus MCUs from the scan data, which must end
// with EOI right after the last one.
func checkScan(data []byte, comps []scanComp, mcus, restart int) error {
	r := &bitReader{data: data}
	rst := 0
	for m := range mcus {
		if restart > 0 && m > 0 && m%restart == 0 {
			if err := r.restartAt(byte(0xD0 + rst)); err != nil {
				return err
			}
			rst = (rst + 1) % 8
		}
		for _, c := range comps {
			for range c.h * c.v {
				if err := r.block(c.dc, c.ac); err != nil {
					return err
				}
			}
		}
	}
	return r.finish()
}

// block reads one block's DC difference and 63 AC coefficients.
func (r *bitReader) block(dc, ac *huffTable) error {
	s, err := r.decode(dc)
	if err != nil {
		return err
	}
	if s > 11 { // 8-bit samples: DC differences fit in 11 bits
		return errors.New("DC magnitude")
	}
	if err := r.skip(uint(s)); err != nil {
		return err
	}
	for k := 1; k < 64; {
		var rs byte
		skipped := false // the value's bits went with the code
		if r.n < 16 {
			r.fill()
		}
		if v := ac.withBits[r.acc>>(64-lutBits)]; v != 0 && r.n >= lutBits {
			l := uint(v & 0xFF)
			r.acc <<= l
			r.n -= l
			rs, skipped = byte(v>>8), true
		} else if rs, err = r.decode(ac); err != nil {
			return err
		}
		run, size := int(rs>>4), uint(rs&0x0F)
		switch {
		case size == 0 && run == 0: // end of block
			return nil
		case size == 0 && run == 15: // sixteen zeros
			k += 16
			if k > 63 {
				return errors.New("zero run past the block")
			}
			continue
		case size == 0 || size > 10:
			return errors.New("AC symbol")
		}
		k += run
		if k > 63 {
			return errors.New("run past the block")
		}
		if !skipped {
			if err := r.skip(size); err != nil {
				return err
			}
		}
		k++
	}
	return nil
}

// padding checks that what is left of the current byte is one-bits, as
// encoders pad, and drops it.
func (r *bitReader) padding() error {
	k := r.n % 8
	if k > 0 {
		v, _ := r.bits(k)
		if v != 1<<k-1 {
			return errors.New("padding bits")
		}
	}
	if r.n > 0 { // whole bytes loaded ahead of a marker: data no block used
		return errors.New("data after the last block")
	}
	return nil
}

// restartAt expects the restart marker RSTn at the end of an interval.
func (r *bitReader) restartAt(marker byte) error {
	r.fill()
	if err := r.padding(); err != nil {
		return err
	}
	if !r.end || r.pos+1 >= len(r.data) || r.data[r.pos+1] != marker {
		return errors.New("restart marker")
	}
	r.pos += 2
	r.end, r.acc, r.n = false, 0, 0
	return nil
}

// finish expects EOI, and nothing after it, right after the last block.
func (r *bitReader) finish() error {
	r.fill()
	if err := r.padding(); err != nil {
		return err
	}
	if !r.end || r.pos+2 != len(r.data) || r.data[r.pos+1] != 0xD9 {
		return errors.New("EOI expected after the last block")
	}
	return nil
}
