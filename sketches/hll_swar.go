package sketches

import (
	"encoding/binary"
	"math/bits"
)

// hll4MaxInto8 sets every register of the HLL_8 array dst (len
// 2·len(src), a multiple of 8) to the max of itself and the register of the
// HLL_4 nibbles src with offset cm ≤ 63 in the same slot, as
// HLL.mergeRegisters does for a source of the same lgK: a nibble holding the
// aux token contributes nothing (its exception is merged separately). It
// works on eight registers at once (four source bytes, eight bytes of dst)
// within a uint64: no carry or borrow crosses a byte, since the source
// values are below 128 (nibble ≤ 15, plus cm ≤ 63).
func hll4MaxInto8(dst, src []byte, cm uint8) {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	add := uint64(cm) * ones
	for len(src) >= 4 && len(dst) >= 8 {
		// spread the four bytes to the low byte of 16-bit lanes, then
		// each byte's nibbles to its lane's two bytes (low nibble first)
		t := uint64(binary.LittleEndian.Uint32(src))
		t = (t | t<<16) & 0x0000FFFF0000FFFF
		t = (t | t<<8) & 0x00FF00FF00FF00FF
		n := t&0x000F000F000F000F | (t>>4&0x000F000F000F000F)<<8
		// nibbles equal to the aux token (15): n+1 has bit 4 set
		aux := ((n + ones) & (ones << 4)) >> 4 * 0xFF
		v := (n + add) &^ aux
		d := binary.LittleEndian.Uint64(dst)
		// per byte d ≥ v: the low 7 bits of d compared with v (< 128),
		// or the high bit of d
		ge := (((d | high) - v) | d) & high
		keep := ge >> 7 * 0xFF
		binary.LittleEndian.PutUint64(dst, d&keep|v&^keep)
		src, dst = src[4:], dst[8:]
	}
}

// hll4Spread writes the absolute values of the HLL_4 nibbles src with
// offset cm to dst (len 2·len(src), a multiple of 8): n+cm for every nibble,
// the aux token included (absRegs then overwrites those slots with their
// exceptions), as uint8 arithmetic gives them. Eight registers at a time:
// the nibbles spread to bytes are ≤ 15, so adding cm·0x01…01 carries into
// the next byte only where n+cm ≥ 256, which the byte-wise add below avoids
// by adding the low 7 bits and the high bit separately.
func hll4Spread(dst, src []byte, cm uint8) {
	const (
		low7 = 0x7F7F7F7F7F7F7F7F
		high = 0x8080808080808080
	)
	add := uint64(cm) * 0x0101010101010101
	for len(src) >= 4 && len(dst) >= 8 {
		t := uint64(binary.LittleEndian.Uint32(src))
		t = (t | t<<16) & 0x0000FFFF0000FFFF
		t = (t | t<<8) & 0x00FF00FF00FF00FF
		n := t&0x000F000F000F000F | (t>>4&0x000F000F000F000F)<<8
		// byte-wise n + add mod 256 (no carry leaves a byte)
		v := (n&low7 + add&low7) ^ ((n ^ add) & high)
		binary.LittleEndian.PutUint64(dst, v)
		src, dst = src[4:], dst[8:]
	}
}

// hllCountZeroBytes returns the number of zero bytes of b, eight at a time.
func hllCountZeroBytes(b []byte) int {
	const (
		low7 = 0x7F7F7F7F7F7F7F7F
		high = 0x8080808080808080
	)
	n := 0
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		// bit 7 of a byte of (w&low7 + low7) | w is set iff the byte is not 0
		n += bits.OnesCount64(^((w&low7 + low7) | w) & high)
		b = b[8:]
	}
	for _, v := range b {
		if v == 0 {
			n++
		}
	}
	return n
}

// hll4PackNibbles packs the eight register values vals (len 8) into the four
// HLL_4 bytes dst (register 2i in the low nibble of byte i) and reports true,
// unless some value is ≥ 15 (an exception, or the aux token), when it
// writes nothing and reports false.
func hll4PackNibbles(dst, vals []byte) bool {
	const (
		low7 = 0x7F7F7F7F7F7F7F7F
		high = 0x8080808080808080
	)
	w := binary.LittleEndian.Uint64(vals)
	// bit 7 of a byte of (w&low7 + 113) | w is set iff the byte is ≥ 15
	if ((w&low7+0x7171717171717171)|w)&high != 0 {
		return false
	}
	// every byte ≤ 14: join each pair of bytes into the low byte of its
	// 16-bit lane, then the lanes' low bytes into four bytes
	t := (w | w>>4) & 0x00FF00FF00FF00FF
	t = (t | t>>8) & 0x0000FFFF0000FFFF
	t = (t | t>>16) & 0xFFFFFFFF
	binary.LittleEndian.PutUint32(dst, uint32(t))
	return true
}
