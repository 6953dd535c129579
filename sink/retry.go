package sink

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryPolicy is a bounded exponential backoff: the n-th retry (n ≥ 1) waits
// min(Max, Initial·Multiplier^(n-1)), scaled by a random factor in
// [1-Jitter, 1+Jitter] (never above Max·(1+Jitter)). The jitter uses
// math/rand: it changes only when a retry happens, never what is written,
// so outputs stay deterministic. Zero fields take the documented defaults.
type RetryPolicy struct {
	Initial    time.Duration // first delay; default 100ms
	Max        time.Duration // cap on one delay; default 10s
	Multiplier float64       // growth per retry; default 2, must be ≥ 1
	Jitter     float64       // fraction in [0, 1]; default 0.2; negative means none
	// MaxAttempts bounds the attempts (the first try included); 0 means
	// retry until ctx ends.
	MaxAttempts int
	// OnRetry, when set, is called before each wait with the attempt that
	// failed (1-based), the wait and the error.
	OnRetry func(attempt int, wait time.Duration, err error)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Initial <= 0 {
		p.Initial = 100 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 10 * time.Second
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	switch {
	case p.Jitter == 0:
		p.Jitter = 0.2
	case p.Jitter < 0:
		p.Jitter = -1 // none; stays negative so withDefaults is idempotent
	case p.Jitter > 1:
		p.Jitter = 1
	}
	return p
}

// Delay returns the wait before retry number n (n ≥ 1) under the policy's
// defaults, including jitter.
func (p RetryPolicy) Delay(n int) time.Duration {
	p = p.withDefaults()
	d := float64(p.Initial)
	for i := 1; i < n && d < float64(p.Max); i++ {
		d *= p.Multiplier
	}
	d = min(d, float64(p.Max))
	if p.Jitter > 0 {
		d *= 1 - p.Jitter + 2*p.Jitter*rand.Float64()
	}
	return time.Duration(d)
}

// do runs fn until it succeeds, returns a permanent error, the attempts are
// used up or ctx ends. retryable decides which errors are worth another
// attempt. On ctx end it returns an error wrapping both ctx.Err() and the
// last attempt's error.
func (p RetryPolicy) do(ctx context.Context, retryable func(error) bool, fn func(attempt int) error) error {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		err := fn(attempt)
		if err == nil {
			return nil
		}
		if !retryable(err) || (p.MaxAttempts > 0 && attempt >= p.MaxAttempts) {
			return err
		}
		if ctx.Err() != nil {
			return errors.Join(ctx.Err(), err)
		}
		wait := p.Delay(attempt)
		if p.OnRetry != nil {
			p.OnRetry(attempt, wait, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("giving up after %d attempts: %w", attempt, errors.Join(ctx.Err(), err))
		case <-t.C:
		}
	}
}

// Retrying is a Sink decorator that retries failed publishes with backoff.
// It is safe for concurrent use when the wrapped sink is.
type Retrying struct {
	next   Sink
	policy RetryPolicy
}

// Retry wraps s so that a failed Publish is retried under p until it
// succeeds, fails permanently (IsPermanent), the attempts run out or ctx
// ends; in the last two cases the last error (joined with ctx.Err()) is
// returned, never success. A retry republishes only the profiles whose keys
// the error names (FailedKeys), or the whole batch when it cannot tell.
// Republishing is safe because every sink is idempotent by key.
func Retry(s Sink, p RetryPolicy) *Retrying {
	return &Retrying{next: s, policy: p}
}

// Name returns the wrapped sink's name.
func (r *Retrying) Name() string { return r.next.Name() }

// Close closes the wrapped sink.
func (r *Retrying) Close() error { return r.next.Close() }

// Unwrap returns the wrapped sink.
func (r *Retrying) Unwrap() Sink { return r.next }

// Publish publishes profiles, retrying failures.
func (r *Retrying) Publish(ctx context.Context, profiles []Profile) error {
	pending := profiles
	return r.policy.do(ctx, func(err error) bool {
		return !IsPermanent(err) && ctx.Err() == nil
	}, func(int) error {
		err := r.next.Publish(ctx, pending)
		if err == nil {
			return nil
		}
		if keys, ok := FailedKeys(err); ok && len(keys) > 0 {
			failed := make(map[string]bool, len(keys))
			for _, k := range keys {
				failed[k] = true
			}
			var next []Profile
			for i := range pending {
				if failed[pending[i].Key] {
					next = append(next, pending[i])
				}
			}
			if len(next) > 0 {
				pending = next
			}
		}
		return err
	})
}

// Reconcile forwards to the wrapped sink when it is a Reconciler (nil
// otherwise), retried under the policy like Publish.
func (r *Retrying) Reconcile(ctx context.Context, topic string, partition int32, resumeOffset int64) error {
	rc, ok := r.next.(Reconciler)
	if !ok {
		return nil
	}
	return r.policy.do(ctx, func(err error) bool {
		return !IsPermanent(err) && ctx.Err() == nil
	}, func(int) error {
		return rc.Reconcile(ctx, topic, partition, resumeOffset)
	})
}

// Prune forwards to the wrapped sink when it is a Pruner (nil otherwise),
// once: pruning is best effort.
func (r *Retrying) Prune(ctx context.Context, topic string, partition int32, committedOffset int64) error {
	if p, ok := r.next.(Pruner); ok {
		return p.Prune(ctx, topic, partition, committedOffset)
	}
	return nil
}
