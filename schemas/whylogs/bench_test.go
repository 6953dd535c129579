package whylogs

import (
	"fmt"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// benchProfile returns a segmented profile of n 12-field order events, the
// kind the pipeline publishes.
func benchProfile(tb testing.TB, n int) *profiler.DatasetProfile {
	tb.Helper()
	ts := time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC)
	p, err := profiler.NewDatasetProfile(ts, ts, profiler.Config{Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	seg, err := profiler.NewSegment("", []string{"country"}, "", []string{"US"})
	if err != nil {
		tb.Fatal(err)
	}
	p.SetSegment(seg)
	p.SetName("orders")
	p.SetMetadata("kprofiler.partition", "orders/0")
	for i := range n {
		var coupon any
		if i%5 == 0 {
			coupon = "SAVE10"
		}
		p.Track(map[string]any{
			"event_id": fmt.Sprintf("ord-%08d", i), "ts": ts.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano),
			"country": "US", "device": []string{"desktop", "mobile", "tablet", "tv"}[i%4],
			"price": 3.5 + float64(i%997)/7, "quantity": int64(1 + i%4), "discount": nil, "coupon": coupon,
			"is_gift": i%9 == 0, "comment": nil, "customer_id": int64(1000 + i%50000), "customer_segment": "gold",
		})
	}
	return p
}

func BenchmarkMarshalV1(b *testing.B) {
	p := benchProfile(b, 20000)
	out, err := MarshalV1(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	c0, n := benchCPU(), 0
	for b.Loop() {
		if _, err := MarshalV1(p); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(benchCPU()-c0)/float64(n), "cpu-ns/op")
}

// BenchmarkMarshalV1Reference is the same profile through Encode and
// File.AppendBinary (protobuf messages), the reference AppendV1 matches.
func BenchmarkMarshalV1Reference(b *testing.B) {
	p := benchProfile(b, 20000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := appendV1Slow(nil, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalV1Small encodes a profile of the size the pipeline
// publishes per segment and minute (1,500 events), where the headers weigh
// more than the sketches.
func BenchmarkMarshalV1Small(b *testing.B) {
	p := benchProfile(b, 1500)
	b.ReportAllocs()
	c0, n := benchCPU(), 0
	for b.Loop() {
		if _, err := MarshalV1(p); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(benchCPU()-c0)/float64(n), "cpu-ns/op")
}
