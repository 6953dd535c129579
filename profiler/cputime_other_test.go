//go:build !unix

package profiler_test

import "time"

// cpuTime is not available here; the CPU-time metrics then read +Inf/0.
func cpuTime() time.Duration { return 0 }
