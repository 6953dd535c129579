package sink

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Header names a DeadLetter adds after the source record's own headers.
const (
	HeaderDLQError     = "dlq_error"        // the error text, at most 4096 bytes
	HeaderDLQTopic     = "dlq_source_topic" // source topic
	HeaderDLQPartition = "dlq_source_partition"
	HeaderDLQOffset    = "dlq_source_offset"
	HeaderDLQTimestamp = "dlq_source_timestamp_ms" // source record timestamp, epoch ms
)

// maxErrorHeader bounds the error text copied into a header.
const maxErrorHeader = 4096

// DeadLetter produces records that could not be processed to a dead-letter
// topic, copying key, value and headers and adding headers that name the
// error and the source position. It is safe for concurrent use.
type DeadLetter struct {
	cl    *kgo.Client
	topic string

	mu     sync.RWMutex
	closed bool
}

// NewDeadLetter returns a dead-letter writer producing to topic with cl (the
// caller keeps owning cl; it must use acks=all and idempotence, as for
// NewKafka).
func NewDeadLetter(cl *kgo.Client, topic string) (*DeadLetter, error) {
	if _, err := NewKafka(cl, topic, KafkaOptions{}); err != nil { // same checks
		return nil, err
	}
	return &DeadLetter{cl: cl, topic: topic}, nil
}

// Send produces a copy of src with the error headers and returns once the
// broker acknowledged it (acks=all), or with an error (a ctx end included).
// The copy keeps src's key, value and headers; its timestamp is the produce
// time (the source timestamp is in a header). Sending the same record twice
// produces two records (the DLQ is not deduplicated).
func (d *DeadLetter) Send(ctx context.Context, src *kgo.Record, cause error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return ErrClosed
	}
	if src == nil {
		return fmt.Errorf("sink: dead letter: nil record: %w", ErrInvalidArgument)
	}
	msg := "unknown error"
	if cause != nil {
		msg = cause.Error()
	}
	if len(msg) > maxErrorHeader {
		msg = msg[:maxErrorHeader]
	}
	r := &kgo.Record{
		Topic:   d.topic,
		Key:     src.Key,
		Value:   src.Value,
		Headers: make([]kgo.RecordHeader, 0, len(src.Headers)+5),
	}
	r.Headers = append(r.Headers, src.Headers...)
	r.Headers = append(r.Headers,
		kgo.RecordHeader{Key: HeaderDLQError, Value: []byte(msg)},
		kgo.RecordHeader{Key: HeaderDLQTopic, Value: []byte(src.Topic)},
		kgo.RecordHeader{Key: HeaderDLQPartition, Value: []byte(strconv.FormatInt(int64(src.Partition), 10))},
		kgo.RecordHeader{Key: HeaderDLQOffset, Value: []byte(strconv.FormatInt(src.Offset, 10))},
		kgo.RecordHeader{Key: HeaderDLQTimestamp, Value: []byte(strconv.FormatInt(src.Timestamp.UnixMilli(), 10))},
	)
	name := "dead-letter:" + d.topic
	if err := produceAll(ctx, d.cl, name, []*kgo.Record{r}); err != nil {
		return fmt.Errorf("sink: dead letter %s/%d@%d: %w", src.Topic, src.Partition, src.Offset, err)
	}
	return nil
}

// Close marks the writer closed; the client stays open. Idempotent.
func (d *DeadLetter) Close() error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	return nil
}
