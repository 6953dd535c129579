//go:build !linux

package sketches

import "time"

func kllThreadCPU() (time.Duration, bool) { return 0, false }
func kllLockThread()                      {}
func kllUnlockThread()                    {}
