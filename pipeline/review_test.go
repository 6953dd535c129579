package pipeline

import (
	"context"
	"errors"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/sink"
)

// In exactly-once mode with a blob sink next to the transactional Kafka
// sink, the journal is pruned at the barriers once the transactions
// committed, as in at-least-once mode (the transactional wrapper must
// forward Prune as it forwards Reconcile); otherwise a long run leaves one
// journal entry per barrier and partition behind.
func TestExactlyOnceBlobJournalPruned(t *testing.T) {
	_, addrs := newEOSCluster(t, 1)
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 1000, 1, time.Second))
	b, err := sink.OpenBlob(context.Background(), "file://"+filepath.ToSlash(t.TempDir()), sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg := eosConfig(addrs, "g", "kp-prune", time.Hour, nil, jsonDataset("orders", time.Minute, 0))
	cfg.CheckpointEveryRecords = 100
	cfg.PollRecords = 100 // one barrier per checkpoint boundary
	cfg.Transactional.Publisher = func(cl *kgo.Client) (Publisher, error) {
		k, err := sink.NewKafkaTxn(cl, "profiles", sink.KafkaOptions{})
		if err != nil {
			return nil, err
		}
		m, err := sink.NewMulti(k, b)
		if err != nil {
			return nil, err
		}
		return SinkPublisher(m, "test"), nil
	}
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	waitCommitted(t, addrs, "g", ends)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	commits := txnCount(r.c.Metrics(), txnCommitted, reasonRecords)
	if commits < 5 {
		t.Fatalf("%v transactions committed at record boundaries, want about 10", commits)
	}
	entries, err := b.Journal(context.Background(), "orders", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 4 {
		t.Errorf("%d journal entries left after %v committed transactions, want the old ones pruned", len(entries), commits)
	}
	for _, e := range entries {
		if e.LastOffset < 500 {
			t.Errorf("entry [%d,%d] left although transactions committed up to offset 1000", e.FirstOffset, e.LastOffset)
		}
	}
	if _, n := visible(t, addrs); n != 1000 {
		t.Errorf("visible counts/n = %d, want 1000", n)
	}
}

// breakablePublisher fails every Publish while broken is set.
type breakablePublisher struct {
	Publisher
	broken atomic.Bool
}

func (b *breakablePublisher) Publish(ctx context.Context, ps []Profile) error {
	if b.broken.Load() {
		return errors.New("sink unavailable")
	}
	return b.Publisher.Publish(ctx, ps)
}

func (b *breakablePublisher) Reconcile(ctx context.Context, topic string, partition int32, resume int64) error {
	return b.Publisher.(Reconciler).Reconcile(ctx, topic, partition, resume)
}

func (b *breakablePublisher) Prune(ctx context.Context, topic string, partition int32, committed int64) error {
	return b.Publisher.(Pruner).Prune(ctx, topic, partition, committed)
}

// A revoke while the member's sink is down: the revoked partition's drain
// must not outlast the rebalance. Unbounded, it holds the group's
// rebalance for as long as the outage lasts (the second member gets no
// partition), and once the group's rebalance timeout moves on without the
// member, the new owner reconciles and replays from the committed offset
// while the old member's worker, still retrying its final flush, writes a
// partial the new owner published too when the sink is back (here it would
// replace the new owner's first checkpoint object, same key, with one
// holding 100 records instead of 50). The drain of revoked partitions is
// bounded by ShutdownTimeout and 3/4 of the rebalance timeout; what did
// not drain is dropped (not committed) and replayed by the next owner: the
// merged output counts every record once.
func TestRevokeDuringSinkOutageWritesNothingAfterward(t *testing.T) {
	addrs := newCluster(t, 2, "orders")
	cl := manualClient(t, addrs)
	ends := produce(t, cl, jsonRecords(0, 200, 2, time.Second))
	s, err := sink.OpenBlob(context.Background(), "mem://", sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds := jsonDataset("orders", time.Hour, 0)
	opts := func(cfg *Config) {
		cfg.ShutdownTimeout = 30 * time.Second // the rebalance timeout bounds the revoke drain
		cfg.ClientOpts = append(cfg.ClientOpts, kgo.RebalanceTimeout(2*time.Second))
	}
	pa := &breakablePublisher{Publisher: SinkPublisher(s, "test")}
	cfgA := testConfig(addrs, "g", pa, ds)
	opts(&cfgA)
	a := start(t, cfgA)
	waitProcessed(t, ends, a)
	pa.broken.Store(true)

	cfgB := testConfig(addrs, "g", SinkPublisher(s, "test"), ds)
	cfgB.CheckpointEveryRecords = 50
	opts(&cfgB)
	b := start(t, cfgB)
	deadline := time.Now().Add(30 * time.Second)
	for len(b.c.Stats()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the second member got no partition")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ends = mergeEnds(ends, produce(t, cl, jsonRecords(200, 300, 2, time.Second)))
	waitProcessed(t, ends, a, b)
	time.Sleep(time.Second) // B's checkpoints are published
	pa.broken.Store(false)
	time.Sleep(2 * time.Second) // a stuck drain of A would publish now
	if err := b.stop(t); err != nil {
		t.Fatal(err)
	}
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, o := range readObjects(t, s.Bucket()) {
		if o.segment == sink.AllSegment {
			n += o.n
		}
	}
	if n != 300 {
		t.Errorf("merged counts/n = %d, want 300", n)
	}
}

// flakySink fails every n-th Publish after the wrapped sink stored it (the
// write happened; the caller is told it did not), up to max times.
type flakySink struct {
	sink.Sink
	n, max      int64
	calls, errs atomic.Int64
}

func (f *flakySink) Publish(ctx context.Context, ps []sink.Profile) error {
	err := f.Sink.Publish(ctx, ps)
	if err == nil && f.calls.Add(1)%f.n == 0 && f.errs.Load() < f.max {
		f.errs.Add(1)
		return errors.New("injected failure after writing")
	}
	return err
}

// Exactly-once Kafka output with a blob sink next to it: transactions
// abort (the Kafka side fails after writing, the blob side wrote its
// objects too), the workers restart from the committed offsets and
// reconcile the blob sink there. Both outputs count every record once: the
// read_committed profiles, and the blob objects merged per window (no two
// objects share a record).
func TestExactlyOnceAbortWithBlobSink(t *testing.T) {
	_, addrs := newEOSCluster(t, 2)
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 800, 2, 500*time.Millisecond))
	b, err := sink.OpenBlob(context.Background(), "mem://", sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var fk *flakySink
	cfg := eosConfig(addrs, "g", "kp-blob", 300*time.Millisecond, nil, jsonDataset("orders", time.Minute, 0))
	cfg.CheckpointEveryRecords = 50
	cfg.Transactional.Publisher = func(cl *kgo.Client) (Publisher, error) {
		k, err := sink.NewKafkaTxn(cl, "profiles", sink.KafkaOptions{})
		if err != nil {
			return nil, err
		}
		fk = &flakySink{Sink: k, n: 3, max: 4}
		m, err := sink.NewMulti(fk, b)
		if err != nil {
			return nil, err
		}
		return &countingReconciler{Publisher: SinkPublisher(m, "test"), calls: map[int32]int{}}, nil
	}
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	waitCommitted(t, addrs, "g", ends)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	cr := r.c.cfg.Publisher.(txnPublisher).inner.(*countingReconciler)
	cr.mu.Lock()
	for p := range int32(2) {
		// Every abort restarts the workers, which reconcile again before
		// publishing what they re-read.
		if cr.calls[p] < 2 {
			t.Errorf("partition %d reconciled %d times, want again after the aborts", p, cr.calls[p])
		}
	}
	cr.mu.Unlock()
	if fk.errs.Load() == 0 || txnCount(r.c.Metrics(), txnAborted, reasonProduce) == 0 {
		t.Fatalf("no transaction aborted (%d injected failures)", fk.errs.Load())
	}
	if _, n := visible(t, addrs); n != 800 {
		t.Errorf("visible counts/n = %d, want 800", n)
	}
	objs := readObjects(t, b.Bucket())
	var n int64
	for _, o := range objs {
		if o.segment == sink.AllSegment {
			n += o.n
		}
	}
	if n != 800 {
		t.Errorf("blob objects merged: counts/n = %d, want 800 (%d objects)", n, len(objs))
	}
}

// countingReconciler counts the Reconcile calls per partition.
type countingReconciler struct {
	Publisher
	mu    sync.Mutex
	calls map[int32]int
}

func (c *countingReconciler) Reconcile(ctx context.Context, topic string, partition int32, resume int64) error {
	c.mu.Lock()
	c.calls[partition]++
	c.mu.Unlock()
	return c.Publisher.(Reconciler).Reconcile(ctx, topic, partition, resume)
}

func (c *countingReconciler) Prune(ctx context.Context, topic string, partition int32, committed int64) error {
	return c.Publisher.(Pruner).Prune(ctx, topic, partition, committed)
}

// A partition moves to a second member (cooperative-sticky) and back to the
// first when the second crashes: each owner reconciles the blob sink at the
// offset the previous one committed (the crashed one published closed
// windows beyond it), and the members cut different checkpoint boundaries.
// The merged objects count every record once and no two objects of a
// partition share an offset.
func TestPartitionReturnsToMemberReconciles(t *testing.T) {
	addrs := newCluster(t, 2, "orders")
	cl := manualClient(t, addrs)
	s, err := sink.OpenBlob(context.Background(), "mem://", sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds := jsonDataset("orders", time.Minute, 0)
	ends := produce(t, cl, jsonRecords(0, 200, 2, time.Second))
	cfgA := testConfig(addrs, "g", SinkPublisher(s, "test"), ds)
	cfgA.CheckpointEveryRecords = 30
	a := start(t, cfgA)
	waitProcessed(t, ends, a)
	cfgB := testConfig(addrs, "g", SinkPublisher(s, "test"), ds)
	cfgB.CheckpointEveryRecords = 70
	b := start(t, cfgB)
	deadline := time.Now().Add(30 * time.Second)
	for len(b.c.Stats()) == 0 || len(a.c.Stats())+len(b.c.Stats()) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("rebalance did not settle: a=%v b=%v", a.c.Stats(), b.c.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	ends = mergeEnds(ends, produce(t, cl, jsonRecords(200, 500, 2, time.Second)))
	waitProcessed(t, ends, a, b)
	b.c.Abort() // a crash: its partition returns to A, which reconciles at B's last commit
	if err := b.stop(t); !errors.Is(err, ErrAborted) {
		t.Fatalf("aborted member: %v", err)
	}
	ends = mergeEnds(ends, produce(t, cl, jsonRecords(500, 700, 2, time.Second)))
	waitProcessed(t, ends, a)
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	var n int64
	byPart := map[string][][2]int64{}
	for _, o := range readObjects(t, s.Bucket()) {
		if o.segment != sink.AllSegment {
			continue
		}
		n += o.n
		if o.n != o.last-o.first+1 {
			t.Errorf("object %s covers [%d,%d] with counts/n %d", o.key, o.first, o.last, o.n)
		}
		base := o.key[strings.LastIndexByte(o.key, '/')+1:] // orders-<partition>-<first>-<ksuid>.bin
		p := base[:strings.IndexByte(base[len("orders-"):], '-')+len("orders-")]
		for _, r := range byPart[p] {
			if o.first <= r[1] && r[0] <= o.last {
				t.Errorf("object %s [%d,%d] overlaps [%d,%d]", o.key, o.first, o.last, r[0], r[1])
			}
		}
		byPart[p] = append(byPart[p], [2]int64{o.first, o.last})
	}
	if n != 700 {
		t.Errorf("merged counts/n = %d, want 700", n)
	}
}

// A partition paused for backpressure while its worker was stalled on the
// sink, then revoked with a drain that timed out: the killed worker must
// resume the partition in the client (paused partitions stay paused in
// franz-go across revokes and reassignments), or the partition, once
// assigned to this member again, is never fetched.
func TestKilledPausedWorkerResumesPartition(t *testing.T) {
	addrs := newCluster(t, 2, "orders")
	cl := manualClient(t, addrs)
	ends := produce(t, cl, jsonRecords(0, 400, 2, time.Second))
	s, err := sink.OpenBlob(context.Background(), "mem://", sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds := jsonDataset("orders", time.Minute, 0)
	pa := &breakablePublisher{Publisher: SinkPublisher(s, "test")}
	pa.broken.Store(true)
	cfgA := testConfig(addrs, "g", pa, ds)
	cfgA.ShutdownTimeout = time.Second
	cfgA.MaxQueuedRecords = 10
	cfgA.PollRecords = 10
	a := start(t, cfgA)
	deadline := time.Now().Add(30 * time.Second)
	for testutil.ToFloat64(a.c.Metrics().PausedPartitions) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("partitions not paused: %v", a.c.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	b := start(t, testConfig(addrs, "g", SinkPublisher(s, "test"), ds))
	for len(b.c.Stats()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the second member got no partition")
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitProcessed(t, map[int32]int64{b.c.Stats()[0].Partition: ends[b.c.Stats()[0].Partition]}, b)
	pa.broken.Store(false)
	if err := b.stop(t); err != nil { // its partition returns to A
		t.Fatal(err)
	}
	ends = mergeEnds(ends, produce(t, cl, jsonRecords(400, 500, 2, time.Second)))
	waitProcessed(t, ends, a)
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(a.c.Metrics().PausedPartitions); got != 0 {
		t.Errorf("paused partitions gauge %v after the stop, want 0", got)
	}
	var n int64
	for _, o := range readObjects(t, s.Bucket()) {
		if o.segment == sink.AllSegment {
			n += o.n
		}
	}
	if n != 500 {
		t.Errorf("merged counts/n = %d, want 500", n)
	}
}

// A member stops reporting the per-partition gauges (commit lag, open
// windows) of a partition it no longer owns: stale series would add the
// revoked partition's last lag to the new owner's in every sum and keep a
// lag alert firing on the old member.
func TestRevokedPartitionGaugesRemoved(t *testing.T) {
	addrs := newCluster(t, 2, "orders")
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 200, 2, time.Second))
	ds := jsonDataset("orders", time.Hour, 0)
	pub := NewMemoryPublisher()
	a := start(t, testConfig(addrs, "g", pub, ds))
	waitProcessed(t, ends, a)
	deadline := time.Now().Add(30 * time.Second)
	for testutil.CollectAndCount(a.c.Metrics().CommitLag) < 2 || testutil.CollectAndCount(a.c.Metrics().OpenWindows) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("per-partition gauges never reported")
		}
		time.Sleep(20 * time.Millisecond)
	}
	b := start(t, testConfig(addrs, "g", pub, ds))
	for len(b.c.Stats()) == 0 || len(a.c.Stats()) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("rebalance did not settle: a=%v b=%v", a.c.Stats(), b.c.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a few commit rounds
	if n := testutil.CollectAndCount(a.c.Metrics().CommitLag); n != 1 {
		t.Errorf("first member reports commit lag for %d partitions, owns 1", n)
	}
	if n := testutil.CollectAndCount(a.c.Metrics().OpenWindows); n != 1 {
		t.Errorf("first member reports open windows for %d partitions, owns 1", n)
	}
}

// produceTxn writes rs in one transaction of a fresh transactional producer
// and commits or aborts it.
func produceTxn(t *testing.T, addrs []string, id string, rs []*kgo.Record, commit bool) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), manualPartitioner(), kgo.TransactionalID(id))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatal(err)
	}
}

// Records of an aborted transaction in a source topic never happened (a
// transactional producer such as Kafka Streams retries them in a later
// transaction): the at-least-once consumer, like the exactly-once one, reads
// with read_committed and does not profile them.
func TestAbortedSourceRecordsNotProfiled(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	produceTxn(t, addrs, "src-1", jsonRecords(0, 100, 1, time.Second), true)
	produceTxn(t, addrs, "src-2", jsonRecords(100, 150, 1, time.Second), false)
	ends := produce(t, manualClient(t, addrs), jsonRecords(150, 160, 1, time.Second))
	pub := NewMemoryPublisher()
	r := start(t, testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0)))
	waitProcessed(t, ends, r)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 110 {
		t.Errorf("counts/n = %d, want 110 (100 committed + 10 plain records; 50 aborted ones excluded)", got)
	}
}

// A backfill, like live processing, reads with read_committed: records of
// an aborted source transaction are not profiled, and it still ends at the
// end offsets.
func TestBackfillSkipsAbortedSourceRecords(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	produceTxn(t, addrs, "src-1", jsonRecords(0, 100, 1, time.Second), true)
	produceTxn(t, addrs, "src-2", jsonRecords(100, 150, 1, time.Second), false)
	produce(t, manualClient(t, addrs), jsonRecords(150, 160, 1, time.Second))
	produceTxn(t, addrs, "src-3", jsonRecords(160, 170, 1, time.Second), false) // the range ends in an aborted transaction
	pub := NewMemoryPublisher()
	if _, err := runBackfill(t, backfillConfig(addrs, pub, jsonDataset("orders", time.Minute, 0))); err != nil {
		t.Fatal(err)
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 110 {
		t.Errorf("counts/n = %d, want 110 (100 committed + 10 plain records; 60 aborted ones excluded)", got)
	}
}

// oneRecordTxns writes each record in its own committed transaction, so
// every other offset of the partition is a transaction marker.
func oneRecordTxns(t *testing.T, addrs []string, rs []*kgo.Record) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), manualPartitioner(), kgo.TransactionalID("src-single"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	ends := map[int32]int64{}
	for _, r := range rs {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			t.Fatal(err)
		}
		ends[r.Partition] = max(ends[r.Partition], r.Offset+1)
	}
	return ends
}

// Record-count checkpoints on a transactional source whose markers take
// every odd offset: (offset+1) % 10 == 0 only holds for markers, which the
// consumer never sees, yet a checkpoint must follow each record that passes
// a multiple of 10 (otherwise the commit never moves without a wall-clock
// checkpoint and a restart replays everything). A backfill cuts the same
// checkpoints.
func TestCheckpointsAcrossTransactionMarkers(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	ends := oneRecordTxns(t, addrs, jsonRecords(0, 40, 1, time.Second))
	if ends[0] != 79 {
		t.Fatalf("last record at %d, want offsets 0, 2, ..., 78", ends[0]-1)
	}
	ds := jsonDataset("orders", time.Hour, 0)
	pub := NewMemoryPublisher()
	cfg := testConfig(addrs, "g", pub, ds)
	cfg.CheckpointEveryRecords = 10
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := r.c.Stats()
		if len(st) == 1 && st[0].Committed == 71 { // after record 70, which passed 70
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed offset never reached the last checkpoint (71): %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	live := pub.Profiles()
	bpub := NewMemoryPublisher()
	bcfg := backfillConfig(addrs, bpub, ds)
	bcfg.CheckpointEveryRecords = 10
	if _, err := runBackfill(t, bcfg); err != nil {
		t.Fatal(err)
	}
	var lf, bf []int64
	for _, p := range live {
		lf = append(lf, p.FirstOffset)
	}
	for _, p := range bpub.Profiles() {
		bf = append(bf, p.FirstOffset)
	}
	want := []int64{0, 12, 22, 32, 42, 52, 62, 72} // checkpoints after records 10, 20, ..., 70
	if !slices.Equal(lf, want) || !slices.Equal(bf, want) {
		t.Errorf("profile first offsets: live %v, backfill %v, want %v", lf, bf, want)
	}
}
