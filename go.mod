module github.com/kprofiler/kprofiler

go 1.26

require google.golang.org/protobuf v1.36.12

require go.yaml.in/yaml/v3 v3.0.6
