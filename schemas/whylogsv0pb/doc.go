// Package whylogsv0pb holds the Go types generated (protoc-gen-go v1.36.12) from
// ../proto/kprofiler/whylogs/v0/profile.proto: the messages of the whylogs v0
// profile format (DatasetProfileMessage and its columns, counters, schema
// type counts, number and string trackers with their sketch images, model
// metrics), in protobuf package kprofiler.whylogs.v0.
//
// Field numbers and wire types are those of whylogs 0.7's messages.proto.
// Deviations, none of which changes the wire format: camelCase field names
// are spelled snake_case (type_counts, mode_profile, score_matrix,
// model_type, regression_metrics), and NumbersMessage.doubles/longs are plain
// fields instead of a oneof, so that protobuf-go encodes them in field-number
// order as whylogs does (whylogs sets at most one of them).
//
// Do not edit profile.pb.go; run `go generate ./schemas/...` (see package
// schemas).
package whylogsv0pb
