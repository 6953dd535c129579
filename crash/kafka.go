package crash

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrUnsupported is returned by Run when the consumer refuses the scenario's
// configuration at start-up (e.g. a sink mode that is not implemented).
var ErrUnsupported = errors.New("the consumer does not support this configuration")

// KafkaEOSSink publishes to topic with the exactly-once Kafka sink: each
// slot has its own transactional id (a restarted process reuses its slot's
// id, fencing its killed predecessor). "write" kills fire when a
// read_uncommitted reader sees a new profile record, i.e. while a
// transaction holding profiles is open; the output is read back with
// read_committed.
func KafkaEOSSink(brokers []string, topic string, partitions int32, rf int16, clientOpts ...kgo.Opt) SinkVariant {
	opts := append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, clientOpts...)
	return SinkVariant{
		Name: "kafka-eos",
		Setup: func(ctx context.Context, adm *kadm.Client) error {
			return createTopic(ctx, adm, topic, partitions, rf)
		},
		YAML: func(slot string) string {
			return fmt.Sprintf("  - type: kafka\n    topic: %s\n    exactly_once: true\n    transactional_id: %s-%s\n", topic, topic, slot)
		},
		ArmWrite: func(ctx context.Context, slot, dir string, p *Proc) (<-chan struct{}, func(), error) {
			cl, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(topic),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()),
				kgo.FetchIsolationLevel(kgo.ReadUncommitted()),
				kgo.FetchMaxWait(50*time.Millisecond))...)
			if err != nil {
				return nil, nil, err
			}
			fired := make(chan struct{})
			pctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for pctx.Err() == nil {
					fs := cl.PollFetches(pctx)
					if fs.NumRecords() > 0 {
						close(fired)
						return
					}
				}
			}()
			return fired, func() { cancel(); <-done; cl.Close() }, nil
		},
		Read: func(ctx context.Context) ([]Stored, error) {
			return ReadTopic(ctx, opts, topic, kgo.ReadCommitted())
		},
	}
}

// ReadTopic reads every record of topic from the start at the given
// isolation level (kgo.ReadCommitted() for what readers see), once all its
// producers stopped.
func ReadTopic(ctx context.Context, opts []kgo.Opt, topic string, isolation kgo.IsolationLevel) ([]Stored, error) {
	cl, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(isolation),
		kgo.FetchMaxWait(200*time.Millisecond))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []Stored
	// Read until five polls in a row (a second each) return nothing: by then
	// every transaction is committed or aborted (the consumers were stopped),
	// so the last stable offsets are the end offsets.
	idle := 0
	for idle < 5 {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			out = append(out, Stored{Key: string(r.Key), Value: r.Value})
		})
		if n == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	return out, nil
}
