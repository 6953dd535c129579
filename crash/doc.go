// Package crash is the crash suite of issue 6: it proves kprofiler's delivery
// guarantees by killing the real `consumer run` process.
//
// The harness (this package's non-test files) builds cmd/consumer once,
// produces order events with a known share of malformed records to a
// 6-partition topic, runs `consumer run` as child processes and SIGKILLs
// them at moments chosen by a seeded random generator:
//
//   - consume: while records are being consumed (a random delay after new
//     records were produced);
//   - write: while a profile is being written (file sink: a fileblob temporary
//     file exists in the child's TMPDIR; S3 sink: the fake S3 holds a PUT of
//     the child's until the kill; Kafka sink: an uncommitted profile record
//     appeared on the output topic);
//   - between: after the child logged "profiles published" and before its
//     next commit;
//   - rebalance: a second consumer process joins the group and the first one
//     is killed as soon as its revoke callback started (its
//     rebalances_total{event="revoked"} metric moved).
//
// After every kill (file and S3 sinks) the harness checks that no
// partition's committed offset covers a valid record the sink does not
// hold, then the victim restarts. At the end the consumers catch up
// (the group's committed offsets equal the end offsets), stop with SIGTERM,
// and every published profile is read back and merged per dataset with the
// project's own merge (profiler.DatasetProfile.Merge): counts/n of every
// column of the merged full-dataset profile must equal the number of valid
// events exactly, and so must every segment's. Any duplicate (a profile
// replayed after a crash next to its first copy) or any loss fails the run.
//
// The tests carry the build tag "crash" so that `go test ./...` does not run
// them: `make crash` or `bash crash/run.sh`. They start `consumer devbroker`
// (kfake) as a separate process on 127.0.0.1; the e2e suite reuses the same
// harness against a real Apache Kafka broker (e2e/crash_test.go).
//
// The seed fixes the events, the order of the kill kinds and the random
// delays; the exact moments also depend on timing (what the child has done
// when a trigger fires), so a seed repeats a run closely, not bit for bit.
//
// Variants: TestCrashFileSink (file:// bucket), TestCrashS3Sink (gofakes3
// served by the test process on 127.0.0.1, s3:// URL with endpoint and path
// style, dummy credentials), TestCrashKafkaExactlyOnce (kafka sink with
// exactly_once, read back with read_committed; skipped, saying so, when the
// consumer rejects the configuration), TestCrashS3SinkLateWrite (every kill
// interrupts an S3 PUT, which the fake completes only after the restarted
// consumer was assigned its partitions: a dead writer's object landing late
// must not be counted twice). Each takes about 1.5 minutes on two
// cores for 500,000 events and 10 kills (every kill costs the group's 6 s
// session timeout), plus the build of the binary.
//
// Environment: CRASH_SEED (the random seed; printed by every run),
// CRASH_EVENTS (default 500000), CRASH_KILLS (default 10), CRASH_DIR (keep
// configs and consumer logs there instead of a temporary directory),
// CRASH_CONSUMER_BIN (use this consumer binary instead of building one).
// Children get a parent-death signal (Linux), so none outlives a killed run.
package crash
