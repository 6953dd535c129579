package pipeline

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/schemas/event"
)

// DeadLetter receives records that failed to decode. Send returns nil once
// the record is durably stored; the worker retries a failed Send with
// backoff (holding the partition's commits), so it must be idempotent
// enough for at-least-once delivery. Safe for concurrent use.
type DeadLetter interface {
	Send(ctx context.Context, r *kgo.Record, dataset string, cause error) error
}

// Dead-letter header names.
const (
	HeaderError           = "kprofiler.error"
	HeaderErrorKind       = "kprofiler.error_kind"
	HeaderDataset         = "kprofiler.dataset"
	HeaderSourceTopic     = "kprofiler.source_topic"
	HeaderSourcePartition = "kprofiler.source_partition"
	HeaderSourceOffset    = "kprofiler.source_offset"
)

// TopicDeadLetter produces dead letters to a Kafka topic with the original
// key, value, timestamp and headers, plus headers naming the error and the
// source position.
type TopicDeadLetter struct {
	Client *kgo.Client
	Topic  string
}

// Send produces one dead letter synchronously.
func (d *TopicDeadLetter) Send(ctx context.Context, r *kgo.Record, dataset string, cause error) error {
	hs := make([]kgo.RecordHeader, 0, len(r.Headers)+6)
	hs = append(hs, r.Headers...)
	kind := event.KindOf(cause).String()
	if kind == "none" {
		kind = "malformed"
	}
	hs = append(hs,
		kgo.RecordHeader{Key: HeaderError, Value: []byte(cause.Error())},
		kgo.RecordHeader{Key: HeaderErrorKind, Value: []byte(kind)},
		kgo.RecordHeader{Key: HeaderDataset, Value: []byte(dataset)},
		kgo.RecordHeader{Key: HeaderSourceTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: HeaderSourcePartition, Value: []byte(strconv.Itoa(int(r.Partition)))},
		kgo.RecordHeader{Key: HeaderSourceOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
	)
	out := &kgo.Record{Topic: d.Topic, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp, Headers: hs}
	if err := d.Client.ProduceSync(ctx, out).FirstErr(); err != nil {
		return fmt.Errorf("producing dead letter to %s: %w", d.Topic, err)
	}
	return nil
}
