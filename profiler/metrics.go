package profiler

import (
	"math"
	"strconv"
	"strings"

	"github.com/kprofiler/kprofiler/sketches"
)

// Metric namespaces, as whylogs names them.
const (
	NamespaceCounts        = "counts"
	NamespaceTypes         = "types"
	NamespaceDistribution  = "distribution"
	NamespaceInts          = "ints"
	NamespaceCardinality   = "cardinality"
	NamespaceFrequentItems = "frequent_items"
)

// Presence bits of the six standard metrics in a metricSet.
const (
	hasCounts uint8 = 1 << iota
	hasTypes
	hasDist
	hasInts
	hasCard
	hasFI
)

// whylogs' empty values of the ints metric: max starts at −sys.maxsize
// (−2⁶³+1, not MinInt64) and min at sys.maxsize.
const (
	intsEmptyMax int64 = -math.MaxInt64
	intsEmptyMin int64 = math.MaxInt64
)

// countsMetric is whylogs' ColumnCountsMetric.
type countsMetric struct {
	n, null, nan, inf, true_ int64
}

// typesMetric is whylogs' TypeCountersMetric.
type typesMetric struct {
	integral, fractional, boolean, string_, object, tensor int64
}

// distributionMetric is whylogs' DistributionMetric: a KLL doubles sketch plus
// the running mean and sum of squared deviations (m2). The number of values is
// the KLL's n, as in whylogs.
type distributionMetric struct {
	kll      *sketches.KLLDoubles
	mean, m2 float64
}

// add updates the sketch and mean/m2 with Welford's online step. x is never
// NaN here (NaN is routed to counts only).
func (d *distributionMetric) add(x float64) {
	d.kll.Update(x)
	n := float64(d.kll.N())
	delta := x - d.mean
	d.mean += delta / n
	d.m2 += delta * (x - d.mean)
}

// intsMetric is whylogs' IntsMetric.
type intsMetric struct {
	max, min int64
}

// frequentItemsMetric is whylogs' FrequentItemsMetric.
type frequentItemsMetric struct {
	fs      *sketches.FrequentStrings
	maxSize int
}

// truncate cuts s to the first maxSize characters (Unicode code points, as
// Python's s[0:maxSize]). A cut string is copied so the sketch does not keep
// the caller's long string alive.
func (f *frequentItemsMetric) truncate(s string) string {
	if len(s) <= f.maxSize {
		return s
	}
	n := 0
	for i := range s {
		if n == f.maxSize {
			return strings.Clone(s[:i])
		}
		n++
	}
	return s
}

// formatCDouble formats v as C++ std::to_string(double) does ("%f"), which is
// how whylogs-sketching turns doubles into frequent-item strings.
func formatCDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		if math.Signbit(v) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'f', 6, 64)
}

// metricSet is the set of standard metrics of one column (or of one compound
// sub-metric). Which metrics exist is recorded in has; a metric that does not
// exist is never updated, exported or summarised.
type metricSet struct {
	has    uint8
	counts countsMetric
	types  typesMetric
	dist   distributionMetric
	ints   intsMetric
	card   *sketches.HLL
	fi     frequentItemsMetric
	seed   uint64 // KLL bit-source seed
	rowNaN bool   // Config.RowPathNaN
	// vm is the value memo of card (metrics_memo.go); nil until the column
	// has logged memoAfter values, and in every copy (clone, merge).
	vm *valueMemo
}

// newMetricSet creates the metrics named by has, with the parameters in s.
func newMetricSet(has uint8, s *settings, seed uint64) metricSet {
	m := metricSet{has: has, seed: seed, rowNaN: s.rowNaN}
	if has&hasDist != 0 {
		m.dist.kll = newKLL(s.kllK, seed)
	}
	if has&hasInts != 0 {
		m.ints = intsMetric{max: intsEmptyMax, min: intsEmptyMin}
	}
	if has&hasCard != 0 {
		h, err := sketches.NewHLL(s.hllLgK, sketches.HLL4)
		if err != nil {
			panic("profiler: validated hll parameters rejected: " + err.Error())
		}
		m.card = h
	}
	if has&hasFI != 0 {
		f, err := sketches.NewFrequentStrings(s.fiLgMaxK)
		if err != nil {
			panic("profiler: validated frequent items parameters rejected: " + err.Error())
		}
		m.fi = frequentItemsMetric{fs: f, maxSize: s.maxItemSize}
	}
	return m
}

func newKLL(k int, seed uint64) *sketches.KLLDoubles {
	s, err := sketches.NewKLLDoubles(k)
	if err != nil {
		panic("profiler: validated kll parameters rejected: " + err.Error())
	}
	s.SetBitSource(sketches.NewSeededBits(seed))
	return s
}

// metricsFor returns whylogs' metric set for a column type (resolvers.py,
// STANDARD_RESOLVER).
func metricsFor(t ColumnType, s *settings) uint8 {
	var has uint8
	switch t {
	case TypeIntegral:
		has = hasCounts | hasTypes | hasDist | hasInts | hasCard | hasFI
	case TypeFractional:
		has = hasCounts | hasTypes | hasDist | hasCard
	case TypeString:
		has = hasCounts | hasTypes | hasDist | hasCard | hasFI
	default:
		has = hasCounts | hasTypes
	}
	if s.disableFI {
		has &^= hasFI
	}
	return has
}

// valueHashes holds the sketch hashes of one value while it is logged into
// the same column of several profiles (a full-dataset profile and its
// segment): each hash is computed on first use and reused. A zero
// valueHashes has none.
type valueHashes struct {
	card     bool     // h1, h2 set: the HLL hash
	fi       bool     // the frequent-items item and itemHash set
	h1, h2   uint64   // sketches.Hash* of the value, DefaultSeed
	item     string   // the frequent-items string (truncated for strings) …
	itemB    []byte   // … or bytes (strings given as bytes) …
	numLen   int      // … or an integer's digits, num[:numLen]
	itemHash uint64   // the sketches.FrequentHash of the item
	itemMax  int      // the maxSize item was truncated with (strings)
	num      [20]byte // room for an integer's decimal digits
}

// fiItem sets the frequent-items string and its hash.
func (h *valueHashes) fiItem(item string) {
	h.item, h.itemHash, h.fi = item, sketches.FrequentHash(item), true
}

// The update methods below are the routing rules of whylogs'
// PreprocessedColumn for one value, applied to the metrics that exist. h
// carries the value's hashes between the columns it is logged into.

func (m *metricSet) updateInt64(v int64, h *valueHashes) {
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
	if m.card != nil {
		if mm := m.memo(); mm != nil {
			m.intSketches(v, h, mm)
			return
		}
		if !h.card {
			h.h1, h.h2 = sketches.HashInt64(v, sketches.DefaultSeed)
			h.card = true
		}
		m.card.UpdateHash(h.h1, h.h2)
	}
	if m.fi.fs != nil {
		// The decimal string is formatted into h once; each sketch copies
		// it into its key arena if it is new to it.
		if !h.fi {
			d, fih := sketches.FrequentIntItem(&h.num, v)
			h.numLen, h.itemHash, h.fi = len(d), fih, true
		}
		m.fi.fs.UpdateBytesHashed(h.num[:h.numLen], h.itemHash)
	}
}

func (m *metricSet) updateFloat64(v float64, h *valueHashes) {
	m.counts.n++
	if v != v {
		// whylogs' DataFrame path: NaN is null (and nan), nothing else.
		m.counts.null++
		m.counts.nan++
		if m.rowNaN {
			m.rowPathNaN(v, h)
		}
		return
	}
	if math.IsInf(v, 0) {
		m.counts.inf++
	}
	m.types.fractional++
	if m.has&hasDist != 0 {
		m.dist.add(v)
	}
	m.floatSketches(v, h)
}

// floatSketches logs a double into the cardinality and frequent items.
func (m *metricSet) floatSketches(v float64, h *valueHashes) {
	if m.card != nil && m.fi.fs == nil {
		if mm := m.memo(); mm != nil {
			m.floatCard(v, h, mm)
			return
		}
	}
	if m.card != nil {
		if !h.card {
			h.h1, h.h2 = sketches.HashFloat64(v, sketches.DefaultSeed)
			h.card = true
		}
		m.card.UpdateHash(h.h1, h.h2)
	}
	if m.fi.fs != nil {
		if !h.fi {
			h.fiItem(formatCDouble(v))
		}
		m.fi.fs.UpdateHashed(h.item, h.itemHash)
	}
}

// rowPathNaN applies the rest of whylogs' row-path handling of a NaN: it is a
// fractional value that the KLL ignores but the Welford step does not (so mean
// and m2 become NaN), that the HLL hashes, and that reaches the frequent items
// as C++ formats it.
func (m *metricSet) rowPathNaN(v float64, h *valueHashes) {
	m.types.fractional++
	if m.has&hasDist != 0 {
		m.dist.mean, m.dist.m2 = math.NaN(), math.NaN()
	}
	m.floatSketches(v, h)
}

// The hashes of the booleans' sketch inputs: 0 and 1 for the cardinality,
// "False" and "True" for the frequent items.
var boolHashes = func() (hs [2]valueHashes) {
	for i, s := range [2]string{"False", "True"} {
		hs[i].h1, hs[i].h2 = sketches.HashInt64(int64(i), sketches.DefaultSeed)
		hs[i].card = true
		hs[i].fiItem(s)
	}
	return hs
}()

func (m *metricSet) updateBool(b bool) {
	m.counts.n++
	m.types.boolean++
	var i int64
	if b {
		m.counts.true_++
		i = 1
	}
	if m.has&hasDist != 0 {
		m.dist.add(float64(i))
	}
	h := &boolHashes[i]
	if m.card != nil {
		m.boolCard(i, h)
	}
	if fs := m.fi.fs; fs != nil {
		if mm := m.vm; mm != nil {
			// The memo keeps where each bool's item sits (the sketch checks
			// the hint, so a stale one costs a normal update).
			fs.UpdateHashedHinted(h.item, h.itemHash, &mm.boolHints[i])
		} else {
			fs.UpdateHashed(h.item, h.itemHash)
		}
	}
}

func (m *metricSet) updateString(s string, h *valueHashes) {
	m.counts.n++
	m.types.string_++
	if m.card != nil && m.memoStrOK(len(s)) && m.strSketches(stringBytes(s), s, true, h) {
		return
	}
	if m.card != nil {
		if !h.card {
			if len(s) == 0 { // the HLL ignores the empty string
				h.h1, h.h2 = 0, 0
			} else {
				h.h1, h.h2 = sketches.HashString(s, sketches.DefaultSeed)
			}
			h.card = true
		}
		if len(s) != 0 {
			m.card.UpdateHash(h.h1, h.h2)
		}
	}
	if m.fi.fs != nil {
		if !h.fi || h.itemMax != m.fi.maxSize {
			h.fiItem(m.fi.truncate(s))
			h.itemMax = m.fi.maxSize
		}
		m.fi.fs.UpdateHashed(h.item, h.itemHash)
	}
}

// updateStringBytes is updateString(string(b)); the sketches copy what they
// keep.
func (m *metricSet) updateStringBytes(b []byte, h *valueHashes) {
	m.counts.n++
	m.types.string_++
	if m.card != nil && m.memoStrOK(len(b)) && m.strSketches(b, "", false, h) {
		return
	}
	if len(b) != 0 && m.card != nil {
		if !h.card {
			h.h1, h.h2 = sketches.HashBytes(b, sketches.DefaultSeed)
			h.card = true
		}
		m.card.UpdateHash(h.h1, h.h2)
	}
	if m.fi.fs != nil {
		// Each sketch copies the item if it is new to it (see updateInt64).
		if !h.fi || h.itemMax != m.fi.maxSize {
			h.itemB = truncateBytes(b, m.fi.maxSize)
			h.itemHash, h.itemMax, h.fi = sketches.FrequentHashBytes(h.itemB), m.fi.maxSize, true
		}
		m.fi.fs.UpdateBytesHashed(h.itemB, h.itemHash)
	}
}

// truncateBytes returns the first maxSize characters of b (Unicode code
// points, as frequentItemsMetric.truncate).
func truncateBytes(b []byte, maxSize int) []byte {
	if len(b) <= maxSize {
		return b
	}
	n := 0
	for i := range string(b) {
		if n == maxSize {
			return b[:i]
		}
		n++
	}
	return b
}

func (m *metricSet) updateNull() {
	m.counts.n++
	m.counts.null++
}

func (m *metricSet) updateObject() {
	m.counts.n++
	m.types.object++
}

func (m *metricSet) updateTensor() {
	m.counts.n++
	m.types.tensor++
}

// clone returns a deep copy. Cloned KLLs get a fresh bit source from the set's
// seed, so a clone never shares coin flips with its original.
func (m *metricSet) clone() metricSet {
	c := *m
	c.vm = nil
	if m.dist.kll != nil {
		c.dist.kll = m.dist.kll.Clone()
		c.dist.kll.SetBitSource(sketches.NewSeededBits(m.seed))
	}
	if m.card != nil {
		c.card = m.card.Clone()
	}
	if m.fi.fs != nil {
		c.fi.fs = m.fi.fs.Clone()
	}
	return c
}

// merge merges o into a copy of m and returns it; m and o are not modified.
// Counters add, ints take max/min, mean and m2 combine with Chan et al.'s
// parallel formula, and the sketches merge as DataSketches defines.
func (m *metricSet) merge(o *metricSet) (metricSet, error) {
	r := m.clone()
	if o.has&^m.has != 0 {
		// Metrics only o has are copied (whylogs: "a metric present on one side
		// only is copied").
		oc := o.clone()
		for _, bit := range []uint8{hasCounts, hasTypes, hasDist, hasInts, hasCard, hasFI} {
			if o.has&bit == 0 || m.has&bit != 0 {
				continue
			}
			switch bit {
			case hasCounts:
				r.counts = oc.counts
			case hasTypes:
				r.types = oc.types
			case hasDist:
				r.dist = oc.dist
				r.dist.kll.SetBitSource(sketches.NewSeededBits(m.seed))
			case hasInts:
				r.ints = oc.ints
			case hasCard:
				r.card = oc.card
			case hasFI:
				r.fi = oc.fi
			}
			r.has |= bit
		}
	}
	both := m.has & o.has
	if both&hasCounts != 0 {
		r.counts.n += o.counts.n
		r.counts.null += o.counts.null
		r.counts.nan += o.counts.nan
		r.counts.inf += o.counts.inf
		r.counts.true_ += o.counts.true_
	}
	if both&hasTypes != 0 {
		r.types.integral += o.types.integral
		r.types.fractional += o.types.fractional
		r.types.boolean += o.types.boolean
		r.types.string_ += o.types.string_
		r.types.object += o.types.object
		r.types.tensor += o.types.tensor
	}
	if both&hasDist != 0 {
		an, bn := float64(m.dist.kll.N()), float64(o.dist.kll.N())
		r.dist.mean, r.dist.m2 = chanMerge(an, m.dist.mean, m.dist.m2, bn, o.dist.mean, o.dist.m2)
		if err := r.dist.kll.Merge(o.dist.kll); err != nil {
			return metricSet{}, err
		}
	}
	if both&hasInts != 0 {
		r.ints.max = max(r.ints.max, o.ints.max)
		r.ints.min = min(r.ints.min, o.ints.min)
	}
	if both&hasCard != 0 {
		lgK := max(m.card.LgK(), o.card.LgK())
		t := max(m.card.Type(), o.card.Type())
		u, err := sketches.NewHLLUnion(lgK)
		if err != nil {
			return metricSet{}, err
		}
		u.Update(m.card)
		u.Update(o.card)
		r.card = u.Result(t)
	}
	if both&hasFI != 0 {
		if err := r.fi.fs.Merge(o.fi.fs); err != nil {
			return metricSet{}, err
		}
		r.fi.maxSize = max(m.fi.maxSize, o.fi.maxSize)
	}
	return r, nil
}

// chanMerge combines two (n, mean, m2) triples with the parallel algorithm of Chan,
// Golub and LeVeque, in the form whylogs uses (DistributionMetric.merge): when
// both sides are empty the result is (0, 0).
func chanMerge(an, am, am2, bn, bm, bm2 float64) (mean, m2 float64) {
	n := an + bn
	switch {
	case n == 0:
		return 0, 0
	case bn == 0:
		return am, am2 + bm2
	case an == 0:
		return bm, am2 + bm2
	}
	delta := bm - am
	mean = am + delta*(bn/n)
	m2 = am2 + bm2 + delta*delta*(an*bn/n)
	return mean, m2
}
