package sketches

import (
	"strconv"
	"testing"
)

// Benchmarks of the per-value paths a profiled event takes (hashes of short
// items, frequent-items updates of bytes across many sketches). Each reports
// cpu-ns/op, the CPU time of the benchmark's locked thread.

var benchItemText = "2024-01-02T03:04:05.123456789Z-abcdefgh"

func BenchmarkHashBytes(b *testing.B) {
	for _, n := range []int{2, 7, 12, 16, 24, 30} {
		in := []byte(benchItemText[:n])
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var s uint64
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				h, _ := HashBytes(in, DefaultSeed)
				s += h
			}
			stop()
			_ = s
		})
	}
}

func BenchmarkFrequentHashBytes(b *testing.B) {
	for _, n := range []int{2, 7, 12, 16, 24, 30} {
		in := []byte(benchItemText[:n])
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var s uint64
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				s += FrequentHashBytes(in)
			}
			stop()
			_ = s
		})
	}
}

func BenchmarkHashInt64CPU(b *testing.B) {
	var s uint64
	stop := kllStartCPU(b)
	for i := 0; i < b.N; i++ {
		h, _ := HashInt64(int64(i), DefaultSeed)
		s += h
	}
	stop()
	_ = s
}

// BenchmarkFrequentBytesPipeline feeds 5 profiles' worth of sketches as a
// profiled event stream does: per event, into each of 2 profiles, a unique
// id, a timestamp, a 4-valued code and a 1000-valued number, all through
// UpdateBytesHashed with lgMaxMapSize 10; every 10000 events the sketches are
// replaced (a window emission).
func BenchmarkFrequentBytesPipeline(b *testing.B) {
	const events = 10000
	type ev struct {
		items [4][]byte
		hs    [4]uint64
		seg   int
	}
	evs := make([]ev, events)
	codes := []string{"US", "DE", "FR", "GB"}
	for i := range evs {
		e := &evs[i]
		e.items[0] = []byte("ord-" + strconv.Itoa(10000000+i))
		e.items[1] = []byte("2024-01-02T03:" + strconv.Itoa(10+i%50) + ":" + strconv.Itoa(10+i%47) + "." + strconv.Itoa(100000+i) + "Z")
		e.items[2] = []byte(codes[i%4])
		e.items[3] = []byte(strconv.Itoa(350 + i%997))
		for j, it := range e.items {
			e.hs[j] = FrequentHashBytes(it)
		}
		e.seg = 1 + i%4
	}
	var sk [5][4]*FrequentStrings
	reset := func() {
		for p := range sk {
			for c := range sk[p] {
				sk[p][c], _ = NewFrequentStrings(10)
			}
		}
	}
	reset()
	b.ReportAllocs()
	stop := kllStartCPU(b)
	for i := 0; i < b.N; i++ {
		k := i % events
		if k == 0 && i > 0 {
			reset()
		}
		e := &evs[k]
		for c := range e.items {
			sk[0][c].UpdateBytesHashed(e.items[c], e.hs[c])
			sk[e.seg][c].UpdateBytesHashed(e.items[c], e.hs[c])
		}
	}
	stop()
}

// BenchmarkFrequentMergeCPU is BenchmarkFrequentMerge (clone one lgMax-10
// sketch, merge another into it) with cpu-ns/op; "bytes" merges sketches
// whose keys were added as bytes (copied into the target's chunks).
func BenchmarkFrequentMergeCPU(b *testing.B) {
	items := benchZipfItems(1 << 17)
	for _, asBytes := range []bool{false, true} {
		name := "strings"
		if asBytes {
			name = "bytes"
		}
		b.Run(name, func(b *testing.B) {
			x, _ := NewFrequentStrings(10)
			y, _ := NewFrequentStrings(10)
			for i, it := range items {
				s := x
				if i%2 == 1 {
					s = y
				}
				if asBytes {
					s.UpdateBytesHashed([]byte(it), FrequentHash(it))
				} else {
					s.Update(it)
				}
			}
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				m := x.Clone()
				_ = m.Merge(y)
			}
			stop()
		})
	}
}

// BenchmarkHLLUnionResultCPU is the emission of one column's distinct count
// from the partial sketches of a window: a union of parts (lgK 12, each fed
// n distinct values) and its HLL_4 result.
func BenchmarkHLLUnionResultCPU(b *testing.B) {
	for _, n := range []int{100, 2000, 20000} {
		for _, typ := range []HLLType{HLL4, HLL8} {
			b.Run(typ.String()+"/n="+strconv.Itoa(n), func(b *testing.B) {
				parts := make([]*HLL, 4)
				for p := range parts {
					parts[p], _ = NewHLL(12, typ)
					for i := range n {
						parts[p].UpdateInt64(int64(p*n + i))
					}
				}
				b.ReportAllocs()
				stop := kllStartCPU(b)
				for i := 0; i < b.N; i++ {
					u, _ := NewHLLUnion(12)
					for _, p := range parts {
						u.Update(p)
					}
					_ = u.Result(HLL4)
				}
				stop()
			})
		}
	}
}

// BenchmarkHLLFreshCPU feeds n distinct values into a new lgK-12 HLL_4
// sketch (LIST → SET → HLL, most updates raising a register), as each column
// of a new window does; cpu-ns per value.
func BenchmarkHLLFreshCPU(b *testing.B) {
	for _, n := range []int{2500, 10000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			hs := make([][2]uint64, n)
			for i := range hs {
				hs[i][0], hs[i][1] = HashInt64(int64(i), DefaultSeed)
			}
			var s *HLL
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				k := i % n
				if k == 0 {
					s, _ = NewHLL(12, HLL4)
				}
				s.UpdateHash(hs[k][0], hs[k][1])
			}
			stop()
		})
	}
}

// BenchmarkHLLCouponCPU updates lgK-12 HLL_4 sketches that stay in LIST mode
// (4 distinct values, a low-cardinality column) or SET mode (300 distinct
// values), repeating their values.
func BenchmarkHLLCouponCPU(b *testing.B) {
	for _, n := range []int{4, 300} {
		b.Run("distinct="+strconv.Itoa(n), func(b *testing.B) {
			hs := make([][2]uint64, 1024)
			for i := range hs {
				hs[i][0], hs[i][1] = HashInt64(int64(i%n), DefaultSeed)
			}
			s, _ := NewHLL(12, HLL4)
			for _, h := range hs {
				s.UpdateHash(h[0], h[1])
			}
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				h := &hs[i&1023]
				s.UpdateHash(h[0], h[1])
			}
			stop()
		})
	}
}

// BenchmarkFrequentRepeatCPU updates an lgMax-10 sketch with repeats of a
// few items (a low-cardinality column), as bytes or as strings.
func BenchmarkFrequentRepeatCPU(b *testing.B) {
	items := []string{"desktop", "mobile", "tablet", "tv", "US", "DE", "FR", "GB"}
	bs := make([][]byte, len(items))
	hs := make([]uint64, len(items))
	for i, it := range items {
		bs[i], hs[i] = []byte(it), FrequentHash(it)
	}
	b.Run("bytes", func(b *testing.B) {
		s, _ := NewFrequentStrings(10)
		stop := kllStartCPU(b)
		for i := 0; i < b.N; i++ {
			k := i & 7
			s.UpdateBytesHashed(bs[k], hs[k])
		}
		stop()
	})
	b.Run("strings", func(b *testing.B) {
		s, _ := NewFrequentStrings(10)
		stop := kllStartCPU(b)
		for i := 0; i < b.N; i++ {
			k := i & 7
			s.UpdateHashed(items[k], hs[k])
		}
		stop()
	})
	// hinted: as the profiler's value memo logs a remembered value (one
	// hint per item).
	b.Run("hinted", func(b *testing.B) {
		s, _ := NewFrequentStrings(10)
		hints := make([]FrequentHint, len(items))
		stop := kllStartCPU(b)
		for i := 0; i < b.N; i++ {
			k := i & 7
			if !s.AddHinted(hs[k], &hints[k]) {
				s.UpdateBytesHinted(bs[k], hs[k], &hints[k])
			}
		}
		stop()
	})
}

// BenchmarkKLLUpdatePeriodicCPU updates a sketch with a periodic column,
// 3.5 + (i mod 997)/7: ascending runs that wrap around (a price in a
// generated order stream), which reach level 0 as descending runs with a
// wrap.
func BenchmarkKLLUpdatePeriodicCPU(b *testing.B) {
	for _, k := range []int{256, 1024} {
		b.Run("k="+strconv.Itoa(k), func(b *testing.B) {
			s, _ := NewKLLDoubles(k)
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				s.Update(3.5 + float64(i%997)/7)
			}
			stop()
		})
	}
}

// BenchmarkFrequentUniqueCPU logs distinct ids ("ord-" + 8 digits, hashes
// precomputed) as bytes into an lgMax-10 sketch replaced every n values: an
// id column of one segment of a window. Every value is a new item: the map
// grows from 8 slots, then purges every 768 items; cpu-ns per value.
func BenchmarkFrequentUniqueCPU(b *testing.B) {
	for _, n := range []int{2500, 50000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			items := make([][]byte, n)
			hs := make([]uint64, n)
			for i := range items {
				items[i] = []byte("ord-" + strconv.Itoa(10000000+i))
				hs[i] = FrequentHashBytes(items[i])
			}
			var s *FrequentStrings
			b.ReportAllocs()
			stop := kllStartCPU(b)
			for i := 0; i < b.N; i++ {
				k := i % n
				if k == 0 {
					s, _ = NewFrequentStrings(10)
				}
				s.UpdateBytesHashed(items[k], hs[k])
			}
			stop()
		})
	}
}
