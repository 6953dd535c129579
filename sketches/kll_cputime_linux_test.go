//go:build linux

package sketches

import (
	"runtime"
	"syscall"
	"time"
)

// kllThreadCPU returns the CPU time consumed by the calling OS thread
// (RUSAGE_THREAD). Benchmarks lock their goroutine to a thread and report it
// as cpu-ns/op, which unlike wall time excludes the time the thread spent
// descheduled on a shared, loaded machine.
func kllThreadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

func kllLockThread()   { runtime.LockOSThread() }
func kllUnlockThread() { runtime.UnlockOSThread() }
