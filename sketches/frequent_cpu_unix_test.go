//go:build unix

package sketches

import "syscall"

// processCPUNanos returns the user+system CPU time of the process, so that
// benchmarks on a shared machine can report CPU time per operation next to
// wall time.
func processCPUNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
