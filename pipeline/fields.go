package pipeline

import (
	"hash/maphash"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
)

// recordFields exposes the buffered record's fields to segment routing.
// Route reads them with ScalarField, unboxed (string values as views of the
// record's buffer); Field, for callers of the plain profiler.Fields, takes
// string values from the stringCache with their boxed form, so the segment
// value of a repeated string costs no allocation.
type recordFields struct {
	rec  *event.Record
	strs *stringCache
}

func (f *recordFields) Field(name string) (any, bool) {
	i := f.rec.LastIndex(name) // the last update of the column, as Record.Lookup
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

// ScalarField returns the named field's last update as a profiler.Scalar,
// the value Field returns without boxing it: an object is the string
// "<object>", a missing field or a null is ScalarNull.
func (f *recordFields) ScalarField(name string) (profiler.Scalar, bool) {
	i := f.rec.LastIndex(name)
	if i < 0 {
		return profiler.Scalar{}, true
	}
	r := f.rec
	switch r.KindAt(i) {
	case event.BoolValue:
		return profiler.Scalar{Kind: profiler.ScalarBool, Bool: r.BoolAt(i)}, true
	case event.IntValue:
		return profiler.Scalar{Kind: profiler.ScalarInt, Int: r.IntAt(i)}, true
	case event.FloatValue:
		return profiler.Scalar{Kind: profiler.ScalarFloat, Float: r.FloatAt(i)}, true
	case event.StringValue:
		return profiler.Scalar{Kind: profiler.ScalarString, Str: r.BytesAt(i)}, true
	case event.ObjectValue:
		return profiler.Scalar{Kind: profiler.ScalarString, Str: objectValue}, true
	}
	return profiler.Scalar{}, true
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
