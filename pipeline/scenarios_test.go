package pipeline

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
	"github.com/kprofiler/kprofiler/sink"
)

func manualClient(t *testing.T, addrs []string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), manualPartitioner())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func jsonRecords(from, to, parts int, step time.Duration) []*kgo.Record {
	var rs []*kgo.Record
	for i := from; i < to; i++ {
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: partitionOf(i, parts),
			Value: orderJSON(i, base.Add(time.Duration(i)*step), []string{"DE", "FR"}[i%2])})
	}
	return rs
}

func mergeEnds(a, b map[int32]int64) map[int32]int64 {
	out := map[int32]int64{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = max(out[k], v)
	}
	return out
}

// A second member joins in the middle of the windows: the cooperative
// rebalance revokes some partitions from the first member, which publishes
// their open windows as partials and commits before the second member
// starts on them. Nothing is lost and, because the revoke commits exactly
// what it published, nothing is profiled twice: the sum is exact and no
// profile is ever written twice.
func TestRebalanceMidWindow(t *testing.T) {
	addrs := newCluster(t, 4, "orders")
	cl := manualClient(t, addrs)
	ends := produce(t, cl, jsonRecords(0, 400, 4, 300*time.Millisecond))
	pub := NewMemoryPublisher()
	a := start(t, testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 5*time.Second)))
	waitProcessed(t, ends, a)
	b := start(t, testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 5*time.Second)))
	deadline := time.Now().Add(20 * time.Second)
	for len(b.c.Stats()) == 0 || len(a.c.Stats())+len(b.c.Stats()) != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("rebalance did not settle: a=%v b=%v", a.c.Stats(), b.c.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	ends = mergeEnds(ends, produce(t, cl, jsonRecords(400, 800, 4, 300*time.Millisecond)))
	waitProcessed(t, ends, a, b)
	if err := a.stop(t); err != nil {
		t.Fatal(err)
	}
	if err := b.stop(t); err != nil {
		t.Fatal(err)
	}
	ps := pub.Profiles()
	if got := countN(t, ps, "event_id"); got != 800 {
		t.Errorf("counts/n = %d, want 800", got)
	}
	if pub.Writes() != len(ps) {
		t.Errorf("%d writes for %d distinct profiles: a profile was published twice", pub.Writes(), len(ps))
	}
	com := committed(t, addrs, "g", "orders")
	for p, e := range ends {
		if com[p] != e {
			t.Errorf("partition %d committed %d, want %d", p, com[p], e)
		}
	}
}

// A member that dies without committing (Abort) leaves the records after
// its last commit to the next member, which replays them. Duplicates are
// bounded to re-publishing the windows whose records follow the last
// commit; they carry the same identity and identical bytes, so they
// overwrite: the distinct profiles still sum exactly.
func TestCrashAndRestart(t *testing.T) {
	addrs := newCluster(t, 2, "orders")
	cl := manualClient(t, addrs)
	ends := produce(t, cl, jsonRecords(0, 600, 2, 500*time.Millisecond))
	pub := NewMemoryPublisher()
	cfg := testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0))
	cfg.CheckpointEveryRecords = 70 // commits at 70, 140, 210, 280 of each partition's 300 (Rule C)
	a := start(t, cfg)
	waitProcessed(t, ends, a)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok := true
		for _, s := range a.c.Stats() {
			if s.Committed <= 0 {
				ok = false
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no commit")
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := committed(t, addrs, "g", "orders")
	a.c.Abort()
	<-a.done
	if !errors.Is(a.err, ErrAborted) {
		t.Fatalf("Run after Abort = %v", a.err)
	}
	after := committed(t, addrs, "g", "orders")
	for p := range ends {
		if after[p] != before[p] || after[p] >= ends[p] {
			t.Errorf("partition %d: committed %d before abort, %d after, end %d: abort must not commit the open windows", p, before[p], after[p], ends[p])
		}
	}
	b := start(t, cfg)
	waitProcessed(t, ends, b)
	if err := b.stop(t); err != nil {
		t.Fatal(err)
	}
	ps := pub.Profiles()
	if got := countN(t, ps, "event_id"); got != 600 {
		t.Errorf("counts/n = %d, want 600", got)
	}
	if pub.Changed() != 0 {
		t.Errorf("%d republished profiles differ from the first publish", pub.Changed())
	}
	t.Logf("%d writes, %d distinct profiles (overwrites are the replayed duplicates)", pub.Writes(), len(ps))
}

// Windows are [start, end): an event at exactly the end goes to the next
// window; an event for a closed window goes into a late partial of that
// window (same dataset timestamp), counted, never dropped.
func TestLateAndBoundaries(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	cl := manualClient(t, addrs)
	times := []time.Duration{10 * time.Second, 59*time.Second + 999*time.Millisecond, time.Minute, 30 * time.Second, 3 * time.Minute}
	var rs []*kgo.Record
	for i, d := range times {
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: 0, Value: orderJSON(i, base.Add(d), "DE")})
	}
	ends := produce(t, cl, rs)
	pub := NewMemoryPublisher()
	r := start(t, testConfig(addrs, "g", pub, jsonDataset("orders", time.Minute, 0)))
	waitProcessed(t, ends, r)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	type want struct {
		start   time.Duration
		kind    profiler.EmitKind
		records int64
		first   int64
	}
	wants := []want{
		{0, profiler.Closed, 2, 0},
		{0, profiler.Late, 1, 3},
		{time.Minute, profiler.Closed, 1, 2},
		{3 * time.Minute, profiler.Flushed, 1, 4},
	}
	ps := pub.Profiles()
	if len(ps) != len(wants) {
		t.Fatalf("got %d profiles, want %d: %+v", len(ps), len(wants), ps)
	}
	for _, w := range wants {
		found := false
		for _, p := range ps {
			if p.Window.Start.Equal(base.Add(w.start)) && p.Kind == w.kind {
				found = true
				if p.Records != w.records || p.FirstOffset != w.first || !p.Window.End.Equal(p.Window.Start.Add(time.Minute)) {
					t.Errorf("window %v %v: records %d first %d end %v, want %d, %d", w.start, w.kind, p.Records, p.FirstOffset, p.Window.End, w.records, w.first)
				}
			}
		}
		if !found {
			t.Errorf("no %v profile for window +%v", w.kind, w.start)
		}
	}
	if got := testutilCounter(r.c.Metrics().LateRecords); got != 1 {
		t.Errorf("late records = %v, want 1", got)
	}
}

// The same records with the same configuration give byte-identical
// profiles and identical sink keys, whatever the run.
func TestReplayDeterminism(t *testing.T) {
	addrs := newCluster(t, 3, "orders")
	cl := manualClient(t, addrs)
	ends := produce(t, cl, jsonRecords(0, 900, 3, 250*time.Millisecond))
	run := func(group string) []Profile {
		pub := NewMemoryPublisher()
		ds := jsonDataset("orders", time.Minute, 10*time.Second)
		ds.Window.Segments = profiler.Segmentation{Columns: []string{"country"}}
		ds.Window.FullDataset = true
		r := start(t, testConfig(addrs, group, pub, ds))
		waitProcessed(t, ends, r)
		if err := r.stop(t); err != nil {
			t.Fatal(err)
		}
		return pub.Profiles()
	}
	a, b := run("g1"), run("g2")
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d vs %d profiles", len(a), len(b))
	}
	for i := range a {
		ka, err := SinkProfile(&a[i], "test")
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := SinkProfile(&b[i], "test")
		if ka.Key != kb.Key || string(a[i].Value) != string(b[i].Value) {
			t.Fatalf("profile %d differs between runs: %s vs %s", i, ka.Key, kb.Key)
		}
	}
	if got := countN(t, a, "event_id"); got != 900 {
		t.Errorf("counts/n = %d, want 900", got)
	}
}

func avroOrder(t *testing.T, codec *goavro.Codec, i int, ts time.Time) []byte {
	t.Helper()
	var coupon any
	if i%4 == 0 {
		coupon = goavro.Union("string", "SAVE10")
	}
	b, err := codec.BinaryFromNative(nil, map[string]any{
		"event_id": "e" + itoa32(int32(i)), "ts": ts, "country": "DE", "device": "mobile",
		"price": 9.5, "quantity": int32(i % 3), "discount": nil, "coupon": coupon,
		"is_gift": i%2 == 0, "comment": nil, "customer_id": int64(i), "customer_segment": "gold",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Poison records (garbage, truncated Avro, an unknown schema id, a
// non-object JSON value) are counted, dead-lettered with headers and
// skipped; a schema-registry outage is retried without skipping anything.
func TestPoisonRecordsAndRegistryOutage(t *testing.T) {
	addrs := newCluster(t, 1, "orders", "orders-json", "dlq")
	fake := srfake.NewRegistry()
	fake.SeedSchema("orders-value", 1, 7, sr.Schema{Schema: event.OrderFlatSchema})
	var down atomic.Bool
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	src, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := event.NewRegistry(src, event.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := goavro.NewCodec(event.OrderFlatSchema)
	if err != nil {
		t.Fatal(err)
	}
	cl := manualClient(t, addrs)
	wire := func(id uint32, b []byte) []byte { return append(event.AppendWireHeader(nil, id), b...) }
	var rs []*kgo.Record
	valid := 0
	for i := range 40 {
		v := wire(7, avroOrder(t, codec, i, base.Add(time.Duration(i)*time.Second)))
		switch i {
		case 5:
			v = []byte("\x00garbage")
		case 9:
			v = v[:len(v)-3] // truncated
		case 13:
			v = wire(999, avroOrder(t, codec, i, base)) // unknown schema id
		default:
			valid++
		}
		rs = append(rs, &kgo.Record{Topic: "orders", Value: v})
	}
	rs = append(rs, &kgo.Record{Topic: "orders-json", Value: []byte(`"just a string"`)},
		&kgo.Record{Topic: "orders-json", Value: orderJSON(1, base, "FR")})
	produce(t, cl, rs)

	dlcl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer dlcl.Close()
	dl, err := sink.NewDeadLetter(dlcl, "dlq")
	if err != nil {
		t.Fatal(err)
	}
	pub := NewMemoryPublisher()
	avroDS := Dataset{Name: "orders-avro", Topics: []string{"orders"}, Format: FormatAvro, Schemas: reg,
		EventTimeField: "ts", Window: profiler.WindowConfig{Rotation: time.Minute}}
	jsonDS := jsonDataset("orders-json", time.Minute, 0)
	jsonDS.Name = "orders-json"
	cfg := testConfig(addrs, "g", pub, avroDS, jsonDS)
	cfg.DeadLetter = SinkDeadLetter{DL: dl}
	r := start(t, cfg)
	time.Sleep(300 * time.Millisecond)
	for _, s := range r.c.Stats() {
		if s.Topic == "orders" && s.Next > 0 {
			t.Fatalf("records passed while the registry was down: %+v", s)
		}
	}
	if testutilCounter(r.c.Metrics().RegistryRetries) == 0 {
		t.Error("no registry retries counted while it was down")
	}
	down.Store(false)
	waitProcessed(t, map[int32]int64{0: 40}, r)
	waitTopic(t, "orders-json", map[int32]int64{0: 2}, r)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	var avroN, jsonN int64
	for _, p := range pub.Profiles() {
		n := countN(t, []Profile{p}, "event_id")
		if p.Dataset == "orders-avro" {
			avroN += n
		} else {
			jsonN += n
		}
	}
	if avroN != int64(valid) || jsonN != 1 {
		t.Errorf("profiled %d avro and %d json records, want %d and 1", avroN, jsonN, valid)
	}
	if got := testutilCounter(r.c.Metrics().DecodeErrors); got != 4 {
		t.Errorf("decode errors = %v, want 4", got)
	}
	// The dead-letter topic holds the four records with their source offsets.
	cons, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics("dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var got []string
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(got) < 4 && ctx.Err() == nil {
		cons.PollFetches(ctx).EachRecord(func(rec *kgo.Record) {
			var topic, off, msg string
			for _, h := range rec.Headers {
				switch h.Key {
				case sink.HeaderDLQTopic:
					topic = string(h.Value)
				case sink.HeaderDLQOffset:
					off = string(h.Value)
				case sink.HeaderDLQError:
					msg = string(h.Value)
				}
			}
			if !strings.Contains(msg, "dataset orders-") {
				t.Errorf("dead letter error header %q does not name the dataset", msg)
			}
			got = append(got, topic+"@"+off)
		})
	}
	want := map[string]bool{"orders@5": true, "orders@9": true, "orders@13": true, "orders-json@0": true}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected dead letter %s", g)
		}
		delete(want, g)
	}
	if len(want) != 0 {
		t.Errorf("missing dead letters %v (got %v)", want, got)
	}
}
