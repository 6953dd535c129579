package event

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Review (session 3): parseNum and eiselLemire on the hardest inputs for a
// truncated-power conversion: decimals within one unit of the 15th-19th
// digit of the exact midpoint between two adjacent float64 values, exact
// midpoints with few digits (ties to even), and the ends of the range.

// midpoint returns the exact value halfway between f and the next float64
// up (for MaxFloat64: halfway to 2^1024).
func midpoint(f float64) *big.Float {
	a := new(big.Float).SetPrec(2200).SetFloat64(f)
	var b *big.Float
	if f == math.MaxFloat64 {
		b = new(big.Float).SetPrec(2200).SetMantExp(big.NewFloat(1), 1024)
	} else {
		b = new(big.Float).SetPrec(2200).SetFloat64(math.Nextafter(f, math.Inf(1)))
	}
	a.Add(a, b)
	return a.Quo(a, big.NewFloat(2))
}

// nearDigits appends renderings of x with d significant digits (rounded,
// and one unit below and above in the last digit) in several spellings.
func nearDigits(out []string, x *big.Float, d int) []string {
	s := x.Text('e', d-1) // d.ddd…e±xx, correctly rounded
	k := strings.IndexByte(s, 'e')
	digits := strings.Replace(s[:k], ".", "", 1)
	exp, _ := strconv.Atoi(s[k+1:])
	w, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return out
	}
	for _, dw := range []int64{-1, 0, 1} {
		v := uint64(int64(w) + dw)
		ds := strconv.FormatUint(v, 10)
		q := exp - (len(digits) - 1)
		out = append(out,
			ds+"e"+strconv.Itoa(q),
			ds[:1]+"."+ds[1:]+"e"+strconv.Itoa(q+len(ds)-1),
			"-"+ds+"E"+strconv.Itoa(q))
		if q < 0 && -q < len(ds) { // a plain fraction: iii.fff
			p := len(ds) + q
			out = append(out, ds[:p]+"."+ds[p:])
		}
		if q < 0 && -q-len(ds) < 5 && -q >= len(ds) { // 0.000ddd
			out = append(out, "0."+strings.Repeat("0", -q-len(ds))+ds)
		}
		if q >= 0 && q < 4 {
			out = append(out, ds+strings.Repeat("0", q)+".0")
		}
	}
	return out
}

func TestReview3ParseNumHalfway(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 1126))
	var corpus []string
	add := func(f float64) {
		m := midpoint(f)
		for _, d := range []int{15, 16, 17, 18, 19} {
			corpus = nearDigits(corpus, m, d)
		}
	}
	specials := []float64{math.MaxFloat64, math.SmallestNonzeroFloat64, 0x1p-1022, math.Nextafter(0x1p-1022, 0),
		1, 0.1, 1e22, 1e23, 0x1p53, 0x1p63, 0x1p64, 1e308, 1e-308, 1e-307, 2.2250738585072014e-308}
	for _, f := range specials {
		add(f)
		add(math.Nextafter(f, 0))
	}
	n := 3000
	if testing.Short() {
		n = 500
	}
	for range n {
		var f float64
		switch r.IntN(3) {
		case 0: // any finite positive
			f = math.Float64frombits(r.Uint64N(0x7ff0000000000000-1) + 1)
		case 1: // around the decimal exponents Clinger cannot take
			f = (1 + r.Float64()) * math.Pow(10, float64(r.IntN(80)-40))
		default: // near the ends of the normal range
			e := []int{-1022, -1021, -1000, 1000, 1022, 1023}[r.IntN(6)]
			f = math.Ldexp(1+r.Float64(), e)
		}
		if math.IsInf(f, 0) || f == 0 {
			continue
		}
		add(f)
	}
	// Exact midpoints with few digits: integers above 2^53 and binary
	// fractions, which must round to even.
	for range n {
		u := r.IntN(15) - 3 // ulp 2^u
		m := uint64(1)<<52 | r.Uint64N(1<<52)
		f := math.Ldexp(float64(m), u)
		x := midpoint(f)
		s := strings.TrimRight(strings.TrimRight(x.Text('f', 6), "0"), ".")
		corpus = append(corpus, s, s+"e0", "-"+s, s+"0e-1", s+"00E-2")
		if !strings.Contains(s, ".") {
			corpus = append(corpus, s+".0", s+".000")
		}
	}
	corpus = append(corpus,
		"45035996273704965e-1", "45035996273704967e-1", "4503599627370496.5", "4503599627370497.5",
		"9007199254740993.0", "9007199254740995.0", "18014398509481986e0", "18014398509481990e0",
		"1.7976931348623158e308", "1.7976931348623157e308", "1.79769313486231580793e308",
		"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.0",
		"2.4703282292062327e-324", "2.4703282292062328e-324", "4.9406564584124654e-324", "7.4109846876186982e-324",
		"2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072013e-308",
		"1e-342", "1e-343", "9999999999999999999e-362", "1e308", "10e307", "0.1e309", "1e309",
		"18446744073709551615e-10", "18446744073709551616e-10", "9999999999999999999", "9999999999999999999.0",
		"-0", "-0.0", "-0e-999", "0e999", "-0.000e+308", "00", "-00", "+0", "+1", "01.5", "-01", "1e+-5", "1e-+5")
	for _, s := range corpus {
		checkNum(t, s)
		checkNum(t, s+" ")
	}
	t.Logf("%d inputs", len(corpus))
}

// eiselLemire declines (or is right) on every exact tie it sees: a tie
// with a truncated power below it must not be rounded as if below halfway.
func TestReview3EiselLemireTies(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		// h/2^k (h = 2m+1 odd, 54 bits) is halfway between two adjacent
		// float64 values; written as w·10^q with w = h·5^-q·2^(-q-k).
		q := -r.IntN(8) - 1
		k := r.IntN(-q) + 1
		m := uint64(1)<<52 | r.Uint64N(1<<52)
		wb := new(big.Int).SetUint64(2*m + 1)
		wb.Mul(wb, new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(-q)), nil))
		wb.Lsh(wb, uint(-q-k))
		if !wb.IsUint64() {
			continue
		}
		w := wb.Uint64()
		s := strconv.FormatUint(w, 10) + "e" + strconv.Itoa(q)
		want, _ := strconv.ParseFloat(s, 64)
		if got, ok := eiselLemire(w, q, false); ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%s: eiselLemire %v, strconv %v", s, got, want)
		}
		checkNum(t, s)
	}
}
