package pdf417

import "errors"

// PDF417's error correction is Reed–Solomon over GF(929), the integers
// modulo the prime 929, with generator 3: the symbol's codewords are the
// coefficients of a polynomial (the first codeword the highest power) that
// vanishes at 3¹ … 3ᵏ for k error-correction codewords.
const mod = 929

// ErrCorrection means the codewords hold more errors than the symbol's
// error correction can repair.
var ErrCorrection = errors.New("pdf417: too many errors to correct")

func add(a, b int) int { return (a + b) % mod }
func sub(a, b int) int { return (a - b + mod) % mod }
func mul(a, b int) int { return a * b % mod }

func pow(a, n int) int {
	r := 1
	a %= mod
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			r = mul(r, a)
		}
		a = mul(a, a)
	}
	return r
}

// inv is a's multiplicative inverse (a ≠ 0): a^(p−2) by Fermat.
func inv(a int) int { return pow(a, mod-2) }

// ecCodewords computes the k error-correction codewords for data (as an
// encoder does): the negated remainder of data·xᵏ by ∏(x − 3ⁱ).
func ecCodewords(data []int, k int) []int {
	// g holds the generator's coefficients, lowest power first, g[k] = 1.
	g := []int{1}
	for i := 1; i <= k; i++ {
		root := pow(3, i)
		next := make([]int, len(g)+1)
		for j, c := range g {
			next[j+1] = add(next[j+1], c)
			next[j] = sub(next[j], mul(c, root))
		}
		g = next
	}
	rem := make([]int, k) // rem[0] is the highest power
	for _, d := range data {
		f := add(d, rem[0])
		copy(rem, rem[1:])
		rem[k-1] = 0
		for j := range k {
			rem[j] = sub(rem[j], mul(f, g[k-1-j]))
		}
	}
	// rem is data·xᵏ mod g; subtracting it makes a multiple of g.
	for j := range rem {
		rem[j] = sub(0, rem[j])
	}
	return rem
}

// correct repairs cw in place, where the last k codewords are error
// correction and erasures lists the indexes known to be unread (their
// values are ignored). It returns the number of codewords changed. Each
// erasure costs one check codeword, each error in an unknown place two.
func correct(cw []int, k int, erasures []int) (int, error) {
	n := len(cw)
	if k < 2 || k >= n {
		return 0, ErrCorrection
	}
	if len(erasures) > k {
		return 0, ErrCorrection
	}
	// Position i (index into cw) is the power n−1−i; its locator is 3^power.
	loc := func(i int) int { return pow(3, n-1-i) }
	S := make([]int, k+1) // S[1..k]
	clean := true
	for j := 1; j <= k; j++ {
		x, s := pow(3, j), 0
		for _, c := range cw {
			s = add(mul(s, x), c)
		}
		S[j] = s
		clean = clean && s == 0
	}
	if clean {
		return 0, nil
	}
	// Erasure locator Γ(x) = ∏(1 − Xᵢx), lowest power first.
	lambda := []int{1}
	for _, e := range erasures {
		lambda = polyMul(lambda, []int{1, sub(0, loc(e))})
	}
	b := append([]int(nil), lambda...)
	L, e := len(erasures), len(erasures)
	// Berlekamp–Massey from the erasure locator.
	for r := e + 1; r <= k; r++ {
		delta := 0
		for j := 0; j < len(lambda) && j < r; j++ {
			delta = add(delta, mul(lambda[j], S[r-j]))
		}
		xb := append([]int{0}, b...)
		if delta == 0 {
			b = xb
			continue
		}
		t := polySub(lambda, polyScale(xb, delta))
		if 2*L <= r+e-1 {
			b = polyScale(lambda, inv(delta))
			L = r + e - L
		} else {
			b = xb
		}
		lambda = t
	}
	lambda = trim(lambda)
	deg := len(lambda) - 1
	if deg != L || 2*(L-e)+e > k {
		return 0, ErrCorrection
	}
	// Ω(x) = S(x)Λ(x) mod xᵏ with S(x) = Σ S[j+1]xʲ.
	omega := make([]int, k)
	for i := range k {
		for j := 0; j <= i && j < len(lambda); j++ {
			omega[i] = add(omega[i], mul(lambda[j], S[i-j+1]))
		}
	}
	// Λ′ (formal derivative).
	dl := make([]int, max(len(lambda)-1, 1))
	for j := 1; j < len(lambda); j++ {
		dl[j-1] = mul(j%mod, lambda[j])
	}
	found := 0
	fixes := make(map[int]int)
	for i := range n {
		xinv := inv(loc(i))
		if eval(lambda, xinv) != 0 {
			continue
		}
		found++
		den := eval(dl, xinv)
		if den == 0 {
			return 0, ErrCorrection
		}
		fixes[i] = sub(0, mul(eval(omega, xinv), inv(den)))
	}
	if found != deg {
		return 0, ErrCorrection
	}
	changed := 0
	for i, v := range fixes {
		if v != 0 {
			changed++
		}
		cw[i] = sub(cw[i], v)
	}
	// A miscorrection can pass the locator's checks; the syndromes of the
	// result must vanish.
	for j := 1; j <= k; j++ {
		x, s := pow(3, j), 0
		for _, c := range cw {
			s = add(mul(s, x), c)
		}
		if s != 0 {
			return 0, ErrCorrection
		}
	}
	return changed, nil
}

func eval(p []int, x int) int {
	r := 0
	for i := len(p) - 1; i >= 0; i-- {
		r = add(mul(r, x), p[i])
	}
	return r
}

func polyMul(a, b []int) []int {
	out := make([]int, len(a)+len(b)-1)
	for i, x := range a {
		for j, y := range b {
			out[i+j] = add(out[i+j], mul(x, y))
		}
	}
	return out
}

func polyScale(a []int, f int) []int {
	out := make([]int, len(a))
	for i, x := range a {
		out[i] = mul(x, f)
	}
	return out
}

func polySub(a, b []int) []int {
	out := make([]int, max(len(a), len(b)))
	copy(out, a)
	for i, x := range b {
		out[i] = sub(out[i], x)
	}
	return out
}

func trim(p []int) []int {
	for len(p) > 1 && p[len(p)-1] == 0 {
		p = p[:len(p)-1]
	}
	return p
}
