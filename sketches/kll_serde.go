package sketches

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

const (
	kllEmptySize     = 8
	kllDataStart     = 20 // Apache full form
	kllDataStartWhy  = 24 // whylogs fork full form (preamble 6)
	kllPreIntsShort  = 2
	kllPreIntsFull   = 5
	kllPreIntsWhy    = 6
	kllSerVerFull    = 1
	kllSerVerSingle  = 2
	kllSerVerUpdatab = 3
)

func kllItemSize[T float32 | float64]() int {
	var z T
	return int(unsafe.Sizeof(z))
}

// MarshalBinary returns the Apache DataSketches compact image, the bytes
// C++ serialize(), Java toByteArray() and Python serialize() write for the same
// sketch state. All integers and items are little-endian; items are 4 bytes
// (floats) or 8 bytes (doubles), and nothing in the image says which.
//
// Every form starts with 8 bytes:
//
//	off 0  preInts  2 (empty, single item) or 5 (full)
//	off 1  serVer   1 (empty, full) or 2 (single item)
//	off 2  family   15 (KLL)
//	off 3  flags    bit0 EMPTY, bit1 LEVEL_ZERO_SORTED, bit2 SINGLE_ITEM
//	off 4  k        uint16
//	off 6  m        uint8, 8
//	off 7  unused   0
//
// Empty (N()==0): those 8 bytes, 02 01 0F 01 kk kk 08 00.
// Single item (N()==1): preInts 2, serVer 2, flags SINGLE_ITEM (plus
// LEVEL_ZERO_SORTED if a query sorted it), then the item at offset 8.
// Full (N()≥2):
//
//	off 8   n          uint64
//	off 16  minK       uint16
//	off 18  numLevels  uint8
//	off 19  unused     0
//	off 20  levels     numLevels × uint32: where each level starts in the
//	                   capacity-sized buffer (capacity = the implicit last
//	                   boundary, not stored)
//	then    min, max   one item each
//	then    items      the retained items in buffer order: level 0 (reverse
//	                   insertion order unless LEVEL_ZERO_SORTED), then level 1,
//	                   2, … each ascending; an item of level h has weight 2^h
//
// so a full image is 20 + 4·numLevels + (retained+2)·itemSize bytes.
// MarshalBinary never fails. It reads but does not modify the sketch, so it may
// run concurrently with queries and other non-mutating calls (queries sort a
// copy of level 0, never the sketch).
func (s *KLL[T]) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(nil)
}

// AppendBinary appends the image MarshalBinary returns to b and returns the
// extended slice (encoding.BinaryAppender); it allocates only when b lacks
// capacity. It never fails.
func (s *KLL[T]) AppendBinary(b []byte) ([]byte, error) {
	return s.appendImage(b, kllPreIntsFull), nil
}

// AppendWhylogsBinary appends the image of the whylogs-sketching fork, the
// bytes whylogs v1 stores in a DistributionMetric's KllSketchMessage. The empty
// and single-item forms are those of MarshalBinary. With two or more items the
// header is 24 bytes instead of 20: preInts is 6, and the byte at offset 19 is
// followed by 4 more zero bytes; n, minK and numLevels keep their offsets (8,
// 16, 18) and the levels array, min, max and items follow from offset 24 exactly
// as in MarshalBinary. The fork writes this form for doubles only, so on a
// KLLFloats it returns ErrInvalidArgument. Concurrency as for MarshalBinary.
func (s *KLL[T]) AppendWhylogsBinary(b []byte) ([]byte, error) {
	if kllItemSize[T]() != 8 {
		return b, fmt.Errorf("kll: the whylogs layout exists for doubles only: %w", ErrInvalidArgument)
	}
	return s.appendImage(b, kllPreIntsWhy), nil
}

// serializedSize returns the length of the image appendImage writes.
func (s *KLL[T]) serializedSize(preInts byte) int {
	size := kllItemSize[T]()
	switch {
	case s.n == 0:
		return kllEmptySize
	case s.n == 1:
		return kllEmptySize + size
	}
	hdr := kllDataStart
	if preInts == kllPreIntsWhy {
		hdr = kllDataStartWhy
	}
	return hdr + 4*s.numLevels + (s.NumRetained()+2)*size
}

func (s *KLL[T]) appendImage(b []byte, preInts byte) []byte {
	size := kllItemSize[T]()
	total := s.serializedSize(preInts)
	b = slices.Grow(b, total)
	var flags byte
	if s.sorted {
		flags |= kllFlagSorted
	}
	serVer := byte(kllSerVerFull)
	switch s.n {
	case 0:
		preInts, flags = kllPreIntsShort, kllFlagEmpty
	case 1:
		preInts, serVer = kllPreIntsShort, kllSerVerSingle
		flags |= kllFlagSingle
	}
	k, m := s.K(), s.m
	if m == 0 { // zero value
		m = kllDefaultM
	}
	b = append(b, preInts, serVer, kllFamily, flags, byte(k), byte(k>>8), byte(m), 0)
	if s.n == 0 {
		return b
	}
	if s.n > 1 {
		b = binary.LittleEndian.AppendUint64(b, s.n)
		b = binary.LittleEndian.AppendUint16(b, uint16(s.minK))
		b = append(b, byte(s.numLevels), 0)
		if preInts == kllPreIntsWhy {
			b = append(b, 0, 0, 0, 0)
		}
		for h := 0; h < s.numLevels; h++ {
			b = binary.LittleEndian.AppendUint32(b, s.levels[h]+s.base)
		}
		b = appendKLLItems(b, []T{s.minV, s.maxV}, size)
	}
	return appendKLLItems(b, s.items[s.levels[0]:], size)
}

func appendKLLItems[T float32 | float64](b []byte, items []T, size int) []byte {
	off := len(b)
	b = b[:off+size*len(items)]
	switch v := any(items).(type) {
	case []float64:
		kllPutFloat64s(b[off:], v)
	case []float32:
		kllPutFloat32s(b[off:], v)
	}
	return b
}

// kllPutFloat64s writes the little-endian bits of v to out (len(out) ≥
// 8·len(v)), four items per step: one bounds check per step, and each
// PutUint64 a single store.
func kllPutFloat64s(out []byte, v []float64) {
	for len(v) >= 4 && len(out) >= 32 {
		binary.LittleEndian.PutUint64(out[0:8], math.Float64bits(v[0]))
		binary.LittleEndian.PutUint64(out[8:16], math.Float64bits(v[1]))
		binary.LittleEndian.PutUint64(out[16:24], math.Float64bits(v[2]))
		binary.LittleEndian.PutUint64(out[24:32], math.Float64bits(v[3]))
		out, v = out[32:], v[4:]
	}
	for _, f := range v {
		binary.LittleEndian.PutUint64(out[:8], math.Float64bits(f))
		out = out[8:]
	}
}

// kllPutFloat32s is kllPutFloat64s for float32 items.
func kllPutFloat32s(out []byte, v []float32) {
	for len(v) >= 4 && len(out) >= 16 {
		binary.LittleEndian.PutUint32(out[0:4], math.Float32bits(v[0]))
		binary.LittleEndian.PutUint32(out[4:8], math.Float32bits(v[1]))
		binary.LittleEndian.PutUint32(out[8:12], math.Float32bits(v[2]))
		binary.LittleEndian.PutUint32(out[12:16], math.Float32bits(v[3]))
		out, v = out[16:], v[4:]
	}
	for _, f := range v {
		binary.LittleEndian.PutUint32(out[:4], math.Float32bits(f))
		out = out[4:]
	}
}

// kllGetFloat64s reads len(v) little-endian items from in (len(in) ≥
// 8·len(v)), four per step (kllPutFloat64s reversed).
func kllGetFloat64s(v []float64, in []byte) {
	for len(v) >= 4 && len(in) >= 32 {
		v[0] = math.Float64frombits(binary.LittleEndian.Uint64(in[0:8]))
		v[1] = math.Float64frombits(binary.LittleEndian.Uint64(in[8:16]))
		v[2] = math.Float64frombits(binary.LittleEndian.Uint64(in[16:24]))
		v[3] = math.Float64frombits(binary.LittleEndian.Uint64(in[24:32]))
		in, v = in[32:], v[4:]
	}
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(in[:8]))
		in = in[8:]
	}
}

// kllGetFloat32s is kllGetFloat64s for float32 items.
func kllGetFloat32s(v []float32, in []byte) {
	for len(v) >= 4 && len(in) >= 16 {
		v[0] = math.Float32frombits(binary.LittleEndian.Uint32(in[0:4]))
		v[1] = math.Float32frombits(binary.LittleEndian.Uint32(in[4:8]))
		v[2] = math.Float32frombits(binary.LittleEndian.Uint32(in[8:12]))
		v[3] = math.Float32frombits(binary.LittleEndian.Uint32(in[12:16]))
		in, v = in[16:], v[4:]
	}
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(in[:4]))
		in = in[4:]
	}
}

func readKLLItem[T float32 | float64](b []byte, size int) T {
	if size == 8 {
		return T(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return T(math.Float32frombits(binary.LittleEndian.Uint32(b)))
}

func kllCorrupt(format string, args ...any) error {
	return fmt.Errorf("kll: "+format+": %w", append(args, ErrCorrupt)...)
}

// UnmarshalBinary replaces s with the sketch encoded in b, which must be an
// image of the same item type (the size checks reject most mismatches, but an
// image carries no type tag). It accepts:
//   - the Apache compact forms of MarshalBinary, including a serVer-2 single
//     item whose SINGLE_ITEM flag is not set (older Java) and a serVer-1
//     single item flagged SINGLE_ITEM;
//   - the legacy full form of a one-item sketch (preInts 5, n=1);
//   - the whylogs fork full form (preInts 6, 24-byte header; doubles only);
//   - Java's updatable form (preInts 5, serVer 3: all numLevels+1 level
//     boundaries, min, max, then the whole capacity-sized buffer).
//
// It checks the family, m even in [2, 8], k ≥ m, minK in [m, k], n ≤ 2^63−1
// (the largest n Java can represent, so that merges and updates cannot
// overflow), the exact
// length, level boundaries non-decreasing and within the capacity, the total
// weight Σ 2^h·|level h| == n, no NaN, every item within [min, max], and
// levels ≥ 1 (and level 0 when flagged sorted) ascending. Any failure returns
// an error wrapping ErrCorrupt that names the offset and what was expected, and
// leaves s unchanged. s keeps its BitSource. Memory allocated is proportional to
// len(b): the free part of the buffer is allocated later, on demand.
func (s *KLL[T]) UnmarshalBinary(b []byte) error {
	d, err := decodeKLL[T](b)
	if err != nil {
		return err
	}
	d.bits = s.bits
	*s = *d
	return nil
}

func decodeKLL[T float32 | float64](b []byte) (*KLL[T], error) {
	size := kllItemSize[T]()
	if len(b) < kllEmptySize {
		return nil, kllCorrupt("image of %d bytes at offset 0, need at least %d", len(b), kllEmptySize)
	}
	preInts, serVer, family, flags := b[0], b[1], b[2], b[3]
	k := int(binary.LittleEndian.Uint16(b[4:]))
	m := int(b[6])
	if family != kllFamily {
		return nil, kllCorrupt("family %d at offset 2, want %d", family, kllFamily)
	}
	if m < 2 || m > kllDefaultM || m%2 != 0 {
		return nil, kllCorrupt("m=%d at offset 6, want an even value in [2, 8]", m)
	}
	if k < m {
		return nil, kllCorrupt("k=%d at offset 4, want k ≥ m=%d", k, m)
	}
	switch {
	case preInts == kllPreIntsShort:
		if serVer != kllSerVerFull && serVer != kllSerVerSingle {
			return nil, kllCorrupt("serial version %d at offset 1, want 1 or 2 with preamble 2", serVer)
		}
		if flags&kllFlagEmpty != 0 {
			if flags&kllFlagSingle != 0 {
				return nil, kllCorrupt("flags 0x%02x at offset 3 set both EMPTY and SINGLE_ITEM", flags)
			}
			if len(b) != kllEmptySize {
				return nil, kllCorrupt("empty image of %d bytes at offset 0, want %d", len(b), kllEmptySize)
			}
			s := &KLL[T]{}
			s.reset(k, m)
			return s, nil
		}
		if flags&kllFlagSingle == 0 && serVer != kllSerVerSingle {
			return nil, kllCorrupt("flags 0x%02x at offset 3 with preamble 2 and serial version 1, want EMPTY or SINGLE_ITEM", flags)
		}
		if len(b) != kllEmptySize+size {
			return nil, kllCorrupt("single-item image of %d bytes at offset 0, want %d", len(b), kllEmptySize+size)
		}
		v := readKLLItem[T](b[kllEmptySize:], size)
		if v != v {
			return nil, kllCorrupt("item at offset %d is NaN", kllEmptySize)
		}
		s := &KLL[T]{}
		s.reset(k, m)
		s.n = 1
		s.items = []T{v}
		s.levels[0], s.levels[1] = 0, 1
		s.base = uint32(kllTotalCapacity(k, m, 1) - 1)
		s.minV, s.maxV = v, v
		s.sorted = flags&kllFlagSorted != 0
		return s, nil
	case serVer == kllSerVerFull && (preInts == kllPreIntsFull || (preInts == kllPreIntsWhy && size == 8)):
		if flags&(kllFlagEmpty|kllFlagSingle) != 0 {
			return nil, kllCorrupt("flags 0x%02x at offset 3: EMPTY or SINGLE_ITEM with preamble %d", flags, preInts)
		}
		hdr := kllDataStart
		if preInts == kllPreIntsWhy {
			hdr = kllDataStartWhy
		}
		return decodeKLLFull[T](b, k, m, flags, hdr, false)
	case serVer == kllSerVerUpdatab && preInts == kllPreIntsFull:
		return decodeKLLFull[T](b, k, m, flags, kllDataStart, true)
	}
	return nil, kllCorrupt("preamble %d with serial version %d at offset 0 is not a %d-byte-item KLL form", preInts, serVer, size)
}

// decodeKLLFull decodes the full compact form (levels without the last
// boundary, then min, max, retained items) or, when updatable, Java's
// updatable form (all numLevels+1 boundaries, min, max, the whole buffer).
func decodeKLLFull[T float32 | float64](b []byte, k, m int, flags byte, hdr int, updatable bool) (*KLL[T], error) {
	size := kllItemSize[T]()
	if len(b) < hdr {
		return nil, kllCorrupt("image of %d bytes at offset 0, need a %d-byte header", len(b), hdr)
	}
	n := binary.LittleEndian.Uint64(b[8:])
	minK := int(binary.LittleEndian.Uint16(b[16:]))
	numLevels := int(b[18])
	if n == 0 && !updatable {
		return nil, kllCorrupt("n=0 at offset 8 in a full image")
	}
	if n > math.MaxInt64 {
		return nil, kllCorrupt("n=%d at offset 8 exceeds 2^63-1 (Java's long)", n)
	}
	if numLevels == 0 {
		return nil, kllCorrupt("numLevels=0 at offset 18")
	}
	if minK < m || minK > k {
		return nil, kllCorrupt("minK=%d at offset 16, want it in [m=%d, k=%d]", minK, m, k)
	}
	stored := numLevels
	if updatable {
		stored++
	}
	levelsEnd := hdr + 4*stored
	if len(b) < levelsEnd {
		return nil, kllCorrupt("image of %d bytes ends inside the levels array (%d levels from offset %d)", len(b), stored, hdr)
	}
	capacity := kllTotalCapacity(k, m, numLevels)
	levels := make([]uint32, numLevels+1)
	for i := 0; i < stored; i++ {
		levels[i] = binary.LittleEndian.Uint32(b[hdr+4*i:])
	}
	if updatable {
		if int(levels[numLevels]) != capacity {
			return nil, kllCorrupt("last level boundary %d at offset %d, want capacity %d", levels[numLevels], hdr+4*numLevels, capacity)
		}
	} else {
		levels[numLevels] = uint32(capacity)
	}
	for i := 0; i < numLevels; i++ {
		if int(levels[i]) > capacity {
			return nil, kllCorrupt("level offset %d at offset %d exceeds capacity %d", levels[i], hdr+4*i, capacity)
		}
		if i > 0 && levels[i] < levels[i-1] {
			return nil, kllCorrupt("level offset %d at offset %d is below the previous %d", levels[i], hdr+4*i, levels[i-1])
		}
	}
	retained := capacity - int(levels[0])
	stride := retained
	if updatable {
		stride = capacity
	}
	want := levelsEnd + (2+stride)*size
	if len(b) != want {
		return nil, kllCorrupt("image of %d bytes at offset 0, layout (k=%d, %d levels, %d items) needs %d", len(b), k, numLevels, stride, want)
	}
	// total weight
	var total uint64
	for h := 0; h < numLevels; h++ {
		pop := uint64(levels[h+1] - levels[h])
		if pop == 0 {
			continue
		}
		if h >= 64 || pop > math.MaxUint64>>uint(h) {
			return nil, kllCorrupt("level %d (boundary at offset %d) weight overflows", h, hdr+4*h)
		}
		w := pop << uint(h)
		if total+w < total {
			return nil, kllCorrupt("total weight overflows at level %d (offset %d)", h, hdr+4*h)
		}
		total += w
	}
	if total != n {
		return nil, kllCorrupt("levels at offset %d hold weight %d, but n=%d at offset 8", hdr, total, n)
	}
	s := &KLL[T]{}
	s.reset(k, m)
	if n == 0 {
		// Java updatable image of an empty sketch.
		return s, nil
	}
	s.n = n
	s.minK = minK
	s.numLevels = numLevels
	s.sorted = flags&kllFlagSorted != 0
	minOff := levelsEnd
	s.minV = readKLLItem[T](b[minOff:], size)
	s.maxV = readKLLItem[T](b[minOff+size:], size)
	if s.minV != s.minV || s.maxV != s.maxV {
		return nil, kllCorrupt("min or max at offset %d is NaN", minOff)
	}
	if s.maxV < s.minV {
		return nil, kllCorrupt("min %v at offset %d exceeds max %v", s.minV, minOff, s.maxV)
	}
	itemsOff := minOff + 2*size
	if updatable {
		itemsOff += int(levels[0]) * size
	}
	s.items = make([]T, retained)
	lo := levels[0]
	switch v := any(s.items).(type) {
	case []float64:
		kllGetFloat64s(v, b[itemsOff:])
	case []float32:
		kllGetFloat32s(v, b[itemsOff:])
	}
	s.base = lo
	for i := range levels {
		levels[i] -= lo
	}
	s.levels = levels
	for h := 0; h < numLevels; h++ {
		checkOrder := h > 0 || s.sorted
		for i := levels[h]; i < levels[h+1]; i++ {
			v := s.items[i]
			off := itemsOff + int(i)*size
			if v != v {
				return nil, kllCorrupt("item at offset %d is NaN", off)
			}
			if v < s.minV || v > s.maxV {
				return nil, kllCorrupt("item %v at offset %d outside [min, max] = [%v, %v]", v, off, s.minV, s.maxV)
			}
			if checkOrder && i > levels[h] && v < s.items[i-1] {
				return nil, kllCorrupt("item %v at offset %d breaks the ascending order of level %d", v, off, h)
			}
		}
	}
	return s, nil
}
