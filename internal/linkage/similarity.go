package linkage

import (
	"math/bits"
	"unicode/utf8"
)

// JaroWinkler returns the Jaro–Winkler similarity of a and b in [0, 1],
// comparing runes, with the usual prefix scale 0.1 over at most 4 runes.
func JaroWinkler(a, b string) float64 {
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	if isASCII(a) && isASCII(b) {
		if len(a) <= 64 && len(b) <= 64 {
			return jaroWinklerShort(a, b)
		}
		return jaroWinkler([]byte(a), []byte(b))
	}
	return jaroWinkler([]rune(a), []rune(b))
}

// jaroWinklerShort is jaroWinkler for ASCII strings of at most 64 bytes,
// the batch's hot path (names, streets, cities): the match flags fit in one
// word each and the bytes are read from the strings without a copy.
func jaroWinklerShort(a, b string) float64 {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	window := max(la, lb)/2 - 1
	if window < 0 {
		window = 0
	}
	var ma, mb uint64
	matches := 0
	if max(la, lb) > jwMaskFrom {
		ma, mb, matches = jwMatchMask(a, b, window)
	} else {
		// For each byte of a, the first unmatched equal byte of b within
		// the window.
		for i := 0; i < la; i++ {
			c := a[i]
			for j, hi := max(0, i-window), min(lb, i+window+1); j < hi; j++ {
				if b[j] == c && mb&(1<<j) == 0 {
					ma |= 1 << i
					mb |= 1 << j
					matches++
					break
				}
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans := 0
	for ra, rb := ma, mb; ra != 0; ra, rb = ra&(ra-1), rb&(rb-1) {
		if a[bits.TrailingZeros64(ra)] != b[bits.TrailingZeros64(rb)] {
			trans++
		}
	}
	m := float64(matches)
	jaro := (m/float64(la) + m/float64(lb) + (m-float64(trans/2))/m) / 3
	prefix := 0
	for prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

// jwMaskFrom is the length above which jwMatchMask is faster than a scan
// of the window (streets: 40 % less CPU; single names are shorter, and
// scanned).
const jwMaskFrom = 10

// jwMatchMask flags, for each byte of a, the first unmatched equal byte of
// b within the window, finding it from a mask of b's positions by byte
// (indexed by the byte's low five bits, so letters have their own entry; a
// clash is checked) instead of by a scan of the window.
func jwMatchMask(a, b string, window int) (ma, mb uint64, matches int) {
	la, lb := len(a), len(b)
	var pos [32]uint64
	for j := 0; j < lb; j++ {
		pos[b[j]&31] |= 1 << j
	}
	for i := 0; i < la; i++ {
		c := a[i]
		lo, hi := max(0, i-window), min(lb, i+window+1)
		if lo >= hi {
			continue
		}
		// Bits lo..hi-1 (hi-lo may be 64: the shift then gives 0).
		w := (uint64(1)<<(hi-lo) - 1) << lo
		for cand := pos[c&31] &^ mb & w; cand != 0; cand &= cand - 1 {
			if j := bits.TrailingZeros64(cand); b[j] == c {
				ma |= 1 << i
				mb |= 1 << j
				matches++
				break
			}
		}
	}
	return ma, mb, matches
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func jaroWinkler[T byte | rune](a, b []T) float64 {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	if la > maxFieldRunes {
		a, la = a[:maxFieldRunes], maxFieldRunes
	}
	if lb > maxFieldRunes {
		b, lb = b[:maxFieldRunes], maxFieldRunes
	}
	window := max(la, lb)/2 - 1
	if window < 0 {
		window = 0
	}
	var ma, mb [4]uint64 // match flags; maxFieldRunes ≤ 256
	matches := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb, i+window+1)
		for j := lo; j < hi; j++ {
			if mb[j>>6]&(1<<(j&63)) != 0 || a[i] != b[j] {
				continue
			}
			ma[i>>6] |= 1 << (i & 63)
			mb[j>>6] |= 1 << (j & 63)
			matches++
			break
		}
	}
	if matches == 0 {
		return 0
	}
	trans, j := 0, 0
	for i := 0; i < la; i++ {
		if ma[i>>6]&(1<<(i&63)) == 0 {
			continue
		}
		for mb[j>>6]&(1<<(j&63)) == 0 {
			j++
		}
		if a[i] != b[j] {
			trans++
		}
		j++
	}
	m := float64(matches)
	jaro := (m/float64(la) + m/float64(lb) + (m-float64(trans/2))/m) / 3
	prefix := 0
	for prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

// EditDistance returns the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and adjacent transpositions), in runes.
func EditDistance(a, b string) int {
	if isASCII(a) && isASCII(b) {
		if len(b) < 33 {
			return osaShort(a, b)
		}
		return osa([]byte(a), []byte(b))
	}
	return osa([]rune(a), []rune(b))
}

func osa[T byte | rune](a, b []T) int {
	if len(a) > maxFieldRunes {
		a = a[:maxFieldRunes]
	}
	if len(b) > maxFieldRunes {
		b = b[:maxFieldRunes]
	}
	la, lb := len(a), len(b)
	var buf [3 * 33]int // short strings (dates, postcodes, names) need no allocation
	var prev2, prev, cur []int
	if lb < 33 {
		prev2, prev, cur = buf[0:lb+1], buf[33:33+lb+1], buf[66:66+lb+1]
	} else {
		prev2, prev, cur = make([]int, lb+1), make([]int, lb+1), make([]int, lb+1)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}

// osaShort is osa for ASCII strings, b shorter than 33 bytes (dates,
// postcodes, phones, names), reading the bytes without a copy.
func osaShort(a, b string) int {
	if len(a) > maxFieldRunes {
		a = a[:maxFieldRunes]
	}
	la, lb := len(a), len(b)
	var buf [3 * 33]int
	prev2, prev, cur := buf[0:lb+1], buf[33:33+lb+1], buf[66:66+lb+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		ca := a[i-1]
		for j := 1; j <= lb; j++ {
			cost := 1
			if ca == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ca == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}

// editWithin returns EditDistance(a, b) if it is at most k, else k+1: the
// comparisons only ask whether two codes or dates are one or two
// keystrokes apart, and most candidate pairs are further. For short ASCII
// strings it fills only the cells within k of the diagonal (further ones
// are more than k) and stops when two rows in a row exceed k (a
// transposition can step over one row).
func editWithin(a, b string, k int) int {
	la, lb := len(a), len(b)
	if !isASCII(a) || !isASCII(b) || lb >= 33 || la > maxFieldRunes {
		return min(EditDistance(a, b), k+1)
	}
	if la-lb > k || lb-la > k {
		return k + 1
	}
	over := k + 1
	var buf [3 * 33]int
	prev2, prev, cur := buf[0:lb+1], buf[33:33+lb+1], buf[66:66+lb+1]
	for j := range prev {
		prev[j], prev2[j], cur[j] = min(j, over), over, over
	}
	lastOver := false
	for i := 1; i <= la; i++ {
		lo, hi := max(1, i-k), min(lb, i+k)
		if i-k-1 >= 0 {
			cur[i-k-1] = over
		}
		if i <= k {
			cur[0] = i
		}
		rowMin := cur[0]
		if i-k-1 >= 0 {
			rowMin = over
		}
		ca := a[i-1]
		for j := lo; j <= hi; j++ {
			cost := 1
			if ca == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost, over)
			if i > 1 && j > 1 && ca == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if hi+1 <= lb {
			cur[hi+1] = over
		}
		if rowMin >= over {
			if lastOver {
				return over
			}
			lastOver = true
		} else {
			lastOver = false
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}

// Dice returns the Dice coefficient of two equal-length bit sets:
// 2|A∩B| / (|A|+|B|), 0 when both are empty.
func Dice(a, b []uint64) float64 {
	var inter, na, nb int
	for i := range min(len(a), len(b)) {
		inter += bits.OnesCount64(a[i] & b[i])
		na += bits.OnesCount64(a[i])
		nb += bits.OnesCount64(b[i])
	}
	if na+nb == 0 {
		return 0
	}
	return 2 * float64(inter) / float64(na+nb)
}
