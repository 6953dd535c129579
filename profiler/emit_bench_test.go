package profiler

import (
	"fmt"
	"testing"
	"time"
)

// emitBenchOrder is the 12-field order event of the pipeline benchmarks.
func emitBenchOrder(i int) map[string]any {
	var coupon any
	if i%5 == 0 {
		coupon = "SAVE10"
	}
	return map[string]any{
		"event_id": fmt.Sprintf("ord-%08d", i), "ts": deriveT0.Add(time.Duration(i) * 5 * time.Millisecond).Format(time.RFC3339Nano),
		"country": []string{"US", "DE", "FR", "GB"}[i%4], "device": []string{"desktop", "mobile", "tablet", "tv"}[i%4],
		"price": 3.5 + float64(i%997)/7, "quantity": int64(1 + i%4), "discount": nil, "coupon": coupon,
		"is_gift": i%9 == 0, "comment": nil, "customer_id": int64(1000 + i%50000), "customer_segment": "gold",
	}
}

// emitBenchWindow returns a window set holding one window of n 12-field
// events segmented by country (4 values) with the derived full profile, as
// the pipeline's streaming benchmark configures it.
func emitBenchWindow(tb testing.TB, n int) (*WindowSet, *window) {
	tb.Helper()
	ws, err := NewWindowSet(WindowConfig{
		Dataset: "orders", Partition: "orders/0", Rotation: time.Hour,
		Segments: Segmentation{Columns: []string{"country"}}, FullDataset: true,
		Profile: Config{NullDefersType: true},
	})
	if err != nil {
		tb.Fatal(err)
	}
	if !ws.derive {
		tb.Fatal("the window set does not derive the full profile")
	}
	for i := range n {
		ws.Add(deriveT0, int64(i), emitBenchOrder(i))
	}
	return ws, ws.open[deriveT0.Truncate(time.Hour).Unix()]
}

// BenchmarkDeriveWindow is the cost of deriving the full profile of one
// window of 6,000 events in 4 segments × 12 columns (the pipeline's
// per-minute emission).
func BenchmarkDeriveWindow(b *testing.B) {
	ws, win := emitBenchWindow(b, 6000)
	if win == nil || len(win.segs) != 4 {
		b.Fatal("unexpected window")
	}
	b.ReportAllocs()
	c0, n := benchCPU(), 0
	for b.Loop() {
		ws.deriveFull(win)
		n++
	}
	b.ReportMetric(float64(benchCPU()-c0)/float64(n), "cpu-ns/op")
}
