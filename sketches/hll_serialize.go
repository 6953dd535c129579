package sketches

import (
	"encoding/binary"
	"fmt"
	"math"
)

// HLL image layout (Apache DataSketches, serial version 1, little-endian).
const (
	hllFlagReadOnly = 1 << 1
	hllFlagEmpty    = 1 << 2
	hllFlagCompact  = 1 << 3
	hllFlagOOO      = 1 << 4
	hllFlagRebuild  = 1 << 5 // Java: rebuild curMin/numAtCurMin/KxQ; C++: start_full_size

	hllPreIntsList = 2
	hllPreIntsSet  = 3
	hllPreIntsHLL  = 10
	hllSerVer      = 1
	hllFamily      = 7

	hllHeaderBytes    = 8
	hllSetHeaderBytes = 12
	hllArrHeaderBytes = 40
)

func hllCorrupt(off int, format string, args ...any) error {
	return fmt.Errorf("hll: %s at offset %d: %w", fmt.Sprintf(format, args...), off, ErrCorrupt)
}

// MarshalBinary returns the compact image of the sketch, byte-identical to
// DataSketches C++ serialize_compact() (and Java toCompactByteArray(), except that
// Java before PR #761 leaves the COMPACT flag clear for HLL_6/HLL_8 in HLL mode).
// See AppendBinary for the layout. It fails only for a zero-value HLL.
func (s *HLL) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(make([]byte, 0, s.compactSize()))
}

// AppendBinary appends the compact image of the sketch to b. Layout
// (little-endian; K = 2^lgK):
//
//	byte 0   preamble ints: 2 LIST, 3 SET, 10 HLL
//	byte 1   serial version 1
//	byte 2   family 7 (HLL)
//	byte 3   lgK
//	byte 4   LIST: 3; SET: log2 of the coupon table size; HLL: log2 of the HLL_4
//	         exception table size, or 0 when there are no exceptions
//	byte 5   flags: 0x04 EMPTY (LIST with no coupons), 0x08 COMPACT (always set
//	         here), 0x10 OUT_OF_ORDER (HLL mode: a union result, the estimate is
//	         the composite one; LIST/SET: carried over from a decoded image)
//	byte 6   LIST: coupon count; SET: 0; HLL: curMin
//	byte 7   current mode (0 LIST, 1 SET, 2 HLL) | type << 2 (0 HLL_4, 1 HLL_6, 2 HLL_8)
//	LIST:    8: count uint32 coupons (value<<26 | 26 slot bits), insertion order
//	SET:     8: count uint32; 12: count uint32 coupons in hash-table order
//	HLL:     8: HIP accumulator f64; 16: KxQ0 f64; 24: KxQ1 f64;
//	         32: numAtCurMin uint32; 36: exception count uint32;
//	         40: registers (HLL_4 K/2 bytes, nibble = value − curMin, low
//	         nibble first, 15 = exception; HLL_6 3K/4+1 bytes, 6-bit little-endian
//	         bit fields; HLL_8 K bytes); HLL_4 only: exception count uint32
//	         entries (value<<26 | slot, absolute value) in table order
//
// The encoding is canonical for a given update history but not for a given
// set of inputs (SET and exception tables keep their insertion-dependent order,
// HIP depends on update order): do not compare images to compare sketches.
// A SET (or HLL_4 exception table) decoded from a compact image writes its
// entries back in the image's order until it changes, so decode→encode
// reproduces the image.
func (s *HLL) AppendBinary(b []byte) ([]byte, error) {
	return s.appendImage(b, true)
}

// AppendUpdatableBinary appends the updatable image of the sketch to b
// (C++ serialize_updatable(), Java toUpdatableByteArray()): the header as in
// AppendBinary with the COMPACT flag clear, then LIST: all 8 list cells; SET:
// the whole 2^lgArr coupon table (empty cells 0); HLL_4: the whole exception
// table of 2^byte4 cells (2^LG_AUX_ARR_INTS[lgK] zero cells and byte 4 = 0 when
// there are no exceptions). For HLL_6 and HLL_8 in HLL mode it is the compact
// image with the COMPACT flag clear, which is exactly what Java (before PR #761)
// writes as its compact image; use it when a reader needs that form.
func (s *HLL) AppendUpdatableBinary(b []byte) ([]byte, error) {
	return s.appendImage(b, false)
}

// compactSize is the length of the compact image.
func (s *HLL) compactSize() int {
	switch s.mode {
	case hllModeList:
		return hllHeaderBytes + 4*s.count
	case hllModeSet:
		return hllSetHeaderBytes + 4*s.count
	}
	n := hllArrHeaderBytes + len(s.regs)
	if s.aux != nil {
		n += 4 * s.aux.count
	}
	return n
}

func (s *HLL) appendImage(b []byte, compact bool) ([]byte, error) {
	if s.lgK < hllMinLgK || s.lgK > hllMaxLgK || !s.typ.valid() {
		return b, fmt.Errorf("hll: marshal of a zero-value or invalid sketch: %w", ErrInvalidArgument)
	}
	var flags uint8
	if compact {
		flags |= hllFlagCompact
	}
	if s.ooo {
		flags |= hllFlagOOO
	}
	le := binary.LittleEndian
	mode := uint8(s.mode) | s.typ.wire()<<2
	switch s.mode {
	case hllModeList:
		if s.count == 0 {
			flags |= hllFlagEmpty
		}
		b = append(b, hllPreIntsList, hllSerVer, hllFamily, s.lgK, hllLgInitList, flags, uint8(s.count), mode)
		for i, c := range s.coupons {
			if compact && i >= s.count {
				break
			}
			b = le.AppendUint32(b, c)
		}
	case hllModeSet:
		b = append(b, hllPreIntsSet, hllSerVer, hllFamily, s.lgK, s.lgArr, flags, 0, mode)
		b = le.AppendUint32(b, uint32(s.count))
		cs := s.coupons
		if compact && s.order != nil {
			cs = s.order
		}
		for _, c := range cs {
			if c != 0 || !compact {
				b = le.AppendUint32(b, c)
			}
		}
	default:
		var lgAux uint8
		auxCount := 0
		if s.aux != nil {
			lgAux, auxCount = s.aux.lgArr, s.aux.count
		}
		b = append(b, hllPreIntsHLL, hllSerVer, hllFamily, s.lgK, lgAux, flags, s.curMin, mode)
		b = le.AppendUint64(b, math.Float64bits(s.hip))
		b = le.AppendUint64(b, math.Float64bits(s.kxq0))
		b = le.AppendUint64(b, math.Float64bits(s.kxq1))
		b = le.AppendUint32(b, uint32(s.numAtCurMin))
		b = le.AppendUint32(b, uint32(auxCount))
		b = append(b, s.regs...)
		if s.typ == HLL4 {
			switch {
			case s.aux != nil && compact && s.aux.order != nil:
				for _, e := range s.aux.order {
					b = le.AppendUint32(b, e)
				}
			case s.aux != nil:
				for _, e := range s.aux.tbl {
					if e != 0 || !compact {
						b = le.AppendUint32(b, e)
					}
				}
			case !compact:
				b = append(b, make([]byte, 4<<hllLgAuxArrInts[s.lgK])...)
			}
		}
	}
	return b, nil
}

// UnmarshalBinary replaces the sketch with the one in image b. It reads every
// image DataSketches Java, C++ and Python write for HLL (see AppendBinary for
// the layout): compact and updatable forms, the C++ (COMPACT flag set) and Java
// (flag clear) variants of HLL_6/HLL_8 compact images, and the Java REBUILD flag
// (0x20: curMin, numAtCurMin and KxQ are recomputed from the registers). The
// image must be exactly as long as its header says.
//
// Everything is validated: header constants, lgK 4..21, mode and type codes,
// the table sizes for the mode, coupon counts (LIST ≤ 7; SET within its table
// and below the HLL promotion threshold), coupons (non-zero value, no
// duplicates, reachable in an updatable table), register values ≤ 63, HLL_4
// exceptions (one per nibble 15, slot < K, value ≥ curMin+15, no duplicates),
// and, unless the REBUILD flag is set, that numAtCurMin and the KxQ sums equal
// those of the registers. A failure returns an error wrapping ErrCorrupt that
// names the offset and the expectation, and leaves s unchanged. Allocation is
// bounded by a small multiple of len(b). b is not retained.
func (s *HLL) UnmarshalBinary(b []byte) error {
	d, err := decodeHLL(b)
	if err != nil {
		return err
	}
	*s = *d
	return nil
}

func decodeHLL(b []byte) (*HLL, error) {
	if len(b) < hllHeaderBytes {
		return nil, hllCorrupt(0, "image of %d bytes, need at least the %d-byte header", len(b), hllHeaderBytes)
	}
	if b[1] != hllSerVer {
		return nil, hllCorrupt(1, "serial version %d, want %d", b[1], hllSerVer)
	}
	if b[2] != hllFamily {
		return nil, hllCorrupt(2, "family %d, want %d (HLL)", b[2], hllFamily)
	}
	lgK := b[3]
	if lgK < hllMinLgK || lgK > hllMaxLgK {
		return nil, hllCorrupt(3, "lgK %d outside [%d, %d]", lgK, hllMinLgK, hllMaxLgK)
	}
	flags := b[5]
	if flags&0xC1 != 0 {
		return nil, hllCorrupt(5, "flags 0x%02x have unknown bits 0x%02x", flags, flags&0xC1)
	}
	m := b[7]
	mode, tw := hllMode(m&3), (m>>2)&3
	if m>>4 != 0 || mode > hllModeHLL || tw > 2 {
		return nil, hllCorrupt(7, "mode byte 0x%02x, want mode 0..2 | type 0..2 << 2", m)
	}
	t := HLLType(4 + 2*tw)
	wantPre := [...]uint8{hllPreIntsList, hllPreIntsSet, hllPreIntsHLL}[mode]
	if b[0] != wantPre {
		return nil, hllCorrupt(0, "preamble ints %d, want %d for %v mode", b[0], wantPre, mode)
	}
	switch mode {
	case hllModeList:
		return decodeHLLList(b, lgK, t, flags)
	case hllModeSet:
		return decodeHLLSet(b, lgK, t, flags)
	}
	return decodeHLLArray(b, lgK, t, flags)
}

// hllCheckCoupon validates one coupon read at offset off.
func hllCheckCoupon(c uint32, off int) error {
	if c>>26 == 0 {
		return hllCorrupt(off, "coupon 0x%08x has value 0, want 1..63", c)
	}
	return nil
}

func decodeHLLList(b []byte, lgK uint8, t HLLType, flags uint8) (*HLL, error) {
	if b[4] != hllLgInitList {
		return nil, hllCorrupt(4, "LIST lgArr %d, want %d", b[4], hllLgInitList)
	}
	count := int(b[6])
	if count >= hllListSize {
		return nil, hllCorrupt(6, "LIST coupon count %d, want at most %d", count, hllListSize-1)
	}
	if flags&hllFlagEmpty != 0 && count != 0 {
		return nil, hllCorrupt(6, "EMPTY flag with coupon count %d", count)
	}
	compact := flags&hllFlagCompact != 0
	var cells int
	switch {
	case count == 0 && len(b) == hllHeaderBytes:
		cells = 0
	case compact:
		cells = count
	default:
		cells = hllListSize
	}
	if want := hllHeaderBytes + 4*cells; len(b) != want {
		return nil, hllCorrupt(0, "LIST image of %d bytes, want %d (count %d, compact %v)", len(b), want, count, compact)
	}
	s := newHLLList(lgK, t)
	s.ooo = flags&hllFlagOOO != 0 // no effect in LIST mode; kept for a faithful re-encoding
	for i := 0; i < cells; i++ {
		off := hllHeaderBytes + 4*i
		c := binary.LittleEndian.Uint32(b[off:])
		if i >= count {
			if c != 0 {
				return nil, hllCorrupt(off, "LIST cell %d holds 0x%08x beyond coupon count %d", i, c, count)
			}
			continue
		}
		if err := hllCheckCoupon(c, off); err != nil {
			return nil, err
		}
		for _, e := range s.coupons[:i] {
			if e == c {
				return nil, hllCorrupt(off, "duplicate LIST coupon 0x%08x", c)
			}
		}
		s.coupons[i] = c
	}
	s.count = count
	return s, nil
}

func decodeHLLSet(b []byte, lgK uint8, t HLLType, flags uint8) (*HLL, error) {
	if lgK < 8 {
		return nil, hllCorrupt(3, "SET mode with lgK %d, want lgK ≥ 8", lgK)
	}
	if flags&hllFlagEmpty != 0 {
		return nil, hllCorrupt(5, "EMPTY flag on a SET image")
	}
	if len(b) < hllSetHeaderBytes {
		return nil, hllCorrupt(0, "SET image of %d bytes, need at least %d", len(b), hllSetHeaderBytes)
	}
	maxLg := lgK - 3
	lgArr := b[4]
	if lgArr > maxLg {
		return nil, hllCorrupt(4, "SET lgArr %d, want at most lgK-3 = %d", lgArr, maxLg)
	}
	count64 := uint64(binary.LittleEndian.Uint32(b[8:]))
	if count64 == 0 || 4*count64 > 3<<maxLg {
		return nil, hllCorrupt(8, "SET coupon count %d, want 1..%d", count64, 3<<maxLg/4)
	}
	count := int(count64)
	s := &HLL{lgK: lgK, typ: t, mode: hllModeSet, ooo: flags&hllFlagOOO != 0}
	if flags&hllFlagCompact != 0 {
		if want := hllSetHeaderBytes + 4*count; len(b) != want {
			return nil, hllCorrupt(0, "compact SET image of %d bytes, want %d for %d coupons", len(b), want, count)
		}
		// Re-insert into a fresh table of 2^5 cells that grows as needed,
		// as C++ and Java readers do, so later updates see the same table.
		s.lgArr = hllLgInitSet
		s.coupons = make([]uint32, 1<<hllLgInitSet)
		order := make([]uint32, count)
		for i := 0; i < count; i++ {
			off := hllSetHeaderBytes + 4*i
			c := binary.LittleEndian.Uint32(b[off:])
			if err := hllCheckCoupon(c, off); err != nil {
				return nil, err
			}
			if !hllSetInsert(s.coupons, s.lgArr, c) {
				return nil, hllCorrupt(off, "duplicate SET coupon 0x%08x", c)
			}
			s.count++
			if 4*s.count > 3<<s.lgArr {
				s.growSet(s.lgArr + 1) // never past lgK-3: count was checked
			}
			order[i] = c
		}
		s.order = order
		return s, nil
	}
	if lgArr < hllLgInitSet {
		return nil, hllCorrupt(4, "updatable SET lgArr %d, want %d..%d", lgArr, hllLgInitSet, maxLg)
	}
	if want := hllSetHeaderBytes + 4<<lgArr; len(b) != want {
		return nil, hllCorrupt(0, "updatable SET image of %d bytes, want %d for lgArr %d", len(b), want, lgArr)
	}
	if 4*count > 3<<lgArr {
		return nil, hllCorrupt(8, "SET coupon count %d exceeds 3/4 of %d cells", count, 1<<lgArr)
	}
	s.lgArr = lgArr
	s.coupons = make([]uint32, 1<<lgArr)
	n := 0
	for i := range s.coupons {
		off := hllSetHeaderBytes + 4*i
		c := binary.LittleEndian.Uint32(b[off:])
		if c == 0 {
			continue
		}
		if err := hllCheckCoupon(c, off); err != nil {
			return nil, err
		}
		s.coupons[i] = c
		n++
	}
	if n != count {
		return nil, hllCorrupt(8, "SET coupon count %d, but the table holds %d coupons", count, n)
	}
	// Every coupon must be the first match on its own probe path, or lookups
	// would miss it (and duplicates would be possible).
	for i, c := range s.coupons {
		if c == 0 {
			continue
		}
		if p, found, _ := hllSetFind(s.coupons, lgArr, c); !found || p != uint32(i) {
			return nil, hllCorrupt(hllSetHeaderBytes+4*i, "SET coupon 0x%08x is not reachable at its table cell", c)
		}
	}
	s.count = count
	return s, nil
}

func decodeHLLArray(b []byte, lgK uint8, t HLLType, flags uint8) (*HLL, error) {
	le := binary.LittleEndian
	regBytes := hllRegBytes(lgK, t)
	if len(b) < hllArrHeaderBytes+regBytes {
		return nil, hllCorrupt(0, "%v HLL image of %d bytes, need at least %d for lgK %d", t, len(b), hllArrHeaderBytes+regBytes, lgK)
	}
	rebuild := flags&hllFlagRebuild != 0
	s := &HLL{
		lgK: lgK, typ: t, mode: hllModeHLL,
		curMin: b[6],
		hip:    math.Float64frombits(le.Uint64(b[8:])),
		kxq0:   math.Float64frombits(le.Uint64(b[16:])),
		kxq1:   math.Float64frombits(le.Uint64(b[24:])),
		ooo:    flags&hllFlagOOO != 0,
	}
	numAtCurMin := uint64(le.Uint32(b[32:]))
	auxCount := uint64(le.Uint32(b[36:]))
	if math.IsNaN(s.hip) || math.IsInf(s.hip, 0) || s.hip < 0 {
		return nil, hllCorrupt(8, "HIP accumulator %v, want a finite value ≥ 0", s.hip)
	}
	regs := b[hllArrHeaderBytes : hllArrHeaderBytes+regBytes]
	end := hllArrHeaderBytes + regBytes
	if t != HLL4 {
		if len(b) != end {
			return nil, hllCorrupt(0, "%v HLL image of %d bytes, want %d for lgK %d", t, len(b), end, lgK)
		}
		if b[4] != 0 {
			return nil, hllCorrupt(4, "%v lgAuxArr %d, want 0", t, b[4])
		}
		if auxCount != 0 {
			return nil, hllCorrupt(36, "%v exception count %d, want 0", t, auxCount)
		}
		if s.curMin != 0 {
			if !rebuild {
				return nil, hllCorrupt(6, "%v curMin %d, want 0", t, s.curMin)
			}
			s.curMin = 0
		}
		if t == HLL8 {
			for i, v := range regs {
				if v > 63 {
					return nil, hllCorrupt(hllArrHeaderBytes+i, "HLL_8 register %d = %d, want ≤ 63", i, v)
				}
			}
		} else if regs[regBytes-1] != 0 {
			return nil, hllCorrupt(end-1, "HLL_6 padding byte 0x%02x, want 0", regs[regBytes-1])
		}
		s.regs = append([]byte(nil), regs...)
	} else {
		if err := decodeHLL4Aux(s, b, regs, auxCount, flags); err != nil {
			return nil, err
		}
	}
	// Recompute what the registers imply.
	zeros, kxq0, kxq1 := s.regStats()
	if t == HLL4 && zeros == 0 {
		return nil, hllCorrupt(6, "HLL_4 curMin %d is below every register", s.curMin)
	}
	if !rebuild {
		if numAtCurMin != uint64(zeros) {
			return nil, hllCorrupt(32, "numAtCurMin %d, but %d registers are at curMin %d", numAtCurMin, zeros, s.curMin)
		}
		if s.kxq0 != kxq0 || s.kxq1 != kxq1 {
			return nil, hllCorrupt(16, "KxQ sums (%v, %v), registers give (%v, %v)", s.kxq0, s.kxq1, kxq0, kxq1)
		}
	}
	s.numAtCurMin, s.kxq0, s.kxq1 = zeros, kxq0, kxq1
	if flags&hllFlagEmpty != 0 && !s.IsEmpty() {
		return nil, hllCorrupt(5, "EMPTY flag on an HLL image with non-zero registers")
	}
	return s, nil
}

// decodeHLL4Aux reads the HLL_4 registers (validating nibble values against
// curMin) and the exception table that follows them.
func decodeHLL4Aux(s *HLL, b, regs []byte, auxCount uint64, flags uint8) error {
	le := binary.LittleEndian
	lgK := s.lgK
	k := 1 << lgK
	start := hllArrHeaderBytes + len(regs)
	cm := s.curMin
	if cm > 63 {
		return hllCorrupt(6, "HLL_4 curMin %d, want ≤ 63", cm)
	}
	tokens := 0
	maxNib := hllAuxToken - 1
	if cm > 63-hllAuxToken+1 {
		maxNib = 63 - int(cm) // larger nibbles would exceed 63
	}
	for i, by := range regs {
		lo, hi := int(by&15), int(by>>4)
		if lo == hllAuxToken {
			tokens++
		} else if lo > maxNib {
			return hllCorrupt(hllArrHeaderBytes+i, "HLL_4 register value %d+%d exceeds 63", lo, cm)
		}
		if hi == hllAuxToken {
			tokens++
		} else if hi > maxNib {
			return hllCorrupt(hllArrHeaderBytes+i, "HLL_4 register value %d+%d exceeds 63", hi, cm)
		}
	}
	if auxCount != uint64(tokens) {
		return hllCorrupt(36, "HLL_4 exception count %d, but %d nibbles hold the exception token", auxCount, tokens)
	}
	minLg, maxLg := hllLgAuxArrInts[lgK], lgK+1
	s.regs = append([]byte(nil), regs...)
	checkEntry := func(e uint32, off int) (slot uint32, err error) {
		slot, v := e&hllKeyMask26, uint8(e>>26)
		if slot >= uint32(k) {
			return 0, hllCorrupt(off, "HLL_4 exception slot %d, want < K = %d", slot, k)
		}
		if int(v) < int(cm)+hllAuxToken {
			return 0, hllCorrupt(off, "HLL_4 exception value %d for slot %d, want ≥ curMin+15 = %d", v, slot, int(cm)+hllAuxToken)
		}
		if hll4Nibble(s.regs, slot) != hllAuxToken {
			return 0, hllCorrupt(off, "HLL_4 exception for slot %d whose nibble is not 15", slot)
		}
		return slot, nil
	}
	if flags&hllFlagCompact != 0 {
		if b[4] > maxLg {
			return hllCorrupt(4, "HLL_4 lgAuxArr %d, want at most %d", b[4], maxLg)
		}
		if want := uint64(start) + 4*auxCount; uint64(len(b)) != want {
			return hllCorrupt(0, "compact HLL_4 image of %d bytes, want %d with %d exceptions", len(b), want, auxCount)
		}
		if auxCount == 0 {
			return nil
		}
		a := newHLLAux(hllAuxLgFor(lgK, int(auxCount)), lgK)
		for i := 0; i < int(auxCount); i++ {
			off := start + 4*i
			e := le.Uint32(b[off:])
			slot, err := checkEntry(e, off)
			if err != nil {
				return err
			}
			if _, found := a.get(slot); found {
				return hllCorrupt(off, "duplicate HLL_4 exception for slot %d", slot)
			}
			a.put(slot, uint8(e>>26))
		}
		a.order = make([]uint32, auxCount)
		for i := range a.order {
			a.order[i] = le.Uint32(b[start+4*i:])
		}
		s.aux = a
		return nil
	}
	lg := b[4]
	if lg == 0 {
		lg = minLg
	}
	if lg < minLg || lg > maxLg {
		return hllCorrupt(4, "updatable HLL_4 lgAuxArr %d, want 0 or %d..%d", b[4], minLg, maxLg)
	}
	if want := start + 4<<lg; len(b) != want {
		return hllCorrupt(0, "updatable HLL_4 image of %d bytes, want %d for lgAuxArr %d", len(b), want, lg)
	}
	if 4*auxCount > 3<<lg {
		return hllCorrupt(36, "HLL_4 exception count %d exceeds 3/4 of %d cells", auxCount, 1<<lg)
	}
	if auxCount == 0 {
		for i := start; i < len(b); i++ {
			if b[i] != 0 {
				return hllCorrupt(i, "non-zero byte in an empty HLL_4 exception table")
			}
		}
		return nil
	}
	a := &hllAux{lgArr: lg, lgK: lgK, tbl: make([]uint32, 1<<lg)}
	for i := range a.tbl {
		off := start + 4*i
		e := le.Uint32(b[off:])
		if e == 0 {
			continue
		}
		if _, err := checkEntry(e, off); err != nil {
			return err
		}
		a.tbl[i] = e
		a.count++
	}
	if uint64(a.count) != auxCount {
		return hllCorrupt(36, "HLL_4 exception count %d, but the table holds %d entries", auxCount, a.count)
	}
	for i, e := range a.tbl {
		if e == 0 {
			continue
		}
		if p, found, _ := a.find(e & hllKeyMask26); !found || p != uint32(i) {
			return hllCorrupt(start+4*i, "HLL_4 exception for slot %d is not reachable at its table cell", e&hllKeyMask26)
		}
	}
	s.aux = a
	return nil
}
