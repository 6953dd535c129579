package sketches

// The comparator lists below are Batcher's odd-even merge sort networks for 8
// and 16 inputs, written out unrolled so the keys stay in registers and every
// comparator compiles to a compare and two conditional moves.
// TestKLLSortNetworks proves them by the 0-1 principle.

// kllNet8 sorts 8 keys with the 19-comparator Batcher network;
// every comparator is a branch-free min/max pair.
func kllNet8(p *[8]uint64) {
	x0, x1, x2, x3, x4, x5, x6, x7 := p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
	x0, x1 = min(x0, x1), max(x0, x1)
	x2, x3 = min(x2, x3), max(x2, x3)
	x0, x2 = min(x0, x2), max(x0, x2)
	x1, x3 = min(x1, x3), max(x1, x3)
	x1, x2 = min(x1, x2), max(x1, x2)
	x4, x5 = min(x4, x5), max(x4, x5)
	x6, x7 = min(x6, x7), max(x6, x7)
	x4, x6 = min(x4, x6), max(x4, x6)
	x5, x7 = min(x5, x7), max(x5, x7)
	x5, x6 = min(x5, x6), max(x5, x6)
	x0, x4 = min(x0, x4), max(x0, x4)
	x2, x6 = min(x2, x6), max(x2, x6)
	x2, x4 = min(x2, x4), max(x2, x4)
	x1, x5 = min(x1, x5), max(x1, x5)
	x3, x7 = min(x3, x7), max(x3, x7)
	x3, x5 = min(x3, x5), max(x3, x5)
	x1, x2 = min(x1, x2), max(x1, x2)
	x3, x4 = min(x3, x4), max(x3, x4)
	x5, x6 = min(x5, x6), max(x5, x6)
	p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7] = x0, x1, x2, x3, x4, x5, x6, x7
}

// kllNet16 sorts 16 keys with the 63-comparator Batcher network;
// every comparator is a branch-free min/max pair.
func kllNet16(p *[16]uint64) {
	x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15 := p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]
	x0, x1 = min(x0, x1), max(x0, x1)
	x2, x3 = min(x2, x3), max(x2, x3)
	x0, x2 = min(x0, x2), max(x0, x2)
	x1, x3 = min(x1, x3), max(x1, x3)
	x1, x2 = min(x1, x2), max(x1, x2)
	x4, x5 = min(x4, x5), max(x4, x5)
	x6, x7 = min(x6, x7), max(x6, x7)
	x4, x6 = min(x4, x6), max(x4, x6)
	x5, x7 = min(x5, x7), max(x5, x7)
	x5, x6 = min(x5, x6), max(x5, x6)
	x0, x4 = min(x0, x4), max(x0, x4)
	x2, x6 = min(x2, x6), max(x2, x6)
	x2, x4 = min(x2, x4), max(x2, x4)
	x1, x5 = min(x1, x5), max(x1, x5)
	x3, x7 = min(x3, x7), max(x3, x7)
	x3, x5 = min(x3, x5), max(x3, x5)
	x1, x2 = min(x1, x2), max(x1, x2)
	x3, x4 = min(x3, x4), max(x3, x4)
	x5, x6 = min(x5, x6), max(x5, x6)
	x8, x9 = min(x8, x9), max(x8, x9)
	x10, x11 = min(x10, x11), max(x10, x11)
	x8, x10 = min(x8, x10), max(x8, x10)
	x9, x11 = min(x9, x11), max(x9, x11)
	x9, x10 = min(x9, x10), max(x9, x10)
	x12, x13 = min(x12, x13), max(x12, x13)
	x14, x15 = min(x14, x15), max(x14, x15)
	x12, x14 = min(x12, x14), max(x12, x14)
	x13, x15 = min(x13, x15), max(x13, x15)
	x13, x14 = min(x13, x14), max(x13, x14)
	x8, x12 = min(x8, x12), max(x8, x12)
	x10, x14 = min(x10, x14), max(x10, x14)
	x10, x12 = min(x10, x12), max(x10, x12)
	x9, x13 = min(x9, x13), max(x9, x13)
	x11, x15 = min(x11, x15), max(x11, x15)
	x11, x13 = min(x11, x13), max(x11, x13)
	x9, x10 = min(x9, x10), max(x9, x10)
	x11, x12 = min(x11, x12), max(x11, x12)
	x13, x14 = min(x13, x14), max(x13, x14)
	x0, x8 = min(x0, x8), max(x0, x8)
	x4, x12 = min(x4, x12), max(x4, x12)
	x4, x8 = min(x4, x8), max(x4, x8)
	x2, x10 = min(x2, x10), max(x2, x10)
	x6, x14 = min(x6, x14), max(x6, x14)
	x6, x10 = min(x6, x10), max(x6, x10)
	x2, x4 = min(x2, x4), max(x2, x4)
	x6, x8 = min(x6, x8), max(x6, x8)
	x10, x12 = min(x10, x12), max(x10, x12)
	x1, x9 = min(x1, x9), max(x1, x9)
	x5, x13 = min(x5, x13), max(x5, x13)
	x5, x9 = min(x5, x9), max(x5, x9)
	x3, x11 = min(x3, x11), max(x3, x11)
	x7, x15 = min(x7, x15), max(x7, x15)
	x7, x11 = min(x7, x11), max(x7, x11)
	x3, x5 = min(x3, x5), max(x3, x5)
	x7, x9 = min(x7, x9), max(x7, x9)
	x11, x13 = min(x11, x13), max(x11, x13)
	x1, x2 = min(x1, x2), max(x1, x2)
	x3, x4 = min(x3, x4), max(x3, x4)
	x5, x6 = min(x5, x6), max(x5, x6)
	x7, x8 = min(x7, x8), max(x7, x8)
	x9, x10 = min(x9, x10), max(x9, x10)
	x11, x12 = min(x11, x12), max(x11, x12)
	x13, x14 = min(x13, x14), max(x13, x14)
	p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15] = x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15
}
