// Package sink publishes finished, already-encoded profiles (whylogs v1
// files) to where they are kept: object storage through gocloud.dev/blob
// (file://, mem://, s3://, gs://, azblob://), a Kafka topic, or memory. It
// knows nothing about profiles beyond the bytes and the descriptive fields
// in Profile; it imports no profiler package.
//
// # Contract
//
// Every Sink implements Publish(ctx, []Profile) error, Close() error and
// Name() string. Publish returns nil only when every profile of the batch is
// confirmed (below); otherwise it returns an error and the caller must not
// advance its committed offsets past the records of the batch. A batch is not
// atomic: on error some profiles may be stored. Retrying is always safe
// because writes are idempotent by Key: a second write of the same key
// replaces the first (objects) or appends a record with the same key (Kafka,
// deduplicated by compaction or by readers keeping the latest record per
// key). Errors name the sink and the key (KeyError; FailedKeys lists them);
// a cancelled ctx makes Publish return promptly with an error wrapping
// ctx.Err(), never success. An empty batch is a no-op. Close is idempotent,
// and Publish after Close fails with ErrClosed.
//
// # What "confirmed" means per backend
//
//   - Blob (any driver): the gocloud Writer's Close returned nil. Objects
//     become visible atomically at that moment: S3 (PutObject or a completed
//     multipart upload), GCS and Azure commit the object on Close, and a
//     write aborted by cancelling the writer's context leaves nothing.
//     fileblob writes a temporary file (in os.TempDir, or next to the target
//     with ?no_tmp_dir=true, named "<key>.<hex>.tmp", never ending in ".bin")
//     and renames it into place on Close, so a reader sees either no object
//     or the complete one; a crash can leave only a stray temporary file.
//     With FileRoot set (OpenBlob sets it for file:// URLs) the data is
//     fsynced before the rename and the directories after, so a confirmed
//     object survives power loss; the ".attrs" metadata sidecar is not
//     fsynced. Each object carries an MD5 that the store verifies.
//   - Kafka: the broker acknowledged the record with acks=all on an
//     idempotent producer (written to every in-sync replica; retries inside
//     the client do not duplicate).
//   - Memory: the profile is in the map.
//   - Multi: every wrapped sink confirmed.
//
// For blobs "confirmed" includes the batch's journal entries (written
// first, see below).
//
// # Keys and idempotency
//
// Key builds a deterministic, path-safe key from the profile's identity
// (dataset, window start, segment, source topic/partition, first offset and
// an optional sequence): no clock, randomness or map order enters it, so a
// replay after a crash rewrites the same keys. Segment values are
// percent-escaped (Escape) so any string is safe in a path element.
//
// Duplicate bound for Kafka: each Publish attempt whose records reached the
// broker can append one record per key (an attempt that ended with an error
// or a ctx end may still have written some); all copies of a key carry the
// same key and, for the same identity and input, the same value. Readers
// keep the last record per key, and a compacted topic keeps one.
//
// # Journal and Reconcile (blob)
//
// Before the objects of a Publish batch, Blob writes one journal object per
// source partition of the batch under
// <prefix>_kprofiler/journal/<topic>/<partition>/<first>-<last>-<hash>.json
// (first and last offsets zero-padded to 20 digits, hash the start of the
// SHA-256 of the batch's object keys, so a replayed batch overwrites its
// entry); it lists each object key with its offsets. A profile is written
// only after its entry was. Blob.Reconcile(topic, partition, resume), called
// by the pipeline before a partition's first record (resume = its offset,
// a full-flush point), deletes every listed object holding a record >=
// resume (a missing object is fine), then the entry, and removes entries
// wholly below resume. Prune(committed) removes entries wholly below the
// committed offset (the pipeline calls it at checkpoints). Multi, Retrying
// and Instrumented forward Reconcile and Prune (the Reconciler and Pruner
// interfaces). Together with the pipeline's commit rule this
// makes blob output exactly-once per record after any crash. Journal objects
// end in ".json"; profile readers look at ".bin" only.
//
// # Retries and metrics
//
// Blob retries each object write a few times on transient errors. Retry is a
// decorator that retries failed publishes with bounded exponential backoff
// until ctx ends (the pipeline's outage behaviour: commits wait, nothing is
// lost). Jitter uses math/rand: it affects only timing, never output.
// Instrument reports each publish to a Metrics hook; the pipeline adapts it
// to Prometheus. DeadLetter writes undecodable source records to a topic
// with headers naming the error and the source position.
//
// The conformance suite every sink passes is in package sinktest.
package sink
