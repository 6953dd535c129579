package sketches

// HLL mode: register arrays (HLL_4 nibbles with an exception table, HLL_6
// packed 6-bit fields, HLL_8 bytes), HIP/KxQ bookkeeping.

// hllRegBytes is the size of the register array for lgK and t.
func hllRegBytes(lgK uint8, t HLLType) int {
	k := 1 << lgK
	switch t {
	case HLL4:
		return k / 2
	case HLL6:
		return 3*k/4 + 1
	}
	return k
}

// newHLLArray returns an all-zero HLL-mode sketch.
func newHLLArray(lgK uint8, t HLLType) *HLL {
	k := 1 << lgK
	return &HLL{
		lgK: lgK, typ: t, mode: hllModeHLL,
		regs:        make([]byte, hllRegBytes(lgK, t)),
		numAtCurMin: k,
		kxq0:        float64(k),
	}
}

// reg returns the absolute value of register i.
func (s *HLL) reg(i uint32) uint8 {
	switch s.typ {
	case HLL8:
		return s.regs[i]
	case HLL6:
		return hll6Get(s.regs, i)
	}
	n := hll4Nibble(s.regs, i)
	if n == hllAuxToken {
		v, _ := s.aux.get(i)
		return v
	}
	return n + s.curMin
}

// setReg stores v in register i of an HLL_6 or HLL_8 array (no bookkeeping).
func (s *HLL) setReg(i uint32, v uint8) {
	if s.typ == HLL8 {
		s.regs[i] = v
	} else {
		hll6Set(s.regs, i, v)
	}
}

func hll6Get(regs []byte, i uint32) uint8 {
	bit := i * 6
	b := bit >> 3
	w := uint16(regs[b]) | uint16(regs[b+1])<<8
	return uint8(w>>(bit&7)) & 63
}

func hll6Set(regs []byte, i uint32, v uint8) {
	bit := i * 6
	b := bit >> 3
	sh := bit & 7
	w := uint16(regs[b]) | uint16(regs[b+1])<<8
	w = w&^(63<<sh) | uint16(v)<<sh
	regs[b] = byte(w)
	regs[b+1] = byte(w >> 8)
}

func hll4Nibble(regs []byte, i uint32) uint8 {
	b := regs[i>>1]
	if i&1 == 0 {
		return b & 15
	}
	return b >> 4
}

func hll4SetNibble(regs []byte, i uint32, n uint8) {
	p := &regs[i>>1]
	if i&1 == 0 {
		*p = *p&0xF0 | n
	} else {
		*p = *p&0x0F | n<<4
	}
}

// hipKxq records a register change old → v in the HIP accumulator (using KxQ
// before the change; skipped once out of order) and in the exact KxQ sums.
func (s *HLL) hipKxq(old, v uint8) {
	if !s.ooo {
		s.hip += float64(uint32(1)<<s.lgK) / (s.kxq0 + s.kxq1)
	}
	// Both sums are exact (multiples of 2^−31 below 2^22, resp. of 2^−63
	// below 2^−10), so one add of the exact difference equals a subtract
	// then an add, and keeps the dependency chain short. (old < v, so
	// v < 32 implies old < 32.)
	if v < 32 {
		s.kxq0 += hllInvPow2[v] - hllInvPow2[old]
		return
	}
	if old < 32 {
		s.kxq0 -= hllInvPow2[old]
	} else {
		s.kxq1 -= hllInvPow2[old]
	}
	s.kxq1 += hllInvPow2[v]
}

// hllUpdate raises register slot to v if v is larger.
func (s *HLL) hllUpdate(slot uint32, v uint8) {
	switch s.typ {
	case HLL8:
		old := s.regs[slot]
		if v <= old {
			return
		}
		s.hipKxq(old, v)
		s.regs[slot] = v
		if old == 0 {
			s.numAtCurMin--
		}
	case HLL6:
		old := hll6Get(s.regs, slot)
		if v <= old {
			return
		}
		s.hipKxq(old, v)
		hll6Set(s.regs, slot, v)
		if old == 0 {
			s.numAtCurMin--
		}
	default:
		s.hll4Update(slot, v)
	}
}

func (s *HLL) hll4Update(slot uint32, v uint8) {
	cm := s.curMin
	if v <= cm {
		return
	}
	nib := hll4Nibble(s.regs, slot)
	lb := nib + cm
	if v <= lb {
		return
	}
	old := lb
	if nib == hllAuxToken {
		old, _ = s.aux.get(slot)
		if v <= old {
			return
		}
	}
	s.hipKxq(old, v)
	shifted := v - cm
	switch {
	case nib == hllAuxToken:
		s.aux.put(slot, v)
	case shifted >= hllAuxToken:
		hll4SetNibble(s.regs, slot, hllAuxToken)
		if s.aux == nil {
			s.aux = newHLLAux(hllLgAuxArrInts[s.lgK], s.lgK)
		}
		s.aux.put(slot, v)
	default:
		hll4SetNibble(s.regs, slot, shifted)
	}
	if old == cm {
		s.numAtCurMin--
		for s.numAtCurMin == 0 {
			s.shiftToBiggerCurMin()
		}
	}
}

// shiftToBiggerCurMin raises curMin by one: every nibble below the aux token
// drops by one, and exceptions that now fit in a nibble leave the aux table.
func (s *HLL) shiftToBiggerCurMin() {
	s.curMin++
	cm := s.curMin
	num := 0
	for i, b := range s.regs {
		lo, hi := b&15, b>>4
		if lo != hllAuxToken {
			lo-- // never 0 here: numAtCurMin was 0
			if lo == 0 {
				num++
			}
		}
		if hi != hllAuxToken {
			hi--
			if hi == 0 {
				num++
			}
		}
		s.regs[i] = hi<<4 | lo
	}
	if s.aux != nil {
		var next *hllAux
		for _, e := range s.aux.tbl {
			if e == 0 {
				continue
			}
			slot, v := e&hllKeyMask26, uint8(e>>26)
			if d := v - cm; d < hllAuxToken {
				hll4SetNibble(s.regs, slot, d)
				continue
			}
			if next == nil {
				next = newHLLAux(hllLgAuxArrInts[s.lgK], s.lgK)
			}
			next.put(slot, v)
		}
		s.aux = next
	}
	s.numAtCurMin = num
}

// hllAux is the HLL_4 exception table: open addressing over 2^lgArr cells of
// value<<26 | slot (value absolute, slot < K), 0 = empty.
type hllAux struct {
	lgArr uint8
	lgK   uint8
	count int
	tbl   []uint32
	// order is the entry order of a decoded compact image, written back by
	// AppendBinary until the table changes (re-inserting entries may reorder
	// them). Never mutated, so clones share it.
	order []uint32
}

func newHLLAux(lgArr, lgK uint8) *hllAux {
	return &hllAux{lgArr: lgArr, lgK: lgK, tbl: make([]uint32, 1<<lgArr)}
}

func (a *hllAux) clone() *hllAux {
	c := *a
	c.tbl = append([]uint32(nil), a.tbl...)
	return &c
}

// find returns the cell of slot, or the empty cell where it belongs (found
// false); ok is false if the probe visits every cell without an answer.
func (a *hllAux) find(slot uint32) (idx uint32, found, ok bool) {
	mask := uint32(len(a.tbl) - 1)
	kmask := uint32(1)<<a.lgK - 1
	stride := slot>>a.lgArr | 1
	p := slot & mask
	for range a.tbl {
		e := a.tbl[p]
		if e == 0 {
			return p, false, true
		}
		if e&kmask == slot {
			return p, true, true
		}
		p = (p + stride) & mask
	}
	return 0, false, false
}

// get returns the value stored for slot.
func (a *hllAux) get(slot uint32) (uint8, bool) {
	if a == nil {
		return 0, false
	}
	p, found, _ := a.find(slot)
	if !found {
		return 0, false
	}
	return uint8(a.tbl[p] >> 26), true
}

// put inserts or replaces the value of slot, growing the table when more than
// 3/4 full.
func (a *hllAux) put(slot uint32, v uint8) {
	a.order = nil
	p, found, _ := a.find(slot)
	a.tbl[p] = uint32(v)<<26 | slot
	if found {
		return
	}
	a.count++
	if 4*a.count > 3<<a.lgArr {
		old := a.tbl
		a.lgArr++
		a.tbl = make([]uint32, 1<<a.lgArr)
		for _, e := range old {
			if e != 0 {
				q, _, _ := a.find(e & hllKeyMask26)
				a.tbl[q] = e
			}
		}
	}
}

// hllAuxLgFor is the table size C++ and Java derive for count compact entries.
func hllAuxLgFor(lgK uint8, count int) uint8 {
	lg := hllLgAuxArrInts[lgK]
	for 4*count > 3<<lg {
		lg++
	}
	return lg
}

// fillHLL4 sets the registers of c, a new all-zero HLL_4 array, to those of
// the HLL-mode sketch src (same lgK), with the state DataSketches reaches by
// replaying src's non-zero registers in slot order (hllConvertRef in the
// tests): curMin 0, nibbles v or the aux token, the exceptions (v ≥ 15)
// inserted in slot order; then, if no register is 0, the curMin shifts that
// the last replayed register would trigger. The KxQ sums and numAtCurMin are
// recomputed from the registers (exact, so equal to the replay's running
// sums). HIP is not touched.
func (c *HLL) fillHLL4(src *HLL) {
	vals := src.regs
	if src.typ != HLL8 {
		vals = make([]byte, 1<<src.lgK)
		src.absRegs(vals)
	}
	vals = vals[:2*len(c.regs)]
	j := 0
	for ; j+8 <= len(vals); j += 8 {
		// eight registers at a time while none is an exception
		if !hll4PackNibbles(c.regs[j>>1:j>>1+4], vals[j:j+8]) {
			c.fillHLL4Pairs(vals[:j+8], j)
		}
	}
	c.fillHLL4Pairs(vals, j)
	c.curMin = 0
	c.numAtCurMin, c.kxq0, c.kxq1 = c.regStats()
	for c.numAtCurMin == 0 {
		c.shiftToBiggerCurMin()
	}
}

// fillHLL4Pairs sets the nibbles of registers j, j+1, … len(vals)−1 (j
// even) from their values, recording values ≥ 15 as exceptions in slot
// order.
func (c *HLL) fillHLL4Pairs(vals []byte, j int) {
	for ; j+1 < len(vals); j += 2 {
		lo, hi := vals[j], vals[j+1]
		if lo >= hllAuxToken {
			c.hll4PutAux(uint32(j), lo)
			lo = hllAuxToken
		}
		if hi >= hllAuxToken {
			c.hll4PutAux(uint32(j+1), hi)
			hi = hllAuxToken
		}
		c.regs[j>>1] = hi<<4 | lo
	}
}

// hll4PutAux records value v of register slot in the exception table,
// creating it on first use.
func (c *HLL) hll4PutAux(slot uint32, v uint8) {
	if c.aux == nil {
		c.aux = newHLLAux(hllLgAuxArrInts[c.lgK], c.lgK)
	}
	c.aux.put(slot, v)
}

// absRegs writes the absolute register values of an HLL-mode sketch into dst
// (len K).
func (s *HLL) absRegs(dst []byte) {
	switch s.typ {
	case HLL8:
		copy(dst, s.regs)
	case HLL6:
		for i := range dst {
			dst[i] = hll6Get(s.regs, uint32(i))
		}
	default:
		cm := s.curMin
		if len(dst) == 2*len(s.regs) && len(dst)%8 == 0 {
			hll4Spread(dst, s.regs, cm)
		} else {
			for i, b := range s.regs {
				dst[2*i] = b&15 + cm
				dst[2*i+1] = b>>4 + cm
			}
		}
		if s.aux != nil {
			for _, e := range s.aux.tbl {
				if e != 0 {
					dst[e&hllKeyMask26] = uint8(e >> 26)
				}
			}
		}
	}
}

// hllRebuild8 recomputes, for an HLL_8 array, curMin (0), numAtCurMin (the
// number of zero registers) and the exact KxQ sums.
func (s *HLL) hllRebuild8() {
	s.curMin = 0
	s.numAtCurMin, s.kxq0, s.kxq1 = s.regStats()
}

// regStats returns what the registers imply: the number of registers at
// curMin and the KxQ sums Σ2^−v split at v = 32. Every term is a power of two
// and the split keeps both sums exact, so the order of summation is irrelevant.
func (s *HLL) regStats() (atCurMin int, kxq0, kxq1 float64) {
	add := func(v uint8) {
		if v < 32 {
			kxq0 += hllInvPow2[v]
		} else {
			kxq1 += hllInvPow2[v]
		}
	}
	// HLL_8 and HLL_6 count the register values first, then sum per value
	// (c·2^−v is exact, so this equals adding 2^−v c times).
	var hist [256]int
	sumHist := func() {
		atCurMin = hist[0]
		for v, c := range hist {
			if c == 0 {
				continue
			}
			if v < 32 {
				kxq0 += float64(c) * hllInvPow2[v]
			} else {
				kxq1 += float64(c) * hllInvPow2[v]
			}
		}
	}
	switch s.typ {
	case HLL8:
		for _, v := range s.regs {
			hist[v]++
		}
		sumHist()
	case HLL6:
		// Three bytes hold four registers.
		r := s.regs
		for g := 0; g+3 <= len(r)-1; g += 3 {
			w := uint32(r[g]) | uint32(r[g+1])<<8 | uint32(r[g+2])<<16
			hist[w&63]++
			hist[w>>6&63]++
			hist[w>>12&63]++
			hist[w>>18&63]++
		}
		sumHist()
	default:
		// Nibbles hold value − curMin; 15 means the value is in the
		// exception table. Count nibble values first, then sum per value.
		// (byte values first, one count per byte in four tables so that
		// runs of equal bytes do not wait on one counter; then per nibble)
		var bh [4][256]int32
		r := s.regs
		for len(r) >= 4 {
			bh[0][r[0]]++
			bh[1][r[1]]++
			bh[2][r[2]]++
			bh[3][r[3]]++
			r = r[4:]
		}
		for _, b := range r {
			bh[0][b]++
		}
		var hist [16]int
		for b := range 256 {
			c := int(bh[0][b] + bh[1][b] + bh[2][b] + bh[3][b])
			hist[b&15] += c
			hist[b>>4] += c
		}
		atCurMin = hist[0]
		for n := uint8(0); n < hllAuxToken; n++ {
			if hist[n] == 0 {
				continue // (n + curMin may exceed 63 only for unused n)
			}
			// c·2^−v is exact, so this equals adding 2^−v c times.
			if v, c := n+s.curMin, float64(hist[n]); v < 32 {
				kxq0 += c * hllInvPow2[v]
			} else {
				kxq1 += c * hllInvPow2[v]
			}
		}
		if s.aux != nil {
			for _, e := range s.aux.tbl {
				if e != 0 {
					add(uint8(e >> 26))
				}
			}
		}
	}
	return atCurMin, kxq0, kxq1
}
