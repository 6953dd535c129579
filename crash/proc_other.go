//go:build !linux

package crash

import "os/exec"

// dieWithParent is a no-op outside Linux (no parent-death signal).
func dieWithParent(*exec.Cmd) {}
