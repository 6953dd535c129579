package profiler

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kprofiler/kprofiler/sketches"
)

// SummaryKind says which field of a SummaryValue is set.
type SummaryKind uint8

// Summary value kinds.
const (
	SummaryNull  SummaryKind = iota // Python None (quantiles of an empty distribution)
	SummaryInt                      // Int
	SummaryFloat                    // Float (may be NaN, e.g. distribution/max when empty)
	SummaryItems                    // Items (frequent_items/frequent_strings)
)

// FrequentItem is one entry of frequent_items/frequent_strings, whylogs'
// FrequentItem(value, est, upper, lower).
type FrequentItem struct {
	Value             string
	Est, Upper, Lower int64
}

// SummaryValue is one summary value.
type SummaryValue struct {
	Kind  SummaryKind
	Int   int64
	Float float64
	Items []FrequentItem
}

// Any returns the value as int64, float64, []FrequentItem or nil.
func (v SummaryValue) Any() any {
	switch v.Kind {
	case SummaryInt:
		return v.Int
	case SummaryFloat:
		return v.Float
	case SummaryItems:
		return v.Items
	}
	return nil
}

// String formats the value for display.
func (v SummaryValue) String() string {
	switch v.Kind {
	case SummaryInt:
		return fmt.Sprint(v.Int)
	case SummaryFloat:
		return fmt.Sprint(v.Float)
	case SummaryItems:
		var b strings.Builder
		b.WriteByte('[')
		for i, it := range v.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q:%d", it.Value, it.Est)
		}
		b.WriteByte(']')
		return b.String()
	}
	return "None"
}

// SummaryEntry is one "<metric>/<key>" summary value.
type SummaryEntry struct {
	Key   string
	Value SummaryValue
}

// ColumnSummary is the whylogs summary of one column (one row of
// DatasetProfileView.to_pandas()), entries sorted by key.
type ColumnSummary struct {
	Column  string
	Entries []SummaryEntry
}

// Lookup returns the value of a summary key such as "distribution/median".
func (s ColumnSummary) Lookup(key string) (SummaryValue, bool) {
	i, ok := slices.BinarySearchFunc(s.Entries, key, func(e SummaryEntry, k string) int { return strings.Compare(e.Key, k) })
	if !ok {
		return SummaryValue{}, false
	}
	return s.Entries[i].Value, true
}

// SummaryConfig is whylogs' SummaryConfig. The zero value means whylogs'
// defaults (NO_FALSE_POSITIVES, no item limit, one standard deviation).
type SummaryConfig struct {
	// FrequentItemsErrorType selects the frequent-items error guarantee.
	FrequentItemsErrorType sketches.ErrorType
	// FrequentItemsLimit keeps only the first items when > 0.
	FrequentItemsLimit int
	// HLLStdDev is the number of standard deviations of the cardinality bounds
	// (keys upper_<n>, lower_<n>); 0 means 1.
	HLLStdDev int
}

// summaryQuantiles are whylogs' summary quantiles and their keys.
var summaryQuantiles = []struct {
	rank float64
	key  string
}{
	{0.01, "q_01"}, {0.05, "q_05"}, {0.1, "q_10"}, {0.25, "q_25"}, {0.5, "median"},
	{0.75, "q_75"}, {0.9, "q_90"}, {0.95, "q_95"}, {0.99, "q_99"},
}

// Summary returns the column summary with whylogs' default SummaryConfig.
func (c *Column) Summary() ColumnSummary { return c.SummaryWith(SummaryConfig{}) }

// SummaryWith returns the column summary: whylogs' to_summary_dict keys and
// maths for every metric the column has; compound sub-metrics are reported
// under their prefix ("image/Brightness.mean:distribution/mean").
func (c *Column) SummaryWith(cfg SummaryConfig) ColumnSummary {
	s := ColumnSummary{Column: c.name}
	s.Entries = c.m.appendSummary(s.Entries, "", cfg)
	for _, sub := range c.subs {
		s.Entries = sub.m.appendSummary(s.Entries, sub.prefix, cfg)
	}
	slices.SortFunc(s.Entries, func(a, b SummaryEntry) int { return strings.Compare(a.Key, b.Key) })
	return s
}

// Summary returns the summaries of all columns, sorted by column name.
func (p *DatasetProfile) Summary() []ColumnSummary { return p.SummaryWith(SummaryConfig{}) }

// SummaryWith is Summary with a SummaryConfig. Columns without metrics (never
// updated) are left out, as in Components.
func (p *DatasetProfile) SummaryWith(cfg SummaryConfig) []ColumnSummary {
	names := p.ColumnNames()
	out := make([]ColumnSummary, 0, len(names))
	for _, n := range names {
		if s := p.columns[n].SummaryWith(cfg); len(s.Entries) > 0 {
			out = append(out, s)
		}
	}
	return out
}

func (m *metricSet) appendSummary(dst []SummaryEntry, p string, cfg SummaryConfig) []SummaryEntry {
	i := func(k string, v int64) {
		dst = append(dst, SummaryEntry{p + k, SummaryValue{Kind: SummaryInt, Int: v}})
	}
	f := func(k string, v float64) {
		dst = append(dst, SummaryEntry{p + k, SummaryValue{Kind: SummaryFloat, Float: v}})
	}
	if m.has&hasCounts != 0 {
		i("counts/n", m.counts.n)
		i("counts/null", m.counts.null)
		i("counts/nan", m.counts.nan)
		i("counts/inf", m.counts.inf)
		i("counts/true", m.counts.true_)
	}
	if m.has&hasTypes != 0 {
		i("types/integral", m.types.integral)
		i("types/fractional", m.types.fractional)
		i("types/boolean", m.types.boolean)
		i("types/string", m.types.string_)
		i("types/object", m.types.object)
		i("types/tensor", m.types.tensor)
	}
	if m.has&hasDist != 0 {
		k := m.dist.kll
		n := k.N()
		f("distribution/mean", m.dist.mean)
		f("distribution/stddev", stddev(n, m.dist.m2))
		i("distribution/n", int64(n))
		f("distribution/max", k.Max())
		f("distribution/min", k.Min())
		for _, q := range summaryQuantiles {
			if n == 0 {
				dst = append(dst, SummaryEntry{p + "distribution/" + q.key, SummaryValue{Kind: SummaryNull}})
				continue
			}
			v, err := k.WhylogsQuantile(q.rank)
			if err != nil {
				dst = append(dst, SummaryEntry{p + "distribution/" + q.key, SummaryValue{Kind: SummaryNull}})
				continue
			}
			f("distribution/"+q.key, v)
		}
	}
	if m.has&hasInts != 0 {
		i("ints/max", m.ints.max)
		i("ints/min", m.ints.min)
	}
	if m.has&hasCard != 0 {
		sd := cfg.HLLStdDev
		if sd == 0 {
			sd = 1
		}
		f("cardinality/est", m.card.Estimate())
		f(fmt.Sprintf("cardinality/upper_%d", sd), m.card.UpperBound(sd))
		f(fmt.Sprintf("cardinality/lower_%d", sd), m.card.LowerBound(sd))
	}
	if m.has&hasFI != 0 {
		items := m.fi.fs.FrequentItems(cfg.FrequentItemsErrorType)
		if cfg.FrequentItemsLimit > 0 && len(items) > cfg.FrequentItemsLimit {
			items = items[:cfg.FrequentItemsLimit]
		}
		out := make([]FrequentItem, len(items))
		for j, it := range items {
			out[j] = FrequentItem{Value: it.Item, Est: it.Estimate, Upper: it.UpperBound, Lower: it.LowerBound}
		}
		dst = append(dst, SummaryEntry{p + "frequent_items/frequent_strings", SummaryValue{Kind: SummaryItems, Items: out}})
	}
	return dst
}

// stddev is whylogs' DistributionMetric.stddev: sqrt(m2/(n−1)) for n > 1, else 0.
func stddev(n uint64, m2 float64) float64 {
	if n <= 1 {
		return 0
	}
	return math.Sqrt(m2 / float64(n-1))
}
