package sketches

import (
	"fmt"
	"testing"
)

// Update benchmarks: lgK 12 sketches already in HLL mode (the steady state),
// one update per iteration including the hash. Inputs are precomputed so the
// loop measures the sketch only. Each also reports cpu-ns/op, the CPU time of
// the benchmark's (locked) thread per update, which unlike ns/op excludes time
// spent descheduled on a shared, loaded machine.

func BenchmarkHLLUpdateInt64(b *testing.B) {
	for _, typ := range hllTypes {
		b.Run(typ.String(), func(b *testing.B) {
			s := hllStream(b, 12, typ, seq(10000))
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				s.UpdateInt64(int64(i))
			}
			stop()
		})
	}
}

func BenchmarkHLLUpdateFloat64(b *testing.B) {
	for _, typ := range hllTypes {
		b.Run(typ.String(), func(b *testing.B) {
			s := hllStream(b, 12, typ, seq(10000))
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				s.UpdateFloat64(float64(i) * 0.25)
			}
			stop()
		})
	}
}

func BenchmarkHLLUpdateString16(b *testing.B) {
	keys := make([]string, 1<<12) // small enough to stay in cache
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%011d", i) // 16 bytes
	}
	for _, typ := range hllTypes {
		b.Run(typ.String(), func(b *testing.B) {
			s := hllStream(b, 12, typ, seq(10000))
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				s.UpdateString(keys[i&(len(keys)-1)])
			}
			stop()
		})
	}
}

// BenchmarkHLLUnionMerge merges one lgK-12 HLL-mode sketch of 100000 values
// into a union that already holds one (register max; the rebuild of the
// derived state is deferred to the next read).
func BenchmarkHLLUnionMerge(b *testing.B) {
	for _, typ := range hllTypes {
		b.Run(typ.String(), func(b *testing.B) {
			s := hllStream(b, 12, typ, seq(100000))
			u, _ := NewHLLUnion(12)
			u.Update(hllStream(b, 12, HLL8, seq(1000)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				u.Update(s)
			}
		})
	}
}

// BenchmarkHLLMarshal encodes an lgK-12 sketch of 10^6 values and reports the
// compact image size.
func BenchmarkHLLMarshal(b *testing.B) {
	for _, typ := range hllTypes {
		b.Run(typ.String(), func(b *testing.B) {
			s := hllStream(b, 12, typ, seq(1000000))
			buf := make([]byte, 0, 8192)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf, _ = s.AppendBinary(buf[:0])
			}
			b.ReportMetric(float64(len(buf)), "image-bytes")
		})
	}
}

// BenchmarkHLLUnmarshal decodes the same images.
func BenchmarkHLLUnmarshal(b *testing.B) {
	for _, typ := range hllTypes {
		b.Run(typ.String(), func(b *testing.B) {
			img := hllMustMarshal(b, hllStream(b, 12, typ, seq(1000000)))
			var s HLL
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.UnmarshalBinary(img); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(img)), "image-bytes")
		})
	}
}

// BenchmarkHLLUnionSegments is the derived full profile's use of the union:
// four lgK-12 HLL_4 sketches of 1,500 distinct values each (one column of
// four segments) merged into a new union, and its HLL_4 result.
func BenchmarkHLLUnionSegments(b *testing.B) {
	var in [4]*HLL
	for i := range in {
		in[i] = hllStream(b, 12, HLL4, seq(1500 * (i + 1))[1500*i:])
	}
	b.ReportAllocs()
	for b.Loop() {
		u, _ := NewHLLUnion(12)
		for _, s := range in {
			u.Update(s)
		}
		u.Result(HLL4)
	}
}

// BenchmarkHLLConvert converts an lgK-12 HLL-mode sketch of 1,500 values
// to HLL_8 (the union's copy of its first input) and back to HLL_4 (its
// result).
func BenchmarkHLLConvert(b *testing.B) {
	s4 := hllStream(b, 12, HLL4, seq(1500))
	s8 := s4.Convert(HLL8)
	b.Run("HLL4toHLL8", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s4.Convert(HLL8)
		}
	})
	b.Run("HLL8toHLL4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s8.Convert(HLL4)
		}
	})
}
