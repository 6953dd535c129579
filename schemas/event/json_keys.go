package event

import "encoding/binary"

// Key cache. Records of one stream mostly repeat the keys of the previous
// record in the same order, so the decoder remembers, per key position in
// the record, the key's raw bytes and the column name reported for it. The
// hot case — the same key at the same position — is one byte compare of the
// input against the remembered key and its closing quote, with no string
// scanning and no name interning. A cache changes speed only: a key is only
// remembered when its body had no escapes and no invalid UTF-8 (so the
// input bytes are the key), and a remembered name is only reused when the
// key's parent path and nesting are those it was recorded with (so the
// column name is the same string). TestJSONKeyCache* check it against a
// decoder whose cache is disabled.

// keyEntry is what the decoder remembers about the key at one position.
type keyEntry struct {
	rawq []byte // the key's bytes and the closing quote; empty: never matched
	name string // column name of the key's value in context (plen, top); "" unknown
	plen int    // length of the parent path
	top  bool   // the key belongs to the top-level object
	// fast: name is known (not "") and the key belongs to the top-level object
	// (plen 0): the Record fast path (json_record.go) may use it. time:
	// fast, and name is the event-time field. Both are set with name (in
	// nameSlow) and cleared with it.
	fast, time bool
	// The Record fast path matches the key with its quotes and the colon
	// right after it: the pattern `"` + rawq + ":" (np bytes). w0 and w1 are its first and last
	// (up to) eight bytes as little-endian words, masked by m0 to np bytes
	// when it is shorter, and off1 is the offset of the last word; w2 is
	// the word at offset 8 when np > 16 (see matchKey).
	w0, w1, w2, m0 uint64
	off1, np       int
	// fnp is np when fast, else noFast (larger than any input): the
	// Record fast path tests both with one length check.
	fnp int
}

// noFast is keyEntry.fnp of an entry the Record fast path may not use.
const noFast = 1 << 62

// setWords computes the pattern words from rawq (not empty).
func (e *keyEntry) setWords() {
	var buf [32]byte
	p := append(append(append(buf[:0], '"'), e.rawq...), ':')
	n := len(p)
	e.np = n
	e.w2 = 0
	if n > 16 {
		e.w2 = binary.LittleEndian.Uint64(p[8:])
	}
	if n >= 8 {
		e.w0 = binary.LittleEndian.Uint64(p)
		e.w1 = binary.LittleEndian.Uint64(p[n-8:])
		e.m0, e.off1 = ^uint64(0), n-8
		return
	}
	var w uint64
	for k := n - 1; k >= 0; k-- {
		w = w<<8 | uint64(p[k])
	}
	e.w0, e.w1, e.m0, e.off1 = w, w, 1<<(8*n)-1, 0
}

// matchKey reports whether data[i:] starts with '"', e.rawq and ':' (i is
// the key's opening quote). With eight bytes to read at both ends it
// is two masked word compares, three for patterns of 17 to 24 bytes, plus
// a byte compare of the middle of longer ones; equalShort is the reference
// (TestMatchKey). recordMembers has it inline.
func (e *keyEntry) matchKey(data []byte, i int) bool {
	n := e.np
	k := i + n
	if k > len(data) || n == 0 {
		return false
	}
	if i+8 > len(data) {
		return data[i] == '"' && equalShort(data[i+1:k-1], e.rawq) && data[k-1] == ':'
	}
	a := binary.LittleEndian.Uint64(data[i:])
	b := binary.LittleEndian.Uint64(data[i+e.off1:])
	if (a^e.w0)&e.m0|(b^e.w1)&e.m0 != 0 {
		return false
	}
	return n <= 16 || binary.LittleEndian.Uint64(data[i+8:]) == e.w2 &&
		(n <= 24 || string(data[i+16:k-8]) == string(e.rawq[15:n-9]))
}

// keyHit tells value how to name the column of the key just parsed.
type keyHit struct {
	// name is the column name when known, else "". When it is known,
	// d.path has not been extended with the key (value calls path).
	name  string
	entry int // d.keys index to remember the name in, -1 for none
}

// maxKeys bounds the number of key positions remembered per decoder.
const maxKeys = 1024

// key parses the key whose body starts at i (just past the opening quote)
// and sets d.path to its column path: the parent path d.path[:plen], the
// separator unless the key is in the top-level object, then the key. It
// returns the offset past the closing quote.
//
// This is the hot case only, kept small: the key at this position has a
// remembered name for the same parent path (never with a filter: names
// are only remembered without one, since the filter needs d.path). The
// path is then that name; d.path is left at the parent path plus junk and
// value materializes it only where it is needed (objects, arrays).
func (d *JSONDecoder) key(i, plen int) (int, keyHit, *Error) {
	if kk := d.nkey; kk < len(d.keys) {
		e := &d.keys[kk]
		if e.name != "" && e.plen == plen && e.top == (d.depth == 1) {
			if k := i + len(e.rawq); k <= len(d.data) && equalShort(d.data[i:k], e.rawq) &&
				(plen == 0 || e.name[:plen] == string(d.path[:plen])) {
				d.nkey++
				return k, keyHit{name: e.name, entry: -1}, nil
			}
		}
	}
	return d.keySlow(i, plen)
}

// keySlow is key without a remembered name: it matches the remembered raw
// key (skipping the scan) or parses the key and remembers it.
func (d *JSONDecoder) keySlow(i, plen int) (int, keyHit, *Error) {
	data := d.data
	kk := d.nkey
	d.nkey++
	top := d.depth == 1
	remember := !d.noKeyCache && !d.filter // names are only remembered without a filter
	if kk < len(d.keys) && !d.noKeyCache {
		e := &d.keys[kk]
		if k := i + len(e.rawq); len(e.rawq) > 0 && k <= len(data) && equalShort(data[i:k], e.rawq) {
			d.path = d.path[:plen]
			if !top {
				d.path = append(d.path, d.sep...)
			}
			d.path = append(d.path, e.rawq[:len(e.rawq)-1]...)
			e.plen, e.top, e.name, e.fast, e.time = plen, top, "", false, false
			e.fnp = noFast
			if remember {
				return k, keyHit{entry: kk}, nil
			}
			return k, keyHit{entry: -1}, nil
		}
	}
	key, j, err := d.str(i)
	if err != nil {
		return j, keyHit{entry: -1}, err
	}
	d.path = d.path[:plen]
	if !top {
		d.path = append(d.path, d.sep...)
	}
	d.path = append(d.path, key...)
	hit := keyHit{entry: -1}
	if kk <= len(d.keys) && kk < maxKeys && !d.noKeyCache {
		if kk == len(d.keys) {
			d.keys = append(d.keys, keyEntry{}) // fnp is set below
		}
		e := &d.keys[kk]
		e.rawq, e.name, e.plen, e.top, e.fast, e.time = e.rawq[:0], "", plen, top, false, false
		e.fnp = noFast
		// The key aliases the input exactly when it needed no rewriting.
		if len(key) == j-1-i && (len(key) == 0 || &key[0] == &data[i]) {
			e.rawq = append(e.rawq, data[i:j]...)
			e.setWords()
			if remember {
				hit.entry = kk
			}
		}
	}
	return j, hit, nil
}

// pathOf makes d.path the column path of the key just parsed and returns
// its length.
func (d *JSONDecoder) pathOf(hit keyHit) int {
	if hit.name != "" {
		d.path = append(d.path[:0], hit.name...)
	}
	return len(d.path)
}

// equalShort reports whether a and b (of equal length) hold the same bytes;
// keys are short, so words are compared inline (overlapping loads) instead of
// calling the runtime's memequal.
func equalShort(a, b []byte) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	switch {
	case n >= 8 && n <= 16:
		return binary.LittleEndian.Uint64(a) == binary.LittleEndian.Uint64(b) &&
			binary.LittleEndian.Uint64(a[n-8:]) == binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4 && n < 8:
		return binary.LittleEndian.Uint32(a) == binary.LittleEndian.Uint32(b) &&
			binary.LittleEndian.Uint32(a[n-4:]) == binary.LittleEndian.Uint32(b[n-4:])
	case n < 4:
		for k := range n {
			if a[k] != b[k] {
				return false
			}
		}
		return true
	}
	return string(a) == string(b)
}
