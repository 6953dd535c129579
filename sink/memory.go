package sink

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
)

// Memory is a Sink that keeps the latest profile per key in memory, for tests
// and the demo. A profile is confirmed once it is stored in the map. Memory
// copies Value and Segment, so callers may reuse their buffers afterwards. It
// is safe for concurrent use. The zero value is not usable; use NewMemory.
type Memory struct {
	name string

	mu        sync.Mutex
	closed    bool
	byKey     map[string]Profile
	writes    int // successful profile writes, counting overwrites
	intercept func(ctx context.Context, p *Profile) error
}

// NewMemory returns an empty memory sink called name ("memory" when empty).
func NewMemory(name string) *Memory {
	if name == "" {
		name = "memory"
	}
	return &Memory{name: name, byKey: map[string]Profile{}}
}

// Name returns the sink's name.
func (m *Memory) Name() string { return m.name }

// Intercept installs fn, which runs before each profile is stored (outside
// the sink's lock); a non-nil error fails that profile and is returned
// (wrapped in a KeyError) by Publish. Tests use it to inject failures and
// stalls. nil removes the interceptor.
func (m *Memory) Intercept(fn func(ctx context.Context, p *Profile) error) {
	m.mu.Lock()
	m.intercept = fn
	m.mu.Unlock()
}

// Publish stores every profile, replacing earlier profiles with the same key.
func (m *Memory) Publish(ctx context.Context, profiles []Profile) error {
	m.mu.Lock()
	closed, icpt := m.closed, m.intercept
	m.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if len(profiles) == 0 {
		return nil
	}
	if err := validateBatch(profiles); err != nil {
		return err
	}
	var errs []error
	for i := range profiles {
		if ctx.Err() != nil {
			errs = append(errs, ctxErr(ctx, m.name))
			break
		}
		p := profiles[i]
		if icpt != nil {
			if err := icpt(ctx, &p); err != nil {
				errs = append(errs, &KeyError{Sink: m.name, Key: p.Key, Err: err})
				continue
			}
		}
		p.Value = slices.Clone(p.Value)
		p.Segment = slices.Clone(p.Segment)
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			errs = append(errs, ErrClosed)
			break
		}
		m.byKey[p.Key] = p
		m.writes++
		m.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Close marks the sink closed; stored profiles stay readable. Idempotent.
func (m *Memory) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

// Profiles returns copies of the stored profiles sorted by key.
func (m *Memory) Profiles() []Profile {
	m.mu.Lock()
	out := make([]Profile, 0, len(m.byKey))
	for _, p := range m.byKey {
		p.Value = slices.Clone(p.Value)
		p.Segment = slices.Clone(p.Segment)
		out = append(out, p)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Profile) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Get returns a copy of the profile stored under key.
func (m *Memory) Get(key string) (Profile, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.byKey[key]
	if ok {
		p.Value = slices.Clone(p.Value)
		p.Segment = slices.Clone(p.Segment)
	}
	return p, ok
}

// Writes returns how many profile writes succeeded, overwrites included.
func (m *Memory) Writes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}
