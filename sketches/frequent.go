package sketches

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unsafe"
)

// ErrorType selects which kind of error FrequentStrings.FrequentItems avoids.
type ErrorType int

const (
	// NoFalsePositives returns only items whose lower bound exceeds the
	// threshold: every returned item truly occurs more often than the
	// threshold, but some such items may be missing. whylogs uses this mode.
	NoFalsePositives ErrorType = iota
	// NoFalseNegatives returns every item whose upper bound exceeds the
	// threshold: when the threshold is at least MaximumError, every item that
	// truly occurs more often than the threshold is returned, possibly with
	// some that do not.
	NoFalseNegatives
)

// String returns the DataSketches name of t ("NO_FALSE_POSITIVES" or
// "NO_FALSE_NEGATIVES").
func (t ErrorType) String() string {
	switch t {
	case NoFalsePositives:
		return "NO_FALSE_POSITIVES"
	case NoFalseNegatives:
		return "NO_FALSE_NEGATIVES"
	}
	return fmt.Sprintf("ErrorType(%d)", int(t))
}

// MaxFrequentLgMapSize is the largest lgMaxMapSize NewFrequentStrings accepts
// and the largest one UnmarshalBinary reads. A map of 2^26 slots takes about
// 1.9 GB (28 bytes a slot); whylogs uses lgMaxMapSize 10.
const MaxFrequentLgMapSize = 26

// FrequentStrings is the DataSketches frequent-items sketch for strings
// (Java FrequentItemsSketch<String>, C++ frequent_items_sketch<std::string>,
// Python frequent_strings_sketch). It tracks at most 0.75·2^lgMaxMapSize items
// in a reverse-purge hash map and estimates the total weight of every item
// with a deterministic error: for a tracked item
//
//	LowerBound(x) ≤ true weight of x ≤ UpperBound(x),  UpperBound − LowerBound = MaximumError()
//
// and an untracked item has true weight ≤ MaximumError(). Each purge removes
// at least median·⌈s/2⌉ weight from the counters (s = purge sample size), so
// MaximumError() ≤ StreamLength()/⌈s/2⌉, also after merges of sketches with
// the same lgMaxMapSize. For lgMaxMapSize ≤ 10 this is within DataSketches' a
// priori bound Epsilon()·StreamLength() = 3.5/2^lgMaxMapSize · total weight;
// above 10 the sample is capped at 1024 and the bound by construction is
// StreamLength()/512 (DataSketches documents the a priori bound regardless).
//
// Keys are placed with Java's hashing (String.hashCode over UTF-16 units,
// fmix64, low bits) and the purge samples min(1024, 0.75·2^lgMaxMapSize)
// counters as Java does, so a stream fed in the same order produces the same
// state and the same bytes as DataSketches Java. C++ places keys differently
// and samples min(1024, active) counters, so it may keep different items for
// the same stream; the bounds hold for both.
//
// The sketch copies the items it tracks into a byte arena of its own (its map
// holds no pointers, so the garbage collector does not scan it): the strings
// and byte slices passed to it are never retained, and FrequentItems returns
// copies.
//
// The binary image (AppendBinary, UnmarshalBinary) is the DataSketches
// frequent-items layout: a 32-byte preamble (8 bytes when nothing was added),
// the counters as int64 LE, then the items as uint32 LE length + UTF-8 bytes.
//
// The zero value is an empty sketch with lgMaxMapSize 10 (whylogs' setting),
// except that Merge into a zero value adopts the other sketch's lgMaxMapSize
// (as KLL's zero value adopts k); NewFrequentStrings chooses the size.
// A FrequentStrings is not safe for concurrent use: Update, UpdateWeighted,
// Merge (on the receiver) and UnmarshalBinary are writes; all other methods
// only read and may run concurrently with each other when no write is in
// progress.
type FrequentStrings struct {
	lgMax  int
	m      rpMap
	total  int64 // stream length: sum of all weights
	offset int64 // sum of purge medians (and merged offsets): the maximum error
}

// FrequentItem is one row returned by FrequentStrings.FrequentItems.
type FrequentItem struct {
	Item       string
	Estimate   int64 // counter + MaximumError (= UpperBound)
	LowerBound int64 // counter: a guaranteed lower bound on the true weight
	UpperBound int64 // counter + MaximumError: a guaranteed upper bound
}

// NewFrequentStrings returns an empty sketch whose map grows up to
// 2^lgMaxMapSize slots (tracking up to 0.75·2^lgMaxMapSize items). It returns
// ErrInvalidArgument unless 3 ≤ lgMaxMapSize ≤ MaxFrequentLgMapSize. The map
// starts at 8 slots (lgCurMapSize 3).
func NewFrequentStrings(lgMaxMapSize int) (*FrequentStrings, error) {
	if lgMaxMapSize < lgMinFrequentMapSize || lgMaxMapSize > MaxFrequentLgMapSize {
		return nil, fmt.Errorf("frequent: lgMaxMapSize %d outside [%d, %d]: %w",
			lgMaxMapSize, lgMinFrequentMapSize, MaxFrequentLgMapSize, ErrInvalidArgument)
	}
	return &FrequentStrings{lgMax: lgMaxMapSize, m: newRPMap(lgMinFrequentMapSize)}, nil
}

// frequentZeroLgMax is the lgMaxMapSize of a zero-value FrequentStrings.
const frequentZeroLgMax = 10

// initZero turns a zero value into an empty sketch of lgMaxMapSize lg.
func (s *FrequentStrings) initZero(lg int) {
	s.lgMax = lg
	s.m = newRPMap(lgMinFrequentMapSize)
}

// sampleSize is Java's purge sample size, min(1024, floor(0.75·2^lgMax)).
func (s *FrequentStrings) sampleSize() int {
	return min(frequentSampleLimit, frequentCapacity(s.lgMax))
}

// Update adds one occurrence of item. The empty string is an item like any
// other. Once the stream length reaches math.MaxInt64 further updates are
// ignored (the weight could not be represented).
func (s *FrequentStrings) Update(item string) {
	if s.total == math.MaxInt64 {
		return
	}
	s.add(item, 1)
}

// FrequentHash returns the hash that places item in a FrequentStrings map
// (fmix64 of Java's String.hashCode). It depends on item only, so a caller
// that logs one item into several sketches computes it once and passes it to
// UpdateHashed.
func FrequentHash(item string) uint64 { return frequentHome(item) }

// UpdateHashed is Update(item) with item's FrequentHash h given. A wrong h
// places item where Update would not, making the sketch inconsistent.
func (s *FrequentStrings) UpdateHashed(item string, h uint64) {
	if s.total == math.MaxInt64 {
		return
	}
	s.addHashed(item, h, 1)
}

// FrequentHashBytes is FrequentHash(string(item)) without the conversion.
func FrequentHashBytes(item []byte) uint64 {
	return Fmix64(javaStringHash(unsafe.String(unsafe.SliceData(item), len(item))))
}

// UpdateBytesHashed is UpdateHashed(string(item), h) without converting item
// to a string: an item that is already tracked costs no allocation, and a new
// one is copied into the sketch's key arena (which grows by doubling and is
// reused after purges, so a steady stream allocates nothing). h must be
// FrequentHashBytes(item).
func (s *FrequentStrings) UpdateBytesHashed(item []byte, h uint64) {
	if s.total == math.MaxInt64 {
		return
	}
	if s.m.slots == nil {
		s.prepare()
	}
	s.total++
	if s.m.adjustOrInsertBytes(item, h, 1) && s.m.numActive > frequentCapacity(s.m.lg) {
		s.grow()
	}
}

// FrequentHint remembers where an item sits in the map of one
// FrequentStrings, so that a caller that logs the same item again (a value
// memo) can count it without probing the map. The zero value remembers
// nothing. A hint is only ever used as a shortcut: it is checked against the
// sketch (the map's generation, unique in the process, which changes
// whenever entries move: purge, resize, merge, decoding, cloning; and the
// hash stored in the slot), and a hint that does not match is ignored. So a
// hint passed to another sketch, or kept across anything that moved the
// entries, costs one normal update, never a wrong count.
type FrequentHint struct {
	gen  uint64 // the map generation the slot belongs to (0: none)
	slot uint32
}

// AddHinted is the fast case of UpdateBytesHinted and UpdateHashedHinted,
// small enough to be inlined: when hint says where its item sits in s's map,
// it adds one occurrence there and returns true; otherwise it changes nothing
// and returns false, and the caller does the full update (which refreshes
// hint). h must be the FrequentHash of hint's item.
func (s *FrequentStrings) AddHinted(h uint64, hint *FrequentHint) bool { return s.hintHit(h, hint) }

// UpdateBytesHinted is UpdateBytesHashed(item, h) that reads and refreshes
// hint: when hint says where item sits in s's map, it adds the occurrence
// there (the item and its bytes are not looked at); otherwise it does the
// normal update and stores in hint where item is now (or clears it when the
// update moved the entries). The result is the same as UpdateBytesHashed's
// in every case. hint must only ever have been used with item (or be zero);
// h must be FrequentHashBytes(item).
func (s *FrequentStrings) UpdateBytesHinted(item []byte, h uint64, hint *FrequentHint) {
	if !s.hintHit(h, hint) {
		s.updateBytesHint(item, h, hint)
	}
}

// UpdateHashedHinted is UpdateHashed(item, h) with a hint, as
// UpdateBytesHinted; a new item is copied into the key arena.
func (s *FrequentStrings) UpdateHashedHinted(item string, h uint64, hint *FrequentHint) {
	if !s.hintHit(h, hint) {
		s.updateHashedHint(item, h, hint)
	}
}

// hintHit adds one occurrence at the slot hint names, if hint is valid for
// s and the hash matches, and reports whether it did.
func (s *FrequentStrings) hintHit(h uint64, hint *FrequentHint) bool {
	if g := hint.gen; g != s.m.gen || g == 0 || s.total == math.MaxInt64 {
		return false
	}
	if s.m.tags[hint.slot].hash != uint32(h) {
		return false
	}
	s.m.slots[hint.slot].value++
	s.total++
	return true
}

// updateBytesHint is UpdateBytesHashed recording item's slot in hint.
func (s *FrequentStrings) updateBytesHint(item []byte, h uint64, hint *FrequentHint) {
	if s.total == math.MaxInt64 {
		return
	}
	if s.m.slots == nil {
		s.prepare()
	}
	s.total++
	p, ins := s.m.adjustOrInsertBytesAt(item, h, 1)
	s.noteHint(p, ins, hint)
}

// updateHashedHint is UpdateHashed recording item's slot in hint.
func (s *FrequentStrings) updateHashedHint(item string, h uint64, hint *FrequentHint) {
	if s.total == math.MaxInt64 {
		return
	}
	if s.m.slots == nil {
		s.prepare()
	}
	s.total++
	p, ins := s.m.adjustOrInsertHashedAt(item, h, 1)
	s.noteHint(p, ins, hint)
}

// noteHint finishes an update that left its item in slot p (inserting it
// when ins): it grows the map when the insertion overfilled it, and stores
// in hint where the item is, or clears hint when the entries moved.
func (s *FrequentStrings) noteHint(p uint32, ins bool, hint *FrequentHint) {
	if ins && s.m.numActive > frequentCapacity(s.m.lg) {
		s.grow()
		*hint = FrequentHint{}
		return
	}
	*hint = FrequentHint{gen: s.m.hintGen(), slot: p}
}

// UpdateWeighted adds weight w to item. A weight of 0 is a no-op; a negative
// weight, or one that would overflow the int64 stream length, returns
// ErrInvalidArgument and changes nothing.
func (s *FrequentStrings) UpdateWeighted(item string, w int64) error {
	if w < 0 {
		return fmt.Errorf("frequent: negative weight %d: %w", w, ErrInvalidArgument)
	}
	if w == 0 {
		return nil
	}
	if s.total > math.MaxInt64-w {
		return fmt.Errorf("frequent: weight %d overflows stream length %d: %w", w, s.total, ErrInvalidArgument)
	}
	s.add(item, w)
	return nil
}

// add is the update step: the stream length grows by w, then the item's
// counter; a new item that overfills the map doubles it (below lgMax) or
// purges it (at lgMax), adding the purge median to the offset.
func (s *FrequentStrings) add(item string, w int64) {
	s.addHashed(item, frequentHome(item), w)
}

// addHashed is add with the item's home hash h given.
func (s *FrequentStrings) addHashed(item string, h uint64, w int64) {
	if s.m.slots == nil {
		s.prepare()
	}
	s.total += w
	if s.m.adjustOrInsertHashed(item, h, w) && s.m.numActive > frequentCapacity(s.m.lg) {
		s.grow()
	}
}

// prepare makes the map dense (and a zero value a sketch) before a change;
// callers test s.m.slots == nil first.
func (s *FrequentStrings) prepare() {
	if s.m.slots == nil {
		if s.lgMax == 0 {
			s.initZero(frequentZeroLgMax)
		}
		s.m.materialize()
	}
}

// grow follows an insertion that overfilled the map: it doubles (below
// lgMax) or purges (at lgMax), adding the purge median to the offset.
func (s *FrequentStrings) grow() {
	if s.m.lg < s.lgMax {
		s.m.resize()
	} else {
		s.offset += s.m.purge(s.sampleSize())
	}
}

// Merge adds the stream summarized by o to s, following DataSketches: every
// (item, counter) of o is added as a weighted update (visiting o's slots with
// Java's golden-ratio stride), then o's maximum error is added to s's and the
// stream length becomes the sum of both. The sketches may have different
// lgMaxMapSize; s keeps its own. Merging a sketch to which nothing was ever
// added changes nothing; a sketch whose map a purge emptied still contributes
// its stream length and error. o is not modified (s.Merge(s) doubles s).
// A nil o, or a sum of stream lengths beyond math.MaxInt64, returns
// ErrInvalidArgument and leaves s unchanged.
func (s *FrequentStrings) Merge(o *FrequentStrings) error {
	if o == nil {
		return fmt.Errorf("frequent: merge of nil sketch: %w", ErrInvalidArgument)
	}
	if o.total == 0 {
		return nil
	}
	if s.total > math.MaxInt64-o.total {
		return fmt.Errorf("frequent: merged stream length overflows int64: %w", ErrInvalidArgument)
	}
	if o == s {
		o = s.Clone()
	}
	if s.lgMax == 0 {
		s.initZero(o.lgMax)
	}
	total := s.total + o.total
	s.m.gen = 0 // no hint outlives a merge (a grow would also clear it)
	// o's slots carry the low 32 bits of each key's home hash, which is all
	// that placement (lg ≤ 26) and the slot filter use: no key is rehashed.
	// The keys are copied into s's arena.
	o.m.forEachMergeOrder(func(k string, h uint64, v int64) { s.addHashed(k, h, v) })
	s.offset += o.offset
	s.total = total
	return nil
}

// Clone returns an independent deep copy of s.
func (s *FrequentStrings) Clone() *FrequentStrings {
	return &FrequentStrings{lgMax: s.lgMax, m: s.m.clone(), total: s.total, offset: s.offset}
}

// Estimate returns the estimated weight of item: its counter plus
// MaximumError when it is tracked, 0 when it is not (C++ and Java agree).
func (s *FrequentStrings) Estimate(item string) int64 {
	if c := s.m.get(item); c > 0 {
		return c + s.offset
	}
	return 0
}

// LowerBound returns a guaranteed lower bound on the true weight of item (its
// counter; 0 when untracked).
func (s *FrequentStrings) LowerBound(item string) int64 { return s.m.get(item) }

// UpperBound returns a guaranteed upper bound on the true weight of item (its
// counter plus MaximumError; MaximumError when untracked).
func (s *FrequentStrings) UpperBound(item string) int64 { return s.m.get(item) + s.offset }

// MaximumError returns the offset: the sum of the medians subtracted by
// purges (plus the errors of merged sketches). It bounds UpperBound −
// LowerBound for every item.
func (s *FrequentStrings) MaximumError() int64 { return s.offset }

// StreamLength returns the total weight of all updates (merged ones included).
func (s *FrequentStrings) StreamLength() int64 { return s.total }

// NumActive returns the number of items currently tracked.
func (s *FrequentStrings) NumActive() int {
	if s.m.pend != nil {
		return len(s.m.pend.keys)
	}
	return s.m.numActive
}

// IsEmpty reports whether nothing was ever added (StreamLength() == 0).
// Unlike DataSketches C++/Java (numActive == 0), a sketch whose map a purge
// emptied is not empty: it still carries a stream length and an error.
func (s *FrequentStrings) IsEmpty() bool { return s.total == 0 }

// LgMaxMapSize returns the base-2 logarithm of the largest map size.
func (s *FrequentStrings) LgMaxMapSize() int {
	if s.lgMax == 0 {
		return frequentZeroLgMax
	}
	return s.lgMax
}

// LgCurMapSize returns the base-2 logarithm of the current map size
// (3 ≤ LgCurMapSize ≤ LgMaxMapSize).
func (s *FrequentStrings) LgCurMapSize() int { return max(s.m.lg, lgMinFrequentMapSize) }

// Epsilon returns DataSketches' a priori relative error 3.5/2^lgMaxMapSize
// (see FrequentStrings for when MaximumError() ≤ Epsilon()·StreamLength() is
// guaranteed).
func (s *FrequentStrings) Epsilon() float64 { return FrequentEpsilon(s.LgMaxMapSize()) }

// AprioriError returns Epsilon()·StreamLength(), DataSketches' a priori bound
// on MaximumError for the current stream length.
func (s *FrequentStrings) AprioriError() float64 { return s.Epsilon() * float64(s.total) }

// FrequentEpsilon returns 3.5/2^lgMaxMapSize, the a priori relative error of a
// frequent-items sketch with that map size.
func FrequentEpsilon(lgMaxMapSize int) float64 { return math.Ldexp(3.5, -lgMaxMapSize) }

// FrequentItems returns FrequentItemsThreshold(t, MaximumError()).
func (s *FrequentStrings) FrequentItems(t ErrorType) []FrequentItem {
	return s.FrequentItemsThreshold(t, s.offset)
}

// FrequentItemsThreshold returns the tracked items whose lower bound
// (NoFalsePositives) or upper bound (NoFalseNegatives) is strictly greater
// than threshold, sorted by estimate descending and then by item ascending,
// so the result is deterministic. It returns nil when no item qualifies or t
// is neither mode.
//
// The comparison is C++'s strict '>'; DataSketches Java uses '≥' and also
// raises a threshold below MaximumError to MaximumError. Here the threshold is
// used as given, so a threshold below MaximumError weakens the
// NoFalseNegatives guarantee (untracked items may weigh up to MaximumError).
func (s *FrequentStrings) FrequentItemsThreshold(t ErrorType, threshold int64) []FrequentItem {
	if t != NoFalsePositives && t != NoFalseNegatives {
		return nil
	}
	var out []FrequentItem
	s.m.forEachSlotOrder(func(k string, c int64) {
		lb, ub := c, c+s.offset
		if (t == NoFalsePositives && lb > threshold) || (t == NoFalseNegatives && ub > threshold) {
			// k views the sketch's key arena, which later updates reuse.
			out = append(out, FrequentItem{Item: strings.Clone(k), Estimate: ub, LowerBound: lb, UpperBound: ub})
		}
	})
	slices.SortFunc(out, func(a, b FrequentItem) int {
		if c := cmp.Compare(b.Estimate, a.Estimate); c != 0 {
			return c
		}
		return cmp.Compare(a.Item, b.Item)
	})
	return out
}
