package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// recordOverhead is the headroom kept below the client's batch limit for the
// batch header and the record's varints.
const recordOverhead = 512

// KafkaOptions configure a Kafka sink. The zero value is usable.
type KafkaOptions struct {
	// Name overrides the sink name (default "kafka:<topic>").
	Name string
	// MaxRecordBytes rejects, before producing, a profile whose key + value +
	// headers exceed it, with an error naming the key and the size (wrapping
	// ErrTooLarge). Default: the client's ProducerBatchMaxBytes minus 512.
	MaxRecordBytes int
	// CloseTimeout bounds how long Close flushes records still in flight
	// (after a cancelled Publish) before closing an owned client; default 10s.
	CloseTimeout time.Duration
}

// Kafka is a Sink that produces each profile as one record to a topic:
// key = Profile.Key, value = Profile.Value, headers = Profile.Fields(). The
// record timestamp is the produce time (window times are in the headers; a
// backfilled window's age must not make the broker expire it at once). Equal
// keys hash to the same partition under the default partitioner, so a
// compacted topic keeps one record per key. It is safe for concurrent use.
type Kafka struct {
	cl      *kgo.Client
	own     bool
	topic   string
	name    string
	maxSize int
	closeTO time.Duration

	mu     sync.RWMutex
	closed bool
}

// NewKafka returns a sink producing to topic with cl, which the caller keeps
// owning (Close does not close it). cl must produce with acks=all and
// idempotence (the kgo defaults); otherwise NewKafka fails with
// ErrInvalidArgument, because "confirmed" would not mean "replicated".
func NewKafka(cl *kgo.Client, topic string, opts KafkaOptions) (*Kafka, error) {
	if cl == nil {
		return nil, fmt.Errorf("sink: kafka: nil client: %w", ErrInvalidArgument)
	}
	if topic == "" {
		return nil, fmt.Errorf("sink: kafka: empty topic: %w", ErrInvalidArgument)
	}
	if acks, _ := cl.OptValue(kgo.RequiredAcks).(kgo.Acks); acks != kgo.AllISRAcks() {
		return nil, fmt.Errorf("sink: kafka: client must use RequiredAcks(AllISRAcks()): %w", ErrInvalidArgument)
	}
	if dis, _ := cl.OptValue(kgo.DisableIdempotentWrite).(bool); dis {
		return nil, fmt.Errorf("sink: kafka: client must keep idempotent writes: %w", ErrInvalidArgument)
	}
	maxSize := opts.MaxRecordBytes
	if maxSize <= 0 {
		batch, _ := cl.OptValue(kgo.ProducerBatchMaxBytes).(int32)
		if batch <= recordOverhead {
			batch = 1_000_012
		}
		maxSize = int(batch) - recordOverhead
	}
	name := opts.Name
	if name == "" {
		name = "kafka:" + topic
	}
	to := opts.CloseTimeout
	if to <= 0 {
		to = 10 * time.Second
	}
	return &Kafka{cl: cl, topic: topic, name: name, maxSize: maxSize, closeTO: to}, nil
}

// NewKafkaTxn returns a sink producing to topic with cl, a transactional
// client the caller keeps owning: typically the client of a
// kgo.GroupTransactSession (pipeline exactly-once mode), whose transactions
// the caller begins and ends. Publish must then only be called inside a
// transaction, and "confirmed" means "written into the open transaction":
// the profiles become visible to read_committed readers only when the
// transaction commits, and never when it aborts. Keys, values and headers
// are those of NewKafka. cl must have a transactional id
// (kgo.TransactionalID); otherwise NewKafkaTxn fails with
// ErrInvalidArgument.
func NewKafkaTxn(cl *kgo.Client, topic string, opts KafkaOptions) (*Kafka, error) {
	if cl == nil {
		return nil, fmt.Errorf("sink: kafka: nil client: %w", ErrInvalidArgument)
	}
	if id, _ := cl.OptValue(kgo.TransactionalID).(string); id == "" {
		return nil, fmt.Errorf("sink: kafka: topic %s: client has no transactional id: %w", topic, ErrInvalidArgument)
	}
	return NewKafka(cl, topic, opts)
}

// DialKafka builds a client from kopts and returns a sink that owns it.
// acks=all is forced and idempotence must stay on; the producer linger
// defaults to 0 (a profile is sent at once; kopts may override it).
func DialKafka(topic string, opts KafkaOptions, kopts ...kgo.Opt) (*Kafka, error) {
	all := make([]kgo.Opt, 0, len(kopts)+2)
	all = append(all, kgo.ProducerLinger(0))
	all = append(all, kopts...)
	kopts = append(all, kgo.RequiredAcks(kgo.AllISRAcks()))
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("sink: kafka: creating client: %w", err)
	}
	k, err := NewKafka(cl, topic, opts)
	if err != nil {
		cl.Close()
		return nil, err
	}
	k.own = true
	return k, nil
}

// Name returns the sink's name.
func (k *Kafka) Name() string { return k.name }

// Topic returns the output topic.
func (k *Kafka) Topic() string { return k.topic }

// Publish produces every profile and waits until the broker acknowledged
// each (acks=all: written to all in-sync replicas). It has ProduceSync's
// semantics but waits on the promises itself, so that when ctx ends first it
// returns at once with an error instead of waiting for in-flight requests
// (an idempotent producer cannot cancel those); records already sent may
// still be written (see the package documentation for the duplicate bound).
func (k *Kafka) Publish(ctx context.Context, profiles []Profile) error {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return ErrClosed
	}
	if len(profiles) == 0 {
		return nil
	}
	if err := validateBatch(profiles); err != nil {
		return err
	}
	recs := make([]*kgo.Record, len(profiles))
	var errs []error
	for i := range profiles {
		p := &profiles[i]
		r := &kgo.Record{Topic: k.topic, Key: []byte(p.Key), Value: p.Value}
		fields := p.Fields()
		r.Headers = make([]kgo.RecordHeader, len(fields))
		for j, f := range fields {
			r.Headers[j] = kgo.RecordHeader{Key: f.Name, Value: []byte(f.Value)}
		}
		if n := recordSize(r); n > k.maxSize {
			errs = append(errs, &KeyError{Sink: k.name, Key: p.Key,
				Err: fmt.Errorf("record is %d bytes, limit %d: %w", n, k.maxSize, ErrTooLarge)})
		}
		recs[i] = r
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return produceAll(ctx, k.cl, k.name, recs)
}

// recordSize is key + value + header names and values.
func recordSize(r *kgo.Record) int {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// produceAll produces recs asynchronously and waits for every promise or ctx.
// Errors are KeyErrors (keyed by the record key) joined; a ctx end is
// reported as a batch-wide error.
func produceAll(ctx context.Context, cl *kgo.Client, name string, recs []*kgo.Record) error {
	if ctx.Err() != nil {
		return ctxErr(ctx, name)
	}
	type result struct {
		i   int
		err error
	}
	done := make(chan result, len(recs)) // buffered: promises never block
	for i, r := range recs {
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) { done <- result{i, err} })
	}
	var errs []error
	for range recs {
		select {
		case res := <-done:
			if res.err != nil {
				err := res.err
				if errors.Is(err, kerr.MessageTooLarge) {
					err = fmt.Errorf("%w: %w", ErrTooLarge, err)
				}
				errs = append(errs, &KeyError{Sink: name, Key: string(recs[res.i].Key), Err: err})
			}
		case <-ctx.Done():
			return errors.Join(append(errs, ctxErr(ctx, name))...)
		}
	}
	return errors.Join(errs...)
}

// Close marks the sink closed. For an owned client it flushes records still
// in flight (bounded by CloseTimeout) and closes the client. Idempotent.
func (k *Kafka) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	if !k.own {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), k.closeTO)
	defer cancel()
	err := k.cl.Flush(ctx)
	k.cl.Close()
	if err != nil {
		return fmt.Errorf("sink %s: flushing on close: %w", k.name, err)
	}
	return nil
}
