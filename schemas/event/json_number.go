package event

import (
	"strconv"
	"unsafe"
)

// Number conversion in one pass. parseNum scans a JSON number (the grammar
// of scanNumber) while accumulating its decimal digits, so integers need no
// second pass and most floats are converted exactly without strconv:
//
//   - An integer (no '.', 'e', 'E') of at most 19 digits is accumulated in a
//     uint64 and range-checked against int64, exactly as parseInt does.
//   - A float whose digits form a mantissa m <= 2^53 and whose decimal
//     exponent e satisfies |e| <= 22 is float64(m) * 10^e or float64(m) /
//     10^-e: both operands are exact float64 values, so the single IEEE
//     operation is correctly rounded, which is what strconv.ParseFloat
//     returns (Clinger's fast path; strconv uses the same argument). For e
//     in (22, 22+15] the mantissa is first multiplied by 10^(e-22) in
//     integers when that stays <= 2^53.
//   - Other floats with at most 19 digits (mantissas above 2^53, larger
//     exponents) go through eiselLemire (json_float.go), which either proves
//     the correctly rounded result or declines.
//   - Everything else (more than 19 digits, Eisel–Lemire declining, zero
//     with a large exponent, subnormal or overflowing results, integers
//     beyond int64) goes to strconv.ParseFloat.
//
// TestParseNumMatchesStrconv and FuzzParseNum compare every result bit for
// bit with the reference (scanNumber, parseInt, strconv.ParseFloat).

// numKind says what parseNum produced.
type numKind uint8

const (
	numInt   numKind = iota // iv holds the value
	numFloat                // fv holds the value
)

// exactPow10 holds the powers of ten that are exact float64 values.
var exactPow10 = [23]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// uint64Pow10 holds 10^k for k <= 15 (the integer scaling of the mantissa).
var uint64Pow10 = [16]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
	1e14, 1e15}

// parseNum parses the JSON number starting at b[i]. It returns the end
// offset, or minus the offset of the offending byte on a syntax error (as
// scanNumber does), and the value: an int64 for integers that fit, else a
// float64 with strconv.ParseFloat's result.
func parseNum(b []byte, i int) (end int, kind numKind, iv int64, fv float64) {
	j := i
	neg := false
	if j < len(b) && b[j] == '-' {
		neg = true
		j++
	}
	if j >= len(b) {
		return -j, 0, 0, 0
	}
	var m uint64
	nd := 0 // digits accumulated into m (at most 19 are meaningful)
	switch c := b[j]; {
	case c == '0':
		j++
	case c >= '1' && c <= '9':
		start := j
		for j < len(b) && b[j]-'0' <= 9 {
			m = m*10 + uint64(b[j]-'0')
			j++
		}
		nd = j - start
	default:
		return -j, 0, 0, 0
	}
	if j >= len(b) || (b[j] != '.' && b[j]|0x20 != 'e') {
		// An integer.
		if nd <= 19 {
			if neg {
				if m <= 1<<63 {
					return j, numInt, -int64(m), 0
				}
			} else if m <= 1<<63-1 {
				return j, numInt, int64(m), 0
			}
		}
		return j, numFloat, 0, slowFloat(b[i:j])
	}
	frac := 0
	if b[j] == '.' {
		j++
		start := j
		for j < len(b) && b[j]-'0' <= 9 {
			m = m*10 + uint64(b[j]-'0')
			j++
		}
		if j == start {
			return -j, 0, 0, 0
		}
		frac = j - start
		if nd == 0 { // "0.xxx": leading zeros of the fraction add nothing to m
			nd = frac
		} else {
			nd += frac
		}
	}
	exp := 0
	if j < len(b) && b[j]|0x20 == 'e' {
		j++
		eneg := false
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			eneg = b[j] == '-'
			j++
		}
		start := j
		for j < len(b) && b[j]-'0' <= 9 {
			if exp < 10000 {
				exp = exp*10 + int(b[j]-'0')
			}
			j++
		}
		if j == start {
			return -j, 0, 0, 0
		}
		if eneg {
			exp = -exp
		}
	}
	if nd <= 19 && m <= 1<<53 {
		e := exp - frac
		f := float64(m) // exact
		switch {
		case e == 0:
		case e > 0 && e <= 22:
			f *= exactPow10[e]
		case e < 0 && e >= -22:
			f /= exactPow10[-e]
		case e > 22 && e <= 22+15 && m <= (1<<53)/uint64Pow10[e-22]:
			f = float64(m*uint64Pow10[e-22]) * exactPow10[22]
		default:
			if f, ok := eiselLemire(m, e, neg); ok {
				return j, numFloat, 0, f
			}
			return j, numFloat, 0, slowFloat(b[i:j])
		}
		if neg {
			f = -f
		}
		return j, numFloat, 0, f
	}
	if nd <= 19 {
		if f, ok := eiselLemire(m, exp-frac, neg); ok {
			return j, numFloat, 0, f
		}
	}
	return j, numFloat, 0, slowFloat(b[i:j])
}

// slowFloat is strconv.ParseFloat on a validated JSON number (overflow gives
// ±Inf, which is what the decoder reports).
func slowFloat(num []byte) float64 {
	f, _ := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
	return f
}
