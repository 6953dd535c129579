// Package sinktest is the conformance suite every sink.Sink passes, in the
// manner of testing/fstest: a backend's test supplies a Factory that builds a
// fresh sink plus a way to read the backend back, and Run checks the
// contract of package sink against it:
//
//   - RoundTrip: published bytes, content type and descriptive fields
//     (metadata or headers, decoded with sink.ParseFields) read back equal;
//   - RepublishIsIdempotent: publishing the same batch three times leaves one
//     object per key (stores that overwrite) or 1..3 records per key, all
//     with the same key and bytes (Kafka: the duplicate bound);
//   - LatestWriteWins: a republished key with new bytes reads back as the
//     new bytes;
//   - EmptyBatchIsNoOp, CancelledContext (an error wrapping
//     context.Canceled and nothing stored), StalledBackendHonoursContext
//     (Publish returns promptly with a context error while the backend
//     hangs), BackendErrorsSurface (an error naming the sink and the failed
//     key, listed by sink.FailedKeys), InvalidProfileRejected,
//     ConcurrentPublish and CloseIsIdempotent (then ErrClosed).
//
// The package imports testing and is meant for tests only.
package sinktest
