package pipeline

import (
	"testing"
	"time"
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
