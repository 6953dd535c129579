// Package event decodes Kafka record values (JSON objects, Avro in the
// Confluent wire format with a schema registry, Avro with a fixed schema)
// straight into typed column updates, without building map[string]any.
//
// # Data flow
//
// A decoder walks one record and calls a Visitor (implemented by the
// profiler side, or the buffering Record) once per reported column:
//
//	dec, _ := event.NewJSONDecoder(event.JSONOptions{EventTimeField: "ts"})
//	raw, err := dec.Decode(value, visitor)       // visitor.Int("ts", …), visitor.String("country", …)…
//	t, err := event.ParseEventTime(raw, event.TimeAuto)
//
//	src, _ := event.NewRegistry(srClient, event.RegistryOptions{})   // or event.NewFixedSchema(avsc)
//	adec, _ := event.NewAvroDecoder(src, event.AvroOptions{EventTimeField: "ts"})
//	raw, err = adec.Decode(ctx, value, visitor)
//
// Column names are the flattened paths of nested fields joined with the
// separator (default "."): {"user":{"address":{"city":"X"}}} → "user.address.city".
// Names are interned per decoder (NameCacheSize): the same path gives the
// same string without allocating. Byte slices given to Visitor.String are
// valid only during the call.
//
// # Value routing (whylogs §2.4 semantics)
//
//   - JSON: integers (no '.', 'e', 'E', within int64) → Int; other numbers
//     (including integers beyond int64, e.g. uint64 values above MaxInt64,
//     which whylogs' int64 arrays cannot hold) → Float with
//     strconv.ParseFloat semantics; strings → String; true/false → Bool;
//     null → Null; arrays → Object (or ignored); nested objects → flattened
//     (or ignored). An empty nested object reports nothing.
//   - Avro: see AvroDecoder. Unions are unwrapped; a null branch is Null under
//     the field's name (for a nullable nested record: one Null for the record's
//     name, no Nulls for its fields). Decimals become Float; bytes/fixed,
//     arrays and maps are Objects; enums are Strings; timestamp-*/date
//     logical types are reported raw as Int (and carry their unit to the
//     event-time parser).
//   - Invalid UTF-8 in strings is replaced byte by byte with U+FFFD by default
//     (like encoding/json; the record is still profiled) or rejected with
//     UTF8Error. Lone UTF-16 surrogates in \u escapes always become U+FFFD.
//   - Include/Exclude: exact full column names; a name also covers all
//     columns nested under it; Exclude wins. Event-time extraction ignores
//     the filter.
//
// # Event time
//
// EventTimeField names one column. Decode returns its raw value (RawTime:
// string, int or float, with the Avro logical-type unit when there is one);
// ParseEventTime turns it into a time.Time with a TimeFormat (auto, rfc3339,
// epoch_s, epoch_ms, epoch_us, epoch_ns). Errors name the field and value.
//
// # Errors
//
// Every decoding failure is an *Error carrying a Kind, and wraps one
// sentinel (constructors with invalid options return ErrInvalidOption):
//
//   - ErrMalformed (KindMalformed): the record is bad — not a JSON object,
//     truncated, bad escape, trailing data, wrong magic byte, Avro varint or
//     length out of range, bytes left after the Avro record… Offset is the
//     byte offset in the value. Count it, dead-letter it, commit past it.
//   - ErrUnknownSchema (KindUnknownSchema): the registry does not know the
//     schema id (HTTP 404 with error code 40403) or the schema is not usable
//     Avro. Not retryable: dead-letter. Unknown ids are remembered for
//     RegistryOptions.NegativeTTL.
//   - ErrRegistryUnavailable (KindRegistryUnavailable): the registry could not
//     answer (network, timeout, 5xx, auth). Retryable: back off, retry the same
//     record, and do not commit past it (architecture invariant 6).
//
// Use KindOf(err) or IsRetryable(err). Decoders never panic; on error some
// columns of the failed record may already have been reported, so callers
// that must not profile partial records decode into a Record and replay it
// only on success.
//
// # Performance and concurrency
//
// Decoders are not safe for concurrent use: keep one per partition worker.
// Registry and FixedSchema are safe for concurrent use and meant to be shared.
// Steady-state decoding allocates nothing (see the benchmarks in
// bench_test.go and avro_bench_test.go; on the shared 2-core AMD EPYC dev
// machine, 2026-11-26, a 12-field JSON event took ≈ 0.36 µs CPU and 0 allocs
// against ≈ 6.7 µs and 52 allocs for encoding/json into map[string]any, and
// the 12-field Avro event ≈ 0.10 µs and 0 allocs against ≈ 1.9 µs and 28
// allocs for goavro NativeFromBinary). Lengths read from Avro input are
// checked against the remaining bytes before use; nothing is allocated from
// an untrusted length.
//
// JSON fast paths: a per-position key cache (json_keys.go), one-pass number
// conversion with an exact float path (json_number.go) and the RFC 3339 fast
// path (eventtime_rfc3339.go) are caches or exact shortcuts: each is tested
// against the plain path it shortcuts and never changes a reported value.
// When the Visitor is a *Record (and there is no Include/Exclude filter),
// the members of the top-level object whose key and colon match the key
// cache's pattern for that position are decoded by a dedicated loop
// (json_record.go) that appends to the Record directly: no Visitor calls,
// strings without escapes become spans of one arena copy of the input
// instead of one copy each, and it hands the rest of the object to the
// general loop, before reporting anything for it, at the first member it
// does not handle (TestJSONRecordFastPath and FuzzJSONRecordFastPath
// compare it with the uncached decoder). The 12-field event then takes
// ≈ 0.22 µs CPU into a Record (≈ 0.36 µs before).
//
// Avro walker: the schema is compiled once per decoder into a node tree
// (avrocompile.go), which is flattened into a linear program (avro_prog.go):
// nested records are inlined with their nesting depth known in advance,
// optional [null, x] fields are one instruction, unions are jumps; arrays,
// maps, recursive records and skipped records of variable size fall back to
// the tree walker, which remains the reference: TestAvroFlatMatchesTree and
// FuzzAvroFlat require identical calls, event time, errors and error offsets
// from both. When the Visitor is a *Record, Decode runs a generated copy of
// the flat walker that appends to the Record directly (avro_prog_record.go,
// kept in sync by TestRunRecordGenerated). A decoder reading from a Registry
// parses the wire header itself and remembers the schema of the last id
// (registry ids are immutable and a Registry never forgets a schema); its
// cache hits still count in RegistryStats.Hits.
//
// Record keeps its updates in pointer-free slots (no GC write barrier per
// update, nothing for the GC to scan) and its column names in a table by
// position that survives Reset: a name equal (same string) to the one the
// previous record had at that position is not stored again (the JSON
// Record loop stores it unconditionally: cheaper while the GC is idle). A
// Record filled by the JSON decoder may hold a copy of the whole input in
// its arena (until Reset). Callers that
// replay records in a hot loop may read the updates with Len, KindAt, ColAt
// and BoolAt/IntAt/FloatAt/BytesAt instead of Replay, avoiding one Visitor
// interface call per column.
//
// # Limitations
//
//   - Registry schemas with references, and PROTOBUF/JSON schema types, are
//     reported as KindUnknownSchema.
//   - Records are walked with their writer schema (no reader-schema
//     resolution is needed to profile what was written).
//   - JSON duplicate keys are reported once per occurrence; the Visitor has no
//     Uint method (see Float).
//   - goavro is used to validate schemas and as the reference decoder in
//     tests only; its default block limits let a 5-byte count preallocate
//     gigabytes, which is one reason it is not on the decoding path.
//
// # Example schemas
//
// examples/order.avsc (OrderSchema) is the e-commerce order event with
// nested, nullable, array and map fields; examples/order_flat.avsc
// (OrderFlatSchema) is its 12-field flat variant used by benchmarks.
package event
