package pipeline

import (
	"os"
	"testing"
)

// TestMain runs the package's tests, or, when KPROFILER_RSS_CHILD is set,
// only the open-segments workload whose peak RSS BenchmarkOpenSegmentsRSS
// measures from outside (rss_test.go).
func TestMain(m *testing.M) {
	if v := os.Getenv(rssChildEnv); v != "" {
		os.Exit(rssChild(v, os.Stdout))
	}
	os.Exit(m.Run())
}
