package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/profiler"
)

// BackfillConfig configures a Backfill. Zero durations mean the documented
// defaults.
type BackfillConfig struct {
	// Brokers and ClientID of the source cluster.
	Brokers  []string
	ClientID string
	// ClientOpts are extra franz-go options (TLS, SASL, fetch limits,
	// logger, hooks, a test dialer). The backfill adds the seed brokers,
	// the partitions to consume, read_committed and KeepControlRecords; do
	// not pass consumer or group options.
	ClientOpts []kgo.Opt
	// Datasets to profile (at least one), exactly as for a Consumer.
	Datasets []Dataset
	// From selects, per partition, the first offset whose record timestamp
	// is at or after it (Kafka ListOffsets); the zero time means the log
	// start offset.
	From time.Time
	// To selects, per partition, the first offset whose record timestamp
	// is at or after it as the end (exclusive); the zero time, or a time
	// past the last record, means the end offset when Plan runs. Records
	// produced after that are never read, so a backfill ends by itself
	// while producers keep writing.
	To time.Time
	// Publisher receives the profiles (required); DeadLetter the records
	// that fail to decode (optional).
	Publisher  Publisher
	DeadLetter DeadLetter
	// Logger is the structured logger (zero value: discard).
	Logger zerolog.Logger
	// Metrics are the consumer metrics the backfill shares with live
	// processing (records, decode errors, late, overflow, profiles
	// published, sink errors); nil: fresh, unregistered metrics.
	Metrics *Metrics
	// Progress are the replay-progress metrics; nil: fresh, unregistered.
	Progress *BackfillMetrics
	// CheckpointEveryRecords publishes a partition's open windows as
	// partial profiles after each record whose offset+1 reaches a multiple
	// of n (see Config.CheckpointEveryRecords), exactly
	// as Config.CheckpointEveryRecords does for live processing; 0: never.
	// Use the live value: it makes the two outputs equal. There is no
	// wall-clock checkpoint (it would not be deterministic).
	CheckpointEveryRecords int64
	// PollRecords bounds one poll (default 10000).
	PollRecords int
	// MinBackoff and MaxBackoff bound the retry backoff of publishing, dead
	// letters and schema-registry outages (defaults 100ms and 10s).
	MinBackoff, MaxBackoff time.Duration
}

// PartitionRange is the offset range [Start, End) a backfill reads from one
// partition.
type PartitionRange struct {
	Topic     string
	Partition int32
	Start     int64
	End       int64
}

// Records returns the number of offsets in the range (End − Start). It is
// an upper bound of the records read: transaction markers and compacted
// records take offsets too.
func (r PartitionRange) Records() int64 { return max(r.End-r.Start, 0) }

// BackfillProgress is a snapshot of a running backfill.
type BackfillProgress struct {
	// Done and Total count offsets: Done is how far the partitions got
	// (the offset after the last record processed, minus the start),
	// Total the sum of the ranges.
	Done, Total int64
	// Partitions is the number of non-empty ranges, PartitionsDone how
	// many of them reached their end and published everything.
	Partitions, PartitionsDone int
	// Elapsed is the time since reading started.
	Elapsed time.Duration
}

// Rate returns the average offsets per second since reading started.
func (p BackfillProgress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// ETA returns the expected remaining time at the average rate (0 when
// done or when nothing was read yet).
func (p BackfillProgress) ETA() time.Duration {
	r := p.Rate()
	if r <= 0 || p.Done >= p.Total {
		return 0
	}
	return time.Duration(float64(p.Total-p.Done) / r * float64(time.Second))
}

// Backfill replays a time range of a dataset's topics: it reads each
// partition's offset range directly (no consumer group, nothing committed),
// profiles it with the same dataset logic as a Consumer (decoders, windows,
// segments, record-count checkpoints) and publishes every window, including
// the last partial ones, through the Publisher. For the same configuration
// and the same offset range, its profiles are the ones live processing
// published (see Run). Create it with NewBackfill.
type Backfill struct {
	cfg     BackfillConfig
	log     zerolog.Logger
	metrics *Metrics
	prog    *BackfillMetrics
	byTopic map[string][]*Dataset

	mu      sync.Mutex
	ranges  []PartitionRange
	planned bool
	started time.Time
	workers []*bfWorker
}

// NewBackfill validates cfg.
func NewBackfill(cfg BackfillConfig) (*Backfill, error) {
	if len(cfg.Brokers) == 0 {
		return nil, fmt.Errorf("pipeline: backfill: brokers are required: %w", ErrInvalidConfig)
	}
	if cfg.Publisher == nil {
		return nil, fmt.Errorf("pipeline: backfill: no publisher: %w", ErrInvalidConfig)
	}
	if len(cfg.Datasets) == 0 {
		return nil, fmt.Errorf("pipeline: backfill: no datasets: %w", ErrInvalidConfig)
	}
	if !cfg.From.IsZero() && !cfg.To.IsZero() && !cfg.To.After(cfg.From) {
		return nil, fmt.Errorf("pipeline: backfill: to %s is not after from %s: %w",
			cfg.To.UTC().Format(time.RFC3339Nano), cfg.From.UTC().Format(time.RFC3339Nano), ErrInvalidConfig)
	}
	if cfg.CheckpointEveryRecords < 0 {
		return nil, fmt.Errorf("pipeline: backfill: checkpoint every %d records: want ≥ 0: %w", cfg.CheckpointEveryRecords, ErrInvalidConfig)
	}
	if cfg.PollRecords <= 0 {
		cfg.PollRecords = 10000
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(10*time.Second, cfg.MinBackoff)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil, "")
	}
	if cfg.Progress == nil {
		cfg.Progress = NewBackfillMetrics(nil, "")
	}
	cfg.Datasets = slices.Clone(cfg.Datasets)
	b := &Backfill{cfg: cfg, log: cfg.Logger, metrics: cfg.Metrics, prog: cfg.Progress, byTopic: map[string][]*Dataset{}}
	seen := map[string]bool{}
	for i := range b.cfg.Datasets {
		d := &b.cfg.Datasets[i]
		if seen[d.Name] {
			return nil, fmt.Errorf("pipeline: dataset %s listed twice: %w", d.Name, ErrInvalidConfig)
		}
		seen[d.Name] = true
		if err := d.validate(); err != nil {
			return nil, err
		}
		for _, t := range slices.Compact(slices.Sorted(slices.Values(d.Topics))) {
			b.byTopic[t] = append(b.byTopic[t], d)
		}
	}
	return b, nil
}

func (b *Backfill) newClient(extra ...kgo.Opt) (*kgo.Client, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(b.cfg.Brokers...)}
	if b.cfg.ClientID != "" {
		opts = append(opts, kgo.ClientID(b.cfg.ClientID))
	}
	opts = append(opts, b.cfg.ClientOpts...)
	opts = append(opts, extra...)
	return kgo.NewClient(opts...)
}

// Plan lists the offsets of every partition of the datasets' topics and
// returns the ranges to read, sorted by topic and partition: the end
// offsets first (ListEndOffsets), then the first offsets at or after From
// and To by record timestamp (ListOffsets by time); a range never ends past
// the end offsets listed first, and an empty range has Start == End. Run
// calls it when it was not called before. It fails when a topic does not
// exist or a partition's offsets cannot be listed.
func (b *Backfill) Plan(ctx context.Context) ([]PartitionRange, error) {
	b.mu.Lock()
	if b.planned {
		defer b.mu.Unlock()
		return slices.Clone(b.ranges), nil
	}
	b.mu.Unlock()
	cl, err := b.newClient()
	if err != nil {
		return nil, fmt.Errorf("pipeline: backfill: creating client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topics := make([]string, 0, len(b.byTopic))
	for t := range b.byTopic {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	list := func(what string, fn func() (kadm.ListedOffsets, error)) (kadm.ListedOffsets, error) {
		l, err := fn()
		if err == nil {
			err = l.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("pipeline: backfill: listing %s offsets of %q: %w", what, topics, err)
		}
		for _, t := range topics {
			if len(l[t]) == 0 {
				return nil, fmt.Errorf("pipeline: backfill: topic %q does not exist or has no partitions", t)
			}
		}
		return l, nil
	}
	ends, err := list("end", func() (kadm.ListedOffsets, error) { return adm.ListEndOffsets(ctx, topics...) })
	if err != nil {
		return nil, err
	}
	var starts kadm.ListedOffsets
	if b.cfg.From.IsZero() {
		starts, err = list("start", func() (kadm.ListedOffsets, error) { return adm.ListStartOffsets(ctx, topics...) })
	} else {
		ms := b.cfg.From.UnixMilli()
		starts, err = list("from-time", func() (kadm.ListedOffsets, error) { return adm.ListOffsetsAfterMilli(ctx, ms, topics...) })
	}
	if err != nil {
		return nil, err
	}
	var tos kadm.ListedOffsets
	if !b.cfg.To.IsZero() {
		ms := b.cfg.To.UnixMilli()
		if tos, err = list("to-time", func() (kadm.ListedOffsets, error) { return adm.ListOffsetsAfterMilli(ctx, ms, topics...) }); err != nil {
			return nil, err
		}
	}
	var ranges []PartitionRange
	ends.Each(func(e kadm.ListedOffset) {
		r := PartitionRange{Topic: e.Topic, Partition: e.Partition, Start: e.Offset, End: e.Offset}
		if s, ok := starts.Lookup(e.Topic, e.Partition); ok && s.Offset >= 0 {
			r.Start = min(s.Offset, r.End)
		}
		if tos != nil {
			if t, ok := tos.Lookup(e.Topic, e.Partition); ok && t.Offset >= 0 {
				r.End = max(min(t.Offset, r.End), r.Start)
			}
		}
		ranges = append(ranges, r)
	})
	slices.SortFunc(ranges, func(a, b PartitionRange) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.planned {
		b.ranges, b.planned = ranges, true
	}
	return slices.Clone(b.ranges), nil
}

// Progress returns a snapshot of the progress (zero before Run started
// reading). Safe for concurrent use with Run.
func (b *Backfill) Progress() BackfillProgress {
	b.mu.Lock()
	ws, started := b.workers, b.started
	var p BackfillProgress
	for _, r := range b.ranges {
		p.Total += r.Records()
	}
	b.mu.Unlock()
	for _, w := range ws {
		p.Partitions++
		p.Done += w.doneOffsets()
		if w.finished.Load() {
			p.PartitionsDone++
		}
	}
	if !started.IsZero() {
		p.Elapsed = timeNow().Sub(started)
	}
	return p
}

// Run plans (unless Plan was called), reads every non-empty range to its
// end, publishes every window (the last ones as partial profiles) and
// returns nil once every partition reached its end offset and every sink
// confirmed everything. When ctx ends first it stops and returns ctx's
// error; what was published so far stays (keys are deterministic, so a
// later backfill of the same range overwrites it with the same bytes).
//
// Output equality with live processing: each partition is profiled from
// Start in offset order with fresh window state, checkpoints happen after
// the same offsets (offset+1 reaching a multiple of CheckpointEveryRecords), finished
// windows are emitted when their watermark passes (Advance after each
// fetched batch, as a live worker does after each batch) and the end
// publishes the open windows as partials, as a live shutdown or revoke
// does. So its profiles are the ones live processing published for the same
// offsets when it also started at Start with fresh state (the beginning of
// the partition, or a restart from a commit there) and flushed at End (a
// checkpoint or a shutdown there): a backfill of a whole topic reproduces a
// live run over it. Late partial profiles are the exception: when a late
// partial is emitted depends on the batch boundaries of each run, so late
// records may be split differently between partials (their counts are equal
// after merging, not necessarily the sketch bytes).
func (b *Backfill) Run(ctx context.Context) error {
	ranges, err := b.Plan(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	consume := map[string]map[int32]kgo.Offset{}
	var ws []*bfWorker
	byTP := map[tp]*bfWorker{}
	for _, r := range ranges {
		pl := itoa32(r.Partition)
		b.prog.Target.WithLabelValues(r.Topic, pl).Set(float64(r.Records()))
		b.prog.Done.WithLabelValues(r.Topic, pl).Set(0)
		if r.Records() == 0 {
			continue
		}
		w, err := b.newWorker(ctx, r)
		if err != nil {
			return err
		}
		ws = append(ws, w)
		byTP[tp{r.Topic, r.Partition}] = w
		if consume[r.Topic] == nil {
			consume[r.Topic] = map[int32]kgo.Offset{}
		}
		consume[r.Topic][r.Partition] = kgo.NewOffset().At(r.Start)
	}
	b.prog.Remaining.Set(float64(len(ws)))
	b.mu.Lock()
	b.workers, b.started = ws, timeNow()
	b.mu.Unlock()
	var total int64
	for _, r := range ranges {
		total += r.Records()
	}
	b.log.Debug().Int("partitions", len(ws)).Int64("records", total).Msg("backfill starting")
	if len(ws) == 0 {
		return nil
	}

	// read_committed as live processing: records of aborted source
	// transactions are not profiled. The transaction markers are kept: they
	// carry the offsets up to the end of a range that ends in a transaction.
	cl, err := b.newClient(kgo.ConsumePartitions(consume), kgo.KeepControlRecords(), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return fmt.Errorf("pipeline: backfill: creating client: %w", err)
	}
	defer cl.Close()

	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(); err != nil {
				cancel(err)
			}
		}()
	}
	defer wg.Wait()

	fetching := len(ws)
	var fetchLog sampler
	lastCheck := timeNow()
	for _, w := range ws {
		w.lastSeen = lastCheck
	}
	for fetching > 0 {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollRecords(pctx, b.cfg.PollRecords)
		pcancel()
		if ctx.Err() != nil || fs.IsClientClosed() {
			break
		}
		if now := timeNow(); now.Sub(lastCheck) >= backfillStallWarn {
			lastCheck = now
			for _, w := range ws {
				if !w.fetched && now.Sub(w.lastSeen) >= backfillStallWarn {
					b.log.Warn().Str("topic", w.r.Topic).Int32("partition", w.r.Partition).Int64("next", w.expect).Int64("end", w.r.End).
						Dur("since", now.Sub(w.lastSeen)).Msg("no records from the partition: waiting for the offsets up to the end of its range")
				}
			}
		}
		fs.EachError(func(t string, p int32, err error) {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
			if ok, n := fetchLog.allow(int64(10 * time.Second)); ok {
				b.log.Warn().Err(err).Str("topic", t).Int32("partition", p).Int64("suppressed", n).Msg("fetch error")
			}
		})
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 || ctx.Err() != nil {
				return
			}
			w := byTP[tp{p.Topic, p.Partition}]
			if w == nil || w.fetched {
				return
			}
			w.lastSeen = timeNow()
			recs := p.Records
			if first := recs[0].Offset; w.expect == w.r.Start && first > w.r.Start {
				b.log.Warn().Str("topic", p.Topic).Int32("partition", p.Partition).Int64("want", w.expect).Int64("got", first).
					Msg("the first record read is after the range start: the records before it were deleted (retention or compaction) and are not profiled")
			}
			last := recs[len(recs)-1].Offset
			final := last >= w.r.End-1
			if final {
				n, _ := slices.BinarySearchFunc(recs, w.r.End, func(r *kgo.Record, end int64) int { return cmp.Compare(r.Offset, end) })
				recs = recs[:n]
				w.fetched = true
				fetching--
				cl.PauseFetchPartitions(map[string][]int32{p.Topic: {p.Partition}})
			}
			w.expect = last + 1
			select {
			case w.in <- bfBatch{recs: recs, final: final}:
			case <-ctx.Done():
			}
		})
	}
	for _, w := range ws {
		if !w.fetched {
			close(w.in) // ends the worker without a final flush
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	p := b.Progress()
	b.log.Debug().Int("partitions", p.Partitions).Int64("records", p.Done).Dur("elapsed", p.Elapsed).
		Float64("records_per_second", p.Rate()).Msg("backfill done")
	return nil
}

// bfBatch is one fetched batch of a partition; final marks the batch that
// reaches the end of the range.
type bfBatch struct {
	recs  []*kgo.Record
	final bool
}

// bfWorker profiles one partition's range.
type bfWorker struct {
	b        *Backfill
	ctx      context.Context
	r        PartitionRange
	pstr     string
	states   []*dsState
	log      zerolog.Logger
	in       chan bfBatch
	next     atomic.Int64 // offset after the last record processed
	prevData int64        // offset after the last data record processed (-1: none); worker goroutine only
	finished atomic.Bool
	badLog   sampler
	env      recordEnv // how process profiles a record
	mRecords prometheus.Counter
	mBytes   prometheus.Counter
	mDone    prometheus.Gauge

	// Owned by the poll loop.
	fetched  bool      // the final batch was handed over
	expect   int64     // the next offset the poll loop expects
	lastSeen time.Time // when the partition last returned records
}

// backfillStallWarn is how long a partition may return no records before
// the backfill logs that it is still waiting for it (a range whose last
// offsets no fetch returns, such as a compacted-away tail, never ends).
const backfillStallWarn = 30 * time.Second

func (b *Backfill) newWorker(ctx context.Context, r PartitionRange) (*bfWorker, error) {
	w := &bfWorker{
		b: b, ctx: ctx, r: r, pstr: itoa32(r.Partition),
		log: b.log.With().Str("topic", r.Topic).Int32("partition", r.Partition).Logger(),
		in:  make(chan bfBatch, 2), expect: r.Start, prevData: -1,
	}
	w.next.Store(r.Start)
	w.env = recordEnv{ctx: ctx, log: &w.log, badLog: &w.badLog, metrics: b.metrics, deadLetter: b.cfg.DeadLetter,
		minBackoff: b.cfg.MinBackoff, maxBackoff: b.cfg.MaxBackoff}
	w.mRecords = b.metrics.Records.WithLabelValues(r.Topic)
	w.mBytes = b.metrics.Bytes.WithLabelValues(r.Topic)
	w.mDone = b.prog.Done.WithLabelValues(r.Topic, w.pstr)
	for _, d := range b.byTopic[r.Topic] {
		s, err := d.newState(r.Topic, r.Partition)
		if err != nil {
			return nil, fmt.Errorf("pipeline: backfill: dataset %s: %w", d.Name, err)
		}
		s.mLate = b.metrics.LateRecords.WithLabelValues(d.Name)
		s.mOverflow = b.metrics.OverflowRecords.WithLabelValues(d.Name)
		w.states = append(w.states, s)
	}
	return w, nil
}

func (w *bfWorker) doneOffsets() int64 { return min(w.next.Load(), w.r.End) - w.r.Start }

// run processes batches until the final one (then publishes every open
// window and returns nil), the channel closes or the context ends.
func (w *bfWorker) run() error {
	for {
		var bt bfBatch
		var ok bool
		select {
		case bt, ok = <-w.in:
		case <-w.ctx.Done():
			return nil
		}
		if !ok {
			return nil
		}
		var nrec, nbytes int
		for _, r := range bt.recs {
			if r.Attrs.IsControl() { // a transaction marker: live processing never sees it
				w.next.Store(r.Offset + 1)
				continue
			}
			if err := w.process(r); err != nil {
				return err
			}
			nrec++
			nbytes += len(r.Value)
		}
		w.mRecords.Add(float64(nrec))
		w.mBytes.Add(float64(nbytes))
		if bt.final {
			w.next.Store(max(w.next.Load(), w.r.End))
		}
		if len(bt.recs) > 0 {
			if err := w.publish(false); err != nil {
				return err
			}
		}
		w.mDone.Set(float64(w.doneOffsets()))
		if bt.final {
			if err := w.publish(true); err != nil {
				return err
			}
			w.finished.Store(true)
			w.b.prog.Remaining.Dec()
			w.log.Debug().Int64("records", w.r.Records()).Msg("partition backfilled")
			return nil
		}
	}
}

// process profiles one record into every dataset of its topic, as a live
// worker does (registry outages retried, bad records counted, dead-lettered
// and skipped), then applies the record-count checkpoint.
func (w *bfWorker) process(r *kgo.Record) error {
	if err := profileRecord(&w.env, w.states, r); err != nil {
		return err
	}
	w.next.Store(r.Offset + 1)
	prev := w.prevData
	w.prevData = r.Offset + 1
	if checkpointDue(w.b.cfg.CheckpointEveryRecords, prev, r.Offset) {
		return w.publish(true)
	}
	return nil
}

// publish emits the finished windows (every open window as a partial when
// flush is set) and publishes them until the Publisher confirms.
func (w *bfWorker) publish(flush bool) error {
	var out []Profile
	fins := make([][]profiler.Finished, len(w.states))
	for i, s := range w.states {
		if flush {
			fins[i] = s.ws.Flush()
		} else {
			fins[i] = s.ws.Advance()
		}
		var err error
		if out, err = s.appendProfiles(out, fins[i], w.r.Topic, w.r.Partition); err != nil {
			return err
		}
	}
	if err := publishProfiles(&w.env, w.b.cfg.Publisher, out); err != nil {
		return err
	}
	for i, s := range w.states {
		s.release(fins[i])
	}
	return nil
}
