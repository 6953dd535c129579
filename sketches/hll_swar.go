package sketches

import "encoding/binary"

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
