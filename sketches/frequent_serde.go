package sketches

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Frequent-items image constants (ref-datasketches §4.4).
const (
	frequentSerVer       = 1
	frequentFamilyID     = 10
	frequentPreLongsFull = 4
	frequentPreLongsEmpt = 1
	frequentFlagEmpty    = 0x05 // C++ bit 0 and Java bit 2; either marks empty
	frequentHeaderBytes  = 32
	frequentEmptyBytes   = 8
	// a map of at most 2^frequentDenseLg slots is always decoded densely
	frequentDenseLg = 10
)

// MarshalBinary returns the DataSketches image of s; see AppendBinary.
func (s *FrequentStrings) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// AppendBinary appends the DataSketches frequent-items image of s to b (the
// format of Java toByteArray(ArrayOfStringsSerDe) and C++ serialize()).
// All integers are little-endian:
//
//	off size field
//	0   1    preLongs: 1 for the empty form, 4 otherwise
//	1   1    serVer = 1
//	2   1    familyID = 10
//	3   1    lgMaxMapSize
//	4   1    lgCurMapSize
//	5   1    flags: 0x05 (empty) in the empty form, else 0
//	6   2    0
//	--- the empty form ends here (8 bytes) ---
//	8   4    numActive (uint32)
//	12  4    0
//	16  8    stream length (total weight)
//	24  8    offset (maximum error)
//	32  8·n  the n counters (without offset), in slot index order
//	…        the n items in the same order, each a uint32 byte length and UTF-8 bytes
//
// The items appear in slot index order, so a stream fed in the same order as
// to DataSketches Java gives the same bytes. The empty form is written only
// when nothing was ever added; a sketch whose map a purge emptied is written
// in the full form with numActive 0, keeping its stream length and error
// (DataSketches C++/Java write the empty form there and lose both; their
// readers accept this form). An item longer than 2^32−1 bytes returns
// ErrInvalidArgument.
func (s *FrequentStrings) AppendBinary(b []byte) ([]byte, error) {
	if s.total == 0 {
		return append(b, frequentPreLongsEmpt, frequentSerVer, frequentFamilyID,
			byte(s.LgMaxMapSize()), byte(s.LgCurMapSize()), frequentFlagEmpty, 0, 0), nil
	}
	n := s.NumActive()
	size := frequentHeaderBytes + 12*n
	tooLong := false
	s.m.forEachSlotOrder(func(k string, _ int64) {
		if uint64(len(k)) > math.MaxUint32 {
			tooLong = true
		}
		size += len(k)
	})
	if tooLong {
		return b, fmt.Errorf("frequent: item longer than 2^32-1 bytes: %w", ErrInvalidArgument)
	}
	b = slices.Grow(b, size)
	b = append(b, frequentPreLongsFull, frequentSerVer, frequentFamilyID,
		byte(s.lgMax), byte(s.m.lg), 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.total))
	b = binary.LittleEndian.AppendUint64(b, uint64(s.offset))
	s.m.forEachSlotOrder(func(_ string, v int64) {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	})
	s.m.forEachSlotOrder(func(k string, _ int64) {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
	})
	return b, nil
}

// frequentCorrupt wraps ErrCorrupt with the offset and what was expected.
func frequentCorrupt(off int, format string, args ...any) error {
	return fmt.Errorf("frequent: at offset %d: %s: %w", off, fmt.Sprintf(format, args...), ErrCorrupt)
}

// UnmarshalBinary replaces s with the sketch in the DataSketches image b,
// written by Java, C++, Python or AppendBinary (layout in AppendBinary).
// It accepts the empty form when (flags & 0x05) != 0 (the lgCurMapSize it
// names is kept), and the full form with numActive 0. The map is rebuilt at
// the image's lgCurMapSize, then the stream length and offset are set from the
// image. Items written in slot order (Java, this package) are put back into
// exactly the slots they were written from, so decode→encode reproduces the
// image byte for byte and later updates continue exactly as in the writer;
// items in another order (C++) are inserted in image order, as the upstream
// readers do. Decoded item strings share one allocation holding the item
// bytes of the image. Trailing bytes after the last item are ignored.
//
// Every failure wraps ErrCorrupt and names the offset: a short image; a wrong
// serVer, family or preLongs; preLongs that disagree with the empty flag;
// lgMaxMapSize outside [3, MaxFrequentLgMapSize]; lgCurMapSize outside
// [3, lgMaxMapSize]; more items than the map at lgCurMapSize can hold or than
// the remaining bytes can encode; a counter ≤ 0; a stream length or offset
// < 0; counters plus offset exceeding the stream length (impossible for any
// writer); an item length beyond the image; a repeated item. On error s is
// unchanged. Memory allocated is proportional to len(b): a large
// lgCurMapSize with few items is held compactly until the next update.
func (s *FrequentStrings) UnmarshalBinary(b []byte) error {
	d, err := decodeFrequentStrings(b, false)
	if err != nil {
		return err
	}
	*s = *d
	return nil
}

// decodeFrequentStrings decodes b into a fresh sketch. forceCompact (tests
// only) holds every map in the pending form regardless of its size.
func decodeFrequentStrings(b []byte, forceCompact bool) (*FrequentStrings, error) {
	if len(b) < frequentEmptyBytes {
		return nil, frequentCorrupt(0, "need at least %d bytes of preamble, have %d", frequentEmptyBytes, len(b))
	}
	preLongs, serVer, family := b[0], b[1], b[2]
	lgMax, lgCur, flags := int(b[3]), int(b[4]), b[5]
	if serVer != frequentSerVer {
		return nil, frequentCorrupt(1, "serVer %d, want %d", serVer, frequentSerVer)
	}
	if family != frequentFamilyID {
		return nil, frequentCorrupt(2, "family %d, want %d (frequent items)", family, frequentFamilyID)
	}
	if lgMax < lgMinFrequentMapSize || lgMax > MaxFrequentLgMapSize {
		return nil, frequentCorrupt(3, "lgMaxMapSize %d outside [%d, %d]", lgMax, lgMinFrequentMapSize, MaxFrequentLgMapSize)
	}
	if lgCur < lgMinFrequentMapSize || lgCur > lgMax {
		return nil, frequentCorrupt(4, "lgCurMapSize %d outside [%d, lgMaxMapSize %d]", lgCur, lgMinFrequentMapSize, lgMax)
	}
	empty := flags&frequentFlagEmpty != 0
	switch {
	case preLongs != frequentPreLongsEmpt && preLongs != frequentPreLongsFull:
		return nil, frequentCorrupt(0, "preLongs %d, want %d or %d", preLongs, frequentPreLongsEmpt, frequentPreLongsFull)
	case empty != (preLongs == frequentPreLongsEmpt):
		return nil, frequentCorrupt(0, "preLongs %d disagree with empty flag in flags 0x%02x", preLongs, flags)
	}
	s := &FrequentStrings{lgMax: lgMax}
	if empty {
		s.m = rpMap{lg: lgCur, pend: &rpPending{}}
		return s, nil
	}
	if len(b) < frequentHeaderBytes {
		return nil, frequentCorrupt(len(b), "need %d bytes of preamble, have %d", frequentHeaderBytes, len(b))
	}
	numActive := uint64(binary.LittleEndian.Uint32(b[8:]))
	total := int64(binary.LittleEndian.Uint64(b[16:]))
	offset := int64(binary.LittleEndian.Uint64(b[24:]))
	if total < 0 {
		return nil, frequentCorrupt(16, "stream length %d, want ≥ 0", total)
	}
	if offset < 0 || offset > total {
		return nil, frequentCorrupt(24, "offset %d, want within [0, stream length %d]", offset, total)
	}
	if c := frequentCapacity(lgCur); numActive > uint64(c) {
		return nil, frequentCorrupt(8, "numActive %d exceeds capacity %d of a map of 2^%d slots", numActive, c, lgCur)
	}
	rest := uint64(len(b) - frequentHeaderBytes)
	if numActive > rest/12 {
		return nil, frequentCorrupt(8, "numActive %d needs at least %d more bytes, have %d", numActive, 12*numActive, rest)
	}
	n := int(numActive)
	values := make([]int64, n)
	sum := offset
	for i := range values {
		off := frequentHeaderBytes + 8*i
		v := int64(binary.LittleEndian.Uint64(b[off:]))
		if v <= 0 {
			return nil, frequentCorrupt(off, "counter %d of item %d, want > 0", v, i)
		}
		if sum > total-v {
			return nil, frequentCorrupt(off, "counters plus offset exceed stream length %d", total)
		}
		sum += v
		values[i] = v
	}
	// Item bytes: first measure, then copy them into one string so every key
	// is a substring of it (one allocation, at most len(b)).
	off := frequentHeaderBytes + 8*n
	start := off
	for i := range n {
		if len(b)-off < 4 {
			return nil, frequentCorrupt(off, "item %d: need a 4-byte length, have %d bytes", i, len(b)-off)
		}
		l := uint64(binary.LittleEndian.Uint32(b[off:]))
		if l > uint64(len(b)-off-4) {
			return nil, frequentCorrupt(off, "item %d: length %d exceeds the %d remaining bytes", i, l, len(b)-off-4)
		}
		off += 4 + int(l)
	}
	blob := string(b[start:off])
	keys := make([]string, n)
	p := 0
	for i := range keys {
		l := int(binary.LittleEndian.Uint32(b[start+p:]))
		keys[i] = blob[p+4 : p+4+l]
		p += 4 + l
	}
	dense := !forceCompact && (lgCur <= frequentDenseLg || 1<<lgCur <= 8*n)
	pend, err := placeFrequentItems(lgCur, keys, values, dense)
	if err != nil {
		return nil, err
	}
	s.m = rpMap{lg: lgCur, pend: pend}
	if dense {
		s.m.materialize()
	} else {
		pend.index = make(map[string]int32, len(keys))
		for i, k := range pend.keys {
			pend.index[k] = int32(i)
		}
	}
	s.total = total
	s.offset = offset
	return s, nil
}

// placeFrequentItems decides where the decoded items sit in a map of 2^lg
// slots and returns them in slot order (without the lookup index), without
// allocating the map: memory is proportional to len(keys).
//
// With linear probing the set of occupied slots does not depend on the order
// of insertion, and every writer (Java, AppendBinary) emits items in slot
// order. So the occupied set is computed by inserting the items in image
// order, and the i-th item of the image is put into the i-th lowest occupied
// slot. If that layout is valid (every slot from an item's home to its slot is
// occupied), it is the writer's layout and re-encoding reproduces the image
// byte for byte; otherwise (C++ writes items in another order) the items stay
// where inserting them in image order put them, as the upstream readers do.
func placeFrequentItems(lg int, keys []string, values []int64, dense bool) (*rpPending, error) {
	mask := uint32(1)<<lg - 1
	// Occupancy: slot → 1 + index of the item there. A table of 2^lg entries
	// when the caller will allocate the map anyway, else a Go map (lookups only).
	var table []int32
	var sparse map[uint32]int32
	if dense {
		table = make([]int32, 1<<lg)
	} else {
		sparse = make(map[uint32]int32, len(keys))
	}
	slots := make([]uint32, len(keys))
	homes := make([]uint32, len(keys))
	for i, k := range keys {
		homes[i] = uint32(frequentHome(k)) & mask
		p := homes[i]
		for {
			var j int32
			if dense {
				j = table[p]
			} else {
				j = sparse[p]
			}
			if j == 0 {
				break
			}
			if keys[j-1] == k {
				return nil, frequentCorrupt(frequentHeaderBytes+8*len(keys), "item %d (%q) repeats an earlier item", i, k)
			}
			p = (p + 1) & mask
		}
		if dense {
			table[p] = int32(i + 1)
		} else {
			sparse[p] = int32(i + 1)
		}
		slots[i] = p
	}
	sorted := slices.Clone(slots)
	slices.Sort(sorted)
	// countIn returns how many occupied slots lie in the cyclic range [h, q].
	countIn := func(h, q uint32) int {
		lo, _ := slices.BinarySearch(sorted, h)
		hi, _ := slices.BinarySearch(sorted, q+1)
		if h <= q {
			return hi - lo
		}
		return len(sorted) - lo + hi
	}
	inOrder := true
	for i, q := range sorted {
		if countIn(homes[i], q) != int((q-homes[i])&mask)+1 {
			inOrder = false
			break
		}
	}
	pend := &rpPending{
		keys:   make([]string, len(keys)),
		values: make([]int64, len(keys)),
		slots:  sorted,
	}
	if inOrder {
		copy(pend.keys, keys)
		copy(pend.values, values)
	} else {
		order := make([]int, len(keys))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(slots[a], slots[b]) })
		for to, from := range order {
			pend.keys[to] = keys[from]
			pend.values[to] = values[from]
		}
	}
	return pend, nil
}
