package sketches

import (
	"fmt"
	"math"
	"math/bits"
)

// DefaultKLLK is the default KLL accuracy parameter k (DataSketches default).
// Its single-sided normalized rank error is about 1.33%.
const DefaultKLLK = 200

const (
	kllMinK     = 8     // smallest k accepted by the constructors
	kllMaxK     = 65535 // k is serialized as uint16
	kllDefaultM = 8     // minimum level width written by every implementation
	kllFamily   = 15    // DataSketches family id of KLL

	kllFlagEmpty  = 1 // image flag bit0
	kllFlagSorted = 2 // image flag bit1: level 0 is sorted
	kllFlagSingle = 4 // image flag bit2: single-item form
)

// KLL is the KLL quantiles sketch of Apache DataSketches (Karnin, Lang,
// Liberty) over float64 ("doubles", KLLDoubles) or float32 ("floats",
// KLLFloats) items, compatible bit for bit with the Java and C++ libraries.
//
// The sketch keeps a buffer of retained items organised in levels: an item in
// level h stands for 2^h input items. Level 0 receives updates (unsorted);
// higher levels are sorted. When the buffer is full, the lowest level that has
// reached its capacity is sorted and halved (every other item, chosen by one
// coin flip from the BitSource, moves up one level). Capacities shrink by 2/3
// per level below the top, but never below m = 8, so the sketch retains about
// 3k items whatever n is. The rank error is NormalizedRankError (≈1.33% for
// k=200 at 99% confidence).
//
// In-memory layout (shared with upstream and exposed by the wire format): one
// buffer of capacity totalCapacity(k, m, numLevels) slots; levels[h] is the
// offset where level h starts, levels[numLevels] == capacity, and the free
// space is the bottom of the buffer, below levels[0]. Level 0 grows downwards,
// so it holds items in reverse insertion order. This implementation allocates
// the free space lazily (a fresh or decoded sketch holds only what it needs), so
// the serialized level offsets are the in-memory ones plus the unallocated part.
//
// Use NewKLLDoubles or NewKLLFloats to choose k. The zero value is an empty
// sketch with k = DefaultKLLK, except that Merge into a zero value adopts the
// other sketch's k and m, and UnmarshalBinary replaces it entirely.
//
// Concurrency: a KLL is not safe for concurrent use. Update, Merge,
// SetBitSource, UnmarshalBinary and MoveScratch (on both sketches) are
// writes. Every query (Quantile, Quantiles, WhylogsQuantile, Rank, CDF,
// PMF), the accessors, MarshalBinary, AppendBinary, AppendWhylogsBinary and
// Clone are reads that may run concurrently with each other: queries sort a copy of level 0 and never change
// the image (upstream C++ sorts in place and sets LEVEL_ZERO_SORTED; we do not,
// so summarising a profile never changes its bytes). Cloned sketches are
// independent; a BitSource shared between sketches makes them depend on each
// other's call order.
type KLL[T float32 | float64] struct {
	k, m      int
	minK      int
	n         uint64
	numLevels int
	// levels[h] is the in-memory offset of level h in items;
	// levels[numLevels] == len(items).
	levels []uint32
	items  []T
	// base is the part of the logical buffer that is not allocated:
	// logical offset = in-memory offset + base, capacity = base + len(items).
	base       uint32
	minV, maxV T
	sorted     bool // level 0 is sorted
	bits       BitSource

	// scratch space, reused, never serialized.
	radix []uint64
	work  []T
	tmp   []T // a copy of the upper run of a merge (mergeLevels)
	// spare holds item buffers that growth replaced, for the next growth
	// to reuse, while s holds lent scratch space (MoveScratch); nil
	// otherwise, when a replaced buffer is dropped.
	spare [][]T
	// merging is set while Merge inserts the other sketch's level 0, so its
	// compactions sort level 0 with kllSortKeys (runs).
	merging bool
	caps    []uint32 // level capacities for the current numLevels
}

// KLLDoubles is the KLL sketch of float64 items (Java KllDoublesSketch, C++
// kll_sketch<double>, Python kll_doubles_sketch, whylogs DistributionMetric).
type KLLDoubles = KLL[float64]

// KLLFloats is the KLL sketch of float32 items (Java KllFloatsSketch, C++
// kll_sketch<float>, Python kll_floats_sketch).
type KLLFloats = KLL[float32]

// NewKLLDoubles returns an empty float64 KLL sketch with accuracy parameter k
// (8 ≤ k ≤ 65535, else ErrInvalidArgument). Its bit source is
// NewSeededBits(0); see SetBitSource.
func NewKLLDoubles(k int) (*KLLDoubles, error) {
	return newKLL[float64](k)
}

// NewKLLFloats returns an empty float32 KLL sketch with accuracy parameter k
// (8 ≤ k ≤ 65535, else ErrInvalidArgument). Its bit source is
// NewSeededBits(0); see SetBitSource.
func NewKLLFloats(k int) (*KLLFloats, error) {
	return newKLL[float32](k)
}

func newKLL[T float32 | float64](k int) (*KLL[T], error) {
	if k < kllMinK || k > kllMaxK {
		return nil, fmt.Errorf("kll: k=%d outside [%d, %d]: %w", k, kllMinK, kllMaxK, ErrInvalidArgument)
	}
	s := &KLL[T]{}
	s.reset(k, kllDefaultM)
	return s, nil
}

// reset makes s an empty sketch with parameters k and m, keeping its bit source.
func (s *KLL[T]) reset(k, m int) {
	s.k, s.m, s.minK = k, m, k
	s.n = 0
	s.numLevels = 1
	s.levels = []uint32{0, 0}
	s.items = nil
	s.base = uint32(k)
	s.minV, s.maxV = T(math.NaN()), T(math.NaN())
	s.sorted = false
}

// SetBitSource sets the source of compaction coin flips. nil restores the
// default, a fresh NewSeededBits(0). Use NewAlternatingBits to reproduce the
// upstream deterministic test mode.
func (s *KLL[T]) SetBitSource(src BitSource) {
	s.bits = src
}

func (s *KLL[T]) bit() uint32 {
	if b, ok := s.bits.(*seededBits); ok {
		return b.Bit() // the default source, called directly
	}
	if s.bits == nil {
		s.bits = NewSeededBits(0)
	}
	return s.bits.Bit() & 1
}

// K returns the accuracy parameter k.
func (s *KLL[T]) K() int {
	if s.k == 0 {
		return DefaultKLLK
	}
	return s.k
}

// N returns the number of items the sketch has seen (NaN excluded).
func (s *KLL[T]) N() uint64 { return s.n }

// IsEmpty reports whether the sketch has seen no item.
func (s *KLL[T]) IsEmpty() bool { return s.n == 0 }

// NumRetained returns the number of items the sketch retains.
func (s *KLL[T]) NumRetained() int {
	if len(s.levels) == 0 {
		return 0
	}
	return len(s.items) - int(s.levels[0])
}

// NumLevels returns the number of levels (1 until the first compaction).
func (s *KLL[T]) NumLevels() int { return max(1, s.numLevels) }

// MinK returns the smallest k of the sketches merged into this one while they
// were in estimation mode (k itself if none). It governs NormalizedRankError.
func (s *KLL[T]) MinK() int {
	if s.minK == 0 {
		return DefaultKLLK
	}
	return s.minK
}

// IsEstimationMode reports whether the sketch has compacted, so that queries
// are approximate (more than one level).
func (s *KLL[T]) IsEstimationMode() bool { return s.numLevels > 1 }

// Min returns the smallest item seen (exact), or NaN when the sketch is empty.
func (s *KLL[T]) Min() T {
	if s.n == 0 {
		return T(math.NaN())
	}
	return s.minV
}

// Max returns the largest item seen (exact), or NaN when the sketch is empty.
func (s *KLL[T]) Max() T {
	if s.n == 0 {
		return T(math.NaN())
	}
	return s.maxV
}

// Update adds x to the sketch. NaN is ignored (not counted in N), as upstream;
// ±Inf are ordinary items. Update does not allocate once the sketch has
// reached its full capacity.
func (s *KLL[T]) Update(x T) {
	// Fast path: a non-empty sketch with free space below level 0 (every
	// update but the first and those that compact). Update is not inlined
	// (go1.26: the slow-path call alone costs 57 of the budget of 80). The
	// slice headers are read once into locals and the tests below prove the
	// two indexes in range, so the path has no bounds checks and no reloads.
	// Min and max keep the first of equal items (−0 vs +0), as upstream,
	// hence the comparisons rather than the min/max builtins.
	if s.n != 0 && x == x {
		lv, items := s.levels, s.items
		if len(lv) != 0 {
			if i := lv[0]; i != 0 && int(i) <= len(items) {
				if x < s.minV {
					s.minV = x
				}
				if x > s.maxV {
					s.maxV = x
				}
				i--
				lv[0] = i
				items[i] = x
				s.n++
				s.sorted = false
				return
			}
		}
	}
	s.updateSlow(x)
}

// updateSlow is Update for the first item, NaN, the zero value, and updates
// that need room (growing the buffer or compacting).
func (s *KLL[T]) updateSlow(x T) {
	if x != x {
		return
	}
	if len(s.levels) == 0 {
		s.reset(DefaultKLLK, kllDefaultM) // zero value
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
	// the internal update, inlined by hand (insert)
	i := s.levels[0]
	if i == 0 {
		if s.base > 0 {
			s.grow()
		} else {
			s.compressWhileUpdating()
		}
		i = s.levels[0]
	}
	i--
	s.levels[0] = i
	s.items[i] = x
	s.n++
	s.sorted = false
}

// insertRun is the internal update of every item of run in order, as
// upstream's merge inserts the other sketch's level 0: each item goes to the
// slot below level 0 (so level 0 receives run reversed), making room when
// level 0 reaches the bottom of the buffer. It counts the items in n but does
// not touch min and max. The items between two calls to makeRoom are copied as
// one block; makeRoom depends on neither n nor the items' order of arrival,
// only on sorted, which is false from the first inserted item on, as with one
// call per item.
func (s *KLL[T]) insertRun(run []T) {
	for len(run) > 0 {
		if s.levels[0] == 0 {
			s.makeRoom(len(s.items) + len(run))
		}
		free := s.levels[0]
		c := min(uint32(len(run)), free)
		dst := s.items[free-c : free]
		for t, x := range run[:c] {
			dst[len(dst)-1-t] = x
		}
		run = run[c:]
		s.levels[0] = free - c
		s.n += uint64(c)
		s.sorted = false
	}
}

// makeRoom runs when level 0 has reached the bottom of the allocated buffer:
// it allocates more of the logical buffer, at least atLeast items (room for
// the rest of a run at once, where Update doubles), if some is still
// unallocated, or compacts (upstream compressWhileUpdating) when the buffer is
// really full. How much of the logical buffer is allocated shows neither in
// the items nor in the image.
func (s *KLL[T]) makeRoom(atLeast int) {
	if s.base > 0 {
		s.growTo(atLeast)
		return
	}
	s.compressWhileUpdating()
}

// grow allocates more of the logical buffer below level 0 (at least doubling,
// at most up to the full capacity).
func (s *KLL[T]) grow() { s.growTo(0) }

// growTo is grow allocating at least min(atLeast, the full capacity) items.
func (s *KLL[T]) growTo(atLeast int) {
	cur := len(s.items)
	want := max(2*cur, 16, atLeast)
	if full := cur + int(s.base); want > full {
		want = full
	}
	delta := want - cur
	nb := s.newItems(want)
	copy(nb[delta:], s.items)
	s.dropItems(s.items)
	s.items = nb
	for i := 0; i <= s.numLevels; i++ {
		s.levels[i] += uint32(delta)
	}
	s.base -= uint32(delta)
}

// compressWhileUpdating compacts the lowest level that has reached its
// capacity. The buffer must be full (levels[0] == 0 and base == 0).
func (s *KLL[T]) compressWhileUpdating() {
	if len(s.caps) != s.numLevels {
		s.caps = s.caps[:0]
		for h := 0; h < s.numLevels; h++ {
			s.caps = append(s.caps, uint32(kllLevelCapacity(s.k, s.numLevels, h, s.m)))
		}
	}
	lv, caps := s.levels, s.caps
	h := 0
	for lv[h+1]-lv[h] < caps[h] {
		h++
	}
	if h == s.numLevels-1 {
		s.addEmptyTopLevel()
		lv = s.levels
	}
	items := s.items
	rawBeg, rawLim := lv[h], lv[h+1]
	popAbove := lv[h+2] - rawLim
	rawPop := rawLim - rawBeg
	odd := rawPop & 1
	adjBeg, adjPop := rawBeg+odd, rawPop-odd
	half := adjPop / 2
	switch {
	case h == 0 && !s.sorted && !kllMonotone(items[adjBeg:adjBeg+adjPop]):
		// Sorting and halving in one step (kllSortHalve): the sort's
		// last pass writes only the kept half. A run that kllMonotone
		// accepted is sorted now and is halved below.
		s.radix = kllSortHalveUnsorted(items[adjBeg:adjBeg+adjPop], s.radix, s.bit(), popAbove == 0, s.merging)
		if popAbove != 0 {
			s.mergeUp(items, adjBeg, half, rawLim, popAbove)
		}
	case popAbove == 0:
		kllHalveUp(items, adjBeg, adjPop, s.bit())
	default:
		kllHalveDown(items, adjBeg, adjPop, s.bit())
		if h == 0 {
			s.mergeUpDisjoint(items, adjBeg, half, rawLim, popAbove)
		} else {
			s.mergeUp(items, adjBeg, half, rawLim, popAbove)
		}
	}
	// Level h keeps its odd item (the one at rawBeg) on top of the now
	// empty level. Without one, the copy lands in the discarded lower half
	// of the level (slot adjBeg+half−1 ≥ rawBeg: half ≥ 1 since capacities
	// are ≥ m ≥ 2), which the copy below or the free space absorbs; writing
	// it anyway saves a branch that the parity of the level would make
	// unpredictable. TestKLLCompactionMatchesReference checks this against
	// the branching form for every m.
	newLim := rawLim - half
	lv[h+1] = newLim
	items[newLim-1] = items[rawBeg]
	lv[h] = newLim - odd
	if h > 0 {
		lo := lv[0]
		copy(items[lo+half:rawBeg+half], items[lo:rawBeg])
		for l := range lv[:h] {
			lv[l] += half
		}
	}
}

// addEmptyTopLevel grows the full buffer by the capacity of the new bottom
// level and adds an empty level on top.
func (s *KLL[T]) addEmptyTopLevel() {
	curCap := len(s.items)
	delta := kllLevelCapacity(s.k, s.numLevels+1, 0, s.m)
	nb := s.newItems(curCap + delta)
	copy(nb[delta:], s.items)
	s.dropItems(s.items)
	s.items = nb
	for i := 0; i <= s.numLevels; i++ {
		s.levels[i] += uint32(delta)
	}
	s.numLevels++
	s.levels = append(s.levels[:s.numLevels], uint32(len(nb)))
}

// kllHalveUp keeps every other item of buf[beg:beg+pop] (pop even), starting
// at offset, in the upper half of the range.
func kllHalveUp[T float32 | float64](buf []T, beg, pop, offset uint32) {
	half := pop / 2
	j := int(beg+pop) - 1 - int(offset)
	for i := int(beg+pop) - 1; i >= int(beg+half); i-- {
		buf[i] = buf[j]
		j -= 2
	}
}

// kllHalveDown keeps every other item of buf[beg:beg+pop] (pop even), starting
// at offset, in the lower half of the range.
func kllHalveDown[T float32 | float64](buf []T, beg, pop, offset uint32) {
	half := pop / 2
	j := beg + offset
	for i := beg; i < beg+half; i++ {
		buf[i] = buf[j]
		j += 2
	}
}

// kllMergeInPlace merges the sorted runs a = buf[aBeg:aBeg+aLen] and
// b = buf[bBeg:bBeg+bLen] into buf[aBeg+aLen:bBeg+bLen], where
// aBeg+2·aLen ≤ bBeg, so the output never overtakes b. On ties the item of b
// (the level above) comes first, as upstream. (A binary-search variant for
// |b| ≫ |a| was measured and dropped: during updates the runs average 7+8
// items for k=200 and 27+47 for k=1024.) Compactions merge positive runs
// through kllMergePositive instead (mergeUp). Measured and dropped,
// with perf stat per update on k=1024 random updates: merging any float64
// runs from both ends at once with float compares, selecting through index
// masks, into scratch space and copying back: branch misses per update 0.94
// → 0.51–0.83 (for shorter runs of ≥ 4, 8 or 16 items), but instructions +8
// to +30 and cycles unchanged within the noise (±2%); and this loop through
// pointers without bounds checks: −3 instructions, cycles unchanged.
func kllMergeInPlace[T float32 | float64](buf []T, aBeg, aLen, bBeg, bLen uint32) {
	a, aLim := int(aBeg), int(aBeg+aLen)
	b, bLim := int(bBeg), int(bBeg+bLen)
	c := int(aBeg + aLen)
	if a < aLim && b < bLim {
		// The current item of each run stays in a register; each step
		// loads only the successor of the item it wrote.
		va, vb := buf[a], buf[b]
		for {
			if va < vb {
				buf[c] = va
				c++
				if a++; a == aLim {
					return // the rest of b is already in place
				}
				va = buf[a]
			} else {
				buf[c] = vb
				c++
				if b++; b == bLim {
					break
				}
				vb = buf[b]
			}
		}
	}
	// Once a is exhausted the rest of b is already in place.
	copy(buf[c:], buf[a:aLim])
}

// kllMergeInto merges the sorted runs a and b into dst (len(dst) ==
// len(a)+len(b)); on ties the item of b comes first.
func kllMergeInto[T float32 | float64](dst, a, b []T) {
	i, j, c := 0, 0, 0
	for i < len(a) && j < len(b) {
		va, vb := a[i], b[j]
		if va < vb {
			dst[c] = va
			i++
		} else {
			dst[c] = vb
			j++
		}
		c++
	}
	c += copy(dst[c:], a[i:])
	copy(dst[c:], b[j:])
}

// Merge merges o into s (s ← s ∪ o) exactly as upstream: o's level 0 is
// inserted item by item through the update path, then the higher levels of
// both are merged level by level and compacted (generalCompress). Sketches with
// different k may be merged; s keeps its k and its MinK becomes the smaller of
// the two when o is in estimation mode. o is not modified (unless o == s, which
// merges a copy). A nil o, a different m, or a total n beyond 2^63−1 (Java's
// long; n could otherwise wrap around) returns ErrInvalidArgument and leaves s
// unchanged; an empty o changes nothing.
func (s *KLL[T]) Merge(o *KLL[T]) error {
	if o == nil {
		return fmt.Errorf("kll: merge of a nil sketch: %w", ErrInvalidArgument)
	}
	if o.n == 0 {
		return nil
	}
	if len(s.levels) == 0 {
		s.reset(o.k, o.m) // zero value adopts o's parameters
	}
	if s.m != o.m {
		return fmt.Errorf("kll: merge of sketches with m=%d and m=%d: %w", s.m, o.m, ErrInvalidArgument)
	}
	if o.n > math.MaxInt64-min(s.n, math.MaxInt64) {
		return fmt.Errorf("kll: merged n = %d + %d exceeds 2^63-1: %w", s.n, o.n, ErrInvalidArgument)
	}
	if o == s {
		o = o.Clone()
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
	s.merging = true
	s.insertRun(o.items[o.levels[0]:o.levels[1]])
	s.merging = false
	if o.numLevels >= 2 {
		s.mergeHigherLevels(o, finalN)
	}
	s.n = finalN
	if o.numLevels > 1 && o.minK < s.minK {
		s.minK = o.minK
	}
	return nil
}

// mergeHigherLevels is the second half of Merge: build the work buffer (s's
// level 0, then for each level ≥ 1 the merge of both sketches' levels), run
// generalCompress on it, and rebuild s from the result.
func (s *KLL[T]) mergeHigherLevels(o *KLL[T], finalN uint64) {
	total := s.NumRetained() + (len(o.items) - int(o.levels[1]))
	if cap(s.work) < total {
		s.work = make([]T, total)
	}
	buf := s.work[:total]
	provisional := max(s.numLevels, o.numLevels)
	nl := max(kllUBOnNumLevels(finalN), provisional) + 3
	var inArr, outArr [72]uint32
	var in, out []uint32
	if nl <= len(inArr) {
		in, out = inArr[:nl], outArr[:nl]
	} else {
		in, out = make([]uint32, nl), make([]uint32, nl)
	}
	// populate the work arrays
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
		switch {
		case len(oa) == 0:
			copy(buf[w:], sa)
		case len(sa) == 0:
			copy(buf[w:], oa)
		default:
			kllMergeTwoEnded(buf[w:w+n], sa, oa)
		}
		w += n
		in[l+1] = w
	}
	numLevels, target, count := s.generalCompress(provisional, buf, in, out)

	// Rebuild: keep the allocation if it is large enough.
	phys := max(count, min(target, len(s.items)))
	var items []T
	if phys <= cap(s.items) {
		items = s.items[:phys]
	} else {
		items = s.newItems(phys)
		s.dropItems(s.items)
	}
	free := uint32(phys - count)
	copy(items[free:], buf[out[0]:out[0]+uint32(count)])
	if cap(s.levels) < numLevels+1 {
		s.levels = make([]uint32, numLevels+1)
	}
	s.levels = s.levels[:numLevels+1]
	for i := 0; i <= numLevels; i++ {
		s.levels[i] = out[i] - out[0] + free
	}
	s.items = items
	s.numLevels = numLevels
	s.base = uint32(target - phys)
}

// generalCompress is upstream's general_compress: walk up the levels of buf
// (boundaries in in), compacting any level that is at capacity while the
// total exceeds the target capacity, and write the new boundaries to out.
// It returns the final number of levels, the final capacity and the item count.
func (s *KLL[T]) generalCompress(numLevels int, buf []T, in, out []uint32) (int, int, int) {
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
			switch {
			case lvl == 0 && !s.sorted:
				// sort and halve in one step, as in compressWhileUpdating
				a := buf[adjBeg : adjBeg+adjPop]
				if kllMonotone(a) {
					kllHalveInPlace(a, s.bit(), popAbove == 0)
				} else {
					s.radix = kllSortHalveUnsorted(a, s.radix, s.bit(), popAbove == 0, true)
				}
			case popAbove == 0:
				kllHalveUp(buf, adjBeg, adjPop, s.bit())
			default:
				kllHalveDown(buf, adjBeg, adjPop, s.bit())
			}
			if popAbove != 0 {
				s.mergeLevels(buf, adjBeg, half, rawLim, popAbove)
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

// kllMaxSpare is the most item buffers a sketch keeps for reuse (spare).
const kllMaxSpare = 6

// newItems returns a zeroed buffer of n items for s.items: the smallest
// spare one that is large enough, else a new one.
func (s *KLL[T]) newItems(n int) []T {
	best := -1
	for i, b := range s.spare {
		if cap(b) >= n && (best < 0 || cap(b) < cap(s.spare[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]T, n)
	}
	b := s.spare[best][:n]
	last := len(s.spare) - 1
	s.spare[best], s.spare[last] = s.spare[last], nil
	s.spare = s.spare[:last]
	clear(b) // as make would return it (the free part is never read)
	return b
}

// dropItems takes an items buffer that growth replaced (no longer
// referenced) into spare, when s keeps one, in place of a smaller one if
// spare is full.
func (s *KLL[T]) dropItems(b []T) {
	if s.spare == nil || cap(b) == 0 {
		return
	}
	if len(s.spare) < kllMaxSpare {
		s.spare = append(s.spare, b[:0])
		return
	}
	small := 0
	for i := range s.spare {
		if cap(s.spare[i]) < cap(s.spare[small]) {
			small = i
		}
	}
	if cap(b) > cap(s.spare[small]) {
		s.spare[small] = b[:0]
	}
}

// MoveScratch hands the scratch space of s to d: the buffers that
// compactions and merges reuse (sort keys, the work buffer of Merge, a run's
// copy) and the item buffers that growth replaced, none of which is ever part
// of a sketch's state or image. d keeps its own buffer where it is the larger
// one; s keeps none and allocates anew when it needs one. From then on until
// its scratch moves on, d keeps the item buffers its own growth replaces
// (up to kllMaxSpare), for reuse. A caller that merges many sketches into
// fresh accumulators passes the scratch space from one to the next (and to
// an idle holder between merges) instead of allocating it for each. Both
// sketches must be of the same item type; neither changes otherwise.
func (s *KLL[T]) MoveScratch(d *KLL[T]) {
	if s == d {
		return
	}
	switch {
	case d.spare == nil && s.spare == nil:
		d.spare = make([][]T, 0, kllMaxSpare)
	case d.spare == nil:
		d.spare = s.spare
	default:
		for _, b := range s.spare {
			d.dropItems(b)
		}
	}
	s.spare = nil
	if cap(s.radix) > cap(d.radix) {
		d.radix = s.radix
	}
	if cap(s.work) > cap(d.work) {
		d.work = s.work
	}
	if cap(s.tmp) > cap(d.tmp) {
		d.tmp = s.tmp
	}
	s.radix, s.work, s.tmp = nil, nil, nil
}

// Clone returns an independent deep copy of s. The copy holds only the
// retained items (its free space is allocated again on demand). The package's
// own bit sources are copied with their state; a caller-supplied BitSource is
// shared with the copy.
func (s *KLL[T]) Clone() *KLL[T] {
	if len(s.levels) == 0 {
		c := &KLL[T]{}
		c.bits = s.cloneBits()
		return c
	}
	c := &KLL[T]{
		k: s.k, m: s.m, minK: s.minK, n: s.n, numLevels: s.numLevels,
		minV: s.minV, maxV: s.maxV, sorted: s.sorted,
	}
	lo := s.levels[0]
	c.items = append([]T(nil), s.items[lo:]...)
	c.levels = make([]uint32, s.numLevels+1)
	for i := range c.levels {
		c.levels[i] = s.levels[i] - lo
	}
	c.base = s.base + lo
	c.bits = s.cloneBits()
	return c
}

func (s *KLL[T]) cloneBits() BitSource {
	if bc, ok := s.bits.(bitCloner); ok {
		return bc.cloneBits()
	}
	return s.bits
}

// capacity returns the logical buffer size totalCapacity(k, m, numLevels).
func (s *KLL[T]) capacity() int { return int(s.base) + len(s.items) }

// kllCapAux returns round(k·(2/3)^depth) in upstream's integer arithmetic.
func kllCapAux(k, depth int) int {
	if depth <= 30 {
		twok := uint64(k) << 1
		tmp := (twok << uint(depth)) / kllPow3[depth]
		return int((tmp + 1) >> 1)
	}
	half := depth / 2
	rest := depth - half
	return kllCapAux(kllCapAux(k, half), rest)
}

// kllPow3[i] = 3^i for i ≤ 30.
var kllPow3 = func() (p [31]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 3
	}
	return p
}()

// kllLevelCapacity is the capacity of level h of a sketch with numLevels levels.
func kllLevelCapacity(k, numLevels, h, m int) int {
	return max(m, kllCapAux(k, numLevels-h-1))
}

// kllTotalCapacity is the buffer size of a sketch with numLevels levels.
func kllTotalCapacity(k, m, numLevels int) int {
	total := 0
	for h := 0; h < numLevels; h++ {
		total += kllLevelCapacity(k, numLevels, h, m)
	}
	return total
}

// kllUBOnNumLevels is 1 + ⌊log2 n⌋ (1 for n = 0).
func kllUBOnNumLevels(n uint64) int {
	if n == 0 {
		return 1
	}
	return bits.Len64(n)
}

// KLLNormalizedRankError returns the normalized rank error of a KLL sketch with
// parameter k at 99% confidence, from upstream's empirical fit: 2.296/k^0.9723
// for single-sided rank queries, 2.446/k^0.9433 for PMF (double-sided). For
// k=200 these are 0.013294757464848584 and 0.01651561908528982.
func KLLNormalizedRankError(k int, pmf bool) float64 {
	if pmf {
		return 2.446 / math.Pow(float64(k), 0.9433)
	}
	return 2.296 / math.Pow(float64(k), 0.9723)
}

// NormalizedRankError returns KLLNormalizedRankError(MinK(), pmf): the rank
// error bound of this sketch, which depends on the smallest k merged into it.
func (s *KLL[T]) NormalizedRankError(pmf bool) float64 {
	return KLLNormalizedRankError(s.MinK(), pmf)
}
