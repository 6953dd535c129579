package sink_test

import (
	"context"
	"fmt"
	"time"

	"github.com/kprofiler/kprofiler/sink"
)

// Example wires the pieces the pipeline uses: a backend sink, wrapped in a
// metrics hook and a retry decorator, publishing one profile under its
// deterministic key.
func Example() {
	ctx := context.Background()
	backend, err := sink.OpenBlob(ctx, "mem://", sink.BlobOptions{Prefix: "profiles"})
	if err != nil {
		panic(err)
	}
	var published int
	s := sink.Retry(sink.Instrument(backend, sink.MetricsFunc(func(e sink.PublishEvent) {
		if e.Err == nil {
			published += e.Profiles
		}
	})), sink.RetryPolicy{Initial: 100 * time.Millisecond, Max: 10 * time.Second})
	defer s.Close()

	start := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	id := sink.Identity{Dataset: "orders", WindowStart: start, Topic: "events", Partition: 0, FirstOffset: 0}
	key, err := sink.Key(id)
	if err != nil {
		panic(err)
	}
	p := sink.Profile{
		Key: key, Value: []byte("WHY1..."), Dataset: "orders",
		WindowStart: start, WindowEnd: start.Add(time.Minute),
		Topic: "events", FirstOffset: 0, LastOffset: 41, Kind: sink.KindFinal, Version: "dev",
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := s.Publish(ctx, []sink.Profile{p}); err != nil {
		panic(err) // the pipeline would not commit, and retry later
	}
	ok, _ := backend.Bucket().Exists(ctx, backend.ObjectKey(key))
	fmt.Println(published, ok)
	// Output: 1 true
}
