// Package profiler holds the pure domain of kprofiler: whylogs v1 column
// metrics, dataset profiles, segments, merge and summaries. It does no I/O,
// reads no clock, starts no goroutines and logs nothing; it imports only the
// standard library and package sketches. (Windows, rotation, loggers and
// sessions are built on top of DatasetProfile.)
//
// # Profiles and columns
//
// A DatasetProfile has a dataset timestamp and a creation timestamp (both
// supplied by the caller), metadata (dataset tags are metadata keys starting
// with TagPrefix, "whylogs.tag."), an optional Segment, and columns. A Column
// is created on first use by DatasetProfile.Column and gets its metrics when
// its type is fixed:
//
//	type        set by the first value …             metrics
//	Integral    bool, int*/uint* kinds, json.Number  counts types distribution ints cardinality frequent_items
//	Fractional  float32/float64, *big.Float/Rat      counts types distribution cardinality
//	String      string                               counts types distribution cardinality frequent_items
//	Any         nil, []byte, time.Time, maps, …      counts types
//
// This is whylogs' first-seen-type rule (StandardTypeMapper on type(first
// value), then STANDARD_RESOLVER): the type is fixed once and later values of
// other types only reach the metrics the column has. A column whose first value
// is nil is Any for good (as in whylogs) unless Config.NullDefersType is set;
// Config.Types declares types up front. Config.DisableFrequentItems drops
// frequent_items everywhere.
//
// # Routing values
//
// Each value updates the metrics as whylogs' PreprocessedColumn routes it:
//
//	Go value                        counts               types       distribution  ints     cardinality (HLL)  frequent_items
//	int kinds, uint ≤ MaxInt64      n                    integral    float64(v)    max/min  int64 hash         decimal string
//	uint64 > MaxInt64, big ints     n                    integral    float64(v)    saturate float64 hash       decimal string
//	bool                            n, true if true      boolean     1 or 0        —        int64 hash of 1/0  "True"/"False"
//	float finite                    n                    fractional  v             —        float64 hash       "%f" (C++ to_string)
//	±Inf                            n, inf               fractional  ±Inf          —        float64 hash       "inf"/"-inf"
//	NaN                             n, null, nan         —           —             —        —                  —
//	string                          n                    string      —             —        UTF-8 hash ("" ignored)  first 128 characters
//	nil, nil pointer/slice/map      n, null              —           —             —        —                  —
//	numeric list (rectangular, non-empty)  n             tensor      —             —        —                  —
//	[]byte, time.Time, maps, structs, complex, other lists  n  object  —           —        —                  —
//
// Pointers are followed; named types route by their kind; json.Number is an int
// when it is an integer literal, else a float. Integers hash as int64 (whylogs ≥
// 1.1.34). Column.UpdateInt64, UpdateUint64, UpdateFloat64, UpdateBool,
// UpdateString, UpdateStringBytes, UpdateNull, UpdateObject and UpdateTensor
// are the typed entry points for decoders; they do not allocate in steady
// state: the frequent-items sketch copies every new item (the decimal string
// of an integer, a string, bytes) into a key arena it owns and reuses. Columns logs one
// value into the same column of several profiles, hashing it once. Column.Update(any) and DatasetProfile.Track(map) route arbitrary
// values through the same rules. NaN follows whylogs' DataFrame path (null and
// nan only) unless Config.RowPathNaN selects its row path; see DEVIATIONS.md.
//
// The sketch parameters are whylogs': KLL doubles with k = 1024, HLL lg_k 12
// written as HLL_4, frequent strings with lg_max_map_size 10. mean and m2 are
// updated with Welford's step and merged with Chan's parallel formula; the
// distribution's n is the KLL's n, as in whylogs.
//
// # Determinism
//
// Every column's KLL draws its compaction coin flips from a bit source seeded
// from Config.Seed and the column name: the same values in the same order with
// the same seed give byte-identical sketches (invariant 4). Seed derives
// Config.Seed from identity strings (dataset, window, segment, partition).
// Clones and merge results are reseeded from the same column seed. Nothing here
// depends on Go map order: components, summaries and column lists are sorted.
//
// # Components: the hand-off to the file codec
//
// Package schemas (which imports this package; this package does not import
// it) writes and reads whylogs v1 files. The neutral form between the two is
// the Component: one whylogs MetricComponentMessage under its full path, for
// example
//
//	counts/n counts/null counts/nan counts/inf counts/true           Kind N (int64)
//	types/integral types/fractional types/boolean types/string
//	types/object types/tensor                                         Kind N
//	distribution/kll                                                  Kind KLL (whylogs fork image, preamble 6)
//	distribution/mean distribution/m2                                 Kind D (float64)
//	ints/max (TypeID 2) ints/min (TypeID 1)                           Kind N
//	cardinality/hll                                                   Kind HLL (compact image)
//	frequent_items/frequent_strings                                   Kind FrequentItems (image)
//
// Writing: DatasetProfile.Components returns, per column in sorted name order,
// the components sorted by path (columns never updated are left out);
// ComponentsInto returns the same into a reusable ComponentBuffer (the
// encoder's path: no per-column allocation); MetricPaths gives the sorted union of paths (indexed_metric_paths);
// FileProperties returns the timestamps (epoch ms), DatasetProperties tags and
// metadata, and the segment header tags, split as whylogs splits them. Reading: NewDatasetProfile, then SetFileProperties,
// then SetColumnComponents per column. Components with a compound prefix
// ("image/Brightness.mean:distribution/kll") become sub-metrics that merge and
// summarise like the top-level ones; components of unknown namespaces are kept
// verbatim and merged component-wise by type id and kind (min, max, sum, sketch
// merge), as whylogs' component aggregators do. Export → import → export gives
// identical components.
//
// # Segments
//
// A Segment is one slice of a column-based segmentation partition: the
// partition name, its columns, an optional filter, the partition id whylogs
// computes (PartitionID) and the ordered key/value tags. NewSegment builds one;
// SegmentValue formats key values with Python's str() as whylogs does. A
// segmented profile is written with the segment tags as DatasetProperties.tags
// and as the segment header, and the segp_* metadata (FileProperties).
//
// # Merge and summaries
//
// DatasetProfile.Merge merges column by column (union of columns and metrics),
// keeps the earliest timestamps, lets the other side's metadata win, and
// refuses profiles of different datasets (metadata "name") or segments with an
// error wrapping ErrMismatch unless MergeOptions say otherwise. Summary returns
// whylogs' to_summary_dict keys and values per column, in sorted order, for
// the columns whylogs' to_pandas() lists (not the flat copies of compound
// metrics; see DatasetProfile.SummaryWith).
//
// A WindowSet with column segments and the full-dataset profile (and
// Config.NullDefersType) derives the full profile at emission by merging the
// window's segment profiles in sorted segment-key order instead of updating
// it for every record; see WindowSet.
//
// Deliberate deviations from whylogs are listed in DEVIATIONS.md.
//
// # Concurrency
//
// Nothing in this package is safe for concurrent use; a profile and its
// columns belong to one goroutine (one partition worker).
package profiler
