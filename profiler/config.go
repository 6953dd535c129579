package profiler

import (
	"fmt"

	"github.com/kprofiler/kprofiler/sketches"
)

// Default sketch parameters, the values whylogs v1 uses (core/configs.py).
const (
	// DefaultKLLK is the k of the distribution KLL (whylogs kll_k_large, since v1.0.7).
	DefaultKLLK = 1024
	// DefaultHLLLgK is the lg_k of the cardinality HLL (whylogs hll_lg_k).
	DefaultHLLLgK = 12
	// DefaultFrequentItemsLgMaxK is the lg_max_map_size of the frequent-items
	// sketch (whylogs fi_lg_max_k).
	DefaultFrequentItemsLgMaxK = 10
	// DefaultMaxFrequentItemSize is the number of characters (Unicode code
	// points) a string keeps before it goes into the frequent-items sketch
	// (whylogs max_frequent_item_size).
	DefaultMaxFrequentItemSize = 128
)

// ColumnType is the whylogs column type that decides which metrics a column
// gets. whylogs fixes it once, from the type of the first value the column sees
// (StandardTypeMapper); see the table in the package documentation.
type ColumnType uint8

// Column types, in whylogs' mapping order.
const (
	// TypeUnknown: the column has not seen a value yet (its metrics do not exist yet).
	TypeUnknown ColumnType = iota
	// TypeIntegral: bool, int and uint kinds. Metrics: counts, types,
	// distribution, ints, cardinality, frequent_items.
	TypeIntegral
	// TypeFractional: float kinds. Metrics: counts, types, distribution,
	// cardinality (no frequent_items).
	TypeFractional
	// TypeString: strings. Metrics: counts, types, distribution, cardinality,
	// frequent_items.
	TypeString
	// TypeAny: everything else, including nil. Metrics: counts, types.
	TypeAny
)

// String returns the lower-case name of t.
func (t ColumnType) String() string {
	switch t {
	case TypeUnknown:
		return "unknown"
	case TypeIntegral:
		return "integral"
	case TypeFractional:
		return "fractional"
	case TypeString:
		return "string"
	case TypeAny:
		return "any"
	}
	return fmt.Sprintf("ColumnType(%d)", uint8(t))
}

// Config holds the parameters of a DatasetProfile. The zero value means the
// whylogs defaults.
type Config struct {
	// KLLK is the k of every distribution KLL sketch; 0 means DefaultKLLK.
	KLLK int
	// HLLLgK is the lg_k of every cardinality HLL; 0 means DefaultHLLLgK.
	HLLLgK int
	// FrequentItemsLgMaxK is the lg_max_map_size of every frequent-items
	// sketch; 0 means DefaultFrequentItemsLgMaxK.
	FrequentItemsLgMaxK int
	// MaxFrequentItemSize is how many characters of a string reach the
	// frequent-items sketch; 0 means DefaultMaxFrequentItemSize.
	MaxFrequentItemSize int
	// DisableFrequentItems drops the frequent_items metric from every column
	// (whylogs MetricConfig.fi_disabled).
	DisableFrequentItems bool
	// Seed seeds the KLL compaction coin flips. Each column's KLL gets its own
	// deterministic bit source derived from Seed and the column name, so the
	// same input with the same Seed gives byte-identical sketches. The pipeline
	// derives it from the window, segment and partition identity.
	Seed uint64
	// Types declares column types up front (whylogs DatasetSchema(types=…)). A
	// declared column never takes its type from its first value.
	Types map[string]ColumnType
	// NullDefersType makes a nil value leave an undeclared column's type open,
	// so the first non-nil value decides it. whylogs (and the default, false)
	// fixes the type at the first value even when it is None, which leaves the
	// column with counts and types only.
	NullDefersType bool
	// RowPathNaN routes NaN as whylogs' row path (why.log(row=…)) does instead
	// of its DataFrame path: NaN then also counts as fractional, is hashed into
	// the HLL, becomes the frequent item "nan", and turns distribution/mean
	// and m2 into NaN (the KLL ignores it). Off by default (see DEVIATIONS.md).
	RowPathNaN bool
}

// settings is the validated Config shared by all columns of a profile.
type settings struct {
	kllK, hllLgK, fiLgMaxK, maxItemSize int
	disableFI, nullDefersType, rowNaN   bool
	seed                                uint64
	types                               map[string]ColumnType
}

func (c Config) settings() (*settings, error) {
	s := &settings{
		kllK: c.KLLK, hllLgK: c.HLLLgK, fiLgMaxK: c.FrequentItemsLgMaxK, maxItemSize: c.MaxFrequentItemSize,
		disableFI: c.DisableFrequentItems, nullDefersType: c.NullDefersType, seed: c.Seed,
		rowNaN: c.RowPathNaN,
	}
	if s.kllK == 0 {
		s.kllK = DefaultKLLK
	}
	if s.hllLgK == 0 {
		s.hllLgK = DefaultHLLLgK
	}
	if s.fiLgMaxK == 0 {
		s.fiLgMaxK = DefaultFrequentItemsLgMaxK
	}
	if s.maxItemSize == 0 {
		s.maxItemSize = DefaultMaxFrequentItemSize
	}
	if s.maxItemSize < 0 {
		return nil, fmt.Errorf("profiler: max frequent item size %d < 0: %w", s.maxItemSize, ErrInvalidArgument)
	}
	// Validate non-default sketch parameters once, with the sketches' own rules.
	if s.kllK != DefaultKLLK {
		if _, err := sketches.NewKLLDoubles(s.kllK); err != nil {
			return nil, fmt.Errorf("profiler: kll k %d: %w (%w)", s.kllK, ErrInvalidArgument, err)
		}
	}
	if s.hllLgK != DefaultHLLLgK {
		if _, err := sketches.NewHLL(s.hllLgK, sketches.HLL4); err != nil {
			return nil, fmt.Errorf("profiler: hll lg_k %d: %w (%w)", s.hllLgK, ErrInvalidArgument, err)
		}
	}
	if s.fiLgMaxK != DefaultFrequentItemsLgMaxK {
		if _, err := sketches.NewFrequentStrings(s.fiLgMaxK); err != nil {
			return nil, fmt.Errorf("profiler: frequent items lg_max_k %d: %w (%w)", s.fiLgMaxK, ErrInvalidArgument, err)
		}
	}
	if len(c.Types) > 0 {
		s.types = make(map[string]ColumnType, len(c.Types))
		for k, t := range c.Types {
			if t < TypeIntegral || t > TypeAny {
				return nil, fmt.Errorf("profiler: declared type of column %q is %v: %w", k, t, ErrInvalidArgument)
			}
			s.types[k] = t
		}
	}
	return s, nil
}

// columnSeed derives the KLL bit-source seed of one column (or compound
// sub-metric, when sub is not empty) from the profile seed: the MurmurHash3 of
// the name, seeded with the profile seed. It depends on nothing but its inputs.
func columnSeed(seed uint64, name, sub string) uint64 {
	h1, _ := sketches.HashString(name, seed)
	if sub != "" {
		h1, _ = sketches.HashString(sub, h1)
	}
	return h1
}

// Seed derives a Config.Seed from identity strings (for example dataset,
// window start, segment key, topic and partition), so that a profile's KLL
// coin flips depend only on what the profile is, not on when or where it was
// built (invariant 4). Each part is hashed with its length, so ("ab", "c") and
// ("a", "bc") differ.
func Seed(parts ...string) uint64 {
	h := sketches.DefaultSeed
	var lenBuf [8]byte
	for _, p := range parts {
		n := uint64(len(p))
		for i := range lenBuf {
			lenBuf[i] = byte(n >> (8 * i))
		}
		h, _ = sketches.HashBytes(lenBuf[:], h)
		h, _ = sketches.HashString(p, h)
	}
	return h
}
