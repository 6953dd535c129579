#!/bin/sh
# Regenerates the Go code in whylogspb/ and whylogsv0pb/ from proto/.
# Run through `go generate ./schemas/...` (or `sh gen.sh` inside schemas/).
# Needs protoc (Debian: apt-get install -y protobuf-compiler) and
# protoc-gen-go v1.36.12 (go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12).
set -eu
cd "$(dirname "$0")"
want=v1.36.12
gen=$(command -v protoc-gen-go 2>/dev/null || true)
if [ -z "$gen" ]; then
	gen="$(go env GOPATH)/bin/protoc-gen-go"
fi
if [ ! -x "$gen" ]; then
	echo "gen.sh: protoc-gen-go not found; run: go install google.golang.org/protobuf/cmd/protoc-gen-go@$want" >&2
	exit 1
fi
have=$("$gen" --version | awk '{print $2}')
if [ "$have" != "$want" ]; then
	echo "gen.sh: protoc-gen-go is $have, want $want" >&2
	exit 1
fi
command -v protoc >/dev/null || { echo "gen.sh: protoc not found; run: apt-get install -y protobuf-compiler" >&2; exit 1; }
protoc -I proto \
	--plugin=protoc-gen-go="$gen" \
	--go_out=. --go_opt=module=github.com/kprofiler/kprofiler/schemas \
	kprofiler/whylogs/v1/profile.proto \
	kprofiler/whylogs/v0/profile.proto
