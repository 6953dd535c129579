package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/kprofiler/kprofiler/crash"
	"github.com/kprofiler/kprofiler/pipeline"
	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
)

// outageDuration is how long the injected outages last (issue 6: 30 s).
const outageDuration = 30 * time.Second

// produced remembers every produced record's position and validity, so that
// "the records below a committed offset" can be counted exactly.
type produced struct {
	mu    sync.Mutex
	valid map[int32][]int64 // partition → offsets of valid records, ascending
	all   int
}

func (p *produced) validBelow(part int32, off int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, _ := slices.BinarySearch(p.valid[part], off)
	return n
}

func (p *produced) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, v := range p.valid {
		n += len(v)
	}
	return n
}

// produceRecorded produces n events of g and records where each landed.
// firstValid, when non-nil, receives the first valid offset of this batch
// per partition.
func produceRecorded(t *testing.T, ctx context.Context, cl *kgo.Client, topic string, g *orderGen, n int, p *produced, firstValid map[int32]int64) {
	t.Helper()
	rs := make([]*kgo.Record, 0, n)
	ok := make([]bool, 0, n)
	for range n {
		k, v, ts, good := g.next()
		rs = append(rs, &kgo.Record{Topic: topic, Key: k, Value: v, Timestamp: ts})
		ok = append(ok, good)
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.valid == nil {
		p.valid = map[int32][]int64{}
	}
	p.all += n
	for i, r := range rs {
		if !ok[i] {
			continue
		}
		p.valid[r.Partition] = append(p.valid[r.Partition], r.Offset)
		if firstValid != nil {
			if _, seen := firstValid[r.Partition]; !seen {
				firstValid[r.Partition] = r.Offset
			}
		}
	}
	for k := range p.valid {
		slices.Sort(p.valid[k])
	}
}

// outageRig is an in-process broker and a `consumer run` (serve) on it.
type outageRig struct {
	t     *testing.T
	addrs []string
	cl    *kgo.Client
	adm   *kadm.Client
	topic string
	group string
	cons  *pipeline.Consumer
	stop  chan os.Signal
	code  chan int
	logs  *syncBuffer
	// finished is set once finish collected the exit code.
	finished bool
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

func newOutageRig(t *testing.T, topic string, partitions int32) *outageRig {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	r := &outageRig{t: t, addrs: c.ListenAddrs(), topic: topic, group: "outage-" + topic, logs: &syncBuffer{}}
	if r.cl, err = kgo.NewClient(kgo.SeedBrokers(r.addrs...)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.cl.Close)
	r.adm = kadm.NewClient(r.cl)
	return r
}

// yaml returns the consumer config: the dataset section and sinks are given.
func (r *outageRig) yaml(dataset, sinks string) string {
	return `kafka:
  brokers: [` + strings.Join(r.addrs, ",") + `]
  group: ` + r.group + `
  fetch_max_wait: 100ms
datasets:
` + dataset + `
sinks:
` + sinks + `
checkpoint:
  every_records: 1000
  every_interval: 1s
http: {listen: "127.0.0.1:0"}
shutdown_timeout: 60s
`
}

// start runs serve with cfgYAML until r.finish.
func (r *outageRig) start(cfgYAML string) {
	cfg := loadYAML(r.t, cfgYAML)
	r.stop = make(chan os.Signal, 2)
	r.code = make(chan int, 1)
	started := make(chan *pipeline.Consumer, 1)
	log := zerolog.New(r.logs).Level(zerolog.WarnLevel)
	go func() { r.code <- serve(cfg, log, r.stop, func(c *pipeline.Consumer) { started <- c }) }()
	select {
	case r.cons = <-started:
	case c := <-r.code:
		r.t.Fatalf("consumer exited with %d at start:\n%s", c, r.logs.b.String())
	}
	r.t.Cleanup(func() {
		if r.finished {
			return
		}
		r.stop <- syscall.SIGTERM
		select {
		case <-r.code:
		case <-time.After(time.Minute):
		}
	})
}

// committed returns the group's committed offset per partition (-1: none)
// and the end offsets.
func (r *outageRig) committed(ctx context.Context) (map[int32]int64, map[int32]int64, error) {
	ends, err := r.adm.ListEndOffsets(ctx, r.topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, nil, err
	}
	offs, err := r.adm.FetchOffsets(ctx, r.group)
	if err == nil {
		err = offs.Error()
	}
	if err != nil {
		return nil, nil, err
	}
	com, end := map[int32]int64{}, map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		end[o.Partition] = o.Offset
		com[o.Partition] = -1
		if c, ok := offs.Lookup(r.topic, o.Partition); ok {
			com[o.Partition] = c.At
		}
	})
	return com, end, nil
}

// waitAllCommitted waits until every partition is committed up to its end.
func (r *outageRig) waitAllCommitted(ctx context.Context, timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	start := time.Now()
	for {
		com, end, err := r.committed(ctx)
		if err == nil && maps.Equal(com, end) {
			r.t.Logf("all committed after %s", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("committed %v, end %v after %s (%v)\n%s", com, end, timeout, err, r.logs.b.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// finish stops the consumer as SIGTERM does and checks the exit code.
func (r *outageRig) finish() {
	r.t.Helper()
	r.finished = true
	r.stop <- syscall.SIGTERM
	select {
	case c := <-r.code:
		if c != 0 {
			r.t.Fatalf("exit code %d after SIGTERM\n%s", c, r.logs.b.String())
		}
	case <-time.After(time.Minute):
		r.t.Fatal("consumer did not stop within a minute of SIGTERM")
	}
}

// counterValue reads a counter (summed over its label values).
func counterValue(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	var sum float64
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) == nil && d.Counter != nil {
			sum += d.Counter.GetValue()
		}
	}
	return sum
}

// checkMerged merges the full-dataset profiles and checks that every
// column's counts/n equals want.
func checkMerged(t *testing.T, ps []crash.Stored, dataset string, want int, columns int) {
	t.Helper()
	m, err := crash.Merge(ps, dataset)
	if err != nil {
		t.Fatal(err)
	}
	full := m.Segments[""]
	if full == nil {
		t.Fatalf("no full-dataset profile among %d profiles", m.Profiles)
	}
	counts := crash.Counts(full)
	if len(counts) != columns {
		t.Errorf("merged profile has %d columns %v, want %d", len(counts), slices.Sorted(maps.Keys(counts)), columns)
	}
	for _, col := range slices.Sorted(maps.Keys(counts)) {
		if counts[col] != int64(want) {
			t.Errorf("column %s: counts/n %d, want %d valid events (%+d)", col, counts[col], want, counts[col]-int64(want))
		}
	}
	t.Logf("merged %d profiles: counts/n %d in each of %d columns (want %d)", m.Profiles, counts["event_id"], len(counts), want)
}

// storedPerPartition sums counts/n of event_id over the full-dataset
// profiles of each source partition.
func storedPerPartition(t *testing.T, ps []crash.Stored) map[int32]int64 {
	t.Helper()
	out := map[int32]int64{}
	for _, s := range ps {
		m, err := crash.Merge([]crash.Stored{s}, "orders")
		if err != nil {
			t.Fatal(err)
		}
		full := m.Segments[""]
		if full == nil {
			continue
		}
		meta := full.Metadata()[profiler.MetaPartition] // "topic/partition"
		p, err := strconv.Atoi(meta[strings.LastIndexByte(meta, '/')+1:])
		if err != nil {
			t.Fatalf("%s: partition metadata: %v", s.Key, err)
		}
		out[int32(p)] += crash.Counts(full)["event_id"]
	}
	return out
}

// TestOutageS3: the S3 fake fails every request (HTTP 500/503) for 30 s
// while new records arrive. The consumer keeps retrying, never commits an
// offset beyond what the bucket holds, and after the outage publishes
// everything: the merged profiles count every valid event exactly once.
func TestOutageS3(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s outage")
	}
	// Parallel with the registry outage; unsigned requests (anonymous=true),
	// so no credentials in the process environment are needed.
	t.Parallel()
	fake, err := crash.NewFakeS3("profiles")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	ctx := context.Background()
	r := newOutageRig(t, "orders", 3)
	g, err := newOrderGen(11, genStart, 50*time.Millisecond, 0.02, "json")
	if err != nil {
		t.Fatal(err)
	}
	var p produced
	produceRecorded(t, ctx, r.cl, r.topic, g, 6000, &p, nil)
	r.start(r.yaml(`  - name: orders
    topics: [orders]
    event_time: {source: field, field: ts}
    rotation: 1m
    segments: {fields: [device]}
    profile_full_dataset: true`, `  - type: blob
    url: "`+fake.BlobURL()+`&anonymous=true"
    prefix: kp/`))
	r.waitAllCommitted(ctx, time.Minute)

	fake.SetOutage(true)
	outageStart := time.Now()
	objs, err := fake.Objects("kp/")
	if err != nil {
		t.Fatal(err)
	}
	stored := storedPerPartition(t, objs)
	sinkErrs0 := counterValue(r.cons.Metrics().SinkErrors)
	produceRecorded(t, ctx, r.cl, r.topic, g, 6000, &p, nil)
	var checks int
	maxHeld := 0
	for time.Since(outageStart) < outageDuration {
		com, _, err := r.committed(ctx)
		if err == nil {
			checks++
			for part, c := range com {
				if below := p.validBelow(part, c); int64(below) > stored[part] {
					t.Errorf("partition %d: committed offset %d covers %d valid records, but the bucket holds only %d of them (outage)", part, c, below, stored[part])
				}
			}
		}
		held := 0
		for _, s := range r.cons.Stats() {
			held += p.validBelow(s.Partition, s.Next) - int(stored[s.Partition])
		}
		maxHeld = max(maxHeld, held)
		time.Sleep(250 * time.Millisecond)
	}
	failed := fake.Failed.Load()
	fake.SetOutage(false)
	if checks < 10 {
		t.Errorf("only %d commit checks during the outage", checks)
	}
	if maxHeld == 0 {
		t.Error("the consumer processed no record during the outage: nothing was at risk")
	}
	if failed == 0 || counterValue(r.cons.Metrics().SinkErrors) <= sinkErrs0 {
		t.Errorf("no failed publish during the outage (fake failed %d requests)", failed)
	}
	t.Logf("outage %s: %d requests failed, %d valid records processed but unpublished at most, %d commit checks", outageDuration, failed, maxHeld, checks)

	r.waitAllCommitted(ctx, time.Minute)
	r.finish()
	objs, err = fake.Objects("kp/")
	if err != nil {
		t.Fatal(err)
	}
	checkMerged(t, objs, "orders", p.total(), 12)
}

// TestOutageSchemaRegistry: the registry answers 503 for 30 s while records
// with a schema id the consumer has not seen yet arrive. Their partitions'
// commits wait (never past the first such record), nothing is skipped, and
// after the outage every valid event is profiled exactly once.
func TestOutageSchemaRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s outage")
	}
	t.Parallel()
	reg := srfake.NewRegistry()
	reg.SeedSchema("orders-value", 1, 1, sr.Schema{Schema: event.OrderFlatSchema})
	reg.SeedSchema("orders-v2-value", 1, 2, sr.Schema{Schema: event.OrderFlatSchema})
	var down atomic.Bool
	var failed atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if down.Load() {
			failed.Add(1)
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error_code":50301,"message":"outage injected by the test"}`)
			return
		}
		reg.Handler().ServeHTTP(w, req)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String()

	ctx := context.Background()
	r := newOutageRig(t, "orders", 3)
	g, err := newOrderGen(12, genStart, 50*time.Millisecond, 0.02, "avro")
	if err != nil {
		t.Fatal(err)
	}
	g.schemaID = 1
	var p produced
	produceRecorded(t, ctx, r.cl, r.topic, g, 6000, &p, nil)
	out := t.TempDir()
	r.start(r.yaml(`  - name: orders
    topics: [orders]
    format: avro
    avro: {schema_registry: {url: "`+url+`"}}
    event_time: {source: field, field: ts}
    rotation: 1m
    segments: {fields: [device]}
    profile_full_dataset: true`, `  - type: blob
    url: file://`+out))
	r.waitAllCommitted(ctx, time.Minute)

	down.Store(true)
	outageStart := time.Now()
	retries0 := counterValue(r.cons.Metrics().RegistryRetries)
	g.schemaID = 2 // a schema id the consumer has not looked up yet
	first := map[int32]int64{}
	produceRecorded(t, ctx, r.cl, r.topic, g, 6000, &p, first)
	checks := 0
	for time.Since(outageStart) < outageDuration {
		com, _, err := r.committed(ctx)
		if err == nil {
			checks++
			for part, c := range com {
				if f, ok := first[part]; ok && c > f {
					t.Errorf("partition %d: committed %d during the registry outage, past the first undecodable record at %d", part, c, f)
				}
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	down.Store(false)
	if retries := counterValue(r.cons.Metrics().RegistryRetries) - retries0; retries == 0 || failed.Load() == 0 {
		t.Errorf("no registry retries during the outage (%v retries, %d failed requests)", retries, failed.Load())
	}
	if checks < 10 {
		t.Errorf("only %d commit checks during the outage", checks)
	}
	t.Logf("registry outage %s: %d failed requests, %d commit checks", outageDuration, failed.Load(), checks)
	t0 := time.Now()
	r.waitAllCommitted(ctx, time.Minute)
	t.Logf("caught up %s after the outage", time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	r.finish()
	t.Logf("stopped in %s", time.Since(t0).Round(time.Millisecond))
	ps, err := crash.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	checkMerged(t, ps, "orders", p.total(), 12)
}
