package profiler_test

import (
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// BenchmarkWindowSetRoute measures the windowing overhead per record (window
// lookup, watermark, segment key, entry bookkeeping) without profiling any
// value: segmented by two columns with the full-dataset profile, records
// moving through one-minute windows. It should not allocate in steady state.
func BenchmarkWindowSetRoute(b *testing.B) {
	w, err := profiler.NewWindowSet(profiler.WindowConfig{Rotation: time.Minute, FullDataset: true,
		Segments: profiler.Segmentation{Columns: []string{"country", "device"}}})
	if err != nil {
		b.Fatal(err)
	}
	recs := []profiler.Record{
		{"country": "US", "device": "ios"}, {"country": "DE", "device": "web"},
		{"country": "FR", "device": "android"}, {"country": "US", "device": "web"},
	}
	var buf []*profiler.DatasetProfile
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := range b.N {
		// 1000 records per second of event time: a new window every 60,000.
		buf, _ = w.Route(time.UnixMilli(int64(i)), int64(i), recs[i&3], buf[:0])
		if i%60_000 == 0 {
			w.Advance()
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}
