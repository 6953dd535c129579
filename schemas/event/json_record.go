package event

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Record fast path. When the visitor is a *Record (the pipeline's case),
// the members of the top-level object whose keys hit the key cache
// (json_keys.go) are decoded by recordMembers: strings and numbers are
// parsed inline and appended to the Record directly, without Visitor
// interface calls and without the general loop's filter, naming and
// event-time bookkeeping, which a cached top-level key has already settled
// (no filter, column name known, event-time flag precomputed).
//
// A key is matched together with its quotes and the colon right after it
// (keyEntry's pattern words). Strings without escapes, control or non-ASCII
// bytes are scanned inline and stored as spans of one copy of the whole
// input appended to the arena (one memmove per record instead of one per
// string); other strings go through str and are copied.
//
// It reports exactly what the general loop (members) reports, in the same
// order, with the same errors: at the start of a member whose key it does
// not match (a cache miss, an escaped or empty key, whitespace before the
// colon, the end of the input) it hands the rest of the object to members
// at that member's start, before reporting anything for it, and members
// redoes the key exactly as it would have. Values that are neither strings,
// numbers nor literals go through the general value with the cached name;
// string and number errors are the ones str, parseNum and members report.
// TestJSONRecordFastPath, TestJSONRecordFastKeys and FuzzJSONRecordFastPath
// compare it with the plain decoder.

// recordMembers parses the members of the top-level object from i, the
// start of the first member (whitespace skipped), to past the closing '}';
// d.depth is 1.
func (d *JSONDecoder) recordMembers(r *Record, i int) (int, *Error) {
	data := d.data
	// A copy of the input in the arena: strings without escapes are spans
	// of it (no copy per string).
	base := len(r.arena)
	r.arena = append(r.arena, data...)
	keys := d.keys
	for {
		kk := d.nkey
		if kk >= len(keys) {
			break
		}
		e := &keys[kk]
		if !e.fast {
			break
		}
		// e.matchKey(data, i), inline: the quoted key and the colon.
		n := e.np
		k := i + n
		if k > len(data) {
			break
		}
		if i+8 <= len(data) {
			a := binary.LittleEndian.Uint64(data[i:])
			b := binary.LittleEndian.Uint64(data[i+e.off1:])
			if (a^e.w0)&e.m0|(b^e.w1)&e.m0 != 0 {
				break
			}
			if n > 16 && (binary.LittleEndian.Uint64(data[i+8:]) != e.w2 ||
				n > 24 && string(data[i+16:k-8]) != string(e.rawq[15:n-9])) {
				break
			}
		} else if data[i] != '"' || !equalShort(data[i+1:k-1], e.rawq) || data[k-1] != ':' {
			break
		}
		if k < len(data) && data[k] <= ' ' {
			k = skipWS(data, k)
		}
		if k >= len(data) {
			break
		}
		d.nkey = kk + 1
		d.field++
		var kind ValueKind
		var v uint64
		switch c := data[k]; {
		case c == '"':
			// str's word scan, inline: a string without escapes, control
			// bytes or non-ASCII bytes (else str does it all again).
			j := k + 1
			for j+8 <= len(data) {
				w := binary.LittleEndian.Uint64(data[j:])
				q, bs := w^(lsb*'"'), w^(lsb*'\\')
				if m := ((q - lsb) | (bs - lsb) | (w - lsb*0x20) | w) & msb; m != 0 {
					j += bits.TrailingZeros64(m) >> 3
					break
				}
				j += 8
			}
			for j < len(data) && data[j] != '"' && data[j] != '\\' && data[j]-0x20 < 0x60 {
				j++
			}
			var s []byte
			if j < len(data) && data[j] == '"' {
				// The bytes are in the arena's copy of the input.
				s = data[k+1 : j]
				v = uint64(base+k+1)<<32 | uint64(base+j)
				j++
			} else {
				var err *Error
				if s, v, j, err = d.recordStr(r, k+1); err != nil {
					return j, err
				}
			}
			if e.time {
				d.timeString(s)
			}
			kind, i = StringValue, j
		case c-'0' <= 9 || c == '-':
			j, nk, iv, fv := parseNum(data, k)
			if j < 0 {
				return -j, d.err(-j, "invalid number")
			}
			if nk == numInt {
				if e.time {
					d.raw.Kind, d.raw.Int = TimeInt, iv
				}
				kind, v = IntValue, uint64(iv)
			} else {
				if e.time {
					d.raw.Kind, d.raw.Float = TimeFloat, fv
				}
				kind, v = FloatValue, math.Float64bits(fv)
			}
			i = j
		case c == 'n' && hasLit(data, k, "null"):
			if e.time {
				d.raw.Kind = TimeNone
			}
			kind, i = NullValue, k+4
		case c == 't' && hasLit(data, k, "true"):
			kind, v, i = BoolValue, 1, k+4
		case c == 'f' && hasLit(data, k, "false"):
			kind, i = BoolValue, k+5
		default:
			// Objects, arrays and errors: the general value,
			// which names the column by the cached name (d.field is
			// advanced by name, so undo the advance above).
			d.field--
			var err *Error
			if i, err = d.value(k, len(e.name), true, false, keyHit{name: e.name, entry: -1}); err != nil {
				return i, err
			}
			keys = d.keys // value may have grown the cache
		}
		if kind != 0 {
			// r.add, inline: the slot, then the name table.
			nv := len(r.vals)
			if nv < cap(r.vals) {
				r.vals = r.vals[:nv+1]
				r.vals[nv] = slot{bits: v, kind: kind}
			} else {
				r.vals = append(r.vals, slot{bits: v, kind: kind})
			}
			if cols := r.cols; nv < len(cols) {
				// Unlike add, store without comparing first: the
				// compare costs more than the store while the GC is
				// idle (it is with zero allocations per record); only
				// while it marks does the store pay a write barrier.
				cols[nv] = e.name
			} else {
				r.cols = append(r.cols, e.name)
			}
		}
		// The separator, as members parses it.
		if i < len(data) && data[i] == ',' {
			i++
		} else {
			i = skipWS(data, i)
			if i >= len(data) {
				return i, d.err(i, "unexpected end of input, want ',' or '}'")
			}
			switch data[i] {
			case ',':
				i++
			case '}':
				d.depth--
				return i + 1, nil
			default:
				return i, d.err(i, "want ',' or '}'")
			}
		}
		if i < len(data) && data[i] <= ' ' {
			i = skipWS(data, i)
		}
	}
	return d.members(i, 0, true, false)
}

// recordObject is object for the top-level object (i just past '{') with
// r as the visitor.
func (d *JSONDecoder) recordObject(r *Record, i int) (int, *Error) {
	d.depth++ // 1, within every MaxDepth
	data := d.data
	i = skipWS(data, i)
	if i < len(data) && data[i] == '}' {
		d.depth--
		return i + 1, nil
	}
	return d.recordMembers(r, i)
}

// recordStr is str for a string the inline scan does not finish, copied to
// the arena; v is its span.
func (d *JSONDecoder) recordStr(r *Record, i int) (s []byte, v uint64, j int, err *Error) {
	if s, j, err = d.str(i); err != nil {
		return nil, 0, j, err
	}
	start := uint64(len(r.arena))
	r.arena = append(r.arena, s...)
	return s, start<<32 | uint64(len(r.arena)), j, nil
}

// timeString sets the raw event time to the string s.
func (d *JSONDecoder) timeString(s []byte) {
	d.timeBuf = append(d.timeBuf[:0], s...)
	d.raw.Kind, d.raw.Str = TimeString, d.timeBuf
}
