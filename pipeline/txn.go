package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TxnConfig turns on exactly-once output (see the package documentation,
// "Exactly-once output"): the Consumer runs on a kgo.GroupTransactSession,
// publishes every profile inside a producer transaction and commits the
// consumed offsets in the same transaction.
type TxnConfig struct {
	// TransactionalID of the producer (required). It must be unique among
	// the live members of the group and stable across restarts of one
	// member: a restarted member with the same id fences its predecessor
	// and aborts the transaction the predecessor left open.
	TransactionalID string
	// Timeout is the transaction timeout sent to the broker (default 60s;
	// at most the broker's transaction.max.timeout.ms). A transaction still
	// open after it is aborted by the broker.
	Timeout time.Duration
	// Interval is how often a transaction ends at a barrier. Zero: the
	// Config's CheckpointInterval, or 10s when that is zero. It is capped
	// at Timeout/3. A partition crossing a CheckpointEveryRecords boundary
	// also ends the transaction at the next poll.
	Interval time.Duration
	// Publisher, when set, builds the Publisher from the session's client
	// (the one that produces inside the transactions, e.g. a sink.Kafka made
	// with sink.NewKafkaTxn); Config.Publisher must then be nil. Otherwise
	// Config.Publisher is used, and only its writes through
	// Consumer.Client() are transactional.
	Publisher func(cl *kgo.Client) (Publisher, error)
}

// Transaction outcome and reason labels of Metrics.Transactions.
const (
	txnCommitted = "committed"
	txnAborted   = "aborted"

	reasonInterval  = "interval"      // commit: the barrier interval passed
	reasonRecords   = "records"       // commit: a CheckpointEveryRecords boundary
	reasonShutdown  = "shutdown"      // commit or abort at the end of Run
	reasonRebalance = "rebalance"     // abort: partitions revoked or lost
	reasonProduce   = "produce"       // abort: a profile could not be produced
	reasonBarrier   = "barrier"       // abort: workers did not reach the barrier within the timeout
	reasonNotCommit = "not_committed" // abort: End aborted without an error (rebalance or failed heartbeat during End)
	reasonEndError  = "end_error"     // abort: End failed (e.g. fenced after the broker's transaction timeout)
)

// txnState is the exactly-once bookkeeping of a Consumer. Only the poll
// loop touches begun and want; doom is set by rebalance callbacks and
// workers.
type txnState struct {
	cfg      TxnConfig
	sess     *kgo.GroupTransactSession
	interval time.Duration
	every    int64 // CheckpointEveryRecords

	begun  time.Time
	want   string // a barrier is wanted at the next poll (reason)
	polled int64  // records polled since Begin

	mu     sync.Mutex
	reason string // why the open transaction must abort ("": it need not)
	cause  error
	doomCh chan struct{} // closed when reason is set
}

func newTxnState(cfg TxnConfig, checkpointInterval time.Duration, every int64) *txnState {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	iv := cfg.Interval
	if iv <= 0 {
		iv = checkpointInterval
	}
	if iv <= 0 {
		iv = 10 * time.Second
	}
	iv = min(iv, cfg.Timeout/3)
	return &txnState{cfg: cfg, interval: iv, every: every, doomCh: make(chan struct{})}
}

// doom marks the open transaction as one that must abort.
func (t *txnState) doom(reason string, cause error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reason != "" {
		return
	}
	t.reason, t.cause = reason, cause
	close(t.doomCh)
}

// doomed returns why the open transaction must abort ("" if it need not).
func (t *txnState) doomed() (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reason, t.cause
}

// doomChan returns a channel closed once the open transaction must abort.
func (t *txnState) doomChan() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.doomCh
}

// clear forgets the doom of the transaction that just ended.
func (t *txnState) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reason != "" {
		t.reason, t.cause = "", nil
		t.doomCh = make(chan struct{})
	}
}

// noteRecords asks for a barrier when rs cross a CheckpointEveryRecords
// boundary ((offset+1) % n == 0 for an offset in their range).
func (t *txnState) noteRecords(rs []*kgo.Record) {
	t.polled += int64(len(rs))
	if t.every <= 0 || len(rs) == 0 || t.want != "" {
		return
	}
	first, last := rs[0].Offset, rs[len(rs)-1].Offset
	if (last+1)/t.every > first/t.every {
		t.want = reasonRecords
	}
}

// txnPublisher wraps the publisher for transactional mode: a failed
// publish is not retried inside the transaction (the producer cannot take
// back what it may have written); it dooms the transaction and waits until
// the abort kills the worker. Reconcile and Prune are forwarded when the
// wrapped publisher has them (a blob sink next to the exactly-once Kafka sink).
func (c *Consumer) txnPublisher(inner Publisher) Publisher {
	return txnPublisher{c: c, inner: inner}
}

type txnPublisher struct {
	c     *Consumer
	inner Publisher
}

func (p txnPublisher) Publish(ctx context.Context, ps []Profile) error {
	err := p.inner.Publish(ctx, ps)
	if err == nil || ctx.Err() != nil {
		return err
	}
	p.c.txn.doom(reasonProduce, err)
	<-ctx.Done()
	return fmt.Errorf("%w (transaction aborted)", err)
}

// Reconcile forwards to the wrapped publisher's Reconcile, if any.
func (p txnPublisher) Reconcile(ctx context.Context, topic string, partition int32, resumeOffset int64) error {
	if rc, ok := p.inner.(interface {
		Reconcile(ctx context.Context, topic string, partition int32, resumeOffset int64) error
	}); ok {
		return rc.Reconcile(ctx, topic, partition, resumeOffset)
	}
	return nil
}

// Prune forwards to the wrapped publisher's Prune, if any (the workers
// prune at barriers, below the offsets of the last committed transaction).
func (p txnPublisher) Prune(ctx context.Context, topic string, partition int32, committedOffset int64) error {
	if pr, ok := p.inner.(Pruner); ok {
		return pr.Prune(ctx, topic, partition, committedOffset)
	}
	return nil
}

// requestBarrier asks w to process its queue, publish every open window as
// a partial and close the returned channel.
func (w *worker) requestBarrier() chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.barrierAck == nil {
		w.barrierAck = make(chan struct{})
	}
	w.cond.Signal()
	return w.barrierAck
}

// txnRevoked handles revoked or lost partitions in transactional mode: the
// session aborts the open transaction at its next End, so their workers are
// stopped without publishing anything more, and the poll loop is told to
// end the transaction at once.
func (c *Consumer) txnRevoked(m map[string][]int32, event string) {
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
	c.txn.doom(reasonRebalance, fmt.Errorf("partitions %s", event))
	c.log.Info().Interface("partitions", m).Str("event", event).
		Msg("partitions " + event + "; the open transaction aborts and their records are re-read by the next owner")
}

// killAll stops every worker at once (their state belongs to a transaction
// that aborts) and waits for them; the workers stay in the map until
// replaced by restartWorkers.
func (c *Consumer) killAll() map[tp]*worker {
	c.mu.Lock()
	old := make(map[tp]*worker, len(c.workers))
	for k, w := range c.workers {
		old[k] = w
		w.kill()
	}
	c.mu.Unlock()
	for _, w := range old {
		<-w.done
	}
	return old
}

// restartWorkers replaces the killed workers that are still assigned by
// fresh ones (empty windows): the session rewound the partitions to their
// committed offsets, so the re-polled records rebuild the state.
func (c *Consumer) restartWorkers(old map[tp]*worker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, w := range old {
		w.mu.Lock()
		if w.paused {
			w.paused = false
			c.cl.ResumeFetchPartitions(map[string][]int32{k.topic: {k.partition}})
			c.metrics.PausedPartitions.Dec()
		}
		w.mu.Unlock()
		if c.workers[k] != w { // revoked meanwhile
			continue
		}
		nw, err := c.newWorker(k.topic, k.partition)
		if err != nil { // datasets were validated in New
			delete(c.workers, k)
			c.log.Error().Err(err).Str("topic", k.topic).Int32("partition", k.partition).Msg("cannot restart partition worker")
			continue
		}
		c.commitMu.Lock()
		nw.committed = w.committed
		c.commitMu.Unlock()
		c.workers[k] = nw
		c.wg.Add(1)
		go func() { defer c.wg.Done(); nw.run() }()
	}
}

// barrier asks every worker to process its queue and flush its open
// windows into the transaction, and waits until all did. It returns false
// when ctx ended, the transaction was doomed or a worker stopped first.
func (c *Consumer) barrier(ctx context.Context) bool {
	c.mu.Lock()
	ws := make([]*worker, 0, len(c.workers))
	acks := make([]chan struct{}, 0, len(c.workers))
	for _, w := range c.workers {
		ws = append(ws, w)
		acks = append(acks, w.requestBarrier())
	}
	c.mu.Unlock()
	doomed := c.txn.doomChan()
	for i, w := range ws {
		select {
		case <-acks[i]:
		case <-w.done:
			return false
		case <-doomed:
			return false
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// beginTxn starts the next transaction.
func (c *Consumer) beginTxn() error {
	if err := c.txn.sess.Begin(); err != nil {
		return fmt.Errorf("pipeline: beginning a transaction (transactional id %q): %w", c.txn.cfg.TransactionalID, err)
	}
	c.txn.begun = timeNow()
	c.txn.want = ""
	c.txn.polled = 0
	return nil
}

// endCtx bounds one End: it must not be cancelled by Run's context (a
// cancelled End leaves the producer in an unknown state).
func (c *Consumer) endCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.txn.cfg.Timeout+10*time.Second)
}

// abortTxn kills every worker, aborts the transaction, restarts the
// workers still assigned and begins the next transaction.
func (c *Consumer) abortTxn(reason string, cause error) error {
	old := c.killAll()
	ctx, cancel := c.endCtx()
	_, err := c.txn.sess.End(ctx, kgo.TryAbort)
	cancel()
	c.txn.clear()
	c.metrics.Transactions.WithLabelValues(txnAborted, reason).Inc()
	ev := c.log.Warn().Str("reason", reason)
	if cause != nil {
		ev = ev.AnErr("cause", cause)
	}
	if err != nil {
		ev = ev.Err(err)
	}
	ev.Msg("transaction aborted; its records are re-read from the committed offsets")
	c.restartWorkers(old)
	return c.beginTxn()
}

// commitTxn ends the transaction at a barrier: every worker processed what
// was polled and published its open windows into the transaction; End
// commits the offsets of everything polled with the profiles. When End
// does not commit, the workers are restarted as after an abort. It returns
// whether the transaction committed, and an error only when no next
// transaction could begin.
func (c *Consumer) commitTxn(bctx context.Context, reason string) (bool, error) {
	if !c.barrier(bctx) {
		r, cause := c.txn.doomed()
		if r == "" {
			r, cause = reasonBarrier, bctx.Err()
		}
		return false, c.abortTxn(r, cause)
	}
	endStart := timeNow()
	ctx, cancel := c.endCtx()
	committed, err := c.txn.sess.End(ctx, kgo.TryCommit)
	cancel()
	took := timeNow().Sub(endStart)
	doomReason, cause := c.txn.doomed()
	c.txn.clear()
	if err != nil || !committed {
		r := reasonNotCommit
		switch {
		case err != nil:
			r, cause = reasonEndError, err
		case doomReason != "":
			r = doomReason
		}
		c.metrics.Transactions.WithLabelValues(txnAborted, r).Inc()
		ev := c.log.Warn().Str("reason", r)
		if cause != nil {
			ev = ev.AnErr("cause", cause)
		}
		ev.Msg("transaction did not commit; its records are re-read from the committed offsets")
		c.restartWorkers(c.killAll())
		return false, c.beginTxn()
	}
	c.metrics.Transactions.WithLabelValues(txnCommitted, reason).Inc()
	c.metrics.Commits.Inc()
	c.mu.Lock()
	c.commitMu.Lock()
	for _, w := range c.workers {
		w.mu.Lock()
		if w.next > w.committed {
			w.committed = w.next
		}
		w.mu.Unlock()
	}
	c.commitMu.Unlock()
	c.mu.Unlock()
	c.log.Debug().Str("reason", reason).Dur("end", took).Msg("transaction committed")
	return true, c.beginTxn()
}

// runTxn is Run in transactional mode.
func (c *Consumer) runTxn(ctx context.Context) error {
	defer c.abortFn()
	t := c.txn
	if err := c.beginTxn(); err != nil {
		c.closeClient()
		c.wg.Wait()
		return err
	}
	hw := map[tp]int64{}
	backoff := c.cfg.MinBackoff
	for ctx.Err() == nil && !c.aborted.Load() {
		if c.poll(ctx, hw, t.noteRecords) {
			break
		}
		var err error
		if reason, cause := t.doomed(); reason != "" {
			err = c.abortTxn(reason, cause)
			if reason == reasonProduce {
				sleepCtx(ctx, backoff)
				backoff = min(2*backoff, c.cfg.MaxBackoff)
			}
		} else if t.polled == 0 && timeNow().Sub(t.begun) >= t.interval {
			// Nothing was polled since Begin, so nothing was produced
			// (the last barrier flushed every window): keep the
			// transaction instead of ending an empty one, which would
			// cost a round of requests (and, when no offsets were
			// committed, franz-go's 500ms rebalance guard).
			t.begun = timeNow()
		} else if t.want != "" || timeNow().Sub(t.begun) >= t.interval {
			reason := t.want
			if reason == "" {
				reason = reasonInterval
			}
			// The barrier must be reached before the broker's timeout
			// (counted from the first write, after Begin) aborts the
			// transaction; otherwise abort it here.
			bctx, cancel := context.WithDeadline(context.Background(), t.begun.Add(t.cfg.Timeout*9/10))
			var ok bool
			ok, err = c.commitTxn(bctx, reason)
			cancel()
			if ok {
				backoff = c.cfg.MinBackoff
				c.updateLag(hw)
			}
		}
		if err != nil {
			if c.aborted.Load() { // Abort closed the client under End/Begin
				return ErrAborted
			}
			c.log.Error().Err(err).Msg("cannot go on with transactions")
			c.killAll()
			c.closeClient()
			c.wg.Wait()
			return err
		}
		c.cl.AllowRebalance()
	}
	if c.aborted.Load() {
		return ErrAborted
	}
	c.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownTimeout)
	defer cancel()
	var final error
	if reason, cause := t.doomed(); reason != "" {
		final = fmt.Errorf("pipeline: the last transaction aborted (%s: %v); its records are re-read by the next owner", reason, cause)
		c.killAll()
		ectx, ecancel := c.endCtx()
		c.txn.sess.End(ectx, kgo.TryAbort)
		ecancel()
		c.metrics.Transactions.WithLabelValues(txnAborted, reason).Inc()
	} else if t.polled == 0 {
		// Nothing since the last commit: nothing to end.
		c.log.Debug().Msg("no records since the last transaction")
	} else if !c.barrier(sctx) {
		final = ErrShutdownTimeout
		if reason, _ := t.doomed(); reason != "" {
			final = fmt.Errorf("pipeline: the last transaction aborted (%s); its records are re-read by the next owner", reason)
		}
		c.killAll()
		ectx, ecancel := c.endCtx()
		c.txn.sess.End(ectx, kgo.TryAbort)
		ecancel()
		c.metrics.Transactions.WithLabelValues(txnAborted, reasonShutdown).Inc()
	} else {
		ectx, ecancel := c.endCtx()
		committed, err := c.txn.sess.End(ectx, kgo.TryCommit)
		ecancel()
		if err != nil || !committed {
			final = fmt.Errorf("pipeline: the last transaction did not commit (%v); its records are re-read by the next owner", err)
			c.metrics.Transactions.WithLabelValues(txnAborted, reasonShutdown).Inc()
		} else {
			c.metrics.Transactions.WithLabelValues(txnCommitted, reasonShutdown).Inc()
			c.metrics.Commits.Inc()
		}
	}
	for _, w := range c.take(nil) {
		w.kill()
		<-w.done
	}
	c.closeClient()
	c.wg.Wait()
	if c.aborted.Load() {
		return ErrAborted
	}
	if final != nil {
		return final
	}
	c.log.Info().Msg("drained and committed the last transaction")
	return nil
}
