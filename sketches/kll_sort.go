package sketches

import "math"

// kllSort sorts a ascending (a holds no NaN) and returns the scratch buffer,
// grown if it had to be, for reuse. Runs that are already ascending or
// descending cost one pass (level 0 holds reverse insertion order, so sorted
// input arrives descending); tiny runs use insertion sort; everything else an
// LSD radix sort on order-preserving keys, skipping byte positions where all
// keys agree.

func kllSort[T float32 | float64](a []T, scratch []uint64) []uint64 {
	n := len(a)
	if n < 2 {
		return scratch
	}
	if kllMonotone(a) {
		return scratch
	}
	if n <= 24 {
		kllInsertionSort(a)
		return scratch
	}
	if cap(scratch) < 2*n {
		scratch = make([]uint64, 2*n)
	}
	switch v := any(a).(type) {
	case []float64:
		radixSort64(v, scratch[:2*n])
	case []float32:
		radixSort32(v, scratch[:2*n])
	}
	return scratch
}

// kllMonotone sorts a when it is already monotone (reversing a descending
// run) and reports whether it did. It gives up at the first change of
// direction, which for unsorted data is within a few items.
func kllMonotone[T float32 | float64](a []T) bool {
	i := 1
	for i < len(a) && a[i] == a[i-1] {
		i++
	}
	if i == len(a) {
		return true
	}
	if a[i] > a[i-1] {
		for i++; i < len(a); i++ {
			if a[i] < a[i-1] {
				return false
			}
		}
		return true
	}
	for i++; i < len(a); i++ {
		if a[i] > a[i-1] {
			return false
		}
	}
	// Strictly reversing a non-increasing run gives a non-decreasing one.
	for l, r := 0, len(a)-1; l < r; l, r = l+1, r-1 {
		a[l], a[r] = a[r], a[l]
	}
	return true
}

func kllInsertionSort[T float32 | float64](a []T) {
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

// float64Key maps a non-NaN float64 to a uint64 with the same order
// (−0 sorts just before +0).
func float64Key(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

func float64FromKey(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

func float32Key(f float32) uint32 {
	b := math.Float32bits(f)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

func float32FromKey(k uint32) float32 {
	if k>>31 != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// radixSort64 sorts a with 8 byte-wide counting passes over keys; scratch has
// 2·len(a) entries.
func radixSort64(a []float64, scratch []uint64) {
	n := len(a)
	src, dst := scratch[:n:n], scratch[n:2*n:2*n]
	var cnt [8][256]uint32
	for i, f := range a {
		k := float64Key(f)
		src[i] = k
		cnt[0][uint8(k)]++
		cnt[1][uint8(k>>8)]++
		cnt[2][uint8(k>>16)]++
		cnt[3][uint8(k>>24)]++
		cnt[4][uint8(k>>32)]++
		cnt[5][uint8(k>>40)]++
		cnt[6][uint8(k>>48)]++
		cnt[7][uint8(k>>56)]++
	}
	for p := 0; p < 8; p++ {
		shift := uint(8 * p)
		c := &cnt[p]
		if c[uint8(src[0]>>shift)] == uint32(n) {
			continue // every key has the same byte here
		}
		var sum uint32
		for d := range c {
			cd := c[d]
			c[d] = sum
			sum += cd
		}
		for _, k := range src {
			d := uint8(k >> shift)
			dst[c[d]] = k
			c[d]++
		}
		src, dst = dst, src
	}
	for i, k := range src {
		a[i] = float64FromKey(k)
	}
}

// radixSort32 is radixSort64 for float32 (4 passes).
func radixSort32(a []float32, scratch []uint64) {
	n := len(a)
	src, dst := scratch[:n:n], scratch[n:2*n:2*n]
	var cnt [4][256]uint32
	for i, f := range a {
		k := float32Key(f)
		src[i] = uint64(k)
		cnt[0][uint8(k)]++
		cnt[1][uint8(k>>8)]++
		cnt[2][uint8(k>>16)]++
		cnt[3][uint8(k>>24)]++
	}
	for p := 0; p < 4; p++ {
		shift := uint(8 * p)
		c := &cnt[p]
		if c[uint8(src[0]>>shift)] == uint32(n) {
			continue
		}
		var sum uint32
		for d := range c {
			cd := c[d]
			c[d] = sum
			sum += cd
		}
		for _, k := range src {
			d := uint8(k >> shift)
			dst[c[d]] = k
			c[d]++
		}
		src, dst = dst, src
	}
	for i, k := range src {
		a[i] = float32FromKey(uint32(k))
	}
}
