package linkage

import (
	"encoding/binary"
	"unsafe"
)

// The index keeps each resident's prepared record packed into one string
// instead of a prepared struct: the struct is ~480 bytes of string and
// slice headers (24 strings, 4 slices) before a byte of the strings
// themselves, each string a heap object of its own, and at 1.5 M residents
// that was over half of the index (docs/operations.md, "Index memory").
// Packed, a resident is one allocation of ~150 bytes: the strings' bytes
// preceded by their lengths (uvarints), and a string equal to one before it
// in the same record ("maria" as the given name, its full form and its
// folded form) is a reference to it, not a second copy.
//
// Screening unpacks a candidate into a prepared whose strings point into
// the packed one (no copy), in a buffer the screening reuses for every
// candidate (scorer.buf: no allocation), so comparePlain and everything
// after it sees the very values prepare made. (A buffer on the stack
// would not stay there: comparePlain lets its strings escape, and the
// token slices' array with them.)
//
// Layout: uvarint flags (bit 0: arabic), uvarints dob Y, M, D, uvarint
// counts of given, sur, surDM and surSp, then the strings in packOrder,
// each a uvarint tag: length<<1 followed by the bytes, or index<<1|1 for
// the same string as the index-th of this record.

// maxPackedStrings is how many strings unpacked holds without allocating:
// 21 fields and the tokens of a few names each.
const maxPackedStrings = 48

// packedStrings lists p's strings in the packed order.
func packedStrings(p *prepared, dst []string) []string {
	dst = append(dst, p.given...)
	dst = append(dst, p.givenFull, p.givenNoSp, p.givenDM, p.givenSp)
	dst = append(dst, p.sur...)
	dst = append(dst, p.surFull, p.surNoSp)
	dst = append(dst, p.surDM...)
	dst = append(dst, p.surSp...)
	return append(dst, p.foldGiven, p.foldSur, p.suffix, p.dob.Digits, p.sex, p.num, p.street, p.streetNS,
		p.line2, p.city, p.citySp, p.post, p.state, p.email, p.phone)
}

// pack returns p's packed form.
func pack(p *prepared) string {
	var arr [maxPackedStrings]string
	strs := packedStrings(p, arr[:0])
	flags := uint64(0)
	if p.arabic {
		flags = 1
	}
	head := [...]uint64{flags, uint64(p.dob.Y), uint64(p.dob.M), uint64(p.dob.D),
		uint64(len(p.given)), uint64(len(p.sur)), uint64(len(p.surDM)), uint64(len(p.surSp))}
	// The tags first, to allocate the exact size once.
	var tagArr [maxPackedStrings]uint64
	tags := tagArr[:0]
	n := 0
	for _, v := range head {
		n += uvarintLen(v)
	}
next:
	for i, s := range strs {
		if s != "" {
			for j := range i {
				if strs[j] == s {
					tags = append(tags, uint64(j)<<1|1)
					n += uvarintLen(tags[i])
					continue next
				}
			}
		}
		tags = append(tags, uint64(len(s))<<1)
		n += uvarintLen(tags[i]) + len(s)
	}
	b := make([]byte, 0, n)
	for _, v := range head {
		b = binary.AppendUvarint(b, v)
	}
	for i, t := range tags {
		b = binary.AppendUvarint(b, t)
		if t&1 == 0 {
			b = append(b, strs[i]...)
		}
	}
	// b is never written again: the string shares its bytes (one
	// allocation a resident, not two).
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// packed reports whether e's record is packed (an index's entry).
func (e *entry) packed() bool { return e.p == nil && e.pk != "" }

// unpackBuf holds two unpacked entries, the two sides of a comparison.
type unpackBuf struct {
	arr [2][maxPackedStrings]string
	p   [2]prepared
	e   [2]entry
}

// unpackPair returns a and b, each unpacked into s.buf (a new buffer
// without one) if it is packed.
func (s *scorer) unpackPair(a, b *entry) (*entry, *entry) {
	if !a.packed() && !b.packed() {
		return a, b
	}
	buf := s.buf
	if buf == nil {
		buf = new(unpackBuf)
	}
	for i, x := range [2]**entry{&a, &b} {
		if e := *x; e.packed() {
			buf.p[i] = unpack(e.pk, &buf.arr[i])
			buf.e[i] = *e
			buf.e[i].p = &buf.p[i]
			*x = &buf.e[i]
		}
	}
	return a, b
}

// unpack returns the prepared record packed in pk, a string made by pack
// (never anything else: the index packs what prepare made, so there is no
// error to report). Its token slices are in arr, unless there are more
// than it holds.
func unpack(pk string, arr *[maxPackedStrings]string) (p prepared) {
	var hdr [8]uint64
	pos := 0
	for i := range hdr {
		hdr[i], pos = uvarintAt(pk, pos)
	}
	ng, ns, ndm, nsp := int(hdr[4]), int(hdr[5]), int(hdr[6]), int(hdr[7])
	total := ng + ns + ndm + nsp + 21
	strs := arr[:0]
	if total > len(arr) {
		strs = make([]string, 0, total)
	}
	for range total {
		var t uint64
		t, pos = uvarintAt(pk, pos)
		if t&1 == 1 {
			strs = append(strs, strs[t>>1])
			continue
		}
		end := pos + int(t>>1)
		strs = append(strs, pk[pos:end])
		pos = end
	}
	p.arabic = hdr[0]&1 == 1
	p.dob.Y, p.dob.M, p.dob.D = int(hdr[1]), int(hdr[2]), int(hdr[3])
	k := 0
	take := func(n int) []string {
		if n == 0 {
			return nil
		}
		k += n
		return strs[k-n : k : k]
	}
	p.given = take(ng)
	g := strs[k : k+4]
	p.givenFull, p.givenNoSp, p.givenDM, p.givenSp = g[0], g[1], g[2], g[3]
	k += 4
	p.sur = take(ns)
	p.surFull, p.surNoSp = strs[k], strs[k+1]
	k += 2
	p.surDM = take(ndm)
	p.surSp = take(nsp)
	r := strs[k : k+15]
	p.foldGiven, p.foldSur, p.suffix, p.dob.Digits = r[0], r[1], r[2], r[3]
	p.sex, p.num, p.street, p.streetNS = r[4], r[5], r[6], r[7]
	p.line2, p.city, p.citySp, p.post, p.state, p.email, p.phone = r[8], r[9], r[10], r[11], r[12], r[13], r[14]
	return p
}

// uvarintAt decodes the uvarint at s[pos:] and returns it and the position
// after it (one byte, the common case, inline).
func uvarintAt(s string, pos int) (uint64, int) {
	if c := s[pos]; c < 0x80 {
		return uint64(c), pos + 1
	}
	return uvarintSlow(s, pos)
}

func uvarintSlow(s string, pos int) (uint64, int) {
	var v uint64
	var shift uint
	for {
		c := s[pos]
		pos++
		if c < 0x80 {
			return v | uint64(c)<<shift, pos
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
}
