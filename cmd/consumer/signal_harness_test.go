package main

// The harness shared by the end-to-end tests of `consumer run` in
// tls_test.go, startfrom_test.go and signal_test.go: it runs serve (the code
// path of `consumer run` after flag parsing) with a YAML configuration,
// captures its logs, produces numbered records and reads back the profiles
// a kafka sink published, with their source partition and offsets.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
	"github.com/kprofiler/kprofiler/pipeline"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
	"github.com/kprofiler/kprofiler/sink"
)

// lockedBuffer is a bytes.Buffer safe for the logger's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running is one serve call in the background.
type running struct {
	stop chan os.Signal
	code chan int
	cons *pipeline.Consumer // nil when serve returned before starting
	logs *lockedBuffer
}

// startServe runs serve(cfg) with a debug-level JSON logger into a buffer
// and waits until the consumer is built, or serve returned (then r.cons is
// nil and the exit code is waiting in r.code).
func startServe(t *testing.T, cfg *config.Config) *running {
	t.Helper()
	r := &running{stop: make(chan os.Signal, 2), code: make(chan int, 1), logs: &lockedBuffer{}}
	log := zerolog.New(r.logs).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	started := make(chan *pipeline.Consumer, 1)
	go func() { r.code <- serve(cfg, log, r.stop, func(c *pipeline.Consumer) { started <- c }) }()
	select {
	case r.cons = <-started:
	case c := <-r.code:
		r.code <- c
	case <-time.After(60 * time.Second):
		t.Fatalf("serve neither started nor returned; logs:\n%s", r.logs)
	}
	return r
}

// exit sends sig and returns serve's exit code.
func (r *running) exit(t *testing.T, sig os.Signal) int {
	t.Helper()
	r.stop <- sig
	return r.wait(t, 60*time.Second)
}

func (r *running) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case c := <-r.code:
		return c
	case <-time.After(d):
		t.Fatalf("serve did not return within %v; logs:\n%s", d, r.logs)
	}
	return -1
}

// waitNext waits until every partition in want has processed the records
// before want[p] (PartitionStats.Next == want[p]).
func (r *running) waitNext(t *testing.T, topic string, want map[int32]int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := map[int32]int64{}
		for _, s := range r.cons.Stats() {
			if s.Topic == topic {
				got[s.Partition] = s.Next
			}
		}
		done := true
		for p, n := range want {
			if got[p] != n {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("partitions of %s reached %v, want %v; logs:\n%s", topic, got, want, r.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runYAML is a configuration for one dataset "numbers" reading topic, with
// event time from the record timestamp in 1-day windows (so every window is
// still open at shutdown and published as a partial), a kafka sink to
// outTopic on the source cluster, and kafka settings appended from extra
// (indented YAML lines under "kafka:").
func runYAML(brokers []string, group, topic, outTopic, extra string) string {
	return `kafka:
  brokers: [` + strings.Join(brokers, ",") + `]
  group: ` + group + `
  fetch_max_wait: 100ms
` + extra + `
datasets:
  - name: numbers
    topics: [` + topic + `]
    rotation: 1d
sinks:
  - type: kafka
    topic: ` + outTopic + `
checkpoint: {every_records: 0}
http: {listen: "127.0.0.1:0"}
shutdown_timeout: 30s
`
}

// produceNumbered writes n records to each partition of topic, record i of
// partition p having the value {"p": p, "i": i} and the timestamp
// ts(p, i). It returns the end offset of each partition afterwards.
func produceNumbered(t *testing.T, cl *kgo.Client, topic string, partitions int32, n int, ts func(p int32, i int) time.Time) {
	t.Helper()
	var recs []*kgo.Record
	for p := range partitions {
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Timestamp: ts(p, i),
				Value: fmt.Appendf(nil, `{"p": %d, "i": %d}`, p, i)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// producer returns a client writing to explicit partitions.
func producer(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// outProfile is one published profile: the sink fields of its headers and
// the number of records in it.
type outProfile struct {
	sink.Profile
	n int64
}

// readProfiles reads every record of outTopic (up to its end offsets) and
// keeps the last record per key (the kafka sink's deduplication rule).
func readProfiles(t *testing.T, outTopic string, opts ...kgo.Opt) []outProfile {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	acl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer acl.Close()
	ends, err := kadm.NewClient(acl).ListEndOffsets(ctx, outTopic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("end offsets of %s: %v %v", outTopic, err, ends.Error())
	}
	want := 0
	ends.Each(func(o kadm.ListedOffset) { want += int(o.Offset) })
	cl, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(outTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	byKey := map[string]outProfile{}
	var keys []string
	for got := 0; got < want; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d profile records", got, want)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got++
			fields := make([]sink.Field, len(r.Headers))
			for i, h := range r.Headers {
				fields[i] = sink.Field{Name: h.Key, Value: string(h.Value)}
			}
			p, err := sink.ParseFields(fields)
			if err != nil {
				t.Fatalf("profile record headers: %v", err)
			}
			dp, _, err := whylogs.Read(r.Value)
			if err != nil {
				t.Fatalf("profile record value: %v", err)
			}
			col, ok := dp.Lookup("i")
			if !ok {
				t.Fatalf("profile %s has no column i", r.Key)
			}
			v, _ := col.Summary().Lookup("counts/n")
			if _, seen := byKey[string(r.Key)]; !seen {
				keys = append(keys, string(r.Key))
			}
			byKey[string(r.Key)] = outProfile{Profile: p, n: v.Int}
		})
	}
	out := make([]outProfile, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

// span is what the profiles of one source partition cover.
type span struct {
	first, last int64 // lowest first offset, highest last offset
	n           int64 // records profiled
	profiles    int
	kinds       []sink.Kind
}

// spans groups the profiles of topic by source partition and checks that
// each partition's profiles cover a contiguous offset range exactly once
// (the records counted equal last-first+1 and no two profiles overlap).
func spans(t *testing.T, ps []outProfile, topic string) map[int32]span {
	t.Helper()
	by := map[int32][]outProfile{}
	for _, p := range ps {
		if p.Topic == topic {
			by[p.Partition] = append(by[p.Partition], p)
		}
	}
	out := map[int32]span{}
	for part, list := range by {
		slices.SortFunc(list, func(a, b outProfile) int { return int(a.FirstOffset - b.FirstOffset) })
		s := span{first: list[0].FirstOffset, last: list[0].LastOffset}
		for i, p := range list {
			if i > 0 && p.FirstOffset <= list[i-1].LastOffset {
				t.Errorf("partition %d: profiles [%d,%d] and [%d,%d] overlap", part, list[i-1].FirstOffset, list[i-1].LastOffset, p.FirstOffset, p.LastOffset)
			}
			s.last = max(s.last, p.LastOffset)
			s.n += p.n
			s.profiles++
			s.kinds = append(s.kinds, p.Kind)
		}
		if s.n != s.last-s.first+1 {
			t.Errorf("partition %d: %d records profiled in offsets [%d,%d]: not contiguous", part, s.n, s.first, s.last)
		}
		out[part] = s
	}
	return out
}

// committed returns the group's committed offsets of topic.
func committed(t *testing.T, group, topic string, opts ...kgo.Opt) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	offs, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

// sigterm is the signal the tests send by default.
var sigterm os.Signal = syscall.SIGTERM
