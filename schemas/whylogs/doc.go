// Package whylogs converts between the profiler's in-memory profiles
// (profiler.DatasetProfile) and whylogs profile files at the message level
// (profilefile.File for v1, whylogsv0pb.DatasetProfileMessage for v0).
//
// Dependency direction: package schemas/whylogs imports profiler and
// profilefile; the profiler never imports this package. The neutral form
// between the two sides is profiler.Component (one MetricComponentMessage
// under its full path) and profiler.FileProperties.
//
// # Writing (v1)
//
// Encode builds the File whylogs would write for a profile; AppendV1 /
// MarshalV1 write the same bytes as Encode + File.AppendBinary, but encode the
// column chunks straight from the components with protowire (no message per
// component, no reflection; profilefile.AppendAssembled hand-encodes the
// profile header too, only the small segment header goes through protobuf),
// which is the publish hot path. The layout:
//
//   - plain profile (DatasetProfileView._do_write): an empty segment header,
//     DatasetProperties{creation_timestamp, dataset_timestamp, tags = metadata
//     keys starting with "whylogs.tag.", metadata = the other keys};
//   - segmented profile (SegmentedDatasetProfileView._write_v1): segment
//     header {has_segments, one Segment with the tags "whylogs.tag.<col>",
//     offsets {0: 9}}, DatasetProperties.tags = the segment tags, metadata =
//     segp_id, segp_name, segp_col|segp_cols (and segp_filter) plus the profile
//     metadata;
//   - one column chunk per column, in sorted name order, holding every
//     component of the column (profiler.DatasetProfile.Components), with the
//     sorted union of component paths as indexed_metric_paths.
//
// Every map is written in ascending key order, so the same profile always
// gives the same bytes. Segment.PartitionID is written as given (NewSegment
// computes whylogs' sha512 id); whylogs never sets Segment.partition_id in
// the header, and neither do we.
//
// # Reading
//
// Decode turns a v1 File into a profile (profiler.DatasetProfile.
// SetFileProperties and SetColumnComponents); DecodeV0 converts a v0
// DatasetProfileMessage the way whylogs' migration/converters.py
// (v0_to_v1_view) does:
//
//	v1 metric            taken from the v0 column
//	counts/n             counters.count
//	counts/null          counters.null_count (the deprecated wrapper; 0 when absent)
//	counts/nan|inf|true  0
//	types/integral       schema.typeCounts[INTEGRAL=3]
//	types/fractional     schema.typeCounts[FRACTIONAL=2]
//	types/boolean        schema.typeCounts[BOOLEAN=4]
//	types/string         schema.typeCounts[STRING=5]
//	types/object         schema.typeCounts[UNKNOWN=0]
//	types/tensor         0
//	distribution/kll     numbers.histogram: a KLL floats image widened to doubles
//	                     (kll_floats_sketch.float_to_doubles: same k, n, levels);
//	                     an image that is not a valid floats sketch is read as doubles
//	distribution/mean    numbers.variance.mean
//	distribution/m2      numbers.variance.sum
//	ints/max, ints/min   numbers.longs.max / .min (0 when the column had no longs, as in whylogs)
//	cardinality/hll      cardinality_tracker.sketch
//	frequent_items/...   frequent_items.sketch (the column-level sketch, lg_max_k 5 in Python v0 files)
//
// Timestamps: dataset = properties.data_timestamp, creation =
// properties.session_timestamp (ms). Metadata = properties.metadata updated
// with properties.tags (tags win, as in whylogs). Deviations, all for input
// whylogs itself cannot convert: a column without a histogram gets an empty
// KLL (k = 128, whylogs' _DEFAULT_V0_KLL_K), without an HLL image an empty
// HLL (lg_k 12), and without a frequent-items image no frequent_items metric
// (whylogs' allow_partial behaviour). The model-performance part of a v0
// profile (modeProfile) is not converted: the profiler has no model metrics.
//
// FileName returns the name whylogs' writers give a profile file
// (profile_<creation timestamp>[_<partition id>_<segment values>].bin).
//
// Read and ReadFile detect the format (profilefile.DetectFormat) and call the
// matching decoder.
//
// # Errors
//
// Decoding never panics. Errors from the file layer keep profilefile's
// sentinels and byte offsets; errors about a component name the column and
// the metric path and wrap profilefile.ErrCorrupt (undecodable value, or a
// v0 histogram that is neither a KLL floats nor a KLL doubles image),
// ErrUnsupported (a component kind the profiler cannot hold) or
// profiler.ErrComponent; no other error comes out of Read (FuzzRead checks
// this, and that whatever Read accepts summarises, merges with itself and
// writes out again byte-stably). ReadFile prefixes the file name. Encode fails with
// ErrInvalidProfile (timestamps before 1970, which whylogs' uint64 fields
// cannot hold) or the profiler's serialisation errors.
//
// # Concurrency
//
// Functions keep no state. A profile must not be mutated while it is being
// encoded; a File must not be mutated while it is being decoded.
package whylogs
