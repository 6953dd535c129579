package sketches

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// benchZipfItems returns n short strings ("i" + base-36 rank) drawn from a
// Zipf(1.1) distribution over 10^6 ranks with a fixed seed. The strings share
// one contiguous backing array, as items cut from a freshly read record would,
// so the benchmark measures the sketch rather than cache misses on scattered
// string headers.
func benchZipfItems(n int) []string {
	r := rand.New(rand.NewPCG(42, 43))
	z := rand.NewZipf(r, 1.1, 1, 1_000_000)
	var sb strings.Builder
	ends := make([]int, n)
	for i := range ends {
		sb.WriteString("i")
		sb.WriteString(strconv.FormatUint(z.Uint64(), 36))
		ends[i] = sb.Len()
	}
	all := sb.String()
	out := make([]string, n)
	start := 0
	for i, e := range ends {
		out[i] = all[start:e]
		start = e
	}
	return out
}

func benchmarkFrequentUpdate(b *testing.B, lg int) {
	items := benchZipfItems(1 << 16)
	s, _ := NewFrequentStrings(lg)
	for _, it := range items { // warm up: map at full size, purging
		s.Update(it)
	}
	b.ReportAllocs()
	cpu0 := processCPUNanos()
	n := 0
	for i := 0; b.Loop(); i++ {
		s.Update(items[i&(len(items)-1)])
		n++
	}
	// CPU time per update (the machine may be shared; ns/op is wall time).
	b.ReportMetric(float64(processCPUNanos()-cpu0)/float64(n), "cpu-ns/op")
}

// BenchmarkFrequentUpdateZipfLg10 measures Update on a Zipf stream of short
// strings with whylogs' lgMaxMapSize 10 (target: 0 allocs, ≤ 40 ns).
func BenchmarkFrequentUpdateZipfLg10(b *testing.B) { benchmarkFrequentUpdate(b, 10) }

// BenchmarkFrequentUpdateZipfLg6 is the same with a 64-slot map (frequent purges).
func BenchmarkFrequentUpdateZipfLg6(b *testing.B) { benchmarkFrequentUpdate(b, 6) }

// BenchmarkFrequentMerge merges two lgMax-10 sketches of 64Ki Zipf items each
// and reports the image size of the result.
func BenchmarkFrequentMerge(b *testing.B) {
	items := benchZipfItems(1 << 17)
	x, _ := NewFrequentStrings(10)
	y, _ := NewFrequentStrings(10)
	for i, it := range items {
		if i%2 == 0 {
			x.Update(it)
		} else {
			y.Update(it)
		}
	}
	b.ReportAllocs()
	var m *FrequentStrings
	for b.Loop() {
		m = x.Clone()
		_ = m.Merge(y)
	}
	img, _ := m.MarshalBinary()
	b.ReportMetric(float64(len(img)), "image-bytes")
}

// BenchmarkFrequentMarshal and BenchmarkFrequentUnmarshal measure the codec on
// an lgMax-10 sketch of a Zipf stream and report its image size.
func BenchmarkFrequentMarshal(b *testing.B) {
	s, _ := NewFrequentStrings(10)
	for _, it := range benchZipfItems(1 << 16) {
		s.Update(it)
	}
	buf := make([]byte, 0, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = s.AppendBinary(buf[:0])
	}
	b.ReportMetric(float64(len(buf)), "image-bytes")
}

func BenchmarkFrequentUnmarshal(b *testing.B) {
	s, _ := NewFrequentStrings(10)
	for _, it := range benchZipfItems(1 << 16) {
		s.Update(it)
	}
	img, _ := s.MarshalBinary()
	b.ReportAllocs()
	b.SetBytes(int64(len(img)))
	var d FrequentStrings
	for b.Loop() {
		if err := d.UnmarshalBinary(img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(img)), "image-bytes")
}
