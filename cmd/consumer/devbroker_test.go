package main

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The dev broker creates topics on first use and, with a data directory,
// keeps them across restarts.
func TestDevBrokerPersists(t *testing.T) {
	dir := t.TempDir()
	c, err := startDevBroker("127.0.0.1:0", dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("events"), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	g, _ := newOrderGen(1, genStart, time.Second, 0, "json")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := produceEvents(ctx, cl, "events", g, 100); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	c.Close()

	c, err = startDevBroker("127.0.0.1:0", dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err = kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	parts := 0
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset; parts++ })
	if total != 100 || parts != 3 {
		t.Errorf("after restart: %d records in %d partitions, want 100 in 3", total, parts)
	}
}
