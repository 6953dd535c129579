package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

var base = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

func newCluster(t *testing.T, partitions int32, topics ...string) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

func producer(t *testing.T, addrs []string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// orderJSON is one valid test event.
func orderJSON(id int, ts time.Time, country string) []byte {
	b, _ := json.Marshal(map[string]any{
		"event_id": id, "ts": ts.Format(time.RFC3339Nano), "country": country,
		"price": 1.5 + float64(id%17), "qty": id % 5, "user": map[string]any{"vip": id%3 == 0},
	})
	return b
}

// produce writes records to explicit partitions and returns per-partition
// end offsets.
func produce(t *testing.T, cl *kgo.Client, rs []*kgo.Record) map[int32]int64 {
	t.Helper()
	ends := map[int32]int64{}
	res := cl.ProduceSync(context.Background(), rs...)
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		ends[r.Record.Partition] = max(ends[r.Record.Partition], r.Record.Offset+1)
	}
	return ends
}

func manualPartitioner() kgo.Opt { return kgo.RecordPartitioner(kgo.ManualPartitioner()) }

func jsonDataset(topic string, rotation, lateness time.Duration) Dataset {
	return Dataset{
		Name: "orders", Topics: []string{topic}, Format: FormatJSON,
		EventTimeField: "ts", TimeFormat: event.TimeAuto,
		Window: profiler.WindowConfig{Rotation: rotation, AllowedLateness: lateness},
	}
}

func testConfig(addrs []string, group string, pub Publisher, ds ...Dataset) Config {
	return Config{
		Brokers: addrs, Group: group, Datasets: ds, Publisher: pub,
		Logger:         testLogger(),
		CommitInterval: 50 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		ClientOpts: []kgo.Opt{kgo.FetchMaxWait(100 * time.Millisecond), kgo.SessionTimeout(6 * time.Second),
			kgo.HeartbeatInterval(500 * time.Millisecond), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())},
	}
}

type running struct {
	c      *Consumer
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func start(t *testing.T, cfg Config) *running {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: c, cancel: cancel, done: make(chan struct{})}
	go func() { r.err = c.Run(ctx); close(r.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
		}
	})
	return r
}

func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(30 * time.Second):
		t.Fatal("consumer did not stop")
		return nil
	}
}

// waitProcessed waits until the consumers together processed every partition
// up to its end offset.
func waitProcessed(t *testing.T, ends map[int32]int64, rs ...*running) {
	t.Helper()
	waitTopic(t, "orders", ends, rs...)
}

func waitTopic(t *testing.T, topic string, ends map[int32]int64, rs ...*running) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		got := map[int32]int64{}
		for _, r := range rs {
			for _, s := range r.c.Stats() {
				if s.Topic != topic {
					continue
				}
				got[s.Partition] = s.Next
			}
		}
		ok := true
		for p, e := range ends {
			if got[p] < e {
				ok = false
			}
		}
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("not all records processed in time; want %v", ends)
}

// committed returns the group's committed offsets for topic.
func committed(t *testing.T, addrs []string, group, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	os, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	os.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic {
			out[o.Partition] = o.At
		}
	})
	return out
}

// countN sums counts/n of column col over the full-dataset profiles.
func countN(t *testing.T, ps []Profile, col string) int64 {
	t.Helper()
	var n int64
	for _, p := range ps {
		if p.SegmentKey != "" {
			continue
		}
		dp, _, err := whylogs.Read(p.Value)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := dp.Lookup(col)
		if !ok {
			continue
		}
		v, ok := c.Summary().Lookup("counts/n")
		if !ok {
			t.Fatalf("no counts/n in %s", p.Name())
		}
		n += v.Int
	}
	return n
}

func partitionOf(i, n int) int32 { return int32(i % n) }

func key(i int) []byte { return []byte(strconv.Itoa(i)) }

var _ = fmt.Sprint

func testLogger() zerolog.Logger {
	if testing.Verbose() {
		return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"}).With().Timestamp().Logger().Level(zerolog.DebugLevel)
	}
	return zerolog.Nop()
}

func kgoMaxPartitionBytes(n int32) kgo.Opt { return kgo.FetchMaxPartitionBytes(n) }

func benchCluster(b *testing.B, partitions int32) []string {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "orders"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c.ListenAddrs()
}
