// Package pipeline is the streaming half of kprofiler: a franz-go consumer
// group whose partition workers decode records straight into profiler column
// updates, keep event-time windows per dataset (profiler.WindowSet), publish
// finished windows through a Publisher and commit offsets only behind what
// was published.
//
// # Shape
//
//	Consumer.Run
//	  poll loop (one goroutine): backpressure → PollRecords → hand each
//	    partition's records to its worker (a batch per partition and poll) →
//	    commit committable offsets → AllowRebalance
//	  one worker goroutine per assigned partition: decode (schemas/event) →
//	    event time → WindowSet.Route per dataset → typed column updates →
//	    WindowSet.Advance → encode (whylogs v1) → Publisher.Publish (retried
//	    with backoff until it confirms) → advance the committable offset
//
// The client uses cooperative-sticky balancing, DisableAutoCommit and
// BlockRebalanceOnPoll: rebalance callbacks run only between poll-loop
// iterations, so every record a poll returned is already queued at its
// worker when a partition is revoked.
//
// # Offsets (invariant 1, Rule C)
//
// The committable offset of a partition only advances at full-flush points:
// when the worker published every open window as a partial (a record-count
// checkpoint, offset+1 reaching a multiple of CheckpointEveryRecords; a wall-clock
// checkpoint, CheckpointInterval; revoke; shutdown) and the Publisher
// confirmed, it becomes the offset after the last processed record. At such
// an offset X every record < X is in a confirmed profile and no published
// profile holds a record >= X. Windows that close between checkpoints are
// published at once but do not move it: a closed window can hold records
// beyond the first offset of a still-open one, and committing past those
// would replay them into a second profile. Bad records hold nothing: they
// are counted, dead-lettered and passed. A record whose decoding needs an
// unavailable schema registry is retried with backoff. Commits use
// CommitOffsetsSync under one mutex with the partition's revoked flag, so a
// commit never happens for a partition after its revocation finished.
//
// Before it processes the first record of a newly assigned partition, the
// worker calls Reconcile(topic, partition, that record's offset) when the
// Publisher is a Reconciler (SinkPublisher is; it forwards to a
// sink.Reconciler such as the blob sink), retrying with backoff; nothing is
// published for the partition before it succeeds. Since the resume offset
// is a full-flush point, the profiles the sink removes there are exactly
// the ones the replay rebuilds. At later checkpoints, once the committed
// offset moved, the worker calls Prune(committed) on a Pruner Publisher so
// that the sink's journal stays small (TestJournalPrunedAtCheckpoints).
//
// # Rebalances and shutdown
//
// On revoke the worker processes what is queued, publishes its open windows
// as partial profiles (profiler Flushed, sink kind "checkpoint"), and the
// callback commits synchronously before returning: the next owner starts
// exactly after what was published, so a cooperative rebalance produces no
// duplicates. On loss the worker is stopped and nothing is committed; the
// next owner replays from the last commit (duplicates are possible, bounded
// by the records after the last commit; keys are deterministic so re-published
// profiles with the same first offset overwrite). Cancelling Run's context
// does the revoke path for every partition, bounded by ShutdownTimeout;
// Abort stops at once without committing anything unpublished.
//
// # Memory (invariant 7)
//
// A worker's queue is bounded by twice MaxQueuedRecords (default 30000) or
// MaxQueuedBytes (default 16 MiB of keys, values and headers), plus one
// poll. The poll loop polls only while some worker has less than a limit's
// worth of work ahead, counting the records it took from its queue and has
// not processed yet; otherwise it waits for one to get there (up to a
// second). A queue at a limit whose worker is stalled (publishing, writing
// a dead letter, waiting for the schema registry) or still full after that
// second, or at twice a limit, gets its partition paused
// (PauseFetchPartitions) until the worker takes it. A pause makes the client
// drop and later refetch what it had fetched for the partition, so a merely
// CPU-bound worker is not paused: at 10000 records and without counting the
// work taken, BenchmarkEndToEnd paused 15–30 times per million events and
// spent about 10% more CPU per JSON event.
// Open windows per partition are bounded by the WindowSet (rotation and
// lateness); segments per window by MaxSegments.
//
// # Invariants and the tests that check them (architecture.md)
//
//  1. No loss: TestEndToEndMultiPartition, TestRebalanceMidWindow,
//     TestCrashAndRestart, TestLostPartitionsReplay, TestSinkOutageBlocksCommits,
//     TestShutdownTimeoutCommitsNothingUnpublished, TestAbortDuringDrain
//     (the merged counts/n equal the valid records; commits never pass an
//     unpublished record). Rule C: TestClosedWindowDoesNotAdvanceCommit,
//     TestCommitsOnlyAtCheckpoints.
//  2. Event time: TestLateAndBoundaries (t == end goes to the next window;
//     windows close by the watermark only).
//  3. Late data: TestLateAndBoundaries (late partial of the same window,
//     counted).
//  4. Determinism: TestReplayDeterminism (byte-identical profiles and sink
//     keys across runs), TestCrashAndRestart (replayed profiles are
//     identical), TestCheckpointsAtDeterministicOffsets,
//     TestCheckpointIntervalOnIdlePartition.
//  5. Idempotent output: keys from sink.Key of the profile identity
//     (SinkProfile); duplicates after a crash overwrite. Object sinks are
//     exactly-once after a crash (journal + Reconcile):
//     TestFileSinkCrashExactlyOnce, TestS3SinkCrashExactlyOnce.
//  6. Poison records: TestPoisonRecordsAndRegistryOutage (counted,
//     dead-lettered, skipped; a registry outage is retried, never skipped).
//  7. Bounded memory: TestSlowPartitionIsPaused, TestSegmentOverflow.
//  8. Partials: flushed, late and checkpoint partials merge downstream
//     (every count test sums partials).
//
// Duplicates: a cooperative rebalance produces none (the revoke publishes
// and commits exactly what it held). After a crash or a lost partition the
// records after the last commit, a full-flush point, are replayed from an
// empty state. A reconciling sink (blob) first deletes what the crashed run
// published from that offset on, so its merged output counts each record
// once. Other sinks (Kafka) get the replayed profiles again: with the same
// flush boundaries they carry the same keys and overwrite; with others (a
// wall-clock checkpoint, a watermark that starts over) both copies remain.
//
// # Exactly-once output (Config.Transactional)
//
// With a TxnConfig the Consumer runs on a kgo.GroupTransactSession with a
// transactional id, read_committed fetches and stable offset fetches
// (always on in franz-go: a member's OffsetFetch waits while another
// member's transaction holding offsets of the group is open). The
// Publisher (TxnConfig.Publisher, built on the session's client, e.g.
// sink.NewKafkaTxn) produces every profile inside the open transaction;
// publishing is not retried there: a failed publish dooms the transaction.
//
// The poll loop ends a transaction at a barrier: it stops handing out
// records, asks every worker to process its queue and publish all its open
// windows as checkpoint partials into the transaction, waits until all did,
// then calls End(TryCommit), which flushes the producer, commits the
// offsets after everything polled (TxnOffsetCommit) and commits the
// transaction: profiles and offsets become visible together, and the
// committed offset of every partition is a full-flush point (no window
// state survives it). Then it begins the next transaction. Barriers come
// every TxnConfig.Interval (default: CheckpointInterval, else 10s; capped at
// Timeout/3) and when a partition's polled records cross a
// CheckpointEveryRecords boundary; a due barrier with nothing polled since
// Begin is skipped (nothing was produced). The barrier must finish within
// 90% of the transaction timeout counted from Begin, else the transaction
// is aborted (reason "barrier").
//
// Abort: every worker is stopped at once (its windows dropped), End
// (TryAbort) aborts the transaction and franz-go rewinds every still
// assigned partition to its committed offset (the first polled offset when
// none was committed); fresh workers then rebuild the state from the
// re-polled records, which are counted once, in the next transaction. A
// transaction aborts when:
//
//   - partitions are revoked or lost (reason "rebalance"): the session
//     aborts any transaction open across a rebalance (franz-go does not
//     block the rebalance for it); our callbacks stop the revoked
//     partitions' workers without publishing and the poll loop aborts at
//     its next iteration; the new owner starts from the committed offsets,
//     after the aborted transaction ended (stable offsets);
//   - a publish failed (reason "produce"), followed by a backoff;
//   - the barrier was not reached in time (reason "barrier"): a stalled
//     sink or schema registry;
//   - End did not commit (reason "not_committed": a rebalance during End
//     on a broker without KIP-447, a failed heartbeat) or failed (reason
//     "end_error": e.g. the broker aborted the transaction after its
//     transaction timeout and bumped the producer epoch, so the offset
//     commit gets PRODUCER_FENCED or INVALID_PRODUCER_EPOCH; the next Begin
//     recovers the producer id). If no transaction can begin afterwards
//     (fenced by a live producer with the same transactional id), Run
//     returns the error.
//
// Shutdown (Run's context) runs a last barrier and End(TryCommit) (bounded
// by ShutdownTimeout for the barrier); Abort and a crash leave the open
// transaction to the broker, which aborts it at the transaction timeout or
// as soon as a producer with the same transactional id starts (a restarted
// member fences its predecessor). Metrics.Transactions counts outcomes by
// reason. Not transactional: dead letters (a replay after an abort sends
// them again) and blob sinks combined with the Kafka sink (at-least-once
// with their own idempotence). ProfilesPublished counts profiles written
// into transactions, including aborted ones.
//
// Tests: TestExactlyOnceCommitsProfilesWithOffsets,
// TestExactlyOnceAbortOnProduceFailure, TestExactlyOnceRebalanceAborts,
// TestExactlyOnceCrashRestart, TestExactlyOnceLostSession,
// TestExactlyOnceBarrierDeadline, TestExactlyOnceBrokerTransactionTimeout,
// TestExactlyOnceFencedCommit (a read_committed reader sums counts/n of
// every visible profile, without deduplication, to exactly the records).
//
// # Backfill
//
// Backfill replays a time range without a group: Plan maps From and To to
// per-partition offsets (ListOffsets by time; no To: the end offsets at
// start-up, so it ends while producers keep writing), Run consumes the
// ranges directly (kgo.ConsumePartitions, nothing committed) into one
// goroutine per partition with the same dsState, the same record-count
// checkpoints and Advance after each batch, and flushes at the end. For a
// range live processing also started with fresh state and flushed at its
// end, the profiles are identical (TestBackfillEqualsLive); it stops at the
// end offsets (TestBackfillStopsAtEndWhileProducing) and maps times to
// offsets (TestBackfillTimeRange). Progress: Progress() and BackfillMetrics.
//
// # Concurrency
//
// Consumer methods are safe for concurrent use. Each worker owns its
// WindowSets and decoders; only the committable offset and the queue are
// shared, under the worker's mutex.
package pipeline
