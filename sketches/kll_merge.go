package sketches

import "unsafe"

// mergeUpDisjoint is mergeUp for a level 0 that was monotone (sorted input):
// runs that do not interleave are two copies. (Random input, whose runs
// interleave, does not pay for the check.)
func (s *KLL[T]) mergeUpDisjoint(items []T, aBeg, aLen, bBeg, bLen uint32) {
	switch aEnd, bEnd := aBeg+aLen, bBeg+bLen; {
	case !(items[aBeg] < items[bEnd-1]): // b, then a (b first on ties)
		copy(items[aEnd:], items[bBeg:bEnd])
		copy(items[aEnd+bLen:], items[aBeg:aEnd])
		return
	case items[aEnd-1] < items[bBeg]: // a, then b (in place)
		copy(items[aEnd:], items[aBeg:aEnd])
		return
	}
	s.mergeUp(items, aBeg, aLen, bBeg, bLen)
}

// mergeUp is kllMergeInPlace(items, aBeg, aLen, bBeg, bLen) (bBeg ==
// aBeg+2·aLen, aLen, bLen ≥ 1), through kllMergePositive when it applies:
// both runs of two items or more, b no longer than the key scratch space, and
// the first (smallest) item of each run > 0.
func (s *KLL[T]) mergeUp(items []T, aBeg, aLen, bBeg, bLen uint32) {
	if aLen >= 2 && bLen >= 2 && items[aBeg] > 0 && items[bBeg] > 0 {
		switch v := any(items).(type) {
		case []float64:
			if int(bLen) <= cap(s.radix) {
				buf := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
				kllMergePositive(buf, s.radix[:bLen], aBeg, aLen, bBeg, bLen)
				return
			}
		case []float32:
			// the scratch space holds twice as many uint32
			if int(bLen) <= 2*cap(s.radix) {
				buf := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
				tmp := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(s.radix))), bLen)
				kllMergePositive(buf, tmp, aBeg, aLen, bBeg, bLen)
				return
			}
		}
	}
	kllMergeInPlace(items, aBeg, aLen, bBeg, bLen)
}

// kllMergePositive is kllMergeInPlace on the bits of float64 (U = uint64) or
// float32 (U = uint32) runs of two items or more whose items are all > 0:
// the bits of positive floats order as the floats do, and equal bits are
// equal items, so the merge runs on the bits as unsigned integers, where min
// and max are conditional moves. b moves to tmp (len(tmp) == bLen) first;
// then the merge writes from both ends of the output at once, the front
// taking the smaller head and the back the larger tail, each advancing its run
// by the comparison, so the two dependency chains overlap and no branch
// depends on the items. Once a run is down to its last item, the rest is
// merged plainly.
//
// The loop reads and writes through pointers: its condition keeps every index
// inside its run (both runs keep two items or more, so the front and back
// indexes of a run never cross), which the compiler cannot prove.
func kllMergePositive[U uint32 | uint64](buf, tmp []U, aBeg, aLen, bBeg, bLen uint32) {
	_ = buf[bBeg+bLen-1] // checks against len(buf), which slicing would not
	_ = tmp[bLen-1]
	sz := unsafe.Sizeof(U(0))
	pb := unsafe.Pointer(unsafe.SliceData(tmp))
	copy(tmp, buf[bBeg:bBeg+bLen])
	pa := unsafe.Pointer(&buf[aBeg])
	po := unsafe.Pointer(&buf[aBeg+aLen])
	i, ie := uintptr(0), uintptr(aLen-1)
	j, je := uintptr(0), uintptr(bLen-1)
	c, ce := uintptr(0), uintptr(aLen+bLen-1)
	for i < ie && j < je {
		x, y := *(*U)(unsafe.Add(pa, i*sz)), *(*U)(unsafe.Add(pb, j*sz))
		u, v := *(*U)(unsafe.Add(pa, ie*sz)), *(*U)(unsafe.Add(pb, je*sz))
		*(*U)(unsafe.Add(po, c*sz)) = min(x, y)
		*(*U)(unsafe.Add(po, ce*sz)) = max(u, v)
		var f, g uintptr
		if x <= y {
			f = 1
		}
		if u > v {
			g = 1
		}
		i += f
		j += 1 - f
		ie -= g
		je -= 1 - g
		c++
		ce--
	}
	for i <= ie && j <= je {
		x, y := *(*U)(unsafe.Add(pa, i*sz)), *(*U)(unsafe.Add(pb, j*sz))
		if x <= y {
			*(*U)(unsafe.Add(po, c*sz)) = x
			i++
		} else {
			*(*U)(unsafe.Add(po, c*sz)) = y
			j++
		}
		c++
	}
	for ; i <= ie; i++ {
		*(*U)(unsafe.Add(po, c*sz)) = *(*U)(unsafe.Add(pa, i*sz))
		c++
	}
	for ; j <= je; j++ {
		*(*U)(unsafe.Add(po, c*sz)) = *(*U)(unsafe.Add(pb, j*sz))
		c++
	}
}

// mergeLevels is kllMergeInPlace(items, aBeg, aLen, bBeg, bLen) (bBeg ≥
// aBeg+2·aLen) for the compactions of Merge: runs that do not interleave are
// one or two copies (sorted input); others are merged from both ends without
// branches on the items (kllMergeTwoEnded), b first copied to scratch space
// since the output overwrites it.
func (s *KLL[T]) mergeLevels(items []T, aBeg, aLen, bBeg, bLen uint32) {
	aEnd, bEnd := aBeg+aLen, bBeg+bLen
	switch {
	case aLen == 0 || bLen == 0:
		kllMergeInPlace(items, aBeg, aLen, bBeg, bLen)
		return
	case !(items[aBeg] < items[bEnd-1]): // b, then a (b first on ties)
		copy(items[aEnd:], items[bBeg:bEnd])
		copy(items[aEnd+bLen:], items[aBeg:aEnd])
		return
	case items[aEnd-1] < items[bBeg]: // a, then b (in place)
		copy(items[aEnd:], items[aBeg:aEnd])
		return
	}
	if int(aLen+bLen) < kllTwoEndedMin {
		kllMergeInPlace(items, aBeg, aLen, bBeg, bLen)
		return
	}
	if cap(s.tmp) < int(bLen) {
		s.tmp = make([]T, max(bLen, 64))
	}
	tmp := s.tmp[:bLen]
	copy(tmp, items[bBeg:bEnd])
	kllMergeTwoEnded(items[aEnd:bEnd], items[aBeg:aEnd], tmp)
}

// kllMergeTwoEnded merges the sorted runs a and b into dst (len(dst) ==
// len(a)+len(b), dst overlapping neither run) exactly as kllMergeInto does:
// ascending, and on ties (−0 == +0 included) the item of b first. It is the
// merge of the Merge path, whose levels are long (hundreds of items) and
// interleave randomly, so that a branch on each comparison would mispredict
// about every other item.
//
// Long merges are split in two at the middle of dst by a binary search (the
// merge path: the number of a's items among the first half of the output), and
// both halves are merged from both ends at once, so four independent
// dependency chains overlap; each end chooses its run by a float comparison
// turned into a 0/1 increment and the item to write by a conditional move on
// its bits, so no branch depends on the items. The order is the stable one:
// the front takes a's head only if it is < b's head, the back takes b's tail
// only if it is > a's tail (on ties a's item is the later one). What the
// branch-free loops leave in the middle of each half is merged plainly.
func kllMergeTwoEnded[T float32 | float64](dst, a, b []T) {
	if len(dst) != len(a)+len(b) {
		panic("kll: kllMergeTwoEnded: length mismatch")
	}
	if len(dst) < kllSplitMin {
		if len(dst) < kllTwoEndedMin {
			kllMergeInto(dst, a, b)
		} else {
			kllMergeHalf(dst, a, b)
		}
		return
	}
	h := len(dst) / 2
	lo, hi := max(0, h-len(b)), min(h, len(a))
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if a[mid] < b[h-mid-1] {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	i0, j0 := lo, h-lo
	if i0 < 2 || j0 < 2 || len(a)-i0 < 2 || len(b)-j0 < 2 {
		kllMergeHalf(dst[:h], a[:i0], b[:j0])
		kllMergeHalf(dst[h:], a[i0:], b[j0:])
		return
	}
	var st [8]int
	switch d := any(dst).(type) {
	case []float64:
		st = kllMergeEnds2[float64, uint64](d, any(a).([]float64), any(b).([]float64), i0, j0)
	case []float32:
		st = kllMergeEnds2[float32, uint32](d, any(a).([]float32), any(b).([]float32), i0, j0)
	}
	// each half as a state of kllMergeEnds (c = i+j, ce = ie+je+1)
	kllMergeHalfFrom(dst, a, b, st[0], st[1], st[2], st[3])
	kllMergeHalfFrom(dst, a, b, st[4], st[5], st[6], st[7])
}

// kllSplitMin is the shortest merge that kllMergeTwoEnded splits in two.
const kllSplitMin = 64

// kllTwoEndedMin is the shortest merge that goes through the branch-free
// loops; shorter ones (the many levels at capacity m) merge plainly. Measured
// (BenchmarkKLLMergeLevels, random signed runs): the branch-free merge takes
// 0.87 of the plain one's time at 24 items, 0.72 at 48, 0.5 from 200 on.
// BenchmarkKLLMerge at k=200 is the exception (≈ +5%): it merges the same 8
// sketches over and over into an accumulator whose top levels rarely
// change, so the predictor learns the plain merge's branches.
const kllTwoEndedMin = 32

// kllMergeHalf is kllMergeInto through the two-ended branch-free loop.
func kllMergeHalf[T float32 | float64](dst, a, b []T) {
	if len(a) < 2 || len(b) < 2 {
		kllMergeInto(dst, a, b)
		return
	}
	i, ie, j, je := 0, len(a)-1, 0, len(b)-1
	switch d := any(dst).(type) {
	case []float64:
		i, ie, j, je = kllMergeEnds[float64, uint64](d, any(a).([]float64), any(b).([]float64), i, ie, j, je)
	case []float32:
		i, ie, j, je = kllMergeEnds[float32, uint32](d, any(a).([]float32), any(b).([]float32), i, ie, j, je)
	}
	kllMergeInto(dst[i+j:ie+je+2], a[i:ie+1], b[j:je+1])
}

// kllMergeHalfFrom finishes a two-ended merge whose state is a[i..ie],
// b[j..je] (absolute indexes, both ranges possibly empty) left to merge into
// dst[i+j..ie+je+1].
func kllMergeHalfFrom[T float32 | float64](dst, a, b []T, i, ie, j, je int) {
	if ie-i >= 1 && je-j >= 1 {
		switch d := any(dst).(type) {
		case []float64:
			i, ie, j, je = kllMergeEnds[float64, uint64](d, any(a).([]float64), any(b).([]float64), i, ie, j, je)
		case []float32:
			i, ie, j, je = kllMergeEnds[float32, uint32](d, any(a).([]float32), any(b).([]float32), i, ie, j, je)
		}
	}
	kllMergeInto(dst[i+j:ie+je+2], a[i:ie+1], b[j:je+1])
}

// kllMergeEnds runs the branch-free two-ended merge of a[i..ie] and b[j..je]
// (absolute indexes, inclusive, each range of two items or more) into
// dst[i+j..ie+je+1] on F items whose bits are U, while both ranges keep two
// items or more, and returns what is left of them. Every index stays inside
// its range (the loop condition), which the compiler cannot prove: the loop
// reads and writes through pointers after checking the ranges once.
func kllMergeEnds[F float32 | float64, U uint32 | uint64](dst, a, b []F, i, ie, j, je int) (int, int, int, int) {
	_, _, _ = a[i], b[j], dst[i+j]
	_, _, _ = a[ie], b[je], dst[ie+je+1]
	sz := unsafe.Sizeof(F(0))
	pa := unsafe.Pointer(unsafe.SliceData(a))
	pb := unsafe.Pointer(unsafe.SliceData(b))
	po := unsafe.Pointer(unsafe.SliceData(dst))
	ui, uie, uj, uje := uintptr(i), uintptr(ie), uintptr(j), uintptr(je)
	for ui < uie && uj < uje {
		qa, qb := unsafe.Add(pa, ui*sz), unsafe.Add(pb, uj*sz)
		ra, rb := unsafe.Add(pa, uie*sz), unsafe.Add(pb, uje*sz)
		var f, g uintptr
		if *(*F)(qa) < *(*F)(qb) {
			f = 1
		}
		if *(*F)(rb) > *(*F)(ra) {
			g = 1
		}
		x, xa := *(*U)(qb), *(*U)(qa)
		y, yb := *(*U)(ra), *(*U)(rb)
		if f != 0 {
			x = xa
		}
		if g != 0 {
			y = yb
		}
		*(*U)(unsafe.Add(po, (ui+uj)*sz)) = x
		*(*U)(unsafe.Add(po, (uie+uje+1)*sz)) = y
		ui += f
		uj += 1 - f
		uie -= 1 - g
		uje -= g
	}
	return int(ui), int(uie), int(uj), int(uje)
}

// kllMergeEnds2 runs kllMergeEnds on the two halves of a merge split at
// (i0, j0) (a[:i0] with b[:j0] and a[i0:] with b[j0:], every part of two
// items or more) in one loop, while all four ranges keep two items or more,
// and returns both states (i, ie, j, je of the first half, then the second).
func kllMergeEnds2[F float32 | float64, U uint32 | uint64](dst, a, b []F, i0, j0 int) (st [8]int) {
	_, _, _ = a[len(a)-1], b[len(b)-1], dst[len(a)+len(b)-1]
	_, _ = a[i0], b[j0]
	sz := unsafe.Sizeof(F(0))
	pa := unsafe.Pointer(unsafe.SliceData(a))
	pb := unsafe.Pointer(unsafe.SliceData(b))
	po := unsafe.Pointer(unsafe.SliceData(dst))
	i1, ie1, j1, je1 := uintptr(0), uintptr(i0-1), uintptr(0), uintptr(j0-1)
	i2, ie2, j2, je2 := uintptr(i0), uintptr(len(a)-1), uintptr(j0), uintptr(len(b)-1)
	for i1 < ie1 && j1 < je1 && i2 < ie2 && j2 < je2 {
		var f1, g1, f2, g2 uintptr
		qa1, qb1 := unsafe.Add(pa, i1*sz), unsafe.Add(pb, j1*sz)
		ra1, rb1 := unsafe.Add(pa, ie1*sz), unsafe.Add(pb, je1*sz)
		qa2, qb2 := unsafe.Add(pa, i2*sz), unsafe.Add(pb, j2*sz)
		ra2, rb2 := unsafe.Add(pa, ie2*sz), unsafe.Add(pb, je2*sz)
		if *(*F)(qa1) < *(*F)(qb1) {
			f1 = 1
		}
		if *(*F)(rb1) > *(*F)(ra1) {
			g1 = 1
		}
		if *(*F)(qa2) < *(*F)(qb2) {
			f2 = 1
		}
		if *(*F)(rb2) > *(*F)(ra2) {
			g2 = 1
		}
		x1, xa1 := *(*U)(qb1), *(*U)(qa1)
		y1, yb1 := *(*U)(ra1), *(*U)(rb1)
		x2, xa2 := *(*U)(qb2), *(*U)(qa2)
		y2, yb2 := *(*U)(ra2), *(*U)(rb2)
		if f1 != 0 {
			x1 = xa1
		}
		if g1 != 0 {
			y1 = yb1
		}
		if f2 != 0 {
			x2 = xa2
		}
		if g2 != 0 {
			y2 = yb2
		}
		*(*U)(unsafe.Add(po, (i1+j1)*sz)) = x1
		*(*U)(unsafe.Add(po, (ie1+je1+1)*sz)) = y1
		*(*U)(unsafe.Add(po, (i2+j2)*sz)) = x2
		*(*U)(unsafe.Add(po, (ie2+je2+1)*sz)) = y2
		i1 += f1
		j1 += 1 - f1
		ie1 -= 1 - g1
		je1 -= g1
		i2 += f2
		j2 += 1 - f2
		ie2 -= 1 - g2
		je2 -= g2
	}
	return [8]int{int(i1), int(ie1), int(j1), int(je1), int(i2), int(ie2), int(j2), int(je2)}
}
