//go:build !unix

package whylogs

import "time"

// benchCPU is not available here; cpu-ns/op then reads 0.
func benchCPU() time.Duration { return 0 }
