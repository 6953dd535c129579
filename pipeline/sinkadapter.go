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

// SinkPublisher publishes through a sink.Sink (use sink.NewMulti for
// several sinks: it confirms only when all did).
func SinkPublisher(s sink.Sink, version string) Publisher {
	return PublisherFunc(func(ctx context.Context, ps []Profile) error {
		out := make([]sink.Profile, len(ps))
		for i := range ps {
			sp, err := SinkProfile(&ps[i], version)
			if err != nil {
				return err
			}
			out[i] = sp
		}
		return s.Publish(ctx, out)
	})
}
