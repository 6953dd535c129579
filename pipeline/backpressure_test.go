package pipeline

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/kprofiler/kprofiler/profiler"
)

func counterValue(c prometheus.Counter) float64 {
	var d dto.Metric
	c.Write(&d)
	return d.Counter.GetValue()
}

// A slow sink makes the worker fall behind: its partition is paused instead
// of buffering without bound, resumed when drained, and nothing is lost.
func TestSlowPartitionIsPaused(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 1500, 1, 2*time.Second))
	pub := NewMemoryPublisher()
	pub.FailWith(func(ctx context.Context, _ []Profile) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0))
	cfg.MaxQueuedRecords = 40
	cfg.PollRecords = 50
	cfg.ClientOpts = append(cfg.ClientOpts, kgoMaxPartitionBytes(2048))
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 1500 {
		t.Errorf("counts/n = %d, want 1500", got)
	}
	if counterValue(r.c.Metrics().Pauses) == 0 {
		t.Error("the partition was never paused")
	}
}

// A sink outage blocks commits (nothing unpublished is committed) and is
// retried until the sink recovers; nothing is lost.
func TestSinkOutageBlocksCommits(t *testing.T) {
	addrs := newCluster(t, 2, "orders")
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 600, 2, time.Second))
	pub := NewMemoryPublisher()
	var down atomic.Bool
	down.Store(true)
	pub.FailWith(func(ctx context.Context, _ []Profile) error {
		if down.Load() {
			return errors.New("sink down")
		}
		return nil
	})
	r := start(t, testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0)))
	waitProcessed(t, ends, r)
	time.Sleep(300 * time.Millisecond)
	for p, o := range committed(t, addrs, "g", "orders") {
		if o > 0 {
			t.Errorf("partition %d committed %d during the sink outage", p, o)
		}
	}
	if counterValue(r.c.Metrics().SinkErrors) == 0 {
		t.Error("no sink errors counted")
	}
	down.Store(false)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 600 {
		t.Errorf("counts/n = %d, want 600", got)
	}
}

// When the sink stays down, shutdown gives up after ShutdownTimeout and
// commits nothing it could not publish.
func TestShutdownTimeoutCommitsNothingUnpublished(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 100, 1, time.Second))
	pub := NewMemoryPublisher()
	pub.FailWith(func(context.Context, []Profile) error { return errors.New("sink down") })
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0))
	cfg.ShutdownTimeout = 500 * time.Millisecond
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	t0 := time.Now()
	if err := r.stop(t); !errors.Is(err, ErrShutdownTimeout) {
		t.Fatalf("Run = %v, want ErrShutdownTimeout", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if o := committed(t, addrs, "g", "orders")[0]; o > 0 {
		t.Errorf("committed %d without publishing", o)
	}
}

// Segments beyond the per-window cap go to the overflow segment, counted.
func TestSegmentOverflow(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	cl := manualClient(t, addrs)
	var rs = jsonRecords(0, 90, 1, 100*time.Millisecond)
	countries := []string{"DE", "FR", "US"}
	for i, r := range rs {
		r.Value = orderJSON(i, base.Add(time.Duration(i)*100*time.Millisecond), countries[i%3])
	}
	ends := produce(t, cl, rs)
	pub := NewMemoryPublisher()
	ds := jsonDataset("orders", time.Minute, 0)
	ds.Window.Segments = profiler.Segmentation{Columns: []string{"country"}}
	ds.Window.MaxSegments = 2
	r := start(t, testConfig(addrs, "g", pub, ds))
	waitProcessed(t, ends, r)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	var overflow, total int64
	for _, p := range pub.Profiles() {
		total += p.Records
		if p.SegmentKey == profiler.OverflowSegmentKey {
			overflow += p.Records
		}
	}
	if overflow != 30 || total != 90 {
		t.Errorf("overflow %d of %d records, want 30 of 90", overflow, total)
	}
	if got := testutilCounter(r.c.Metrics().OverflowRecords); got != 30 {
		t.Errorf("overflow metric %v, want 30", got)
	}
}

// A second stop (Abort) during a drain that is stuck on the sink returns at
// once and commits nothing unpublished.
func TestAbortDuringDrain(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 50, 1, 2*time.Second)) // windows [0,60s) and [60s,100s)
	pub := NewMemoryPublisher()
	var blocking atomic.Bool
	pub.FailWith(func(ctx context.Context, _ []Profile) error {
		if blocking.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0))
	cfg.ShutdownTimeout = time.Minute
	cfg.CheckpointEveryRecords = 30 // a full-flush point at offset 30 (Rule C)
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	deadline := time.Now().Add(10 * time.Second)
	for committed(t, addrs, "g", "orders")[0] != 30 { // the first window is published (checkpoint) and committed
		if time.Now().After(deadline) {
			t.Fatalf("first window not committed: %v", committed(t, addrs, "g", "orders"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	blocking.Store(true)
	r.cancel() // first signal: drain, stuck publishing
	time.Sleep(200 * time.Millisecond)
	t0 := time.Now()
	r.c.Abort() // second signal
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Abort did not stop the drain")
	}
	if !errors.Is(r.err, ErrAborted) {
		t.Errorf("Run = %v, want ErrAborted", r.err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("abort took %v", d)
	}
	if o := committed(t, addrs, "g", "orders")[0]; o != 30 {
		t.Errorf("committed %d after abort, want 30 (the last full-flush point)", o)
	}
}
