//go:build !unix

package session_test

import "time"

// processCPU is not available here; the CPU metrics then read 0 or +Inf.
func processCPU() time.Duration { return 0 }
