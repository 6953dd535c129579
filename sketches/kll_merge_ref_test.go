package sketches

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// kllRefMergeSketch is Merge in its plain form (the form before the fast
// paths, as upstream reads): o's level 0 inserted item by item, the higher
// levels merged by kllMergeInto, and kllRefGeneralCompress with kllSort,
// separate halving and kllMergeInPlace. It assumes valid arguments (same m, o
// not empty, o != s).
func kllRefMergeSketch[T float32 | float64](s, o *KLL[T]) {
	if len(s.levels) == 0 {
		s.reset(o.k, o.m)
	}
	if s.n == 0 {
		s.minV, s.maxV = o.minV, o.maxV
	} else {
		if o.minV < s.minV {
			s.minV = o.minV
		}
		if o.maxV > s.maxV {
			s.maxV = o.maxV
		}
	}
	finalN := s.n + o.n
	for i := o.levels[0]; i < o.levels[1]; i++ {
		if s.levels[0] == 0 {
			s.makeRoom(0) // doubling, as Update grows
		}
		s.n++
		s.sorted = false
		s.levels[0]--
		s.items[s.levels[0]] = o.items[i]
	}
	if o.numLevels >= 2 {
		kllRefMergeHigher(s, o, finalN)
	}
	s.n = finalN
	if o.numLevels > 1 && o.minK < s.minK {
		s.minK = o.minK
	}
}

func kllRefMergeHigher[T float32 | float64](s, o *KLL[T], finalN uint64) {
	total := s.NumRetained() + (len(o.items) - int(o.levels[1]))
	buf := make([]T, total)
	provisional := max(s.numLevels, o.numLevels)
	nl := max(kllUBOnNumLevels(finalN), provisional) + 3
	in, out := make([]uint32, nl), make([]uint32, nl)
	w := uint32(copy(buf, s.items[s.levels[0]:s.levels[1]]))
	in[0], in[1] = 0, w
	for l := 1; l < provisional; l++ {
		var sa, oa []T
		if l < s.numLevels {
			sa = s.items[s.levels[l]:s.levels[l+1]]
		}
		if l < o.numLevels {
			oa = o.items[o.levels[l]:o.levels[l+1]]
		}
		n := uint32(len(sa) + len(oa))
		kllMergeInto(buf[w:w+n], sa, oa)
		w += n
		in[l+1] = w
	}
	numLevels, target, count := kllRefGeneralCompress(s, provisional, buf, in, out)
	phys := max(count, min(target, len(s.items)))
	items := make([]T, phys)
	free := uint32(phys - count)
	copy(items[free:], buf[out[0]:out[0]+uint32(count)])
	s.levels = make([]uint32, numLevels+1)
	for i := 0; i <= numLevels; i++ {
		s.levels[i] = out[i] - out[0] + free
	}
	s.items = items
	s.numLevels = numLevels
	s.base = uint32(target - phys)
}

func kllRefGeneralCompress[T float32 | float64](s *KLL[T], numLevels int, buf []T, in, out []uint32) (int, int, int) {
	k, m := s.k, s.m
	count := int(in[numLevels] - in[0])
	target := kllTotalCapacity(k, m, numLevels)
	out[0] = 0
	for lvl := 0; ; lvl++ {
		if lvl == numLevels-1 {
			in[lvl+2] = in[lvl+1]
		}
		rawBeg, rawLim := in[lvl], in[lvl+1]
		rawPop := rawLim - rawBeg
		if count < target || int(rawPop) < kllLevelCapacity(k, numLevels, lvl, m) {
			copy(buf[out[lvl]:], buf[rawBeg:rawLim])
			out[lvl+1] = out[lvl] + rawPop
		} else {
			popAbove := in[lvl+2] - rawLim
			odd := rawPop&1 == 1
			adjBeg, adjPop := rawBeg, rawPop
			if odd {
				adjBeg++
				adjPop--
			}
			half := adjPop / 2
			if odd {
				buf[out[lvl]] = buf[rawBeg]
				out[lvl+1] = out[lvl] + 1
			} else {
				out[lvl+1] = out[lvl]
			}
			if lvl == 0 && !s.sorted {
				kllRefSort(buf[adjBeg : adjBeg+adjPop])
			}
			if popAbove == 0 {
				kllHalveUp(buf, adjBeg, adjPop, s.bit())
			} else {
				kllHalveDown(buf, adjBeg, adjPop, s.bit())
				kllMergeInPlace(buf, adjBeg, half, rawLim, popAbove)
			}
			count -= int(half)
			in[lvl+1] -= half
			if lvl == numLevels-1 {
				numLevels++
				target += kllLevelCapacity(k, numLevels, 0, m)
			}
		}
		if lvl == numLevels-1 {
			break
		}
	}
	return numLevels, target, count
}

// kllTestDraws are the item generators of the merge tests: random signed and
// positive items, few distinct values with both zeros, ascending and
// descending runs, and integers with many duplicates.
var kllTestDraws = []struct {
	name string
	draw func(r *rand.Rand, i int) float64
}{
	{"signed", func(r *rand.Rand, _ int) float64 { return r.NormFloat64() }},
	{"positive", func(r *rand.Rand, _ int) float64 { return r.Float64() + 1e-9 }},
	{"zeros+dups", func(r *rand.Rand, _ int) float64 {
		return []float64{math.Copysign(0, -1), 0, 1, -1, 2.5, math.Inf(-1), math.Inf(1), 0, math.Copysign(0, -1)}[r.IntN(9)]
	}},
	{"ints", func(r *rand.Rand, _ int) float64 { return float64(r.IntN(50)) - 10 }},
	{"ascending", func(_ *rand.Rand, i int) float64 { return float64(i) }},
	{"descending", func(_ *rand.Rand, i int) float64 { return -float64(i) }},
	{"nan", func(r *rand.Rand, _ int) float64 {
		if r.IntN(10) == 0 {
			return math.NaN()
		}
		return r.NormFloat64()
	}},
}

// TestKLLMergeMatchesReference merges random sketches (k from 8 to 1024, every
// m, sizes from one item to several levels, all kllTestDraws, float64 and
// float32) into accumulators through Merge and through kllRefMergeSketch with
// equal bit sources, and compares the images after every merge and the next
// bits of both sources (the same number of coin flips was consumed).
func TestKLLMergeMatchesReference(t *testing.T) {
	testKLLMergeMatchesReference[float64](t)
	testKLLMergeMatchesReference[float32](t)
}

func testKLLMergeMatchesReference[T float32 | float64](t *testing.T) {
	rounds := 40
	if testing.Short() || kllRaceEnabled {
		rounds = 12
	}
	r := rand.New(rand.NewPCG(3, 4))
	sizes := []int{1, 2, 7, 30, 200, 1000, 5000, 40000}
	for round := range rounds {
		k := []int{8, 11, 40, 200, 1024}[round%5]
		m := []int{8, 8, 2, 4, 6}[r.IntN(5)]
		gen := kllTestDraws[r.IntN(len(kllTestDraws))]
		got, want := &KLL[T]{}, &KLL[T]{}
		got.reset(k, m)
		want.reset(k, m)
		got.SetBitSource(NewSeededBits(uint64(round)))
		want.SetBitSource(NewSeededBits(uint64(round)))
		var gb, wb []byte
		for step := range 12 {
			o := &KLL[T]{}
			ok := []int{k, k, k / 2, 2 * k}[r.IntN(4)]
			o.reset(min(max(ok, m, kllMinK), kllMaxK), m)
			o.SetBitSource(NewSeededBits(uint64(1000*round + step)))
			n := sizes[r.IntN(len(sizes))]
			if step == 0 && r.IntN(2) == 0 {
				n = sizes[len(sizes)-1]
			}
			base := r.IntN(1000)
			for i := range n {
				o.Update(T(gen.draw(r, base+i)))
			}
			if o.n == 0 {
				continue
			}
			if r.IntN(6) == 0 {
				// as after decoding an image with the sorted flag: level 0
				// sorted, so the first compaction of the merge skips the sort
				for _, x := range []*KLL[T]{got, want} {
					slices.SortStableFunc(x.items[x.levels[0]:x.levels[1]], cmpFloat[T])
					x.sorted = true
				}
			}
			if err := got.Merge(o); err != nil {
				t.Fatal(err)
			}
			kllRefMergeSketch(want, o)
			gb, _ = got.AppendBinary(gb[:0])
			wb, _ = want.AppendBinary(wb[:0])
			if !bytes.Equal(gb, wb) {
				t.Fatalf("%T round %d (%s, k=%d, m=%d) step %d (o: k=%d n=%d levels=%d): images differ",
					got, round, gen.name, k, m, step, o.k, o.n, o.numLevels)
			}
			kllCheckInvariants(t, got)
		}
		for range 70 {
			if g, w := got.bit(), want.bit(); g != w {
				t.Fatalf("%T round %d: the bit sources diverged: the merges consumed different numbers of bits", got, round)
			}
		}
	}
}

// TestKLLMergeTwoEnded checks kllMergeTwoEnded and the Merge-path level merge
// (mergeLevels) against kllMergeInto and kllMergeInPlace bit for bit, on runs
// of every length up to 300 (split or not, balanced or not), interleaved and
// disjoint, with ties, both zeros, infinities and integers.
func TestKLLMergeTwoEnded(t *testing.T) {
	testKLLMergeTwoEnded(t, func(f float64) uint64 { return math.Float64bits(f) })
	testKLLMergeTwoEnded(t, func(f float32) uint64 { return uint64(math.Float32bits(f)) })
}

func testKLLMergeTwoEnded[T float32 | float64](t *testing.T, bitsOf func(T) uint64) {
	r := rand.New(rand.NewPCG(11, 12))
	var s KLL[T]
	iters := 20000
	if testing.Short() || kllRaceEnabled {
		iters = 4000
	}
	for iter := range iters {
		gen := kllTestDraws[iter%(len(kllTestDraws)-1)] // no NaN
		maxLen := []int{4, 10, 70, 300}[r.IntN(4)]
		aLen, bLen := r.IntN(maxLen+1), r.IntN(maxLen+1)
		if iter%7 == 0 {
			aLen = r.IntN(3) // very unbalanced
		}
		all := make([]T, aLen+bLen)
		base := r.IntN(100)
		for i := range all {
			all[i] = T(gen.draw(r, base+i))
		}
		a, b := all[:aLen], all[aLen:]
		switch iter % 5 {
		case 1: // disjoint, a above b
			slices.SortStableFunc(all, cmpFloat[T])
			b, a = all[:bLen], all[bLen:]
		case 2: // disjoint, a below b
			slices.SortStableFunc(all, cmpFloat[T])
		}
		slices.SortStableFunc(a, cmpFloat[T])
		slices.SortStableFunc(b, cmpFloat[T])
		want := make([]T, aLen+bLen)
		kllMergeInto(want, a, b)
		got := make([]T, aLen+bLen)
		kllMergeTwoEnded(got, a, b)
		for i := range got {
			if bitsOf(got[i]) != bitsOf(want[i]) {
				t.Fatalf("%T %s aLen=%d bLen=%d: slot %d = %v, want %v\na %v\nb %v\ngot  %v\nwant %v",
					got[i], gen.name, aLen, bLen, i, got[i], want[i], a, b, got, want)
			}
		}
		// In place, as the compactions of Merge: a at aBeg, its old slots
		// (unspecified after the merge) then b at aBeg+2·aLen.
		if aLen == 0 {
			continue
		}
		aBeg := uint32(r.IntN(4))
		bBeg := aBeg + 2*uint32(aLen)
		buf := make([]T, int(bBeg)+bLen+r.IntN(4))
		for i := range buf {
			buf[i] = -7
		}
		copy(buf[aBeg:], a)
		copy(buf[bBeg:], b)
		ref := slices.Clone(buf)
		kllMergeInPlace(ref, aBeg, uint32(aLen), bBeg, uint32(bLen))
		s.mergeLevels(buf, aBeg, uint32(aLen), bBeg, uint32(bLen))
		for i := range buf {
			if i >= int(aBeg) && i < int(aBeg)+aLen {
				continue
			}
			if bitsOf(buf[i]) != bitsOf(ref[i]) {
				t.Fatalf("%T %s mergeLevels aLen=%d bLen=%d: slot %d = %v, want %v", buf[i], gen.name, aLen, bLen, i, buf[i], ref[i])
			}
		}
	}
}

// TestKLLAppendItems checks the unrolled item encoders (and decoders) against one
// binary.LittleEndian store per item, for every length up to 21 (the unrolled
// steps and every tail), appended after a prefix (the caller has grown the
// capacity, as appendImage does), with special values.
func TestKLLAppendItems(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e-310, -3.5}
	for n := range 22 {
		v64 := make([]float64, n)
		v32 := make([]float32, n)
		for i := range v64 {
			v64[i] = r.NormFloat64()
			if r.IntN(3) == 0 {
				v64[i] = special[r.IntN(len(special))]
			}
			v32[i] = float32(v64[i])
		}
		prefix := []byte{1, 2, 3}
		want64, want32 := slices.Clone(prefix), slices.Clone(prefix)
		for i := range v64 {
			want64 = binary.LittleEndian.AppendUint64(want64, math.Float64bits(v64[i]))
			want32 = binary.LittleEndian.AppendUint32(want32, math.Float32bits(v32[i]))
		}
		if got := appendKLLItems(slices.Grow(slices.Clone(prefix), 8*n), v64, 8); !bytes.Equal(got, want64) {
			t.Fatalf("float64 n=%d: %x, want %x", n, got, want64)
		}
		if got := appendKLLItems(slices.Grow(slices.Clone(prefix), 4*n), v32, 4); !bytes.Equal(got, want32) {
			t.Fatalf("float32 n=%d: %x, want %x", n, got, want32)
		}
		// and back (the decoder's readers; NaN payloads keep their bits)
		g64, g32 := make([]float64, n), make([]float32, n)
		kllGetFloat64s(g64, want64[len(prefix):])
		kllGetFloat32s(g32, want32[len(prefix):])
		for i := range n {
			if math.Float64bits(g64[i]) != math.Float64bits(readKLLItem[float64](want64[len(prefix)+8*i:], 8)) ||
				math.Float32bits(g32[i]) != math.Float32bits(readKLLItem[float32](want32[len(prefix)+4*i:], 4)) {
				t.Fatalf("n=%d: item %d read back as %v / %v", n, i, g64[i], g32[i])
			}
		}
	}
}

// kllRefSort is kllSort in its plain form: a monotone run (under <, so ±0
// in any order) is only reversed if descending; otherwise insertion sort up
// to kllInsertionMax items (stable: ±0 keep their order), else a sort of the
// order-preserving keys (−0 before +0).
func kllRefSort[T float32 | float64](a []T) {
	if len(a) < 2 || kllMonotone(a) {
		return
	}
	if len(a) <= kllInsertionMax {
		kllInsertionSort(a)
		return
	}
	keys := make([]uint64, len(a))
	for i, f := range a {
		keys[i] = kllTestKey(f)
	}
	slices.Sort(keys)
	for i, k := range keys {
		switch v := any(a).(type) {
		case []float64:
			v[i] = float64FromKey(k)
		case []float32:
			v[i] = float32FromKey(uint32(k))
		}
	}
}

func kllTestKey[T float32 | float64](f T) uint64 {
	switch v := any(f).(type) {
	case float64:
		return float64Key(v)
	case float32:
		return uint64(float32Key(v))
	}
	return 0
}

// TestKLLSortKeys checks kllSortKeys against slices.Sort on inputs made of 1
// to kllMaxRuns+2 monotone runs (ascending, descending, constant, of any
// length including 1, with duplicates across and within runs), on random
// keys, and with scratch space too short, exact or long; and kllSort (which
// uses it) against kllRefSort on the same shapes as floats with both zeros.
func TestKLLSortKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	iters := 20000
	if testing.Short() || kllRaceEnabled {
		iters = 3000
	}
	for iter := range iters {
		n := kllLeafMax + 1 + r.IntN([]int{8, 40, 300}[r.IntN(3)])
		keys := make([]uint64, n)
		nruns := 1 + r.IntN(kllMaxRuns+2)
		if iter%10 == 0 {
			nruns = n // random
		}
		span := uint64([]int{3, 50, 1 << 30}[r.IntN(3)])
		cuts := []int{0, n}
		for range nruns - 1 {
			cuts = append(cuts, r.IntN(n+1))
		}
		slices.Sort(cuts)
		for c := 0; c+1 < len(cuts); c++ {
			run := keys[cuts[c]:cuts[c+1]]
			for i := range run {
				run[i] = r.Uint64N(span)
			}
			switch r.IntN(3) {
			case 0:
				slices.Sort(run)
			case 1:
				slices.Sort(run)
				slices.Reverse(run)
			default:
				if r.IntN(2) == 0 {
					for i := range run {
						run[i] = run[0] // constant
					}
				}
			}
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		scratch := make([]uint64, n, []int{n, n + r.IntN(n), 2 * n}[r.IntN(3)])
		copy(scratch, keys)
		scratch = kllSortKeys(scratch, n)
		if !slices.Equal(scratch[:n], want) {
			t.Fatalf("iter %d n=%d runs=%d: kllSortKeys\n in  %v\n got %v\nwant %v", iter, n, nruns, keys, scratch[:n], want)
		}
		// as floats: map the keys onto few values with both zeros
		vals := []float64{math.Inf(-1), -2, -1, math.Copysign(0, -1), 0, 0.5, 1, 3, math.Inf(1)}
		f := make([]float64, n)
		for i, k := range keys {
			f[i] = vals[k%uint64(len(vals))]
			if span > 1000 {
				f[i] = float64(int64(k>>20)) - 512
			}
		}
		g, w := slices.Clone(f), slices.Clone(f)
		kllSort(g, nil)
		kllRefSort(w)
		for i := range g {
			if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
				t.Fatalf("iter %d: kllSort slot %d = %v, want %v", iter, i, g[i], w[i])
			}
		}
	}
}
