package pipeline

import (
	"hash/maphash"
	"math"
	"unsafe"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
)

// recordFields exposes the buffered record's fields to segment routing.
// Route reads them with ScalarField, unboxed (string values as views of the
// record's buffer); Field, for callers of the plain profiler.Fields, takes
// string values from the stringCache with their boxed form, so the segment
// value of a repeated string costs no allocation.
//
// Both find a field's last update (Record.LastIndex: JSON may repeat a
// key) through a hint per name (index): the records of a stream have the
// same fields in the same order, so the position found in the previous
// record is checked instead of comparing the name with every column.
type recordFields struct {
	rec   *event.Record
	strs  *stringCache
	hints []fieldHint
}

// maxFieldHints bounds the names recordFields keeps hints for (the segment
// columns; other names are searched).
const maxFieldHints = 8

// fieldHint remembers where the last update of one name was in the record
// it was last looked up in (the reference record).
type fieldHint struct {
	name string // the name as the caller passes it, compared by identity
	pos  int    // LastIndex(name) in the reference record, -1 for none
	at   string // the reference record's column at pos (equal to name)
	// later holds, for each position after pos, the reference record's
	// column there if its length is the name's (it is not equal to the
	// name), else "". Columns of another length cannot equal the name.
	later []string
}

// index returns f.rec.LastIndex(name).
func (f *recordFields) index(name string) int {
	r := f.rec
	if name == "" { // "" marks the positions in fieldHint.later: no hint
		return r.LastIndex(name)
	}
	for k := range f.hints {
		h := &f.hints[k]
		if sameString(h.name, name) {
			if h.valid(r) {
				return h.pos
			}
			i := r.LastIndex(name)
			h.set(r, i)
			return i
		}
	}
	i := r.LastIndex(name)
	if len(f.hints) < maxFieldHints {
		f.hints = append(f.hints, fieldHint{name: name})
		f.hints[len(f.hints)-1].set(r, i)
	}
	return i
}

// valid reports whether h.pos is r.LastIndex(h.name): the column at pos is
// the reference record's (so equal to the name), and every later column of
// the name's length is the reference record's column at that position (so
// not equal to it). Columns are compared by identity (decoders intern
// names, so the records of a stream share them): a column that is not
// identical makes valid false, never a wrong position.
func (h *fieldHint) valid(r *event.Record) bool {
	n, p := r.Len(), h.pos
	if p >= n || p >= 0 && !sameString(r.ColAt(p), h.at) {
		return false
	}
	later := h.later
	for j := p + 1; j < n; j++ {
		c := r.ColAt(j)
		if len(c) != len(h.name) {
			continue
		}
		if k := j - p - 1; k >= len(later) || !sameString(c, later[k]) {
			return false
		}
	}
	return true
}

// set makes r the reference record of h, with i = r.LastIndex(h.name).
func (h *fieldHint) set(r *event.Record, i int) {
	h.pos, h.at = i, ""
	if i >= 0 {
		h.at = r.ColAt(i)
	}
	h.later = h.later[:0]
	for j := i + 1; j < r.Len(); j++ {
		c := r.ColAt(j)
		if len(c) != len(h.name) {
			c = ""
		}
		h.later = append(h.later, c)
	}
}

// sameString reports whether a and b are the same string (data pointer
// and length): equal strings, without comparing their bytes.
func sameString(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

func (f *recordFields) Field(name string) (any, bool) {
	i := f.index(name) // the last update of the column, as Record.Lookup
	if i < 0 {
		return nil, false
	}
	v := f.rec.At(i)
	switch v.Kind {
	case event.BoolValue:
		return v.Bool, true
	case event.IntValue:
		return v.Int, true
	case event.FloatValue:
		return v.Float, true
	case event.StringValue:
		return f.strs.boxed(i, v.Str), true
	case event.ObjectValue:
		return "<object>", true
	}
	return nil, true
}

// ScalarField returns the named field's last update as a ScalarField
// value, the value Field returns without boxing it: an object is the string
// "<object>", a missing field or a null is ScalarNull.
func (f *recordFields) ScalarField(name string) (profiler.ScalarKind, uint64, []byte, bool) {
	r := f.rec
	i := f.index(name)
	if i < 0 {
		return profiler.ScalarNull, 0, nil, true
	}
	switch r.KindAt(i) {
	case event.BoolValue:
		if r.BoolAt(i) {
			return profiler.ScalarBool, 1, nil, true
		}
		return profiler.ScalarBool, 0, nil, true
	case event.IntValue:
		return profiler.ScalarInt, uint64(r.IntAt(i)), nil, true
	case event.FloatValue:
		return profiler.ScalarFloat, math.Float64bits(r.FloatAt(i)), nil, true
	case event.StringValue:
		return profiler.ScalarString, 0, r.BytesAt(i), true
	case event.ObjectValue:
		return profiler.ScalarString, 0, objectValue, true
	}
	return profiler.ScalarNull, 0, nil, true
}

var objectValue = []byte("<object>")

// stringCache turns the string values of segment columns into boxed Go
// strings, reusing the value seen recently at the same field position: a
// repeated segment value (a country, a device type) need not be allocated
// again. Each position has a small table of sets of strWays entries, most
// recently used first, so up to strWays values that alternate never evict
// each other whatever the hash seed; a position whose values rarely repeat
// (ids) stops probing for a while. Only short strings are cached, so the
// tables hold little memory.
type stringCache struct {
	seed maphash.Seed
	pos  []*posStrings
}

const (
	strWays       = 4   // entries per set
	strSets       = 8   // sets per field position
	strMaxLen     = 64  // longer strings are not cached
	strMaxPos     = 256 // positions with a table
	strProbeBatch = 256 // lookups per hit-rate check
	strSkip       = 4096
)

type posStrings struct {
	sets         [strSets][strWays]strEntry
	probes, hits int
	skip         int // lookups left without probing
}

type strEntry struct {
	s   string
	box any // s as an interface value, once asked for
}

// entry returns the cache entry holding b at position i, or nil when the
// value is not cached (the caller allocates).
func (c *stringCache) entry(i int, b []byte) *strEntry {
	if len(b) > strMaxLen || i >= strMaxPos {
		return nil
	}
	if i >= len(c.pos) {
		if c.pos == nil {
			c.seed = maphash.MakeSeed()
		}
		c.pos = append(c.pos, make([]*posStrings, i+1-len(c.pos))...)
	}
	p := c.pos[i]
	if p == nil {
		p = new(posStrings)
		c.pos[i] = p
	}
	if p.skip > 0 {
		p.skip--
		return nil
	}
	set := &p.sets[maphash.Bytes(c.seed, b)&(strSets-1)]
	p.probes++
	w := 0
	for w < strWays && set[w].s != string(b) {
		w++
	}
	if w < strWays {
		p.hits++
	} else {
		w = strWays - 1 // the least recently used entry makes room
		set[w] = strEntry{s: string(b)}
	}
	if w > 0 { // move to the front
		e := set[w]
		copy(set[1:w+1], set[:w])
		set[0] = e
	}
	if p.probes == strProbeBatch {
		if p.hits < strProbeBatch/4 {
			p.skip = strSkip
		}
		p.probes, p.hits = 0, 0
	}
	return &set[0]
}

// boxed returns b as a string in an interface value.
func (c *stringCache) boxed(i int, b []byte) any {
	e := c.entry(i, b)
	if e == nil {
		return string(b)
	}
	if e.box == nil {
		e.box = e.s
	}
	return e.box
}
