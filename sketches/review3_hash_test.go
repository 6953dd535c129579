package sketches

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
	"unicode/utf16"
)

// Review (session 3): the hashes against plain definitions written from the
// specifications, at every length up to 100 and every start offset 0-7.

// review3Murmur is MurmurHash3_x64_128 with both states seeded by seed
// (DataSketches), the tail assembled byte by byte.
func review3Murmur(data []byte, seed uint64) (uint64, uint64) {
	h1, h2 := seed, seed
	nb := len(data) / 16
	for b := range nb {
		k1 := binary.LittleEndian.Uint64(data[16*b:])
		k2 := binary.LittleEndian.Uint64(data[16*b+8:])
		k1 *= murmurC1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= murmurC2
		h1 ^= k1
		h1 = bits.RotateLeft64(h1, 27)
		h1 += h2
		h1 = h1*5 + 0x52dce729
		k2 *= murmurC2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= murmurC1
		h2 ^= k2
		h2 = bits.RotateLeft64(h2, 31)
		h2 += h1
		h2 = h2*5 + 0x38495ab5
	}
	tail := data[16*nb:]
	var k1, k2 uint64
	for i, c := range tail {
		if i < 8 {
			k1 |= uint64(c) << (8 * i)
		} else {
			k2 |= uint64(c) << (8 * (i - 8))
		}
	}
	if len(tail) > 8 {
		k2 *= murmurC2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= murmurC1
		h2 ^= k2
	}
	if len(tail) > 0 {
		k1 *= murmurC1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= murmurC2
		h1 ^= k1
	}
	n := uint64(len(data))
	h1 ^= n
	h2 ^= n
	h1 += h2
	h2 += h1
	h1 = Fmix64(h1)
	h2 = Fmix64(h2)
	h1 += h2
	h2 += h1
	return h1, h2
}

// review3Java is Java's String.hashCode of the UTF-16 form of s, whose
// invalid UTF-8 bytes each decode to U+FFFD, sign-extended.
func review3Java(s string) uint64 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return uint64(int64(h))
}

func TestReview3HashesEveryLengthAndOffset(t *testing.T) {
	r := rand.New(rand.NewPCG(99, 100))
	pieces := []string{"a", "Z", "\x7f", "é", "€", "\U0001F600", "\xff", "\xc3", "\xed\xa0\x80", "\xf0\x9f\x98", "\x00", "~"}
	buf := make([]byte, 120)
	for trial := range 60 {
		for i := range buf {
			switch trial % 3 {
			case 0:
				buf[i] = byte(r.Uint32())
			case 1:
				buf[i] = 0xff
			default:
				buf[i] = byte(r.IntN(0x80))
			}
		}
		for off := range 8 {
			for n := 0; n <= 100; n++ {
				b := buf[off : off+n]
				for _, seed := range []uint64{DefaultSeed, 0, 1<<64 - 1} {
					g1, g2 := Murmur3Sum128(b, seed)
					w1, w2 := review3Murmur(b, seed)
					if g1 != w1 || g2 != w2 {
						t.Fatalf("murmur % x seed %d: (%#x, %#x), want (%#x, %#x)", b, seed, g1, g2, w1, w2)
					}
				}
				if g, w := javaStringHash(string(b)), review3Java(string(b)); g != w {
					t.Fatalf("java %q: %#x, want %#x", b, g, w)
				}
			}
		}
	}
	// ASCII runs with one multi-byte or invalid piece at every position.
	for n := 0; n <= 40; n++ {
		for at := 0; at <= n; at++ {
			for _, p := range pieces {
				s := string(buf[:at]) + p + string(buf[at:n])
				if g, w := javaStringHash(s), review3Java(s); g != w {
					t.Fatalf("java %q: %#x, want %#x", s, g, w)
				}
			}
		}
	}
}
