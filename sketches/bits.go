package sketches

// BitSource supplies the coin flips of KLL compaction. Each call to Bit returns
// 0 or 1; a KLL sketch draws exactly one bit per halving (one per compaction of
// a level, in both the update path and the merge path).
//
// Implementations need not be safe for concurrent use: a sketch calls its
// source only from its own mutating methods. A source shared by several
// sketches must not be used by them concurrently.
type BitSource interface {
	Bit() uint32
}

// bitCloner is implemented by the package's own sources so that Clone can give
// a cloned sketch an independent copy of the source state.
type bitCloner interface {
	cloneBits() BitSource
}

// NewSeededBits returns a deterministic pseudo-random bit source: the bits of
// a splitmix64 sequence started at seed, lowest bit first. The same seed always
// yields the same sequence, on every platform. The source is not safe for
// concurrent use.
func NewSeededBits(seed uint64) BitSource {
	return &seededBits{state: seed}
}

type seededBits struct {
	state uint64
	buf   uint64
	left  uint8
}

// Bit returns the next bit of the sequence.
func (b *seededBits) Bit() uint32 {
	if b.left == 0 {
		b.state += 0x9e3779b97f4a7c15
		z := b.state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		b.buf = z ^ (z >> 31)
		b.left = 64
	}
	bit := uint32(b.buf & 1)
	b.buf >>= 1
	b.left--
	return bit
}

func (b *seededBits) cloneBits() BitSource {
	c := *b
	return &c
}

// NewAlternatingBits returns the deterministic source of the upstream
// validation mode (C++ KLL_VALIDATION): 0, 1, 0, 1, … starting at 0, one value
// per halving. Upstream keeps a single global toggle, so sketches whose
// combined history must be reproduced (for example a series of merges) have to
// share one value returned by NewAlternatingBits. The source is not safe for
// concurrent use.
func NewAlternatingBits() BitSource {
	return &alternatingBits{}
}

type alternatingBits struct {
	next uint32
}

// Bit returns the current toggle value and flips it.
func (b *alternatingBits) Bit() uint32 {
	v := b.next
	b.next ^= 1
	return v
}

func (b *alternatingBits) cloneBits() BitSource {
	c := *b
	return &c
}
