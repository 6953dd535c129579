//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumeN polls cl until it has returned want records or ctx expires, then keeps polling
// for grace to catch records beyond want (duplicates). Any fetch error fails the test.
func consumeN(t *testing.T, ctx context.Context, cl *kgo.Client, want int, grace time.Duration) []*kgo.Record {
	t.Helper()
	var recs []*kgo.Record
	poll := func(pctx context.Context) bool {
		fs := cl.PollFetches(pctx)
		if fs.IsClientClosed() {
			t.Fatal("client closed while consuming")
		}
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
				return false
			}
			t.Fatalf("fetch error on %s/%d: %v", fe.Topic, fe.Partition, fe.Err)
		}
		recs = append(recs, fs.Records()...)
		return true
	}
	for len(recs) < want {
		if !poll(ctx) || ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the deadline", len(recs), want)
		}
	}
	gctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	for gctx.Err() == nil {
		poll(gctx)
	}
	return recs
}

func smokeKey(i int) []byte { return []byte(fmt.Sprintf("key-%05d", i)) }

// smokeValue is a value that differs in content and length per record.
func smokeValue(i int) []byte {
	return []byte(fmt.Sprintf("value-%d-%s", i, strings.Repeat(string(rune('a'+i%26)), i%50)))
}

// TestSmoke produces 10,000 records to a 3-partition topic on the real broker with
// franz-go and reads them back in a consumer group: every record arrives exactly once,
// with its key, value and header, in production order within each partition, and the
// group's committed offsets equal the partitions' end offsets.
func TestSmoke(t *testing.T) {
	const (
		n          = 10000
		partitions = 3
	)
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	topic, group := uniqueName("smoke"), uniqueName("smoke-group")
	adm := kadm.NewClient(newClient(t, bootstrap))
	createTopic(t, ctx, adm, topic, partitions, 1)

	prod := newClient(t, bootstrap, kgo.DefaultProduceTopic(topic))
	start := time.Now()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		prodErrs []error
	)
	for i := range n {
		wg.Add(1)
		r := &kgo.Record{
			Key:     smokeKey(i),
			Value:   smokeValue(i),
			Headers: []kgo.RecordHeader{{Key: "seq", Value: []byte(strconv.Itoa(i))}},
		}
		prod.Produce(ctx, r, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				prodErrs = append(prodErrs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	produceDur := time.Since(start)
	if len(prodErrs) > 0 {
		t.Fatalf("%d produce errors, first: %v", len(prodErrs), prodErrs[0])
	}

	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil || ends.Error() != nil {
		t.Fatalf("list end offsets: %v / %v", err, ends.Error())
	}
	var endSum int64
	ends.Each(func(o kadm.ListedOffset) { endSum += o.Offset })
	if endSum != n {
		t.Fatalf("end offsets sum to %d, want %d", endSum, n)
	}

	cons := newClient(t, bootstrap,
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	start = time.Now()
	recs := consumeN(t, ctx, cons, n, 2*time.Second)
	consumeDur := time.Since(start)

	seen := make([]int, n)
	perPart := make([]int, partitions)
	lastSeq := []int{-1, -1, -1}
	bad := 0
	for _, r := range recs {
		if r.Topic != topic || r.Partition < 0 || r.Partition >= partitions {
			t.Fatalf("record from unexpected %s/%d", r.Topic, r.Partition)
		}
		if len(r.Headers) != 1 || r.Headers[0].Key != "seq" {
			t.Fatalf("record %s/%d@%d: headers %v", r.Topic, r.Partition, r.Offset, r.Headers)
		}
		i, err := strconv.Atoi(string(r.Headers[0].Value))
		if err != nil || i < 0 || i >= n {
			t.Fatalf("record %d/%d: bad seq header %q", r.Partition, r.Offset, r.Headers[0].Value)
		}
		if string(r.Key) != string(smokeKey(i)) || string(r.Value) != string(smokeValue(i)) {
			bad++
			if bad <= 5 {
				t.Errorf("record seq %d: key %q value %q, want %q %q", i, r.Key, r.Value, smokeKey(i), smokeValue(i))
			}
		}
		if i <= lastSeq[r.Partition] {
			t.Errorf("partition %d: seq %d after %d (out of production order)", r.Partition, i, lastSeq[r.Partition])
		}
		lastSeq[r.Partition] = i
		seen[i]++
		perPart[r.Partition]++
	}
	missing, dups := 0, 0
	for _, c := range seen {
		switch {
		case c == 0:
			missing++
		case c > 1:
			dups += c - 1
		}
	}

	if err := cons.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil || committed.Error() != nil {
		t.Fatalf("fetch committed offsets: %v / %v", err, committed.Error())
	}
	var commitSum int64
	committed.Each(func(o kadm.OffsetResponse) { commitSum += o.At })

	fmt.Printf("smoke: produced=%d consumed=%d missing=%d duplicates=%d bad_values=%d per_partition=%v committed=%d produce=%s consume=%s\n",
		n, len(recs), missing, dups, bad, perPart, commitSum,
		produceDur.Round(time.Millisecond), consumeDur.Round(time.Millisecond))
	if len(recs) != n || missing != 0 || dups != 0 || bad != 0 {
		t.Fatalf("smoke: want exactly %d distinct correct records, got consumed=%d missing=%d duplicates=%d bad=%d", n, len(recs), missing, dups, bad)
	}
	for p, c := range perPart {
		if c == 0 {
			t.Errorf("partition %d received no records: keys did not spread over the 3 partitions", p)
		}
	}
	if commitSum != n {
		t.Errorf("committed offsets sum to %d, want %d", commitSum, n)
	}
}

// jsonEvent mirrors e2e/python/produce_json.py's record(i).
type jsonEvent struct {
	ID     int     `json:"id"`
	User   string  `json:"user"`
	Amount float64 `json:"amount"`
	Tag    string  `json:"tag"`
	Even   bool    `json:"even"`
}

func expectedEvent(i int) jsonEvent {
	return jsonEvent{ID: i, User: fmt.Sprintf("user-%d", i%97), Amount: float64(i) * 0.25, Tag: []string{"red", "green", "blue"}[i%3], Even: i%2 == 0}
}

// TestExternalProducer has the confluent-kafka (librdkafka) producer from the venv write
// 1,000 JSON records and reads them with franz-go: each arrives once, with key str(id)
// and exactly the fields the Python generator defines.
func TestExternalProducer(t *testing.T) {
	const n = 1000
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	topic := uniqueName("external-json")
	adm := kadm.NewClient(newClient(t, bootstrap))
	createTopic(t, ctx, adm, topic, 2, 1)

	start := time.Now()
	out := runPython(t, ctx, "produce_json.py", "--bootstrap", bootstrap, "--topic", topic, "--count", strconv.Itoa(n))
	produceDur := time.Since(start)
	if !strings.Contains(out, fmt.Sprintf("acked=%d errors=0", n)) {
		t.Fatalf("producer did not report %d acked records:\n%s", n, out)
	}

	cons := newClient(t, bootstrap,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	recs := consumeN(t, ctx, cons, n, time.Second)

	seen := make([]int, n)
	bad := 0
	for _, r := range recs {
		var ev jsonEvent
		dec := json.NewDecoder(strings.NewReader(string(r.Value)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("record %d@%d: %v: %q", r.Partition, r.Offset, err, r.Value)
		}
		if ev.ID < 0 || ev.ID >= n {
			t.Fatalf("record %d@%d: id %d out of range", r.Partition, r.Offset, ev.ID)
		}
		if ev != expectedEvent(ev.ID) || string(r.Key) != strconv.Itoa(ev.ID) {
			bad++
			if bad <= 5 {
				t.Errorf("record id %d: key %q event %+v, want key %q event %+v", ev.ID, r.Key, ev, strconv.Itoa(ev.ID), expectedEvent(ev.ID))
			}
		}
		seen[ev.ID]++
	}
	firstMissing := slices.Index(seen, 0)
	dups := 0
	zero := 0
	for _, c := range seen {
		if c == 0 {
			zero++
		}
		if c > 1 {
			dups += c - 1
		}
	}
	fmt.Printf("external-producer: produced=%d consumed=%d missing=%d duplicates=%d bad_values=%d producer=confluent-kafka produce=%s\n",
		n, len(recs), zero, dups, bad, produceDur.Round(time.Millisecond))
	if len(recs) != n || zero != 0 || dups != 0 || bad != 0 {
		t.Fatalf("external-producer: want %d distinct correct records, got %d (missing %d, first missing id %d, duplicates %d, bad %d)", n, len(recs), zero, firstMissing, dups, bad)
	}
}

// TestThreeBrokerCluster checks the three-node variant: metadata lists three brokers, a
// topic with replication factor 3 gets three in-sync replicas per partition, and records
// written with acks=all read back in full.
func TestThreeBrokerCluster(t *testing.T) {
	const n = 300
	bootstrap := envOrFail(t, "E2E_KAFKA3_BOOTSTRAP")
	if got := len(seeds(t, bootstrap)); got != 3 {
		t.Fatalf("E2E_KAFKA3_BOOTSTRAP lists %d addresses, want 3", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adm := kadm.NewClient(newClient(t, bootstrap))
	bm, err := adm.BrokerMetadata(ctx)
	if err != nil {
		t.Fatalf("broker metadata: %v", err)
	}
	if len(bm.Brokers) != 3 {
		t.Fatalf("metadata lists %d brokers, want 3: %v", len(bm.Brokers), bm.Brokers)
	}
	ports := map[string]bool{}
	for _, b := range bm.Brokers {
		if b.Host != "127.0.0.1" {
			t.Fatalf("broker %d advertises %s, want 127.0.0.1", b.NodeID, b.Host)
		}
		ports[strconv.Itoa(int(b.Port))] = true
	}
	if len(ports) != 3 {
		t.Fatalf("brokers share ports: %v", bm.Brokers)
	}

	topic := uniqueName("replicated")
	createTopic(t, ctx, adm, topic, 3, 3)
	prod := newClient(t, bootstrap, kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.AllISRAcks()))
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Key: smokeKey(i), Value: smokeValue(i)}
	}
	if err := prod.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	// ISR may lag a moment behind topic creation; wait for all three replicas in sync.
	var minISR int
	deadline := time.Now().Add(30 * time.Second)
	for {
		md, err := adm.Metadata(ctx, topic)
		minISR = 3
		if err != nil || md.Topics[topic].Err != nil || len(md.Topics[topic].Partitions) != 3 {
			minISR = 0
		} else {
			for _, p := range md.Topics[topic].Partitions {
				if len(p.Replicas) != 3 {
					t.Fatalf("partition %d has replicas %v, want 3", p.Partition, p.Replicas)
				}
				minISR = min(minISR, len(p.ISR))
			}
		}
		if minISR == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}

	cons := newClient(t, bootstrap,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	recs := consumeN(t, ctx, cons, n, time.Second)
	seen := map[string]int{}
	for _, r := range recs {
		seen[string(r.Key)]++
	}
	fmt.Printf("cluster3: brokers=%d partitions=3 replicas=3 min_isr=%d produced=%d consumed=%d distinct=%d\n",
		len(bm.Brokers), minISR, n, len(recs), len(seen))
	if minISR != 3 {
		t.Errorf("min ISR %d after 30s, want 3", minISR)
	}
	if len(recs) != n || len(seen) != n {
		t.Errorf("consumed %d records (%d distinct keys), want %d", len(recs), len(seen), n)
	}
}
