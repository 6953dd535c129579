package sketches

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchZipfItems returns n short strings ("i" + base-36 rank) drawn from a
// Zipf(1.1) distribution over 10^6 ranks with a fixed seed.
func benchZipfItems(n int) []string {
	r := rand.New(rand.NewPCG(42, 43))
	z := rand.NewZipf(r, 1.1, 1, 1_000_000)
	out := make([]string, n)
	for i := range out {
		out[i] = "i" + strconv.FormatUint(z.Uint64(), 36)
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
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Update(items[i&(len(items)-1)])
	}
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
