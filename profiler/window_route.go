package profiler

import (
	"encoding/binary"
	"strconv"
)

// ScalarFields is an optional interface of a Fields: a record whose values
// are decoded scalars (the pipeline's buffered records) exposes them without
// boxing them into an interface value. Route then reads segment values with
// ScalarField and formats them itself, byte for byte as SegmentValue formats
// the value Field returns; Field is still called when ScalarField declines.
type ScalarFields interface {
	Fields
	// ScalarField returns the named field's value. A field that is missing
	// or null is a ScalarNull. ok is false when the value is not a scalar
	// (Route then asks Field).
	ScalarField(name string) (s Scalar, ok bool)
}

// ScalarKind says which value of a Scalar is set.
type ScalarKind uint8

// Scalar kinds.
const (
	ScalarNull   ScalarKind = iota // missing or null: SegmentValue "None"
	ScalarBool                     // Bool: "True" or "False"
	ScalarInt                      // Int, in decimal
	ScalarFloat                    // Float, as Python's repr
	ScalarString                   // Str, unchanged
)

// Scalar is one field value of a ScalarFields record. Str may alias the
// record's buffer: Route does not keep it.
type Scalar struct {
	Kind  ScalarKind
	Bool  bool
	Int   int64
	Float float64
	Str   []byte
}

// AppendSegmentValue appends the segment value of s to dst: SegmentValue of
// the Go value s stands for (nil, bool, int64, float64 or string).
func AppendSegmentValue(dst []byte, s Scalar) []byte {
	switch s.Kind {
	case ScalarBool:
		if s.Bool {
			return append(dst, "True"...)
		}
		return append(dst, "False"...)
	case ScalarInt:
		return strconv.AppendInt(dst, s.Int, 10)
	case ScalarFloat:
		return append(dst, pythonFloat(s.Float)...)
	case ScalarString:
		return append(dst, s.Str...)
	}
	return append(dst, "None"...)
}

// appendFieldValue appends the segment value of the named field of fields
// (SegmentValue(nil), "None", when fields is nil or lacks it).
func appendFieldValue(dst []byte, fields Fields, sf ScalarFields, name string) []byte {
	if sf != nil {
		if s, ok := sf.ScalarField(name); ok {
			return AppendSegmentValue(dst, s)
		}
	}
	var v any
	if fields != nil {
		v, _ = fields.Field(name)
	}
	return append(dst, SegmentValue(v)...)
}

// routeCacheSize is the number of recent (window, segment values) decisions
// Route remembers. A stream cycling through a few segment values (countries,
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
}

// columnSegment routes a record of win into its column segment (or the
// overflow segment) and returns the entry.
func (w *WindowSet) columnSegment(win *window, fields Fields, offset int64, pl *Placement) *entry {
	w.rawBuf = w.appendRawValues(w.rawBuf[:0], fields)
	if s := w.cachedRoute(win, w.rawBuf); s != nil {
		if s.ovf {
			pl.Overflow = true
			w.stats.Overflow++
		}
		return s.e
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
	if ovf {
		pl.Overflow = true
		w.stats.Overflow++
	}
	w.rememberRoute(win, w.rawBuf, e, ovf)
	return e
}
