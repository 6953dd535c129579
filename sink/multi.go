package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Multi publishes every batch to several sinks concurrently and confirms only
// when all of them confirmed. It is safe for concurrent use when its sinks
// are.
type Multi struct {
	sinks []Sink
	name  string
}

// NewMulti returns a Multi over sinks (at least one, none nil, distinct
// names).
func NewMulti(sinks ...Sink) (*Multi, error) {
	if len(sinks) == 0 {
		return nil, fmt.Errorf("sink: multi: no sinks: %w", ErrInvalidArgument)
	}
	names := make([]string, len(sinks))
	seen := map[string]bool{}
	for i, s := range sinks {
		if s == nil {
			return nil, fmt.Errorf("sink: multi: sink %d is nil: %w", i, ErrInvalidArgument)
		}
		names[i] = s.Name()
		if seen[names[i]] {
			return nil, fmt.Errorf("sink: multi: two sinks named %q: %w", names[i], ErrInvalidArgument)
		}
		seen[names[i]] = true
	}
	return &Multi{sinks: sinks, name: "multi(" + strings.Join(names, ",") + ")"}, nil
}

// Name returns "multi(<name>,<name>…)".
func (m *Multi) Name() string { return m.name }

// Publish publishes to every sink at once and waits for all. The error is
// prefixed by the Multi's name and joins each failed sink's error (named
// after that sink), in sink order; the failed keys of each stay visible to
// FailedKeys. Retrying republishes to the sinks
// that already confirmed too, which is harmless (idempotent by key).
func (m *Multi) Publish(ctx context.Context, profiles []Profile) error {
	errs := make([]error, len(m.sinks))
	var wg sync.WaitGroup
	for i, s := range m.sinks {
		wg.Go(func() {
			if err := s.Publish(ctx, profiles); err != nil {
				errs[i] = named(s.Name(), err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sink %s: %w", m.name, err)
	}
	return nil
}

// Reconcile calls Reconcile on every wrapped sink that is a Reconciler, at
// once, and joins their errors (each named after its sink). Sinks that are
// not Reconcilers are skipped.
func (m *Multi) Reconcile(ctx context.Context, topic string, partition int32, resumeOffset int64) error {
	errs := make([]error, len(m.sinks))
	var wg sync.WaitGroup
	for i, s := range m.sinks {
		rc, ok := s.(Reconciler)
		if !ok {
			continue
		}
		wg.Go(func() {
			if err := rc.Reconcile(ctx, topic, partition, resumeOffset); err != nil {
				errs[i] = named(s.Name(), err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sink %s: reconcile: %w", m.name, err)
	}
	return nil
}

// Prune calls Prune on every wrapped sink that is a Pruner, one after the
// other, and joins their errors.
func (m *Multi) Prune(ctx context.Context, topic string, partition int32, committedOffset int64) error {
	var errs []error
	for _, s := range m.sinks {
		if p, ok := s.(Pruner); ok {
			if err := p.Prune(ctx, topic, partition, committedOffset); err != nil {
				errs = append(errs, named(s.Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// named makes sure err's text names the sink.
func named(name string, err error) error {
	if strings.Contains(err.Error(), "sink "+name) {
		return err
	}
	return &sinkError{name: name, err: err}
}

// Close closes every sink and joins their errors. Idempotent when the sinks'
// Close is.
func (m *Multi) Close() error {
	errs := make([]error, len(m.sinks))
	for i, s := range m.sinks {
		if err := s.Close(); err != nil {
			errs[i] = named(s.Name(), err)
		}
	}
	return errors.Join(errs...)
}

// sinkError prefixes an error with the sink's name.
type sinkError struct {
	name string
	err  error
}

func (e *sinkError) Error() string { return "sink " + e.name + ": " + e.err.Error() }
func (e *sinkError) Unwrap() error { return e.err }
