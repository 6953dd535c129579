package sketches

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// kllRefMerge is the plain form of kllMergeInPlace: both current items are
// loaded on every step.
func kllRefMerge(buf []float64, aBeg, aLen, bBeg, bLen uint32) {
	a, aLim := int(aBeg), int(aBeg+aLen)
	b, bLim := int(bBeg), int(bBeg+bLen)
	c := int(aBeg + aLen)
	for a < aLim && b < bLim {
		if buf[a] < buf[b] {
			buf[c] = buf[a]
			a++
		} else {
			buf[c] = buf[b]
			b++
		}
		c++
	}
	copy(buf[c:], buf[a:aLim])
}

// kllRefCompress is compressWhileUpdating written as upstream's
// compressWhileUpdating reads, without the fused sort-and-halve, the
// branch-free odd item or the cached capacities: sort level 0, halve, merge,
// then fix the level offsets with a branch on the parity of the level.
func kllRefCompress(s *KLL[float64]) {
	h := 0
	for int(s.levels[h+1]-s.levels[h]) < kllLevelCapacity(s.k, s.numLevels, h, s.m) {
		h++
	}
	if h == s.numLevels-1 {
		s.addEmptyTopLevel()
	}
	rawBeg, rawLim := s.levels[h], s.levels[h+1]
	popAbove := s.levels[h+2] - rawLim
	rawPop := rawLim - rawBeg
	odd := rawPop%2 == 1
	adjBeg, adjPop := rawBeg, rawPop
	if odd {
		adjBeg++
		adjPop--
	}
	half := adjPop / 2
	if h == 0 && !s.sorted {
		kllSort(s.items[adjBeg:adjBeg+adjPop], nil)
	}
	if popAbove == 0 {
		kllHalveUp(s.items, adjBeg, adjPop, s.bit())
	} else {
		kllHalveDown(s.items, adjBeg, adjPop, s.bit())
		kllRefMerge(s.items, adjBeg, half, rawLim, popAbove)
	}
	s.levels[h+1] -= half
	if odd {
		s.levels[h] = s.levels[h+1] - 1
		s.items[s.levels[h]] = s.items[rawBeg]
	} else {
		s.levels[h] = s.levels[h+1]
	}
	if h > 0 {
		lo := s.levels[0]
		copy(s.items[lo+half:rawBeg+half], s.items[lo:rawBeg])
		for l := 0; l < h; l++ {
			s.levels[l] += half
		}
	}
}

// kllRefUpdate is Update without the fast path, compacting through
// kllRefCompress.
func kllRefUpdate(s *KLL[float64], x float64) {
	if x != x {
		return
	}
	if s.n == 0 {
		s.minV, s.maxV = x, x
	} else {
		if x < s.minV {
			s.minV = x
		}
		if x > s.maxV {
			s.maxV = x
		}
	}
	if s.levels[0] == 0 {
		if s.base > 0 {
			s.grow()
		} else {
			kllRefCompress(s)
		}
	}
	s.levels[0]--
	s.items[s.levels[0]] = x
	s.n++
	s.sorted = false
}

// TestKLLCompactionMatchesReference drives Update and the plain reference
// update side by side with the same coin flips and compares the images after
// every compaction: every m the decoder accepts (2, 4, 6, 8, so levels as small
// as 2 items), several k, and inputs with both zeros, duplicates, NaN and
// runs in either order, so the fused level-0 sort, the merge and the
// branch-free handling of odd levels are all checked against the plain form.
func TestKLLCompactionMatchesReference(t *testing.T) {
	negZero := math.Copysign(0, -1)
	inputs := map[string]func(r *rand.Rand, i int) float64{
		"random": func(r *rand.Rand, _ int) float64 { return r.NormFloat64() },
		"zeros+dups": func(r *rand.Rand, _ int) float64 {
			return []float64{negZero, 0, 1, -1, 2.5, math.Inf(-1), math.NaN()}[r.IntN(7)]
		},
		"ascending":  func(_ *rand.Rand, i int) float64 { return float64(i) },
		"descending": func(_ *rand.Rand, i int) float64 { return -float64(i) },
		"sawtooth":   func(_ *rand.Rand, i int) float64 { return float64(i % 37) },
	}
	n := 6000
	if testing.Short() || kllRaceEnabled {
		n = 1500
	}
	for name, gen := range inputs {
		for _, m := range []int{2, 4, 6, 8} {
			for _, k := range []int{8, 11, 40, 200} {
				got, want := &KLL[float64]{}, &KLL[float64]{}
				got.reset(k, m)
				want.reset(k, m)
				got.SetBitSource(NewSeededBits(uint64(k*10 + m)))
				want.SetBitSource(NewSeededBits(uint64(k*10 + m)))
				r := rand.New(rand.NewPCG(uint64(k), uint64(m)))
				var gb, wb []byte
				for i := range n {
					x := gen(r, i)
					lo := got.levels[0]
					got.Update(x)
					kllRefUpdate(want, x)
					// Compare after every compaction or growth (level 0
					// did not just move down by one), every 64th update
					// and at the end.
					if got.levels[0] == lo-1 && i%64 != 0 && i != n-1 {
						continue
					}
					gb, _ = got.AppendBinary(gb[:0])
					wb, _ = want.AppendBinary(wb[:0])
					if !bytes.Equal(gb, wb) {
						t.Fatalf("%s m=%d k=%d: images differ after update %d (x=%v, levels %v, want %v)",
							name, m, k, i, x, got.levels, want.levels)
					}
				}
				if got.NumLevels() < 3 {
					t.Fatalf("%s m=%d k=%d: only %d levels after %d updates; the test must compact higher levels",
						name, m, k, got.NumLevels(), n)
				}
				kllCheckInvariants(t, got)
			}
		}
	}
}
