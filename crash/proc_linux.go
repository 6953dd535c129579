package crash

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel SIGKILL the child when the harness process
// dies (a go test timeout or a killed test run), so no consumer or dev
// broker outlives the suite.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
