package event

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"unicode/utf8"
)

// Nesting says what a decoder does with nested JSON objects and Avro records.
type Nesting uint8

const (
	// NestFlatten reports the fields of nested objects under dotted names
	// ("user" + "." + "id" → "user.id").
	NestFlatten Nesting = iota
	// NestIgnore skips nested objects (their fields are not reported; the
	// object itself is not reported either). Input is still validated.
	NestIgnore
)

// ArrayMode says what the JSON decoder does with arrays.
type ArrayMode uint8

const (
	// ArraysAsObject reports an array as one Object value (whylogs counts
	// lists it cannot treat as tensors as objects).
	ArraysAsObject ArrayMode = iota
	// ArraysIgnore skips arrays (validated, not reported).
	ArraysIgnore
)

// UTF8Mode says what the JSON decoder does with invalid UTF-8 inside strings.
type UTF8Mode uint8

const (
	// UTF8Replace replaces each invalid byte with U+FFFD, as encoding/json
	// does, so a record with one bad byte is still profiled.
	UTF8Replace UTF8Mode = iota
	// UTF8Error rejects the record (KindMalformed, offset of the bad byte).
	UTF8Error
)

// DefaultMaxDepth is the default limit on nesting of objects and arrays.
const DefaultMaxDepth = 64

// JSONOptions configures a JSONDecoder. The zero value is usable: flatten
// with ".", arrays as objects, replace invalid UTF-8, no field filter, no
// event-time field.
type JSONOptions struct {
	// Separator joins nested names; "" means ".".
	Separator string
	Nesting   Nesting
	Arrays    ArrayMode
	// Include, when not empty, keeps only these columns. Exclude drops
	// columns. Names are full column names as reported (joined with
	// Separator) and match exactly; a name also matches everything nested
	// under it ("user" matches "user.id", "user.address.city"). Exclude
	// wins over Include. Neither affects event-time extraction.
	Include []string
	Exclude []string
	// EventTimeField is the full column name of the event-time field; ""
	// means none. Its raw value is returned by Decode whether or not the
	// column is reported.
	EventTimeField string
	InvalidUTF8    UTF8Mode
	// MaxDepth limits nesting of objects and arrays (0 → DefaultMaxDepth).
	MaxDepth int
}

// JSONDecoder decodes one JSON object per record straight into Visitor
// calls, without building maps. It is not safe for concurrent use: use one
// per goroutine (per partition worker). Steady-state decoding allocates
// nothing once the column names are interned.
//
// Accepted input is exactly RFC 8259 JSON whose top-level value is an object,
// optionally surrounded by whitespace. Numbers without '.', 'e' or 'E' that
// fit in int64 are reported with Int (including "-0" → 0); all other numbers
// with Float, parsed exactly as strconv.ParseFloat does (overflow gives ±Inf,
// as Python's json module does). Strings are unescaped (\uXXXX with UTF-16
// surrogate pairs; a lone surrogate becomes U+FFFD, as in encoding/json).
// Duplicate keys are reported once per occurrence.
type JSONDecoder struct {
	sep       []byte
	nesting   Nesting
	arrays    ArrayMode
	utf8Err   bool
	maxDepth  int
	filter    bool
	include   map[string]struct{}
	incPrefix map[string]struct{}
	exclude   map[string]struct{}
	timeField string
	names     names
	data      []byte
	v         Visitor
	path      []byte
	scratch   []byte
	timeBuf   []byte
	raw       RawTime
	depth     int
	field     int // index of the next reported field in the record
	nkey      int // index of the next key in the record (keyCache)
	keys      []keyEntry
	// noKeyCache disables the key cache (tests compare against it).
	noKeyCache bool
}

// NewJSONDecoder validates opts and returns a decoder.
func NewJSONDecoder(opts JSONOptions) (*JSONDecoder, error) {
	d := &JSONDecoder{
		sep:       []byte(opts.Separator),
		nesting:   opts.Nesting,
		arrays:    opts.Arrays,
		utf8Err:   opts.InvalidUTF8 == UTF8Error,
		maxDepth:  opts.MaxDepth,
		timeField: opts.EventTimeField,
	}
	if len(d.sep) == 0 {
		d.sep = []byte(".")
	}
	if opts.Nesting > NestIgnore || opts.Arrays > ArraysIgnore || opts.InvalidUTF8 > UTF8Error {
		return nil, errInvalidOption("json", "nesting, arrays or utf8 mode out of range")
	}
	if d.maxDepth == 0 {
		d.maxDepth = DefaultMaxDepth
	}
	if d.maxDepth < 1 || d.maxDepth > 10000 {
		return nil, errInvalidOption("json", "MaxDepth must be in [1, 10000]")
	}
	var err error
	d.include, d.incPrefix, d.exclude, err = buildFilter(opts.Include, opts.Exclude, string(d.sep))
	if err != nil {
		return nil, err
	}
	d.filter = d.include != nil || d.exclude != nil
	return d, nil
}

// Decode decodes one record, calling v for every reported column, and
// returns the raw event-time value (RawTime.Kind == TimeNone when no field is
// configured or the record lacks it). On error some columns may already have
// been reported: buffer them (see Record) if that matters. Errors are *Error
// of KindMalformed naming the byte offset.
//
// When v is a *Record, a string event time (RawTime.Str) aliases the
// Record's arena instead of a decoder buffer: it stays valid until the next
// Decode, as always, unless the Record is Reset and written to before
// (parse the time before reusing the Record).
func (d *JSONDecoder) Decode(data []byte, v Visitor) (RawTime, error) {
	d.data, d.v = data, v
	d.raw = RawTime{Field: d.timeField}
	d.path = d.path[:0]
	d.depth, d.field, d.nkey = 0, 0, 0
	err := d.decode()
	d.data, d.v = nil, nil // do not keep the caller's buffers alive
	if err != nil {
		return RawTime{}, err
	}
	return d.raw, nil
}

func (d *JSONDecoder) decode() *Error {
	data := d.data
	i := skipWS(data, 0)
	if i >= len(data) {
		return d.err(i, "empty input, want a JSON object")
	}
	if data[i] != '{' {
		return d.err(i, "top-level value is not an object")
	}
	var err *Error
	if r, ok := d.v.(*Record); ok && !d.filter && !d.noKeyCache {
		i, err = d.recordObject(r, i+1)
	} else {
		i, err = d.object(i+1, 0, true, false)
	}
	if err != nil {
		return err
	}
	if i = skipWS(data, i); i != len(data) {
		return d.err(i, "trailing data after the object")
	}
	return nil
}

func (d *JSONDecoder) err(off int, msg string) *Error {
	return &Error{Kind: KindMalformed, Format: "json", Offset: off, Msg: msg}
}

func errInvalidOption(format, msg string) error {
	return fmt.Errorf("event: %s: %s: %w", format, msg, ErrInvalidOption)
}

// isWS reports JSON whitespace; bytes above ' ' (almost every byte the
// decoder looks at) fail the first compare.
func isWS(c byte) bool { return c <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r') }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// object parses the members of an object; i is just past '{'. plen is the
// length of the object's path in d.path. emit says whether members may be
// reported; incAll says an ancestor is in the include list.
func (d *JSONDecoder) object(i, plen int, emit, incAll bool) (int, *Error) {
	d.depth++
	if d.depth > d.maxDepth {
		return i, d.err(i-1, "nesting deeper than MaxDepth")
	}
	data := d.data
	i = skipWS(data, i)
	if i < len(data) && data[i] == '}' {
		d.depth--
		return i + 1, nil
	}
	return d.members(i, plen, emit, incAll)
}

// members parses the members of an object from i, the start of a member
// (whitespace skipped), to past the closing '}'; d.depth counts the object.
func (d *JSONDecoder) members(i, plen int, emit, incAll bool) (int, *Error) {
	data := d.data
	for {
		if i >= len(data) {
			return i, d.err(i, "unexpected end of input, want a key")
		}
		if data[i] != '"' {
			return i, d.err(i, "want '\"' starting a key")
		}
		j, hit, err := d.key(i+1, plen)
		if err != nil {
			return j, err
		}
		i = skipWS(data, j)
		if i >= len(data) || data[i] != ':' {
			return i, d.err(i, "want ':' after a key")
		}
		i = skipWS(data, i+1)
		n := len(d.path)
		if hit.name != "" {
			n = len(hit.name)
		}
		if i < len(data) && data[i] == '"' {
			// Strings, the most common values, without the call to value.
			str, j, err := d.str(i + 1)
			if err != nil {
				return j, err
			}
			if d.isTime(n, hit) {
				d.timeBuf = append(d.timeBuf[:0], str...)
				d.raw.Kind, d.raw.Str = TimeString, d.timeBuf
			}
			if emit && d.wanted(n, incAll) {
				d.v.String(d.name(n, hit), str)
			}
			i = j
		} else if i, err = d.value(i, n, emit, incAll, hit); err != nil {
			return i, err
		}
		i = skipWS(data, i)
		if i >= len(data) {
			return i, d.err(i, "unexpected end of input, want ',' or '}'")
		}
		switch data[i] {
		case ',':
			i = skipWS(data, i+1)
		case '}':
			d.depth--
			return i + 1, nil
		default:
			return i, d.err(i, "want ',' or '}'")
		}
	}
}

// wanted reports whether the column d.path[:n] passes the filter.
func (d *JSONDecoder) wanted(n int, incAll bool) bool {
	if !d.filter {
		return true
	}
	p := d.path[:n]
	if d.exclude != nil {
		if _, ok := d.exclude[string(p)]; ok {
			return false
		}
	}
	if d.include == nil || incAll {
		return true
	}
	_, ok := d.include[string(p)]
	return ok
}

// isTime reports whether the column of the value being parsed (d.path[:n],
// or hit.name when set) is the event-time field.
func (d *JSONDecoder) isTime(n int, hit keyHit) bool {
	if d.timeField == "" {
		return false
	}
	if hit.name != "" {
		return hit.name == d.timeField
	}
	return string(d.path[:n]) == d.timeField
}

// name returns the column name d.path[:n] of the value of key hit.
func (d *JSONDecoder) name(n int, hit keyHit) string {
	if hit.name != "" { // small enough to inline
		d.field++
		return hit.name
	}
	return d.nameSlow(n, hit)
}

// nameSlow interns the column name d.path[:n] and remembers it for the key.
func (d *JSONDecoder) nameSlow(n int, hit keyHit) string {
	k := d.field
	d.field++
	s := d.names.at(k, d.path[:n])
	if hit.entry >= 0 {
		e := &d.keys[hit.entry]
		e.name = s
		e.fast = s != "" && e.plen == 0 && e.top // "" means unknown
		e.time = e.fast && d.timeField != "" && s == d.timeField
		e.fnp = noFast
		if e.fast {
			e.fnp = e.np
		}
	}
	return s
}

// value parses the value at i (whitespace already skipped) of the column
// d.path[:n].
func (d *JSONDecoder) value(i, n int, emit, incAll bool, hit keyHit) (int, *Error) {
	data := d.data
	if i >= len(data) {
		return i, d.err(i, "unexpected end of input, want a value")
	}
	switch c := data[i]; c {
	// '"' is handled by object.
	case '{':
		n = d.pathOf(hit)
		if d.nesting == NestIgnore {
			// Still walk it (validation, nested event-time field) but
			// report nothing.
			return d.object(i+1, n, false, false)
		}
		cemit, cinc := emit, incAll
		if emit && d.filter {
			p := d.path[:n]
			if _, ok := d.exclude[string(p)]; ok {
				cemit = false
			} else if d.include != nil && !incAll {
				if _, ok := d.include[string(p)]; ok {
					cinc = true
				} else if _, ok := d.incPrefix[string(p)]; !ok {
					cemit = false
				}
			}
		}
		return d.object(i+1, n, cemit, cinc)
	case '[':
		n = d.pathOf(hit)
		j, err := d.skipArray(i + 1)
		if err != nil {
			return j, err
		}
		if emit && d.arrays == ArraysAsObject && d.wanted(n, incAll) {
			d.v.Object(d.name(n, hit))
		}
		return j, nil
	case 't':
		if !hasLit(data, i, "true") {
			return i, d.err(i, "invalid literal")
		}
		if emit && d.wanted(n, incAll) {
			d.v.Bool(d.name(n, hit), true)
		}
		return i + 4, nil
	case 'f':
		if !hasLit(data, i, "false") {
			return i, d.err(i, "invalid literal")
		}
		if emit && d.wanted(n, incAll) {
			d.v.Bool(d.name(n, hit), false)
		}
		return i + 5, nil
	case 'n':
		if !hasLit(data, i, "null") {
			return i, d.err(i, "invalid literal")
		}
		if d.isTime(n, hit) {
			d.raw.Kind = TimeNone
		}
		if emit && d.wanted(n, incAll) {
			d.v.Null(d.name(n, hit))
		}
		return i + 4, nil
	default:
		if c != '-' && (c < '0' || c > '9') {
			return i, d.err(i, "invalid character, want a value")
		}
		j, kind, iv, fv := parseNum(data, i)
		if j < 0 {
			return -j, d.err(-j, "invalid number")
		}
		if kind == numInt {
			if d.isTime(n, hit) {
				d.raw.Kind, d.raw.Int = TimeInt, iv
			}
			if emit && d.wanted(n, incAll) {
				d.v.Int(d.name(n, hit), iv)
			}
			return j, nil
		}
		if d.isTime(n, hit) {
			d.raw.Kind, d.raw.Float = TimeFloat, fv
		}
		if emit && d.wanted(n, incAll) {
			d.v.Float(d.name(n, hit), fv)
		}
		return j, nil
	}
}

func hasLit(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// skipArray validates an array; i is just past '['.
func (d *JSONDecoder) skipArray(i int) (int, *Error) {
	d.depth++
	if d.depth > d.maxDepth {
		return i, d.err(i-1, "nesting deeper than MaxDepth")
	}
	data := d.data
	i = skipWS(data, i)
	if i < len(data) && data[i] == ']' {
		d.depth--
		return i + 1, nil
	}
	for {
		var err *Error
		if i, err = d.skipValue(i); err != nil {
			return i, err
		}
		i = skipWS(data, i)
		if i >= len(data) {
			return i, d.err(i, "unexpected end of input, want ',' or ']'")
		}
		switch data[i] {
		case ',':
			i = skipWS(data, i+1)
		case ']':
			d.depth--
			return i + 1, nil
		default:
			return i, d.err(i, "want ',' or ']'")
		}
	}
}

// skipValue validates any value at i without reporting it.
func (d *JSONDecoder) skipValue(i int) (int, *Error) {
	data := d.data
	if i >= len(data) {
		return i, d.err(i, "unexpected end of input, want a value")
	}
	switch c := data[i]; c {
	case '"':
		_, j, err := d.str(i + 1)
		return j, err
	case '{':
		// Members of objects inside arrays have no column; walk them with
		// a path that cannot match the event-time field.
		saved := len(d.path)
		d.path = append(d.path, 0)
		j, err := d.object(i+1, len(d.path), false, false)
		d.path = d.path[:saved]
		return j, err
	case '[':
		return d.skipArray(i + 1)
	case 't':
		if hasLit(data, i, "true") {
			return i + 4, nil
		}
	case 'f':
		if hasLit(data, i, "false") {
			return i + 5, nil
		}
	case 'n':
		if hasLit(data, i, "null") {
			return i + 4, nil
		}
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			j, _ := scanNumber(data, i)
			if j < 0 {
				return -j, d.err(-j, "invalid number")
			}
			return j, nil
		}
		return i, d.err(i, "invalid character, want a value")
	}
	return i, d.err(i, "invalid literal")
}

// scanNumber scans a JSON number starting at i. It returns the end offset
// and whether the number has neither fraction nor exponent; on a syntax
// error it returns minus the offset of the offending byte (never 0, since a
// number has at least one byte before the error... except at offset 0, which
// callers treat as the same failure).
func scanNumber(b []byte, i int) (int, bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	if j >= len(b) {
		return -j, false
	}
	switch c := b[j]; {
	case c == '0':
		j++
	case c >= '1' && c <= '9':
		j++
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
	default:
		return -j, false
	}
	isInt := true
	if j < len(b) && b[j] == '.' {
		isInt = false
		j++
		if j >= len(b) || b[j] < '0' || b[j] > '9' {
			return -j, false
		}
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		isInt = false
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || b[j] < '0' || b[j] > '9' {
			return -j, false
		}
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
	}
	return j, isInt
}

// parseInt parses an integer in JSON syntax; ok is false if it does not fit
// in int64. parseNum does this in its scan; parseInt (with scanNumber) is the
// reference it is tested against.
func parseInt(s []byte) (int64, bool) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg = true
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range s {
		u = u*10 + uint64(c-'0') // 19 digits cannot overflow uint64
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// str parses a string body starting at i (just past the opening quote). It
// returns the unescaped bytes (aliasing the input when nothing needed
// rewriting, else d.scratch) and the offset past the closing quote.
func (d *JSONDecoder) str(i int) ([]byte, int, *Error) {
	data := d.data
	j := i
fast:
	for {
		// Eight bytes at a time while none is '"', '\\', < 0x20 or >= 0x80.
		for j+8 <= len(data) {
			w := binary.LittleEndian.Uint64(data[j:])
			q := w ^ (lsb * '"')
			bs := w ^ (lsb * '\\')
			// A byte is flagged when q or bs is 0 (borrow), w < 0x20
			// (borrow) or w >= 0x80 (its own high bit). A borrow only
			// leaves a byte that is 0 or below 0x20, so it only flags
			// bytes above a real match: the lowest flagged byte is
			// exact, and we jump straight to it.
			if m := ((q - lsb) | (bs - lsb) | (w - lsb*0x20) | w) & msb; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		if j >= len(data) {
			break
		}
		c := data[j]
		switch {
		case c == '"':
			return data[i:j], j + 1, nil
		case c == '\\' || c < 0x20:
			break fast
		case c >= 0x80:
			r, size := utf8.DecodeRune(data[j:])
			if r == utf8.RuneError && size == 1 {
				break fast
			}
			j += size
		default:
			j++
		}
	}
	return d.strSlow(i, j)
}

// strSlow finishes str from j, the first byte that needs rewriting or
// checking (or the end of the input): it copies data[i:j] to d.scratch and
// rewrites the rest. Kept apart so str's fast loop has a small frame.
func (d *JSONDecoder) strSlow(i, j int) ([]byte, int, *Error) {
	data := d.data
	buf := append(d.scratch[:0], data[i:j]...)
	for {
		if j >= len(data) {
			d.scratch = buf
			return nil, j, d.err(j, "unterminated string")
		}
		c := data[j]
		switch {
		case c == '"':
			d.scratch = buf
			return buf, j + 1, nil
		case c < 0x20:
			d.scratch = buf
			return nil, j, d.err(j, "control character in string")
		case c == '\\':
			if j+1 >= len(data) {
				d.scratch = buf
				return nil, j + 1, d.err(j+1, "unterminated escape")
			}
			e := data[j+1]
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
				j += 2
			case 'b':
				buf = append(buf, '\b')
				j += 2
			case 'f':
				buf = append(buf, '\f')
				j += 2
			case 'n':
				buf = append(buf, '\n')
				j += 2
			case 'r':
				buf = append(buf, '\r')
				j += 2
			case 't':
				buf = append(buf, '\t')
				j += 2
			case 'u':
				r, ok := hex4(data, j+2)
				if !ok {
					d.scratch = buf
					return nil, j, d.err(j, "invalid \\u escape")
				}
				j += 6
				if r >= 0xD800 && r < 0xDC00 {
					// High surrogate: pair with a following \uDC00-\uDFFF.
					if j+1 < len(data) && data[j] == '\\' && data[j+1] == 'u' {
						if r2, ok := hex4(data, j+2); ok && r2 >= 0xDC00 && r2 < 0xE000 {
							r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
							j += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				} else if r >= 0xDC00 && r < 0xE000 {
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				d.scratch = buf
				return nil, j, d.err(j, "invalid escape character")
			}
		case c < 0x80:
			buf = append(buf, c)
			j++
		default:
			r, size := utf8.DecodeRune(data[j:])
			if r == utf8.RuneError && size == 1 {
				if d.utf8Err {
					d.scratch = buf
					return nil, j, d.err(j, "invalid UTF-8 in string")
				}
				buf = append(buf, "\uFFFD"...)
				j++
				continue
			}
			buf = append(buf, data[j:j+size]...)
			j += size
		}
	}
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// buildFilter builds the include/exclude sets. incPrefix holds every proper
// prefix (at separator boundaries) of the included names, so objects that
// cannot contain an included column are walked without reporting.
func buildFilter(include, exclude []string, sep string) (inc, incPrefix, exc map[string]struct{}, err error) {
	if len(include) > 0 {
		inc = make(map[string]struct{}, len(include))
		incPrefix = make(map[string]struct{})
		for _, n := range include {
			if n == "" {
				return nil, nil, nil, errInvalidOption("filter", "empty include name")
			}
			inc[n] = struct{}{}
			for k := 0; k+len(sep) <= len(n); k++ {
				if n[k:k+len(sep)] == sep && k > 0 {
					incPrefix[n[:k]] = struct{}{}
				}
			}
		}
	}
	if len(exclude) > 0 {
		exc = make(map[string]struct{}, len(exclude))
		for _, n := range exclude {
			if n == "" {
				return nil, nil, nil, errInvalidOption("filter", "empty exclude name")
			}
			exc[n] = struct{}{}
		}
	}
	return inc, incPrefix, exc, nil
}
