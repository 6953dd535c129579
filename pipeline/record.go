package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/schemas/event"
)

// recordEnv is what profiling one record needs from its worker, live or
// backfill: both profile a record the same way.
type recordEnv struct {
	ctx                    context.Context
	log                    *zerolog.Logger
	badLog                 *sampler
	metrics                *Metrics
	deadLetter             DeadLetter
	minBackoff, maxBackoff time.Duration
	// stall, when set, is told while the worker waits on something other
	// than its records (the schema registry, the dead-letter topic).
	stall func(bool)
}

func (e *recordEnv) setStalled(v bool) {
	if e.stall != nil {
		e.stall(v)
	}
}

// profileRecord profiles r into every dataset state: a schema-registry
// outage is retried with backoff; a record that fails to decode is counted,
// logged (sampled), dead-lettered (retried until stored) and skipped. It
// returns an error only when e.ctx ended.
func profileRecord(e *recordEnv, states []*dsState, r *kgo.Record) error {
	for _, s := range states {
		backoff := e.minBackoff
		for {
			pl, err := s.add(e.ctx, r)
			if err == nil {
				if pl.Late {
					s.mLate.Inc()
				}
				if pl.Overflow {
					s.mOverflow.Inc()
				}
				break
			}
			if event.IsRetryable(err) {
				e.metrics.RegistryRetries.WithLabelValues(s.ds.Name).Inc()
				if ok, n := e.badLog.allow(int64(10 * time.Second)); ok {
					e.log.Warn().Err(err).Str("dataset", s.ds.Name).Int64("offset", r.Offset).Int64("suppressed", n).
						Dur("backoff", backoff).Msg("schema registry unavailable, retrying")
				}
				e.setStalled(true)
				ok := sleepCtx(e.ctx, backoff)
				e.setStalled(false)
				if !ok {
					return e.ctx.Err()
				}
				backoff = min(2*backoff, e.maxBackoff)
				continue
			}
			if err := badRecord(e, s, r, err); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

// badRecord handles a record that failed to decode: count, sampled log,
// dead letter (retried until stored), skip.
func badRecord(e *recordEnv, s *dsState, r *kgo.Record, cause error) error {
	kind := event.KindOf(cause).String()
	if errors.Is(cause, errBadTime) || kind == "none" {
		kind = "malformed"
	}
	e.metrics.DecodeErrors.WithLabelValues(s.ds.Name, kind).Inc()
	if ok, n := e.badLog.allow(int64(10 * time.Second)); ok {
		e.log.Warn().Err(cause).Str("dataset", s.ds.Name).Int64("offset", r.Offset).Int64("suppressed", n).
			Msg("skipping record that failed to decode")
	}
	if e.deadLetter == nil {
		return nil
	}
	e.setStalled(true)
	defer e.setStalled(false)
	backoff := e.minBackoff
	for {
		derr := e.deadLetter.Send(e.ctx, r, s.ds.Name, cause)
		if derr == nil {
			e.metrics.DeadLetters.WithLabelValues(s.ds.Name).Inc()
			return nil
		}
		e.log.Warn().Err(derr).Int64("offset", r.Offset).Msg("dead letter failed, retrying")
		if !sleepCtx(e.ctx, backoff) {
			return e.ctx.Err()
		}
		backoff = min(2*backoff, e.maxBackoff)
	}
}

// publishProfiles publishes out through pub until it confirms, retrying with
// backoff (the worker counts as stalled meanwhile). It returns an error only
// when e.ctx ended.
func publishProfiles(e *recordEnv, pub Publisher, out []Profile) error {
	if len(out) == 0 {
		return nil
	}
	e.setStalled(true)
	defer e.setStalled(false)
	backoff := e.minBackoff
	for {
		err := pub.Publish(e.ctx, out)
		if err == nil {
			break
		}
		e.metrics.SinkErrors.Inc()
		if e.ctx.Err() != nil {
			return e.ctx.Err()
		}
		e.log.Warn().Err(err).Int("profiles", len(out)).Dur("backoff", backoff).Msg("publishing failed, retrying")
		if !sleepCtx(e.ctx, backoff) {
			return e.ctx.Err()
		}
		backoff = min(2*backoff, e.maxBackoff)
	}
	for _, p := range out {
		e.metrics.ProfilesPublished.WithLabelValues(p.Dataset, p.Kind.String()).Inc()
	}
	return nil
}
