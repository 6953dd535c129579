package pipeline

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/kprofiler/kprofiler/schemas/whylogs"
	"github.com/kprofiler/kprofiler/sink"
)

// hookPublisher calls before and after around each Publish of the wrapped
// Publisher and forwards Reconcile and Prune.
type hookPublisher struct {
	next          Publisher
	before, after func(ps []Profile)
}

func (h *hookPublisher) Publish(ctx context.Context, ps []Profile) error {
	if h.before != nil {
		h.before(ps)
	}
	if err := h.next.Publish(ctx, ps); err != nil {
		return err
	}
	if h.after != nil {
		h.after(ps)
	}
	return nil
}

func (h *hookPublisher) Reconcile(ctx context.Context, topic string, partition int32, resume int64) error {
	return h.next.(Reconciler).Reconcile(ctx, topic, partition, resume)
}

func (h *hookPublisher) Prune(ctx context.Context, topic string, partition int32, committed int64) error {
	return h.next.(Pruner).Prune(ctx, topic, partition, committed)
}

// storedObject is one profile object read back from a bucket.
type storedObject struct {
	key         string
	first, last int64
	segment     string
	n           int64 // counts/n of event_id
}

// readObjects reads every profile object (".bin", outside the journal).
func readObjects(t *testing.T, b *blob.Bucket) []storedObject {
	t.Helper()
	ctx := context.Background()
	var out []storedObject
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(obj.Key, sink.JournalDir) {
			continue
		}
		if !strings.HasSuffix(obj.Key, ".bin") {
			t.Fatalf("unexpected object %q", obj.Key)
		}
		attrs, err := b.Attributes(ctx, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		val, err := b.ReadAll(ctx, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		o := storedObject{key: obj.Key, segment: attrs.Metadata[sink.FieldSegment]}
		if o.first, err = strconv.ParseInt(attrs.Metadata[sink.FieldFirstOffset], 10, 64); err != nil {
			t.Fatal(err)
		}
		if o.last, err = strconv.ParseInt(attrs.Metadata[sink.FieldLastOffset], 10, 64); err != nil {
			t.Fatal(err)
		}
		dp, _, err := whylogs.Read(val)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := dp.Lookup("event_id"); ok {
			v, _ := c.Summary().Lookup("counts/n")
			o.n = v.Int
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b storedObject) int { return int(a.first - b.first) })
	return out
}

// A consumer killed (Abort) after publishing objects beyond its last
// commit, restarted with different flush boundaries (as wall-clock
// checkpoints or a changed checkpoint setting give): the file sink's
// journal lets the restart delete what the crashed run published at or
// beyond the committed offset, so the merged output counts every record
// exactly once and no object holds a record another object holds.
//
// Partition 0 holds 300 records, one per second of event time: minute
// windows hold offsets [0,60), [60,120), .... Run A checkpoints every 50
// records; its commits are refused by the broker once offset 100 is
// committed, and it is killed right after the publish (its checkpoint at
// 199) that wrote the closed window [150,180) (first offset 150, after its
// checkpoint at 149) and the partial [180,200). Run B
// checkpoints every 70 records, so from 100 it cuts [100,120) [120,140)
// [140,180) ...: without reconciling, A's object for [150,180) would stay
// next to B's [140,180) and count 30 records twice.
func TestFileSinkCrashExactlyOnce(t *testing.T) {
	crashExactlyOnce(t, "file://"+filepath.ToSlash(t.TempDir()))
}

// TestS3SinkCrashExactlyOnce is TestFileSinkCrashExactlyOnce on S3
// (gofakes3 on 127.0.0.1, through gocloud's s3:// URL opener).
func TestS3SinkCrashExactlyOnce(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	backend := s3mem.New()
	if err := backend.CreateBucket("profiles"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(gofakes3.New(backend).Server())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	q := url.Values{}
	q.Set("endpoint", srv.URL)
	q.Set("region", "us-east-1")
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	crashExactlyOnce(t, "s3://profiles?"+q.Encode())
}

func crashExactlyOnce(t *testing.T, url string) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addrs := c.ListenAddrs()
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 300, 1, time.Second))
	rb, err := blob.OpenBucket(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()

	var refuse sync.Once
	var refusing atomic.Bool
	c.ControlKey(int16(kmsg.OffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if !refusing.Load() {
			return nil, nil, false // the cluster handles it
		}
		r := req.(*kmsg.OffsetCommitRequest)
		resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, rt := range r.Topics {
			st := kmsg.NewOffsetCommitResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewOffsetCommitResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.OffsetMetadataTooLarge.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})

	// Run A.
	sa, err := sink.OpenBlob(context.Background(), url, sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ca *Consumer
	crashed := make(chan struct{})
	hook := &hookPublisher{next: SinkPublisher(sa, "test")}
	hook.before = func(ps []Profile) {
		if !slices.ContainsFunc(ps, func(p Profile) bool { return p.FirstOffset >= 100 }) {
			return
		}
		// The worker is blocked here, so its committable offset stays at
		// 100 until the poll loop committed it; then commits are refused.
		refuse.Do(func() {
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				if s := ca.Stats(); len(s) == 1 && s[0].Committed == 100 {
					refusing.Store(true)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
			t.Errorf("offset 100 was never committed")
		})
	}
	hook.after = func(ps []Profile) {
		if slices.ContainsFunc(ps, func(p Profile) bool { return p.FirstOffset == 150 }) {
			ca.Abort() // crash after the write, before any commit
			close(crashed)
		}
	}
	cfgA := testConfig(addrs, "g", hook, jsonDataset("orders", time.Minute, 0))
	cfgA.CheckpointEveryRecords = 50
	if ca, err = New(cfgA); err != nil {
		t.Fatal(err)
	}
	aDone := make(chan error, 1)
	go func() { aDone <- ca.Run(context.Background()) }()
	select {
	case <-crashed:
	case <-time.After(30 * time.Second):
		ca.Abort()
		<-aDone
		t.Fatal("run A never published the window starting at offset 150")
	}
	if err := <-aDone; !errors.Is(err, ErrAborted) {
		t.Fatalf("run A = %v, want ErrAborted", err)
	}
	_ = sa.Close()
	if got := committed(t, addrs, "g", "orders")[0]; got != 100 {
		t.Fatalf("committed %d after the crash, want 100", got)
	}
	before := readObjects(t, rb)
	var beyond int
	for _, o := range before {
		if o.first >= 100 {
			beyond++
		}
	}
	if !slices.ContainsFunc(before, func(o storedObject) bool { return o.first == 150 && o.last == 179 }) || beyond < 3 {
		t.Fatalf("run A did not leave its uncommitted objects [100,120) [120,150) [150,180): %+v", before)
	}

	// Run B, another process in effect: a new sink on the same directory.
	refusing.Store(false)
	sb, err := sink.OpenBlob(context.Background(), url, sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	cfgB := testConfig(addrs, "g", SinkPublisher(sb, "test"), jsonDataset("orders", time.Minute, 0))
	cfgB.CheckpointEveryRecords = 70
	b := start(t, cfgB)
	waitProcessed(t, ends, b)
	if err := b.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, addrs, "g", "orders")[0]; got != 300 {
		t.Errorf("committed %d after run B, want 300", got)
	}

	objs := readObjects(t, rb)
	var total int64
	next := int64(0)
	for _, o := range objs {
		if o.segment != sink.AllSegment {
			continue
		}
		total += o.n
		if o.first != next {
			t.Errorf("object %s covers [%d,%d], want it to start at %d (a gap or an overlap)", o.key, o.first, o.last, next)
		}
		if o.n != o.last-o.first+1 {
			t.Errorf("object %s covers [%d,%d] with counts/n %d", o.key, o.first, o.last, o.n)
		}
		next = o.last + 1
	}
	if total != 300 || next != 300 {
		t.Errorf("merged counts/n = %d up to offset %d, want 300 exactly", total, next)
	}
	if slices.ContainsFunc(objs, func(o storedObject) bool { return o.first == 150 }) {
		t.Errorf("run A's object starting at offset 150 survived the restart")
	}
	entries, err := sb.Journal(context.Background(), "orders", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.FirstOffset < 100 {
			t.Errorf("journal entry [%d,%d] below the resume offset was not collected", e.FirstOffset, e.LastOffset)
		}
	}
	t.Logf("run A left %d objects (%d beyond the commit); after run B: %d objects, %d journal entries", len(before), beyond, len(objs), len(entries))
}

// Workers prune the blob journal at checkpoints once the committed offset
// moved: a long run keeps only the entries a crash could still need, not
// one per publish.
func TestJournalPrunedAtCheckpoints(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 1000, 1, time.Second))
	s, err := sink.OpenBlob(context.Background(), "file://"+filepath.ToSlash(t.TempDir()), sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var publishes atomic.Int32
	pub := &hookPublisher{next: SinkPublisher(s, "test"), before: func([]Profile) {
		publishes.Add(1)
		time.Sleep(120 * time.Millisecond) // lets the 50ms commit loop commit each checkpoint
	}}
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0))
	cfg.CheckpointEveryRecords = 100
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	entries, err := s.Journal(context.Background(), "orders", 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := publishes.Load(); n < 10 {
		t.Fatalf("%d publishes, want at least one per checkpoint", n)
	}
	if len(entries) > 5 { // 10 without pruning; some slack for commits lagging under load
		t.Errorf("%d journal entries left after %d publishes, want the old ones pruned: %+v", len(entries), publishes.Load(), entries)
	}
	for _, e := range entries {
		if e.LastOffset < 500 {
			t.Errorf("entry [%d,%d] left although offset 1000 was reached and commits followed each checkpoint", e.FirstOffset, e.LastOffset)
		}
	}
	if got := len(readObjects(t, s.Bucket())); got < 10 {
		t.Errorf("%d profile objects, want every published profile kept", got)
	}
}

// reconcilingPublisher is a MemoryPublisher whose Reconcile fails a few
// times per partition and records the resume offsets.
type reconcilingPublisher struct {
	*MemoryPublisher
	mu         sync.Mutex
	failures   int
	calls      map[int32][]int64
	reconciled map[int32]bool
	early      []string // publishes before the partition was reconciled
}

func (r *reconcilingPublisher) Reconcile(_ context.Context, topic string, partition int32, resume int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[partition] = append(r.calls[partition], resume)
	if len(r.calls[partition]) <= r.failures {
		return errors.New("store unavailable")
	}
	r.reconciled[partition] = true
	return nil
}

func (r *reconcilingPublisher) Publish(ctx context.Context, ps []Profile) error {
	r.mu.Lock()
	for _, p := range ps {
		if !r.reconciled[p.Partition] {
			r.early = append(r.early, p.Name())
		}
	}
	r.mu.Unlock()
	return r.MemoryPublisher.Publish(ctx, ps)
}

// A worker reconciles its partition at the first record's offset before
// publishing anything, retrying a failing Reconcile with backoff; after a
// graceful restart it reconciles at the committed offset.
func TestReconcileBeforeFirstPublish(t *testing.T) {
	addrs := newCluster(t, 2, "orders")
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 200, 2, time.Second))
	pub := &reconcilingPublisher{MemoryPublisher: NewMemoryPublisher(), failures: 3,
		calls: map[int32][]int64{}, reconciled: map[int32]bool{}}
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0))
	cfg.CheckpointEveryRecords = 50
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	pub.mu.Lock()
	for p := range int32(2) {
		if got := pub.calls[p]; len(got) != 4 || got[0] != 0 || got[3] != 0 {
			t.Errorf("partition %d: Reconcile calls at %v, want 3 failures and a success, all at offset 0", p, got)
		}
	}
	if len(pub.early) > 0 {
		t.Errorf("published before Reconcile succeeded: %v", pub.early)
	}
	pub.calls, pub.reconciled, pub.failures = map[int32][]int64{}, map[int32]bool{}, 0
	pub.mu.Unlock()
	// More records, a restart: reconciled at the committed offset 100.
	more := produce(t, manualClient(t, addrs), jsonRecords(200, 220, 2, time.Second))
	r = start(t, cfg)
	waitProcessed(t, more, r)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	for p := range int32(2) {
		if got := pub.calls[p]; len(got) != 1 || got[0] != 100 {
			t.Errorf("partition %d: Reconcile calls at %v after the restart, want [100]", p, got)
		}
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 220 {
		t.Errorf("counts/n = %d, want 220", got)
	}
}
