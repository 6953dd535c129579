package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/schemas/event"
)

// flatOrder is the 12-field order event of schemas/event/examples/order_flat.avsc.
func flatOrder(i int) map[string]any {
	var coupon any
	if i%5 == 0 {
		coupon = "SAVE10"
	}
	return map[string]any{
		"event_id": fmt.Sprintf("ord-%08d", i), "ts": base.Add(time.Duration(i) * 5 * time.Millisecond),
		"country": []string{"US", "DE", "FR", "GB"}[i%4], "device": []string{"desktop", "mobile", "tablet", "tv"}[i%4],
		"price": 3.5 + float64(i%997)/7, "quantity": int32(1 + i%4), "discount": nil, "coupon": coupon,
		"is_gift": i%9 == 0, "comment": nil, "customer_id": int64(1000 + i%50000), "customer_segment": "gold",
	}
}

func benchRecords(b *testing.B, format string, n, parts int) []*kgo.Record {
	codec, err := goavro.NewCodec(event.OrderFlatSchema)
	if err != nil {
		b.Fatal(err)
	}
	rs := make([]*kgo.Record, n)
	for i := range rs {
		m := flatOrder(i)
		var v []byte
		if format == "json" {
			m["ts"] = m["ts"].(time.Time).Format(time.RFC3339Nano)
			v, _ = json.Marshal(m)
		} else {
			if c, ok := m["coupon"].(string); ok {
				m["coupon"] = goavro.Union("string", c)
			}
			if v, err = codec.BinaryFromNative(nil, m); err != nil {
				b.Fatal(err)
			}
		}
		rs[i] = &kgo.Record{Topic: "orders", Partition: int32(i % parts), Value: v}
	}
	return rs
}

// BenchmarkEndToEnd measures events/s from kfake through decoding, windows
// (1m rotation, segmented by country plus the full profile) and encoding into
// a memory publisher, next to a bare group consume of the same topic in the
// same run; "ratio" is profiled/bare throughput.
//
// The topic holds 1,000,000 events (KPROFILER_BENCH_EVENTS overrides),
// produced in batches of franz-go's default size (about 1 MB, the largest a
// default Kafka broker accepts): each phase then spans dozens of fetches, so
// it measures a steady consume rather than the group join and the
// first fetch, which no work can overlap (with 100,000 events in 4 MiB
// batches, a phase was two fetches).
//
// Unless GOGC is set, the benchmark runs with the GC percent `consumer run`
// sets by default (400, cmd/consumer/gc.go), for both phases.
func BenchmarkEndToEnd(b *testing.B) {
	n, parts := 1000000, 2
	if v := os.Getenv("KPROFILER_BENCH_EVENTS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n <= 0 {
			b.Fatalf("KPROFILER_BENCH_EVENTS=%q: want a positive number of events", v)
		}
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	for _, format := range []string{"json", "avro"} {
		b.Run(format, func(b *testing.B) {
			addrs := benchCluster(b, int32(parts))
			cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), manualPartitioner())
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			if err := cl.ProduceSync(context.Background(), benchRecords(b, format, n, parts)...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			fixed, _ := event.NewFixedSchema(event.OrderFlatSchema)
			var bare, full, bareCPU, fullCPU time.Duration
			var bareMallocs, fullMallocs uint64
			var pauses float64
			var ms runtime.MemStats
			b.ResetTimer()
			for i := range b.N {
				// Each phase starts on a collected heap: neither pays for
				// the other's (or the producer's) garbage.
				runtime.GC()
				runtime.ReadMemStats(&ms)
				m0, c0, t0 := ms.Mallocs, processCPU(), time.Now()
				bareConsume(b, addrs, fmt.Sprintf("bare-%d", i), n)
				bare += time.Since(t0)
				bareCPU += processCPU() - c0
				runtime.ReadMemStats(&ms)
				bareMallocs += ms.Mallocs - m0

				ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts"}
				if format == "avro" {
					ds.Format, ds.Schemas = FormatAvro, fixed
				}
				ds.Window.Rotation = time.Minute
				ds.Window.Segments.Columns = []string{"country"}
				ds.Window.FullDataset = true
				pub := NewMemoryPublisher()
				cfg := testConfig(addrs, fmt.Sprintf("prof-%d", i), pub, ds)
				cfg.Logger = testLogger()
				c, err := New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				runtime.GC()
				runtime.ReadMemStats(&ms)
				m0, c0, t0 = ms.Mallocs, processCPU(), time.Now()
				go func() { done <- c.Run(ctx) }()
				for {
					var next int64
					for _, s := range c.Stats() {
						next += s.Next
					}
					if next >= int64(n) {
						break
					}
					time.Sleep(2 * time.Millisecond)
				}
				full += time.Since(t0)
				fullCPU += processCPU() - c0
				runtime.ReadMemStats(&ms)
				fullMallocs += ms.Mallocs - m0
				var d dto.Metric
				if err := c.Metrics().Pauses.Write(&d); err == nil {
					pauses += d.Counter.GetValue()
				}
				cancel()
				<-done
			}
			b.StopTimer()
			events := float64(n * b.N)
			bareRate := events / bare.Seconds()
			fullRate := events / full.Seconds()
			b.ReportMetric(fullRate, "events/s")
			b.ReportMetric(bareRate, "bare-events/s")
			b.ReportMetric(fullRate/bareRate, "ratio")
			// Process CPU (kfake, client and profiler) and heap allocations
			// per event of each phase: unlike wall time, robust on a loaded
			// machine.
			b.ReportMetric(float64(fullCPU.Microseconds())/events, "cpu-µs/event")
			b.ReportMetric(float64(bareCPU.Microseconds())/events, "bare-cpu-µs/event")
			b.ReportMetric(float64(fullMallocs)/events, "allocs/event")
			b.ReportMetric(float64(bareMallocs)/events, "bare-allocs/event")
			b.ReportMetric(pauses/float64(b.N), "pauses/run")
		})
	}
}

func bareConsume(b *testing.B, addrs []string, group string, n int) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumerGroup(group), kgo.ConsumeTopics("orders"),
		kgo.FetchMaxWait(100*time.Millisecond), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	got := 0
	for got < n {
		fs := cl.PollRecords(context.Background(), 10000)
		fs.EachRecord(func(*kgo.Record) { got++ })
	}
}

// BenchmarkDatasetAdd is the per-record CPU cost of decoding and profiling
// (no Kafka): one 12-field event into a segmented window set.
func BenchmarkDatasetAdd(b *testing.B) {
	for _, format := range []string{"json", "avro"} {
		b.Run(format, func(b *testing.B) {
			rs := benchRecords(b, format, 10000, 1)
			fixed, _ := event.NewFixedSchema(event.OrderFlatSchema)
			ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts"}
			if format == "avro" {
				ds.Format, ds.Schemas = FormatAvro, fixed
			}
			ds.Window.Rotation = time.Minute
			ds.Window.Segments.Columns = []string{"country"}
			ds.Window.FullDataset = true
			s, err := ds.newState("orders", 0)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			c0 := processCPU()
			for i := range b.N {
				r := rs[i%len(rs)]
				r.Offset = int64(i)
				if _, err := s.add(ctx, r); err != nil {
					b.Fatal(err)
				}
				if i%len(rs) == len(rs)-1 {
					s.release(s.ws.Flush())
				}
			}
			b.ReportMetric(float64(processCPU()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// openSegmentsDataset is the JSON dataset of the open-segments benchmarks:
// hourly windows segmented by customer_id (1,000 segments allowed) plus the
// full-dataset profile.
func openSegmentsDataset() Dataset {
	ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts"}
	ds.Window.Rotation = time.Hour
	ds.Window.Segments.Columns = []string{"customer_id"}
	ds.Window.FullDataset = true
	ds.Window.MaxSegments = 1000
	return ds
}

// BenchmarkOpenSegments reports the heap held by one partition's window
// with 1,000 open segments (plus the full profile) of the 12-field event.
func BenchmarkOpenSegments(b *testing.B) {
	rs := benchRecords(b, "json", 20000, 1)
	for i, r := range rs { // 1,000 distinct customers, all in one window
		m := flatOrder(i)
		m["customer_id"] = int64(i % 1000)
		m["ts"] = base.Format(time.RFC3339Nano)
		r.Value, _ = json.Marshal(m)
	}
	for range b.N {
		ds := openSegmentsDataset()
		s, err := ds.newState("orders", 0)
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i, r := range rs {
			r.Offset = int64(i)
			if _, err := s.add(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if s.ws.OpenProfiles() != 1001 {
			b.Fatalf("%d open profiles", s.ws.OpenProfiles())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		runtime.KeepAlive(s)
	}
}
