package profiler

import (
	"math"

	"github.com/kprofiler/kprofiler/sketches"
)

// The single-column update paths. A value logged into one column only (the
// Column methods; Columns uses the valueHashes paths in metrics.go) has no
// hashes to share, so these keep them in registers: no valueHashes to
// clear, and no pointer stores through it (which cost write barriers while
// the GC runs). Each has exactly the effect of its valueHashes counterpart
// with a fresh valueHashes; the property tests in metrics_memo_test.go hold
// them to that.

// updateInt64 is Column.UpdateInt64: it resolves a new column and does
// c.m.updateInt64(v, &valueHashes{}). (The exported method is a call of
// this one, small enough to be inlined into its callers.)
func (c *Column) updateInt64(v int64) {
	if c.typ == TypeUnknown {
		c.resolve(TypeIntegral)
	}
	m := &c.m
	m.counts.n++
	m.types.integral++
	if m.has&hasDist != 0 {
		m.dist.add(float64(v))
	}
	if m.has&hasInts != 0 {
		if v > m.ints.max {
			m.ints.max = v
		}
		if v < m.ints.min {
			m.ints.min = v
		}
	}
	if m.card == nil {
		if m.fi.fs != nil {
			var num [20]byte
			m.fi.fs.UpdateBytesHashed(sketches.FrequentIntItem(&num, v))
		}
		return
	}
	fs := m.fi.fs
	mm := m.memo()
	if mm != nil {
		e := mm.findNum(memoInt, uint64(v))
		mm.count(e != nil, m.counts.n)
		if e != nil && (e.fi || fs == nil) {
			// In the sketch already: skip the hashing and the HLL.
			if fs != nil && !fs.AddHinted(e.fih, &e.hint) {
				fs.UpdateBytesHinted(e.b[:e.n], e.fih, &e.hint)
			}
			return
		}
	}
	h1, h2 := sketches.HashInt64(v, sketches.DefaultSeed)
	m.card.UpdateHash(h1, h2)
	if mm == nil {
		if fs != nil {
			var num [20]byte
			fs.UpdateBytesHashed(sketches.FrequentIntItem(&num, v))
		}
		return
	}
	// The value is in the sketch now: remember it, formatting its digits
	// straight into the entry (the frequent items copy what they keep).
	e := mm.slot(memoMix(uint64(v)))
	e.kind, e.key, e.h1, e.h2, e.fi, e.n, e.hint = memoInt, uint64(v), h1, h2, false, 0, sketches.FrequentHint{}
	if fs != nil {
		d, fih := sketches.FrequentIntItem((*[20]byte)(e.b[:20]), v)
		e.n, e.fih, e.fi = uint8(len(d)), fih, true
		fs.UpdateBytesHinted(d, fih, &e.hint)
	}
}

// updateFloat64 is Column.UpdateFloat64: it resolves a new column and does
// c.m.updateFloat64(v, &valueHashes{}).
func (c *Column) updateFloat64(v float64) {
	if c.typ == TypeUnknown {
		c.resolve(TypeFractional)
	}
	m := &c.m
	if v != v || m.fi.fs != nil {
		var h valueHashes
		m.updateFloat64(v, &h)
		return
	}
	m.counts.n++
	if math.IsInf(v, 0) {
		m.counts.inf++
	}
	m.types.fractional++
	if m.has&hasDist != 0 {
		m.dist.add(v)
	}
	if m.card == nil {
		return
	}
	mm := m.memo()
	if mm == nil {
		m.card.UpdateHash(sketches.HashFloat64(v, sketches.DefaultSeed))
		return
	}
	key := math.Float64bits(v)
	e := mm.findNum(memoFloat, key)
	mm.count(e != nil, m.counts.n)
	if e != nil {
		return
	}
	h1, h2 := sketches.HashFloat64(v, sketches.DefaultSeed)
	m.card.UpdateHash(h1, h2)
	e = mm.slot(memoMix(key))
	e.kind, e.key, e.h1, e.h2, e.fi, e.n, e.hint = memoFloat, key, h1, h2, false, 0, sketches.FrequentHint{}
}

// updateStringBytes is Column.UpdateStringBytes (isStr false) and
// Column.UpdateString (isStr true, b the bytes of s: the frequent items then
// hash s, which they copy when it is new to them): it resolves a new column and does
// c.m.updateStringBytes(b, &valueHashes{}) or c.m.updateString(s,
// &valueHashes{}).
func (c *Column) updateStringBytes(b []byte, s string, isStr bool) {
	if c.typ == TypeUnknown {
		c.resolve(TypeString)
	}
	m := &c.m
	m.counts.n++
	m.types.string_++
	fs := m.fi.fs
	var mm *valueMemo
	if m.card != nil && m.memoStrOK(len(b)) {
		mm = m.memo()
	}
	if mm == nil {
		if len(b) != 0 && m.card != nil {
			m.card.UpdateHash(sketches.HashBytes(b, sketches.DefaultSeed))
		}
		if fs != nil {
			if isStr {
				it := m.fi.truncate(s)
				fs.UpdateHashed(it, sketches.FrequentHash(it))
			} else {
				it := truncateBytes(b, m.fi.maxSize)
				fs.UpdateBytesHashed(it, sketches.FrequentHashBytes(it))
			}
		}
		return
	}
	w0, w1 := memoStrWords(b)
	e := mm.findStr(w0, w1, b)
	mm.count(e != nil, m.counts.n)
	var fih uint64
	if e != nil && (e.fi || fs == nil) {
		fih = e.fih
		if fs != nil && fs.AddHinted(fih, &e.hint) {
			return
		}
	} else {
		// b is short and, with frequent items, not truncated (memoStrOK).
		var h1, h2 uint64
		if len(b) != 0 {
			h1, h2 = sketches.HashBytes(b, sketches.DefaultSeed)
			m.card.UpdateHash(h1, h2)
		}
		if fs != nil {
			fih = sketches.FrequentHashBytes(b)
		}
		e = mm.putStr(w0, w1, b, h1, h2, fih, fs != nil)
	}
	if fs != nil {
		if isStr {
			fs.UpdateHashedHinted(s, fih, &e.hint)
		} else {
			fs.UpdateBytesHinted(b, fih, &e.hint)
		}
	}
}
