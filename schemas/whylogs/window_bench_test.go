package whylogs

import (
	"fmt"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// benchWindow returns the five profiles one window of n 12-field order
// events emits when segmented by country (4 values) with the derived
// full-dataset profile, as the pipeline's streaming benchmark configures it.
func benchWindow(tb testing.TB, n int) []profiler.Finished {
	tb.Helper()
	t0 := time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC)
	ws, err := profiler.NewWindowSet(profiler.WindowConfig{
		Dataset: "orders", Partition: "orders/0", Rotation: time.Hour,
		Segments: profiler.Segmentation{Columns: []string{"country"}}, FullDataset: true,
		Profile: profiler.Config{NullDefersType: true},
	})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		var coupon any
		if i%5 == 0 {
			coupon = "SAVE10"
		}
		ws.Add(t0, int64(i), map[string]any{
			"event_id": fmt.Sprintf("ord-%08d", i), "ts": t0.Add(time.Duration(i) * 5 * time.Millisecond).Format(time.RFC3339Nano),
			"country": []string{"US", "DE", "FR", "GB"}[i%4], "device": []string{"desktop", "mobile", "tablet", "tv"}[i%4],
			"price": 3.5 + float64(i%997)/7, "quantity": int64(1 + i%4), "discount": nil, "coupon": coupon,
			"is_gift": i%9 == 0, "comment": nil, "customer_id": int64(1000 + i%50000), "customer_segment": "gold",
		})
	}
	fs := ws.Flush()
	if len(fs) != 5 {
		tb.Fatalf("%d profiles emitted, want 5", len(fs))
	}
	return fs
}

// BenchmarkMarshalWindow encodes the five profiles of one window of 6,000
// events (4 segments and the derived full profile, 12 columns each): the
// encoding half of the pipeline's per-minute emission (profiler's
// BenchmarkDeriveWindow is the other half).
func BenchmarkMarshalWindow(b *testing.B) {
	fs := benchWindow(b, 6000)
	b.ReportAllocs()
	c0, n := benchCPU(), 0
	for b.Loop() {
		for _, f := range fs {
			if _, err := MarshalV1(f.Profile); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
	b.ReportMetric(float64(benchCPU()-c0)/float64(n), "cpu-ns/op")
}
