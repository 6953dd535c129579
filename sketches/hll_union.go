package sketches

import "fmt"

// HLLUnion merges HLL sketches of any lgK and type into one distinct count. It
// keeps an HLL_8 "gadget" sketch with lgK ≤ lgMaxK, with DataSketches union
// semantics:
//
//   - LIST/SET inputs add their coupons (an empty gadget with the same lgK
//     becomes a copy of the input);
//   - the first HLL-mode input is copied (folded down to lgMaxK if larger),
//     keeping its HIP accumulator and out-of-order flag;
//   - later HLL-mode inputs are merged register by register (taking the max,
//     folding the larger lgK down to the smaller), after which the gadget is
//     out of order: HIP is dropped and the composite estimator is used.
//
// So the result's lgK is min(lgMaxK, smallest lgK among HLL-mode inputs). Unlike
// DataSketches C++ 4.1–5.2 (and Java and Go before their fixes), curMin,
// numAtCurMin and the KxQ sums are rebuilt after every register merge, so a
// first HLL-mode input with lgK > lgMaxK is never lost. (The rebuild is
// deferred until something reads them: they are a function of the registers
// alone, so a run of register merges rebuilds once, and an HLL_4 Result,
// which recomputes them from its own registers, not at all.)
//
// An HLLUnion is not safe for concurrent use. The zero value is not usable; use
// NewHLLUnion.
type HLLUnion struct {
	lgMaxK uint8
	gadget *HLL
	// stale: the gadget (HLL mode) had registers merged since its curMin,
	// numAtCurMin and KxQ sums were last rebuilt; settle rebuilds them.
	stale bool
}

// settle rebuilds the gadget's derived state after register merges.
func (u *HLLUnion) settle() {
	if u.stale {
		u.gadget.hllRebuild8()
		u.stale = false
	}
}

// gadgetEmpty is u.gadget.IsEmpty() of the settled gadget: once rebuilt, an
// HLL_8 array is empty iff every register is 0 (curMin 0, numAtCurMin = the
// zero registers), which a populated gadget disproves at its first register.
func (u *HLLUnion) gadgetEmpty() bool {
	if !u.stale {
		return u.gadget.IsEmpty()
	}
	for _, v := range u.gadget.regs {
		if v != 0 {
			return false
		}
	}
	return true
}

// NewHLLUnion returns an empty union whose result has at most 2^lgMaxK
// registers. lgMaxK must be in 4..21; otherwise the error wraps ErrInvalidArgument.
func NewHLLUnion(lgMaxK int) (*HLLUnion, error) {
	if lgMaxK < hllMinLgK || lgMaxK > hllMaxLgK {
		return nil, fmt.Errorf("hll union: lgMaxK %d outside [%d, %d]: %w", lgMaxK, hllMinLgK, hllMaxLgK, ErrInvalidArgument)
	}
	return &HLLUnion{lgMaxK: uint8(lgMaxK), gadget: newHLLList(uint8(lgMaxK), HLL8)}, nil
}

// LgMaxK returns the lgMaxK the union was created with.
func (u *HLLUnion) LgMaxK() int { return int(u.lgMaxK) }

// LgK returns the current lgK of the union (lgMaxK until an HLL-mode input with
// a smaller lgK arrives).
func (u *HLLUnion) LgK() int { return int(u.gadget.lgK) }

// IsEmpty reports whether the union has seen no input.
func (u *HLLUnion) IsEmpty() bool { return u.gadgetEmpty() }

// UpdateInt64 adds one value directly, as HLL.UpdateInt64 does.
func (u *HLLUnion) UpdateInt64(v int64) { u.settle(); u.gadget.UpdateInt64(v) }

// UpdateFloat64 adds one value directly, as HLL.UpdateFloat64 does.
func (u *HLLUnion) UpdateFloat64(v float64) { u.settle(); u.gadget.UpdateFloat64(v) }

// UpdateString adds one value directly, as HLL.UpdateString does ("" is ignored).
func (u *HLLUnion) UpdateString(v string) { u.settle(); u.gadget.UpdateString(v) }

// UpdateBytes adds one value directly, as HLL.UpdateBytes does (empty is ignored).
func (u *HLLUnion) UpdateBytes(b []byte) { u.settle(); u.gadget.UpdateBytes(b) }

// Update merges s into the union. A nil or empty s changes nothing; s is not
// modified or retained.
func (u *HLLUnion) Update(s *HLL) {
	if s == nil || s.lgK < hllMinLgK || s.IsEmpty() {
		return
	}
	g := u.gadget
	if s.mode != hllModeHLL {
		u.settle() // coupon updates read and maintain the derived state
		if g.IsEmpty() && s.lgK == g.lgK {
			u.gadget = s.Convert(HLL8)
			return
		}
		s.forEachCoupon(g.couponUpdate)
		return
	}
	if g.mode != hllModeHLL || u.gadgetEmpty() {
		// First HLL-mode input: copy it (downsampled), then add the coupons
		// the gadget already had.
		n := hllCopyOrDownsample(s, u.lgMaxK)
		if g.mode != hllModeHLL {
			g.forEachCoupon(n.couponUpdate)
		}
		u.gadget = n
		u.stale = false
		return
	}
	if s.lgK < g.lgK {
		// reads only g's registers (and hip and ooo, which merges set)
		g = hllCopyOrDownsample(g, s.lgK)
		u.gadget = g
	}
	g.mergeRegisters(s)
	g.ooo = true
	g.hip = 0
	u.stale = true
}

// hllCopyOrDownsample returns an HLL_8 copy of HLL-mode src with lgK at most
// lgMaxK (registers folded by max); HIP and the out-of-order flag are copied.
func hllCopyOrDownsample(src *HLL, lgMaxK uint8) *HLL {
	if src.lgK <= lgMaxK {
		if src.typ == HLL8 {
			return src.Clone()
		}
		return src.Convert(HLL8)
	}
	d := newHLLArray(lgMaxK, HLL8)
	d.mergeRegisters(src)
	d.hllRebuild8()
	d.hip = src.hip
	d.ooo = src.ooo
	return d
}

// mergeRegisters sets every register of the HLL_8 array s to the max of itself
// and the registers of src folding onto it (src.lgK ≥ s.lgK). The caller
// rebuilds the derived state.
func (s *HLL) mergeRegisters(src *HLL) {
	mask := len(s.regs) - 1
	dst := s.regs
	switch src.typ {
	case HLL8:
		for i, v := range src.regs {
			if p := &dst[i&mask]; v > *p {
				*p = v
			}
		}
	case HLL6:
		// Three bytes hold four registers.
		r := src.regs
		for g, i := 0, 0; g+3 <= len(r)-1; g += 3 {
			w := uint32(r[g]) | uint32(r[g+1])<<8 | uint32(r[g+2])<<16
			for j := 0; j < 24; j, i = j+6, i+1 {
				if v, p := uint8(w>>j)&63, &dst[i&mask]; v > *p {
					*p = v
				}
			}
		}
	default:
		cm := src.curMin
		if 2*len(src.regs) == len(dst) && len(dst)%8 == 0 && cm <= 63 {
			// same lgK: eight registers at a time
			hll4MaxInto8(dst, src.regs, cm)
		} else {
			s.mergeHLL4Folded(src, mask)
		}
		if src.aux != nil {
			for _, e := range src.aux.tbl {
				if e == 0 {
					continue
				}
				if v, p := uint8(e>>26), &dst[int(e&hllKeyMask26)&mask]; v > *p {
					*p = v
				}
			}
		}
	}
}

// mergeHLL4Folded is the nibble part of mergeRegisters for an HLL_4 source,
// one register at a time (folding a larger lgK onto s's); hll4MaxInto8 is the
// same-lgK case.
func (s *HLL) mergeHLL4Folded(src *HLL, mask int) {
	dst := s.regs
	cm := src.curMin
	for i, b := range src.regs {
		lo, hi := b&15, b>>4
		if lo != hllAuxToken {
			if v, p := lo+cm, &dst[(2*i)&mask]; v > *p {
				*p = v
			}
		}
		if hi != hllAuxToken {
			if v, p := hi+cm, &dst[(2*i+1)&mask]; v > *p {
				*p = v
			}
		}
	}
}

// Result returns the union as a new sketch of type t (the union is unchanged
// and may keep accepting input). An invalid t returns nil.
func (u *HLLUnion) Result(t HLLType) *HLL {
	if t != HLL4 {
		// An HLL_4 copy (fillHLL4) reads the registers, hip and ooo and
		// recomputes the rest from its own registers.
		u.settle()
	}
	return u.gadget.Convert(t)
}

// Estimate returns the estimate of the union's current result.
func (u *HLLUnion) Estimate() float64 { u.settle(); return u.gadget.Estimate() }

// LowerBound returns the lower bound of the union's current result (see HLL.LowerBound).
func (u *HLLUnion) LowerBound(numStdDev int) float64 {
	u.settle()
	return u.gadget.LowerBound(numStdDev)
}

// UpperBound returns the upper bound of the union's current result (see HLL.UpperBound).
func (u *HLLUnion) UpperBound(numStdDev int) float64 {
	u.settle()
	return u.gadget.UpperBound(numStdDev)
}
