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
