package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

func backfillConfig(addrs []string, pub Publisher, ds ...Dataset) BackfillConfig {
	return BackfillConfig{
		Brokers: addrs, Datasets: ds, Publisher: pub, Logger: testLogger(),
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		ClientOpts: []kgo.Opt{kgo.FetchMaxWait(100 * time.Millisecond)},
	}
}

func runBackfill(t *testing.T, cfg BackfillConfig) (*Backfill, error) {
	t.Helper()
	b, err := NewBackfill(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return b, b.Run(ctx)
}

// segmentedDataset is the JSON test dataset segmented by country, with the
// full-dataset profile too.
func segmentedDataset(rotation, lateness time.Duration) Dataset {
	d := jsonDataset("orders", rotation, lateness)
	d.Window.Segments = profiler.Segmentation{Columns: []string{"country"}}
	d.Window.FullDataset = true
	return d
}

// jitteredRecords spreads n events over parts partitions with event times
// step apart, every fifth one 3 s early (out of order, never late with a
// lateness above 3 s).
func jitteredRecords(n, parts int, step time.Duration) []*kgo.Record {
	var rs []*kgo.Record
	for i := range n {
		ts := base.Add(time.Duration(i) * step)
		if i%5 == 0 {
			ts = ts.Add(-3 * time.Second)
		}
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: partitionOf(i, parts),
			Value: orderJSON(i, ts, []string{"DE", "FR", "IT"}[i%3])})
	}
	return rs
}

// mergedByWindowSegment merges the profiles of each (window start, segment
// key), in name order, and returns the merged files by that key.
func mergedByWindowSegment(t *testing.T, ps []Profile) map[string][]byte {
	t.Helper()
	groups := map[string][]Profile{}
	for _, p := range ps {
		k := fmt.Sprintf("%d|%s", p.Window.Start.UnixMilli(), p.SegmentKey)
		groups[k] = append(groups[k], p)
	}
	out := map[string][]byte{}
	for k, g := range groups {
		slices.SortFunc(g, func(a, b Profile) int { return strings.Compare(a.Name(), b.Name()) })
		var acc *profiler.DatasetProfile
		for _, p := range g {
			dp, _, err := whylogs.Read(p.Value)
			if err != nil {
				t.Fatalf("%s: %v", p.Name(), err)
			}
			if acc == nil {
				acc = dp
				continue
			}
			if err := acc.Merge(dp, profiler.MergeOptions{}); err != nil {
				t.Fatalf("merging %s: %v", p.Name(), err)
			}
		}
		b, err := whylogs.MarshalV1(acc)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = b
	}
	return out
}

// Backfill equality: live processing (consumer group, small polls, so many
// batches, record-count checkpoints and no wall-clock ones) and a backfill
// of the same offset range (one big poll per fetch) publish the same
// profiles, and the same bytes after merging per window and segment: over
// the whole topic, and from a time (the live group starting at that time
// with fresh state, as after a restart there).
func TestBackfillEqualsLive(t *testing.T) {
	const n, parts, every = 6000, 4, 97
	addrs := newCluster(t, parts, "orders")
	rs := jitteredRecords(n, parts, 40*time.Millisecond)
	for i, r := range rs { // record timestamps = event times (before the jitter)
		r.Timestamp = base.Add(time.Duration(i) * 40 * time.Millisecond)
	}
	ends := produce(t, manualClient(t, addrs), rs)
	ds := segmentedDataset(time.Minute, 5*time.Second)

	for _, tc := range []struct {
		name string
		from time.Time
	}{
		{"whole topic", time.Time{}},
		{"from a time", base.Add(97 * time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bf := NewMemoryPublisher()
			bcfg := backfillConfig(addrs, bf, ds)
			bcfg.CheckpointEveryRecords = every
			bcfg.From = tc.from
			b, err := NewBackfill(bcfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			ranges, err := b.Plan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var want int64
			for _, r := range ranges {
				if r.End != ends[r.Partition] || (tc.from.IsZero() != (r.Start == 0)) {
					t.Fatalf("range %+v for end %d", r, ends[r.Partition])
				}
				want += r.Records()
			}
			if err := b.Run(ctx); err != nil {
				t.Fatalf("backfill: %v", err)
			}
			if p := b.Progress(); p.Done != want || p.Total != want || p.PartitionsDone != parts {
				t.Errorf("progress %+v, want %d/%d records and %d partitions done", p, want, want, parts)
			}

			live := NewMemoryPublisher()
			lcfg := testConfig(addrs, "g-"+strings.ReplaceAll(tc.name, " ", "-"), live, ds)
			lcfg.CheckpointEveryRecords = every
			lcfg.PollRecords = 37
			lcfg.ClientOpts = append(lcfg.ClientOpts, kgoMaxPartitionBytes(4<<10))
			if !tc.from.IsZero() {
				lcfg.ClientOpts = append(lcfg.ClientOpts, kgo.ConsumeResetOffset(kgo.NewOffset().AfterMilli(tc.from.UnixMilli())))
			}
			r := start(t, lcfg)
			waitProcessed(t, ends, r)
			if err := r.stop(t); err != nil {
				t.Fatal(err)
			}

			lp, bp := live.Profiles(), bf.Profiles()
			if got := countN(t, bp, "event_id"); got != want {
				t.Fatalf("backfill counts/n = %d, want %d", got, want)
			}
			if got := countN(t, lp, "event_id"); got != want {
				t.Fatalf("live counts/n = %d, want %d", got, want)
			}
			kinds := map[profiler.EmitKind]int{}
			for _, p := range bp {
				kinds[p.Kind]++
			}
			if kinds[profiler.Closed] == 0 || kinds[profiler.Flushed] == 0 || kinds[profiler.Late] != 0 {
				t.Fatalf("want closed windows and checkpoint partials and no late partials, got %v", kinds)
			}
			// The profiles themselves are equal: same identities, same bytes.
			if len(lp) != len(bp) {
				t.Errorf("live published %d profiles, backfill %d", len(lp), len(bp))
			}
			for i := range min(len(lp), len(bp)) {
				if lp[i].Name() != bp[i].Name() || !bytes.Equal(lp[i].Value, bp[i].Value) || lp[i].Kind != bp[i].Kind {
					t.Errorf("profile %d: live %s (%v, %d bytes), backfill %s (%v, %d bytes)", i,
						lp[i].Name(), lp[i].Kind, len(lp[i].Value), bp[i].Name(), bp[i].Kind, len(bp[i].Value))
					break
				}
			}
			// And so are the merged profiles per window and segment.
			lm, bm := mergedByWindowSegment(t, lp), mergedByWindowSegment(t, bp)
			if len(lm) != len(bm) || len(bm) < 8 {
				t.Fatalf("merged groups: live %d, backfill %d", len(lm), len(bm))
			}
			for k, v := range lm {
				if !bytes.Equal(v, bm[k]) {
					t.Errorf("window/segment %s: merged live and backfill profiles differ (%d vs %d bytes)", k, len(v), len(bm[k]))
				}
			}
		})
	}
}

// A backfill without To reads up to the end offsets listed at start-up and
// stops there by itself while a producer keeps appending to every
// partition.
func TestBackfillStopsAtEndWhileProducing(t *testing.T) {
	const parts = 3
	addrs := newCluster(t, parts, "orders")
	cl := manualClient(t, addrs)
	produce(t, cl, jsonRecords(0, 3000, parts, 10*time.Millisecond))

	var wrote atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 3000; ; i += parts * 20 {
			select {
			case <-stop:
				return
			default:
			}
			rs := jsonRecords(i, i+parts*20, parts, 10*time.Millisecond)
			for _, r := range cl.ProduceSync(context.Background(), rs...) {
				if r.Err != nil {
					return
				}
			}
			wrote.Add(int64(len(rs)))
			time.Sleep(5 * time.Millisecond)
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	for wrote.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}

	pub := NewMemoryPublisher()
	b, err := NewBackfill(backfillConfig(addrs, pub, jsonDataset("orders", time.Minute, 0)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ranges, err := b.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	atPlan := wrote.Load()
	if err := b.Run(ctx); err != nil {
		t.Fatalf("backfill did not finish by itself: %v", err)
	}
	var total int64
	endOf := map[int32]int64{}
	for _, r := range ranges {
		if r.Start != 0 {
			t.Errorf("partition %d starts at %d, want 0 (no From)", r.Partition, r.Start)
		}
		total += r.Records()
		endOf[r.Partition] = r.End
	}
	if total < 3000 {
		t.Fatalf("ranges cover %d records, want at least the 3000 produced before", total)
	}
	ps := pub.Profiles()
	if got := countN(t, ps, "event_id"); got != total {
		t.Errorf("counts/n = %d, want the %d records of the ranges", got, total)
	}
	for _, p := range ps {
		if p.LastOffset >= endOf[p.Partition] {
			t.Errorf("%s holds offset %d, past the end offset %d", p.Name(), p.LastOffset, endOf[p.Partition])
		}
	}
	// The producer kept writing during the backfill.
	deadline := time.Now().Add(10 * time.Second)
	for wrote.Load() <= atPlan {
		if time.Now().After(deadline) {
			t.Fatal("the producer wrote nothing after the plan: the test proves nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p := b.Progress(); p.Done != total || p.PartitionsDone != parts {
		t.Errorf("progress %+v, want %d done in %d partitions", p, total, parts)
	}
	// The replay-progress metrics agree.
	gauge := func(g interface{ Write(*dto.Metric) error }) float64 {
		var d dto.Metric
		if err := g.Write(&d); err != nil {
			t.Fatal(err)
		}
		return d.Gauge.GetValue()
	}
	for _, r := range ranges {
		pl := itoa32(r.Partition)
		target, done := gauge(b.prog.Target.WithLabelValues("orders", pl)), gauge(b.prog.Done.WithLabelValues("orders", pl))
		if target != float64(r.Records()) || done != target {
			t.Errorf("partition %d: target %v done %v, want both %d", r.Partition, target, done, r.Records())
		}
	}
	if rem := gauge(b.prog.Remaining); rem != 0 {
		t.Errorf("remaining partitions %v, want 0", rem)
	}
}

// From and To map to the first offsets at or after them by record
// timestamp, per partition; the backfill reads exactly those records.
func TestBackfillTimeRange(t *testing.T) {
	const parts, perPart = 3, 40
	addrs := newCluster(t, parts, "orders")
	var rs []*kgo.Record
	// Partition p holds records with timestamps base + j·(p+1) s.
	for p := range int32(parts) {
		for j := range perPart {
			ts := base.Add(time.Duration(j*int(p+1)) * time.Second)
			rs = append(rs, &kgo.Record{Topic: "orders", Partition: p, Timestamp: ts,
				Value: orderJSON(int(p)*1000+j, ts, "DE")})
		}
	}
	produce(t, manualClient(t, addrs), rs)
	firstAtOrAfter := func(p int32, sec int) int64 { // ceil(sec / (p+1)), capped at the end
		return min(int64((sec+int(p))/int(p+1)), perPart)
	}
	ds := jsonDataset("orders", time.Minute, 0)
	ds.EventTimeField = "" // windows by record timestamp

	for _, tc := range []struct {
		name         string
		from, to     int // seconds after base; -1: unset
		fromAt, toAt func(p int32) int64
	}{
		{"from and to", 10, 25, func(p int32) int64 { return firstAtOrAfter(p, 10) }, func(p int32) int64 { return firstAtOrAfter(p, 25) }},
		{"from only", 7, -1, func(p int32) int64 { return firstAtOrAfter(p, 7) }, func(int32) int64 { return perPart }},
		{"to only", -1, 30, func(int32) int64 { return 0 }, func(p int32) int64 { return firstAtOrAfter(p, 30) }},
		{"from before the first record", -3600, 5, func(int32) int64 { return 0 }, func(p int32) int64 { return firstAtOrAfter(p, 5) }},
		{"from after the last record", 500, -1, func(int32) int64 { return perPart }, func(int32) int64 { return perPart }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pub := NewMemoryPublisher()
			cfg := backfillConfig(addrs, pub, ds)
			if tc.from != -1 {
				cfg.From = base.Add(time.Duration(tc.from) * time.Second)
			}
			if tc.to != -1 {
				cfg.To = base.Add(time.Duration(tc.to) * time.Second)
			}
			b, err := NewBackfill(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			ranges, err := b.Plan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ranges) != parts {
				t.Fatalf("%d ranges, want %d", len(ranges), parts)
			}
			var want int64
			for i, r := range ranges {
				p := int32(i)
				if r.Topic != "orders" || r.Partition != p || r.Start != tc.fromAt(p) || r.End != tc.toAt(p) {
					t.Errorf("range %d = %+v, want orders/%d [%d, %d)", i, r, p, tc.fromAt(p), tc.toAt(p))
				}
				want += r.Records()
			}
			if err := b.Run(ctx); err != nil {
				t.Fatal(err)
			}
			ps := pub.Profiles()
			if got := countN(t, ps, "event_id"); got != want {
				t.Errorf("counts/n = %d, want %d", got, want)
			}
			for _, p := range ps {
				r := ranges[p.Partition]
				if p.FirstOffset < r.Start || p.LastOffset >= r.End {
					t.Errorf("%s holds offsets [%d, %d], outside %+v", p.Name(), p.FirstOffset, p.LastOffset, r)
				}
			}
		})
	}
}

// Checkpoints during a backfill are cut at the same offsets as live ones;
// the last partial of every open window is published at the end.
func TestBackfillCheckpointsAndLastPartial(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	produce(t, manualClient(t, addrs), jsonRecords(0, 250, 1, 10*time.Millisecond))
	pub := NewMemoryPublisher()
	cfg := backfillConfig(addrs, pub, jsonDataset("orders", time.Hour, 0))
	cfg.CheckpointEveryRecords = 100
	if _, err := runBackfill(t, cfg); err != nil {
		t.Fatal(err)
	}
	ps := pub.Profiles()
	want := []struct{ first, records int64 }{{0, 100}, {100, 100}, {200, 50}}
	if len(ps) != len(want) {
		t.Fatalf("got %d profiles, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if p.FirstOffset != want[i].first || p.Records != want[i].records || p.Kind != profiler.Flushed {
			t.Errorf("profile %d: first %d records %d kind %v, want first %d records %d flushed",
				i, p.FirstOffset, p.Records, p.Kind, want[i].first, want[i].records)
		}
	}
}

// A sink outage during a backfill is retried; the backfill finishes once
// the sink is back and loses nothing.
func TestBackfillRetriesPublisher(t *testing.T) {
	addrs := newCluster(t, 2, "orders")
	produce(t, manualClient(t, addrs), jsonRecords(0, 400, 2, time.Second))
	pub := NewMemoryPublisher()
	var fails atomic.Int64
	pub.FailWith(func(context.Context, []Profile) error {
		if fails.Add(1) <= 5 {
			return errors.New("sink down")
		}
		return nil
	})
	cfg := backfillConfig(addrs, pub, jsonDataset("orders", time.Minute, 0))
	b, err := runBackfill(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := countN(t, pub.Profiles(), "event_id"); got != 400 {
		t.Errorf("counts/n = %d, want 400", got)
	}
	var d dto.Metric
	if err := b.metrics.SinkErrors.Write(&d); err != nil || d.Counter.GetValue() != 5 {
		got := d.Counter.GetValue()
		t.Errorf("sink errors = %v, want 5", got)
	}
}

// Planning fails with the topic's name when it does not exist; To must be
// after From.
func TestBackfillErrors(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	ds := jsonDataset("nope", time.Minute, 0)
	b, err := NewBackfill(backfillConfig(addrs, NewMemoryPublisher(), ds))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Run(ctx); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Run on a missing topic = %v, want an error naming it", err)
	}
	cfg := backfillConfig(addrs, NewMemoryPublisher(), jsonDataset("orders", time.Minute, 0))
	cfg.From, cfg.To = base, base
	if _, err := NewBackfill(cfg); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "2026-11-26T08:00:00Z") {
		t.Errorf("To == From: %v", err)
	}
}

// Cancelling the context stops a backfill with the context's error.
func TestBackfillCancel(t *testing.T) {
	addrs := newCluster(t, 1, "orders")
	produce(t, manualClient(t, addrs), jsonRecords(0, 100, 1, time.Second))
	pub := NewMemoryPublisher()
	pub.FailWith(func(context.Context, []Profile) error { return errors.New("sink down") })
	b, err := NewBackfill(backfillConfig(addrs, pub, jsonDataset("orders", time.Minute, 0)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := b.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want the deadline", err)
	}
	if p := b.Progress(); p.PartitionsDone != 0 {
		t.Errorf("a partition counts as done though nothing was published: %+v", p)
	}
}

// BenchmarkBackfill measures records/s of a backfill from kfake through
// decoding, windows (1m rotation, segmented by country plus the full
// profile), checkpoints every 100,000 records and encoding into a memory
// publisher; cpu-µs/event (process CPU, kfake included) is the number to
// compare on a loaded machine.
func BenchmarkBackfill(b *testing.B) {
	const n, parts = 100000, 2
	for _, format := range []string{"json", "avro"} {
		b.Run(format, func(b *testing.B) {
			addrs := benchCluster(b, parts)
			cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), manualPartitioner(), kgo.ProducerBatchMaxBytes(4<<20))
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			if err := cl.ProduceSync(context.Background(), benchRecords(b, format, n, parts)...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			fixed, _ := event.NewFixedSchema(event.OrderFlatSchema)
			ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts"}
			if format == "avro" {
				ds.Format, ds.Schemas = FormatAvro, fixed
			}
			ds.Window.Rotation = time.Minute
			ds.Window.Segments.Columns = []string{"country"}
			ds.Window.FullDataset = true
			var wall, cpu time.Duration
			b.ResetTimer()
			for range b.N {
				cfg := backfillConfig(addrs, NewMemoryPublisher(), ds)
				cfg.CheckpointEveryRecords = 100000
				bf, err := NewBackfill(cfg)
				if err != nil {
					b.Fatal(err)
				}
				c0, t0 := processCPU(), time.Now()
				if err := bf.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				wall += time.Since(t0)
				cpu += processCPU() - c0
				if p := bf.Progress(); p.Done != n {
					b.Fatalf("backfilled %d records, want %d", p.Done, n)
				}
			}
			b.StopTimer()
			events := float64(n * b.N)
			b.ReportMetric(events/wall.Seconds(), "records/s")
			b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
		})
	}
}
