package event

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// SchemaSource finds the writer schema of an Avro record value.
// Implementations must be safe for concurrent use.
type SchemaSource interface {
	// Resolve returns the writer schema of value and the offset in value
	// where the Avro payload starts. Errors are *Error values of
	// KindMalformed (bad header), KindUnknownSchema or
	// KindRegistryUnavailable (retryable).
	Resolve(ctx context.Context, value []byte) (*AvroSchema, int, error)
}

// FixedSchema is a SchemaSource for values that are bare Avro payloads
// (no header) written with one known schema, e.g. from an .avsc file.
type FixedSchema struct {
	schema *AvroSchema
}

// NewFixedSchema parses and validates the schema text (the content of an
// .avsc file).
func NewFixedSchema(avsc string) (*FixedSchema, error) {
	s, err := ParseAvroSchema(avsc)
	if err != nil {
		return nil, err
	}
	return &FixedSchema{schema: s}, nil
}

// Schema returns the fixed schema.
func (f *FixedSchema) Schema() *AvroSchema { return f.schema }

// Resolve returns the fixed schema and offset 0.
func (f *FixedSchema) Resolve(_ context.Context, _ []byte) (*AvroSchema, int, error) {
	return f.schema, 0, nil
}

// WireHeaderSize is the size of the Confluent wire-format header: magic byte
// 0 and the big-endian uint32 schema id.
const WireHeaderSize = 5

// ParseWireHeader returns the schema id of a Confluent wire-format value.
func ParseWireHeader(value []byte) (uint32, error) {
	if len(value) < WireHeaderSize {
		return 0, &Error{Kind: KindMalformed, Format: "avro", Offset: len(value),
			Msg: "value shorter than the 5-byte Confluent header"}
	}
	if value[0] != 0 {
		return 0, &Error{Kind: KindMalformed, Format: "avro", Offset: 0,
			Msg: "wrong magic byte " + strconv.Itoa(int(value[0])) + ", want 0 (Confluent wire format)"}
	}
	return binary.BigEndian.Uint32(value[1:5]), nil
}

// AppendWireHeader appends the Confluent header for schema id to b.
func AppendWireHeader(b []byte, id uint32) []byte {
	return append(b, 0, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
}

// RegistryStats counts schema lookups of a Registry.
type RegistryStats struct {
	Hits      uint64 // ids served from the cache
	Fetches   uint64 // requests sent to the registry
	Unknown   uint64 // ids the registry does not know (or not usable Avro)
	Failures  uint64 // registry unavailable
	NegHits   uint64 // unknown ids answered from the negative cache
	CachedIDs int
}

// RegistryOptions configures a Registry.
type RegistryOptions struct {
	// NegativeTTL is how long an id the registry reported unknown is
	// answered from memory before asking again (0 → one minute; negative →
	// never cached). It keeps a flood of poison records from hammering the
	// registry.
	NegativeTTL time.Duration
	// Timeout bounds one registry request on top of the caller's context
	// (0 → 10 s).
	Timeout time.Duration
}

// Registry is a SchemaSource for the Confluent wire format backed by a
// schema registry through franz-go's sr client. Schemas are cached forever
// by id (registry ids are immutable). Lookups of cached ids are lock-free.
// Misses are fetched one at a time (a miss waits for a fetch in progress).
//
// Failure mapping: HTTP 404 with the registry error code 40403 (schema not
// found) and schemas that are not usable Avro (another schema type,
// references, goavro rejects it) → KindUnknownSchema (ErrUnknownSchema);
// everything else — transport errors, timeouts, 5xx, 401/403, 429, and a
// 404 without that code (a wrong base URL must not dead-letter every record)
// → KindRegistryUnavailable (ErrRegistryUnavailable): the record is kept
// and decoding must be retried after a backoff.
type Registry struct {
	cl    *sr.Client
	opts  RegistryOptions
	cache atomic.Pointer[map[uint32]*AvroSchema]

	mu   sync.Mutex // serializes fetches and cache updates
	neg  map[uint32]time.Time
	now  func() time.Time
	hits [hitShards]hitCounter // summed by Stats
	// nextShard spreads decoders over the hit counters, so that the
	// partition workers do not bounce one cache line per record.
	nextShard atomic.Uint32
	fetches   atomic.Uint64
	unknown   atomic.Uint64
	fails     atomic.Uint64
	negHits   atomic.Uint64
}

// hitShards is the number of cache-hit counters of a Registry.
const hitShards = 16

// hitCounter is one cache-hit counter on its own cache line.
type hitCounter struct {
	n atomic.Uint64
	_ [56]byte
}

// hitCounter returns the counter for a new decoder.
func (r *Registry) hitCounter() *hitCounter {
	return &r.hits[r.nextShard.Add(1)%hitShards]
}

// NewRegistry returns a Registry using cl.
func NewRegistry(cl *sr.Client, opts RegistryOptions) (*Registry, error) {
	if cl == nil {
		return nil, errInvalidOption("avro", "nil schema registry client")
	}
	if opts.NegativeTTL == 0 {
		opts.NegativeTTL = time.Minute
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	r := &Registry{cl: cl, opts: opts, neg: map[uint32]time.Time{}, now: time.Now}
	m := map[uint32]*AvroSchema{}
	r.cache.Store(&m)
	return r, nil
}

// Stats returns lookup counters.
func (r *Registry) Stats() RegistryStats {
	var hits uint64
	for i := range r.hits {
		hits += r.hits[i].n.Load()
	}
	return RegistryStats{Hits: hits, Fetches: r.fetches.Load(), Unknown: r.unknown.Load(),
		Failures: r.fails.Load(), NegHits: r.negHits.Load(), CachedIDs: len(*r.cache.Load())}
}

// Resolve parses the Confluent header and returns the schema of its id.
func (r *Registry) Resolve(ctx context.Context, value []byte) (*AvroSchema, int, error) {
	id, err := ParseWireHeader(value)
	if err != nil {
		return nil, 0, err
	}
	s, err := r.SchemaByID(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	return s, WireHeaderSize, nil
}

// SchemaByID returns the schema with the given registry id.
func (r *Registry) SchemaByID(ctx context.Context, id uint32) (*AvroSchema, error) {
	return r.schemaByID(ctx, id, &r.hits[0])
}

// schemaByID is SchemaByID counting a cache hit on hits.
func (r *Registry) schemaByID(ctx context.Context, id uint32, hits *hitCounter) (*AvroSchema, error) {
	if s, ok := (*r.cache.Load())[id]; ok {
		hits.n.Add(1)
		return s, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := (*r.cache.Load())[id]; ok { // fetched while we waited
		hits.n.Add(1)
		return s, nil
	}
	if until, ok := r.neg[id]; ok {
		if r.now().Before(until) {
			r.negHits.Add(1)
			return nil, unknownID(id, "registry does not know it (cached)", nil)
		}
		delete(r.neg, id)
	}
	r.fetches.Add(1)
	fctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	sch, err := r.cl.SchemaByID(fctx, int(id))
	cancel()
	if err != nil {
		var re *sr.ResponseError
		// Only the registry's own "schema not found" (HTTP 404 with error
		// code 40403) means unknown: a bare 404 (wrong base URL, proxy)
		// must block and retry, not dead-letter every record.
		if errors.As(err, &re) && re.StatusCode == http.StatusNotFound && re.ErrorCode == sr.ErrSchemaNotFound.Code {
			r.markUnknown(id)
			return nil, unknownID(id, "registry does not know it", err)
		}
		r.fails.Add(1)
		return nil, &Error{Kind: KindRegistryUnavailable, Format: "avro", Offset: -1,
			Msg: "schema id " + strconv.FormatUint(uint64(id), 10) + ": registry request failed", Err: err}
	}
	if sch.Type != sr.TypeAvro {
		r.markUnknown(id)
		return nil, unknownID(id, "schema type "+sch.Type.String()+" is not Avro", nil)
	}
	if len(sch.References) > 0 {
		r.markUnknown(id)
		return nil, unknownID(id, "schema references are not supported", nil)
	}
	s, err := parseAvroSchema(id, sch.Schema)
	if err != nil {
		r.markUnknown(id)
		return nil, err
	}
	old := *r.cache.Load()
	m := make(map[uint32]*AvroSchema, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[id] = s
	r.cache.Store(&m)
	return s, nil
}

func (r *Registry) markUnknown(id uint32) {
	r.unknown.Add(1)
	if r.opts.NegativeTTL > 0 {
		if len(r.neg) >= 4096 {
			clear(r.neg)
		}
		r.neg[id] = r.now().Add(r.opts.NegativeTTL)
	}
}

func unknownID(id uint32, why string, cause error) *Error {
	return &Error{Kind: KindUnknownSchema, Format: "avro", Offset: 1,
		Msg: "schema id " + strconv.FormatUint(uint64(id), 10) + ": " + why, Err: cause}
}
