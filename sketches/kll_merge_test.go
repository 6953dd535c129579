package sketches

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKLLMergeUp checks mergeUp against the plain merge (kllRefMerge) bit for
// bit, including the items around the merged range: positive runs (the
// integer merge from both ends) with many ties, and runs that must take the
// plain path (negative, ±0, mixed signs, ±Inf, runs longer than the scratch).
func TestKLLMergeUp(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	pools := map[string][]float64{
		"positive":   {1e-300, 0.5, 1, 1, 2, 3, 3, 3, 7.25, 1e10, math.Inf(1), math.SmallestNonzeroFloat64},
		"mixed":      {-2, -1, -0.0, 0, 0.5, 1, 2, math.Inf(-1), math.Inf(1)},
		"zeros":      {0, math.Copysign(0, -1), 1, 2},
		"negative":   {-5, -4, -4, -1, -1e-300, math.Inf(-1)},
		"random>0":   nil,
		"random±":    nil,
		"tie-blocks": {1, 1, 1, 1, 2, 2, 2, 2},
	}
	draw := func(name string) float64 {
		switch name {
		case "random>0":
			return r.Float64() + 1e-9
		case "random±":
			return r.Float64()*2 - 1
		}
		p := pools[name]
		return p[r.IntN(len(p))]
	}
	var s KLL[float64]
	for name := range pools {
		for iter := range 3000 {
			aLen, bLen := uint32(1+r.IntN(70)), uint32(1+r.IntN(90))
			if iter%3 == 0 {
				s.radix = make([]uint64, r.IntN(100)) // sometimes too short for b
			}
			aBeg := uint32(r.IntN(5))
			bBeg := aBeg + 2*aLen
			buf := make([]float64, bBeg+bLen+uint32(r.IntN(5)))
			for i := range buf {
				buf[i] = -7 // guards and the gap
			}
			a, b := buf[aBeg:aBeg+aLen], buf[bBeg:bBeg+bLen]
			for i := range a {
				a[i] = draw(name)
			}
			for i := range b {
				b[i] = draw(name)
			}
			// stable sorts keep ±0 in drawing order, like a sorted level
			slices.SortStableFunc(a, func(x, y float64) int { return cmpFloat(x, y) })
			slices.SortStableFunc(b, func(x, y float64) int { return cmpFloat(x, y) })
			want := slices.Clone(buf)
			kllRefMerge(want, aBeg, aLen, bBeg, bLen)
			got := slices.Clone(buf)
			s.mergeUp(got, aBeg, aLen, bBeg, bLen)
			// only the output range is specified; the rest must be untouched
			for i := range got {
				if i >= int(aBeg) && i < int(aBeg+aLen) {
					continue // a's old slots: unspecified
				}
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%s aLen=%d bLen=%d: slot %d = %v, want %v\ngot  %v\nwant %v",
						name, aLen, bLen, i, got[i], want[i], got, want)
				}
			}
		}
	}
}

// cmpFloat orders floats as < does, treating −0 and +0 as equal.
func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
