package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Sentinel errors.
var (
	// ErrInvalidConfig is wrapped by New for a configuration it rejects.
	ErrInvalidConfig = errors.New("pipeline: invalid configuration")
	// ErrAborted is returned by Run after Abort.
	ErrAborted = errors.New("pipeline: aborted")
	// ErrShutdownTimeout is returned by Run when draining did not finish
	// within ShutdownTimeout; the partitions not drained were not committed.
	ErrShutdownTimeout = errors.New("pipeline: shutdown timed out")
)

// Config configures a Consumer. Zero durations and sizes mean the
// documented defaults.
type Config struct {
	// Brokers, Group and ClientID of the source cluster.
	Brokers  []string
	Group    string
	ClientID string
	// ClientOpts are extra franz-go options (TLS, SASL, fetch limits, start
	// offset, logger, hooks such as kprom, a test dialer). The pipeline
	// adds the seed brokers, the group, the topics, read_committed and the
	// options its offset handling needs (DisableAutoCommit,
	// BlockRebalanceOnPoll, the rebalance callbacks); do not pass those.
	ClientOpts []kgo.Opt
	// Datasets to profile (at least one).
	Datasets []Dataset
	// Publisher receives finished profiles (required).
	Publisher Publisher
	// DeadLetter receives records that fail to decode (optional).
	DeadLetter DeadLetter
	// Logger is the structured logger (zero value: discard).
	Logger zerolog.Logger
	// Metrics (nil: fresh, unregistered metrics).
	Metrics *Metrics
	// MaxQueuedRecords and MaxQueuedBytes bound the work a partition's
	// worker has ahead (default 30000 records, 16 MiB of keys, values and
	// headers): the poll loop does not poll for a worker that has either
	// much ahead, and pauses its partition when its queue holds twice
	// either limit, or one limit while its worker is stalled.
	MaxQueuedRecords int
	MaxQueuedBytes   int
	// PollRecords bounds one poll (default 10000).
	PollRecords int
	// CommitInterval is how often committable offsets are committed
	// (default 1s).
	CommitInterval time.Duration
	// ShutdownTimeout bounds the drain after Run's context ends, and the
	// drain of revoked partitions during a rebalance (default 25s; that one
	// also to 3/4 of the client's kgo.RebalanceTimeout).
	ShutdownTimeout time.Duration
	// CheckpointEveryRecords publishes a partition's open windows as
	// partial profiles after each record whose offset+1 reaches a multiple
	// of n (after the record at offset n·k−1, or the first record past it
	// when that offset holds a transaction marker or nothing; deterministic:
	// replays flush at the same offsets); 0: never.
	CheckpointEveryRecords int64
	// CheckpointInterval also publishes a partition's open windows as
	// partials when this much wall time passed since its last flush (0:
	// never). It is the only wall-clock effect: flush boundaries, not window
	// contents, then depend on timing; it also lets commits advance on an
	// idle partition whose windows cannot close for lack of event time.
	CheckpointInterval time.Duration
	// Transactional, when set, turns on exactly-once output: profiles and
	// the consumed offsets commit in one Kafka transaction (see TxnConfig).
	Transactional *TxnConfig
	// MinBackoff and MaxBackoff bound the retry backoff of publishing, dead
	// letters and schema-registry outages (defaults 100ms and 10s).
	MinBackoff, MaxBackoff time.Duration
}

type tp struct {
	topic     string
	partition int32
}

// Consumer is the streaming profiler: a consumer-group member with one
// worker per assigned partition. Create it with New, run it with Run.
type Consumer struct {
	cfg     Config
	cl      *kgo.Client
	txn     *txnState // nil: at-least-once mode
	log     zerolog.Logger
	metrics *Metrics
	byTopic map[string][]*Dataset

	workCtx  context.Context
	abortFn  context.CancelFunc
	aborted  atomic.Bool
	draining atomic.Bool
	ready    atomic.Bool

	mu      sync.Mutex // workers
	workers map[tp]*worker
	wg      sync.WaitGroup

	commitMu   sync.Mutex // every commit and every revoked flag
	lastCommit time.Time

	closeOnce sync.Once
	fetchLog  sampler
	// took is signalled (without blocking) when a worker takes its queue
	// or stalls, so that the poll loop's backpressure looks again.
	took chan struct{}
}

// closeClient closes the client once (kgo's Close must not run twice
// concurrently).
func (c *Consumer) closeClient() { c.closeOnce.Do(c.cl.CloseAllowingRebalance) }

// New validates cfg and creates the client (it connects lazily).
func New(cfg Config) (*Consumer, error) {
	if len(cfg.Brokers) == 0 || cfg.Group == "" {
		return nil, fmt.Errorf("pipeline: brokers and group are required: %w", ErrInvalidConfig)
	}
	if tc := cfg.Transactional; tc != nil {
		if tc.TransactionalID == "" {
			return nil, fmt.Errorf("pipeline: transactional: empty transactional id: %w", ErrInvalidConfig)
		}
		if tc.Publisher != nil && cfg.Publisher != nil {
			return nil, fmt.Errorf("pipeline: transactional: both Config.Publisher and TxnConfig.Publisher are set: %w", ErrInvalidConfig)
		}
		if tc.Timeout < 0 || tc.Interval < 0 {
			return nil, fmt.Errorf("pipeline: transactional: negative timeout %v or interval %v: %w", tc.Timeout, tc.Interval, ErrInvalidConfig)
		}
	}
	if cfg.Publisher == nil && (cfg.Transactional == nil || cfg.Transactional.Publisher == nil) {
		return nil, fmt.Errorf("pipeline: no publisher: %w", ErrInvalidConfig)
	}
	if len(cfg.Datasets) == 0 {
		return nil, fmt.Errorf("pipeline: no datasets: %w", ErrInvalidConfig)
	}
	if cfg.MaxQueuedRecords <= 0 {
		cfg.MaxQueuedRecords = 30000
	}
	if cfg.MaxQueuedBytes <= 0 {
		cfg.MaxQueuedBytes = 16 << 20
	}
	if cfg.PollRecords <= 0 {
		cfg.PollRecords = 10000
	}
	if cfg.CommitInterval <= 0 {
		cfg.CommitInterval = time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 25 * time.Second
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
	cfg.Datasets = slices.Clone(cfg.Datasets)
	c := &Consumer{cfg: cfg, log: cfg.Logger, metrics: cfg.Metrics, byTopic: map[string][]*Dataset{}, workers: map[tp]*worker{},
		took: make(chan struct{}, 1)}
	seen := map[string]bool{}
	for i := range c.cfg.Datasets {
		d := &c.cfg.Datasets[i]
		if seen[d.Name] {
			return nil, fmt.Errorf("pipeline: dataset %s listed twice: %w", d.Name, ErrInvalidConfig)
		}
		seen[d.Name] = true
		if err := d.validate(); err != nil {
			return nil, err
		}
		for _, t := range slices.Compact(slices.Sorted(slices.Values(d.Topics))) {
			c.byTopic[t] = append(c.byTopic[t], d)
		}
	}
	c.workCtx, c.abortFn = context.WithCancel(context.Background())
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(sortedTopics(c.cfg.Datasets)...),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(c.assigned),
		kgo.OnPartitionsRevoked(c.revoked),
		kgo.OnPartitionsLost(c.lost),
		// Records of aborted source transactions never happened (their
		// producer retries them): profiling them would count them twice.
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	}
	if cfg.ClientID != "" {
		opts = append(opts, kgo.ClientID(cfg.ClientID))
	}
	opts = append(opts, cfg.ClientOpts...)
	if cfg.Transactional == nil {
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return nil, fmt.Errorf("pipeline: creating client: %w", err)
		}
		c.cl = cl
		return c, nil
	}
	c.txn = newTxnState(*cfg.Transactional, cfg.CheckpointInterval, cfg.CheckpointEveryRecords)
	opts = append(opts,
		kgo.TransactionalID(c.txn.cfg.TransactionalID),
		kgo.TransactionTimeout(c.txn.cfg.Timeout),
		kgo.RequiredAcks(kgo.AllISRAcks()),
	)
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return nil, fmt.Errorf("pipeline: creating transact session (transactional id %q): %w", c.txn.cfg.TransactionalID, err)
	}
	c.txn.sess = sess
	c.cl = sess.Client()
	pub := cfg.Publisher
	if f := cfg.Transactional.Publisher; f != nil {
		if pub, err = f(c.cl); err != nil {
			sess.Close()
			return nil, fmt.Errorf("pipeline: transactional publisher: %w", err)
		}
	}
	c.cfg.Publisher = c.txnPublisher(pub)
	return c, nil
}

// Client returns the franz-go client (for admin calls and dead letters).
func (c *Consumer) Client() *kgo.Client { return c.cl }

// Metrics returns the consumer's metrics.
func (c *Consumer) Metrics() *Metrics { return c.metrics }

// Ready reports whether the consumer has joined its group, is polling and is
// not shutting down. Before the first join completes (brokers unreachable,
// wrong credentials, a group still rebalancing) it is false, so /readyz
// does not call a consumer that never reached a broker ready.
func (c *Consumer) Ready() bool {
	if !c.ready.Load() || c.draining.Load() {
		return false
	}
	_, gen := c.cl.GroupMetadata()
	return gen > 0
}

func (c *Consumer) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	c.metrics.Rebalances.WithLabelValues("assigned").Inc()
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, ps := range m {
		for _, p := range ps {
			k := tp{t, p}
			if c.workers[k] != nil {
				continue
			}
			w, err := c.newWorker(t, p)
			if err != nil { // datasets were validated in New
				c.log.Error().Err(err).Str("topic", t).Int32("partition", p).Msg("cannot start partition worker")
				continue
			}
			c.workers[k] = w
			c.wg.Add(1)
			go func() { defer c.wg.Done(); w.run() }()
		}
	}
	c.log.Info().Interface("partitions", m).Msg("partitions assigned")
}

// take removes and returns the workers of m (all workers when m is nil).
func (c *Consumer) take(m map[string][]int32) []*worker {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ws []*worker
	for k, w := range c.workers {
		if m != nil && !slices.Contains(m[k.topic], k.partition) {
			continue
		}
		ws = append(ws, w)
		delete(c.workers, k)
	}
	slices.SortFunc(ws, func(a, b *worker) int {
		if a.topic != b.topic {
			if a.topic < b.topic {
				return -1
			}
			return 1
		}
		return int(a.partition - b.partition)
	})
	return ws
}

// revoked drains the revoked partitions: each worker processes its queue,
// publishes its open windows as partials, then one synchronous commit covers
// them and they are marked revoked, before the rebalance goes on.
func (c *Consumer) revoked(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	c.metrics.Rebalances.WithLabelValues("revoked").Inc()
	if len(m) == 0 {
		// franz-go calls the callback with an empty map at the end of
		// every cooperative session (the transact session does not abort
		// for it either); take(nil) would mean every partition.
		return
	}
	if c.txn != nil {
		c.txnRevoked(m, "revoked")
		return
	}
	ws := c.take(m)
	if len(ws) == 0 {
		return
	}
	// The rebalance waits for this callback: a worker stalled on a sink,
	// a dead-letter topic or the registry must not hold it past the
	// group's rebalance timeout, after which the next owner would
	// reconcile and replay while this worker might still publish. What
	// did not drain in time is killed: not published, not committed,
	// replayed by the next owner.
	limit := c.revokeDrainLimit()
	dctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if !c.drain(dctx, ws) {
		c.log.Warn().Interface("partitions", m).Dur("timeout", limit).
			Msg("revoked partitions not drained in time; their open windows are dropped and replayed by the next owner")
	}
	c.log.Info().Interface("partitions", m).Msg("partitions revoked")
}

// revokeDrainLimit bounds the drain of revoked partitions: ShutdownTimeout,
// but at most three quarters of the client's rebalance timeout, which the
// member must rejoin within (leaving time for the commit).
func (c *Consumer) revokeDrainLimit() time.Duration {
	limit := c.cfg.ShutdownTimeout
	if rt, ok := c.cl.OptValue(kgo.RebalanceTimeout).(time.Duration); ok && rt > 0 {
		limit = min(limit, rt*3/4)
	}
	return limit
}

// lost stops the lost partitions' workers without publishing or committing.
func (c *Consumer) lost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	c.metrics.Rebalances.WithLabelValues("lost").Inc()
	if len(m) == 0 {
		return
	}
	if c.txn != nil {
		c.txnRevoked(m, "lost")
		return
	}
	ws := c.take(m)
	for _, w := range ws {
		w.kill()
	}
	c.commitMu.Lock()
	for _, w := range ws {
		<-w.done
		w.revoked = true
	}
	c.commitMu.Unlock()
	c.log.Warn().Interface("partitions", m).Msg("partitions lost; their open windows are dropped and will be replayed by the next owner")
}

// drain stops ws gracefully (flush and publish), waits for them (killing
// what is left when ctx ends) and commits what they published.
func (c *Consumer) drain(ctx context.Context, ws []*worker) bool {
	for _, w := range ws {
		w.stop()
	}
	complete := true
	for _, w := range ws {
		select {
		case <-w.done:
		case <-ctx.Done():
			w.kill()
			<-w.done
			complete = false
		}
	}
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	if !c.aborted.Load() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		c.commitLocked(cctx, ws)
		cancel()
	}
	for _, w := range ws {
		w.revoked = true
	}
	return complete
}

// commitLocked commits the committable offsets of ws that moved forward.
// The caller holds commitMu.
func (c *Consumer) commitLocked(ctx context.Context, ws []*worker) {
	offs := map[string]map[int32]kgo.EpochOffset{}
	var moved []*worker
	var at []int64
	for _, w := range ws {
		if w.revoked {
			continue
		}
		o, e := w.committableOffset()
		if o < 0 || o <= w.committed {
			continue
		}
		if offs[w.topic] == nil {
			offs[w.topic] = map[int32]kgo.EpochOffset{}
		}
		offs[w.topic][w.partition] = kgo.EpochOffset{Epoch: e, Offset: o}
		moved = append(moved, w)
		at = append(at, o)
	}
	if len(moved) == 0 {
		return
	}
	var cerr error
	c.cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsgReq, resp *kmsgResp, err error) {
		if err != nil {
			cerr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if e := kerrOf(p.ErrorCode); e != nil && cerr == nil {
					cerr = fmt.Errorf("%s/%d: %w", t.Topic, p.Partition, e)
				}
			}
		}
	})
	if cerr != nil {
		c.metrics.CommitErrors.Inc()
		c.log.Warn().Err(cerr).Msg("commit failed; will retry")
		return
	}
	c.metrics.Commits.Inc()
	for i, w := range moved {
		w.committed = at[i]
	}
	c.log.Debug().Interface("offsets", offs).Msg("committed")
}

// commit commits every live partition's committable offset.
func (c *Consumer) commit(ctx context.Context) {
	c.mu.Lock()
	ws := make([]*worker, 0, len(c.workers))
	for _, w := range c.workers {
		ws = append(ws, w)
	}
	c.mu.Unlock()
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	if c.aborted.Load() {
		return
	}
	c.commitLocked(ctx, ws)
	c.lastCommit = timeNow()
}

// Run consumes until ctx ends, then drains: every partition publishes its
// open windows as partial profiles and commits, within ShutdownTimeout, and
// the client leaves the group. It returns nil after a complete drain,
// ErrShutdownTimeout when the drain was cut short, ErrAborted after Abort.
//
// In transactional mode (Config.Transactional) the drain ends the open
// transaction at a barrier with a commit instead; see the package
// documentation.
func (c *Consumer) Run(ctx context.Context) error {
	if c.txn != nil {
		return c.runTxn(ctx)
	}
	defer c.abortFn()
	hw := map[tp]int64{}
	for ctx.Err() == nil && !c.aborted.Load() {
		if c.poll(ctx, hw, nil) {
			break
		}
		if iv := c.cfg.CheckpointInterval; iv > 0 {
			now := timeNow()
			c.mu.Lock()
			for _, w := range c.workers {
				w.maybeCheckpoint(now, iv)
			}
			c.mu.Unlock()
		}
		if timeNow().Sub(c.lastCommit) >= c.cfg.CommitInterval {
			c.commit(ctx)
			c.updateLag(hw)
		}
		c.cl.AllowRebalance()
	}
	if c.aborted.Load() {
		return ErrAborted
	}
	c.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownTimeout)
	defer cancel()
	complete := c.drain(sctx, c.take(nil))
	c.closeClient()
	c.wg.Wait()
	if c.aborted.Load() {
		return ErrAborted
	}
	if !complete {
		return ErrShutdownTimeout
	}
	c.log.Info().Msg("drained and committed")
	return nil
}

// poll runs one round of the poll loop shared by both modes: backpressure,
// one bounded poll, sampled fetch-error logs, and the records handed to
// their partitions' workers (note, when set, sees each partition's records
// first). It records the high watermarks in hw and reports whether the
// client was closed.
func (c *Consumer) poll(ctx context.Context, hw map[tp]int64, note func([]*kgo.Record)) (closed bool) {
	c.backpressure(ctx)
	pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	fs := c.cl.PollRecords(pctx, c.cfg.PollRecords)
	cancel()
	if fs.IsClientClosed() {
		return true
	}
	c.ready.Store(true)
	fs.EachError(func(t string, p int32, err error) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return
		}
		if ok, n := c.fetchLog.allow(int64(10 * time.Second)); ok {
			c.log.Warn().Err(err).Str("topic", t).Int32("partition", p).Int64("suppressed", n).Msg("fetch error")
		}
	})
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		k := tp{p.Topic, p.Partition}
		hw[k] = p.HighWatermark
		c.mu.Lock()
		w := c.workers[k]
		c.mu.Unlock()
		if w == nil { // cannot happen with BlockRebalanceOnPoll
			c.log.Error().Str("topic", p.Topic).Int32("partition", p.Partition).Msg("records for a partition without worker")
			return
		}
		if note != nil {
			note(p.Records)
		}
		w.enqueue(p.Records)
	})
	return false
}

// backpressureWait bounds how long the poll loop waits for a busy worker
// before pausing its partition.
const backpressureWait = time.Second

// backpressure runs before each poll and keeps every worker's queue bounded
// by twice MaxQueuedRecords or MaxQueuedBytes, plus one poll. A worker
// with a limit's worth of work ahead (queued, or taken and not processed
// yet) is either busy with records or stalled (publishing, writing a dead
// letter, waiting for the schema registry). A stalled worker's full
// partition is paused so the other partitions go on. For a busy one,
// pausing would make the client drop what it has fetched or is fetching for
// the partition and fetch it again on resume, which for a consumer that is
// merely CPU-bound costs as much as the consuming itself; so the poll loop
// polls only while some worker has less than a limit ahead (its queue then
// refills before it runs dry, while the busy ones' queues may grow to twice
// the limit before their partitions are paused), and otherwise waits, up
// to backpressureWait (then it pauses the full queues).
func (c *Consumer) backpressure(ctx context.Context) {
	var deadline time.Time
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		now := timeNow()
		if deadline.IsZero() {
			deadline = now.Add(backpressureWait)
		}
		if c.backpressureStep(!now.Before(deadline) || ctx.Err() != nil) || c.aborted.Load() {
			return
		}
		if t == nil {
			t = time.NewTimer(10 * time.Millisecond)
		} else {
			t.Reset(10 * time.Millisecond)
		}
		select {
		case <-c.took:
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

// backpressureStep pauses the partitions whose queues reached their bound
// (late: the poll loop has waited backpressureWait) and reports whether the
// poll loop may poll: some unpaused worker has less than a limit ahead, or
// none is busy.
func (c *Consumer) backpressureStep(late bool) (poll bool) {
	recs, size := c.cfg.MaxQueuedRecords, c.cfg.MaxQueuedBytes
	busy, hungry := false, false
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.workers {
		w.mu.Lock()
		n, b := len(w.queue), w.queuedBytes
		full := n >= recs || b >= size
		switch {
		case w.paused:
		case n >= 2*recs || b >= 2*size || full && (w.stalled || late):
			w.pauseLocked()
		case full || n+w.inflight >= recs:
			busy = true
		default:
			hungry = true
		}
		w.mu.Unlock()
	}
	return !busy || hungry
}

// signalTook wakes the poll loop's backpressure wait.
func (c *Consumer) signalTook() {
	select {
	case c.took <- struct{}{}:
	default:
	}
}

func (c *Consumer) updateLag(hw map[tp]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, h := range hw {
		w := c.workers[k]
		if w == nil {
			continue
		}
		c.commitMu.Lock()
		com := w.committed
		c.commitMu.Unlock()
		if com < 0 {
			com = 0
		}
		c.metrics.CommitLag.WithLabelValues(k.topic, itoa32(k.partition)).Set(float64(max(h-com, 0)))
	}
}

// Abort stops at once: workers are cancelled, nothing more is published or
// committed, and the client is closed (records after the last commit are
// replayed by the next owner). Run returns ErrAborted.
func (c *Consumer) Abort() {
	if c.aborted.Swap(true) {
		return
	}
	c.abortFn()
	c.commitMu.Lock() // wait for a commit in flight
	c.commitMu.Unlock()
	go c.closeClient()
}

// Close releases the client when Run was never called.
func (c *Consumer) Close() { c.closeClient() }

// PartitionStats is the offset state of one assigned partition.
type PartitionStats struct {
	Topic       string
	Partition   int32
	Next        int64 // offset after the last processed record (-1: none)
	Committable int64 // offset that may be committed (-1: none)
	Committed   int64 // last offset this member committed (-1: none)
	Queued      int   // records waiting in the worker's queue
}

// Stats returns the state of the assigned partitions, sorted by topic and
// partition.
func (c *Consumer) Stats() []PartitionStats {
	c.mu.Lock()
	ws := make([]*worker, 0, len(c.workers))
	for _, w := range c.workers {
		ws = append(ws, w)
	}
	c.mu.Unlock()
	out := make([]PartitionStats, 0, len(ws))
	for _, w := range ws {
		w.mu.Lock()
		s := PartitionStats{Topic: w.topic, Partition: w.partition, Next: w.next, Committable: w.committable, Queued: len(w.queue)}
		w.mu.Unlock()
		c.commitMu.Lock()
		s.Committed = w.committed
		c.commitMu.Unlock()
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b PartitionStats) int {
		if a.Topic != b.Topic {
			if a.Topic < b.Topic {
				return -1
			}
			return 1
		}
		return int(a.Partition - b.Partition)
	})
	return out
}
