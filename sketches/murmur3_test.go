package sketches

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestMurmur3Vectors(t *testing.T) {
	le := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	cases := []struct {
		name   string
		in     []byte
		seed   uint64
		h1, h2 uint64
	}{
		{"int64 0", le(0), 9001, 0x40890191dcc2d7cb, 0x9a7acdbe1b80efb2},
		{"double 1.0", le(math.Float64bits(1.0)), 9001, 0xf947af95cb9da50b, 0x3cfb2d832adda216},
		{"int64 -1", le(^uint64(0)), 9001, 0x1cf79f8c1be764d9, 0x64879b0f1ffb7e86},
		{"abc", []byte("abc"), 9001, 0xcb57126dd8878d21, 0xef474cf597ded0ee},
		{"17 bytes", []byte("0123456789abcdefg"), 9001, 0x354f612a9fd473ab, 0xdad03dae4ff11d6d},
		{"empty", nil, 9001, 0x1e70a32266491bb9, 0x609736b252406b94},
		{"fox seed 0", []byte("The quick brown fox jumps over the lazy dog"), 0, 0xe34bbc7bbc071b6c, 0x7a433ca9c49a9347},
	}
	for _, c := range cases {
		h1, h2 := Murmur3Sum128(c.in, c.seed)
		if h1 != c.h1 || h2 != c.h2 {
			t.Errorf("%s: got (%#x, %#x), want (%#x, %#x)", c.name, h1, h2, c.h1, c.h2)
		}
	}
}

func TestHashHelpersMatchBytes(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64} {
		a1, a2 := HashInt64(v, DefaultSeed)
		b1, b2 := Murmur3Sum128(binary.LittleEndian.AppendUint64(nil, uint64(v)), DefaultSeed)
		if a1 != b1 || a2 != b2 {
			t.Errorf("HashInt64(%d) differs from byte hash", v)
		}
	}
	z1, z2 := HashFloat64(0, DefaultSeed)
	n1, n2 := HashFloat64(math.Copysign(0, -1), DefaultSeed)
	if z1 != n1 || z2 != n2 {
		t.Error("-0.0 must hash like +0.0")
	}
	i1, _ := HashInt64(0, DefaultSeed)
	if z1 != i1 {
		t.Error("+0.0 must hash like int64 0 (both are 8 zero bytes)")
	}
	nan1, _ := HashFloat64(math.NaN(), DefaultSeed)
	other1, _ := HashFloat64(math.Float64frombits(0x7ff8000000000001), DefaultSeed)
	if nan1 != other1 {
		t.Error("all NaNs must hash to the canonical NaN")
	}
	s1, s2 := HashString("abc", DefaultSeed)
	if s1 != 0xcb57126dd8878d21 || s2 != 0xef474cf597ded0ee {
		t.Error("HashString(abc) wrong")
	}
}

func BenchmarkMurmur3Uint64(b *testing.B) {
	var s uint64
	for i := 0; b.Loop(); i++ {
		h, _ := HashInt64(int64(i), DefaultSeed)
		s += h
	}
	_ = s
}
