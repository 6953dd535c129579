package sketches

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKLLSortNetworksPruned proves every network kllSortLeaf uses (2 to 16
// keys) by the 0-1 principle: a comparator network sorts all inputs if it
// sorts all 0/1 inputs.
func TestKLLSortNetworksPruned(t *testing.T) {
	for n := 2; n <= kllLeafMax; n++ {
		a := make([]uint64, n)
		for v := range 1 << n {
			for i := range a {
				a[i] = uint64(v>>i) & 1
			}
			kllSortLeaf(a)
			if !slices.IsSorted(a) {
				t.Fatalf("network for %d keys fails on %0*b", n, n, v)
			}
		}
	}
}

// TestKLLSortHalveMatchesSortThenHalve checks that the fused sort-and-halve of
// level-0 compaction writes the same bits as kllSort followed by kllHalveUp or
// kllHalveDown, including the order of −0 and +0 and of duplicates, for runs
// that take every path (monotone, insertion sort, networks, introsort).
func TestKLLSortHalveMatchesSortThenHalve(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	pool := []float64{math.Copysign(0, -1), 0, 1, -1, 2.5, -2.5, math.Inf(1), math.Inf(-1), 1e-300, -1e-300}
	var scratch []uint64
	for n := 2; n <= 80; n += 2 {
		for trial := range 300 {
			a := make([]float64, n)
			for i := range a {
				switch trial % 3 {
				case 0:
					a[i] = pool[rng.IntN(len(pool))]
				case 1:
					a[i] = pool[rng.IntN(3)] // mostly zeros of both signs
				default:
					a[i] = rng.NormFloat64()
				}
			}
			if trial%10 == 9 {
				slices.Sort(a)
				if trial%20 == 19 {
					slices.Reverse(a)
				}
			}
			for _, up := range []bool{false, true} {
				for offset := range uint32(2) {
					want := slices.Clone(a)
					kllSort(want, nil)
					kllHalveInPlace(want, offset, up)
					got := slices.Clone(a)
					scratch = kllSortHalve(got, scratch, offset, up)
					lo, hi := 0, n/2
					if up {
						lo, hi = n/2, n
					}
					for i := lo; i < hi; i++ {
						if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
							t.Fatalf("n=%d up=%v offset=%d input %v: got %v, want %v", n, up, offset, a, got[lo:hi], want[lo:hi])
						}
					}
					g32 := make([]float32, n)
					w32 := make([]float32, n)
					for i, v := range a {
						g32[i], w32[i] = float32(v), float32(v)
					}
					kllSort(w32, nil)
					kllHalveInPlace(w32, offset, up)
					scratch = kllSortHalve(g32, scratch, offset, up)
					for i := lo; i < hi; i++ {
						if math.Float32bits(g32[i]) != math.Float32bits(w32[i]) {
							t.Fatalf("float32 n=%d up=%v offset=%d input %v: got %v, want %v", n, up, offset, a, g32[lo:hi], w32[lo:hi])
						}
					}
				}
			}
		}
	}
}

// kllMonotoneModel is the straightforward early-exit form of kllMonotone:
// skip the equal prefix, then follow the direction of the first change.
func kllMonotoneModel(a []float64) bool {
	i := 1
	for i < len(a) && a[i] == a[i-1] {
		i++
	}
	if i >= len(a) {
		return true
	}
	asc := a[i] > a[i-1]
	for i++; i < len(a); i++ {
		if (asc && a[i] < a[i-1]) || (!asc && a[i] > a[i-1]) {
			return false
		}
	}
	if !asc {
		slices.Reverse(a)
	}
	return true
}

// TestKLLMonotoneMatchesModel checks the branch-free kllMonotone against the
// model on runs with ties and zeros of both signs (whose order is visible in
// the image), monotone or not.
func TestKLLMonotoneMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	pool := []float64{math.Copysign(0, -1), 0, 1, 2}
	for n := range 40 {
		for trial := range 400 {
			a := make([]float64, n)
			for i := range a {
				a[i] = pool[rng.IntN(len(pool))]
			}
			switch trial % 4 {
			case 1:
				slices.Sort(a)
			case 2:
				slices.Sort(a)
				slices.Reverse(a)
			}
			want := slices.Clone(a)
			wantOK := kllMonotoneModel(want)
			got := slices.Clone(a)
			gotOK := kllMonotone(got)
			if gotOK != wantOK {
				t.Fatalf("%v: kllMonotone = %v, model %v", a, gotOK, wantOK)
			}
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%v: got %v, want %v", a, got, want)
				}
			}
		}
	}
}
