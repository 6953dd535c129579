//go:build unix

package profiler

import (
	"syscall"
	"time"
)

// benchCPU returns the CPU time (user + system) the process has used, for
// the cpu-ns/op metric of the internal benchmarks.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
