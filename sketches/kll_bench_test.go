package sketches

import (
	"math/rand/v2"
	"testing"
)

// benchValues returns a fixed pseudo-random table of float64 in [0, 1).
func benchValues() []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float64, 1<<16)
	for i := range v {
		v[i] = r.Float64()
	}
	return v
}

func benchUpdate(b *testing.B, k int, sorted bool) {
	vals := benchValues()
	s, _ := NewKLLDoubles(k)
	// warm up to steady state (the buffer at its final shape for this n range)
	for i := range 1 << 20 {
		if sorted {
			s.Update(float64(i))
		} else {
			s.Update(vals[i&(len(vals)-1)])
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	base := 1 << 20
	for i := 0; i < b.N; i++ {
		if sorted {
			s.Update(float64(base + i))
		} else {
			s.Update(vals[i&(len(vals)-1)])
		}
	}
}

func BenchmarkKLLUpdate(b *testing.B) {
	b.Run("k=1024/random", func(b *testing.B) { benchUpdate(b, 1024, false) })
	b.Run("k=1024/sorted", func(b *testing.B) { benchUpdate(b, 1024, true) })
	b.Run("k=200/random", func(b *testing.B) { benchUpdate(b, 200, false) })
	b.Run("k=200/sorted", func(b *testing.B) { benchUpdate(b, 200, true) })
}
