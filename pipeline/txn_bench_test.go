package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/sink"
)

// BenchmarkExactlyOnce compares the cost of profiling 100,000 events of 2
// partitions into a Kafka sink until every offset is committed, in
// exactly-once mode (transactions, barrier every second) and in
// at-least-once mode (idempotent producer, checkpoint every second), on
// kfake. Process CPU per event is the stable figure on a loaded machine.
func BenchmarkExactlyOnce(b *testing.B) {
	const n, parts = 100000, 2
	for _, mode := range []string{"at-least-once", "exactly-once"} {
		b.Run(mode, func(b *testing.B) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, "orders"), kfake.SeedTopics(3, "profiles"))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			addrs := c.ListenAddrs()
			cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), manualPartitioner(), kgo.ProducerBatchMaxBytes(4<<20))
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			if err := cl.ProduceSync(context.Background(), benchRecords(b, "json", n, parts)...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			var wall, cpu time.Duration
			var txns float64
			b.ResetTimer()
			for i := range b.N {
				ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts"}
				ds.Window.Rotation = time.Minute
				ds.Window.Segments.Columns = []string{"country"}
				ds.Window.FullDataset = true
				group := fmt.Sprintf("g-%d", i)
				var cfg Config
				if mode == "exactly-once" {
					cfg = eosConfig(addrs, group, group, time.Second, nil, ds)
				} else {
					k, err := sink.DialKafka("profiles", sink.KafkaOptions{}, kgo.SeedBrokers(addrs...))
					if err != nil {
						b.Fatal(err)
					}
					defer k.Close()
					cfg = testConfig(addrs, group, SinkPublisher(k, "bench"), ds)
					cfg.CheckpointInterval = time.Second
				}
				cfg.Logger = testLogger()
				cons, err := New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				c0, t0 := processCPU(), time.Now()
				go func() { done <- cons.Run(ctx) }()
				for {
					var com int64
					for _, s := range cons.Stats() {
						com += max(s.Committed, 0)
					}
					if com >= n {
						break
					}
					time.Sleep(2 * time.Millisecond)
				}
				wall += time.Since(t0)
				cpu += processCPU() - c0
				txns += testutilCounter(cons.Metrics().Transactions)
				cancel()
				<-done
			}
			b.StopTimer()
			events := float64(n * b.N)
			b.ReportMetric(events/wall.Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/events, "cpu-ns/event")
			b.ReportMetric(txns/float64(b.N), "txns/run")
		})
	}
}
