package event

import (
	"math"
	"math/big"
	"math/bits"
	"sync"
)

// Eisel–Lemire conversion of a decimal w × 10^q (w exact in a uint64) to the
// nearest float64, for the floats that Clinger's exact path in parseNum
// cannot take (mantissas above 2^53 such as 17-digit shortest renderings,
// exponents beyond ±22). The algorithm (D. Lemire, "Number Parsing at a
// Gigabyte per Second", 2021) multiplies the normalized mantissa by a
// 128-bit truncated approximation of 10^q and reads the float off the high
// bits; when the truncation could change the rounding it gives up (ok
// false) and the caller uses strconv.ParseFloat. The power table is
// computed from exact big-integer arithmetic on first use.

const (
	elMinQ = -342 // 10^-342 × (2^64-1) is below the smallest subnormal
	elMaxQ = 308  // 10^309 overflows
)

// pow10Entry approximates 10^q as (hi·2^64 + lo) · 2^e2 with hi's top bit
// set, rounded down.
type pow10Entry struct {
	hi, lo uint64
	e2     int
}

var (
	pow10Once  sync.Once
	pow10Table []pow10Entry // index q - elMinQ
)

func buildPow10Table() {
	t := make([]pow10Entry, elMaxQ-elMinQ+1)
	ten := big.NewInt(10)
	mask := new(big.Int).SetUint64(math.MaxUint64)
	for q := elMinQ; q <= elMaxQ; q++ {
		var v *big.Int
		var e2 int
		if q >= 0 {
			v = new(big.Int).Exp(ten, big.NewInt(int64(q)), nil)
			bl := v.BitLen()
			if bl <= 128 {
				v.Lsh(v, uint(128-bl))
			} else {
				v.Rsh(v, uint(bl-128)) // floor
			}
			e2 = bl - 128
		} else {
			d := new(big.Int).Exp(ten, big.NewInt(int64(-q)), nil)
			k := 127 + d.BitLen() // 2^k / d is in [2^127, 2^128): d is not a power of two
			v = new(big.Int).Lsh(big.NewInt(1), uint(k))
			v.Quo(v, d) // floor
			e2 = -k
		}
		lo := new(big.Int).And(v, mask).Uint64()
		hi := new(big.Int).Rsh(v, 64).Uint64()
		t[q-elMinQ] = pow10Entry{hi: hi, lo: lo, e2: e2}
	}
	pow10Table = t
}

// eiselLemire returns the float64 nearest to w × 10^q (negated when neg)
// when it can prove the rounding; ok is false otherwise (including zero,
// subnormal and overflowing results, which the caller leaves to strconv).
func eiselLemire(w uint64, q int, neg bool) (float64, bool) {
	if w == 0 || q < elMinQ || q > elMaxQ {
		return 0, false
	}
	pow10Once.Do(buildPow10Table)
	p := &pow10Table[q-elMinQ]
	l := bits.LeadingZeros64(w)
	w <<= uint(l)
	zHi, zLo := bits.Mul64(w, p.hi)
	// The product with the truncated high word is low by less than w (in
	// units of zLo). When the bits below the mantissa are all ones, that
	// error could carry into it: refine with the low word.
	if zHi&0x1ff == 0x1ff && zLo+w < zLo {
		yHi, yLo := bits.Mul64(w, p.lo)
		lo := zLo + yHi
		hi := zHi
		if lo < zLo {
			hi++
		}
		if hi&0x1ff == 0x1ff && lo == math.MaxUint64 && yLo+w < yLo {
			return 0, false
		}
		zHi, zLo = hi, lo
	}
	u := int(zHi >> 63) // the product's top bit is 127 or 126
	m := zHi >> (9 + uint(u))
	// Exactly halfway between two floats (or too close to tell with a
	// truncated power): let strconv decide.
	if zLo == 0 && zHi&0x1ff == 0 && m&3 == 1 {
		return 0, false
	}
	exp := 190 + u + p.e2 - l // unbiased exponent of the 1.f form
	m += m & 1                // round half up on the 54th bit...
	m >>= 1                   // ...to 53 bits (the tie case was excluded above)
	if m == 1<<53 {
		m >>= 1
		exp++
	}
	be := exp + 1023
	if be <= 0 || be >= 0x7ff {
		return 0, false
	}
	b := uint64(be)<<52 | m&(1<<52-1)
	if neg {
		b |= 1 << 63
	}
	return math.Float64frombits(b), true
}
