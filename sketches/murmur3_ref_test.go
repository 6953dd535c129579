package sketches

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// murmur3Ref is MurmurHash3_x64_128 written plainly: 16-byte blocks, then the
// tail byte by byte (murmurTail). Murmur3Sum128 must agree with it.
func murmur3Ref(data []byte, seed uint64) (uint64, uint64) {
	h1, h2 := seed, seed
	p := data
	for len(p) >= 16 {
		h1, h2 = murmurBlock(h1, h2, binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:]))
		p = p[16:]
	}
	h1, h2 = murmurTail(h1, h2, p)
	return murmurFinal(h1, h2, uint64(len(data)))
}

// murmurTail mixes the final 0..15 bytes one at a time, as the reference
// implementation does; Murmur3Sum128 reads them with wide loads instead (the
// tests compare the two).
func murmurTail(h1, h2 uint64, tail []byte) (uint64, uint64) {
	var k1, k2 uint64
	switch len(tail) {
	case 15:
		k2 ^= uint64(tail[14]) << 48
		fallthrough
	case 14:
		k2 ^= uint64(tail[13]) << 40
		fallthrough
	case 13:
		k2 ^= uint64(tail[12]) << 32
		fallthrough
	case 12:
		k2 ^= uint64(tail[11]) << 24
		fallthrough
	case 11:
		k2 ^= uint64(tail[10]) << 16
		fallthrough
	case 10:
		k2 ^= uint64(tail[9]) << 8
		fallthrough
	case 9:
		k2 ^= uint64(tail[8])
		k2 *= murmurC2
		k2 = rotl64(k2, 33)
		k2 *= murmurC1
		h2 ^= k2
		fallthrough
	case 8:
		k1 ^= uint64(tail[7]) << 56
		fallthrough
	case 7:
		k1 ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		k1 ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		k1 ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		k1 ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		k1 ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		k1 ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		k1 ^= uint64(tail[0])
		k1 *= murmurC1
		k1 = rotl64(k1, 31)
		k1 *= murmurC2
		h1 ^= k1
	}
	return h1, h2
}

func rotl64(x uint64, k int) uint64 { return x<<k | x>>(64-k) }

// TestMurmur3MatchesRef compares the wide-load tail with the byte-by-byte
// reference for every length 0..80 and random contents, several seeds.
func TestMurmur3MatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	buf := make([]byte, 96)
	for trial := range 200 {
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		seed := []uint64{DefaultSeed, 0, r.Uint64()}[trial%3]
		for n := 0; n <= 80; n++ {
			// Also at an odd offset, so no load relies on alignment.
			for _, off := range []int{0, 3} {
				in := buf[off : off+n]
				g1, g2 := Murmur3Sum128(in, seed)
				w1, w2 := murmur3Ref(in, seed)
				if g1 != w1 || g2 != w2 {
					t.Fatalf("len %d off %d seed %d: got (%#x, %#x), want (%#x, %#x)", n, off, seed, g1, g2, w1, w2)
				}
				if s1, s2 := HashString(string(in), seed); s1 != w1 || s2 != w2 {
					t.Fatalf("HashString len %d differs", n)
				}
			}
		}
	}
	// Every short tail with one byte set: a misplaced byte shows.
	for n := 1; n <= 15; n++ {
		for j := range n {
			for _, v := range []byte{1, 0x80, 0xFF} {
				in := make([]byte, n)
				in[j] = v
				g1, g2 := Murmur3Sum128(in, DefaultSeed)
				w1, w2 := murmur3Ref(in, DefaultSeed)
				if g1 != w1 || g2 != w2 {
					t.Fatalf("len %d byte %d = %#x: differs from the reference", n, j, v)
				}
			}
		}
	}
}

// TestJavaStringHashMatchesRef compares javaStringHash (eight- and four-byte
// ASCII steps, then rune by rune) with the UTF-16 reference on strings that
// mix ASCII runs of every length with multi-byte runes and invalid bytes at
// every position.
func TestJavaStringHashMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"a", "Z", "0", "~", "\x7f", "é", "ж", "中", "\U0001F600", "\U0010FFFF", "\uFFFF", "\x00"}
	for range 5000 {
		var b []byte
		for range r.IntN(40) {
			switch r.IntN(10) {
			case 0:
				b = append(b, pieces[4+r.IntN(len(pieces)-4)]...)
			case 1:
				if r.IntN(4) == 0 {
					b = append(b, 0xFF) // invalid UTF-8
				} else {
					b = append(b, pieces[r.IntN(4)]...)
				}
			default:
				b = append(b, byte(0x20+r.IntN(0x5F)))
			}
		}
		s := string(b)
		want := uint64(int64(javaHashRef(s)))
		if got := javaStringHash(s); got != want {
			t.Fatalf("javaStringHash(%q) = %#x, want %#x", s, got, want)
		}
		if got := FrequentHashBytes(b); got != Fmix64(want) {
			t.Fatalf("FrequentHashBytes(%q) differs", s)
		}
		if FrequentHash(s) != Fmix64(want) {
			t.Fatalf("FrequentHash(%q) differs", s)
		}
	}
	// A non-ASCII byte at each position of a 20-byte ASCII string.
	for n := range 21 {
		for j := range n {
			b := []byte("abcdefghijklmnopqrstu"[:n])
			b[j] = 0xC3 // starts a 2-byte rune (invalid when last)
			if j+1 < n {
				b[j+1] = 0xA9
			}
			s := string(b)
			if got, want := javaStringHash(s), uint64(int64(javaHashRef(s))); got != want {
				t.Fatalf("javaStringHash(%q) = %#x, want %#x", s, got, want)
			}
		}
	}
}
