//go:build !unix

package sketches

// processCPUNanos is unavailable here; benchmarks then report 0 cpu-ns/op.
func processCPUNanos() int64 { return 0 }
