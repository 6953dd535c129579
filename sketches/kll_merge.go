package sketches

import "unsafe"

// mergeUp is kllMergeInPlace(items, aBeg, aLen, bBeg, bLen) (bBeg ==
// aBeg+2·aLen), through kllMergePositive64 when it applies.
func (s *KLL[T]) mergeUp(items []T, aBeg, aLen, bBeg, bLen uint32) {
	if v, ok := any(items).([]float64); ok && aLen >= 2 && bLen >= 2 && int(bLen) <= cap(s.radix) &&
		v[aBeg] > 0 && v[bBeg] > 0 {
		kllMergePositive64(v, s.radix[:bLen], aBeg, aLen, bBeg, bLen)
		return
	}
	kllMergeInPlace(items, aBeg, aLen, bBeg, bLen)
}

// kllMergePositive64 is kllMergeInPlace for float64 runs of two items or more
// whose first (smallest) items are > 0, so that every item is: the bits of
// positive floats order as the floats do, and equal bits are equal items, so
// the merge runs on the bits as unsigned integers, where min and max are
// conditional moves. b moves to tmp (len(tmp) == bLen) first; then the merge
// writes from both ends of the output at once, the front taking the smaller
// head and the back the larger tail, each advancing its run by the
// comparison, so the two dependency chains overlap and no branch depends on
// the items. Once a run is down to its last item, the rest is merged plainly.
//
// The loop reads and writes through pointers: its condition keeps every index
// inside its run (both runs keep two items or more, so the front and back
// indexes of a run never cross), which the compiler cannot prove.
func kllMergePositive64(buf []float64, tmp []uint64, aBeg, aLen, bBeg, bLen uint32) {
	_ = buf[aBeg : bBeg+bLen]
	_ = tmp[:bLen]
	pb := unsafe.Pointer(unsafe.SliceData(tmp))
	copy(tmp, unsafe.Slice((*uint64)(unsafe.Pointer(&buf[bBeg])), bLen))
	pa := unsafe.Pointer(&buf[aBeg])
	po := unsafe.Pointer(&buf[aBeg+aLen])
	i, ie := uint(0), uint(aLen-1)
	j, je := uint(0), uint(bLen-1)
	c, ce := uint(0), uint(aLen+bLen-1)
	for i < ie && j < je {
		x, y := *(*uint64)(unsafe.Add(pa, i*8)), *(*uint64)(unsafe.Add(pb, j*8))
		u, v := *(*uint64)(unsafe.Add(pa, ie*8)), *(*uint64)(unsafe.Add(pb, je*8))
		*(*uint64)(unsafe.Add(po, c*8)) = min(x, y)
		*(*uint64)(unsafe.Add(po, ce*8)) = max(u, v)
		var f, g uint
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
		x, y := *(*uint64)(unsafe.Add(pa, i*8)), *(*uint64)(unsafe.Add(pb, j*8))
		if x <= y {
			*(*uint64)(unsafe.Add(po, c*8)) = x
			i++
		} else {
			*(*uint64)(unsafe.Add(po, c*8)) = y
			j++
		}
		c++
	}
	for ; i <= ie; i++ {
		*(*uint64)(unsafe.Add(po, c*8)) = *(*uint64)(unsafe.Add(pa, i*8))
		c++
	}
	for ; j <= je; j++ {
		*(*uint64)(unsafe.Add(po, c*8)) = *(*uint64)(unsafe.Add(pb, j*8))
		c++
	}
}
