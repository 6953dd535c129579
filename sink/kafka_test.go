package sink_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kprofiler/kprofiler/sink"
	"github.com/kprofiler/kprofiler/sink/sinktest"
)

const outTopic = "profiles"

// newCluster starts an in-process kfake cluster (127.0.0.1 only) with the
// output topic (3 partitions).
func newCluster(t testing.TB, topics ...string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, a := range c.ListenAddrs() {
		if !strings.HasPrefix(a, "127.0.0.1:") {
			t.Fatalf("kfake listens on %s, not 127.0.0.1", a)
		}
	}
	return c
}

func newClient(t testing.TB, c *kfake.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// readTopic consumes every partition of topic from the start to its high
// watermark (taken from the cluster) and returns the records.
func readTopic(ctx context.Context, c *kfake.Cluster, topic string) ([]*kgo.Record, error) {
	infos := c.PartitionInfos(topic)
	parts := map[int32]kgo.Offset{}
	want := map[int32]int64{}
	var total int64
	for _, pi := range infos {
		if pi.HighWatermark > pi.LogStartOffset {
			parts[pi.Partition] = kgo.NewOffset().AtStart()
			want[pi.Partition] = pi.HighWatermark
			total += pi.HighWatermark - pi.LogStartOffset
		}
	}
	if total == 0 {
		return nil, nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []*kgo.Record
	for {
		done := true
		for _, hwm := range want {
			done = done && hwm == 0
		}
		if done {
			return out, nil
		}
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", topic, err)
		}
		for _, e := range fs.Errors() {
			return nil, fmt.Errorf("reading %s/%d: %w", e.Topic, e.Partition, e.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			out = append(out, r)
			if r.Offset+1 >= want[r.Partition] {
				want[r.Partition] = 0
			}
		})
	}
}

func headerFields(r *kgo.Record) []sink.Field {
	out := make([]sink.Field, len(r.Headers))
	for i, h := range r.Headers {
		out[i] = sink.Field{Name: h.Key, Value: string(h.Value)}
	}
	return out
}

// kafkaStored groups records by key: the latest (highest offset) copy is the
// value; Copies counts the records.
func kafkaStored(recs []*kgo.Record) ([]sinktest.Stored, error) {
	byKey := map[string]*sinktest.Stored{}
	partOf := map[string]int32{}
	var order []string
	for _, r := range recs {
		k := string(r.Key)
		s, ok := byKey[k]
		if !ok {
			s = &sinktest.Stored{Key: k, AllSame: true}
			byKey[k] = s
			partOf[k] = r.Partition
			order = append(order, k)
		} else if partOf[k] != r.Partition {
			return nil, fmt.Errorf("key %q in partitions %d and %d: compaction could not deduplicate it", k, partOf[k], r.Partition)
		}
		if s.Copies > 0 && !bytes.Equal(s.Value, r.Value) {
			s.AllSame = false
		}
		s.Copies++
		s.Value, s.Fields = r.Value, headerFields(r) // records of one partition come in offset order
	}
	out := make([]sinktest.Stored, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out, nil
}

func TestKafkaConformance(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Fixture {
		c := newCluster(t, outTopic)
		cl := newClient(t, c, kgo.RecordRetries(3))
		s, err := sink.NewKafka(cl, outTopic, sink.KafkaOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var stalled atomic.Bool
		release := make(chan struct{})
		var relOnce sync.Once
		return sinktest.Fixture{
			Sink:    s,
			Appends: true,
			Read: func(ctx context.Context) ([]sinktest.Stored, error) {
				recs, err := readTopic(ctx, c, outTopic)
				if err != nil {
					return nil, err
				}
				return kafkaStored(recs)
			},
			Break: func() {
				// A non-retryable produce error on every partition.
				c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: outTopic, Err: kerr.TopicAuthorizationFailed, Count: -1})
			},
			Stall: func() func() {
				stalled.Store(true)
				c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
					c.KeepControl()
					if !stalled.Load() {
						return nil, nil, false
					}
					// No reply: the client waits, as with a hung broker.
					return nil, nil, true
				})
				return func() { relOnce.Do(func() { stalled.Store(false); close(release) }) }
			},
		}
	})
}

func TestKafkaRejectsUnsafeClient(t *testing.T) {
	c := newCluster(t, outTopic)
	for name, opts := range map[string][]kgo.Opt{
		"leader acks":    {kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()},
		"no idempotence": {kgo.DisableIdempotentWrite()},
	} {
		cl := newClient(t, c, opts...)
		if _, err := sink.NewKafka(cl, outTopic, sink.KafkaOptions{}); !errors.Is(err, sink.ErrInvalidArgument) {
			t.Errorf("%s: NewKafka = %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := sink.NewKafka(newClient(t, c), "", sink.KafkaOptions{}); !errors.Is(err, sink.ErrInvalidArgument) {
		t.Errorf("empty topic accepted: %v", err)
	}
}

func TestKafkaMaxRecordBytes(t *testing.T) {
	c := newCluster(t, outTopic)
	s, err := sink.DialKafka(outTopic, sink.KafkaOptions{MaxRecordBytes: 4096}, kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps := sinktest.Profiles(t, 2, "a") // ps[1] is 200 KiB
	err = s.Publish(t.Context(), ps)
	if !errors.Is(err, sink.ErrTooLarge) || !sink.IsPermanent(err) {
		t.Fatalf("Publish of a 200 KiB profile with a 4 KiB limit = %v, want permanent ErrTooLarge", err)
	}
	size := len(ps[1].Key) + len(ps[1].Value)
	for _, f := range ps[1].Fields() {
		size += len(f.Name) + len(f.Value)
	}
	for _, want := range []string{ps[1].Key, "limit 4096", strconv.Itoa(size) + " bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if keys, _ := sink.FailedKeys(err); len(keys) != 1 || keys[0] != ps[1].Key {
		t.Errorf("FailedKeys = %q", keys)
	}
	// Nothing of the batch was produced: the check runs before producing.
	if recs, err := readTopic(t.Context(), c, outTopic); err != nil || len(recs) != 0 {
		t.Fatalf("%d records produced (err %v), want 0", len(recs), err)
	}
	// The default limit follows the client's batch limit.
	s2, err := sink.DialKafka(outTopic, sink.KafkaOptions{}, kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerBatchMaxBytes(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Publish(t.Context(), ps); !errors.Is(err, sink.ErrTooLarge) {
		t.Fatalf("200 KiB profile under a 64 KiB batch limit: %v", err)
	}
	if err := s2.Publish(t.Context(), ps[:1]); err != nil {
		t.Fatalf("small profile: %v", err)
	}
}

func TestKafkaRecordLayout(t *testing.T) {
	c := newCluster(t, outTopic)
	s, err := sink.DialKafka(outTopic, sink.KafkaOptions{}, kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps := sinktest.Profiles(t, 3, "a")
	if err := s.Publish(t.Context(), ps); err != nil {
		t.Fatal(err)
	}
	recs, err := readTopic(t.Context(), c, outTopic)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*kgo.Record{}
	for _, r := range recs {
		byKey[string(r.Key)] = r
	}
	p := ps[2]
	r := byKey[p.Key]
	if r == nil {
		t.Fatalf("no record with key %q", p.Key)
	}
	want := map[string]string{
		"dataset":           "orders",
		"window_start_ms":   strconv.FormatInt(p.WindowStart.UnixMilli(), 10),
		"window_end_ms":     strconv.FormatInt(p.WindowEnd.UnixMilli(), 10),
		"segment":           "country=C%C3%B4te%20d%27Ivoire,device=a%2Fb%2Cc%3Dd%25%7E",
		"source_topic":      "events.v1",
		"source_partition":  "2",
		"first_offset":      "2000",
		"last_offset":       "2002",
		"kind":              "late",
		"kprofiler_version": "v0.1.0-test",
	}
	got := map[string]string{}
	for _, h := range r.Headers {
		got[h.Key] = string(h.Value)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("header %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("headers %v, want exactly %d", got, len(want))
	}
	if d := time.Since(r.Timestamp); d < 0 || d > time.Hour {
		t.Errorf("record timestamp %v is not the produce time", r.Timestamp)
	}
}

func TestDeadLetter(t *testing.T) {
	c := newCluster(t, "dlq")
	cl := newClient(t, c)
	d, err := sink.NewDeadLetter(cl, "dlq")
	if err != nil {
		t.Fatal(err)
	}
	src := &kgo.Record{
		Topic: "events", Partition: 4, Offset: 1234, Key: []byte("k1"), Value: []byte("{not json"),
		Timestamp: time.UnixMilli(1_764_140_000_123),
		Headers:   []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}},
	}
	cause := fmt.Errorf("decoding: %w", errors.New("unexpected end of JSON input"))
	if err := d.Send(t.Context(), src, cause); err != nil {
		t.Fatal(err)
	}
	recs, err := readTopic(t.Context(), c, "dlq")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d DLQ records, want 1", len(recs))
	}
	r := recs[0]
	if string(r.Key) != "k1" || string(r.Value) != "{not json" {
		t.Errorf("key/value %q/%q not copied", r.Key, r.Value)
	}
	want := [][2]string{
		{"trace", "abc"},
		{sink.HeaderDLQError, "decoding: unexpected end of JSON input"},
		{sink.HeaderDLQTopic, "events"},
		{sink.HeaderDLQPartition, "4"},
		{sink.HeaderDLQOffset, "1234"},
		{sink.HeaderDLQTimestamp, "1764140000123"},
	}
	if len(r.Headers) != len(want) {
		t.Fatalf("headers %v, want %v", r.Headers, want)
	}
	for i, w := range want {
		if r.Headers[i].Key != w[0] || string(r.Headers[i].Value) != w[1] {
			t.Errorf("header %d = %s=%q, want %s=%q", i, r.Headers[i].Key, r.Headers[i].Value, w[0], w[1])
		}
	}
	// A broker error surfaces.
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "dlq", Err: kerr.TopicAuthorizationFailed, Count: -1})
	if err := d.Send(t.Context(), src, cause); err == nil || !strings.Contains(err.Error(), "events/4@1234") {
		t.Errorf("Send to a failing broker = %v, want an error naming the source", err)
	}
	_ = d.Close()
	_ = d.Close()
	if err := d.Send(t.Context(), src, cause); !errors.Is(err, sink.ErrClosed) {
		t.Errorf("Send after Close = %v", err)
	}
}

// TestKafkaDuplicateBound: a publish cut off by its context while the broker
// hangs, then retried, leaves at most one record per key per attempt, all
// identical (what compaction or a keep-latest reader deduplicates).
func TestKafkaDuplicateBound(t *testing.T) {
	c := newCluster(t, outTopic)
	cl := newClient(t, c, kgo.ProduceRequestTimeout(time.Second), kgo.RequestTimeoutOverhead(500*time.Millisecond))
	s, err := sink.NewKafka(cl, outTopic, sink.KafkaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var hang atomic.Int32
	hang.Store(1)
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		// The first produce request is answered by nobody.
		return nil, nil, hang.CompareAndSwap(1, 0)
	})
	ps := sinktest.Profiles(t, 4, "a")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := s.Publish(ctx, ps); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish against a hung broker = %v, want a deadline error", err)
	}
	retry := sink.Retry(s, sink.RetryPolicy{Initial: 50 * time.Millisecond})
	ctx2, cancel2 := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel2()
	if err := retry.Publish(ctx2, ps); err != nil {
		t.Fatalf("retried Publish: %v", err)
	}
	if err := cl.Flush(ctx2); err != nil {
		t.Fatal(err)
	}
	recs, err := readTopic(ctx2, c, outTopic)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := kafkaStored(recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(ps) {
		t.Fatalf("%d keys, want %d", len(stored), len(ps))
	}
	total := 0
	for _, st := range stored {
		total += st.Copies
		if st.Copies < 1 || st.Copies > 2 || !st.AllSame {
			t.Errorf("key %q: %d copies (all same: %v), want 1..2 identical", st.Key, st.Copies, st.AllSame)
		}
	}
	t.Logf("%d records for %d keys after a cut-off publish and a retry", total, len(ps))
}

// NewKafkaTxn needs a transactional client; its records are those of
// NewKafka, visible to read_committed readers only when the transaction
// commits: an aborted transaction's profiles are never seen.
func TestKafkaTransactional(t *testing.T) {
	c := newCluster(t, outTopic)
	if _, err := sink.NewKafkaTxn(newClient(t, c), outTopic, sink.KafkaOptions{}); !errors.Is(err, sink.ErrInvalidArgument) {
		t.Fatalf("NewKafkaTxn with a plain client: %v", err)
	}
	cl := newClient(t, c, kgo.TransactionalID("kp-test"))
	s, err := sink.NewKafkaTxn(cl, outTopic, sink.KafkaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all := sinktest.Profiles(t, 7, "txn")
	aborted, kept := all[:4], all[4:]
	for _, round := range []struct {
		ps     []sink.Profile
		commit kgo.TransactionEndTry
	}{{aborted, kgo.TryAbort}, {kept, kgo.TryCommit}} {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := s.Publish(t.Context(), round.ps); err != nil {
			t.Fatal(err)
		}
		if err := cl.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(t.Context(), round.commit); err != nil {
			t.Fatal(err)
		}
	}
	rd := newClient(t, c, kgo.ConsumeTopics(outTopic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	got := map[string]*kgo.Record{}
	for quiet := 0; quiet < 2; {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		fs := rd.PollFetches(ctx)
		cancel()
		if fs.NumRecords() == 0 {
			quiet++
		}
		fs.EachRecord(func(r *kgo.Record) {
			if got[string(r.Key)] != nil {
				t.Errorf("key %q read twice", r.Key)
			}
			got[string(r.Key)] = r
		})
	}
	if len(got) != len(kept) {
		t.Errorf("read_committed sees %d records, want the %d committed ones", len(got), len(kept))
	}
	for _, p := range kept {
		r := got[p.Key]
		if r == nil {
			t.Errorf("committed profile %q not visible", p.Key)
			continue
		}
		if !bytes.Equal(r.Value, p.Value) {
			t.Errorf("profile %q: value differs", p.Key)
		}
		want := p.Fields()
		if h := headerFields(r); fmt.Sprint(h) != fmt.Sprint(want) {
			t.Errorf("profile %q: headers %v, want %v", p.Key, h, want)
		}
	}
	for _, p := range aborted {
		if got[p.Key] != nil {
			t.Errorf("aborted profile %q is visible", p.Key)
		}
	}
}
