module github.com/kprofiler/kprofiler

go 1.26
