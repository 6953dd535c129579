package event

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// refNum is the reference conversion: scanNumber, then parseInt for
// integers, else strconv.ParseFloat.
func refNum(b []byte) (int, numKind, int64, float64) {
	j, isInt := scanNumber(b, 0)
	if j <= 0 {
		return j, 0, 0, 0
	}
	num := b[:j]
	if isInt {
		if v, ok := parseInt(num); ok {
			return j, numInt, v, 0
		}
	}
	f, _ := strconv.ParseFloat(string(num), 64)
	return j, numFloat, 0, f
}

func checkNum(t *testing.T, s string) {
	t.Helper()
	b := []byte(s)
	gj, gk, gi, gf := parseNum(b, 0)
	wj, wk, wi, wf := refNum(b)
	// An error at offset 0 is returned as 0 (minus zero): compare only the
	// offset then, as for any error.
	if gj != wj || (gj > 0 && (gk != wk || gi != wi || math.Float64bits(gf) != math.Float64bits(wf))) {
		t.Fatalf("%q: parseNum (%d, %d, %d, %v [%#x]), reference (%d, %d, %d, %v [%#x])",
			s, gj, gk, gi, gf, math.Float64bits(gf), wj, wk, wi, wf, math.Float64bits(wf))
	}
}

// numCorpus returns random and edge-case decimals: shortest and fixed
// renderings of random floats (including subnormals and huge values),
// integers around the int64 and 2^53 boundaries, long mantissas, big and
// small exponents, -0, and corrupted variants.
func numCorpus(r *rand.Rand, n int) []string {
	out := []string{
		"0", "-0", "0.0", "-0.0", "0e0", "-0e-0", "0E+5", "0e400", "0e-400", "1", "-1", "9", "10",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"18446744073709551615", "18446744073709551616", "99999999999999999999", "1000000000000000000",
		"9007199254740992", "9007199254740993", "9007199254740991", "9007199254740992.0", "9007199254740993.0",
		"9007199254740993e0", "900719925474099.3", "0.9007199254740993", "9007199254740992e22",
		"9007199254740992e23", "1e22", "1e23", "1e37", "1e38", "9e37", "1e-22", "1e-23", "123456789e-22",
		"4.9e-324", "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "2.2250738585072011e-308",
		"2.2250738585072014e-308", "1.7976931348623157e308", "1.7976931348623159e308", "1e309", "-1e309",
		"0.1", "0.2", "0.3", "19.99", "3.642857142857143", "145.92857142857142", "1.5e+3", "1.5E-3",
		"0.000000000000000000000000000001", "0.0000000000000000001", "1.0000000000000000000",
		"123456789012345678901234567890", "1234567890123456789.0", "12345678901234567890.0",
		"1e10000000000000000000", "1e-10000000000000000000", "-", "-a", "01", "1.", ".5", "1e", "1e+",
		"--1", "+1", "1.e5", "0x10", "1_000", "Inf", "NaN", "00.5", "-.5", "1.5e5.5",
	}
	for range n {
		var s string
		switch r.IntN(8) {
		case 0:
			s = strconv.FormatFloat(math.Float64frombits(r.Uint64()), "efgEG"[r.IntN(5)], -1, 64)
		case 1:
			s = strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)), "efg"[r.IntN(3)], r.IntN(25)-1, 64)
		case 2:
			s = strconv.FormatInt(r.Int64()>>r.IntN(64), 10)
		case 3: // around 2^53 and int64 bounds
			base := []int64{1 << 53, 1<<63 - 1, -1 << 63, 1e15, 1e16, 1e18}[r.IntN(6)]
			s = strconv.FormatInt(base+r.Int64N(2001)-1000, 10)
			if r.IntN(2) == 0 && base != -1<<63 {
				s = strconv.FormatUint(uint64(base)+uint64(r.IntN(2001)), 10)
			}
			if r.IntN(3) == 0 {
				k := 1 + r.IntN(len(s)-1)
				s = s[:k] + "." + s[k:]
			}
		case 4: // random digit strings with a random point and exponent
			var sb strings.Builder
			if r.IntN(2) == 0 {
				sb.WriteByte('-')
			}
			nd := 1 + r.IntN(25)
			sb.WriteByte(byte('1' + r.IntN(9)))
			for range nd - 1 {
				sb.WriteByte(byte('0' + r.IntN(10)))
			}
			if r.IntN(2) == 0 {
				sb.WriteString(".")
				for range 1 + r.IntN(20) {
					sb.WriteByte(byte('0' + r.IntN(10)))
				}
			}
			if r.IntN(2) == 0 {
				sb.WriteString([]string{"e", "E", "e+", "e-", "E-"}[r.IntN(5)])
				sb.WriteString(strconv.Itoa(r.IntN(60)))
			}
			s = sb.String()
		case 5: // small decimals with few digits (prices, ratios)
			s = strconv.FormatFloat(float64(r.IntN(1000000))/math.Pow(10, float64(r.IntN(8))), 'f', -1, 64)
		case 6: // 0.000ddd
			s = "0." + strings.Repeat("0", r.IntN(25)) + strconv.Itoa(1+r.IntN(1e9))
		default: // corruption
			b := []byte(strconv.FormatFloat(r.NormFloat64()*1e3, 'g', -1, 64))
			b[r.IntN(len(b))] = "0123456789.eE+-x "[r.IntN(17)]
			s = string(b)
		}
		out = append(out, s)
	}
	return out
}

// parseNum agrees bit for bit with the reference on valid numbers and on the
// error offset of invalid ones; trailing bytes end the number as they do in
// scanNumber.
func TestParseNumMatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	fast := 0
	for _, s := range numCorpus(r, 150000) {
		checkNum(t, s)
		checkNum(t, s+",")
		checkNum(t, s+"}")
		if j, k, _, _ := parseNum([]byte(s), 0); j == len(s) && k == numFloat {
			fast++
		}
	}
	if fast < 25000 {
		t.Fatalf("only %d floats in the corpus", fast)
	}
}

func FuzzParseNum(f *testing.F) {
	for _, s := range numCorpus(rand.New(rand.NewPCG(1, 1)), 50) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkNum(t, string(b))
	})
}
