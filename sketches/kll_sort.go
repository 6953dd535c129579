package sketches

import (
	"math"
	"math/bits"
)

// kllSort sorts a ascending (a holds no NaN) and returns the scratch buffer,
// grown if it had to be, for reuse (no allocation in steady state).
//
// Runs that are already monotone cost one pass (level 0 holds reverse
// insertion order, so sorted input arrives descending); runs of up to
// kllInsertionMax items use insertion sort; longer runs are mapped to
// order-preserving uint64 keys and sorted by an introsort whose partition is
// branch-free (Lomuto with a borrow-flag increment), whose leaves (≤ 16 keys)
// go through branch-free Batcher sorting networks, and which falls back to
// heapsort if the recursion gets too deep.
//
// Measured on this project's (shared, loaded) machine, per item, over pools of
// distinct random arrays of the lengths level 0 actually has when compacted
// (mostly 8–32 items for k=200, 32–512 for k=1024): this sort 5–14 ns;
// insertion sort 10–29 ns (n = 16–128); slices.Sort 16–53 ns; an LSD radix sort
// with 8-bit digits and skipped constant digits 27–109 ns (its 256-bucket
// prefix sums dominate on such short runs). Also measured (perf stat, per
// sort and per k=1024 random update) and dropped: converting float64 runs of
// more than 16 items to keys while partitioning them out of place (−4% on
// runs of 18–37 items, nothing in Update); runs of 17–32 items as a 16-key
// network, a network for the rest and a branch-free merge of the two from
// both ends (−7% on such runs, nothing in Update); a bottom-up merge sort of
// 16-key network blocks (a third fewer branch misses but +35–45%
// instructions, 16–30% slower on runs of 40–200 items).
func kllSort[T float32 | float64](a []T, scratch []uint64) []uint64 {
	n := len(a)
	if n < 2 || kllMonotone(a) {
		return scratch
	}
	if n <= kllInsertionMax {
		kllInsertionSort(a)
		return scratch
	}
	if cap(scratch) < n {
		scratch = make([]uint64, n)
	}
	keys := scratch[:n]
	switch v := any(a).(type) {
	case []float64:
		for i, f := range v {
			keys[i] = float64Key(f)
		}
		scratch = kllSortKeys(scratch, n)
		keys = scratch[:n]
		for i, k := range keys {
			v[i] = float64FromKey(k)
		}
	case []float32:
		for i, f := range v {
			keys[i] = uint64(float32Key(f))
		}
		scratch = kllSortKeys(scratch, n)
		keys = scratch[:n]
		for i, k := range keys {
			v[i] = float32FromKey(uint32(k))
		}
	}
	return scratch
}

const kllInsertionMax = 8

// kllMaxRuns is the most monotone runs kllSortKeys merges rather than sorts.
const kllMaxRuns = 4

// kllSortKeys sorts scratch[:n] ascending and returns scratch, grown (its
// first n keys kept) if the merge needed room. Keys that form at most
// kllMaxRuns monotone runs (descending ones are reversed) are merged run by
// run, which costs a pass per run; the introsort would take 2–6 times longer
// on such input (two runs of interleaved keys are its worst case short of the
// heapsort fallback), and levels 0 built by Merge (the other sketch's level 0
// inserted in front of this one's, chunks of monotone columns) take this
// form. Equal keys are equal items, so any correct sort gives the same bits.
// The run count gives up at the (kllMaxRuns+1)th run, a few keys into random
// input.
func kllSortKeys(scratch []uint64, n int) []uint64 {
	keys := scratch[:n]
	var bnd [kllMaxRuns + 1]int
	r := kllFindRuns(keys, &bnd)
	if r == 0 {
		kllIntroSort(keys, 2*bits.Len(uint(n)))
		return scratch
	}
	if r > 1 && cap(scratch) < 2*n {
		grown := make([]uint64, 2*n)
		copy(grown, keys)
		scratch, keys = grown, grown[:n]
	}
	for t := 1; t < r; t++ {
		// keys[:bnd[t]] is sorted; merge the run keys[bnd[t]:bnd[t+1]] in.
		kllMergeKeysFront(keys[:bnd[t+1]], bnd[t], scratch[n:n+bnd[t]])
	}
	return scratch
}

// kllFindRuns splits keys into maximal monotone runs, reversing each
// non-increasing one, and returns their number r with their boundaries in
// bnd[0..r] (bnd[0] = 0, bnd[r] = len(keys)), or 0 if there are more than
// kllMaxRuns (keys then hold the same multiset in some other order).
func kllFindRuns(keys []uint64, bnd *[kllMaxRuns + 1]int) int {
	n := len(keys)
	r := 0
	for i := 0; i < n; {
		if r == kllMaxRuns {
			return 0
		}
		j := i + 1
		if j < n && keys[j] < keys[i] {
			for j < n && keys[j] <= keys[j-1] {
				j++
			}
			for l, h := i, j-1; l < h; l, h = l+1, h-1 {
				keys[l], keys[h] = keys[h], keys[l]
			}
		} else {
			for j < n && keys[j] >= keys[j-1] {
				j++
			}
		}
		r++
		bnd[r] = j
		i = j
	}
	return r
}

// kllMergeKeysFront merges the sorted a[:m] and a[m:] into a, through tmp
// (len(tmp) == m), where a[:m] is copied first: writing from the front never
// passes the unread part of a[m:]. Equal keys are equal items, so the loop
// takes min and max without caring which run a tie comes from, and is free of
// branches on the keys.
func kllMergeKeysFront(a []uint64, m int, tmp []uint64) {
	copy(tmp, a[:m])
	i, j, c := 0, m, 0
	for i < m && j < len(a) {
		x, y := tmp[i], a[j]
		a[c] = min(x, y)
		var f int
		if x <= y {
			f = 1
		}
		i += f
		j += 1 - f
		c++
	}
	copy(a[c:], tmp[i:m])
}

// kllSortHalve does what kllSort followed by kllHalveUp (up) or kllHalveDown
// does to a (len(a) even, no NaN), with the same result bit for bit: it keeps
// every other item of the sorted run, starting at offset, in the upper (up)
// or lower half of a, and leaves the other half unspecified. Runs that go
// through uint64 keys are converted back only for the kept half.
//
// Runs of up to kllInsertionMax items go through a sorting network on the
// keys too, unless they hold a zero: the keys order −0 before +0 while
// kllSort's insertion sort keeps equal items in input order, so such runs take
// the insertion sort to stay identical.
func kllSortHalve[T float32 | float64](a []T, scratch []uint64, offset uint32, up bool) []uint64 {
	if len(a) < 2 || kllMonotone(a) {
		kllHalveInPlace(a, offset, up)
		return scratch
	}
	return kllSortHalveUnsorted(a, scratch, offset, up, false)
}

// kllSortHalveUnsorted is kllSortHalve for a run that kllMonotone has
// rejected (and left unchanged). With runs, a run of more than kllLeafMax
// items goes through kllSortKeys, which merges a few monotone runs instead of
// sorting them (the Merge path; Update does not pay for the check).
func kllSortHalveUnsorted[T float32 | float64](a []T, scratch []uint64, offset uint32, up, runs bool) []uint64 {
	n := len(a)
	half := n / 2
	if cap(scratch) < n {
		scratch = make([]uint64, max(n, 16))
	}
	keys := scratch[:n]
	var nz uint64
	switch v := any(a).(type) {
	case []float64:
		nz = kllKeys64(keys, v)
	case []float32:
		nz = kllKeys32(keys, v)
	}
	if n <= kllInsertionMax && nz == 0 {
		kllInsertionSort(a)
		kllHalveInPlace(a, offset, up)
		return scratch
	}
	switch {
	case n <= kllLeafMax:
		kllSortLeaf(keys)
	case runs:
		scratch = kllSortKeys(scratch, n)
		keys = scratch[:n]
	default:
		kllIntroSort(keys, 2*bits.Len(uint(n)))
	}
	// Down keeps sorted[2t+offset] at t; up keeps sorted[2t+1−offset] at
	// half+t (kllHalveDown and kllHalveUp).
	src := keys[offset:]
	dst := a[:half]
	if up {
		src = keys[1-offset:]
		dst = a[half:]
	}
	switch v := any(dst).(type) {
	case []float64:
		kllFromKeys64Stride2(v, src)
	case []float32:
		kllFromKeys32Stride2(v, src)
	}
	return scratch
}

// kllKeys64 writes the keys of a to keys[:len(a)] and returns the smallest
// item with its sign bit shifted out: 0 iff a holds a zero of either sign.
// (Non-generic helpers get tighter code than the shape-generic caller: the
// loop keeps everything in registers.)
func kllKeys64(keys []uint64, a []float64) uint64 {
	nz := ^uint64(0)
	keys = keys[:len(a)]
	for i, f := range a {
		b := math.Float64bits(f)
		keys[i] = b ^ (uint64(int64(b)>>63) | 1<<63)
		nz = min(nz, b<<1)
	}
	return nz
}

// kllKeys32 is kllKeys64 for float32 items.
func kllKeys32(keys []uint64, a []float32) uint64 {
	nz := ^uint64(0)
	keys = keys[:len(a)]
	for i, f := range a {
		b := math.Float32bits(f)
		keys[i] = uint64(b ^ (uint32(int32(b)>>31) | 1<<31))
		nz = min(nz, uint64(b)<<33)
	}
	return nz
}

// kllFromKeys64Stride2 sets dst[t] to the item of key src[2t].
func kllFromKeys64Stride2(dst []float64, src []uint64) {
	for t := range dst {
		dst[t] = float64FromKey(src[2*t])
	}
}

// kllFromKeys32Stride2 is kllFromKeys64Stride2 for float32 items.
func kllFromKeys32Stride2(dst []float32, src []uint64) {
	for t := range dst {
		dst[t] = float32FromKey(uint32(src[2*t]))
	}
}

// kllHalveInPlace is kllHalveUp or kllHalveDown on all of a.
func kllHalveInPlace[T float32 | float64](a []T, offset uint32, up bool) {
	if up {
		kllHalveUp(a, 0, uint32(len(a)), offset)
	} else {
		kllHalveDown(a, 0, uint32(len(a)), offset)
	}
}

// kllMonotone sorts a when it is already monotone (reversing a descending
// run) and reports whether it did. A run whose items are all equal is left as
// it is. The comparisons are accumulated without branches (on unsorted data a
// branch on each would mispredict within the first few items) and checked
// after the first 4 items (random data fails there 11 times in 12) and then
// every 8, so unsorted data still gives up early.
func kllMonotone[T float32 | float64](a []T) bool {
	asc, desc := 0, 0
	for i := 1; i < len(a); i++ {
		x, y := a[i-1], a[i]
		up, down := 0, 0
		if y > x {
			up = 1
		}
		if y < x {
			down = 1
		}
		asc |= up
		desc |= down
		if (i == 3 || i&7 == 0) && asc&desc != 0 {
			return false
		}
	}
	if desc == 0 {
		return true // non-decreasing (or all equal)
	}
	if asc != 0 {
		return false
	}
	// Reversing a non-increasing run gives a non-decreasing one.
	for l, r := 0, len(a)-1; l < r; l, r = l+1, r-1 {
		a[l], a[r] = a[r], a[l]
	}
	return true
}

func kllInsertionSort[T float32 | float64 | uint64](a []T) {
	for i := 1; i < len(a); i++ {
		v := a[i]
		j := i
		for j > 0 && v < a[j-1] {
			a[j] = a[j-1]
			j--
		}
		a[j] = v
	}
}

// kllIntroSort sorts keys ascending: quicksort with a median-of-three pivot
// and a branch-free partition, insertion sort for short ranges, heapsort when
// depth runs out.
func kllIntroSort(a []uint64, depth int) {
	for len(a) > kllLeafMax {
		if depth == 0 {
			kllHeapSort(a)
			return
		}
		depth--
		n := len(a)
		// The quartiles rather than the ends: runs that ascend or descend
		// with one wrap (a periodic column; level 0 fills from the top, so
		// ascending input arrives descending) gave lopsided partitions with
		// first, middle and last until the depth ran out and heapsort took
		// over.
		x, y, z := a[n/4], a[n/2], a[n-1-n/4]
		// median of the three (an element of a), with conditional moves:
		// on random keys each branch of the comparisons would be a coin flip
		p := max(min(x, y), min(max(x, y), z))
		i := kllPartitionLess(a, p)
		if i == 0 {
			// p is the minimum: everything equal to p is in final position.
			a = a[kllPartitionLessEq(a, p):]
			continue
		}
		// Recurse into the left side and loop on the right one. Which
		// side is smaller is a coin flip on random keys; the recursion
		// depth is bounded by depth either way.
		kllIntroSort(a[:i], depth)
		a = a[i:]
	}
	kllSortLeaf(a)
}

// kllLeafMax is the longest range the introsort hands to kllSortLeaf.
const kllLeafMax = 16

// kllSortLeaf sorts up to 16 keys with the sorting network for their number.
func kllSortLeaf(a []uint64) {
	switch len(a) {
	case 2:
		kllNet2(a)
	case 3:
		kllNet3(a)
	case 4:
		kllNet4(a)
	case 5:
		kllNet5(a)
	case 6:
		kllNet6(a)
	case 7:
		kllNet7(a)
	case 9:
		kllNet9(a)
	case 10:
		kllNet10(a)
	case 11:
		kllNet11(a)
	case 12:
		kllNet12(a)
	case 13:
		kllNet13(a)
	case 14:
		kllNet14(a)
	case 15:
		kllNet15(a)
	case 8:
		kllNet8((*[8]uint64)(a))
	case 16:
		kllNet16((*[16]uint64)(a))
	}
}

// kllPartitionLess moves the keys < p to the front and returns their count.
// The loop has no data-dependent branch: every key is swapped into place and
// the boundary advances by the borrow of key − p.
func kllPartitionLess(a []uint64, p uint64) int {
	i := 0
	for j := range a {
		v := a[j]
		a[j] = a[i]
		a[i] = v
		_, lt := bits.Sub64(v, p, 0)
		i += int(lt)
	}
	return i
}

// kllPartitionLessEq moves the keys ≤ p to the front and returns their count.
func kllPartitionLessEq(a []uint64, p uint64) int {
	i := 0
	for j := range a {
		v := a[j]
		a[j] = a[i]
		a[i] = v
		_, gt := bits.Sub64(p, v, 0)
		i += int(1 - gt)
	}
	return i
}

func kllHeapSort(a []uint64) {
	sift := func(i, n int) {
		for {
			c := 2*i + 1
			if c >= n {
				return
			}
			if c+1 < n && a[c+1] > a[c] {
				c++
			}
			if a[i] >= a[c] {
				return
			}
			a[i], a[c] = a[c], a[i]
			i = c
		}
	}
	for i := len(a)/2 - 1; i >= 0; i-- {
		sift(i, len(a))
	}
	for e := len(a) - 1; e > 0; e-- {
		a[0], a[e] = a[e], a[0]
		sift(0, e)
	}
}

// float64Key maps a non-NaN float64 to a uint64 with the same order
// (−0 sorts just before +0): negative items have all their bits flipped,
// others only the sign bit. The mask arithmetic keeps the conversions free of
// branches, which mixed signs would make unpredictable.
func float64Key(f float64) uint64 {
	b := math.Float64bits(f)
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}

func float64FromKey(k uint64) float64 {
	return math.Float64frombits(k ^ (^uint64(int64(k)>>63) | 1<<63))
}

func float32Key(f float32) uint32 {
	b := math.Float32bits(f)
	return b ^ (uint32(int32(b)>>31) | 1<<31)
}

func float32FromKey(k uint32) float32 {
	return math.Float32frombits(k ^ (^uint32(int32(k)>>31) | 1<<31))
}
