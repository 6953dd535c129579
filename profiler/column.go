package profiler

import (
	"math"
	"strconv"
)

// Column is the profile of one column: whylogs' ColumnProfile. Its metric set
// is fixed by its ColumnType, which whylogs takes from the first value the
// column sees (or from Config.Types).
//
// The typed Update methods are the hot path: they do not box values and, in
// steady state, do not allocate (a double reaching a frequent-items sketch
// allocates its string; every new item is copied into the key arena the
// sketch owns and reuses).
// Update(any) routes any Go value with the same rules.
//
// A Column is not safe for concurrent use. It belongs to its DatasetProfile.
type Column struct {
	name string
	typ  ColumnType
	set  *settings
	m    metricSet
	// subs holds compound sub-metrics read from files (paths
	// "<prefix><namespace>/<component>" with a prefix ending in ':'), sorted by
	// prefix. Columns we profile ourselves never have them.
	subs []subMetrics
	// extra holds components of namespaces this package does not know, kept
	// verbatim and merged component-wise, sorted by path.
	extra []Component
}

type subMetrics struct {
	prefix string
	m      metricSet
}

func newColumn(name string, s *settings) *Column {
	c := &Column{name: name, set: s}
	if t, ok := s.types[name]; ok {
		c.resolve(t)
	}
	return c
}

// resolve fixes the column type and creates its metrics. Counts logged before
// (only nulls, with Config.NullDefersType) are kept.
func (c *Column) resolve(t ColumnType) {
	counts, types := c.m.counts, c.m.types
	c.typ = t
	c.m = newMetricSet(metricsFor(t, c.set), c.set, columnSeed(c.set.seed, c.name, ""))
	c.m.counts, c.m.types = counts, types
}

// Name returns the column name.
func (c *Column) Name() string { return c.name }

// Type returns the column type; TypeUnknown until the column has seen a value.
func (c *Column) Type() ColumnType { return c.typ }

// UpdateInt64 logs an integer. A new column becomes TypeIntegral.
func (c *Column) UpdateInt64(v int64) {
	c.updateInt64(v)
}

// UpdateUint64 logs an unsigned integer. Values up to MaxInt64 are logged as
// UpdateInt64 does; larger ones count as integral, reach the distribution and
// cardinality sketches as float64 and the frequent items as their exact decimal
// string, and saturate ints/max at MaxInt64 (see DEVIATIONS.md).
func (c *Column) UpdateUint64(v uint64) {
	if v <= math.MaxInt64 {
		c.UpdateInt64(int64(v))
		return
	}
	if c.typ == TypeUnknown {
		c.resolve(TypeIntegral)
	}
	c.m.updateHugeInt(float64(v), strconv.FormatUint(v, 10))
}

// UpdateFloat64 logs a double. NaN counts as null and nan only; ±Inf counts as
// inf and fractional and reaches the sketches. A new column becomes
// TypeFractional.
func (c *Column) UpdateFloat64(v float64) {
	c.updateFloat64(v)
}

// UpdateBool logs a boolean: types/boolean, counts/true, 1 or 0 in the
// distribution and cardinality, "True" or "False" in the frequent items. A new
// column becomes TypeIntegral (Python's bool is an int).
func (c *Column) UpdateBool(v bool) {
	c.updateBool(v)
}

// updateBool is UpdateBool, which is small enough to be inlined.
func (c *Column) updateBool(v bool) {
	if c.typ == TypeUnknown {
		c.resolve(TypeIntegral)
	}
	c.m.updateBool(v)
}

// UpdateString logs a string (the frequent-items sketch copies its first
// MaxFrequentItemSize characters when they are new to it). A new column
// becomes TypeString.
func (c *Column) UpdateString(v string) {
	c.updateStringBytes(stringBytes(v), v, true)
}

// UpdateStringBytes logs string(b) as UpdateString does, without keeping b:
// the frequent-items sketch copies a new item into its key arena, so b may
// be reused afterwards and a repeated value costs no allocation.
func (c *Column) UpdateStringBytes(b []byte) {
	c.updateStringBytes(b, "", false)
}

// UpdateNull logs a missing value (nil, JSON null, Avro null). A new column
// becomes TypeAny unless Config.NullDefersType is set, in which case the type
// stays open.
func (c *Column) UpdateNull() {
	if c.typ != TypeUnknown { // inlined: the counts of a resolved column
		c.m.updateNull()
		return
	}
	c.updateNullNew()
}

// updateNullNew is UpdateNull on a column without a type.
func (c *Column) updateNullNew() {
	if c.typ == TypeUnknown {
		if c.set.nullDefersType {
			// Count it in a counts-and-types-only set; resolve keeps the
			// counts when the type is decided.
			c.m.has |= hasCounts | hasTypes
			c.m.updateNull()
			return
		}
		c.resolve(TypeAny)
	}
	c.m.updateNull()
}

// UpdateObject logs a value that is none of the above (time, bytes, maps,
// structs, non-numeric lists): it counts in counts/n and types/object only. A
// new column becomes TypeAny.
func (c *Column) UpdateObject() {
	if c.typ == TypeUnknown {
		c.resolve(TypeAny)
	}
	c.m.updateObject()
}

// UpdateTensor logs a non-empty, rectangular list of numbers: it counts in
// counts/n and types/tensor only. A new column becomes TypeAny.
func (c *Column) UpdateTensor() {
	if c.typ == TypeUnknown {
		c.resolve(TypeAny)
	}
	c.m.updateTensor()
}

// Columns is a group of columns that log the same values: usually the same
// column of several profiles (a full-dataset profile and its segment). Its
// Update methods have the effect of calling the Column method of each
// column in turn, but hash each value once for all of them (the cardinality
// hash, the frequent-items string and its hash).
type Columns []*Column

// UpdateInt64 calls Column.UpdateInt64(v) on each column.
func (cs Columns) UpdateInt64(v int64) {
	var h valueHashes
	for _, c := range cs {
		if c.typ == TypeUnknown {
			c.resolve(TypeIntegral)
		}
		c.m.updateInt64(v, &h)
	}
}

// UpdateFloat64 calls Column.UpdateFloat64(v) on each column.
func (cs Columns) UpdateFloat64(v float64) {
	var h valueHashes
	for _, c := range cs {
		if c.typ == TypeUnknown {
			c.resolve(TypeFractional)
		}
		c.m.updateFloat64(v, &h)
	}
}

// UpdateString calls Column.UpdateString(v) on each column.
func (cs Columns) UpdateString(v string) {
	var h valueHashes
	for _, c := range cs {
		if c.typ == TypeUnknown {
			c.resolve(TypeString)
		}
		c.m.updateString(v, &h)
	}
}

// UpdateStringBytes calls Column.UpdateStringBytes(b) on each column.
func (cs Columns) UpdateStringBytes(b []byte) {
	var h valueHashes
	for _, c := range cs {
		if c.typ == TypeUnknown {
			c.resolve(TypeString)
		}
		c.m.updateStringBytes(b, &h)
	}
}

// UpdateBool calls Column.UpdateBool(v) on each column.
func (cs Columns) UpdateBool(v bool) {
	for _, c := range cs {
		c.UpdateBool(v)
	}
}

// UpdateNull calls Column.UpdateNull on each column.
func (cs Columns) UpdateNull() {
	for _, c := range cs {
		c.UpdateNull()
	}
}

// UpdateObject calls Column.UpdateObject on each column.
func (cs Columns) UpdateObject() {
	for _, c := range cs {
		c.UpdateObject()
	}
}
