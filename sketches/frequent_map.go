package sketches

import (
	"slices"
	"unicode/utf8"
)

// This file holds the reverse-purge hash map behind FrequentStrings: three
// parallel arrays (keys, values, states) of length 2^lg, linear probing, and a
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
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r > 0xFFFF {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
		} else {
			h = 31*h + int32(r)
		}
	}
	return uint64(int64(h))
}

// frequentHome returns the unmasked home-slot hash of key.
func frequentHome(key string) uint64 { return Fmix64(javaStringHash(key)) }

// rpMap is the reverse-purge hash map. A state of 0 marks an empty slot;
// otherwise it is the probe distance from the key's home slot plus one.
//
// A map decoded from an image whose 2^lg slots are far more than its entries
// justify is held in "pending" form (pend != nil, arrays nil): the entries in
// slot order together with their slot indices. The dense arrays are built
// (materialize) only when the map is about to change, so a decoder never
// allocates more than its input justifies.
type rpMap struct {
	lg        int
	keys      []string
	values    []int64
	states    []uint32
	numActive int
	pend      *rpPending
	scratch   []int64 // purge sample buffer, reused
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
	n := 1 << lg
	return rpMap{
		lg:     lg,
		keys:   make([]string, n),
		values: make([]int64, n),
		states: make([]uint32, n),
	}
}

// get returns the counter of key, 0 when it is not tracked.
func (m *rpMap) get(key string) int64 {
	if m.pend != nil {
		if i, ok := m.pend.index[key]; ok {
			return m.pend.values[i]
		}
		return 0
	}
	mask := uint64(len(m.states) - 1)
	p := frequentHome(key) & mask
	for m.states[p] != 0 {
		if m.keys[p] == key {
			return m.values[p]
		}
		p = (p + 1) & mask
	}
	return 0
}

// adjustOrInsert adds w to key's counter, inserting key when absent. It reports
// whether key was inserted. The map must be dense and hold an empty slot.
func (m *rpMap) adjustOrInsert(key string, w int64) bool {
	mask := uint64(len(m.states) - 1)
	p := frequentHome(key) & mask
	drift := uint32(1)
	for m.states[p] != 0 {
		if m.keys[p] == key {
			m.values[p] += w
			return false
		}
		p = (p + 1) & mask
		drift++
	}
	m.keys[p] = key
	m.values[p] = w
	m.states[p] = drift
	m.numActive++
	return true
}

// resize doubles the map and reinserts the old entries in old slot order.
func (m *rpMap) resize() {
	old := *m
	*m = newRPMap(old.lg + 1)
	m.scratch = old.scratch
	for i, st := range old.states {
		if st != 0 {
			m.adjustOrInsert(old.keys[i], old.values[i])
		}
	}
}

// purge subtracts the median of a sample of the counters from every counter,
// deletes the entries left ≤ 0 and returns the median. The sample is the
// counters of the first min(sampleSize, numActive) active slots in index order;
// the median is the sample element of 0-based rank limit/2.
func (m *rpMap) purge(sampleSize int) int64 {
	limit := min(sampleSize, m.numActive)
	if limit <= 0 {
		return 0
	}
	s := m.scratch[:0]
	for i := 0; len(s) < limit; i++ {
		if m.states[i] != 0 {
			s = append(s, m.values[i])
		}
	}
	m.scratch = s
	median := selectKth(s, limit/2)
	for i, st := range m.states {
		if st != 0 {
			m.values[i] -= median
		}
	}
	m.keepOnlyPositive()
	return median
}

// keepOnlyPositive deletes every entry whose counter is ≤ 0, in reverse: from
// the highest empty slot down to 0, then from the top of the array down to that
// empty slot (the cluster that wraps around).
func (m *rpMap) keepOnlyPositive() {
	n := len(m.states)
	first := n - 1
	for m.states[first] != 0 {
		first--
	}
	for p := first - 1; p >= 0; p-- {
		if m.states[p] != 0 && m.values[p] <= 0 {
			m.deleteSlot(p)
		}
	}
	for p := n - 1; p >= first; p-- {
		if m.states[p] != 0 && m.values[p] <= 0 {
			m.deleteSlot(p)
		}
	}
}

// deleteSlot empties slot del with backward-shift deletion: it scans forward
// and moves into the hole every entry whose home lies at or before the hole.
func (m *rpMap) deleteSlot(del int) {
	mask := len(m.states) - 1
	m.states[del] = 0
	m.keys[del] = ""
	m.numActive--
	drift := uint32(1)
	p := (del + 1) & mask
	for m.states[p] != 0 {
		if m.states[p] > drift {
			m.keys[del] = m.keys[p]
			m.values[del] = m.values[p]
			m.states[del] = m.states[p] - drift
			m.states[p] = 0
			m.keys[p] = ""
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

// clone returns a deep copy (the immutable pending form is shared).
func (m *rpMap) clone() rpMap {
	c := rpMap{lg: m.lg, numActive: m.numActive, pend: m.pend}
	if m.pend == nil {
		c.keys = slices.Clone(m.keys)
		c.values = slices.Clone(m.values)
		c.states = slices.Clone(m.states)
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
	mask := uint32(len(d.states) - 1)
	for i, k := range p.keys {
		s := p.slots[i]
		d.keys[s] = k
		d.values[s] = p.values[i]
		d.states[s] = ((s - uint32(frequentHome(k))) & mask) + 1
	}
	d.numActive = len(p.keys)
	d.scratch = m.scratch
	*m = d
}

// forEachSlotOrder calls f for every entry in slot index order (the wire order).
func (m *rpMap) forEachSlotOrder(f func(key string, v int64)) {
	if m.pend != nil {
		for i, k := range m.pend.keys {
			f(k, m.pend.values[i])
		}
		return
	}
	for i, st := range m.states {
		if st != 0 {
			f(m.keys[i], m.values[i])
		}
	}
}

// forEachMergeOrder calls f for every entry in the order DataSketches Java uses
// when merging: slots visited with the odd golden-ratio stride
// floor(2^lg · 0.618…) | 1, starting at slot 0.
func (m *rpMap) forEachMergeOrder(f func(key string, v int64)) {
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
			f(p.keys[i], p.values[i])
		}
		return
	}
	seen := 0
	for i := uint32(0); seen < m.numActive; i = (i + stride) & mask {
		if m.states[i] != 0 {
			seen++
			f(m.keys[i], m.values[i])
		}
	}
}
