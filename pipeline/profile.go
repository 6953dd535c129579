package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// Profile is one finished (possibly partial) profile, encoded as a whylogs v1
// file, with the facts that identify it. Its identity (Dataset, Window.Start,
// Segment, Topic, Partition, FirstOffset) is deterministic: replaying the
// same records gives the same identity and the same Value bytes.
type Profile struct {
	Dataset     string
	Topic       string
	Partition   int32
	Window      profiler.Window       // [Start, End)
	SegmentKey  string                // "" for the full-dataset profile
	Segment     []profiler.SegmentTag // nil for the full-dataset profile
	Kind        profiler.EmitKind     // Closed, Late or Flushed (a partial of an open window)
	FirstOffset int64
	LastOffset  int64
	Records     int64
	Value       []byte // whylogs v1 profile file
}

// Name returns a deterministic, path-safe name of the profile's identity:
//
//	<dataset>/<window-start-ms>/<segment>/<topic>-<partition>-<first-offset>.bin
//
// with <segment> "_all" for the full-dataset profile. Elements are escaped
// with %XX for every byte outside [A-Za-z0-9._=,-].
func (p *Profile) Name() string {
	seg := "_all"
	if p.SegmentKey != "" {
		seg = escapePath(p.SegmentKey)
	}
	return escapePath(p.Dataset) + "/" + strconv.FormatInt(p.Window.Start.UnixMilli(), 10) + "/" + seg + "/" +
		escapePath(p.Topic) + "-" + strconv.Itoa(int(p.Partition)) + "-" + strconv.FormatInt(p.FirstOffset, 10) + ".bin"
}

func escapePath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.' && i > 0, c == '_', c == '-', c == '=', c == ',':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if b.Len() == 0 {
		return "%00"
	}
	return b.String()
}

// Publisher publishes finished profiles. Publish returns nil only once every
// profile of the batch is durably stored; a failed batch is retried as a
// whole, so publishing must be idempotent by profile identity (a replay
// overwrites). It must honour ctx and be safe for concurrent use (workers of
// different partitions publish concurrently). A sink.Sink becomes a
// Publisher through an adapter in cmd/consumer.
type Publisher interface {
	Publish(ctx context.Context, profiles []Profile) error
}

// PublisherFunc adapts a function to Publisher.
type PublisherFunc func(ctx context.Context, profiles []Profile) error

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, profiles []Profile) error {
	return f(ctx, profiles)
}

// MemoryPublisher keeps every published profile by Name (a republished name
// replaces the earlier one) and counts publishes. Safe for concurrent use.
type MemoryPublisher struct {
	mu      sync.Mutex
	byName  map[string]Profile
	writes  int
	changed int
	notify  chan struct{}
	failure func(ctx context.Context, ps []Profile) error
}

// NewMemoryPublisher returns an empty MemoryPublisher.
func NewMemoryPublisher() *MemoryPublisher {
	return &MemoryPublisher{byName: map[string]Profile{}, notify: make(chan struct{})}
}

// FailWith installs fn, called before each batch is stored; a non-nil
// error fails the batch. nil removes it. For tests.
func (m *MemoryPublisher) FailWith(fn func(ctx context.Context, ps []Profile) error) {
	m.mu.Lock()
	m.failure = fn
	m.mu.Unlock()
}

// Publish stores the profiles (copying Value).
func (m *MemoryPublisher) Publish(ctx context.Context, ps []Profile) error {
	m.mu.Lock()
	fail := m.failure
	m.mu.Unlock()
	if fail != nil {
		if err := fail(ctx, ps); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		p.Value = slices.Clone(p.Value)
		p.Segment = slices.Clone(p.Segment)
		if old, ok := m.byName[p.Name()]; ok && !bytes.Equal(old.Value, p.Value) {
			m.changed++
		}
		m.byName[p.Name()] = p
		m.writes++
	}
	close(m.notify)
	m.notify = make(chan struct{})
	return nil
}

// Profiles returns the stored profiles sorted by Name.
func (m *MemoryPublisher) Profiles() []Profile {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Profile, 0, len(m.byName))
	for _, p := range m.byName {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Profile) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// Writes returns how many profiles were stored, counting replacements.
func (m *MemoryPublisher) Writes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

// Changed returns how many writes replaced a stored profile with different
// bytes (0 when every republish was an identical overwrite).
func (m *MemoryPublisher) Changed() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

// Wait blocks until cond holds for the stored profiles or ctx ends.
func (m *MemoryPublisher) Wait(ctx context.Context, cond func(ps []Profile) bool) error {
	for {
		m.mu.Lock()
		ch := m.notify
		m.mu.Unlock()
		if cond(m.Profiles()) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
