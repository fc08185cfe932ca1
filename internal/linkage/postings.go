package linkage

import "slices"

// postings maps each blocking key to the slots of the residents that have
// it. Most keys (an e-mail address, a phone number, an address, a rare name
// with a birth date) belong to one resident: those are kept as a bare slot,
// without a slice header and an array of their own, which at 1.5 M
// residents saves about 90 MB (docs/operations.md "Server start to ready").
type postings struct {
	one  map[uint64]int32
	many map[uint64][]int32
}

func newPostings() postings {
	return postings{one: map[uint64]int32{}, many: map[uint64][]int32{}}
}

func (p *postings) add(k uint64, s int32) {
	if o, ok := p.one[k]; ok {
		delete(p.one, k)
		p.many[k] = []int32{o, s}
		return
	}
	if m, ok := p.many[k]; ok {
		p.many[k] = append(m, s)
		return
	}
	p.one[k] = s
}

func (p *postings) remove(k uint64, s int32) {
	if o, ok := p.one[k]; ok {
		if o == s {
			delete(p.one, k)
		}
		return
	}
	m := p.many[k]
	i := slices.Index(m, s)
	if i < 0 {
		return
	}
	m[i] = m[len(m)-1]
	m = m[:len(m)-1]
	switch len(m) {
	case 0:
		delete(p.many, k)
	case 1:
		delete(p.many, k)
		p.one[k] = m[0]
	default:
		p.many[k] = m
	}
}

// get returns the slots under k; a single slot is returned in scratch, so
// the lookup allocates nothing.
func (p *postings) get(k uint64, scratch *[1]int32) []int32 {
	if o, ok := p.one[k]; ok {
		scratch[0] = o
		return scratch[:]
	}
	return p.many[k]
}

// bytes estimates the heap the postings hold.
func (p *postings) bytes() int64 {
	const mapEntry = 48 // bucket share per map entry, roughly
	n := int64(len(p.one)) * (mapEntry + 12)
	for _, m := range p.many {
		n += mapEntry + 24 + int64(cap(m))*4
	}
	return n
}
