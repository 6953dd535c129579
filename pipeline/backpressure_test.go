package pipeline

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kgo"

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

// backpressureStep decides from the work each worker has ahead: records
// taken but not processed count as much as queued ones (a worker that just
// took its queue is not hungry), bytes bound the queue as records do, and
// only a queue at twice a limit, or at a limit with a stalled worker or
// after the wait, gets its partition paused.
func TestBackpressureStep(t *testing.T) {
	addrs := newCluster(t, 2, "orders")
	cfg := testConfig(addrs, "g", NewMemoryPublisher(), jsonDataset("orders", time.Minute, 0))
	cfg.MaxQueuedRecords, cfg.MaxQueuedBytes = 100, 1000
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// No group: the rebalance callbacks must never see the fake workers.
	c.cl.Close()
	if c.cl, err = kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics("orders")); err != nil {
		t.Fatal(err)
	}
	defer c.cl.Close()
	a := &worker{c: c, topic: "orders", partition: 0}
	b := &worker{c: c, topic: "orders", partition: 1}
	a.cond, b.cond = sync.NewCond(&a.mu), sync.NewCond(&b.mu)
	c.workers[tp{"orders", 0}], c.workers[tp{"orders", 1}] = a, b
	queue := func(w *worker, n, bytes int) {
		w.queue, w.queuedBytes = make([]*kgo.Record, n), bytes
	}
	for _, tc := range []struct {
		name                   string
		aq, ab, ai, bq, bb, bi int
		stalled, late          bool
		poll, pauseA, pauseB   bool
	}{
		{name: "both idle", poll: true},
		{name: "a has a limit queued, b little", aq: 100, bq: 10, poll: true},
		{name: "a queued, b took a limit's worth", aq: 100, bi: 100, poll: false},
		{name: "a queued, b has a limit ahead in parts", aq: 100, bq: 40, bi: 60, poll: false},
		{name: "b one record short of a limit", aq: 100, bq: 40, bi: 59, poll: true},
		{name: "a at twice the records", aq: 200, bq: 10, poll: true, pauseA: true},
		{name: "a at the byte limit is busy", aq: 1, ab: 1000, bi: 100, poll: false},
		{name: "a at twice the bytes", aq: 1, ab: 2000, poll: true, pauseA: true},
		{name: "stalled worker at a limit", aq: 100, stalled: true, poll: true, pauseA: true},
		{name: "stalled worker at the byte limit", aq: 2, ab: 1000, stalled: true, poll: true, pauseA: true},
		{name: "stalled worker below the limits", aq: 99, ab: 999, stalled: true, poll: true},
		{name: "late: full queues paused", aq: 100, bq: 150, late: true, poll: true, pauseA: true, pauseB: true},
		{name: "late: work taken is not paused", ai: 100, bi: 100, late: true, poll: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range []*worker{a, b} {
				w.paused, w.stalled = false, false
			}
			c.cl.ResumeFetchPartitions(map[string][]int32{"orders": {0, 1}})
			queue(a, tc.aq, tc.ab)
			queue(b, tc.bq, tc.bb)
			a.inflight, b.inflight, a.stalled = tc.ai, tc.bi, tc.stalled
			if got := c.backpressureStep(tc.late); got != tc.poll {
				t.Errorf("poll = %v, want %v", got, tc.poll)
			}
			if a.paused != tc.pauseA || b.paused != tc.pauseB {
				t.Errorf("paused a=%v b=%v, want a=%v b=%v", a.paused, b.paused, tc.pauseA, tc.pauseB)
			}
			paused := c.cl.PauseFetchPartitions(nil)["orders"]
			if want := tc.pauseA || tc.pauseB; (len(paused) > 0) != want {
				t.Errorf("client paused %v", paused)
			}
		})
	}
}

// The queue's byte count follows what was enqueued and is reset when the
// worker takes its queue; recordBytes counts key, value and headers.
func TestQueuedBytes(t *testing.T) {
	r := &kgo.Record{Key: []byte("k1"), Value: make([]byte, 100), Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("vv")}}}
	if got := recordBytes(r); got != 105 {
		t.Fatalf("recordBytes = %d, want 105", got)
	}
	w := &worker{}
	w.cond = sync.NewCond(&w.mu)
	w.enqueue([]*kgo.Record{r, r})
	w.enqueue([]*kgo.Record{{Value: make([]byte, 7)}})
	if w.queuedBytes != 217 || len(w.queue) != 3 {
		t.Errorf("queued %d records, %d bytes; want 3, 217", len(w.queue), w.queuedBytes)
	}
}
