package sink_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/kprofiler/kprofiler/sink"
	"github.com/kprofiler/kprofiler/sink/sinktest"
)

var errBackend = errors.New("injected backend failure")

// memoryFixture wraps a Memory; Break and Stall use its interceptor.
func memoryFixture(t *testing.T) sinktest.Fixture {
	m := sink.NewMemory("")
	t.Cleanup(func() { _ = m.Close() })
	return sinktest.Fixture{
		Sink:    m,
		Appends: false,
		Read: func(context.Context) ([]sinktest.Stored, error) {
			var out []sinktest.Stored
			for _, p := range m.Profiles() {
				out = append(out, sinktest.Stored{Key: p.Key, Value: p.Value, Fields: p.Fields(), Copies: 1, AllSame: true})
			}
			return out, nil
		},
		Break: func() {
			m.Intercept(func(context.Context, *sink.Profile) error { return errBackend })
		},
		Stall: func() func() {
			rel := make(chan struct{})
			var once sync.Once
			m.Intercept(func(ctx context.Context, _ *sink.Profile) error {
				select {
				case <-rel:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			return func() { once.Do(func() { close(rel) }) }
		},
	}
}

func TestMemoryConformance(t *testing.T) { sinktest.Run(t, memoryFixture) }

func TestMemoryCopiesValue(t *testing.T) {
	m := sink.NewMemory("m")
	ps := sinktest.Profiles(t, 1, "a")
	want := slices.Clone(ps[0].Value)
	if err := m.Publish(t.Context(), ps); err != nil {
		t.Fatal(err)
	}
	ps[0].Value[0] ^= 0xff
	got, ok := m.Get(ps[0].Key)
	if !ok || !slices.Equal(got.Value, want) {
		t.Fatalf("stored value changed with the caller's buffer")
	}
	if m.Writes() != 1 {
		t.Fatalf("Writes = %d", m.Writes())
	}
}
