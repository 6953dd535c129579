package sketches

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func kllRandomDoubles(k, n int, seed uint64) *KLLDoubles {
	s, _ := NewKLLDoubles(k)
	s.SetBitSource(NewSeededBits(seed))
	r := rand.New(rand.NewPCG(seed, 77))
	for range n {
		s.Update(r.NormFloat64())
	}
	return s
}

// TestKLLWhylogsLayout checks the whylogs fork image field by field against
// ref-whylogs-format §2.5.2 and against the Apache image of the same sketch.
func TestKLLWhylogsLayout(t *testing.T) {
	for _, n := range []int{2, 3, 1000, 5000, 100000} {
		s := kllRandomDoubles(1024, n, uint64(n))
		why, err := s.AppendWhylogsBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		apache, _ := s.MarshalBinary()
		L := s.NumLevels()
		r := s.NumRetained()
		if len(why) != 24+4*L+(r+2)*8 || len(why) != len(apache)+4 {
			t.Fatalf("n=%d: whylogs image %d bytes, apache %d, levels %d, retained %d", n, len(why), len(apache), L, r)
		}
		if why[0] != 6 || why[1] != 1 || why[2] != 15 || why[3] != 0 {
			t.Errorf("n=%d: preamble % x, want 06 01 0f 00", n, why[:4])
		}
		if binary.LittleEndian.Uint16(why[4:]) != 1024 || why[6] != 8 || why[7] != 0 {
			t.Errorf("n=%d: k/m bytes % x", n, why[4:8])
		}
		if binary.LittleEndian.Uint64(why[8:]) != uint64(n) || binary.LittleEndian.Uint16(why[16:]) != 1024 || int(why[18]) != L {
			t.Errorf("n=%d: n/minK/numLevels fields wrong", n)
		}
		if !bytes.Equal(why[19:24], []byte{0, 0, 0, 0, 0}) {
			t.Errorf("n=%d: bytes 19..23 = % x, want zero", n, why[19:24])
		}
		// levels (without the last), as absolute offsets: level 0 starts at capacity − retained.
		cap := kllTotalCapacity(1024, 8, L)
		if got := binary.LittleEndian.Uint32(why[24:]); int(got) != cap-r {
			t.Errorf("n=%d: levels[0] = %d, want capacity %d − retained %d", n, got, cap, r)
		}
		if !bytes.Equal(why[24:24+4*L], apache[20:20+4*L]) {
			t.Errorf("n=%d: levels differ from the apache image", n)
		}
		off := 24 + 4*L
		if math.Float64frombits(binary.LittleEndian.Uint64(why[off:])) != s.Min() || math.Float64frombits(binary.LittleEndian.Uint64(why[off+8:])) != s.Max() {
			t.Errorf("n=%d: min/max fields wrong", n)
		}
		if !bytes.Equal(why[off:], apache[20+4*L:]) {
			t.Errorf("n=%d: items differ from the apache image", n)
		}
		var d KLLDoubles
		if err := d.UnmarshalBinary(why); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		back, _ := d.MarshalBinary()
		if !bytes.Equal(back, apache) {
			t.Errorf("n=%d: whylogs → read → apache differs", n)
		}
		why2, _ := d.AppendWhylogsBinary([]byte("prefix"))
		if string(why2[:6]) != "prefix" || !bytes.Equal(why2[6:], why) {
			t.Errorf("n=%d: append with prefix / rewrite differs", n)
		}
	}
	// empty and single-item forms are the Apache ones
	e, _ := NewKLLDoubles(1024)
	why, _ := e.AppendWhylogsBinary(nil)
	if !bytes.Equal(why, []byte{0x02, 0x01, 0x0f, 0x01, 0x00, 0x04, 0x08, 0x00}) {
		t.Errorf("empty whylogs image % x", why)
	}
	e.Update(2.5)
	why, _ = e.AppendWhylogsBinary(nil)
	want := append([]byte{0x02, 0x02, 0x0f, 0x04, 0x00, 0x04, 0x08, 0x00}, 0, 0, 0, 0, 0, 0, 0x04, 0x40)
	if !bytes.Equal(why, want) {
		t.Errorf("single-item whylogs image % x, want % x", why, want)
	}
	var d KLLDoubles
	if err := d.UnmarshalBinary(why); err != nil || d.N() != 1 || d.Min() != 2.5 {
		t.Errorf("single-item read back: %v n=%d", err, d.N())
	}
	// floats have no preamble-6 form: a float image with preamble 6 is corrupt
	f, _ := NewKLLFloats(200)
	f.Update(1)
	f.Update(2)
	fb, _ := f.MarshalBinary()
	fb = append(fb[:20:20], append([]byte{0, 0, 0, 0}, fb[20:]...)...)
	fb[0] = 6
	if err := (&KLLFloats{}).UnmarshalBinary(fb); !errors.Is(err, ErrCorrupt) {
		t.Errorf("float preamble 6: %v", err)
	}
}

func TestKLLRoundTripForms(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 199, 200, 201, 5000, 300000} {
		s := kllRandomDoubles(200, n, uint64(n)+1)
		b, _ := s.MarshalBinary()
		var d KLLDoubles
		if err := d.UnmarshalBinary(b); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		kllCheckInvariants(t, &d)
		b2, _ := d.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Errorf("n=%d: round trip differs", n)
		}
		wantLen := 8
		switch {
		case n == 1:
			wantLen = 16
		case n > 1:
			wantLen = 20 + 4*s.NumLevels() + (s.NumRetained()+2)*8
		}
		if len(b) != wantLen {
			t.Errorf("n=%d: %d bytes, want %d", n, len(b), wantLen)
		}
		// decoded sketches keep working: update and merge
		for i := range 1000 {
			d.Update(float64(i))
		}
		if err := d.Merge(s); err != nil {
			t.Fatal(err)
		}
		kllCheckInvariants(t, &d)
		if d.N() != 2*uint64(n)+1000 {
			t.Errorf("n=%d: after update+merge n=%d", n, d.N())
		}
		pre, _ := s.AppendBinary([]byte{1, 2, 3})
		if !bytes.Equal(pre[:3], []byte{1, 2, 3}) || !bytes.Equal(pre[3:], b) {
			t.Errorf("n=%d: AppendBinary with prefix wrong", n)
		}
	}
}

// kllUpdatableImage writes Java's updatable layout (serial version 3) per the
// reference: 20-byte preamble, all numLevels+1 boundaries, min, max, and the
// whole capacity-sized buffer.
func kllUpdatableImage(s *KLLDoubles) []byte {
	b := []byte{5, 3, 15, 0, byte(s.k), byte(s.k >> 8), byte(s.m), 0}
	b = binary.LittleEndian.AppendUint64(b, s.n)
	b = binary.LittleEndian.AppendUint16(b, uint16(s.minK))
	b = append(b, byte(s.numLevels), 0)
	for h := 0; h <= s.numLevels; h++ {
		b = binary.LittleEndian.AppendUint32(b, s.levels[h]+s.base)
	}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.minV))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.maxV))
	for range s.base {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(math.NaN())) // free space: garbage
	}
	for _, v := range s.items {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func TestKLLUpdatableForm(t *testing.T) {
	for _, n := range []int{0, 1, 50, 20000} {
		s := kllRandomDoubles(200, n, 5)
		img := kllUpdatableImage(s)
		var d KLLDoubles
		if err := d.UnmarshalBinary(img); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		a, _ := s.MarshalBinary()
		b, _ := d.MarshalBinary()
		if !bytes.Equal(a, b) {
			t.Errorf("n=%d: updatable image decodes to a different sketch", n)
		}
		// wrong last boundary
		bad := bytes.Clone(img)
		binary.LittleEndian.PutUint32(bad[20+4*s.numLevels:], uint32(s.capacity()+1))
		if err := d.UnmarshalBinary(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("n=%d: bad capacity accepted: %v", n, err)
		}
	}
}

// TestKLLDecodeErrors corrupts valid images in specific ways; each must fail
// with ErrCorrupt naming an offset and leave the receiver unchanged.
func TestKLLDecodeErrors(t *testing.T) {
	full := kllRandomDoubles(200, 5000, 11)
	fb, _ := full.MarshalBinary()
	L := full.NumLevels()
	lv := func(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[20+4*i:]) }
	item := 20 + 4*L + 16 // first retained item
	one, _ := kllRandomDoubles(200, 1, 3).MarshalBinary()
	empty, _ := kllRandomDoubles(200, 0, 3).MarshalBinary()
	small, _ := kllRandomDoubles(200, 10, 3).MarshalBinary() // exact mode, level 0 only
	mod := func(src []byte, f func(b []byte)) []byte {
		b := bytes.Clone(src)
		f(b)
		return b
	}
	putF := func(b []byte, off int, v float64) { binary.LittleEndian.PutUint64(b[off:], math.Float64bits(v)) }
	cases := map[string][]byte{
		"nil":                 nil,
		"7 bytes":             empty[:7],
		"family":              mod(fb, func(b []byte) { b[2] = 7 }),
		"m odd":               mod(fb, func(b []byte) { b[6] = 7 }),
		"m zero":              mod(fb, func(b []byte) { b[6] = 0 }),
		"m 10":                mod(fb, func(b []byte) { b[6] = 10 }),
		"k < m":               mod(fb, func(b []byte) { b[4], b[5] = 4, 0 }),
		"preamble 3":          mod(fb, func(b []byte) { b[0] = 3 }),
		"preamble 6 short":    mod(fb, func(b []byte) { b[0] = 6 }),
		"serVer 4":            mod(fb, func(b []byte) { b[1] = 4 }),
		"serVer 2 full":       mod(fb, func(b []byte) { b[1] = 2 }),
		"full with empty bit": mod(fb, func(b []byte) { b[3] |= 1 }),
		"full single bit":     mod(fb, func(b []byte) { b[3] |= 4 }),
		"empty+single":        mod(empty, func(b []byte) { b[3] = 5 }),
		"empty trailing":      append(bytes.Clone(empty), 0),
		"empty serVer 3":      mod(empty, func(b []byte) { b[1] = 3 }),
		"short no flags":      mod(empty, func(b []byte) { b[3] = 0 }),
		"single truncated":    one[:15],
		"single trailing":     append(bytes.Clone(one), 0),
		"single NaN":          mod(one, func(b []byte) { putF(b, 8, math.NaN()) }),
		"trailing byte":       append(bytes.Clone(fb), 0),
		"truncated":           fb[:len(fb)-1],
		"header only":         fb[:20],
		"n wrong":             mod(fb, func(b []byte) { binary.LittleEndian.PutUint64(b[8:], 5001) }),
		"n zero":              mod(fb, func(b []byte) { binary.LittleEndian.PutUint64(b[8:], 0) }),
		"numLevels 0":         mod(fb, func(b []byte) { b[18] = 0 }),
		"numLevels 255":       mod(fb, func(b []byte) { b[18] = 255 }),
		"minK 0":              mod(fb, func(b []byte) { b[16], b[17] = 0, 0 }),
		"minK > k":            mod(fb, func(b []byte) { b[16], b[17] = 201, 0 }),
		"levels decreasing":   mod(fb, func(b []byte) { binary.LittleEndian.PutUint32(b[24:], lv(fb, 0)-1) }),
		"level 0 > capacity":  mod(small, func(b []byte) { binary.LittleEndian.PutUint32(b[20:], 201) }),
		"weight overflow":     mod(fb, func(b []byte) { b[18] = 70 }),
		"NaN item":            mod(fb, func(b []byte) { putF(b, item, math.NaN()) }),
		"NaN min":             mod(fb, func(b []byte) { putF(b, 20+4*L, math.NaN()) }),
		"min > max":           mod(fb, func(b []byte) { putF(b, 20+4*L, 1e300) }),
		"item above max":      mod(fb, func(b []byte) { putF(b, len(b)-8, 1e300) }),
		"unsorted level":      mod(fb, func(b []byte) { putF(b, len(b)-16, full.Max()) }),
		"sorted flag lies":    mod(small, func(b []byte) { b[3] |= 2; putF(b, 20+4+16, 1e-300); putF(b, 20+4+24, -1e-300) }),
	}
	for name, img := range cases {
		for _, recv := range []*KLLDoubles{kllRandomDoubles(200, 777, 1), {}} {
			before, _ := recv.MarshalBinary()
			beforeN := recv.N()
			err := recv.UnmarshalBinary(img)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
				continue
			}
			if !strings.Contains(err.Error(), "offset") {
				t.Errorf("%s: error %q does not name an offset", name, err)
			}
			after, _ := recv.MarshalBinary()
			if !bytes.Equal(before, after) || recv.N() != beforeN {
				t.Errorf("%s: receiver changed on error", name)
			}
		}
	}
	// every prefix of valid images fails
	for _, img := range [][]byte{fb, small, one} {
		for i := range len(img) {
			if err := (&KLLDoubles{}).UnmarshalBinary(img[:i]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("prefix %d/%d: %v", i, len(img), err)
			}
		}
	}
	// a doubles image read as floats fails (no type tag; the size check catches it)
	for _, img := range [][]byte{fb, small, one} {
		if err := (&KLLFloats{}).UnmarshalBinary(img); !errors.Is(err, ErrCorrupt) {
			t.Errorf("doubles image read as floats: %v", err)
		}
	}
	// tolerated variants: Java m=2..8 and unknown flag bits (old Java bit3/bit4)
	ok := map[string][]byte{
		"flag bit3":            mod(fb, func(b []byte) { b[3] |= 8 }),
		"serVer 1 single flag": mod(one, func(b []byte) { b[1] = 1 }),
	}
	for name, img := range ok {
		var d KLLDoubles
		if err := d.UnmarshalBinary(img); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestKLLDecodeAllocation checks that decoding allocates in proportion to the
// input, not to k: a two-item image with k=65535 must not allocate the
// 65535-slot buffer.
func TestKLLDecodeAllocation(t *testing.T) {
	s, _ := NewKLLDoubles(65535)
	s.Update(1)
	s.Update(2)
	img, _ := s.MarshalBinary()
	allocs := testing.AllocsPerRun(20, func() {
		var d KLLDoubles
		_ = d.UnmarshalBinary(img)
	})
	if allocs > 4 {
		t.Errorf("%v allocations", allocs)
	}
	var d KLLDoubles
	_ = d.UnmarshalBinary(img)
	if cap(d.items) > 16 {
		t.Errorf("decoded a %d-byte image into a %d-item buffer", len(img), cap(d.items))
	}
	kllCheckInvariants(t, &d)
}

// Both KLL instantiations implement the standard binary encoding interfaces.
var (
	_ encoding.BinaryMarshaler   = (*KLLDoubles)(nil)
	_ encoding.BinaryAppender    = (*KLLDoubles)(nil)
	_ encoding.BinaryUnmarshaler = (*KLLDoubles)(nil)
	_ encoding.BinaryMarshaler   = (*KLLFloats)(nil)
	_ encoding.BinaryAppender    = (*KLLFloats)(nil)
	_ encoding.BinaryUnmarshaler = (*KLLFloats)(nil)
)

// kllOnePerLevel returns the image of a k=8 doubles sketch holding one item
// (h) in each of the levels 0..L-1, so n = 2^L − 1.
func kllOnePerLevel(L int) []byte {
	capacity := kllTotalCapacity(8, 8, L)
	b := []byte{5, 1, 15, 0, 8, 0, 8, 0}
	b = binary.LittleEndian.AppendUint64(b, uint64(1)<<L-1)
	b = binary.LittleEndian.AppendUint16(b, 8)
	b = append(b, byte(L), 0)
	for h := range L {
		b = binary.LittleEndian.AppendUint32(b, uint32(capacity-L+h))
	}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(0))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(L)))
	for h := range L {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(h)))
	}
	return b
}

// TestKLLCountLimit: n never wraps around. An image claiming n ≥ 2^63 is
// corrupt (Java cannot represent it); an image with n = 2^63−1 decodes, and
// merging anything non-empty into it (or it into anything) fails with
// ErrInvalidArgument and leaves the receiver unchanged.
func TestKLLCountLimit(t *testing.T) {
	var s KLLDoubles
	if err := s.UnmarshalBinary(kllOnePerLevel(64)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "offset 8") {
		t.Fatalf("n = 2^64-1: %v, want ErrCorrupt at offset 8", err)
	}
	if err := s.UnmarshalBinary(kllOnePerLevel(63)); err != nil {
		t.Fatalf("n = 2^63-1: %v", err)
	}
	if s.N() != math.MaxInt64 {
		t.Fatalf("n = %d", s.N())
	}
	kllCheckInvariants(t, &s)
	small := kllRandomDoubles(200, 1000, 1)
	for _, c := range []struct {
		name     string
		dst, src *KLLDoubles
	}{{"small ← max", small, &s}, {"max ← small", &s, small}} {
		before, _ := c.dst.MarshalBinary()
		if err := c.dst.Merge(c.src); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", c.name, err)
		}
		if after, _ := c.dst.MarshalBinary(); !bytes.Equal(before, after) {
			t.Errorf("%s: failed merge changed the receiver", c.name)
		}
	}
	// 2^62 + … fits: merging two halves of the limit is fine.
	var h KLLDoubles
	if err := h.UnmarshalBinary(kllOnePerLevel(62)); err != nil {
		t.Fatal(err)
	}
	if err := h.Merge(h.Clone()); err != nil || h.N() != 1<<63-2 {
		t.Fatalf("merge up to the limit: %v, n = %d", err, h.N())
	}
}
