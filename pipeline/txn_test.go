package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kprofiler/kprofiler/schemas/whylogs"
	"github.com/kprofiler/kprofiler/sink"
)

// eosConfig is testConfig in exactly-once mode, producing profiles to the
// "profiles" topic through the session's client. wrap, when set, wraps the
// Kafka sink's publisher (failure injection).
func eosConfig(addrs []string, group, txnID string, interval time.Duration, wrap func(Publisher) Publisher, ds ...Dataset) Config {
	cfg := testConfig(addrs, group, nil, ds...)
	cfg.Transactional = &TxnConfig{
		TransactionalID: txnID, Timeout: 20 * time.Second, Interval: interval,
		Publisher: func(cl *kgo.Client) (Publisher, error) {
			k, err := sink.NewKafkaTxn(cl, "profiles", sink.KafkaOptions{})
			if err != nil {
				return nil, err
			}
			p := SinkPublisher(k, "test")
			if wrap != nil {
				p = wrap(p)
			}
			return p, nil
		},
	}
	return cfg
}

func newEOSCluster(t *testing.T, partitions int32) (*kfake.Cluster, []string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "orders"), kfake.SeedTopics(3, "profiles"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

// visible reads the "profiles" topic with read_committed until it has read
// up to the topic's last stable offset, and returns the number of profile
// records and the sum of counts/n of column event_id over all of them (no
// deduplication: exactly-once means every committed record counts).
func visible(t *testing.T, addrs []string) (records int, n int64) {
	t.Helper()
	return readProfiles(t, addrs, kgo.ReadCommitted())
}

// readProfiles is visible with the given isolation level.
func readProfiles(t *testing.T, addrs []string, iso kgo.IsolationLevel) (records int, n int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics("profiles"),
		kgo.FetchIsolationLevel(iso), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// Poll until two consecutive seconds bring nothing: the LSO is reached.
	quiet := 0
	deadline := time.Now().Add(30 * time.Second)
	for quiet < 2 && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		got := 0
		fs.EachRecord(func(r *kgo.Record) {
			got++
			records++
			dp, _, err := whylogs.Read(r.Value)
			if err != nil {
				t.Fatalf("profile %s: %v", r.Key, err)
			}
			if c, ok := dp.Lookup("event_id"); ok {
				v, _ := c.Summary().Lookup("counts/n")
				n += v.Int
			}
		})
		if got == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	return records, n
}

func txnCount(m *Metrics, outcome, reason string) float64 {
	return testutil.ToFloat64(m.Transactions.WithLabelValues(outcome, reason))
}

func waitCommitted(t *testing.T, addrs []string, group string, ends map[int32]int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		com := committed(t, addrs, group, "orders")
		ok := true
		for p, e := range ends {
			if com[p] != e {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed %v, want %v", com, ends)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Profiles and offsets commit in one transaction: once the group's offsets
// reach the end, a read_committed reader sees profiles whose merged
// counts/n is exactly the number of records, while the consumer still runs
// (its open windows were published as checkpoint partials into the
// committed transaction), and again after a graceful stop.
func TestExactlyOnceCommitsProfilesWithOffsets(t *testing.T) {
	_, addrs := newEOSCluster(t, 2)
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 600, 2, 500*time.Millisecond))
	cfg := eosConfig(addrs, "g", "kp-1", 300*time.Millisecond, nil, jsonDataset("orders", time.Minute, 0))
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	waitCommitted(t, addrs, "g", ends)
	recs, n := visible(t, addrs)
	if n != 600 {
		t.Errorf("while running: %d visible profiles hold counts/n %d, want 600", recs, n)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	recs2, n2 := visible(t, addrs)
	if n2 != 600 || recs2 != recs {
		t.Errorf("after stop: %d profiles, counts/n %d; want %d profiles, 600", recs2, n2, recs)
	}
	m := r.c.Metrics()
	commits := txnCount(m, txnCommitted, reasonInterval) + txnCount(m, txnCommitted, reasonShutdown)
	if commits < 1 || testutilCounter(m.Transactions) != commits {
		t.Errorf("want only commits: %s", dumpTxn(m))
	}
	t.Logf("%d profiles; %s", recs, dumpTxn(m))
}

// A publish that fails after its records were written into the
// transaction aborts it: those profiles never become visible, the re-polled
// records rebuild them, and every record is counted exactly once.
func TestExactlyOnceAbortOnProduceFailure(t *testing.T) {
	_, addrs := newEOSCluster(t, 2)
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 800, 2, 500*time.Millisecond))
	var calls, failed atomic.Int64
	wrap := func(p Publisher) Publisher {
		return PublisherFunc(func(ctx context.Context, ps []Profile) error {
			err := p.Publish(ctx, ps) // written into the transaction
			if err == nil && calls.Add(1)%4 == 2 && failed.Load() < 3 {
				failed.Add(1)
				return errors.New("injected failure after producing")
			}
			return err
		})
	}
	ds := jsonDataset("orders", time.Minute, 0)
	cfg := eosConfig(addrs, "g", "kp-1", 300*time.Millisecond, wrap, ds)
	cfg.CheckpointEveryRecords = 50 // more publishes per transaction
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	waitCommitted(t, addrs, "g", ends)
	recs, n := stopAndCountVisible(t, r, addrs, 800)
	if got := txnCount(r.c.Metrics(), txnAborted, reasonProduce); got != float64(failed.Load()) || got == 0 {
		t.Errorf("aborted(produce) = %v, injected failures %d", got, failed.Load())
	}
	urecs, un := readProfiles(t, addrs, kgo.ReadUncommitted())
	if un <= n {
		t.Errorf("read_uncommitted: %d profiles, counts/n %d: the aborted transactions held no profiles", urecs, un)
	}
	t.Logf("%d publishes, %d injected failures, %d visible profiles, counts/n %d; read_uncommitted %d profiles, counts/n %d",
		calls.Load(), failed.Load(), recs, n, urecs, un)
}

// A second member joining while the first has an open transaction with
// processed records revokes partitions from it: the session aborts the
// transaction, the first member restarts its remaining workers from the
// committed offsets, the second starts the revoked partitions from the
// same committed offsets, and every record is counted exactly once.
func TestExactlyOnceRebalanceAborts(t *testing.T) {
	_, addrs := newEOSCluster(t, 4)
	cl := manualClient(t, addrs)
	ends := produce(t, cl, jsonRecords(0, 400, 4, 300*time.Millisecond))
	ds := jsonDataset("orders", time.Minute, 5*time.Second)
	// The first member ends transactions only at record-count boundaries
	// (offset 149 of each partition, in the second batch) and at shutdown.
	acfg := eosConfig(addrs, "g", "kp-a", time.Hour, nil, ds)
	acfg.Transactional.Timeout = time.Minute // interval capped at 20s
	acfg.CheckpointEveryRecords = 150
	a := start(t, acfg)
	waitProcessed(t, ends, a)
	if c := testutilCounter(a.c.Metrics().Transactions); c != 0 {
		t.Fatalf("%v transactions ended before the rebalance: %s", c, dumpTxn(a.c.Metrics()))
	}
	b := start(t, eosConfig(addrs, "g", "kp-b", 300*time.Millisecond, nil, ds))
	deadline := time.Now().Add(20 * time.Second)
	for len(b.c.Stats()) == 0 || len(a.c.Stats())+len(b.c.Stats()) != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("rebalance did not settle: a=%v b=%v", a.c.Stats(), b.c.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	ends = mergeEnds(ends, produce(t, cl, jsonRecords(400, 800, 4, 300*time.Millisecond)))
	waitProcessed(t, ends, a, b)
	waitCommitted(t, addrs, "g", ends)
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	recs, n := stopAndCountVisible(t, b, addrs, 800)
	if got := txnCount(a.c.Metrics(), txnAborted, reasonRebalance); got < 1 {
		t.Errorf("first member: aborted(rebalance) = %v, want >= 1", got)
	}
	if urecs, un := readProfiles(t, addrs, kgo.ReadUncommitted()); un <= n {
		t.Errorf("read_uncommitted: %d profiles, counts/n %d: the aborted transaction held no profiles", urecs, un)
	}
	t.Logf("a: %v aborted by the rebalance; %d visible profiles, counts/n %d", txnCount(a.c.Metrics(), txnAborted, reasonRebalance), recs, n)
}

// A member that stops abruptly (client closed without ending its open
// transaction, as after SIGKILL) and is restarted with the same
// transactional id: the restart fences the old producer, which aborts the
// transaction it left open, and re-reads from the committed offsets; the
// visible profiles count every record exactly once.
func TestExactlyOnceCrashRestart(t *testing.T) {
	_, addrs := newEOSCluster(t, 2)
	cl := manualClient(t, addrs)
	ends := produce(t, cl, jsonRecords(0, 400, 2, 500*time.Millisecond))
	ds := jsonDataset("orders", time.Minute, 0)
	// Barriers only at record-count boundaries: after offset 199 of each
	// partition.
	cfg := eosConfig(addrs, "g", "kp-1", time.Hour, nil, ds) // capped at Timeout/3
	cfg.Transactional.Timeout = 10 * time.Minute
	cfg.CheckpointEveryRecords = 200
	a := start(t, cfg)
	waitProcessed(t, ends, a)
	waitCommitted(t, addrs, "g", ends)
	// More records, processed into an open transaction: no boundary before
	// offset 399, so no barrier before the crash.
	// (with 6 malformed records, skipped: 300 valid ones).
	more := jsonRecords(400, 700, 2, 500*time.Millisecond)
	for i := range 6 {
		more = append(more, &kgo.Record{Topic: "orders", Partition: int32(i % 2), Value: []byte(`{"event_id": 1, "ts": `)})
	}
	ends = mergeEnds(ends, produce(t, cl, more))
	waitProcessed(t, ends, a)
	// Wait until profiles of the open transaction were produced (visible
	// to read_uncommitted only).
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, un := readProfiles(t, addrs, kgo.ReadUncommitted()); un > 400 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the open transaction produced no profiles")
		}
	}
	a.c.Abort()
	<-a.done
	if !errors.Is(a.err, ErrAborted) {
		t.Fatalf("Run after Abort = %v", a.err)
	}
	if com := committed(t, addrs, "g", "orders"); com[0] >= ends[0] || com[1] >= ends[1] {
		t.Fatalf("the crash happened after the commit: committed %v, ends %v", com, ends)
	}
	b := start(t, eosConfig(addrs, "g", "kp-1", 300*time.Millisecond, nil, ds))
	waitProcessed(t, ends, b)
	waitCommitted(t, addrs, "g", ends)
	recs, n := stopAndCountVisible(t, b, addrs, 700)
	// The aborted transaction did hold profiles (read_uncommitted shows them).
	urecs, un := readProfiles(t, addrs, kgo.ReadUncommitted())
	if un <= n {
		t.Errorf("read_uncommitted: %d profiles, counts/n %d: the crash left no open transaction with profiles", urecs, un)
	}
	t.Logf("%d visible profiles, counts/n %d; read_uncommitted %d profiles, counts/n %d", recs, n, urecs, un)
}

func dumpTxn(m *Metrics) string {
	var b strings.Builder
	for _, o := range []string{txnCommitted, txnAborted} {
		for _, r := range []string{reasonInterval, reasonRecords, reasonShutdown, reasonRebalance, reasonProduce, reasonBarrier, reasonNotCommit, reasonEndError} {
			if v := txnCount(m, o, r); v != 0 {
				fmt.Fprintf(&b, "%s/%s=%v ", o, r, v)
			}
		}
	}
	return b.String()
}

// A publish that stalls past 90% of the transaction timeout keeps the
// barrier from finishing: the consumer aborts the transaction itself
// (reason barrier) before the broker would, restarts the workers from the
// committed offsets, and every record is counted once.
func TestExactlyOnceBarrierDeadline(t *testing.T) {
	_, addrs := newEOSCluster(t, 2)
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 600, 2, 500*time.Millisecond))
	var calls atomic.Int64
	wrap := func(p Publisher) Publisher {
		return PublisherFunc(func(ctx context.Context, ps []Profile) error {
			err := p.Publish(ctx, ps)
			if err == nil && calls.Add(1) == 2 {
				sleepCtx(ctx, 4*time.Second) // beyond the 1.5s timeout
			}
			return err
		})
	}
	cfg := eosConfig(addrs, "g", "kp-1", 300*time.Millisecond, wrap, jsonDataset("orders", time.Minute, 0))
	cfg.Transactional.Timeout = 1500 * time.Millisecond
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	waitCommitted(t, addrs, "g", ends)
	recs, n := stopAndCountVisible(t, r, addrs, 600)
	m := r.c.Metrics()
	aborted := txnCount(m, txnAborted, reasonNotCommit) + txnCount(m, txnAborted, reasonEndError) + txnCount(m, txnAborted, reasonBarrier)
	if aborted < 1 {
		t.Errorf("no aborted transaction: %s", dumpTxn(m))
	}
	t.Logf("%s; %d visible profiles, counts/n %d", dumpTxn(m), recs, n)
}

// When the broker refuses the transaction's offset commit as a broker does
// after its transaction timeout aborted the transaction and bumped the
// producer epoch (INVALID_PRODUCER_EPOCH), End fails: the consumer counts an
// abort, restarts its workers from the committed offsets, begins a new
// transaction with the recovered producer, and every record is counted
// once.
func TestExactlyOnceFencedCommit(t *testing.T) {
	c, addrs := newEOSCluster(t, 2)
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 600, 2, 500*time.Millisecond))
	cfg := eosConfig(addrs, "g", "kp-1", 300*time.Millisecond, nil, jsonDataset("orders", time.Minute, 0))
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.TxnOffsetCommit}, Err: kerr.InvalidProducerEpoch})
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	waitCommitted(t, addrs, "g", ends)
	recs, n := stopAndCountVisible(t, r, addrs, 600)
	if got := txnCount(r.c.Metrics(), txnAborted, reasonEndError); got != 1 {
		t.Errorf("aborted(end_error) = %v, want 1: %s", got, dumpTxn(r.c.Metrics()))
	}
	t.Logf("%s; %d visible profiles, counts/n %d", dumpTxn(r.c.Metrics()), recs, n)
}

// A member whose group session is lost (the coordinator forgets it) while
// a transaction with processed records is open: the session aborts it, the
// member rejoins and re-reads from the committed offsets; counts are exact.
func TestExactlyOnceLostSession(t *testing.T) {
	c, addrs := newEOSCluster(t, 2)
	cl := manualClient(t, addrs)
	ends := produce(t, cl, jsonRecords(0, 400, 2, 500*time.Millisecond))
	ds := jsonDataset("orders", time.Minute, 0)
	cfg := eosConfig(addrs, "g", "kp-1", time.Hour, nil, ds)
	cfg.Transactional.Timeout = time.Minute
	cfg.CheckpointEveryRecords = 300 // one barrier in the second batch
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Heartbeat}, Err: kerr.UnknownMemberID, TopLevel: true})
	deadline := time.Now().Add(20 * time.Second)
	for txnCount(r.c.Metrics(), txnAborted, reasonRebalance) < 1 || len(r.c.Stats()) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no loss and reassignment: %s, rebalances %v", dumpTxn(r.c.Metrics()), testutilCounter(r.c.Metrics().Rebalances))
		}
		time.Sleep(20 * time.Millisecond)
	}
	ends = mergeEnds(ends, produce(t, cl, jsonRecords(400, 800, 2, 500*time.Millisecond)))
	waitProcessed(t, ends, r)
	waitCommitted(t, addrs, "g", ends)
	recs, n := stopAndCountVisible(t, r, addrs, 800)
	t.Logf("%s; rebalances %v; %d visible profiles, counts/n %d", dumpTxn(r.c.Metrics()), testutilCounter(r.c.Metrics().Rebalances), recs, n)
}

// The broker's transaction timeout: the offset commit of a transaction is
// held back (kfake SleepControl) until the broker's 1.5s timeout aborted the
// transaction and bumped the producer epoch. End fails, the profiles the
// transaction wrote stay invisible, the producer recovers for the next
// transaction, the records are re-read, and every record is counted once.
func TestExactlyOnceBrokerTransactionTimeout(t *testing.T) {
	c, addrs := newEOSCluster(t, 2)
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 600, 2, 500*time.Millisecond))
	var slept atomic.Bool
	c.ControlKey(int16(kmsg.TxnOffsetCommit), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if slept.CompareAndSwap(false, true) {
			c.SleepControl(func() { time.Sleep(3 * time.Second) })
		}
		return nil, nil, false
	})
	cfg := eosConfig(addrs, "g", "kp-1", 300*time.Millisecond, nil, jsonDataset("orders", time.Minute, 0))
	cfg.Transactional.Timeout = 1500 * time.Millisecond
	cfg.ClientOpts = append(cfg.ClientOpts, kgo.SessionTimeout(10*time.Second))
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	waitCommitted(t, addrs, "g", ends)
	recs, n := stopAndCountVisible(t, r, addrs, 600)
	m := r.c.Metrics()
	if got := txnCount(m, txnAborted, reasonEndError) + txnCount(m, txnAborted, reasonNotCommit); got != 1 {
		t.Errorf("want one transaction that End could not commit: %s", dumpTxn(m))
	}
	urecs, un := readProfiles(t, addrs, kgo.ReadUncommitted())
	if un <= n {
		t.Errorf("read_uncommitted: %d profiles, counts/n %d: the timed-out transaction held no profiles", urecs, un)
	}
	t.Logf("%s; %d visible profiles, counts/n %d; read_uncommitted %d, counts/n %d", dumpTxn(m), recs, n, urecs, un)
}

func TestTxnConfigDefaultsAndValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg        TxnConfig
		checkpoint time.Duration
		want       time.Duration
	}{
		{TxnConfig{}, 0, 10 * time.Second},
		{TxnConfig{}, 5 * time.Minute, 20 * time.Second}, // capped at Timeout/3
		{TxnConfig{}, 2 * time.Second, 2 * time.Second},
		{TxnConfig{Interval: time.Second}, 5 * time.Minute, time.Second},
		{TxnConfig{Timeout: 3 * time.Second}, 0, time.Second},
	} {
		if got := newTxnState(tc.cfg, tc.checkpoint, 0).interval; got != tc.want {
			t.Errorf("%+v with checkpoint interval %v: barrier interval %v, want %v", tc.cfg, tc.checkpoint, got, tc.want)
		}
	}
	pub := func(*kgo.Client) (Publisher, error) { return NewMemoryPublisher(), nil }
	base := testConfig([]string{"127.0.0.1:1"}, "g", nil, jsonDataset("orders", time.Minute, 0))
	for name, mod := range map[string]func(*Config){
		"empty transactional id": func(c *Config) { c.Transactional = &TxnConfig{Publisher: pub} },
		"two publishers": func(c *Config) {
			c.Transactional = &TxnConfig{TransactionalID: "x", Publisher: pub}
			c.Publisher = NewMemoryPublisher()
		},
		"no publisher":     func(c *Config) { c.Transactional = &TxnConfig{TransactionalID: "x"} },
		"negative timeout": func(c *Config) { c.Transactional = &TxnConfig{TransactionalID: "x", Publisher: pub, Timeout: -1} },
	} {
		cfg := base
		mod(&cfg)
		if _, err := New(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: New = %v, want ErrInvalidConfig", name, err)
		}
	}
	cfg := base
	cfg.Transactional = &TxnConfig{TransactionalID: "x", Publisher: func(*kgo.Client) (Publisher, error) { return nil, errors.New("boom") }}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("a failing publisher factory: New = %v", err)
	}
}

func TestTxnRecordBoundaries(t *testing.T) {
	recs := func(first, last int64) []*kgo.Record {
		return []*kgo.Record{{Offset: first}, {Offset: last}}
	}
	for _, tc := range []struct {
		first, last int64
		want        bool
	}{
		{0, 98, false}, {0, 99, true}, {99, 99, true}, {100, 198, false}, {150, 260, true}, {100, 100, false},
	} {
		ts := newTxnState(TxnConfig{}, 0, 100)
		ts.noteRecords(recs(tc.first, tc.last))
		if got := ts.want != ""; got != tc.want {
			t.Errorf("records %d..%d: barrier wanted %v, want %v", tc.first, tc.last, got, tc.want)
		}
		if ts.polled != 2 {
			t.Errorf("polled %d, want 2", ts.polled)
		}
	}
}

// stopAndCountVisible stops r and checks that the profiles visible to
// read_committed readers hold counts/n want; it returns their number and
// counts/n.
func stopAndCountVisible(t *testing.T, r *running, addrs []string, want int64) (recs int, n int64) {
	t.Helper()
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	recs, n = visible(t, addrs)
	if n != want {
		t.Errorf("%d visible profiles hold counts/n %d, want %d", recs, n, want)
	}
	return recs, n
}
