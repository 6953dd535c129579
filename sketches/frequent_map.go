package sketches

import (
	"encoding/binary"
	"math"
	"slices"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"
)

// This file holds the reverse-purge hash map behind FrequentStrings: 2^lg
// slots of (key, counter, state), linear probing, and a
// purge that subtracts the median of a sample and deletes the non-positive
// entries walking backwards. The placement of keys follows DataSketches Java
// (String.hashCode → fmix64 → low bits) so that images are byte-identical.

// Frequent-items map constants (ref-datasketches §4.1).
const (
	// lgMinFrequentMapSize is the smallest lgMaxMapSize/lgCurMapSize (map of 8 slots).
	lgMinFrequentMapSize = 3
	// frequentSampleLimit caps the purge sample (Java SAMPLE_SIZE).
	frequentSampleLimit = 1024
	// golden ratio conjugate, used for the merge iteration stride.
	frequentGoldenRatio = 0.6180339887498949
)

// frequentCapacity is floor(0.75 · 2^lg), the number of active entries a map of
// 2^lg slots may hold (LOAD_FACTOR 0.75).
func frequentCapacity(lg int) int { return 3 << (lg - 2) }

// javaStringHash returns Java's String.hashCode of s, computed over the UTF-16
// code units of s (a rune above U+FFFF counts as its two surrogates), with
// int32 overflow, sign-extended to 64 bits as Java's (long) cast does. It walks
// the UTF-8 bytes and allocates nothing. Invalid UTF-8 bytes count as U+FFFD
// (this only affects where a key is placed, never which keys are equal).
func javaStringHash(s string) uint64 {
	var h uint32 // int32 arithmetic, done unsigned: it wraps the same way
	b := stringBytes(s)
	// ASCII fast path, eight bytes at a time: h·31⁸ + c0·31⁷ + … + c7 (mod
	// 2^32, so this equals eight single steps), the byte terms combined in
	// lanes: pairs c0·31 + c1 in 16-bit lanes, then quads p0·31² + p1 in
	// 32-bit lanes (no lane overflows: 255·31 + 255 < 2^16 and
	// 8160·961 + 8160 < 2^32), then q0·31⁴ + q1.
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		if w&0x8080808080808080 != 0 {
			break
		}
		p := (w&0x00FF00FF00FF00FF)*31 + (w>>8)&0x00FF00FF00FF00FF
		q := (p&0x0000FFFF0000FFFF)*961 + (p>>16)&0x0000FFFF0000FFFF
		h = h*2487512833 + uint32(q)*923521 + uint32(q>>32)
		b = b[8:]
	}
	if len(b) >= 4 {
		if w := binary.LittleEndian.Uint32(b); w&0x80808080 == 0 {
			p := (w&0x00FF00FF)*31 + (w>>8)&0x00FF00FF
			h = h*923521 + (p&0xFFFF)*961 + p>>16
			b = b[4:]
		}
	}
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return javaStringHashRunes(h, b[i:])
		}
		h = 31*h + uint32(c)
	}
	return uint64(int64(int32(h)))
}

// javaStringHashRunes continues javaStringHash from state h over b, rune by
// rune.
func javaStringHashRunes(h uint32, b []byte) uint64 {
	for i := 0; i < len(b); {
		if c := b[i]; c < utf8.RuneSelf {
			h = 31*h + uint32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r > 0xFFFF {
			r -= 0x10000
			h = 31*h + uint32(0xD800+(r>>10))
			h = 31*h + uint32(0xDC00+(r&0x3FF))
		} else {
			h = 31*h + uint32(r)
		}
	}
	return uint64(int64(int32(h)))
}

// frequentHome returns the unmasked home-slot hash of key.
func frequentHome(key string) uint64 { return Fmix64(javaStringHash(key)) }

// rpMap is the reverse-purge hash map. A state of 0 marks an empty slot;
// otherwise it is the probe distance from the key's home slot plus one.
//
// The slots hold no pointers: a key is an offset and a length into keys, a
// byte arena the map owns, into which every inserted key is copied. So the
// garbage collector neither scans the slots nor runs write barriers when
// they are written, moved or cleared. Key bytes are appended and never
// written again until a purge releases them: a purge that empties the map
// starts the arena over, and one that leaves dead bytes over twice the live
// ones (plus rpKeysSlack) copies the live keys into the spare arena (the one
// the previous compaction released) and keeps the old one as spare. Views of
// the arena (keyAt) therefore only live while the map is not changed: they
// are handed to callbacks that copy what they keep, never returned.
//
// A map decoded from an image whose 2^lg slots are far more than its entries
// justify is held in "pending" form (pend != nil, arrays nil): the entries in
// slot order together with their slot indices. The dense arrays are built
// (materialize) only when the map is about to change, so a decoder never
// allocates more than its input justifies.
type rpMap struct {
	lg        int
	slots     []rpSlot
	tags      []rpTag // state and hash of each slot, probed apart from the slots
	numActive int
	pend      *rpPending
	scratch   []int64 // purge sample buffer, reused
	keys      []byte  // the key arena: slot sl's key is keys[sl.koff:][:sl.klen]
	live      int     // bytes of the keys of the occupied slots
	spare     []byte  // the arena before the last compaction, reused by the next
	// gen names the current placement of the entries for slot hints
	// (FrequentHint): 0 when none was handed out since the entries last
	// moved, otherwise a number taken from frequentGens, unique in the
	// process. Inserting into an empty slot and adding to a counter move no
	// entry and keep it; everything else that changes slots (a purge, a
	// resize, materialising, a merge, a fresh or decoded or cloned map)
	// leaves the map with gen 0, so that no hint handed out before matches.
	gen uint64
}

// frequentGens hands out map generations (rpMap.gen); 0 is never one.
var frequentGens atomic.Uint64

// hintGen returns m's generation, taking a fresh one when it has none.
func (m *rpMap) hintGen() uint64 {
	if m.gen == 0 {
		m.gen = frequentGens.Add(1)
	}
	return m.gen
}

// rpKeysSlack is the dead arena bytes a purge tolerates beyond twice the
// live ones before it compacts the arena.
const rpKeysSlack = 4096

// rpMaxKeyBytes bounds the arena (offsets and lengths are uint32).
const rpMaxKeyBytes = math.MaxUint32

// rpSlot is the entry of one slot of the map (16 bytes, no pointers); its
// rpTag, in a parallel array, says whether it is occupied. A probe reads the
// tags (8 bytes a slot, so a map of 1,024 slots probes 8 KiB rather than
// 24) and touches an entry only when a tag's hash matches or to insert.
type rpSlot struct {
	value int64
	koff  uint32 // the key's bytes in the arena: keys[koff:][:klen]
	klen  uint32
}

// rpTag is the probe state of one slot.
type rpTag struct {
	state uint32 // 0: empty; otherwise the distance from the key's home slot plus one
	hash  uint32 // low 32 bits of the key's home hash: skips most key compares
}

// keyBytes returns the bytes of sl's key, a view of the arena.
func (m *rpMap) keyBytes(sl *rpSlot) []byte {
	return m.keys[sl.koff : sl.koff+sl.klen : sl.koff+sl.klen]
}

// keyAt returns sl's key as a string viewing the arena: valid only until
// the map next changes (see rpMap).
func (m *rpMap) keyAt(sl *rpSlot) string {
	b := m.keyBytes(sl)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// intern copies key into the arena and returns its offset. The arena grows
// by append; views of the old array stay valid (its bytes are not written
// again). It panics when the arena would exceed 4 GiB of live keys.
func (m *rpMap) intern(key []byte) uint32 {
	off := len(m.keys)
	if uint64(off)+uint64(len(key)) > rpMaxKeyBytes {
		m.compactKeys()
		off = len(m.keys)
		if uint64(off)+uint64(len(key)) > rpMaxKeyBytes {
			panic("sketches: frequent items hold more than 4 GiB of keys")
		}
	}
	m.keys = append(m.keys, key...)
	m.live += len(key)
	return uint32(off)
}

// compactKeys copies the live keys, in slot order, into the spare arena (or
// a fresh one with room for half as many bytes again when it is too small)
// and keeps the old arena as the spare.
func (m *rpMap) compactKeys() {
	n := m.live
	keys := m.spare[:0]
	if cap(keys) < n {
		keys = make([]byte, 0, n+n/2)
	}
	for i := range m.slots {
		if sl := &m.slots[i]; m.tags[i].state != 0 {
			off := len(keys)
			keys = append(keys, m.keyBytes(sl)...)
			sl.koff = uint32(off)
		}
	}
	m.keys, m.spare = keys, m.keys[:0]
}

// rpPending is the immutable pending form of a decoded map. It may be shared
// between clones.
type rpPending struct {
	keys   []string
	values []int64
	slots  []uint32         // slot index of each entry in a dense map of 2^lg slots; increasing
	index  map[string]int32 // key → position in keys (lookups only, never iterated)
}

func newRPMap(lg int) rpMap {
	return rpMap{lg: lg, slots: make([]rpSlot, 1<<lg), tags: make([]rpTag, 1<<lg)}
}

// get returns the counter of key, 0 when it is not tracked.
func (m *rpMap) get(key string) int64 {
	if m.pend != nil {
		if i, ok := m.pend.index[key]; ok {
			return m.pend.values[i]
		}
		return 0
	}
	if len(m.slots) == 0 { // zero value
		return 0
	}
	mask := uint64(len(m.tags) - 1)
	h := frequentHome(key)
	p := h & mask
	for {
		tg := &m.tags[p]
		if tg.state == 0 {
			return 0
		}
		if tg.hash == uint32(h) {
			if sl := &m.slots[p]; string(m.keyBytes(sl)) == key {
				return sl.value
			}
		}
		p = (p + 1) & mask
	}
}

// adjustOrInsert adds w to key's counter, inserting key when absent. It reports
// whether key was inserted. The map must be dense and hold an empty slot.
func (m *rpMap) adjustOrInsert(key string, w int64) bool {
	return m.adjustOrInsertHashed(key, frequentHome(key), w)
}

// adjustOrInsertHashed is adjustOrInsert with the key's home hash h given.
func (m *rpMap) adjustOrInsertHashed(key string, h uint64, w int64) bool {
	_, ins := m.adjustOrInsertBytesAt(stringBytes(key), h, w)
	return ins
}

// adjustOrInsertHashedAt is adjustOrInsertHashed that also returns the
// slot that holds key afterwards.
func (m *rpMap) adjustOrInsertHashedAt(key string, h uint64, w int64) (uint32, bool) {
	return m.adjustOrInsertBytesAt(stringBytes(key), h, w)
}

// adjustOrInsertBytes is adjustOrInsertHashed for a key given as bytes (a
// key that is inserted is copied into the arena; key is not retained). It
// reports whether key was inserted.
func (m *rpMap) adjustOrInsertBytes(key []byte, h uint64, w int64) bool {
	_, ins := m.adjustOrInsertBytesAt(key, h, w)
	return ins
}

// adjustOrInsertBytesAt is adjustOrInsertBytes that also returns the slot
// that holds key afterwards.
func (m *rpMap) adjustOrInsertBytesAt(key []byte, h uint64, w int64) (uint32, bool) {
	tags := m.tags
	mask := uint64(len(tags) - 1)
	p := h & mask
	drift := uint32(1)
	for {
		tg := &tags[p]
		if tg.state == 0 {
			off := m.intern(key)
			*tg = rpTag{state: drift, hash: uint32(h)}
			m.slots[p] = rpSlot{value: w, koff: off, klen: uint32(len(key))}
			m.numActive++
			return uint32(p), true
		}
		if tg.hash == uint32(h) {
			if sl := &m.slots[p]; string(m.keyBytes(sl)) == string(key) {
				sl.value += w
				return uint32(p), false
			}
		}
		p = (p + 1) & mask
		drift++
	}
}

// resize doubles the map and reinserts the old entries in old slot order.
func (m *rpMap) resize() {
	old := *m
	*m = newRPMap(old.lg + 1)
	m.scratch, m.keys, m.live, m.spare = old.scratch, old.keys, old.live, old.spare
	// The keys are distinct: each goes to the first empty slot from its home
	// (what adjustOrInsertHashed would do, without comparing keys).
	mask := uint32(len(m.tags) - 1)
	for i := range old.tags {
		tg := &old.tags[i]
		if tg.state == 0 {
			continue
		}
		p, drift := tg.hash&mask, uint32(1)
		for m.tags[p].state != 0 {
			p = (p + 1) & mask
			drift++
		}
		m.tags[p] = rpTag{state: drift, hash: tg.hash}
		m.slots[p] = old.slots[i]
	}
	m.numActive = old.numActive
}

// purge subtracts the median of a sample of the counters from every counter,
// deletes the entries left ≤ 0 and returns the median. The sample is the
// counters of the first min(sampleSize, numActive) active slots in index order;
// the median is the sample element of 0-based rank limit/2.
func (m *rpMap) purge(sampleSize int) int64 {
	m.gen = 0
	limit := min(sampleSize, m.numActive)
	if limit <= 0 {
		return 0
	}
	s := m.scratch[:0]
	var mx int64               // the largest counter
	mn := int64(math.MaxInt64) // the smallest sampled counter
	i := 0
	for ; len(s) < limit; i++ {
		if m.tags[i].state != 0 {
			v := m.slots[i].value
			s = append(s, v)
			mx, mn = max(mx, v), min(mn, v)
		}
	}
	m.scratch = s
	for ; i < len(m.slots); i++ {
		if m.tags[i].state != 0 {
			mx = max(mx, m.slots[i].value)
		}
	}
	var median int64
	if mn == mx {
		// Every sampled counter is the largest one (a stream of distinct
		// items: all are 1), so it is the median.
		median = mn
	} else {
		median = selectKth(s, limit/2)
	}
	if mx <= median {
		// Every counter drops to ≤ 0: deleting them one by one ends in the
		// same empty map (a stream of distinct items purges so), and the
		// arena starts over (no view of it outlives a change of the map).
		clear(m.slots)
		clear(m.tags)
		m.numActive = 0
		m.keys, m.live = m.keys[:0], 0
	} else {
		m.keepOnlyPositive(median)
		if len(m.keys) > 3*m.live+rpKeysSlack {
			m.compactKeys()
		}
	}
	return median
}

// keepOnlyPositive subtracts median from every counter and deletes the
// entries left ≤ 0, in reverse: from the highest empty slot down to 0, then
// from the top of the array down to that empty slot (the cluster that wraps
// around). Subtracting during the same walk is equivalent to subtracting
// first: a deletion only moves entries into slots the walk has already
// visited, so every entry is visited, and reduced, exactly once.
func (m *rpMap) keepOnlyPositive(median int64) {
	n := len(m.slots)
	first := n - 1
	for m.tags[first].state != 0 {
		first--
	}
	visit := func(p int) {
		if sl := &m.slots[p]; m.tags[p].state != 0 {
			sl.value -= median
			if sl.value <= 0 {
				m.deleteSlot(p)
			}
		}
	}
	for p := first - 1; p >= 0; p-- {
		visit(p)
	}
	for p := n - 1; p >= first; p-- {
		visit(p)
	}
}

// deleteSlot empties slot del with backward-shift deletion: it scans forward
// and moves into the hole every entry whose home lies at or before the hole.
// The key's bytes stay in the arena until a purge compacts it.
func (m *rpMap) deleteSlot(del int) {
	m.gen = 0
	mask := len(m.slots) - 1
	m.live -= int(m.slots[del].klen)
	m.slots[del], m.tags[del] = rpSlot{}, rpTag{}
	m.numActive--
	drift := uint32(1)
	p := (del + 1) & mask
	for m.tags[p].state != 0 {
		if st := m.tags[p].state; st > drift {
			m.slots[del] = m.slots[p]
			m.tags[del] = rpTag{state: st - drift, hash: m.tags[p].hash}
			m.slots[p], m.tags[p] = rpSlot{}, rpTag{}
			drift = 0
			del = p
		}
		p = (p + 1) & mask
		drift++
	}
}

// selectKth returns the element of 0-based rank k of a (which it reorders),
// using quickselect with a median-of-three pivot and a three-way partition so
// that runs of equal counters stay linear.
func selectKth(a []int64, k int) int64 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		x, y, z := a[lo], a[lo+(hi-lo)/2], a[hi]
		if x > y {
			x, y = y, x
		}
		if y > z {
			y = z
			if x > y {
				y = x
			}
		}
		p := y
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch v := a[i]; {
			case v < p:
				a[lt], a[i] = a[i], a[lt]
				lt++
				i++
			case v > p:
				a[i], a[gt] = a[gt], a[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return p
		}
	}
	return a[k]
}

// clone returns a deep copy (the immutable pending form is shared). The
// clone's arena holds only the live keys.
func (m *rpMap) clone() rpMap {
	c := rpMap{lg: m.lg, numActive: m.numActive, pend: m.pend, live: m.live}
	if m.pend == nil {
		c.slots, c.tags = slices.Clone(m.slots), slices.Clone(m.tags)
		if len(m.keys) > m.live+m.live/2+rpKeysSlack/4 {
			c.keys = m.keys // compactKeys copies into a fresh arena (c has no spare)
			c.compactKeys()
			c.spare = nil
		} else {
			c.keys = slices.Clone(m.keys)
		}
	}
	return c
}

// materialize turns the pending form into dense arrays. The slot of every
// entry was computed by the decoder exactly as inserting the entries in image
// order would place them.
func (m *rpMap) materialize() {
	p := m.pend
	if p == nil {
		return
	}
	d := newRPMap(m.lg)
	n := 0
	for _, k := range p.keys {
		n += len(k)
	}
	d.keys = make([]byte, 0, n)
	mask := uint32(len(d.slots) - 1)
	for i, k := range p.keys {
		s := p.slots[i]
		h := uint32(frequentHome(k))
		off := d.intern(stringBytes(k))
		d.slots[s] = rpSlot{value: p.values[i], koff: off, klen: uint32(len(k))}
		d.tags[s] = rpTag{state: ((s - h) & mask) + 1, hash: h}
	}
	d.numActive = len(p.keys)
	d.scratch, d.spare = m.scratch, m.spare
	*m = d
}

// forEachSlotOrder calls f for every entry in slot index order (the wire
// order). key may view the arena: f must copy what it keeps, and must not
// change the map.
func (m *rpMap) forEachSlotOrder(f func(key string, v int64)) {
	if m.pend != nil {
		for i, k := range m.pend.keys {
			f(k, m.pend.values[i])
		}
		return
	}
	for i := range m.slots {
		if sl := &m.slots[i]; m.tags[i].state != 0 {
			f(m.keyAt(sl), sl.value)
		}
	}
}

// forEachMergeOrder calls f for every entry in the order DataSketches Java uses
// when merging: slots visited with the odd golden-ratio stride
// floor(2^lg · 0.618…) | 1, starting at slot 0. h is the key's home hash,
// exact in its low 32 bits (all that placement in a map of at most 2^26 slots
// and the slot filter use). key may view the arena: f must copy what it
// keeps, and must not change this map.
func (m *rpMap) forEachMergeOrder(f func(key string, h uint64, v int64)) {
	n := 1 << m.lg
	mask := uint32(n - 1)
	stride := uint32(int(float64(n)*frequentGoldenRatio) | 1)
	if p := m.pend; p != nil {
		// Slot s is visited at step t with t·stride ≡ s (mod 2^lg); sort by t.
		inv := stride // Newton iteration for the inverse of an odd number mod 2^32
		for range 5 {
			inv *= 2 - stride*inv
		}
		order := make([]int, len(p.keys))
		steps := make([]uint32, len(p.keys))
		for i := range order {
			order[i] = i
			steps[i] = (p.slots[i] * inv) & mask
		}
		slices.SortFunc(order, func(a, b int) int { return int(steps[a]) - int(steps[b]) })
		for _, i := range order {
			f(p.keys[i], frequentHome(p.keys[i]), p.values[i])
		}
		return
	}
	seen := 0
	for i := uint32(0); seen < m.numActive; i = (i + stride) & mask {
		if tg := &m.tags[i]; tg.state != 0 {
			seen++
			sl := &m.slots[i]
			f(m.keyAt(sl), uint64(tg.hash), sl.value)
		}
	}
}
