package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/profiler"
)

// Checkpoints publish open windows as partials at offsets that depend only
// on the records ((offset+1) % n == 0), so commits advance inside a long
// window and a replay cuts the same partials.
func TestCheckpointsAtDeterministicOffsets(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 300, 1, 10*time.Millisecond))
	pub := NewMemoryPublisher()
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Hour, 0))
	cfg.CheckpointEveryRecords = 100
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	deadline := time.Now().Add(10 * time.Second)
	for committed(t, addrs, "g", "orders")[0] != 300 {
		if time.Now().After(deadline) {
			t.Fatalf("commits did not reach 300 inside the open window: %v", committed(t, addrs, "g", "orders"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	ps := pub.Profiles()
	if len(ps) != 3 {
		t.Fatalf("got %d profiles, want 3 checkpoints", len(ps))
	}
	for i, p := range ps {
		if p.FirstOffset != int64(100*i) || p.Records != 100 || p.Kind.String() != "flushed" {
			t.Errorf("checkpoint %d: first %d records %d kind %v", i, p.FirstOffset, p.Records, p.Kind)
		}
	}
}

// A wall-clock checkpoint publishes an idle partition's open window as a
// partial, so its commit reaches the end without new event time.
func TestCheckpointIntervalOnIdlePartition(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 20, 1, time.Second))
	pub := NewMemoryPublisher()
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Hour, 0))
	cfg.CheckpointInterval = 200 * time.Millisecond
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	deadline := time.Now().Add(10 * time.Second)
	for committed(t, addrs, "g", "orders")[0] != 20 {
		if time.Now().After(deadline) {
			t.Fatal("the idle partition's open window was never checkpointed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 20 {
		t.Errorf("counts/n = %d, want 20", got)
	}
}

// Rule C: a closed window published between checkpoints does not move the
// committable offset. Here window [0,60s) closes holding offsets 0 and 2
// while window [60s,120s) still holds offset 1. Committing 1 (the lowest
// held offset, the old rule) would make a restart replay offset 2 into a
// second profile of [0,60s) with first offset 2: counted twice. Nothing may
// be committed until a full flush, and the restarted consumer counts every
// record exactly once.
func TestClosedWindowDoesNotAdvanceCommit(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	var rs []*kgo.Record
	for i, d := range []time.Duration{10 * time.Second, 70 * time.Second, 20 * time.Second, 100 * time.Second} {
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: 0, Value: orderJSON(i, base.Add(d), "DE")})
	}
	ends := produce(t, manualClient(t, addrs), rs)
	pub := NewMemoryPublisher()
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 30*time.Second))
	a := start(t, cfg)
	waitProcessed(t, ends, a)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := pub.Wait(ctx, func(ps []Profile) bool {
		for _, p := range ps {
			if p.Window.Start.Equal(base) && p.FirstOffset == 0 && p.LastOffset == 2 && p.Records == 2 && p.Kind == profiler.Closed {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("window [0,60s) with offsets 0 and 2 was not published: %+v", pub.Profiles())
	}
	time.Sleep(10 * cfg.CommitInterval) // commit cycles pass
	// The only full-flush point so far is the start position (offset 0,
	// committed at once so that a crash resumes there).
	for _, s := range a.c.Stats() {
		if s.Committable != 0 || s.Committed > 0 {
			t.Errorf("partition %d: committable %d committed %d after a closed window only, want 0 (the start; no full flush yet)",
				s.Partition, s.Committable, s.Committed)
		}
	}
	if c, ok := committed(t, addrs, "g", "orders")[0]; ok && c != 0 {
		t.Errorf("offset %d committed before any full flush", c)
	}
	a.c.Abort() // crash: the open window [60s,120s) is lost, nothing committed
	<-a.done
	b := start(t, cfg)
	waitProcessed(t, ends, b)
	if err := b.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 4 {
		t.Errorf("counts/n = %d after the restart, want 4 (each record once): %d profiles", got, len(pub.Profiles()))
	}
	if pub.Changed() != 0 {
		t.Errorf("%d replayed profiles differ", pub.Changed())
	}
	if c := committed(t, addrs, "g", "orders")[0]; c != 4 {
		t.Errorf("committed %d after the drain, want 4", c)
	}
}

// Rule C with checkpoints: the committable offset only ever takes values
// that are full-flush points, here multiples of CheckpointEveryRecords (or
// the end, after the drain), although windows close in between.
func TestCommitsOnlyAtCheckpoints(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	produce(t, manualClient(t, addrs), jsonRecords(0, 250, 1, 2*time.Second)) // 30 records per minute window
	pub := NewMemoryPublisher()
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0))
	cfg.CheckpointEveryRecords = 100
	r := start(t, cfg)
	seen := map[int64]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, s := range r.c.Stats() {
			seen[s.Committable] = true
		}
		if s := r.c.Stats(); len(s) == 1 && s[0].Next == 250 && s[0].Committed == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not processed and committed to 200: %+v", r.c.Stats())
		}
		time.Sleep(2 * time.Millisecond)
	}
	var closed int
	for _, p := range pub.Profiles() {
		if p.Kind == profiler.Closed {
			closed++
		}
	}
	if closed < 6 {
		t.Errorf("%d closed windows published, want at least 6", closed)
	}
	for o := range seen {
		if o != -1 && o != 0 && o != 100 && o != 200 { // 0: the start position
			t.Errorf("committable offset %d is not a checkpoint offset", o)
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if c := committed(t, addrs, "g", "orders")[0]; c != 250 {
		t.Errorf("committed %d after the drain, want 250", c)
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 250 {
		t.Errorf("counts/n = %d, want 250", got)
	}
}
