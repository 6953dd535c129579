package sinktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/sink"
)

// Stored is what a backend holds under one key, as read back by a Fixture.
type Stored struct {
	Key    string
	Value  []byte       // the latest copy's bytes
	Fields []sink.Field // the latest copy's metadata (blob) or headers (Kafka)
	// ContentType of the object ("" when the backend has none, e.g. Kafka).
	ContentType string
	// Copies is how many physical copies exist under the key: 1 for stores
	// that overwrite, the number of records with that key for Kafka.
	Copies int
	// AllSame reports whether every copy has the same value bytes.
	AllSame bool
}

// Fixture is one fresh sink over a fresh, empty backend.
type Fixture struct {
	Sink sink.Sink
	// Read returns everything the backend holds, one entry per key.
	Read func(ctx context.Context) ([]Stored, error)
	// Break makes every later write fail with a backend error that is not
	// a context error (for example: the store answers 403, the broker
	// rejects produce requests, the bucket is closed underneath).
	Break func()
	// Stall, when non-nil, makes later writes hang until ctx ends or the
	// returned release is called. Backends that cannot stall leave it nil
	// and the stall test is skipped for them.
	Stall func() (release func())
	// Appends is true for log-structured backends (Kafka): a republished
	// key adds a copy instead of replacing it.
	Appends bool
	// ContentType is the content type objects must carry ("" to not check).
	ContentType string
}

// Factory creates a fresh Fixture; it registers its cleanups with t.
type Factory func(t *testing.T) Fixture

// timeout bounds every backend operation of the suite.
const timeout = 30 * time.Second

// prompt is how soon Publish must return after its ctx ends. It is a
// behaviour bound (the call must not wait for the backend), not a speed
// target: a correct sink returns within milliseconds.
const prompt = 5 * time.Second

// Run runs the conformance suite against sinks made by newFixture. Every
// sink must pass it; each subtest gets a fresh fixture.
func Run(t *testing.T, newFixture Factory) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newFixture(t)) })
	t.Run("RepublishIsIdempotent", func(t *testing.T) { testRepublish(t, newFixture(t)) })
	t.Run("LatestWriteWins", func(t *testing.T) { testLatestWins(t, newFixture(t)) })
	t.Run("EmptyBatchIsNoOp", func(t *testing.T) { testEmpty(t, newFixture(t)) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelled(t, newFixture(t)) })
	t.Run("StalledBackendHonoursContext", func(t *testing.T) { testStall(t, newFixture(t)) })
	t.Run("BackendErrorsSurface", func(t *testing.T) { testBroken(t, newFixture(t)) })
	t.Run("InvalidProfileRejected", func(t *testing.T) { testInvalid(t, newFixture(t)) })
	t.Run("ConcurrentPublish", func(t *testing.T) { testConcurrent(t, newFixture(t)) })
	t.Run("CloseIsIdempotent", func(t *testing.T) { testClose(t, newFixture(t)) })
}

// Profiles returns n distinct valid profiles with keys built by sink.Key,
// varied datasets, segments (including unicode, separators and the empty
// segment), kinds and value sizes. tag varies the values so two calls with
// different tags give the same keys but different bytes.
func Profiles(t testing.TB, n int, tag string) []sink.Profile {
	t.Helper()
	base := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	segs := [][]sink.Tag{
		nil,
		{{Key: "country", Value: "DE"}},
		{{Key: "country", Value: "Côte d'Ivoire"}, {Key: "device", Value: "a/b,c=d%~"}},
		{{Key: "k", Value: ""}, {Key: "..", Value: "."}},
	}
	out := make([]sink.Profile, n)
	for i := range out {
		ds := "orders"
		if i%3 == 1 {
			ds = "päyments/eu"
		}
		id := sink.Identity{
			Dataset:     ds,
			WindowStart: base.Add(time.Duration(i/4) * time.Minute),
			Segment:     segs[i%len(segs)],
			Topic:       "events.v1",
			Partition:   int32(i % 3),
			FirstOffset: int64(1000 * i),
		}
		key, err := sink.Key(id)
		if err != nil {
			t.Fatalf("Key(%+v): %v", id, err)
		}
		size := 64 + 97*i
		if i == 1 {
			size = 200 << 10 // one larger profile
		}
		val := make([]byte, size)
		for j := range val {
			val[j] = byte(j*31 + i + len(tag)*7)
		}
		copy(val, fmt.Sprintf("WHY1-%s-%d", tag, i))
		out[i] = sink.Profile{
			Key:         key,
			Value:       val,
			Dataset:     ds,
			WindowStart: id.WindowStart,
			WindowEnd:   id.WindowStart.Add(time.Minute),
			Segment:     id.Segment,
			Topic:       id.Topic,
			Partition:   id.Partition,
			FirstOffset: id.FirstOffset,
			LastOffset:  id.FirstOffset + int64(i),
			Kind:        sink.Kind(i % 3),
			Version:     "v0.1.0-test",
		}
	}
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}

func read(t *testing.T, f Fixture) map[string]Stored {
	t.Helper()
	got, err := f.Read(ctxT(t))
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	m := make(map[string]Stored, len(got))
	for _, s := range got {
		if _, dup := m[s.Key]; dup {
			t.Fatalf("Read returned key %q twice", s.Key)
		}
		m[s.Key] = s
	}
	return m
}

// checkStored asserts that the backend holds exactly want (by key), with
// equal bytes and descriptive fields.
func checkStored(t *testing.T, f Fixture, got map[string]Stored, want []sink.Profile) {
	t.Helper()
	if len(got) != len(want) {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Fatalf("backend holds %d keys %q, want %d", len(got), keys, len(want))
	}
	for i := range want {
		p := &want[i]
		s, ok := got[p.Key]
		if !ok {
			t.Errorf("key %q missing", p.Key)
			continue
		}
		if !bytes.Equal(s.Value, p.Value) {
			t.Errorf("key %q: stored %d bytes differ from the %d published", p.Key, len(s.Value), len(p.Value))
		}
		if !s.AllSame {
			t.Errorf("key %q: copies differ", p.Key)
		}
		if f.ContentType != "" && s.ContentType != f.ContentType {
			t.Errorf("key %q: content type %q, want %q", p.Key, s.ContentType, f.ContentType)
		}
		back, err := sink.ParseFields(s.Fields)
		if err != nil {
			t.Errorf("key %q: parsing stored fields %v: %v", p.Key, s.Fields, err)
			continue
		}
		wantDesc := *p
		wantDesc.Key, wantDesc.Value = "", nil
		wantDesc.WindowStart, wantDesc.WindowEnd = p.WindowStart.UTC(), p.WindowEnd.UTC()
		if len(wantDesc.Segment) == 0 {
			wantDesc.Segment = nil
		}
		if !reflect.DeepEqual(back, wantDesc) {
			t.Errorf("key %q: stored fields decode to\n%+v\nwant\n%+v", p.Key, back, wantDesc)
		}
	}
}

func testRoundTrip(t *testing.T, f Fixture) {
	ps := Profiles(t, 12, "a")
	if err := f.Sink.Publish(ctxT(t), ps); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := read(t, f)
	checkStored(t, f, got, ps)
	for _, p := range ps {
		if s := got[p.Key]; s.Copies != 1 {
			t.Errorf("key %q: %d copies after one publish", p.Key, s.Copies)
		}
	}
}

func testRepublish(t *testing.T, f Fixture) {
	ps := Profiles(t, 8, "a")
	const rounds = 3
	for r := range rounds {
		if err := f.Sink.Publish(ctxT(t), ps); err != nil {
			t.Fatalf("Publish round %d: %v", r, err)
		}
	}
	got := read(t, f)
	checkStored(t, f, got, ps) // one entry per key, same bytes in every copy
	for _, p := range ps {
		s := got[p.Key]
		switch {
		case !f.Appends && s.Copies != 1:
			t.Errorf("key %q: %d objects after %d publishes, want 1", p.Key, s.Copies, rounds)
		case f.Appends && (s.Copies < 1 || s.Copies > rounds):
			// Duplicate bound: at most one copy per successful publish.
			t.Errorf("key %q: %d records after %d publishes, want 1..%d", p.Key, s.Copies, rounds, rounds)
		}
	}
}

func testLatestWins(t *testing.T, f Fixture) {
	old := Profiles(t, 4, "old")
	cur := Profiles(t, 4, "new!")
	if bytes.Equal(old[0].Value, cur[0].Value) || old[0].Key != cur[0].Key {
		t.Fatal("test data: want same keys, different values")
	}
	if err := f.Sink.Publish(ctxT(t), old); err != nil {
		t.Fatalf("Publish old: %v", err)
	}
	if err := f.Sink.Publish(ctxT(t), cur); err != nil {
		t.Fatalf("Publish new: %v", err)
	}
	got := read(t, f)
	for i := range cur {
		s := got[cur[i].Key]
		if !bytes.Equal(s.Value, cur[i].Value) {
			t.Errorf("key %q: latest copy is not the last published value", cur[i].Key)
		}
	}
	if len(got) != len(cur) {
		t.Errorf("backend holds %d keys, want %d", len(got), len(cur))
	}
}

func testEmpty(t *testing.T, f Fixture) {
	for _, batch := range [][]sink.Profile{nil, {}} {
		if err := f.Sink.Publish(ctxT(t), batch); err != nil {
			t.Fatalf("Publish(%#v) = %v, want nil", batch, err)
		}
	}
	if got := read(t, f); len(got) != 0 {
		t.Fatalf("empty publishes stored %d keys", len(got))
	}
}

func testCancelled(t *testing.T, f Fixture) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := f.Sink.Publish(ctx, Profiles(t, 3, "a"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish with a cancelled context = %v, want an error wrapping context.Canceled", err)
	}
	if got := read(t, f); len(got) != 0 {
		t.Fatalf("publish with a cancelled context stored %d keys", len(got))
	}
}

func testStall(t *testing.T, f Fixture) {
	if f.Stall == nil {
		t.Skip("backend cannot stall")
	}
	release := f.Stall()
	defer release()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Sink.Publish(ctx, Profiles(t, 3, "a")) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Publish to a stalled backend returned nil, want a context error")
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Publish to a stalled backend = %v, want an error wrapping context.DeadlineExceeded", err)
		}
	case <-time.After(300*time.Millisecond + prompt):
		t.Fatalf("Publish did not return within %v after its context ended", prompt)
	}
}

func testBroken(t *testing.T, f Fixture) {
	ps := Profiles(t, 2, "a")
	if err := f.Sink.Publish(ctxT(t), ps[:1]); err != nil {
		t.Fatalf("Publish before Break: %v", err)
	}
	f.Break()
	err := f.Sink.Publish(ctxT(t), ps[1:])
	if err == nil {
		t.Fatal("Publish to a broken backend returned nil")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish to a broken backend = %v, want the backend's error, not a context error", err)
	}
	if !strings.Contains(err.Error(), ps[1].Key) {
		t.Errorf("error %q does not name the failed key %q", err, ps[1].Key)
	}
	if !strings.Contains(err.Error(), f.Sink.Name()) {
		t.Errorf("error %q does not name the sink %q", err, f.Sink.Name())
	}
	if keys, ok := sink.FailedKeys(err); !ok || !slices.Equal(keys, []string{ps[1].Key}) {
		t.Errorf("FailedKeys(%v) = %q, %v; want [%q], true", err, keys, ok, ps[1].Key)
	}
}

func testInvalid(t *testing.T, f Fixture) {
	ps := Profiles(t, 2, "a")
	bad := [][]sink.Profile{
		{{Key: "", Value: []byte("x")}},
		{{Key: "a/../b", Value: []byte("x")}},
		{{Key: "/abs", Value: []byte("x")}},
		{{Key: "a b", Value: []byte("x")}},
		{ps[0], ps[1], ps[0]}, // duplicate key in one batch
		{{Key: "ok/key.bin", FirstOffset: 5, LastOffset: 4}},
	}
	for _, b := range bad {
		err := f.Sink.Publish(ctxT(t), b)
		if !errors.Is(err, sink.ErrInvalidProfile) {
			t.Errorf("Publish(%q…) = %v, want ErrInvalidProfile", b[0].Key, err)
		}
		if !sink.IsPermanent(err) {
			t.Errorf("invalid profile error %v is not permanent", err)
		}
	}
	if got := read(t, f); len(got) != 0 {
		t.Fatalf("invalid batches stored %d keys", len(got))
	}
}

func testConcurrent(t *testing.T, f Fixture) {
	ps := Profiles(t, 16, "a")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := range 4 {
		wg.Go(func() { errs[g] = f.Sink.Publish(ctxT(t), ps[g*4:(g+1)*4]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Publish: %v", err)
	}
	checkStored(t, f, read(t, f), ps)
}

func testClose(t *testing.T, f Fixture) {
	ps := Profiles(t, 2, "a")
	if err := f.Sink.Publish(ctxT(t), ps); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := f.Sink.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := f.Sink.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, batch := range [][]sink.Profile{ps, nil} {
		if err := f.Sink.Publish(ctxT(t), batch); !errors.Is(err, sink.ErrClosed) {
			t.Errorf("Publish(%d profiles) after Close = %v, want ErrClosed", len(batch), err)
		}
	}
}
