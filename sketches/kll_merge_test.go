package sketches

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKLLMergeUp checks mergeUp and mergeUpDisjoint against the plain merge
// bit for bit, on interleaved and disjoint runs,
// including the items around the merged range: positive runs (merged on
// their bits from both ends) with many ties, and runs that must take the
// plain path (negative, ±0, mixed signs, ±Inf, b longer than the scratch).
// The float64 reference is kllRefMerge, the float32 one kllMergeInPlace.
func TestKLLMergeUp(t *testing.T) {
	testKLLMergeUp(t, func(buf []float64, aBeg, aLen, bBeg, bLen uint32) {
		kllRefMerge(buf, aBeg, aLen, bBeg, bLen)
	}, func(f float64) uint64 { return math.Float64bits(f) })
	testKLLMergeUp(t, kllMergeInPlace[float32],
		func(f float32) uint64 { return uint64(math.Float32bits(f)) })
}

func testKLLMergeUp[T float32 | float64](t *testing.T, ref func([]T, uint32, uint32, uint32, uint32), bitsOf func(T) uint64) {
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
	draw := func(name string) T {
		switch name {
		case "random>0":
			return T(r.Float64() + 1e-9)
		case "random±":
			return T(r.Float64()*2 - 1)
		}
		p := pools[name]
		return T(p[r.IntN(len(p))])
	}
	var s KLL[T]
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range pools {
			if !yield(k) {
				return
			}
		}
	}) {
		for iter := range 3000 {
			aLen, bLen := uint32(1+r.IntN(70)), uint32(1+r.IntN(90))
			if iter%3 == 0 {
				s.radix = make([]uint64, r.IntN(100)) // sometimes too short for b
			}
			aBeg := uint32(r.IntN(5))
			bBeg := aBeg + 2*aLen
			buf := make([]T, bBeg+bLen+uint32(r.IntN(5)))
			for i := range buf {
				buf[i] = -7 // guards and the gap
			}
			a, b := buf[aBeg:aBeg+aLen], buf[bBeg:bBeg+bLen]
			all := make([]T, aLen+bLen)
			for i := range all {
				all[i] = draw(name)
			}
			switch iter % 4 {
			case 1: // disjoint runs, a above b (ties possible at the seam)
				slices.SortStableFunc(all, cmpFloat[T])
				copy(b, all)
				copy(a, all[bLen:])
			case 2: // disjoint runs, a below b
				slices.SortStableFunc(all, cmpFloat[T])
				copy(a, all)
				copy(b, all[aLen:])
			default:
				copy(a, all)
				copy(b, all[aLen:])
			}
			// stable sorts keep ±0 in drawing order, like a sorted level
			slices.SortStableFunc(a, cmpFloat[T])
			slices.SortStableFunc(b, cmpFloat[T])
			want := slices.Clone(buf)
			ref(want, aBeg, aLen, bBeg, bLen)
			for _, disjoint := range []bool{false, true} {
				got := slices.Clone(buf)
				if disjoint {
					s.mergeUpDisjoint(got, aBeg, aLen, bBeg, bLen)
				} else {
					s.mergeUp(got, aBeg, aLen, bBeg, bLen)
				}
				for i := range got {
					if i >= int(aBeg) && i < int(aBeg+aLen) {
						continue // a's old slots: unspecified
					}
					if bitsOf(got[i]) != bitsOf(want[i]) {
						t.Fatalf("%T %s disjoint=%v aLen=%d bLen=%d: slot %d = %v, want %v\ngot  %v\nwant %v",
							got[i], name, disjoint, aLen, bLen, i, got[i], want[i], got, want)
					}
				}
			}
		}
	}
}

// cmpFloat orders floats as < does, treating −0 and +0 as equal.
func cmpFloat[T float32 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
