module github.com/kprofiler/kprofiler

go 1.26.0

require google.golang.org/protobuf v1.36.12

require go.yaml.in/yaml/v3 v3.0.6

require (
	github.com/twmb/franz-go v1.22.3
	github.com/twmb/franz-go/pkg/kadm v1.20.0
)

require (
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.15.1 // indirect
)

require (
	github.com/linkedin/goavro/v2 v2.15.0
	github.com/twmb/franz-go/pkg/sr v1.8.0
)

require github.com/golang/snappy v0.0.1 // indirect
