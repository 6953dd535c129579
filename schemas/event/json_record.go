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
// string); other strings go through str and are copied. The loop scans that
// copy, padded with zero bytes (recordPad), so its word loads and byte
// tests need no end-of-input checks; TestJSONRecordPaddedScanEnds cuts and
// corrupts records at every byte. Unsigned integers of up to 18 digits are
// parsed inline too (TestJSONRecordNumbers); other numbers go to parseNum.
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

// recordPad is the number of zero bytes appended after the arena's copy of
// the input. recordMembers scans that padded copy: every eight-byte load at
// an offset up to the end of the input stays inside it, so the loops need
// no end-of-input checks of their own. A zero byte is none of the bytes the
// loop looks for ('"', ':', ',', '}', digits, literals, whitespace) and
// stops a string scan (a control byte), so the padding never matches
// anything: at the end of the input the loop breaks or hands over to the
// general code exactly where it did before (which checks the real end).
const recordPad = 16

// load8 returns the eight bytes of b at i as a little-endian word.
func load8(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i : i+8 : i+8]) }

// recordMembers parses the members of the top-level object from i, the
// start of the first member (whitespace skipped), to past the closing '}';
// d.depth is 1.
func (d *JSONDecoder) recordMembers(r *Record, i int) (int, *Error) {
	n0 := len(d.data)
	// A copy of the input in the arena, padded: strings without escapes
	// are spans of it (no copy per string), and the loop scans it.
	base := len(r.arena)
	r.arena = append(r.arena, d.data...)
	r.arena = append(r.arena, make([]byte, recordPad)...)
	buf := r.arena[base : base+n0+recordPad : base+n0+recordPad]
	for {
		kk := d.nkey
		if uint(kk) >= uint(len(d.keys)) {
			break
		}
		e := &d.keys[kk]
		// e.matchKey(data, i), inline, on the padded copy: the quoted
		// key and the colon (i <= n0, so both loads are inside buf).
		// Entries that are not fast have fnp noFast: k > n0.
		n := e.fnp
		k := i + n
		if k > n0 || (load8(buf, i)^e.w0)&e.m0|(load8(buf, i+e.off1)^e.w1)&e.m0 != 0 {
			break
		}
		if n > 16 && (load8(buf, i+8) != e.w2 ||
			n > 24 && string(buf[i+16:k-8]) != string(e.rawq[15:n-9])) {
			break
		}
		if buf[k] <= ' ' {
			k = skipWS(d.data, k)
			if k >= n0 {
				break
			}
		}
		d.nkey = kk + 1
		d.field++
		var kind ValueKind
		var v uint64
		switch c := buf[k]; {
		case c == '"':
			// str's word scan, inline: a string without escapes, control
			// bytes or non-ASCII bytes (else str does it all again). The
			// padding stops the scan at the end of the input.
			j := k + 1
			for {
				w := load8(buf, j)
				q, bs := w^(lsb*'"'), w^(lsb*'\\')
				if m := ((q - lsb) | (bs - lsb) | (w - lsb*0x20) | w) & msb; m != 0 {
					j += bits.TrailingZeros64(m) >> 3
					break
				}
				j += 8
			}
			var s []byte
			if buf[j] == '"' { // not the padding: j < n0
				// The bytes are in the arena's copy of the input.
				s = buf[k+1 : j]
				v = uint64(base+k+1)<<32 | uint64(base+j)
				j++
			} else {
				var err *Error
				if _, v, j, err = d.recordStr(r, k+1); err != nil {
					return j, err
				}
				s = r.str(v)
			}
			if e.time {
				// The string in the Record's arena, not copied to
				// timeBuf: valid until the Record is written after
				// a Reset (see Decode).
				d.raw.Kind, d.raw.Str = TimeString, s
			}
			kind, i = StringValue, j
		case c-'0' <= 9 || c == '-':
			// Unsigned integers of at most 18 digits inline (the
			// padding ends the digit run); other numbers, and those
			// followed by '.', 'e' or 'E', go to parseNum.
			j := k
			var m uint64
			for x := buf[j] - '0'; x <= 9; x = buf[j] - '0' {
				m = m*10 + uint64(x)
				j++
			}
			nk, iv, fv := numInt, int64(m), 0.0
			if nd := j - k; uint(nd-1) >= 18 || c == '0' && nd > 1 || buf[j] == '.' || buf[j]|0x20 == 'e' {
				j, nk, iv, fv = parseNum(d.data, k)
				if j < 0 {
					return -j, d.err(-j, "invalid number")
				}
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
		case c == 'n' && uint32(load8(buf, k)) == 'n'|'u'<<8|'l'<<16|'l'<<24:
			if e.time {
				d.raw.Kind = TimeNone
			}
			kind, i = NullValue, k+4
		case c == 't' && uint32(load8(buf, k)) == 't'|'r'<<8|'u'<<16|'e'<<24:
			kind, v, i = BoolValue, 1, k+4
		case c == 'f' && load8(buf, k)&(1<<40-1) == 'f'|'a'<<8|'l'<<16|'s'<<24|'e'<<32:
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
		// The separator, as members parses it (the padding is neither
		// ',', '}' nor whitespace).
		if buf[i] == ',' {
			i++
		} else {
			if buf[i] <= ' ' {
				i = skipWS(d.data, i)
			}
			switch buf[i] {
			case ',':
				i++
			case '}':
				d.depth--
				return i + 1, nil
			default:
				if i >= n0 {
					return i, d.err(i, "unexpected end of input, want ',' or '}'")
				}
				return i, d.err(i, "want ',' or '}'")
			}
		}
		if buf[i] <= ' ' {
			i = skipWS(d.data, i)
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
