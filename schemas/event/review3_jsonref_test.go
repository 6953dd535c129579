package event

// The JSON decoder as it was before session 3 (commit d811e64,
// schemas/event/json.go: the decoder type and its methods, with the
// package-level helpers renamed), the reference of review3_json_test.go.

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// surrogate pairs; a lone surrogate becomes U+FFFD, as in encoding/json).
// Duplicate keys are reported once per occurrence.
type refJSONDecoder struct {
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
}

// newRefJSONDecoder validates opts and returns a decoder.
func newRefJSONDecoder(opts JSONOptions) (*refJSONDecoder, error) {
	d := &refJSONDecoder{
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
func (d *refJSONDecoder) Decode(data []byte, v Visitor) (RawTime, error) {
	d.data, d.v = data, v
	d.raw = RawTime{Field: d.timeField}
	d.path = d.path[:0]
	d.depth, d.field = 0, 0
	err := d.decode()
	d.data, d.v = nil, nil // do not keep the caller's buffers alive
	if err != nil {
		return RawTime{}, err
	}
	return d.raw, nil
}

func (d *refJSONDecoder) decode() *Error {
	data := d.data
	i := refSkipWS(data, 0)
	if i >= len(data) {
		return d.err(i, "empty input, want a JSON object")
	}
	if data[i] != '{' {
		return d.err(i, "top-level value is not an object")
	}
	i, err := d.object(i+1, 0, true, false)
	if err != nil {
		return err
	}
	if i = refSkipWS(data, i); i != len(data) {
		return d.err(i, "trailing data after the object")
	}
	return nil
}

func (d *refJSONDecoder) err(off int, msg string) *Error {
	return &Error{Kind: KindMalformed, Format: "json", Offset: off, Msg: msg}
}

func refIsWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func refSkipWS(b []byte, i int) int {
	for i < len(b) && refIsWS(b[i]) {
		i++
	}
	return i
}

// object parses the members of an object; i is just past '{'. plen is the
// length of the object's path in d.path. emit says whether members may be
// reported; incAll says an ancestor is in the include list.
func (d *refJSONDecoder) object(i, plen int, emit, incAll bool) (int, *Error) {
	d.depth++
	if d.depth > d.maxDepth {
		return i, d.err(i-1, "nesting deeper than MaxDepth")
	}
	data := d.data
	i = refSkipWS(data, i)
	if i < len(data) && data[i] == '}' {
		d.depth--
		return i + 1, nil
	}
	for {
		if i >= len(data) {
			return i, d.err(i, "unexpected end of input, want a key")
		}
		if data[i] != '"' {
			return i, d.err(i, "want '\"' starting a key")
		}
		key, j, err := d.str(i + 1)
		if err != nil {
			return j, err
		}
		d.path = d.path[:plen]
		if d.depth > 1 { // not the top-level object: join with the separator
			d.path = append(d.path, d.sep...)
		}
		d.path = append(d.path, key...)
		i = refSkipWS(data, j)
		if i >= len(data) || data[i] != ':' {
			return i, d.err(i, "want ':' after a key")
		}
		i = refSkipWS(data, i+1)
		if i, err = d.value(i, len(d.path), emit, incAll); err != nil {
			return i, err
		}
		i = refSkipWS(data, i)
		if i >= len(data) {
			return i, d.err(i, "unexpected end of input, want ',' or '}'")
		}
		switch data[i] {
		case ',':
			i = refSkipWS(data, i+1)
		case '}':
			d.depth--
			return i + 1, nil
		default:
			return i, d.err(i, "want ',' or '}'")
		}
	}
}

// wanted reports whether the column d.path[:n] passes the filter.
func (d *refJSONDecoder) wanted(n int, incAll bool) bool {
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

func (d *refJSONDecoder) isTime(n int) bool {
	return d.timeField != "" && string(d.path[:n]) == d.timeField
}

func (d *refJSONDecoder) name(n int) string {
	k := d.field
	d.field++
	return d.names.at(k, d.path[:n])
}

// value parses the value at i (whitespace already skipped) of the column
// d.path[:n].
func (d *refJSONDecoder) value(i, n int, emit, incAll bool) (int, *Error) {
	data := d.data
	if i >= len(data) {
		return i, d.err(i, "unexpected end of input, want a value")
	}
	switch c := data[i]; c {
	case '"':
		s, j, err := d.str(i + 1)
		if err != nil {
			return j, err
		}
		if d.isTime(n) {
			d.timeBuf = append(d.timeBuf[:0], s...)
			d.raw.Kind, d.raw.Str = TimeString, d.timeBuf
		}
		if emit && d.wanted(n, incAll) {
			d.v.String(d.name(n), s)
		}
		return j, nil
	case '{':
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
		j, err := d.skipArray(i + 1)
		if err != nil {
			return j, err
		}
		if emit && d.arrays == ArraysAsObject && d.wanted(n, incAll) {
			d.v.Object(d.name(n))
		}
		return j, nil
	case 't':
		if !refHasLit(data, i, "true") {
			return i, d.err(i, "invalid literal")
		}
		if emit && d.wanted(n, incAll) {
			d.v.Bool(d.name(n), true)
		}
		return i + 4, nil
	case 'f':
		if !refHasLit(data, i, "false") {
			return i, d.err(i, "invalid literal")
		}
		if emit && d.wanted(n, incAll) {
			d.v.Bool(d.name(n), false)
		}
		return i + 5, nil
	case 'n':
		if !refHasLit(data, i, "null") {
			return i, d.err(i, "invalid literal")
		}
		if d.isTime(n) {
			d.raw.Kind = TimeNone
		}
		if emit && d.wanted(n, incAll) {
			d.v.Null(d.name(n))
		}
		return i + 4, nil
	default:
		if c != '-' && (c < '0' || c > '9') {
			return i, d.err(i, "invalid character, want a value")
		}
		j, isInt := scanNumber(data, i)
		if j < 0 {
			return -j, d.err(-j, "invalid number")
		}
		num := data[i:j]
		if isInt {
			if iv, ok := parseInt(num); ok {
				if d.isTime(n) {
					d.raw.Kind, d.raw.Int = TimeInt, iv
				}
				if emit && d.wanted(n, incAll) {
					d.v.Int(d.name(n), iv)
				}
				return j, nil
			}
		}
		fv, _ := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
		if d.isTime(n) {
			d.raw.Kind, d.raw.Float = TimeFloat, fv
		}
		if emit && d.wanted(n, incAll) {
			d.v.Float(d.name(n), fv)
		}
		return j, nil
	}
}

func refHasLit(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// skipArray validates an array; i is just past '['.
func (d *refJSONDecoder) skipArray(i int) (int, *Error) {
	d.depth++
	if d.depth > d.maxDepth {
		return i, d.err(i-1, "nesting deeper than MaxDepth")
	}
	data := d.data
	i = refSkipWS(data, i)
	if i < len(data) && data[i] == ']' {
		d.depth--
		return i + 1, nil
	}
	for {
		var err *Error
		if i, err = d.skipValue(i); err != nil {
			return i, err
		}
		i = refSkipWS(data, i)
		if i >= len(data) {
			return i, d.err(i, "unexpected end of input, want ',' or ']'")
		}
		switch data[i] {
		case ',':
			i = refSkipWS(data, i+1)
		case ']':
			d.depth--
			return i + 1, nil
		default:
			return i, d.err(i, "want ',' or ']'")
		}
	}
}

// skipValue validates any value at i without reporting it.
func (d *refJSONDecoder) skipValue(i int) (int, *Error) {
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
		if refHasLit(data, i, "true") {
			return i + 4, nil
		}
	case 'f':
		if refHasLit(data, i, "false") {
			return i + 5, nil
		}
	case 'n':
		if refHasLit(data, i, "null") {
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
// returns the unescaped bytes (aliasing the input when nothing needed
// rewriting, else d.scratch) and the offset past the closing quote.
func (d *refJSONDecoder) str(i int) ([]byte, int, *Error) {
	data := d.data
	j := i
fast:
	for {
		// Eight bytes at a time while none is '"', '\\', < 0x20 or >= 0x80.
		for j+8 <= len(data) {
			w := binary.LittleEndian.Uint64(data[j:])
			q := w ^ (refLSB * '"')
			bs := w ^ (refLSB * '\\')
			// The lowest flagged byte is exact (borrows only flag bytes
			// above a real match), so jump straight to it.
			if m := (((q - refLSB) &^ q) | ((bs - refLSB) &^ bs) | ((w - refLSB*0x20) &^ w) | w) & refMSB; m != 0 {
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
	// Slow path: copy what we have and rewrite the rest.
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
				r, ok := refHex4(data, j+2)
				if !ok {
					d.scratch = buf
					return nil, j, d.err(j, "invalid \\u escape")
				}
				j += 6
				if r >= 0xD800 && r < 0xDC00 {
					// High surrogate: pair with a following \uDC00-\uDFFF.
					if j+1 < len(data) && data[j] == '\\' && data[j+1] == 'u' {
						if r2, ok := refHex4(data, j+2); ok && r2 >= 0xDC00 && r2 < 0xE000 {
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
	refLSB = 0x0101010101010101
	refMSB = 0x8080808080808080
)

func refHex4(b []byte, i int) (rune, bool) {
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
