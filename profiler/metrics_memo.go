package profiler

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/kprofiler/kprofiler/sketches"
)

// The value memo of a metricSet remembers, for the last few distinct values
// a column logged, the sketch inputs they cost to compute: the cardinality
// hash (h1, h2), the frequent-items hash and, for integers, the decimal
// digits. It exists because a column of low cardinality (countries, device
// types, small integers) logs the same handful of values over and over.
//
// Exactness rests on one property of the HLL sketch: inserting a hash that
// is already in it leaves every byte unchanged, in LIST and SET mode (the
// coupon is found) and in HLL mode (the register already holds at least the
// value; HLL_4 keeps absolute values across curMin shifts). An entry is only
// ever written after its value went into the sketch the memo belongs to
// (memo.card), and the sketch only grows, so a memo hit skips the hashing
// and the HLL update; the frequent items still get their update (with the
// remembered hash, and through the entry's slot hint: the sketch checks the
// hint and does the normal update when it is stale, so the hint changes
// speed only) and the counters and the KLL are updated as before. A
// memo is tied to one *HLL: a metricSet whose sketch is replaced (clone,
// merge, resolve, decoding) starts without a memo, and a memo that finds
// another sketch in its set empties itself first. The invariant this needs
// from the rest of the package: a metricSet's card is only ever changed in
// place by updates (UnmarshalBinary is only called on fresh sketches, in
// component.go); anything that could remove values from it in place must
// set the set's vm to nil.
//
// The memo is adaptive: it is created once the column has logged memoAfter
// values, and a column whose hit rate over a window of memoWindow probes is
// below 1/4 (ids, timestamps, prices) stops probing for memoBackoff values,
// doubling up to memoMaxBackoff while it keeps missing. Everything depends
// only on the data, and nothing of it reaches the output.

const (
	memoWays       = 2
	memoSets       = 8
	memoSetBits    = 3 // log2(memoSets)
	memoMaxBytes   = 29
	memoAfter      = 32
	memoWindow     = 128
	memoBackoff    = 1024
	memoMaxBackoff = 1 << 16
)

// memoEnabled lets tests build reference profiles without memos; it is
// read only when a memo would be created.
var memoEnabled = true

// Kinds of memo entries (0: empty).
const (
	memoInt uint8 = 1 + iota
	memoFloat
	memoStr
)

// memoEntry is one remembered value.
type memoEntry struct {
	h1, h2 uint64 // sketches.Hash* of the value, DefaultSeed (0, 0 for "")
	fih    uint64 // the frequent-items hash of the item (when fi)
	key    uint64 // ints: the value; floats: its bits; strings: memoStrWords …
	key2   uint64 // … and its second word
	kind   uint8
	n      uint8 // an integer's digits in b, or the string's length (its bytes in b when longer than memoWordsExact)
	fi     bool  // fih (and an integer's digits) set
	b      [memoMaxBytes]byte
	// hint is where the value's item sat in the frequent-items sketch when
	// it was last counted (zero when unknown): only ever used with this
	// entry's item, and checked by the sketch, so a stale one costs a normal
	// update.
	hint sketches.FrequentHint
}

// valueMemo is a 2-way set-associative table of memoEntry, plus the
// probing statistics that switch it off for columns it does not help.
type valueMemo struct {
	card    *sketches.HLL // the sketch every entry's value is in
	probes  uint32        // probes in the current window
	hits    uint32        // hits in the current window
	resume  int64         // counts.n from which on the memo is probed again
	backoff int64         // the next pause after a poor window, in values
	bools   uint8         // bit i: bool i (its hash) is in card
	// boolHints[i] is where bool i's frequent item ("False", "True") sat
	// in the frequent-items sketch when it was last counted.
	boolHints [2]sketches.FrequentHint
	e         [memoSets * memoWays]memoEntry
}

// memo returns m's memo if it should be probed for this value, creating it
// once the column has logged memoAfter values; nil otherwise. m.card must
// be non-nil.
func (m *metricSet) memo() *valueMemo {
	mm := m.vm
	if mm == nil {
		if m.counts.n < memoAfter || !memoEnabled {
			return nil
		}
		mm = &valueMemo{card: m.card, backoff: memoBackoff}
		m.vm = mm
	}
	if m.counts.n < mm.resume {
		return nil
	}
	if mm.card != m.card {
		mm.reset(m.card)
	}
	return mm
}

// reset empties the memo and ties it to card.
func (mm *valueMemo) reset(card *sketches.HLL) {
	*mm = valueMemo{card: card, backoff: memoBackoff}
}

// count records one probe, of the column's n-th value; at the end of a
// window with a poor hit rate it switches probing off for the next backoff
// values.
func (mm *valueMemo) count(hit bool, n int64) {
	mm.probes++
	if hit {
		mm.hits++
	}
	if mm.probes < memoWindow {
		return
	}
	if 4*mm.hits < mm.probes {
		mm.resume = n + 1 + mm.backoff
		mm.backoff = min(2*mm.backoff, memoMaxBackoff)
	} else {
		mm.backoff = memoBackoff
	}
	mm.probes, mm.hits = 0, 0
}

// memoMix spreads a 64-bit key (Fibonacci hashing); its top memoSetBits
// bits pick the set.
func memoMix(x uint64) uint64 { return x * 0x9e3779b97f4a7c15 }

func memoSet(key uint64) uint64 { return key >> (64 - memoSetBits) }

// memoStrWords returns two words that, with len(b), identify a string of
// at most 16 bytes: its first and last 8 bytes (overlapping), or 4 bytes,
// or its bytes 0, n/2 and n−1. Longer strings are matched on their bytes
// as well.
func memoStrWords(b []byte) (w0, w1 uint64) {
	n := len(b)
	switch {
	case n >= 8:
		return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		return uint64(b[0])<<16 | uint64(b[n>>1])<<8 | uint64(b[n-1]), 0
	}
	return 0, 0
}

// memoStrSet is the set key of a string with words w0, w1 and length n.
func memoStrSet(w0, w1 uint64, n int) uint64 {
	return memoMix(w0 ^ bitsRotl(w1, 29) ^ bitsRotl(uint64(n), 40))
}

// memoWordsExact is the length up to which the words identify a string.
const memoWordsExact = 16

func bitsRotl(x uint64, k uint) uint64 { return x<<k | x>>(64-k) }

// findNum returns the entry holding the integer or float key, or nil.
func (mm *valueMemo) findNum(kind uint8, key uint64) *memoEntry {
	s := memoSet(memoMix(key)) * memoWays
	if e := &mm.e[s]; e.key == key && e.kind == kind {
		return e
	}
	if e := &mm.e[s+1]; e.key == key && e.kind == kind {
		return e
	}
	return nil
}

// findStr returns the entry holding string b (words w0, w1), or nil.
func (mm *valueMemo) findStr(w0, w1 uint64, b []byte) *memoEntry {
	s := memoSet(memoStrSet(w0, w1, len(b))) * memoWays
	if e := &mm.e[s]; e.key == w0 && e.key2 == w1 && int(e.n) == len(b) && e.kind == memoStr &&
		(len(b) <= memoWordsExact || string(e.b[:e.n]) == string(b)) {
		return e
	}
	if e := &mm.e[s+1]; e.key == w0 && e.key2 == w1 && int(e.n) == len(b) && e.kind == memoStr &&
		(len(b) <= memoWordsExact || string(e.b[:e.n]) == string(b)) {
		return e
	}
	return nil
}

// slot returns the entry to overwrite for a new key in the set of setKey:
// the set's first way, after its content moved to the second (the set
// keeps its two most recently inserted values).
func (mm *valueMemo) slot(setKey uint64) *memoEntry {
	s := memoSet(setKey) * memoWays
	mm.e[s+1] = mm.e[s]
	return &mm.e[s]
}

// putInt remembers integer v with the hashes in h (h.card set; h.fi and the
// digits in h.num when fi) and returns its entry (with no hint).
func (mm *valueMemo) putInt(v int64, h *valueHashes, fi bool) *memoEntry {
	e := mm.slot(memoMix(uint64(v)))
	e.kind, e.key, e.h1, e.h2, e.fi, e.hint = memoInt, uint64(v), h.h1, h.h2, fi, sketches.FrequentHint{}
	if fi {
		e.fih = h.itemHash
		e.n = uint8(copy(e.b[:], h.num[:h.numLen]))
	}
	return e
}

// putFloat remembers the cardinality hash of the double with bits key.
func (mm *valueMemo) putFloat(key uint64, h *valueHashes) {
	e := mm.slot(memoMix(key))
	e.kind, e.key, e.h1, e.h2, e.fi, e.hint = memoFloat, key, h.h1, h.h2, false, sketches.FrequentHint{}
}

// putStr remembers string b (len(b) ≤ memoMaxBytes, words w0, w1), its
// cardinality hash and, when fi, its frequent-items hash, and returns its
// entry (with no hint).
func (mm *valueMemo) putStr(w0, w1 uint64, b []byte, h1, h2, fih uint64, fi bool) *memoEntry {
	e := mm.slot(memoStrSet(w0, w1, len(b)))
	e.kind, e.key, e.key2, e.h1, e.h2, e.fih, e.fi, e.n = memoStr, w0, w1, h1, h2, fih, fi, uint8(len(b))
	e.hint = sketches.FrequentHint{}
	if len(b) > memoWordsExact {
		copy(e.b[:], b)
	}
	return e
}

// intSketches logs integer v into the cardinality and frequent items
// through the memo mm (m.memo()). m.card is non-nil.
func (m *metricSet) intSketches(v int64, h *valueHashes, mm *valueMemo) {
	fs := m.fi.fs
	e := mm.findNum(memoInt, uint64(v))
	mm.count(e != nil, m.counts.n)
	if e != nil && (e.fi || fs == nil) {
		// In the sketch already: skip the hashing and the HLL.
		if !h.card {
			h.h1, h.h2, h.card = e.h1, e.h2, true
		}
		if fs != nil {
			if !h.fi {
				h.numLen = copy(h.num[:], e.b[:e.n])
				h.itemHash, h.fi = e.fih, true
			}
			if !fs.AddHinted(e.fih, &e.hint) {
				fs.UpdateBytesHinted(e.b[:e.n], e.fih, &e.hint)
			}
		}
		return
	}
	if !h.card {
		h.h1, h.h2 = sketches.HashInt64(v, sketches.DefaultSeed)
		h.card = true
	}
	m.card.UpdateHash(h.h1, h.h2)
	if fs != nil && !h.fi {
		d, fih := sketches.FrequentIntItem(&h.num, v)
		h.numLen, h.itemHash, h.fi = len(d), fih, true
	}
	e = mm.putInt(v, h, fs != nil)
	if fs != nil {
		fs.UpdateBytesHinted(h.num[:h.numLen], h.itemHash, &e.hint)
	}
}

// floatCard logs double v into the cardinality through the memo mm
// (m.memo()). m.card is non-nil.
func (m *metricSet) floatCard(v float64, h *valueHashes, mm *valueMemo) {
	key := math.Float64bits(v)
	e := mm.findNum(memoFloat, key)
	mm.count(e != nil, m.counts.n)
	if e != nil {
		if !h.card {
			h.h1, h.h2, h.card = e.h1, e.h2, true
		}
		return
	}
	if !h.card {
		h.h1, h.h2 = sketches.HashFloat64(v, sketches.DefaultSeed)
		h.card = true
	}
	m.card.UpdateHash(h.h1, h.h2)
	mm.putFloat(key, h)
}

// memoStrOK reports whether a string of n bytes may go through the memo:
// it fits an entry and is never truncated for the frequent items (n bytes
// are at most n characters).
func (m *metricSet) memoStrOK(n int) bool {
	return n <= memoMaxBytes && (m.fi.fs == nil || n <= m.fi.maxSize)
}

// strSketches logs string b (memoStrOK(len(b))) into the cardinality and
// frequent items through the memo; s is string(b) when the caller has it
// as a string (the frequent items get s, which they copy when it is new), "" otherwise (they
// copy b). It reports false, having done nothing, when the memo is not
// probed. m.card is non-nil.
func (m *metricSet) strSketches(b []byte, s string, isStr bool, h *valueHashes) bool {
	mm := m.memo()
	if mm == nil {
		return false
	}
	fs := m.fi.fs
	w0, w1 := memoStrWords(b)
	e := mm.findStr(w0, w1, b)
	mm.count(e != nil, m.counts.n)
	if e != nil && (e.fi || fs == nil) {
		if !h.card {
			h.h1, h.h2, h.card = e.h1, e.h2, true
		}
		if fs != nil {
			if isStr {
				if !h.fi || h.itemMax != m.fi.maxSize {
					h.item, h.itemHash, h.itemMax, h.fi = s, e.fih, m.fi.maxSize, true
				}
				if !fs.AddHinted(e.fih, &e.hint) {
					fs.UpdateHashedHinted(s, e.fih, &e.hint)
				}
			} else {
				if !h.fi || h.itemMax != m.fi.maxSize {
					h.itemB, h.itemHash, h.itemMax, h.fi = b, e.fih, m.fi.maxSize, true
				}
				if !fs.AddHinted(e.fih, &e.hint) {
					fs.UpdateBytesHinted(b, e.fih, &e.hint)
				}
			}
		}
		return true
	}
	if !h.card {
		if len(b) == 0 {
			h.h1, h.h2 = 0, 0
		} else {
			h.h1, h.h2 = sketches.HashBytes(b, sketches.DefaultSeed)
		}
		h.card = true
	}
	if len(b) != 0 {
		m.card.UpdateHash(h.h1, h.h2)
	}
	if fs == nil {
		mm.putStr(w0, w1, b, h.h1, h.h2, h.itemHash, false)
		return true
	}
	// b is not truncated (memoStrOK).
	if isStr {
		if !h.fi || h.itemMax != m.fi.maxSize {
			h.item, h.itemHash, h.itemMax, h.fi = s, sketches.FrequentHash(s), m.fi.maxSize, true
		}
		e = mm.putStr(w0, w1, b, h.h1, h.h2, h.itemHash, true)
		fs.UpdateHashedHinted(s, h.itemHash, &e.hint)
	} else {
		if !h.fi || h.itemMax != m.fi.maxSize {
			h.itemB, h.itemHash, h.itemMax, h.fi = b, sketches.FrequentHashBytes(b), m.fi.maxSize, true
		}
		e = mm.putStr(w0, w1, b, h.h1, h.h2, h.itemHash, true)
		fs.UpdateBytesHinted(b, h.itemHash, &e.hint)
	}
	return true
}

// boolCard logs bool i (0 or 1) into the cardinality: once the memo knows
// its hash is in the sketch, not again. m.card is non-nil.
func (m *metricSet) boolCard(i int64, h *valueHashes) {
	mm := m.vm
	if mm == nil {
		m.card.UpdateHash(h.h1, h.h2)
		if m.counts.n >= memoAfter && memoEnabled {
			m.vm = &valueMemo{card: m.card, backoff: memoBackoff, bools: 1 << i}
		}
		return
	}
	if mm.card != m.card {
		mm.reset(m.card)
	}
	if mm.bools&(1<<i) != 0 {
		return
	}
	m.card.UpdateHash(h.h1, h.h2)
	mm.bools |= 1 << i
}

// stringBytes returns the bytes of s without copying (a read-only view:
// the memo hashes, compares and copies them, never writes them).
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
