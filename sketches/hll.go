package sketches

//go:generate go run ./internal/hlltables -in testdata/tables/hll_estimator_tables.json -out hll_tables.go

import (
	"fmt"
	"math/bits"
)

// HLLType is the register width of an HLL sketch in HLL mode. The value is the
// number of bits per register. All three types give the same estimates for the
// same input; they differ only in memory and image size:
//
//	HLL4: K/2 bytes plus a small exception table (the default in DataSketches)
//	HLL6: 3K/4+1 bytes
//	HLL8: K bytes (fastest updates; the type the union works in)
type HLLType uint8

// The three HLL target types.
const (
	HLL4 HLLType = 4
	HLL6 HLLType = 6
	HLL8 HLLType = 8
)

// String returns the DataSketches name of the type: "HLL_4", "HLL_6" or "HLL_8".
func (t HLLType) String() string {
	switch t {
	case HLL4:
		return "HLL_4"
	case HLL6:
		return "HLL_6"
	case HLL8:
		return "HLL_8"
	}
	return fmt.Sprintf("HLLType(%d)", uint8(t))
}

// valid reports whether t is one of HLL4, HLL6, HLL8.
func (t HLLType) valid() bool { return t == HLL4 || t == HLL6 || t == HLL8 }

// wire returns the 2-bit target-type code of the image mode byte.
func (t HLLType) wire() uint8 { return (uint8(t) - 4) / 2 }

// DefaultHLLLgK is the default log2 of the number of HLL registers (K = 4096),
// as in DataSketches Java and whylogs.
const DefaultHLLLgK = 12

const (
	hllMinLgK = 4
	hllMaxLgK = 21

	hllKeyMask26    = 1<<26 - 1
	hllListSize     = 8 // LG_INIT_LIST_SIZE = 3
	hllLgInitList   = 3
	hllLgInitSet    = 5
	hllAuxToken     = 15
	hllHIPRSEFactor = 0.8325546 // C++ literal (Java uses sqrt(ln 2))
	hllNonHIPFactor = 1.03896   // C++ literal (Java uses sqrt(3 ln 2 - 1))
	hllCouponRSE    = 0.409 / (1 << 13)
)

// hllLgAuxArrInts is the initial log2 size of the HLL_4 exception table per lgK.
var hllLgAuxArrInts = [27]uint8{0, 2, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}

// hllInvPow2[v] is 2^-v, exactly.
var hllInvPow2 = func() (t [64]float64) {
	for i := range t {
		t[i] = 1 / float64(uint64(1)<<i)
	}
	return
}()

type hllMode uint8

const (
	hllModeList hllMode = 0
	hllModeSet  hllMode = 1
	hllModeHLL  hllMode = 2
)

// String returns the DataSketches name of the mode.
func (m hllMode) String() string {
	switch m {
	case hllModeList:
		return "LIST"
	case hllModeSet:
		return "SET"
	}
	return "HLL"
}

// HLL is an Apache DataSketches-compatible HyperLogLog distinct-count sketch
// with K = 2^lgK registers of 4, 6 or 8 bits.
//
// A sketch starts in LIST mode (up to 7 distinct 32-bit coupons, exact), moves to
// SET mode (an open-addressing coupon table, still nearly exact) when the list
// fills, and to HLL mode (the register array) when more than 3/4 of its largest
// size, 2^(lgK-3) cells, is used; sketches with lgK < 8 go from LIST straight
// to HLL. In HLL mode
// the estimate is the HIP (historic inverse probability) estimator while the
// sketch has only seen in-order updates, and the composite estimator after a
// union made it "out of order".
//
// Update the sketch with UpdateInt64, UpdateFloat64, UpdateString or
// UpdateBytes; they hash exactly like DataSketches (MurmurHash3_x64_128, seed
// 9001), so the same values give the same registers and the same image bytes in
// Java, C++ and Python.
//
// The zero value is not usable except as the receiver of UnmarshalBinary; use
// NewHLL. An HLL is not safe for concurrent use: methods that update it must not
// run concurrently with any other method. Read-only methods (estimates, bounds,
// MarshalBinary, Clone, Convert) may run concurrently with each other.
type HLL struct {
	lgK  uint8
	typ  HLLType
	mode hllMode

	// LIST and SET modes: coupons holds the list (8 cells, filled in insertion
	// order) or the hash table (2^lgArr cells); 0 marks an empty cell.
	lgArr   uint8
	count   int
	coupons []uint32
	// order is the coupon order of a decoded compact SET image, kept (and
	// written back by AppendBinary) until the set changes, so that decoding and
	// re-encoding an image reproduces it byte for byte. It is never mutated, so
	// clones share it.
	order []uint32

	// HLL mode. regs is the register array exactly as it appears in the image.
	regs        []byte
	curMin      uint8
	numAtCurMin int
	hip         float64
	kxq0, kxq1  float64
	ooo         bool    // out of order: HIP invalid (a union result); only read in HLL mode
	aux         *hllAux // HLL_4 exceptions; nil when there are none
}

// NewHLL returns an empty sketch with K = 2^lgK registers of type t.
// lgK must be in 4..21 and t one of HLL4, HLL6, HLL8; otherwise the error wraps
// ErrInvalidArgument.
func NewHLL(lgK int, t HLLType) (*HLL, error) {
	if lgK < hllMinLgK || lgK > hllMaxLgK {
		return nil, fmt.Errorf("hll: lgK %d outside [%d, %d]: %w", lgK, hllMinLgK, hllMaxLgK, ErrInvalidArgument)
	}
	if !t.valid() {
		return nil, fmt.Errorf("hll: unknown type %v: %w", t, ErrInvalidArgument)
	}
	return newHLLList(uint8(lgK), t), nil
}

func newHLLList(lgK uint8, t HLLType) *HLL {
	return &HLL{lgK: lgK, typ: t, mode: hllModeList, lgArr: hllLgInitList, coupons: make([]uint32, hllListSize)}
}

// UpdateInt64 adds v, hashed as its 8 little-endian bytes (Java update(long),
// C++ update(int64_t); smaller signed integers should be widened by the caller).
func (s *HLL) UpdateInt64(v int64) {
	h1, h2 := HashInt64(v, DefaultSeed)
	s.updateHash(h1, h2)
}

// UpdateFloat64 adds v, hashed as the 8 little-endian bytes of its canonical
// bits: −0.0 hashes as +0.0 (and so as int64 0) and every NaN as the canonical NaN.
func (s *HLL) UpdateFloat64(v float64) {
	h1, h2 := HashFloat64(v, DefaultSeed)
	s.updateHash(h1, h2)
}

// UpdateString adds the UTF-8 bytes of v. The empty string is ignored, as in
// Java and C++.
func (s *HLL) UpdateString(v string) {
	if len(v) == 0 {
		return
	}
	h1, h2 := HashString(v, DefaultSeed)
	s.updateHash(h1, h2)
}

// UpdateBytes adds the bytes of b. An empty slice is ignored (Java semantics).
// b is not retained.
func (s *HLL) UpdateBytes(b []byte) {
	if len(b) == 0 {
		return
	}
	h1, h2 := HashBytes(b, DefaultSeed)
	s.updateHash(h1, h2)
}

// UpdateHash adds a value by its 128-bit DataSketches hash (h1, h2): the
// result of HashInt64, HashFloat64, HashString or HashBytes with DefaultSeed.
// UpdateInt64(v) is UpdateHash(HashInt64(v, DefaultSeed)); a caller that logs
// one value into several sketches hashes it once. (An empty string or slice,
// which UpdateString and UpdateBytes ignore, must not be passed here.)
func (s *HLL) UpdateHash(h1, h2 uint64) { s.updateHash(h1, h2) }

// updateHash turns a 128-bit hash into a coupon and applies it.
func (s *HLL) updateHash(h1, h2 uint64) {
	v := bits.LeadingZeros64(h2)
	if v > 62 {
		v = 62
	}
	v++
	if s.mode == hllModeHLL {
		slot := uint32(h1) & (1<<s.lgK - 1)
		// Quick reject (the common case once the sketch has filled up),
		// without the call into hllUpdate.
		switch s.typ {
		case HLL8:
			if int(slot) < len(s.regs) && uint8(v) <= s.regs[slot] {
				return
			}
		case HLL6:
			bit := slot * 6
			if b := int(bit >> 3); b+1 < len(s.regs) {
				w := uint16(s.regs[b]) | uint16(s.regs[b+1])<<8
				if uint8(v) <= uint8(w>>(bit&7))&63 {
					return
				}
			}
		case HLL4:
			if b := int(slot >> 1); b < len(s.regs) {
				n := s.regs[b] >> (4 * (slot & 1)) & 15
				if n != hllAuxToken && uint8(v) <= n+s.curMin {
					return
				}
			}
			s.hll4Update(slot, uint8(v))
			return
		}
		s.hllUpdate(slot, uint8(v))
		return
	}
	c := uint32(v)<<26 | uint32(h1)&hllKeyMask26
	// LIST and SET modes: a coupon already held (a repeated value) is found
	// here without further calls; listUpdate and setUpdate repeat the search.
	if s.mode == hllModeList {
		for _, e := range s.coupons {
			if e == c {
				return
			}
			if e == 0 {
				break
			}
		}
		s.listUpdate(c)
		return
	}
	if tbl := s.coupons; len(tbl) != 0 && tbl[c&uint32(len(tbl)-1)] == c {
		return // at its first probe
	}
	s.setUpdate(c)
}

// couponUpdate applies one coupon in any mode.
func (s *HLL) couponUpdate(c uint32) {
	switch s.mode {
	case hllModeHLL:
		s.hllUpdate(c&(1<<s.lgK-1), uint8(c>>26))
	case hllModeList:
		s.listUpdate(c)
	default:
		s.setUpdate(c)
	}
}

// IsEmpty reports whether the sketch has seen no input.
func (s *HLL) IsEmpty() bool {
	if s.mode == hllModeHLL {
		return s.curMin == 0 && s.numAtCurMin == 1<<s.lgK
	}
	return s.count == 0
}

// LgK returns log2 of the number of registers.
func (s *HLL) LgK() int { return int(s.lgK) }

// Type returns the register width of the sketch.
func (s *HLL) Type() HLLType { return s.typ }

// Mode returns the current mode: "LIST", "SET" or "HLL".
func (s *HLL) Mode() string { return s.mode.String() }

// Clone returns a deep copy of s.
func (s *HLL) Clone() *HLL {
	c := *s
	if s.coupons != nil {
		c.coupons = append([]uint32(nil), s.coupons...)
	}
	if s.regs != nil {
		c.regs = append([]byte(nil), s.regs...)
	}
	if s.aux != nil {
		c.aux = s.aux.clone()
	}
	return &c
}

// Convert returns a copy of s with target type t (s itself is unchanged). In
// LIST and SET mode only the type label changes. In HLL mode the register values,
// KxQ sums, HIP accumulator and out-of-order flag are carried over, so every
// estimate and bound of the copy equals that of s; an HLL_4 copy is built by
// replaying the non-zero registers in slot order, as DataSketches does. An
// invalid t returns nil.
func (s *HLL) Convert(t HLLType) *HLL {
	if !t.valid() {
		return nil
	}
	if s.mode != hllModeHLL || t == s.typ {
		c := s.Clone()
		c.typ = t
		return c
	}
	c := newHLLArray(s.lgK, t)
	c.ooo = s.ooo
	switch t {
	case HLL4:
		c.fillHLL4(s)
	case HLL8:
		// Registers copied; numAtCurMin counts the zeros (the KxQ sums are
		// copied below).
		s.absRegs(c.regs)
		c.numAtCurMin = hllCountZeroBytes(c.regs)
	default:
		for i := 0; i < 1<<s.lgK; i++ {
			if v := s.reg(uint32(i)); v != 0 {
				c.setReg(uint32(i), v)
				c.numAtCurMin--
			}
		}
	}
	if t != HLL4 {
		c.kxq0, c.kxq1 = s.kxq0, s.kxq1
	}
	c.hip = s.hip
	return c
}
