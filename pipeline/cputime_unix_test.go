//go:build unix

package pipeline

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of the process (all threads,
// GC included), so benchmarks on a loaded shared machine can report CPU cost
// per event next to wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
