package sketches

// LIST and SET modes of the HLL sketch: exact sets of 32-bit coupons
// (value<<26 | 26 slot bits).

// listUpdate adds c to the list; a full list (8 coupons) is promoted to HLL
// mode when lgK < 8 and to a SET otherwise.
func (s *HLL) listUpdate(c uint32) {
	for i, e := range s.coupons {
		if e == c {
			return
		}
		if e == 0 {
			s.coupons[i] = c
			s.count++
			if s.count == hllListSize {
				if s.lgK < 8 {
					s.promoteToHLL()
				} else {
					s.promoteListToSet()
				}
			}
			return
		}
	}
}

func (s *HLL) promoteListToSet() {
	list := s.coupons
	s.mode = hllModeSet
	s.lgArr = hllLgInitSet
	s.coupons = make([]uint32, 1<<hllLgInitSet)
	s.count = 0
	for _, c := range list {
		hllSetInsert(s.coupons, s.lgArr, c)
		s.count++
	}
}

// hllSetFind returns the index where c is stored in the table, or the empty
// cell where it belongs (found=false). ok is false when the probe sequence
// visits every cell without finding either (only possible in a corrupt table).
func hllSetFind(tbl []uint32, lgArr uint8, c uint32) (idx uint32, found, ok bool) {
	mask := uint32(len(tbl) - 1)
	stride := (c&hllKeyMask26)>>lgArr | 1
	p := c & mask
	for range tbl {
		switch tbl[p] {
		case 0:
			return p, false, true
		case c:
			return p, true, true
		}
		p = (p + stride) & mask
	}
	return 0, false, false
}

// hllSetInsert stores c in its empty cell; it reports false when c was present.
// The table must have a free cell.
func hllSetInsert(tbl []uint32, lgArr uint8, c uint32) bool {
	p, found, _ := hllSetFind(tbl, lgArr, c)
	if found {
		return false
	}
	tbl[p] = c
	return true
}

// setUpdate adds c to the table, growing it (or promoting to HLL mode at
// lgArr == lgK-3) when more than 3/4 full.
func (s *HLL) setUpdate(c uint32) {
	if !hllSetInsert(s.coupons, s.lgArr, c) {
		return
	}
	s.order = nil
	s.count++
	if 4*s.count > 3<<s.lgArr {
		if s.lgArr == s.lgK-3 {
			s.promoteToHLL()
			return
		}
		s.growSet(s.lgArr + 1)
	}
}

// growSet re-inserts the coupons, in old-index order, into a table of 2^lg cells.
func (s *HLL) growSet(lg uint8) {
	old := s.coupons
	s.lgArr = lg
	s.coupons = make([]uint32, 1<<lg)
	for _, c := range old {
		if c != 0 {
			hllSetInsert(s.coupons, lg, c)
		}
	}
}

// couponEstimate is the LIST/SET-mode estimate for count coupons.
func hllCouponEstimate(count int) float64 {
	n := float64(count)
	return max(hllCubic(hllCouponX[:], hllCouponY[:], n), n)
}

// promoteToHLL replaces the coupons by an HLL array fed with them in index
// order; HIP starts from the coupon-mode estimate.
func (s *HLL) promoteToHLL() {
	est := hllCouponEstimate(s.count)
	h := newHLLArray(s.lgK, s.typ)
	mask := uint32(1)<<s.lgK - 1
	for _, c := range s.coupons {
		if c != 0 {
			h.hllUpdate(c&mask, uint8(c>>26))
		}
	}
	h.hip = est
	h.ooo = false
	*s = *h
}

// forEachCoupon calls f for every coupon in index order (list order in LIST
// mode, table order in SET mode).
func (s *HLL) forEachCoupon(f func(uint32)) {
	for _, c := range s.coupons {
		if c != 0 {
			f(c)
		}
	}
}
