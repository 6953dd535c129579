package profiler

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unsafe"
)

// ScalarFields is an optional interface of a Fields: a record whose values
// are decoded scalars (the pipeline's buffered records) exposes them without
// boxing them into an interface value. Route then reads segment values with
// ScalarField and keys its routing cache by them, formatting them only for
// a new decision, byte for byte as SegmentValue formats the value Field
// returns; Field is still called when ScalarField declines.
type ScalarFields interface {
	Fields
	// ScalarField returns the named field's value as its kind and either
	// bits (ScalarBool: 1 for true, 0 for false; ScalarInt: the int64;
	// ScalarFloat: math.Float64bits of the float64) or str (ScalarString:
	// the bytes, which may alias the record's buffer: Route does not keep
	// them). A field that is missing or null is ScalarNull. ok is false
	// when the value is not a scalar (Route then asks Field).
	//
	// The value is returned as separate results rather than a struct: they
	// stay in registers, where a struct result would be copied through
	// memory on every call.
	ScalarField(name string) (kind ScalarKind, bits uint64, str []byte, ok bool)
}

// ScalarKind says what a ScalarField value is.
type ScalarKind uint8

// Scalar kinds.
const (
	ScalarNull   ScalarKind = iota // missing or null: SegmentValue "None"
	ScalarBool                     // bits 1 or 0: "True" or "False"
	ScalarInt                      // bits: the int64, in decimal
	ScalarFloat                    // bits: the float64, as Python's repr
	ScalarString                   // str, unchanged
)

// AppendSegmentValue appends the segment value of a ScalarField value to
// dst: SegmentValue of the Go value it stands for (nil, bool, int64,
// float64 or string).
func AppendSegmentValue(dst []byte, kind ScalarKind, bits uint64, str []byte) []byte {
	switch kind {
	case ScalarBool:
		if bits != 0 {
			return append(dst, "True"...)
		}
		return append(dst, "False"...)
	case ScalarInt:
		return strconv.AppendInt(dst, int64(bits), 10)
	case ScalarFloat:
		return append(dst, pythonFloat(math.Float64frombits(bits))...)
	case ScalarString:
		return append(dst, str...)
	}
	return append(dst, "None"...)
}

// appendFieldValue appends the segment value of the named field of fields
// (SegmentValue(nil), "None", when fields is nil or lacks it).
func appendFieldValue(dst []byte, fields Fields, sf ScalarFields, name string) []byte {
	if sf != nil {
		if kind, bits, str, ok := sf.ScalarField(name); ok {
			return AppendSegmentValue(dst, kind, bits, str)
		}
	}
	var v any
	if fields != nil {
		v, _ = fields.Field(name)
	}
	return append(dst, SegmentValue(v)...)
}

// routeCacheSize is the number of recent (window, segment values) decisions
// Route remembers (8: cachedScalarRoute tests the tags one by one). A stream cycling through a few segment values (countries,
// device types) hits it on every record.
const routeCacheSize = 8

// routeSlot is one remembered routing decision: the records of window win
// whose segment values are raw go into e (the overflow entry when ovf).
// Entries stay valid until their window emits (emit clears the cache): an
// admitted key keeps its entry, and a key refused under the cap is refused
// for as long as the window lives.
type routeSlot struct {
	win *window
	raw []byte
	e   *entry
	ovf bool
}

// appendRawValues appends the segment values of the record, each prefixed
// by its length (a uvarint), so that the bytes identify the tuple.
func (w *WindowSet) appendRawValues(dst []byte, fields Fields) []byte {
	sf, _ := fields.(ScalarFields)
	for _, c := range w.cfg.Segments.Columns {
		// Reserve one length byte; values of 128 bytes or more shift.
		at := len(dst)
		dst = append(dst, 0)
		dst = appendFieldValue(dst, fields, sf, c)
		if n := len(dst) - at - 1; n < 0x80 {
			dst[at] = byte(n)
		} else {
			var l [binary.MaxVarintLen64]byte
			k := binary.PutUvarint(l[:], uint64(n))
			dst = append(dst, l[:k-1]...)
			copy(dst[at+k:], dst[at+1:at+1+n])
			copy(dst[at:], l[:k])
		}
	}
	return dst
}

// rawValues splits raw (appendRawValues) into w.valBuf.
func (w *WindowSet) rawValues(raw []byte) {
	for i := range w.valBuf {
		n, k := binary.Uvarint(raw)
		w.valBuf[i] = string(raw[k : k+int(n)])
		raw = raw[k+int(n):]
	}
}

// appendRawKey appends the segment key of raw (appendRawValues).
func (w *WindowSet) appendRawKey(dst, raw []byte) []byte {
	for i, c := range w.cfg.Segments.Columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendEscaped(dst, c)
		dst = append(dst, '=')
		n, k := binary.Uvarint(raw)
		dst = appendEscapedBytes(dst, raw[k:k+int(n)])
		raw = raw[k+int(n):]
	}
	return dst
}

func appendEscapedBytes(b, s []byte) []byte {
	for _, c := range s {
		switch c {
		case '\\', ',', '=':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return b
}

// cachedRoute returns the remembered decision for raw in win.
func (w *WindowSet) cachedRoute(win *window, raw []byte) *routeSlot {
	for i := range w.rcache {
		s := &w.rcache[i]
		if s.win == win && string(s.raw) == string(raw) {
			return s
		}
	}
	return nil
}

// rememberRoute stores a decision, replacing the oldest.
func (w *WindowSet) rememberRoute(win *window, raw []byte, e *entry, ovf bool) {
	s := &w.rcache[w.rnext]
	w.rnext = (w.rnext + 1) % routeCacheSize
	s.win, s.raw, s.e, s.ovf = win, append(s.raw[:0], raw...), e, ovf
}

// forgetRoutes clears the routing cache (a window emitted its entries).
func (w *WindowSet) forgetRoutes() {
	for i := range w.rcache {
		s := &w.rcache[i]
		s.win, s.e = nil, nil
	}
	for i := range w.scache {
		s := &w.scache[i]
		s.win, s.e = nil, nil
	}
}

// maxScalarCols is the largest number of segment columns the scalar cache
// keys (more columns go through the raw cache only).
const maxScalarCols = 4

// scalarKey identifies one segment value by the scalar it comes from: its
// kind, its length (strings) and 8 bytes of value bits (the ScalarField
// bits, or a string's first 8 bytes, little endian); the bytes of a longer
// string beyond the 8th are kept apart (the slot's tail). Equal keys are
// equal scalars, so they have equal segment values: the key is finer than
// the segment value (the string "1" and the int 1 have different keys),
// which costs a cache miss, never a wrong decision.
type scalarKey struct {
	bits uint64
	n    uint32
	kind ScalarKind
}

// scalarSlot is one routing decision remembered by scalar keys: the
// records of window win whose segment values have these keys go into e
// (the overflow entry when ovf). Valid until the window emits, like a
// routeSlot.
type scalarSlot struct {
	win  *window
	keys [maxScalarCols]scalarKey // the first len(Columns) are set
	tail []byte                   // the string bytes beyond the 8th, in column order
	e    *entry
	ovf  bool
}

// packBytes returns the first 8 bytes of b (all of a shorter b) as a
// little-endian integer. Two loads that overlap in the middle cover 2 to
// 8 bytes; the overlapping bytes are the same, so OR keeps them.
func packBytes(b []byte) uint64 {
	n := len(b)
	switch {
	case n >= 8:
		return binary.LittleEndian.Uint64(b)
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<((n-4)*8)
	case n >= 2:
		return uint64(binary.LittleEndian.Uint16(b)) | uint64(binary.LittleEndian.Uint16(b[n-2:]))<<((n-2)*8)
	case n == 1:
		return uint64(b[0])
	}
	return 0
}

// fieldScalar reads a segment value of a plain Fields as a ScalarField
// value when its Go type formats as that kind does (SegmentValue): nil,
// bool, int, int64, float64 and string. ok is false for any other type.
func fieldScalar(fields Fields, name string) (kind ScalarKind, bits uint64, str []byte, ok bool) {
	var v any
	if fields != nil {
		v, _ = fields.Field(name)
	}
	switch x := v.(type) {
	case nil:
		return ScalarNull, 0, nil, true
	case string:
		// A read-only view of the string's bytes: setKey reads it and
		// copies what the slot keeps; nothing writes through it.
		return ScalarString, 0, unsafe.Slice(unsafe.StringData(x), len(x)), true
	case bool:
		if x {
			return ScalarBool, 1, nil, true
		}
		return ScalarBool, 0, nil, true
	case int64:
		return ScalarInt, uint64(x), nil, true
	case int:
		return ScalarInt, uint64(x), nil, true
	case float64:
		return ScalarFloat, math.Float64bits(x), nil, true
	}
	return 0, 0, nil, false
}

// scalarKeys sets w.skeys and w.stail to the keys of the record's segment
// values; false when a value has no key (a non-scalar, or too many
// columns).
func (w *WindowSet) scalarKeys(fields Fields) bool {
	cols := w.cfg.Segments.Columns
	if len(cols) > maxScalarCols {
		return false
	}
	w.stail = w.stail[:0]
	sf, _ := fields.(ScalarFields)
	for i, c := range cols {
		if sf != nil {
			if kind, bits, str, ok := sf.ScalarField(c); ok {
				w.setKey(i, kind, bits, str)
				continue
			}
		}
		kind, bits, str, ok := fieldScalar(fields, c)
		if !ok {
			return false
		}
		w.setKey(i, kind, bits, str)
	}
	return true
}

// setKey sets w.skeys[i] to the key of a ScalarField value (and w.stail).
func (w *WindowSet) setKey(i int, kind ScalarKind, bits uint64, str []byte) {
	switch kind {
	case ScalarString:
		w.skeys[i] = scalarKey{bits: packBytes(str), n: uint32(len(str)), kind: kind}
		if len(str) > 8 {
			w.stail = append(w.stail, str[8:]...)
		}
	case ScalarNull:
		w.skeys[i] = scalarKey{kind: kind}
	default:
		w.skeys[i] = scalarKey{bits: bits, kind: kind}
	}
}

// scalarTag returns a hash of win and w.skeys (not of w.stail): the tag
// under which the scalar cache files the decision.
func (w *WindowSet) scalarTag(win *window) uint64 {
	h := win.id
	for _, k := range w.skeys[:len(w.cfg.Segments.Columns)] {
		h = (h ^ k.bits ^ uint64(k.n)<<40 ^ uint64(k.kind)<<60) * 0x9e3779b97f4a7c15
	}
	return h
}

// b2u is 1 for true, 0 for false (compiled without a branch).
func b2u(b bool) uint {
	if b {
		return 1
	}
	return 0
}

// cachedScalarRoute returns the remembered decision for w.skeys and
// w.stail in win, and sets w.stag. The slots whose tag matches are found
// without a branch per slot (which slot hits varies from record to record,
// and would be mispredicted), then checked in full.
func (w *WindowSet) cachedScalarRoute(win *window) *scalarSlot {
	tag := w.scalarTag(win)
	w.stag = tag
	t := &w.stags
	m := b2u(t[0] == tag) | b2u(t[1] == tag)<<1 | b2u(t[2] == tag)<<2 | b2u(t[3] == tag)<<3 |
		b2u(t[4] == tag)<<4 | b2u(t[5] == tag)<<5 | b2u(t[6] == tag)<<6 | b2u(t[7] == tag)<<7
	n := len(w.cfg.Segments.Columns)
	keys, tail := w.skeys[:n], w.stail
	for m != 0 {
		s := &w.scache[bits.TrailingZeros(m)]
		m &= m - 1
		if s.win != win || len(s.tail) != len(tail) || !slices.Equal(s.keys[:n], keys) {
			continue
		}
		if len(tail) == 0 || string(s.tail) == string(tail) {
			return s
		}
	}
	return nil
}

// rememberScalarRoute stores a decision for w.skeys and w.stail under
// w.stag (cachedScalarRoute), replacing the oldest.
func (w *WindowSet) rememberScalarRoute(win *window, e *entry, ovf bool) {
	i := w.snext
	w.snext = (w.snext + 1) % routeCacheSize
	s := &w.scache[i]
	s.win, s.keys, s.tail, s.e, s.ovf = win, w.skeys, append(s.tail[:0], w.stail...), e, ovf
	w.stags[i] = w.stag
}

// columnSegment routes a record of win into its column segment (or the
// overflow segment) and returns the entry, and whether it is the overflow
// segment. Records whose segment values are scalars are looked up by their
// scalar keys first (no formatting); the others, and misses, go through
// rawSegment.
func (w *WindowSet) columnSegment(win *window, fields Fields, offset int64) (*entry, bool) {
	if !w.scalarKeys(fields) {
		return w.rawSegment(win, fields, offset)
	}
	if s := w.cachedScalarRoute(win); s != nil {
		return s.e, s.ovf
	}
	e, ovf := w.rawSegment(win, fields, offset)
	w.rememberScalarRoute(win, e, ovf)
	return e, ovf
}

// rawSegment is columnSegment by the formatted segment values.
func (w *WindowSet) rawSegment(win *window, fields Fields, offset int64) (*entry, bool) {
	w.rawBuf = w.appendRawValues(w.rawBuf[:0], fields)
	if s := w.cachedRoute(win, w.rawBuf); s != nil {
		return s.e, s.ovf
	}
	w.keyBuf = w.appendRawKey(w.keyBuf[:0], w.rawBuf)
	ovf := false
	e := win.segs[string(w.keyBuf)]
	if e == nil {
		key := string(w.keyBuf)
		if _, ok := win.admitted[key]; ok || len(win.admitted) < w.maxSegs {
			w.rawValues(w.rawBuf)
			sg := w.ovfSeg.Clone() // same partition: only the tag values differ
			for i := range sg.Tags {
				sg.Tags[i].Value = w.valBuf[i]
			}
			if win.admitted == nil {
				win.admitted = map[string]struct{}{}
			}
			win.admitted[key] = struct{}{}
			e = w.newEntry(win, key, sg, offset)
		} else {
			ovf = true
			e = win.segs[OverflowSegmentKey]
			if e == nil {
				e = w.newEntry(win, OverflowSegmentKey, w.ovfSeg, offset)
			}
		}
	}
	w.rememberRoute(win, w.rawBuf, e, ovf)
	return e, ovf
}
