package pipeline

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A member whose group session is lost (the coordinator forgets it) drops
// its open windows without committing, rejoins, and replays from the last
// commit: nothing is lost and the replayed profiles are identical.
func TestLostPartitionsReplay(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addrs := c.ListenAddrs()
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 600, 2, 500*time.Millisecond))
	pub := NewMemoryPublisher()
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0))
	cfg.CheckpointEveryRecords = 70 // commits at 70, 140, 210, 280 of each partition's 300 (Rule C)
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok := len(r.c.Stats()) == 2
		for _, s := range r.c.Stats() {
			if s.Committed <= 0 {
				ok = false
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no commit")
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := committed(t, addrs, "g", "orders")
	writes := pub.Writes()
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Heartbeat}, Err: kerr.UnknownMemberID, TopLevel: true})
	deadline = time.Now().Add(20 * time.Second)
	for testutilCounter(r.c.Metrics().Rebalances) < 3 || len(r.c.Stats()) != 2 { // assigned, lost, assigned
		if time.Now().After(deadline) {
			t.Fatalf("no loss and reassignment: rebalances %v", testutilCounter(r.c.Metrics().Rebalances))
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitProcessed(t, ends, r)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 600 {
		t.Errorf("counts/n = %d, want 600", got)
	}
	if pub.Changed() != 0 {
		t.Errorf("%d replayed profiles differ", pub.Changed())
	}
	if pub.Writes() <= writes {
		t.Errorf("nothing was replayed after the loss")
	}
	after := committed(t, addrs, "g", "orders")
	for p, e := range ends {
		if after[p] != e || before[p] >= e {
			t.Errorf("partition %d: committed %d before the loss, %d at the end, want < %d then %d", p, before[p], after[p], e, e)
		}
	}
	t.Logf("lost metric: %v", testutilCounter(r.c.Metrics().Rebalances))
}
