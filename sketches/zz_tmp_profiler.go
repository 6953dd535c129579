package sketches

// TEMPORARY stub written by the profiler helper so package profiler compiles
// before the real KLL, HLL and frequent-items sketches are merged. It has the
// contract's signatures and exact (non-sketching) behaviour. Delete it when the
// real files are merged.

import (
	"encoding/binary"
	"math"
	"sort"
)

type SearchCriteria int

const (
	Inclusive SearchCriteria = iota
	Exclusive
)

type BitSource interface{ Bit() uint32 }

type stubBits struct{ s uint64 }

func (b *stubBits) Bit() uint32 { b.s = b.s*6364136223846793005 + 1; return uint32(b.s >> 63) }

func NewSeededBits(seed uint64) BitSource { return &stubBits{s: seed} }
func NewAlternatingBits() BitSource       { return &stubBits{} }

type KLL[T float32 | float64] struct {
	k     int
	items []T
	bits  BitSource
}
type KLLDoubles = KLL[float64]
type KLLFloats = KLL[float32]

const DefaultKLLK = 200

func NewKLLDoubles(k int) (*KLLDoubles, error) {
	if k < 8 || k > 65535 {
		return nil, ErrInvalidArgument
	}
	return &KLLDoubles{k: k}, nil
}
func (s *KLL[T]) SetBitSource(src BitSource) { s.bits = src }
func (s *KLL[T]) Update(x T) {
	if x != x {
		return
	}
	s.items = append(s.items, x)
}
func (s *KLL[T]) Merge(o *KLL[T]) error { s.items = append(s.items, o.items...); return nil }
func (s *KLL[T]) Clone() *KLL[T] {
	c := *s
	c.items = append([]T(nil), s.items...)
	return &c
}
func (s *KLL[T]) K() int        { return s.k }
func (s *KLL[T]) N() uint64     { return uint64(len(s.items)) }
func (s *KLL[T]) IsEmpty() bool { return len(s.items) == 0 }
func (s *KLL[T]) Min() T {
	if len(s.items) == 0 {
		return T(math.NaN())
	}
	m := s.items[0]
	for _, v := range s.items {
		m = min(m, v)
	}
	return m
}
func (s *KLL[T]) Max() T {
	if len(s.items) == 0 {
		return T(math.NaN())
	}
	m := s.items[0]
	for _, v := range s.items {
		m = max(m, v)
	}
	return m
}
func (s *KLL[T]) NormalizedRankError(pmf bool) float64 { return 0.0133 }
func (s *KLL[T]) WhylogsQuantile(rank float64) (T, error) {
	if len(s.items) == 0 {
		return 0, ErrEmpty
	}
	if rank < 0 || rank > 1 {
		return 0, ErrInvalidArgument
	}
	c := append([]T(nil), s.items...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	if rank == 1 {
		return c[len(c)-1], nil
	}
	i := int(math.Floor(rank * float64(len(c))))
	return c[min(i, len(c)-1)], nil
}
func (s *KLL[T]) Rank(x T, c SearchCriteria) (float64, error) {
	if len(s.items) == 0 {
		return 0, ErrEmpty
	}
	n := 0
	for _, v := range s.items {
		if v < x || (c == Inclusive && v == x) {
			n++
		}
	}
	return float64(n) / float64(len(s.items)), nil
}
func (s *KLL[T]) AppendWhylogsBinary(b []byte) ([]byte, error) {
	b = append(b, 'S', 'T', 'U', 'B')
	b = binary.LittleEndian.AppendUint32(b, uint32(s.k))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.items)))
	for _, v := range s.items {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(v)))
	}
	return b, nil
}
func (s *KLL[T]) UnmarshalBinary(b []byte) error {
	if len(b) < 12 || string(b[:4]) != "STUB" {
		return ErrCorrupt
	}
	k := int(binary.LittleEndian.Uint32(b[4:]))
	n := int(binary.LittleEndian.Uint32(b[8:]))
	if len(b) != 12+8*n {
		return ErrCorrupt
	}
	items := make([]T, n)
	for i := range items {
		items[i] = T(math.Float64frombits(binary.LittleEndian.Uint64(b[12+8*i:])))
	}
	s.k, s.items = k, items
	return nil
}

type HLLType uint8

const (
	HLL4 HLLType = 4
	HLL6 HLLType = 6
	HLL8 HLLType = 8
)
const DefaultHLLLgK = 12

type HLL struct {
	lgK int
	t   HLLType
	set map[uint64]struct{}
}

func NewHLL(lgK int, t HLLType) (*HLL, error) {
	if lgK < 4 || lgK > 21 {
		return nil, ErrInvalidArgument
	}
	return &HLL{lgK: lgK, t: t, set: map[uint64]struct{}{}}, nil
}
func (s *HLL) UpdateInt64(v int64)     { h, _ := HashInt64(v, DefaultSeed); s.set[h] = struct{}{} }
func (s *HLL) UpdateFloat64(v float64) { h, _ := HashFloat64(v, DefaultSeed); s.set[h] = struct{}{} }
func (s *HLL) UpdateString(v string) {
	if v == "" {
		return
	}
	h, _ := HashString(v, DefaultSeed)
	s.set[h] = struct{}{}
}
func (s *HLL) Estimate() float64 { return float64(len(s.set)) }
func (s *HLL) LowerBound(numStdDev int) float64 {
	return float64(len(s.set))
}
func (s *HLL) UpperBound(numStdDev int) float64 {
	return float64(len(s.set)) * (1 + 0.00005*float64(numStdDev))
}
func (s *HLL) IsEmpty() bool { return len(s.set) == 0 }
func (s *HLL) LgK() int      { return s.lgK }
func (s *HLL) Type() HLLType { return s.t }
func (s *HLL) Clone() *HLL {
	c := &HLL{lgK: s.lgK, t: s.t, set: map[uint64]struct{}{}}
	for k := range s.set {
		c.set[k] = struct{}{}
	}
	return c
}
func (s *HLL) MarshalBinary() ([]byte, error) {
	keys := make([]uint64, 0, len(s.set))
	for k := range s.set {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	b := []byte{'H', byte(s.lgK), byte(s.t)}
	for _, k := range keys {
		b = binary.LittleEndian.AppendUint64(b, k)
	}
	return b, nil
}
func (s *HLL) UnmarshalBinary(b []byte) error {
	if len(b) < 3 || b[0] != 'H' || (len(b)-3)%8 != 0 {
		return ErrCorrupt
	}
	n := &HLL{lgK: int(b[1]), t: HLLType(b[2]), set: map[uint64]struct{}{}}
	for i := 3; i < len(b); i += 8 {
		n.set[binary.LittleEndian.Uint64(b[i:])] = struct{}{}
	}
	*s = *n
	return nil
}

type HLLUnion struct{ h *HLL }

func NewHLLUnion(lgMaxK int) (*HLLUnion, error) {
	h, err := NewHLL(lgMaxK, HLL8)
	return &HLLUnion{h: h}, err
}
func (u *HLLUnion) Update(s *HLL) {
	for k := range s.set {
		u.h.set[k] = struct{}{}
	}
}
func (u *HLLUnion) Result(t HLLType) *HLL { c := u.h.Clone(); c.t = t; return c }
