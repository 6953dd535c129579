package pipeline

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// A new group starting at the log end commits its start position at once:
// a crash before the first checkpoint then resumes there instead of at the
// new log end, which would skip what was consumed and what came meanwhile.
func TestStartPositionCommittedBeforeFirstCheckpoint(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	pr := producer(t, addrs)
	var old []*kgo.Record
	for i := range 5 {
		old = append(old, &kgo.Record{Value: orderJSON(i, base, "de")})
	}
	produce(t, pr, old)

	pub := NewMemoryPublisher()
	cfg := testConfig(addrs, "g-latest", pub, jsonDataset("orders", time.Hour, 0))
	cfg.ClientOpts = append(cfg.ClientOpts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	a := start(t, cfg)
	deadline := time.Now().Add(30 * time.Second)
	for len(a.c.Stats()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("partition never assigned")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Produce until the consumer takes records: its "latest" position is
	// resolved asynchronously after the assignment.
	id, next := 100, int64(-1)
	for next < 0 {
		if time.Now().After(deadline) {
			t.Fatal("no record consumed")
		}
		produce(t, pr, []*kgo.Record{{Value: orderJSON(id, base.Add(time.Second), "de")}})
		id++
		time.Sleep(100 * time.Millisecond)
		next = a.c.Stats()[0].Next
	}
	firstSeen := a.c.Stats()[0].Next - 1
	var startAt int64
	for {
		if c, ok := committed(t, addrs, "g-latest", "orders")[0]; ok && c >= 5 {
			if c > firstSeen {
				t.Fatalf("committed %d beyond the first consumed offset %d with nothing published", c, firstSeen)
			}
			startAt = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("start position never committed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.c.Abort() // crash before any checkpoint: nothing published
	<-a.done
	if n := countN(t, pub.Profiles(), "event_id"); n != 0 {
		t.Fatalf("the crashed run published %d events", n)
	}

	var later []*kgo.Record
	for i := range 10 {
		later = append(later, &kgo.Record{Value: orderJSON(1000+i, base.Add(2*time.Second), "fr")})
	}
	ends := produce(t, pr, later)
	b := start(t, cfg)
	waitProcessed(t, ends, b)
	if err := b.stop(t); err != nil {
		t.Fatal(err)
	}
	// Everything from the start position on is counted once: the records
	// consumed before the crash (replayed) and the ones produced during the
	// gap.
	want := ends[0] - startAt
	if got := countN(t, pub.Profiles(), "event_id"); got != want {
		t.Fatalf("counts/n = %d, want %d (offsets %d..%d)", got, want, startAt, ends[0]-1)
	}
}
