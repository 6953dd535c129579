// Package schemas holds kprofiler's protobuf descriptions of the whylogs
// profile formats and the code generated from them. It has no Go API of its
// own; its sub-packages are:
//
//   - whylogspb: generated Go types of the whylogs v1 ("WHY1") messages,
//     protobuf package kprofiler.whylogs.v1 (proto/kprofiler/whylogs/v1/profile.proto);
//   - whylogsv0pb: generated Go types of the whylogs v0 messages, protobuf
//     package kprofiler.whylogs.v0 (proto/kprofiler/whylogs/v0/profile.proto);
//   - profilefile: the file codec: WHY1 files to and from a File of
//     generated messages, and v0 delimited DatasetProfileMessage files.
//
// The .proto files are written for kprofiler from the field numbers and types
// in shared/docs/ref-whylogs-format.md; only the wire format has to match
// whylogs. The "kprofiler." package prefix (and the kprofiler/… file paths)
// keep the descriptors from clashing with whylogs' own generated code in the
// global protobuf registry.
//
// # Regenerating
//
// The generated code is committed, so building and testing need no protoc.
// After editing a .proto file run
//
//	go generate ./schemas/...
//
// which runs gen.sh. It needs protoc (Debian/Ubuntu: apt-get install -y
// protobuf-compiler; checked with libprotoc 3.21.12) and protoc-gen-go v1.36.12,
// the version of the google.golang.org/protobuf runtime in go.mod:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//
// gen.sh finds protoc-gen-go on PATH or in $(go env GOPATH)/bin and refuses
// any other version.
package schemas

//go:generate sh gen.sh
