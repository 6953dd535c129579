package pipeline

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/profiler"
)

// worker owns one assigned partition: its queue, its datasets' windows and
// its offset bookkeeping.
type worker struct {
	c         *Consumer
	topic     string
	partition int32
	pstr      string
	states    []*dsState
	log       zerolog.Logger
	ctx       context.Context // cancelled on loss and abort
	cancel    context.CancelFunc
	done      chan struct{}

	mu    sync.Mutex
	cond  *sync.Cond
	queue []*kgo.Record
	spare []*kgo.Record
	// queuedBytes sums recordBytes over queue; inflight counts the records
	// of the batch the worker took and has not processed yet. The poll
	// loop's backpressure reads both.
	queuedBytes int
	inflight    int
	paused      bool
	stalled     bool // waiting on a sink, a dead-letter topic or the registry
	stopping    bool // process what is queued, flush, exit
	flushReq    bool // a wall-clock checkpoint is due
	// barrierAck, when set, asks the worker to process its queue, flush
	// every open window and then close it (transaction barrier).
	barrierAck chan struct{}
	lastFlush  time.Time
	// next is the offset after the last processed record (-1: none yet);
	// committable is the offset that may be committed (-1: none).
	next        int64
	epoch       int32
	committable int64
	commitEpoch int32
	err         error // why the worker stopped early (context)
	// reconciled: the Publisher's Reconcile ran for the first record.
	reconciled bool
	pruned     int64 // committed offset of the last successful Prune

	// Owned by the Consumer under commitMu.
	committed int64
	revoked   bool

	badLog sampler
	env    recordEnv // how process profiles a record

	mRecords, mBytes prometheus.Counter
}

func (c *Consumer) newWorker(topic string, partition int32) (*worker, error) {
	ctx, cancel := context.WithCancel(c.workCtx)
	w := &worker{
		c: c, topic: topic, partition: partition, pstr: itoa32(partition),
		log: c.log.With().Str("topic", topic).Int32("partition", partition).Logger(),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
		next: -1, committable: -1, committed: -1, epoch: -1, commitEpoch: -1,
	}
	w.cond = sync.NewCond(&w.mu)
	w.env = recordEnv{ctx: ctx, log: &w.log, badLog: &w.badLog, metrics: c.metrics, deadLetter: c.cfg.DeadLetter,
		minBackoff: c.cfg.MinBackoff, maxBackoff: c.cfg.MaxBackoff, stall: w.setStalled}
	w.mRecords = c.metrics.Records.WithLabelValues(topic)
	w.mBytes = c.metrics.Bytes.WithLabelValues(topic)
	for _, d := range c.byTopic[topic] {
		s, err := d.newState(topic, partition)
		if err != nil {
			cancel()
			return nil, err
		}
		s.mLate = c.metrics.LateRecords.WithLabelValues(d.Name)
		s.mOverflow = c.metrics.OverflowRecords.WithLabelValues(d.Name)
		w.states = append(w.states, s)
	}
	return w, nil
}

// enqueue hands polled records to the worker. Called by the poll loop,
// whose backpressure bounds the queue.
func (w *worker) enqueue(rs []*kgo.Record) {
	n := 0
	for _, r := range rs {
		n += recordBytes(r)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queue = append(w.queue, rs...)
	w.queuedBytes += n
	w.cond.Signal()
}

// recordBytes is what a queued record counts against MaxQueuedBytes: its
// key, value and headers.
func recordBytes(r *kgo.Record) int {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// pauseLocked pauses the partition's fetches until the worker takes its
// queue. The caller holds w.mu.
func (w *worker) pauseLocked() {
	w.paused = true
	w.c.cl.PauseFetchPartitions(map[string][]int32{w.topic: {w.partition}})
	w.c.metrics.PausedPartitions.Inc()
	w.c.metrics.Pauses.Inc()
}

// setStalled records whether the worker waits on something other than its
// records (the poll loop pauses a stalled worker's full partition).
func (w *worker) setStalled(v bool) {
	w.mu.Lock()
	w.stalled = v
	w.mu.Unlock()
	if v {
		w.c.signalTook()
	}
}

// stop asks the worker to process its queue, flush every open window and
// exit (revoke and shutdown).
func (w *worker) stop() {
	w.mu.Lock()
	w.stopping = true
	w.cond.Signal()
	w.mu.Unlock()
}

// kill stops the worker at once, discarding its state (loss and abort).
func (w *worker) kill() {
	w.cancel()
	w.mu.Lock()
	w.cond.Signal()
	w.mu.Unlock()
}

// maybeCheckpoint asks for a wall-clock checkpoint when interval passed
// since the last flush. Called by the poll loop.
func (w *worker) maybeCheckpoint(now time.Time, interval time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastFlush.IsZero() {
		w.lastFlush = now
		return
	}
	if !w.flushReq && now.Sub(w.lastFlush) >= interval {
		w.flushReq = true
		w.lastFlush = now
		w.cond.Signal()
	}
}

// committableOffset returns the offset that may be committed and its leader
// epoch (-1 offset: nothing yet).
func (w *worker) committableOffset() (int64, int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.committable, w.commitEpoch
}

func (w *worker) run() {
	defer close(w.done)
	defer w.cancel()
	defer w.unpause()
	defer w.forgetGauges()
	defer func() { // an early exit leaves no work ahead that would hold the poll loop
		w.mu.Lock()
		w.inflight = 0
		w.mu.Unlock()
	}()
	for {
		w.mu.Lock()
		for len(w.queue) == 0 && !w.stopping && !w.flushReq && w.barrierAck == nil && w.ctx.Err() == nil {
			w.cond.Wait()
		}
		if w.ctx.Err() != nil {
			w.err = w.ctx.Err()
			w.mu.Unlock()
			return
		}
		batch := w.queue
		w.queue = w.spare[:0]
		w.queuedBytes = 0
		w.inflight = len(batch)
		stopping := w.stopping
		flushReq := w.flushReq
		w.flushReq = false
		barrier := w.barrierAck
		w.barrierAck = nil
		if w.paused {
			w.paused = false
			w.c.cl.ResumeFetchPartitions(map[string][]int32{w.topic: {w.partition}})
			w.c.metrics.PausedPartitions.Dec()
		}
		w.mu.Unlock()
		if len(batch) > 0 {
			w.c.signalTook()
			if !w.reconciled && !w.reconcile(batch[0].Offset) {
				return
			}
			w.markStart(batch[0])
		}

		// The record and byte counters are shared by the workers of a topic:
		// add to them once per batch, not once per record.
		var nbytes int
		for i, r := range batch {
			if !w.process(r) {
				w.mRecords.Add(float64(i))
				w.mBytes.Add(float64(nbytes))
				return
			}
			nbytes += len(r.Value)
			batch[i] = nil
		}
		w.mRecords.Add(float64(len(batch)))
		w.mBytes.Add(float64(nbytes))
		w.spare = batch[:0]
		if len(batch) > 0 {
			if err := w.publish(false); err != nil {
				return
			}
		}
		if flushReq && !stopping || barrier != nil {
			if err := w.publish(true); err != nil {
				return
			}
		}
		if barrier != nil {
			close(barrier)
		}
		if stopping && len(batch) == 0 {
			if err := w.publish(true); err != nil {
				return
			}
			return
		}
	}
}

// unpause resumes the partition's fetches if the worker paused them: a
// worker killed (loss, abort, a revoke drain that timed out) exits without
// taking its queue, and franz-go keeps a partition paused across revokes and
// reassignments, so the next worker for it on this member would never be
// fed.
func (w *worker) unpause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.paused {
		w.paused = false
		w.c.cl.ResumeFetchPartitions(map[string][]int32{w.topic: {w.partition}})
		w.c.metrics.PausedPartitions.Dec()
	}
}

// forgetGauges removes the partition's gauges when the worker exits: a
// member must not keep reporting the lag and open windows of a partition it
// no longer owns (a worker that replaces this one sets them again).
func (w *worker) forgetGauges() {
	for _, s := range w.states {
		w.c.metrics.OpenWindows.DeleteLabelValues(s.ds.Name, w.topic, w.pstr)
	}
	w.c.metrics.CommitLag.DeleteLabelValues(w.topic, w.pstr)
}

// reconcile lets a Reconciler Publisher remove what an earlier run published
// at or beyond resume (the offset of the first record this worker
// processes), retrying with backoff until it succeeds. It returns false
// when the worker's context ended.
func (w *worker) reconcile(resume int64) bool {
	rc, ok := w.c.cfg.Publisher.(Reconciler)
	if !ok {
		w.reconciled = true
		return true
	}
	w.setStalled(true)
	defer w.setStalled(false)
	backoff := w.c.cfg.MinBackoff
	for {
		err := rc.Reconcile(w.ctx, w.topic, w.partition, resume)
		if err == nil {
			w.reconciled = true
			w.log.Debug().Int64("resume_offset", resume).Msg("sink reconciled")
			return true
		}
		w.c.metrics.SinkErrors.Inc()
		w.log.Warn().Err(err).Int64("resume_offset", resume).Dur("backoff", backoff).Msg("reconciling the sink failed, retrying")
		if !sleepCtx(w.ctx, backoff) {
			w.err = w.ctx.Err()
			return false
		}
		backoff = min(2*backoff, w.c.cfg.MaxBackoff)
	}
}

// markStart makes the offset of the first record a new worker takes
// committable while nothing else is: before any record is processed the
// partition's state is empty, so it is a full-flush point. Without it a group
// that starts at "latest" or at a timestamp and crashes before its first
// checkpoint would restart from the new log end and lose what came between.
func (w *worker) markStart(r *kgo.Record) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.committable < 0 && w.next < 0 {
		w.committable = r.Offset
		w.commitEpoch = r.LeaderEpoch
	}
}

// process profiles one record into every dataset of its topic. It returns
// false when the worker's context ended.
func (w *worker) process(r *kgo.Record) bool {
	if profileRecord(&w.env, w.states, r) != nil {
		return false
	}
	w.mu.Lock()
	prev := w.next
	w.next = r.Offset + 1
	w.epoch = r.LeaderEpoch
	w.inflight--
	// The worker has just gone below a limit's worth of work ahead: the
	// poll loop, waiting in backpressure, may poll for it.
	wake := w.inflight+len(w.queue) == w.c.cfg.MaxQueuedRecords-1
	w.mu.Unlock()
	if wake {
		w.c.signalTook()
	}
	if checkpointDue(w.c.cfg.CheckpointEveryRecords, prev, r.Offset) {
		if err := w.publish(true); err != nil {
			return false
		}
		w.mu.Lock()
		w.lastFlush = timeNow()
		w.mu.Unlock()
	}
	return true
}

// checkpointDue reports whether a record-count checkpoint follows the
// record at offset, prev being the offset after the previous record
// processed (-1: none): when the offsets (prev, offset+1] hold a multiple of
// every. For consecutive offsets that is (offset+1) % every == 0; offsets
// the consumer never sees (transaction markers, aborted or compacted
// records) do not make a boundary pass unnoticed. It depends only on the
// offsets processed, so replays and backfills cut the same checkpoints.
func checkpointDue(every, prev, offset int64) bool {
	if every <= 0 {
		return false
	}
	if prev < 0 || prev > offset {
		return (offset+1)%every == 0
	}
	return (offset+1)/every > prev/every
}

// publish emits the finished windows (all open windows as partials when
// flush is set), publishes them until the Publisher confirms and releases
// them. Only a flush (a full-flush point: record-count or wall-clock
// checkpoint, revoke, shutdown) advances the committable offset, to the
// offset after the last processed record (Rule C in DESIGN.md).
func (w *worker) publish(flush bool) error {
	fins := make([][]profiler.Finished, len(w.states))
	var out []Profile
	for i, s := range w.states {
		if flush {
			fins[i] = s.ws.Flush()
		} else {
			fins[i] = s.ws.Advance()
		}
		var err error
		if out, err = s.appendProfiles(out, fins[i], w.topic, w.partition); err != nil {
			return err
		}
	}
	if len(out) > 0 {
		if err := publishProfiles(&w.env, w.c.cfg.Publisher, out); err != nil {
			w.err = err
			return err
		}
		w.log.Debug().Int("profiles", len(out)).Bool("flush", flush).Msg("profiles published")
	}
	for i, s := range w.states {
		s.release(fins[i])
		w.c.metrics.OpenWindows.WithLabelValues(s.ds.Name, w.topic, w.pstr).Set(float64(s.ws.OpenWindows()))
	}
	if !flush {
		// Rule C: a closed window published between checkpoints may hold
		// records beyond offsets still held by open windows; committing
		// past them would replay those records after a crash into a second
		// profile. The committable offset moves only at full-flush points.
		return nil
	}
	for _, s := range w.states {
		if h, ok := s.lowestHeld(); ok { // cannot happen: Flush emptied every window
			w.log.Error().Str("dataset", s.ds.Name).Int64("offset", h).
				Msg("a window still holds records after a full flush; not advancing the committable offset")
			return nil
		}
	}
	w.mu.Lock()
	if w.next >= 0 {
		// Every record < next is in a confirmed profile and no published
		// profile holds a record >= next: a full-flush point.
		w.committable = w.next
		w.commitEpoch = w.epoch
	}
	stopping := w.stopping
	w.mu.Unlock()
	if !stopping { // a revoke or shutdown waits for this flush: the next owner's Reconcile collects
		w.prune()
	}
	return nil
}

// prune lets a Pruner Publisher forget its journal below the partition's
// committed offset, when that moved since the last prune. Best effort: a
// failure is logged and the next checkpoint (or the next owner's Reconcile)
// does it; a commit in flight makes it wait for the next checkpoint.
func (w *worker) prune() {
	pr, ok := w.c.cfg.Publisher.(Pruner)
	if !ok || !w.c.commitMu.TryLock() {
		return
	}
	com := w.committed
	w.c.commitMu.Unlock()
	if com <= w.pruned {
		return
	}
	if err := pr.Prune(w.ctx, w.topic, w.partition, com); err != nil {
		w.log.Debug().Err(err).Int64("committed", com).Msg("pruning the sink journal failed")
		return
	}
	w.pruned = com
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
