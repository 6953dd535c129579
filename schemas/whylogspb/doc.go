// Package whylogspb holds the Go types generated (protoc-gen-go v1.36.12) from
// ../proto/kprofiler/whylogs/v1/profile.proto: the messages of the whylogs v1
// ("WHY1") profile format, in protobuf package kprofiler.whylogs.v1.
//
// The field numbers, wire types and map/oneof shapes are those of whylogs'
// whylogs_messages.proto, so these types read and write whylogs' bytes. The
// main ones: DatasetSegmentHeader (with Segment/SegmentTag), DatasetProfileHeader
// (DatasetProperties, ChunkOffsets), ChunkHeader, ChunkMessage, ColumnMessage
// and MetricComponentMessage, whose Value oneof holds n (int64), d (double),
// frequent_items/hll/kll/cpc sketch images, serialized_bytes,
// dataclass_param (google.protobuf.Struct) or msg (google.protobuf.Any).
//
// Do not edit profile.pb.go; run `go generate ./schemas/...` (see package
// schemas). Messages follow the usual protobuf-go rules: not safe for
// concurrent mutation, compare with proto.Equal, copy with proto.Clone.
package whylogspb
