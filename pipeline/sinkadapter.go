package pipeline

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/sink"
)

// DeadLetter receives records that failed to decode. Send returns nil once
// the record is stored; the worker retries a failed Send with backoff
// (holding the partition's commits). Safe for concurrent use.
type DeadLetter interface {
	Send(ctx context.Context, r *kgo.Record, dataset string, cause error) error
}

// SinkDeadLetter adapts a *sink.DeadLetter (which adds the error and source
// position headers); the dataset name is prefixed to the error text.
type SinkDeadLetter struct{ DL *sink.DeadLetter }

// Send forwards to the sink's dead-letter writer.
func (s SinkDeadLetter) Send(ctx context.Context, r *kgo.Record, dataset string, cause error) error {
	return s.DL.Send(ctx, r, fmt.Errorf("dataset %s: %w", dataset, cause))
}

// SinkKind maps a profiler emit kind to the sink's profile kind.
func SinkKind(k profiler.EmitKind) sink.Kind {
	switch k {
	case profiler.Late:
		return sink.KindLate
	case profiler.Flushed:
		return sink.KindCheckpoint
	}
	return sink.KindFinal
}

// SinkProfile converts p into the sink's form with its deterministic key
// (sink.Key of the profile's identity).
func SinkProfile(p *Profile, version string) (sink.Profile, error) {
	tags := make([]sink.Tag, len(p.Segment))
	for i, t := range p.Segment {
		tags[i] = sink.Tag{Key: t.Key, Value: t.Value}
	}
	if len(tags) == 0 {
		tags = nil
	}
	key, err := sink.Key(sink.Identity{Dataset: p.Dataset, WindowStart: p.Window.Start, Segment: tags,
		Topic: p.Topic, Partition: p.Partition, FirstOffset: p.FirstOffset})
	if err != nil {
		return sink.Profile{}, err
	}
	return sink.Profile{Key: key, Value: p.Value, Dataset: p.Dataset, WindowStart: p.Window.Start, WindowEnd: p.Window.End,
		Segment: tags, Topic: p.Topic, Partition: p.Partition, FirstOffset: p.FirstOffset, LastOffset: p.LastOffset,
		Kind: SinkKind(p.Kind), Version: version}, nil
}

// Reconciler is implemented by Publishers that can remove what an earlier
// (crashed) run published for a partition at or beyond the offset the
// partition now resumes from (see sink.Reconciler). A worker calls it
// before it processes the first record of a newly assigned partition, with
// that record's offset, retrying with backoff until it succeeds; nothing is
// published for the partition before. Because commits happen only at
// full-flush points (Rule C), the profiles it removes are exactly those the
// replay rebuilds.
type Reconciler interface {
	Reconcile(ctx context.Context, topic string, partition int32, resumeOffset int64) error
}

// Pruner is implemented by Publishers that keep a journal of uncommitted
// output (see sink.Pruner): Prune forgets what lies below the partition's
// committed offset. Workers call it, best effort, at checkpoints after the
// committed offset moved.
type Pruner interface {
	Prune(ctx context.Context, topic string, partition int32, committedOffset int64) error
}

// SinkPublisher publishes through a sink.Sink (use sink.NewMulti for
// several sinks: it confirms only when all did). It is a Reconciler that
// forwards to the sink when the sink is a sink.Reconciler (the blob sink and
// the Multi, Retrying and Instrumented wrappers) and does nothing otherwise;
// likewise a Pruner.
func SinkPublisher(s sink.Sink, version string) Publisher {
	return sinkPublisher{s: s, version: version}
}

type sinkPublisher struct {
	s       sink.Sink
	version string
}

func (p sinkPublisher) Publish(ctx context.Context, ps []Profile) error {
	out := make([]sink.Profile, len(ps))
	for i := range ps {
		sp, err := SinkProfile(&ps[i], p.version)
		if err != nil {
			return err
		}
		out[i] = sp
	}
	return p.s.Publish(ctx, out)
}

func (p sinkPublisher) Reconcile(ctx context.Context, topic string, partition int32, resumeOffset int64) error {
	if rc, ok := p.s.(sink.Reconciler); ok {
		return rc.Reconcile(ctx, topic, partition, resumeOffset)
	}
	return nil
}

func (p sinkPublisher) Prune(ctx context.Context, topic string, partition int32, committedOffset int64) error {
	if pr, ok := p.s.(sink.Pruner); ok {
		return pr.Prune(ctx, topic, partition, committedOffset)
	}
	return nil
}
