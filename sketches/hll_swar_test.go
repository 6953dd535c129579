package sketches

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// hll4MaxInto8Ref is hll4MaxInto8 one register at a time (mergeHLL4Folded's
// loop without folding).
func hll4MaxInto8Ref(dst, src []byte, cm uint8) {
	for i, b := range src {
		if lo := b & 15; lo != hllAuxToken && lo+cm > dst[2*i] {
			dst[2*i] = lo + cm
		}
		if hi := b >> 4; hi != hllAuxToken && hi+cm > dst[2*i+1] {
			dst[2*i+1] = hi + cm
		}
	}
}

// TestHLL4MaxInto8 compares the eight-at-a-time register merge with the
// plain loop on random nibbles (aux tokens included) and registers (from 0
// to 255, beyond any valid register, and equal values), for every curMin
// it accepts.
func TestHLL4MaxInto8(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 3000 {
		n := 8 << r.IntN(8)
		src := make([]byte, n/2)
		dst := make([]byte, n)
		cm := uint8(r.IntN(64))
		if trial%5 == 0 {
			cm = []uint8{0, 1, 62, 63}[r.IntN(4)]
		}
		top := []int{16, 64, 128, 256}[r.IntN(4)]
		for i := range src {
			src[i] = byte(r.IntN(256))
		}
		for i := range dst {
			switch r.IntN(3) {
			case 0: // equal to the source register (when it is not the token)
				if nib := src[i/2] >> (4 * (i & 1)) & 15; nib != hllAuxToken {
					dst[i] = nib + cm
					continue
				}
			}
			dst[i] = byte(r.IntN(top))
		}
		want := bytes.Clone(dst)
		hll4MaxInto8Ref(want, src, cm)
		hll4MaxInto8(dst, src, cm)
		if !bytes.Equal(dst, want) {
			t.Fatalf("trial %d (n %d, cm %d): registers differ", trial, n, cm)
		}
	}
}

// TestHLLUnionMergeHLL4SameLgK: a union merging HLL_4 sketches of its own
// lgK (the eight-at-a-time path; exceptions and a raised curMin included)
// holds the registers of a union fed the same sketches converted to HLL_8
// (the byte path).
func TestHLLUnionMergeHLL4SameLgK(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 60 {
		lgK := 4 + r.IntN(9)
		u, _ := NewHLLUnion(lgK)
		ref, _ := NewHLLUnion(lgK)
		for range 2 + r.IntN(4) {
			s := hllRandomSketch(r, lgK, HLL4, (1<<lgK)*(1+r.IntN(40)), r.IntN(2) == 0)
			u.Update(s)
			ref.Update(s.Convert(HLL8))
		}
		u.settle()
		ref.settle()
		hllSameState(t, "union of HLL_4 inputs", u.gadget, ref.gadget)
		_ = trial
	}
}

// TestHLL4SpreadAndZeros compares hll4Spread and hllCountZeroBytes with
// plain loops: every nibble and curMin (up to 255, where uint8 arithmetic
// wraps), and bytes of every value, zeros at random places and lengths that
// are not multiples of 8.
func TestHLL4SpreadAndZeros(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 3000 {
		n := 8 << r.IntN(8)
		src := make([]byte, n/2)
		for i := range src {
			src[i] = byte(r.IntN(256))
		}
		cm := uint8(r.IntN(256))
		if trial%3 == 0 {
			cm = uint8(r.IntN(64))
		}
		got, want := make([]byte, n), make([]byte, n)
		hll4Spread(got, src, cm)
		for i, b := range src {
			want[2*i], want[2*i+1] = b&15+cm, b>>4+cm
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("trial %d (cm %d): hll4Spread differs", trial, cm)
		}
		b := make([]byte, r.IntN(300))
		for i := range b {
			if r.IntN(3) != 0 {
				b[i] = byte(r.IntN(256))
			}
		}
		zeros := 0
		for _, v := range b {
			if v == 0 {
				zeros++
			}
		}
		if got := hllCountZeroBytes(b); got != zeros {
			t.Fatalf("trial %d: %d zero bytes counted, want %d", trial, got, zeros)
		}
	}
}

// TestHLL4PackNibbles compares hll4PackNibbles with the plain packing on
// random values: all below 15 (packed), or with values from 15 to 255 at
// random places (refused, dst untouched).
func TestHLL4PackNibbles(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for trial := range 20000 {
		vals := make([]byte, 8)
		small := true
		for i := range vals {
			vals[i] = byte(r.IntN(15))
			if trial%2 == 1 && r.IntN(8) == 0 {
				vals[i] = byte(15 + r.IntN(241))
				small = false
			}
		}
		dst := []byte{0xA5, 0xA5, 0xA5, 0xA5}
		ok := hll4PackNibbles(dst, vals)
		if ok != small {
			t.Fatalf("trial %d: %v packed: %v", trial, vals, ok)
		}
		want := []byte{0xA5, 0xA5, 0xA5, 0xA5}
		if small {
			for i := range want {
				want[i] = vals[2*i] | vals[2*i+1]<<4
			}
		}
		if !bytes.Equal(dst, want) {
			t.Fatalf("trial %d: %v packed as % x, want % x", trial, vals, dst, want)
		}
	}
}
