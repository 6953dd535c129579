package event

import (
	"context"
	"encoding/binary"
	"math"
	"math/big"
	"unicode/utf8"
)

// TopLevelColumn is the column name used when the writer schema's top-level
// value is not a record (for example a bare "string" schema, or the null
// branch of a top-level union).
const TopLevelColumn = "value"

// AvroOptions configures an AvroDecoder; the fields mean what they mean in
// JSONOptions (Nesting applies to nested records; Include/Exclude and
// EventTimeField use the flattened column names).
type AvroOptions struct {
	Separator      string
	Nesting        Nesting
	Include        []string
	Exclude        []string
	EventTimeField string
	InvalidUTF8    UTF8Mode
	MaxDepth       int
}

type aop uint8

const (
	opNull aop = iota + 1
	opBool
	opInt
	opLong
	opFloat
	opDouble
	opString
	opBytes // also fixed and bytes/fixed of unknown logical type: Object
	opFixed
	opEnum
	opDecimalBytes
	opDecimalFixed
	opArray
	opMap
	opUnion
	opRecord
)

// anode is one node of a compiled walker program. Emitting nodes carry the
// interned column name; skip nodes (inside arrays and maps, for recursive
// types, for excluded subtrees) have emit == false and may be shared and
// cyclic.
type anode struct {
	op       aop
	emit     bool
	time     bool
	quiet    bool // nothing in this subtree is reported or is the event time
	unit     TimeUnit
	col      string
	size     int // fixed size
	scale    int
	fields   []*anode
	branches []*anode
	elem     *anode
	symbols  [][]byte
	// constSize is the encoded size of every value of this type when it
	// is constant (null 0, boolean 1, float 4, double 8, fixed n, records
	// of such), else -1.
	constSize int
}

// AvroDecoder decodes Avro binary records straight into Visitor calls with a
// walker compiled from the writer schema (one program per schema and
// decoder, cached). It is not safe for concurrent use; the SchemaSource may
// be shared.
//
// Reporting: null → Null; boolean → Bool; int and long (and their logical
// types date, time-millis/-micros, timestamp-*, local-timestamp-*, reported
// raw) → Int; float and double → Float; string (including uuid) and enum
// symbols → String; decimal (bytes or fixed) → Float, the nearest float64 of
// unscaled·10^-scale (whylogs routes Python Decimal to floats); other bytes
// and fixed → Object (whylogs counts Python bytes as objects); arrays and
// maps → Object (their bytes are skipped, validated as far as the schema
// requires); records → flattened into their fields with Separator (or
// skipped with NestIgnore); unions → the chosen branch's value under the
// field's name (a null branch → Null); a record reached again inside itself
// (recursive schema) → Object. The fields of a top-level record (or of the
// chosen record branch of a top-level union, for topics carrying several
// event types) are top-level columns; any other top-level value is reported
// as TopLevelColumn. Invalid UTF-8 in strings follows InvalidUTF8 as for JSON.
// Bytes left over after the record are an error.
type AvroDecoder struct {
	src       SchemaSource
	sep       string
	nesting   Nesting
	utf8Err   bool
	maxDepth  int
	include   map[string]struct{}
	incPrefix map[string]struct{}
	exclude   map[string]struct{}
	timeField string

	// reg is src when it is a *Registry: the decoder parses the header
	// itself and remembers the schema of the last id (registry ids are
	// immutable and a Registry never forgets one), counting its hits on
	// its own counter.
	reg     *Registry
	regHits *hitCounter
	lastID  uint32
	lastIDS *AvroSchema

	progs      map[*AvroSchema]*program
	lastSchema *AvroSchema
	lastProg   *program

	data    []byte
	v       Visitor
	rec     *Record // v when it is a *Record: called directly
	scratch []byte
	timeBuf []byte
	raw     RawTime
	depth   int
}

// NewAvroDecoder returns a decoder reading schemas from src.
func NewAvroDecoder(src SchemaSource, opts AvroOptions) (*AvroDecoder, error) {
	if src == nil {
		return nil, errInvalidOption("avro", "nil SchemaSource")
	}
	d := &AvroDecoder{
		src: src, sep: opts.Separator, nesting: opts.Nesting,
		utf8Err: opts.InvalidUTF8 == UTF8Error, maxDepth: opts.MaxDepth,
		timeField: opts.EventTimeField, progs: map[*AvroSchema]*program{},
	}
	if d.sep == "" {
		d.sep = "."
	}
	if opts.Nesting > NestIgnore || opts.InvalidUTF8 > UTF8Error {
		return nil, errInvalidOption("avro", "nesting or utf8 mode out of range")
	}
	if d.maxDepth == 0 {
		d.maxDepth = DefaultMaxDepth
	}
	if d.maxDepth < 1 || d.maxDepth > 10000 {
		return nil, errInvalidOption("avro", "MaxDepth must be in [1, 10000]")
	}
	if r, ok := src.(*Registry); ok {
		d.reg, d.regHits = r, r.hitCounter()
	}
	var err error
	d.include, d.incPrefix, d.exclude, err = buildFilter(opts.Include, opts.Exclude, d.sep)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// maxPrograms bounds the per-decoder program cache.
const maxPrograms = 256

func (d *AvroDecoder) program(s *AvroSchema) (*program, error) {
	if s == d.lastSchema {
		return d.lastProg, nil
	}
	return d.compile(s)
}

// compile returns the cached or newly compiled program of s.
func (d *AvroDecoder) compile(s *AvroSchema) (*program, error) {
	p, ok := d.progs[s]
	if !ok {
		c := compiler{d: d, skips: map[*avroType]*anode{}, active: map[*avroType]bool{}}
		n, err := c.root(s.root)
		if err != nil {
			return nil, &Error{Kind: KindUnknownSchema, Format: "avro", Offset: -1, Msg: "schema id " + itoa(int(s.id)) + ": " + err.Error()}
		}
		p = flatten(n, d.maxDepth)
		if len(d.progs) >= maxPrograms {
			clear(d.progs)
		}
		d.progs[s] = p
	}
	d.lastSchema, d.lastProg = s, p
	return p, nil
}

// Decode resolves the writer schema of value through the SchemaSource and
// walks the payload, calling v for every reported column. It returns the
// raw event-time value. Errors: KindMalformed (bad header, truncated or
// garbage payload; offsets count from the start of value), KindUnknownSchema
// and KindRegistryUnavailable (from the SchemaSource; retry those later).
func (d *AvroDecoder) Decode(ctx context.Context, value []byte, v Visitor) (RawTime, error) {
	var s *AvroSchema
	var off int
	var err error
	if d.reg != nil {
		s, err = d.registrySchema(ctx, value)
		off = WireHeaderSize
	} else {
		s, off, err = d.src.Resolve(ctx, value)
	}
	if err != nil {
		return RawTime{}, err
	}
	p, err := d.program(s)
	if err != nil {
		return RawTime{}, err
	}
	d.data, d.v = value, v
	d.rec, _ = v.(*Record)
	d.raw = RawTime{Field: d.timeField}
	d.depth = 0
	var i int
	var e *Error
	if d.rec != nil {
		i, e = d.runRecord(p, off)
	} else {
		i, e = d.run(p, off)
	}
	d.data, d.v, d.rec = nil, nil, nil
	if e != nil {
		return RawTime{}, e
	}
	if i != len(value) {
		return RawTime{}, d.err(i, itoa(len(value)-i)+" trailing bytes after the record")
	}
	return d.raw, nil
}

// registrySchema is Registry.Resolve with the decoder's last-id cache.
func (d *AvroDecoder) registrySchema(ctx context.Context, value []byte) (*AvroSchema, error) {
	if len(value) < WireHeaderSize || value[0] != 0 {
		_, err := ParseWireHeader(value)
		return nil, err
	}
	id := binary.BigEndian.Uint32(value[1:WireHeaderSize])
	if id == d.lastID && d.lastIDS != nil {
		d.regHits.n.Add(1)
		return d.lastIDS, nil
	}
	s, err := d.reg.schemaByID(ctx, id, d.regHits)
	if err != nil {
		return nil, err
	}
	d.lastID, d.lastIDS = id, s
	return s, nil
}

func (d *AvroDecoder) err(off int, msg string) *Error {
	return &Error{Kind: KindMalformed, Format: "avro", Offset: off, Msg: msg}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// long reads a zig-zag varint (at most 10 bytes).
func (d *AvroDecoder) long(i int) (int64, int, *Error) {
	data := d.data
	if u, n := uvarint8(data, i); n > 0 {
		return int64(u>>1) ^ -int64(u&1), i + n, nil
	}
	if i >= 0 && len(data)-i >= 10 {
		// Enough input for the longest varint: no truncation checks.
		b := (*[10]byte)(data[i:])
		var u uint64
		for k := range 10 {
			c := b[k]
			u |= uint64(c&0x7f) << (7 * k)
			if c < 0x80 {
				return int64(u>>1) ^ -int64(u&1), i + k + 1, nil
			}
		}
		return 0, i + 10, d.err(i, "varint longer than 10 bytes")
	}
	var u uint64
	var shift uint
	for k := 0; k < 10; k++ {
		if i >= len(data) {
			return 0, i, d.err(i, "truncated varint")
		}
		b := data[i]
		i++
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(u>>1) ^ -int64(u&1), i, nil
		}
		shift += 7
	}
	return 0, i, d.err(i-10, "varint longer than 10 bytes")
}

// length reads a byte length and checks it against the remaining input.
func (d *AvroDecoder) length(i int) (int, int, *Error) {
	n, j, err := d.long(i)
	if err != nil {
		return 0, j, err
	}
	if n < 0 {
		return 0, i, d.err(i, "negative length")
	}
	if n > int64(len(d.data)-j) {
		return 0, i, d.err(i, "length "+itoa(int(min(n, math.MaxInt32)))+" exceeds the remaining "+itoa(len(d.data)-j)+" bytes")
	}
	return int(n), j, nil
}

func (d *AvroDecoder) walk(n *anode, i int) (int, *Error) {
	data := d.data
	switch n.op {
	case opNull:
		if n.time {
			d.raw.Kind = TimeNone
		}
		if n.emit {
			d.v.Null(n.col)
		}
		return i, nil
	case opBool:
		if i >= len(data) {
			return i, d.err(i, "truncated boolean")
		}
		b := data[i]
		if b > 1 {
			return i, d.err(i, "boolean byte is not 0 or 1")
		}
		if n.emit {
			d.v.Bool(n.col, b == 1)
		}
		return i + 1, nil
	case opInt, opLong:
		v, j, err := d.long(i)
		if err != nil {
			return j, err
		}
		if n.op == opInt && (v < math.MinInt32 || v > math.MaxInt32) {
			return i, d.err(i, "int out of 32-bit range")
		}
		if n.time {
			d.raw.Kind, d.raw.Int, d.raw.Unit = TimeInt, v, n.unit
		}
		if n.emit {
			d.v.Int(n.col, v)
		}
		return j, nil
	case opFloat:
		if len(data)-i < 4 {
			return i, d.err(i, "truncated float")
		}
		f := float64(math.Float32frombits(binary.LittleEndian.Uint32(data[i:])))
		if n.time {
			d.raw.Kind, d.raw.Float, d.raw.Unit = TimeFloat, f, n.unit
		}
		if n.emit {
			d.v.Float(n.col, f)
		}
		return i + 4, nil
	case opDouble:
		if len(data)-i < 8 {
			return i, d.err(i, "truncated double")
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(data[i:]))
		if n.time {
			d.raw.Kind, d.raw.Float, d.raw.Unit = TimeFloat, f, n.unit
		}
		if n.emit {
			d.v.Float(n.col, f)
		}
		return i + 8, nil
	case opString:
		l, j, err := d.length(i)
		if err != nil {
			return j, err
		}
		s := data[j : j+l]
		if n.emit || n.time {
			if !utf8.Valid(s) {
				if d.utf8Err {
					return j, d.err(j, "invalid UTF-8 in string")
				}
				d.scratch = appendReplacingInvalid(d.scratch[:0], s)
				s = d.scratch
			}
			if n.time {
				d.timeBuf = append(d.timeBuf[:0], s...)
				d.raw.Kind, d.raw.Str, d.raw.Unit = TimeString, d.timeBuf, UnitNone
			}
			if n.emit {
				d.v.String(n.col, s)
			}
		}
		return j + l, nil
	case opBytes:
		l, j, err := d.length(i)
		if err != nil {
			return j, err
		}
		if n.emit {
			d.v.Object(n.col)
		}
		return j + l, nil
	case opFixed:
		if len(data)-i < n.size {
			return i, d.err(i, "truncated fixed")
		}
		if n.emit {
			d.v.Object(n.col)
		}
		return i + n.size, nil
	case opEnum:
		k, j, err := d.long(i)
		if err != nil {
			return j, err
		}
		if k < 0 || k >= int64(len(n.symbols)) {
			return i, d.err(i, "enum index out of range")
		}
		if n.emit {
			d.v.String(n.col, n.symbols[k])
		}
		return j, nil
	case opDecimalBytes, opDecimalFixed:
		var b []byte
		j := i
		if n.op == opDecimalBytes {
			l, k, err := d.length(i)
			if err != nil {
				return k, err
			}
			b, j = data[k:k+l], k+l
		} else {
			if len(data)-i < n.size {
				return i, d.err(i, "truncated fixed")
			}
			b, j = data[i:i+n.size], i+n.size
		}
		if n.emit {
			d.v.Float(n.col, decimalFloat(b, n.scale))
		}
		return j, nil
	case opArray, opMap:
		j, err := d.skipBlocks(n, i)
		if err != nil {
			return j, err
		}
		if n.emit {
			d.v.Object(n.col)
		}
		return j, nil
	case opUnion:
		k, j, err := d.long(i)
		if err != nil {
			return j, err
		}
		if k < 0 || k >= int64(len(n.branches)) {
			return i, d.err(i, "union branch index out of range")
		}
		return d.walk(n.branches[k], j)
	case opRecord:
		d.depth++
		if d.depth > d.maxDepth {
			return i, d.err(i, "nesting deeper than MaxDepth")
		}
		if n.quiet && n.constSize >= 0 {
			// A skipped record of constant size.
			if len(data)-i < n.constSize {
				return i, d.err(i, "truncated record")
			}
			d.depth--
			return i + n.constSize, nil
		}
		for _, f := range n.fields {
			var err *Error
			if i, err = d.walk(f, i); err != nil {
				return i, err
			}
		}
		d.depth--
		if n.emit { // only a recursion placeholder emits: an object
			d.v.Object(n.col)
		}
		return i, nil
	}
	return i, d.err(i, "internal: bad program")
}

// skipBlocks skips the blocks of an array or map.
func (d *AvroDecoder) skipBlocks(n *anode, i int) (int, *Error) {
	d.depth++
	if d.depth > d.maxDepth {
		return i, d.err(i, "nesting deeper than MaxDepth")
	}
	data := d.data
	elem := n.elem
	for {
		start := i
		count, j, err := d.long(i)
		if err != nil {
			return j, err
		}
		i = j
		if count == 0 {
			d.depth--
			return i, nil
		}
		if count < 0 {
			if count == math.MinInt64 {
				return start, d.err(start, "block count out of range")
			}
			count = -count
			size, j, err := d.long(i)
			if err != nil {
				return j, err
			}
			if size < 0 || size > int64(len(data)-j) {
				return i, d.err(i, "block size out of range")
			}
			// The size lets us skip without looking at the items.
			i = j + int(size)
			continue
		}
		if n.op == opArray && elem.constSize >= 0 {
			if elem.constSize == 0 {
				continue
			}
			if count > int64(len(data)-i)/int64(elem.constSize) {
				return start, d.err(start, "block count exceeds the remaining bytes")
			}
			i += int(count) * elem.constSize
			continue
		}
		// Every item takes at least one byte.
		if count > int64(len(data)-i) {
			return start, d.err(start, "block count exceeds the remaining bytes")
		}
		for ; count > 0; count-- {
			if n.op == opMap {
				l, j, err := d.length(i)
				if err != nil {
					return j, err
				}
				i = j + l
			}
			if i, err = d.walk(elem, i); err != nil {
				return i, err
			}
		}
	}
}

func appendReplacingInvalid(dst, s []byte) []byte {
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[:size]...)
		}
		s = s[size:]
	}
	return dst
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimalFloat returns the float64 nearest to the two's-complement big-endian
// unscaled value b times 10^-scale.
func decimalFloat(b []byte, scale int) float64 {
	if len(b) == 0 {
		return 0
	}
	if len(b) <= 8 {
		u := uint64(0)
		if b[0]&0x80 != 0 {
			u = math.MaxUint64
		}
		for _, c := range b {
			u = u<<8 | uint64(c)
		}
		v := int64(u)
		if v > -(1<<53) && v < 1<<53 && scale < len(pow10) {
			// Both operands exact: one correctly rounded division.
			return float64(v) / pow10[scale]
		}
	}
	num := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		num.Sub(num, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	f, _ := new(big.Rat).SetFrac(num, den).Float64()
	return f
}
