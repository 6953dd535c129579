package event

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// eiselLemire, when it answers, agrees bit for bit with strconv.ParseFloat,
// and it answers for nearly all inputs with a normal result.
func TestEiselLemireMatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	answered, total := 0, 0
	check := func(w uint64, q int, neg bool) {
		s := strconv.FormatUint(w, 10) + "e" + strconv.Itoa(q)
		if neg {
			s = "-" + s
		}
		want, _ := strconv.ParseFloat(s, 64)
		got, ok := eiselLemire(w, q, neg)
		total++
		if !ok {
			return
		}
		answered++
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%s: got %v [%#x], strconv %v [%#x]", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
	for range 200000 {
		var w uint64
		switch r.IntN(4) {
		case 0:
			w = r.Uint64()
		case 1:
			w = r.Uint64() >> r.IntN(64)
		case 2: // 16-17 digit mantissas (shortest float renderings)
			w = 1e15 + r.Uint64N(9e16)
		default: // near powers of two and halfway points
			w = 1<<(53+r.IntN(11)) + r.Uint64N(5) - 2
		}
		q := r.IntN(elMaxQ-elMinQ+41) + elMinQ - 20
		if r.IntN(2) == 0 {
			q = r.IntN(60) - 30
		}
		check(w, q, r.IntN(2) == 0)
	}
	// Shortest renderings of random floats, split into digits and exponent.
	for range 200000 {
		f := math.Float64frombits(r.Uint64() &^ (1 << 63))
		if math.IsNaN(f) || math.IsInf(f, 0) || f == 0 {
			continue
		}
		s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±xx
		k := strings.IndexByte(s, 'e')
		mant, exp := s[:k], s[k+1:]
		digits := ""
		for k := range len(mant) {
			if mant[k] != '.' {
				digits += mant[k : k+1]
			}
		}
		w, _ := strconv.ParseUint(digits, 10, 64)
		e, _ := strconv.Atoi(exp)
		check(w, e-(len(digits)-1), false)
	}
	t.Logf("answered %d of %d", answered, total)
	if answered < total*9/10 {
		t.Fatalf("answered only %d of %d", answered, total)
	}
	for _, c := range []struct {
		w uint64
		q int
	}{{0, 0}, {1, elMinQ - 1}, {1, elMaxQ + 1}, {1, -324}, {1, 308}, {17976931348623157, 292},
		{17976931348623159, 292}, {22250738585072014, -324}, {22250738585072011, -324}, {9007199254740993, 0},
		{1<<64 - 1, 0}, {1<<64 - 1, -342}, {1<<64 - 1, 289}, {5, -324}, {49, -325}} {
		check(c.w, c.q, false)
		check(c.w, c.q, true)
	}
}

// The table holds 10^q rounded down: spot-check the exact powers.
func TestPow10Table(t *testing.T) {
	pow10Once.Do(buildPow10Table)
	for q := 0; q <= 27; q++ { // 10^27 < 2^90: exact in the high word and low word
		p := pow10Table[q-elMinQ]
		if p.hi>>63 != 1 {
			t.Fatalf("10^%d: high bit not set", q)
		}
		// (hi·2^64 + lo) · 2^e2 == 10^q, checked as a float.
		if got := (float64(p.hi)*0x1p64 + float64(p.lo)) * math.Pow(2, float64(p.e2)); got != math.Pow(10, float64(q)) {
			t.Fatalf("10^%d: table gives %v", q, got)
		}
	}
}
