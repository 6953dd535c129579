package sink

import (
	"context"
	"time"
)

// PublishEvent describes one Publish call, as seen by Metrics.
type PublishEvent struct {
	Sink     string        // Name() of the sink
	Profiles int           // profiles in the batch
	Bytes    int64         // sum of len(Value) over the batch
	Latency  time.Duration // time Publish took
	Err      error         // nil when every profile was confirmed
}

// Metrics receives one event per Publish. Implementations must be safe for
// concurrent use and fast (they run on the publishing goroutine). The
// pipeline adapts it to Prometheus; this package imports no metrics library.
type Metrics interface {
	ObservePublish(PublishEvent)
}

// MetricsFunc adapts a function to Metrics.
type MetricsFunc func(PublishEvent)

// ObservePublish calls f(e).
func (f MetricsFunc) ObservePublish(e PublishEvent) { f(e) }

// Instrumented is a Sink decorator that reports every Publish to a Metrics.
type Instrumented struct {
	next Sink
	m    Metrics
	now  func() time.Time
}

// Instrument wraps s so that every Publish (empty batches included) is
// reported to m. Wrap the Retrying sink to observe whole publishes, or the
// backend sink to observe every attempt.
func Instrument(s Sink, m Metrics) *Instrumented {
	return &Instrumented{next: s, m: m, now: time.Now}
}

// Name returns the wrapped sink's name.
func (s *Instrumented) Name() string { return s.next.Name() }

// Close closes the wrapped sink.
func (s *Instrumented) Close() error { return s.next.Close() }

// Unwrap returns the wrapped sink.
func (s *Instrumented) Unwrap() Sink { return s.next }

// Publish publishes and reports the outcome.
func (s *Instrumented) Publish(ctx context.Context, profiles []Profile) error {
	start := s.now()
	err := s.next.Publish(ctx, profiles)
	var n int64
	for i := range profiles {
		n += int64(len(profiles[i].Value))
	}
	s.m.ObservePublish(PublishEvent{
		Sink:     s.next.Name(),
		Profiles: len(profiles),
		Bytes:    n,
		Latency:  s.now().Sub(start),
		Err:      err,
	})
	return err
}

// Reconcile forwards to the wrapped sink when it is a Reconciler (nil
// otherwise); it is not reported to the Metrics.
func (s *Instrumented) Reconcile(ctx context.Context, topic string, partition int32, resumeOffset int64) error {
	if rc, ok := s.next.(Reconciler); ok {
		return rc.Reconcile(ctx, topic, partition, resumeOffset)
	}
	return nil
}

// Prune forwards to the wrapped sink when it is a Pruner (nil otherwise).
func (s *Instrumented) Prune(ctx context.Context, topic string, partition int32, committedOffset int64) error {
	if p, ok := s.next.(Pruner); ok {
		return p.Prune(ctx, topic, partition, committedOffset)
	}
	return nil
}
