package sink_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/kprofiler/kprofiler/sink"
	"github.com/kprofiler/kprofiler/sink/sinktest"
)

// Multi over a memory sink and a memblob sink passes the suite: reads come
// from the memblob side, Break and Stall act on the memory side, so an
// error or a hang in either sink must reach the caller.
func TestMultiConformance(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Fixture {
		mem := memoryFixture(t)
		b, err := blob.OpenBucket(t.Context(), "mem://")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		bs, err := sink.NewBlob(b, sink.BlobOptions{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := sink.NewMulti(mem.Sink, bs)
		if err != nil {
			t.Fatal(err)
		}
		return sinktest.Fixture{
			Sink: m, Read: readBucket(b, ""), ContentType: sink.DefaultContentType,
			Break: mem.Break, Stall: mem.Stall,
		}
	})
}

func TestMultiConfirmsOnlyWhenAll(t *testing.T) {
	a, b := sink.NewMemory("a"), sink.NewMemory("b")
	m, err := sink.NewMulti(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "multi(a,b)" {
		t.Errorf("Name = %q", m.Name())
	}
	ps := sinktest.Profiles(t, 3, "a")
	b.Intercept(func(_ context.Context, p *sink.Profile) error {
		if p.Key == ps[1].Key {
			return errBackend
		}
		return nil
	})
	err = m.Publish(t.Context(), ps)
	if !errors.Is(err, errBackend) {
		t.Fatalf("Publish = %v, want the failing sink's error", err)
	}
	if !strings.Contains(err.Error(), "sink b:") || strings.Contains(err.Error(), "sink a:") {
		t.Errorf("error %q should name sink b only", err)
	}
	if keys, ok := sink.FailedKeys(err); !ok || !slices.Equal(keys, []string{ps[1].Key}) {
		t.Errorf("FailedKeys = %q, %v", keys, ok)
	}
	if len(a.Profiles()) != 3 || len(b.Profiles()) != 2 {
		t.Errorf("a holds %d, b holds %d", len(a.Profiles()), len(b.Profiles()))
	}
	if _, err := sink.NewMulti(); !errors.Is(err, sink.ErrInvalidArgument) {
		t.Errorf("NewMulti() = %v", err)
	}
	if _, err := sink.NewMulti(a, sink.NewMemory("a")); !errors.Is(err, sink.ErrInvalidArgument) {
		t.Errorf("duplicate names accepted: %v", err)
	}
}

func TestRetryRepublishesOnlyFailedKeys(t *testing.T) {
	m := sink.NewMemory("m")
	ps := sinktest.Profiles(t, 4, "a")
	var calls sync.Map // key → attempts
	m.Intercept(func(_ context.Context, p *sink.Profile) error {
		n, _ := calls.LoadOrStore(p.Key, new(atomic.Int32))
		if c := n.(*atomic.Int32).Add(1); p.Key == ps[2].Key && c < 3 {
			return errBackend
		}
		return nil
	})
	var retries []int
	r := sink.Retry(m, sink.RetryPolicy{Initial: time.Millisecond, OnRetry: func(a int, _ time.Duration, _ error) { retries = append(retries, a) }})
	if err := r.Publish(t.Context(), ps); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(retries, []int{1, 2}) {
		t.Errorf("retries %v, want [1 2]", retries)
	}
	for i, p := range ps {
		n, _ := calls.Load(p.Key)
		want := int32(1)
		if i == 2 {
			want = 3
		}
		if got := n.(*atomic.Int32).Load(); got != want {
			t.Errorf("profile %d written %d times, want %d", i, got, want)
		}
	}
	if len(m.Profiles()) != 4 {
		t.Errorf("%d stored", len(m.Profiles()))
	}
}

func TestRetryStopsOnPermanentAndMaxAttempts(t *testing.T) {
	m := sink.NewMemory("m")
	var n atomic.Int32
	m.Intercept(func(context.Context, *sink.Profile) error { n.Add(1); return sink.Permanent(errBackend) })
	r := sink.Retry(m, sink.RetryPolicy{Initial: time.Millisecond})
	err := r.Publish(t.Context(), sinktest.Profiles(t, 1, "a"))
	if !errors.Is(err, errBackend) || !sink.IsPermanent(err) || n.Load() != 1 {
		t.Fatalf("permanent error: %v after %d attempts", err, n.Load())
	}
	n.Store(0)
	m.Intercept(func(context.Context, *sink.Profile) error { n.Add(1); return errBackend })
	r = sink.Retry(m, sink.RetryPolicy{Initial: time.Millisecond, MaxAttempts: 4})
	if err := r.Publish(t.Context(), sinktest.Profiles(t, 1, "a")); !errors.Is(err, errBackend) || n.Load() != 4 {
		t.Fatalf("MaxAttempts 4: %v after %d attempts", err, n.Load())
	}
	// Closed sinks are not retried.
	_ = m.Close()
	if err := r.Publish(t.Context(), sinktest.Profiles(t, 1, "a")); !errors.Is(err, sink.ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
}

func TestRetryDelay(t *testing.T) {
	p := sink.RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second, Jitter: 0.5}
	for n, base := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		base *= time.Millisecond
		for range 50 {
			d := p.Delay(n + 1)
			if d < base/2 || d > base*3/2 {
				t.Fatalf("Delay(%d) = %v outside [%v, %v]", n+1, d, base/2, base*3/2)
			}
		}
	}
	if d := (sink.RetryPolicy{}).Delay(1); d < 80*time.Millisecond || d > 120*time.Millisecond {
		t.Errorf("default first delay %v, want 100ms ± 20%%", d)
	}
	if d := (sink.RetryPolicy{Jitter: -1}).Delay(100); d != 10*time.Second {
		t.Errorf("default cap %v, want 10s", d)
	}
}

func TestInstrument(t *testing.T) {
	m := sink.NewMemory("m")
	var events []sink.PublishEvent
	s := sink.Instrument(m, sink.MetricsFunc(func(e sink.PublishEvent) { events = append(events, e) }))
	ps := sinktest.Profiles(t, 3, "a")
	if err := s.Publish(t.Context(), ps); err != nil {
		t.Fatal(err)
	}
	m.Intercept(func(context.Context, *sink.Profile) error { return errBackend })
	_ = s.Publish(t.Context(), ps[:1])
	if len(events) != 2 {
		t.Fatalf("%d events", len(events))
	}
	var bytes int64
	for _, p := range ps {
		bytes += int64(len(p.Value))
	}
	e := events[0]
	if e.Sink != "m" || e.Profiles != 3 || e.Bytes != bytes || e.Err != nil || e.Latency < 0 {
		t.Errorf("event %+v", e)
	}
	if e := events[1]; !errors.Is(e.Err, errBackend) || e.Profiles != 1 || e.Bytes != int64(len(ps[0].Value)) {
		t.Errorf("failure event %+v", e)
	}
	if s.Name() != "m" || s.Unwrap() != m {
		t.Error("Name/Unwrap")
	}
}

func TestFailedKeys(t *testing.T) {
	k := func(key string) error { return &sink.KeyError{Sink: "s", Key: key, Err: errBackend} }
	keys, ok := sink.FailedKeys(errors.Join(k("a"), errors.Join(k("b"), k("a"))))
	if !ok || !slices.Equal(keys, []string{"a", "b"}) {
		t.Errorf("FailedKeys = %q, %v", keys, ok)
	}
	if _, ok := sink.FailedKeys(errors.Join(k("a"), context.Canceled)); ok {
		t.Error("a batch-wide error must make ok false")
	}
	if keys, ok := sink.FailedKeys(nil); !ok || keys != nil {
		t.Error("nil error")
	}
}
