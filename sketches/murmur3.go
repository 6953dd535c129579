package sketches

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// DefaultSeed is the seed DataSketches uses for HLL (and Theta, CPC) hashing.
const DefaultSeed uint64 = 9001

const (
	murmurC1 = 0x87c37b91114253d5
	murmurC2 = 0x4cf5ad432745937f
)

// Murmur3Sum128 returns MurmurHash3_x64_128 of data as DataSketches computes it:
// both internal states start from the same 64-bit seed. The result is the pair
// (h1, h2) that Java returns as long[2]{h1, h2}.
func Murmur3Sum128(data []byte, seed uint64) (h1, h2 uint64) {
	h1, h2 = seed, seed
	n := len(data)
	p := data
	for len(p) >= 16 {
		k1 := binary.LittleEndian.Uint64(p)
		k2 := binary.LittleEndian.Uint64(p[8:])
		h1, h2 = murmurBlock(h1, h2, k1, k2)
		p = p[16:]
	}
	// The final 0..15 bytes, read as two little-endian words with a few
	// wide loads (murmurTail is the byte-by-byte reference).
	if t := len(p); t > 8 {
		h1 ^= murmurMixK1(binary.LittleEndian.Uint64(p))
		h2 ^= murmurMixK2(murmurLoadShort(p[8:]))
	} else if t == 8 {
		h1 ^= murmurMixK1(binary.LittleEndian.Uint64(p))
	} else if t > 0 {
		h1 ^= murmurMixK1(murmurLoadShort(p))
	}
	return murmurFinal(h1, h2, uint64(n))
}

// murmurLoadShort returns the 1..7 bytes of b as a little-endian integer,
// with two overlapping loads (bytes read twice land on the same bits).
func murmurLoadShort(b []byte) uint64 {
	n := len(b)
	if n >= 4 {
		lo := uint64(binary.LittleEndian.Uint32(b))
		hi := uint64(binary.LittleEndian.Uint32(b[n-4:]))
		return lo | hi<<(8*(n-4))
	}
	m := n >> 1
	return uint64(b[0]) | uint64(b[m])<<(8*m) | uint64(b[n-1])<<(8*(n-1))
}

// murmurMixK1 and murmurMixK2 scramble the first and second word of a block
// (or of the tail) before it is xored into h1 or h2.
func murmurMixK1(k1 uint64) uint64 {
	k1 *= murmurC1
	k1 = bits.RotateLeft64(k1, 31)
	return k1 * murmurC2
}

func murmurMixK2(k2 uint64) uint64 {
	k2 *= murmurC2
	k2 = bits.RotateLeft64(k2, 33)
	return k2 * murmurC1
}

// murmur3Uint64 hashes the 8 little-endian bytes of v without building a slice.
// It equals Murmur3Sum128 over binary.LittleEndian.AppendUint64(nil, v).
func murmur3Uint64(v, seed uint64) (h1, h2 uint64) {
	h1, h2 = seed, seed
	k1 := v * murmurC1
	k1 = bits.RotateLeft64(k1, 31)
	k1 *= murmurC2
	h1 ^= k1
	return murmurFinal(h1, h2, 8)
}

func murmurBlock(h1, h2, k1, k2 uint64) (uint64, uint64) {
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
	return h1, h2
}

func murmurFinal(h1, h2, length uint64) (uint64, uint64) {
	h1 ^= length
	h2 ^= length
	h1 += h2
	h2 += h1
	h1 = Fmix64(h1)
	h2 = Fmix64(h2)
	h1 += h2
	h2 += h1
	return h1, h2
}

// Fmix64 is the MurmurHash3 64-bit finalizer. Frequent items uses it alone to
// place keys in its hash map.
func Fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// canonicalFloat64Bits returns the bits DataSketches hashes for a double:
// -0.0 becomes +0.0 and every NaN becomes Java's canonical NaN
// (Double.doubleToLongBits), 0x7ff8000000000000.
func canonicalFloat64Bits(v float64) uint64 {
	if v == 0 {
		return 0
	}
	if v != v {
		return 0x7ff8000000000000
	}
	return math.Float64bits(v)
}

// HashInt64 returns the DataSketches hash of an int64 (8 little-endian bytes).
func HashInt64(v int64, seed uint64) (h1, h2 uint64) { return murmur3Uint64(uint64(v), seed) }

// HashFloat64 returns the DataSketches hash of a float64: the 8 little-endian
// bytes of its canonical bits (−0.0 → 0.0, NaN canonical).
func HashFloat64(v float64, seed uint64) (h1, h2 uint64) {
	return murmur3Uint64(canonicalFloat64Bits(v), seed)
}

// HashString returns the DataSketches hash of the UTF-8 bytes of s.
func HashString(s string, seed uint64) (h1, h2 uint64) {
	return Murmur3Sum128(stringBytes(s), seed)
}

// HashBytes returns the DataSketches hash of b.
func HashBytes(b []byte, seed uint64) (h1, h2 uint64) { return Murmur3Sum128(b, seed) }
