package pipeline

import (
	"net"
	"testing"
	"time"
)

// Ready is false while no broker answers (the poll loop polls, but the group
// was never joined), true once the group is joined, and false again while
// the consumer drains.
func TestReadyNeedsTheGroup(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there any more
	r := start(t, testConfig([]string{dead}, "g", NewMemoryPublisher(), jsonDataset("orders", time.Minute, 0)))
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if r.c.ready.Load() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !r.c.ready.Load() {
		t.Fatal("the poll loop never polled")
	}
	time.Sleep(300 * time.Millisecond)
	if r.c.Ready() {
		t.Error("ready without a reachable broker")
	}
	r.stop(t)

	addrs := newCluster(t, 2, "orders")
	r = start(t, testConfig(addrs, "g", NewMemoryPublisher(), jsonDataset("orders", time.Minute, 0)))
	deadline = time.Now().Add(20 * time.Second)
	for !r.c.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("not ready after joining the group")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.c.draining.Store(true) // what Run does first when its context ends
	if r.c.Ready() {
		t.Error("ready while draining")
	}
	r.c.draining.Store(false)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}
