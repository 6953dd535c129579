// Package profilefile reads and writes whylogs profile files at the protobuf
// message level, on the generated types of packages whylogspb (v1) and
// whylogsv0pb (v0). It does not interpret metrics or decode sketches: the
// profiler converts its profiles to and from File/ColumnMessage values.
//
// # v1 ("WHY1") files
//
// ParseV1 (or ReadV1, File.UnmarshalBinary) turns a file into a File:
//
//	File{
//	    Segment: *DatasetSegmentHeader   // nil for a plain profile
//	    Header:  *DatasetProfileHeader   // properties (timestamps, tags, metadata) + layout as read
//	    Columns: map[column name]*ColumnMessage{path "ns/comp" → *MetricComponentMessage}
//	}
//
// File.AppendBinary (MarshalBinary, WriteTo) writes it back exactly as
// whylogs' DatasetProfileView._do_write and SegmentedDatasetProfileView._write_v1
// lay a file out:
//
//	"WHY1" | varint len + DatasetSegmentHeader | varint len + DatasetProfileHeader |
//	chunk area: per column, in sorted name order, varint len + ChunkHeader{COLUMN, len} + ChunkMessage
//	[segmented files only: the part of whylogs' 9-byte offset probe its copy loop leaves behind]
//
// The metric index (indexed_metric_paths) is the sorted union of component
// paths; column offsets are relative to the chunk area; header.length is the
// chunk-area size. Every message is marshalled deterministically (map entries
// in ascending key order), so a File always gives the same bytes.
//
// Byte equality with whylogs: a re-written whylogs file has the same length,
// the same headers sizes, chunk headers, offsets and trailer, and messages
// that differ only in the order of map entries. whylogs serialises with
// Python's non-deterministic SerializeToString, whose map order is insertion
// or hash order depending on the protobuf version, so no writer can
// reproduce it in general (ref-whylogs-format.md §1.4); readers, whylogs'
// included, do not depend on it.
//
// NewSegmentHeader builds whylogs' DatasetSegmentHeader for one segment
// (has_segments, the tags, offsets {0: 9}).
//
// # v0 files
//
// ParseV0 (ReadV0) decodes the varint-delimited DatasetProfileMessage of
// whylogs 0.x (Python and Java); AppendV0 writes one (deterministically, as
// Python's serialize_delimited). DetectFormat tells the two formats apart.
//
// # Errors and limits
//
// Decoders never panic, copy what they keep (the result never aliases the
// input) and allocate in proportion to the input length: every length and
// offset is checked against the bytes present before use, chunks may not
// overlap, so no byte is decoded twice, and nesting is bounded by protobuf's
// recursion limit. Failures wrap ErrNotProfile, ErrUnsupportedVersion,
// ErrCorrupt or ErrTruncated (which wraps ErrCorrupt) and name the byte
// offset and what was expected there. Writers fail only with ErrInvalidFile
// (a chunk over 4 GiB, or a string that is not valid UTF-8).
//
// # Concurrency
//
// Functions keep no state. A File or message may be read (and written out)
// by several goroutines at once, but not mutated concurrently.
package profilefile
