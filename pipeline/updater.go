package pipeline

import (
	"hash/maphash"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
)

// columnUpdater is the event.Visitor that replays one buffered record into
// the columns of every profile it goes to (the full-dataset profile and its
// segment) with the typed Column methods. Columns are found by field
// position (DatasetProfile.ColumnAt: records of one stream list their fields
// in the same order, and the decoder interns the names), and a value is
// hashed once for all profiles (profiler.Columns).
type columnUpdater struct {
	ps   []*profiler.DatasetProfile
	i    int              // position of the current field in the record
	cols profiler.Columns // the current field's column of each profile
}

// columns returns the column col (at position u.i) of every profile and
// moves to the next position.
func (u *columnUpdater) columns(col string) profiler.Columns {
	cs := profiler.AppendColumnsAt(u.cols[:0], u.ps, u.i, col)
	u.cols = cs
	u.i++
	return cs
}

// one returns the column col (at position u.i) when the record goes to a
// single profile (column segments with a derived full-dataset profile, or
// no segmentation), and moves to the next position; nil otherwise (the
// caller then uses columns, which does not move). The typed Column methods
// have the effect of the Columns ones on a single column.
func (u *columnUpdater) one(col string) *profiler.Column {
	if len(u.ps) != 1 {
		return nil
	}
	c := u.ps[0].ColumnAt(u.i, col)
	u.i++
	return c
}

func (u *columnUpdater) Null(col string) {
	if c := u.one(col); c != nil {
		c.UpdateNull()
		return
	}
	u.columns(col).UpdateNull()
}

func (u *columnUpdater) Bool(col string, v bool) {
	if c := u.one(col); c != nil {
		c.UpdateBool(v)
		return
	}
	u.columns(col).UpdateBool(v)
}

func (u *columnUpdater) Int(col string, v int64) {
	if c := u.one(col); c != nil {
		c.UpdateInt64(v)
		return
	}
	u.columns(col).UpdateInt64(v)
}

func (u *columnUpdater) Float(col string, v float64) {
	if c := u.one(col); c != nil {
		c.UpdateFloat64(v)
		return
	}
	u.columns(col).UpdateFloat64(v)
}

// String logs the record's bytes: the sketches copy what they keep, so a
// repeated value costs no allocation and a new one none of its own.
func (u *columnUpdater) String(col string, v []byte) {
	if c := u.one(col); c != nil {
		c.UpdateStringBytes(v)
		return
	}
	u.columns(col).UpdateStringBytes(v)
}

func (u *columnUpdater) Object(col string) {
	if c := u.one(col); c != nil {
		c.UpdateObject()
		return
	}
	u.columns(col).UpdateObject()
}

var _ event.Visitor = (*columnUpdater)(nil)

// recordFields exposes the buffered record's fields to segment routing.
// String values come from the stringCache with their boxed form, so the
// segment value of a repeated string costs no allocation.
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
