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

// BenchmarkWindowSetRouteScalar is BenchmarkWindowSetRoute with records
// that expose their values unboxed (profiler.ScalarFields), as the
// pipeline's do.
func BenchmarkWindowSetRouteScalar(b *testing.B) {
	w, err := profiler.NewWindowSet(profiler.WindowConfig{Rotation: time.Minute, FullDataset: true,
		Segments: profiler.Segmentation{Columns: []string{"country", "device"}}})
	if err != nil {
		b.Fatal(err)
	}
	recs := []*bytesRecord{
		{{"country", []byte("US")}, {"device", []byte("ios")}}, {{"country", []byte("DE")}, {"device", []byte("web")}},
		{{"country", []byte("FR")}, {"device", []byte("android")}}, {{"country", []byte("US")}, {"device", []byte("web")}},
	}
	var buf []*profiler.DatasetProfile
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := range b.N {
		buf, _ = w.Route(time.UnixMilli(int64(i)), int64(i), recs[i&3], buf[:0])
		if i%60_000 == 0 {
			w.Advance()
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// bytesRecord is a record of string fields held as bytes, read by a linear
// scan like the pipeline's buffered records.
type bytesRecord []struct {
	name string
	val  []byte
}

func (r *bytesRecord) Field(name string) (any, bool) {
	kind, _, str, _ := r.ScalarField(name)
	if kind == profiler.ScalarNull {
		return nil, false
	}
	return string(str), true
}

func (r *bytesRecord) ScalarField(name string) (profiler.ScalarKind, uint64, []byte, bool) {
	for _, f := range *r {
		if f.name == name {
			return profiler.ScalarString, 0, f.val, true
		}
	}
	return profiler.ScalarNull, 0, nil, true
}
