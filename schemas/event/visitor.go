package event

// Visitor receives the typed column updates of one record, in the order the
// fields appear in the record. Implementations are called synchronously from
// Decode on the decoding goroutine.
//
// Column names are dotted paths ("user.address.city", with the configured
// separator). The decoder interns them: the same path yields the same string
// value (no allocation per field per record) until the decoder's name cache
// is full (see NameCacheSize); callers may keep the strings.
//
// Byte slices passed to String are valid only during the call: they alias
// the input or a scratch buffer that the decoder reuses. Copy what you keep.
type Visitor interface {
	// Null reports an explicit null (JSON null, Avro null or a null union branch).
	Null(col string)
	// Bool reports a boolean.
	Bool(col string, v bool)
	// Int reports an integral number: a JSON number without '.', 'e' or 'E'
	// that fits in int64, or an Avro int/long (including the logical types
	// date, time-*, timestamp-*, local-timestamp-*, reported raw).
	Int(col string, v int64)
	// Float reports a non-integral number: a JSON number with a fraction or
	// an exponent, a JSON integer outside the int64 range, an Avro
	// float/double, or an Avro decimal converted to the nearest float64.
	Float(col string, v float64)
	// String reports a string (JSON string, Avro string, enum symbol).
	// v is valid only during the call.
	String(col string, v []byte)
	// Object reports a value that is neither null, bool, number nor string:
	// a JSON array (unless arrays are ignored), an Avro array, map, bytes or
	// fixed, or a nested record the decoder does not flatten (recursion).
	Object(col string)
}

// TimeKind says which field of a RawTime holds the value.
type TimeKind uint8

const (
	TimeNone   TimeKind = iota // the field was absent or null
	TimeString                 // RawTime.Str
	TimeInt                    // RawTime.Int
	TimeFloat                  // RawTime.Float
)

// TimeUnit is a unit hint from the schema (Avro logical types); JSON values
// carry UnitNone.
type TimeUnit uint8

const (
	UnitNone   TimeUnit = iota
	UnitMillis          // Avro timestamp-millis, local-timestamp-millis
	UnitMicros          // Avro timestamp-micros, local-timestamp-micros
	UnitNanos           // Avro timestamp-nanos, local-timestamp-nanos
	UnitDays            // Avro date
)

// RawTime is the raw value of the configured event-time field of one record,
// as returned by Decode. Str aliases a decoder buffer and is valid until the
// next call to Decode on the same decoder; when Decode filled a *Record, it
// may alias the Record's arena instead and is then valid until the Record is
// reset and written again. Parse it with ParseEventTime right after Decode.
type RawTime struct {
	Field string // the configured field name (for error messages)
	Kind  TimeKind
	Unit  TimeUnit
	Str   []byte
	Int   int64
	Float float64
}

// Found reports whether the record had a non-null event-time value.
func (r RawTime) Found() bool { return r.Kind != TimeNone }

// NameCacheSize bounds the number of distinct column names a decoder interns.
// Beyond it, names of new paths are allocated per occurrence (correct but
// slower); this protects memory against records with random keys.
const NameCacheSize = 4096

// names interns column names keyed by their byte path. Records of one
// stream mostly have the same fields in the same order, so the name used for
// the k-th reported field of the previous record is tried first (a byte
// compare instead of a hash lookup).
type names struct {
	m   map[string]string
	seq []string
}

// maxSeq bounds the per-position cache.
const maxSeq = 1024

// at returns the interned name for path b reported as the k-th field of a
// record.
func (n *names) at(k int, b []byte) string {
	if k < len(n.seq) && n.seq[k] == string(b) {
		return n.seq[k]
	}
	s := n.intern(b)
	switch {
	case k < len(n.seq):
		n.seq[k] = s
	case k == len(n.seq) && k < maxSeq:
		n.seq = append(n.seq, s)
	}
	return s
}

func (n *names) intern(b []byte) string {
	if s, ok := n.m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	if n.m == nil {
		n.m = make(map[string]string)
	}
	if len(n.m) < NameCacheSize {
		n.m[s] = s
	}
	return s
}
