package sketches

import (
	"math/rand/v2"
	"testing"
)

// benchValues returns a fixed pseudo-random table of float64 in [0, 1)
// (signed: in [-0.5, 0.5), which takes the compactions' general merge
// instead of the one specialised for positive runs).
func benchValues(signed bool) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float64, 1<<16)
	for i := range v {
		v[i] = r.Float64()
		if signed {
			v[i] -= 0.5
		}
	}
	return v
}

// benchUpdate measures Update in steady state: the sketch first takes 2^20
// items, so its buffer has reached its final shape and no longer allocates.
func benchUpdate[T float32 | float64](b *testing.B, s *KLL[T], sorted, signed bool) {
	vals := benchValues(signed)
	mask := len(vals) - 1
	for i := range 1 << 20 {
		if sorted {
			s.Update(T(i))
		} else {
			s.Update(T(vals[i&mask]))
		}
	}
	base := 1 << 20
	b.ReportAllocs()
	stop := kllStartCPU(b)
	for i := 0; i < b.N; i++ {
		if sorted {
			s.Update(T(base + i))
		} else {
			s.Update(T(vals[i&mask]))
		}
	}
	stop()
}

// kllStartCPU locks the benchmark goroutine to its thread, resets the timer,
// and returns a function that reports the thread's CPU time per op.
func kllStartCPU(b *testing.B) func() {
	kllLockThread()
	b.ResetTimer()
	t0, ok := kllThreadCPU()
	return func() {
		t1, ok1 := kllThreadCPU()
		b.StopTimer()
		kllUnlockThread()
		if ok && ok1 && b.N > 0 {
			b.ReportMetric(float64(t1-t0)/float64(b.N), "cpu-ns/op")
		}
	}
}

func BenchmarkKLLUpdate(b *testing.B) {
	for _, tc := range []struct {
		name   string
		k      int
		sorted bool
		signed bool
	}{
		{"k=1024/random", 1024, false, false},
		{"k=1024/random-signed", 1024, false, true},
		{"k=1024/sorted", 1024, true, false},
		{"k=200/random", 200, false, false},
		{"k=200/random-signed", 200, false, true},
		{"k=200/sorted", 200, true, false},
	} {
		b.Run("doubles/"+tc.name, func(b *testing.B) {
			s, _ := NewKLLDoubles(tc.k)
			benchUpdate(b, s, tc.sorted, tc.signed)
		})
	}
	b.Run("floats/k=200/random", func(b *testing.B) {
		s, _ := NewKLLFloats(200)
		benchUpdate(b, s, false, false)
	})
}

// BenchmarkKLLMerge merges a sketch of 100 000 random items into an
// accumulating sketch of the same k (steady state, as when combining the
// partial profiles of a window).
func BenchmarkKLLMerge(b *testing.B) {
	for _, k := range []int{200, 1024} {
		b.Run("k="+itoa(k), func(b *testing.B) {
			vals := benchValues(false)
			parts := make([]*KLLDoubles, 8)
			for p := range parts {
				parts[p], _ = NewKLLDoubles(k)
				parts[p].SetBitSource(NewSeededBits(uint64(p)))
				for i := range 100000 {
					parts[p].Update(vals[(i*7+p*13)&(len(vals)-1)])
				}
			}
			acc, _ := NewKLLDoubles(k)
			for _, p := range parts {
				_ = acc.Merge(p)
			}
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				_ = acc.Merge(parts[i&7])
			}
			stop()
		})
	}
}

// BenchmarkKLLSerialize appends the Apache and whylogs images of a sketch that
// has seen 10^6 items into a reused buffer, and reports the image sizes.
func BenchmarkKLLSerialize(b *testing.B) {
	for _, k := range []int{200, 1024} {
		vals := benchValues(false)
		s, _ := NewKLLDoubles(k)
		for i := range 1000000 {
			s.Update(vals[i&(len(vals)-1)])
		}
		b.Run("apache/k="+itoa(k), func(b *testing.B) {
			buf, _ := s.AppendBinary(nil)
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for range b.N {
				buf, _ = s.AppendBinary(buf[:0])
			}
			stop()
			b.ReportMetric(float64(len(buf)), "image-bytes")
		})
		b.Run("whylogs/k="+itoa(k), func(b *testing.B) {
			buf, _ := s.AppendWhylogsBinary(nil)
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for range b.N {
				buf, _ = s.AppendWhylogsBinary(buf[:0])
			}
			stop()
			b.ReportMetric(float64(len(buf)), "image-bytes")
		})
		b.Run("unmarshal/k="+itoa(k), func(b *testing.B) {
			img, _ := s.MarshalBinary()
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for range b.N {
				var d KLLDoubles
				if err := d.UnmarshalBinary(img); err != nil {
					b.Fatal(err)
				}
			}
			stop()
		})
	}
}

// BenchmarkKLLQuantiles answers whylogs' nine summary quantiles on a k=1024
// sketch that has seen 10^6 items.
func BenchmarkKLLQuantiles(b *testing.B) {
	vals := benchValues(false)
	s, _ := NewKLLDoubles(1024)
	for i := range 1000000 {
		s.Update(vals[i&(len(vals)-1)])
	}
	ranks := []float64{0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Quantiles(ranks, Inclusive); err != nil {
			b.Fatal(err)
		}
	}
}
