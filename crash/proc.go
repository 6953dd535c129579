package crash

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// BuildConsumer builds cmd/consumer of the module rooted at root into dir and
// returns the binary's path.
func BuildConsumer(root, dir string) (string, error) {
	bin := filepath.Join(dir, "consumer")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/consumer")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/consumer: %v\n%s", err, out)
	}
	return bin, nil
}

// Proc is one child process whose combined output is kept line by line (and
// written to a log file) so that the harness can wait for log lines.
type Proc struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line
	done    chan struct{} // closed when the process exited and its output was read
	err     error         // Wait's result, set before done is closed
}

// StartProc starts bin with args and env (added to the harness's
// environment), writing its output to logPath.
func StartProc(name, bin string, args, env []string, logPath string) (*Proc, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		lf.Close()
		return nil, err
	}
	p := &Proc{Name: name, LogPath: logPath, changed: make(chan struct{}), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = w, w
	p.cmd.Env = append(os.Environ(), env...)
	dieWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		lf.Close()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	w.Close()
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer lf.Close()
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Text()
			lf.WriteString(line + "\n")
			p.mu.Lock()
			p.lines = append(p.lines, line)
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		io.Copy(io.Discard, r)
	}()
	go func() {
		err := p.cmd.Wait()
		<-read
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Pid is the child's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Running reports whether the process has not exited yet.
func (p *Proc) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Done is closed when the process exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Lines returns how many output lines were read so far (a mark for WaitLine).
func (p *Proc) Lines() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// ErrExited is returned by WaitLine when the process ended first.
var ErrExited = errors.New("process exited")

// WaitLine waits for the first output line at index ≥ from for which match
// is true and returns its index and text.
func (p *Proc) WaitLine(ctx context.Context, from int, match func(string) bool) (int, string, error) {
	for {
		p.mu.Lock()
		for i := from; i < len(p.lines); i++ {
			if match(p.lines[i]) {
				l := p.lines[i]
				p.mu.Unlock()
				return i, l, nil
			}
		}
		from = len(p.lines)
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-p.done:
			// The reader finished before done closed: a last scan sees everything.
			p.mu.Lock()
			for i := from; i < len(p.lines); i++ {
				if match(p.lines[i]) {
					l := p.lines[i]
					p.mu.Unlock()
					return i, l, nil
				}
			}
			p.mu.Unlock()
			return -1, "", fmt.Errorf("%s: %w (%s)", p.Name, ErrExited, p.ExitStatus())
		case <-ctx.Done():
			return -1, "", fmt.Errorf("%s: waiting for a log line: %w", p.Name, ctx.Err())
		}
	}
}

// Count counts the output lines containing s.
func (p *Proc) Count(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// Tail returns the last n output lines.
func (p *Proc) Tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ls := p.lines
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// Kill sends SIGKILL and waits for the process to end.
func (p *Proc) Kill() {
	if p.Running() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// Term sends SIGTERM and waits up to timeout; it returns the exit code, or an
// error when the process did not end in time (it is then killed).
func (p *Proc) Term(timeout time.Duration) (int, error) {
	if !p.Running() {
		return p.ExitCode(), fmt.Errorf("%s had already exited (%s)", p.Name, p.ExitStatus())
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.ExitCode(), nil
	case <-time.After(timeout):
		p.Kill()
		return -1, fmt.Errorf("%s still ran %s after SIGTERM; killed", p.Name, timeout)
	}
}

// ExitCode is the exit code of an exited process (-1 for a signal death).
func (p *Proc) ExitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// ExitStatus describes how the process ended.
func (p *Proc) ExitStatus() string {
	select {
	case <-p.done:
	default:
		return "running"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		return "exit 0"
	}
	return p.err.Error()
}

// logLine is the part of a zerolog JSON line the harness reads.
type logLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Addr    string `json:"addr"`
}

func parseLog(line string) (logLine, bool) {
	var l logLine
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &l) != nil {
		return l, false
	}
	return l, true
}

// hasMessage matches zerolog JSON lines with the given message.
func hasMessage(msg string) func(string) bool {
	needle := `"message":` + strconv.Quote(msg)
	return func(line string) bool { return strings.Contains(line, needle) }
}

// MetricsAddr waits for the consumer's "serving /metrics" log line and
// returns the HTTP address.
func (p *Proc) MetricsAddr(ctx context.Context) (string, error) {
	_, line, err := p.WaitLine(ctx, 0, hasMessage("serving /metrics, /healthz, /readyz"))
	if err != nil {
		return "", err
	}
	l, _ := parseLog(line)
	if l.Addr == "" {
		return "", fmt.Errorf("%s: no addr in %q", p.Name, line)
	}
	return l.Addr, nil
}

// Metric returns the sum of the samples of a Prometheus metric whose line
// starts with prefix (a name, or a name with labels such as
// `kprofiler_rebalances_total{event="revoked"}`) on the /metrics endpoint at
// addr; a metric that is not exposed yet is 0.
func Metric(ctx context.Context, addr, prefix string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, line := range bytes.Split(b, []byte("\n")) {
		s := string(line)
		if !strings.HasPrefix(s, prefix) {
			continue
		}
		rest := s[len(prefix):]
		if !strings.HasPrefix(rest, " ") && !strings.HasPrefix(rest, "{") {
			continue // a longer metric name
		}
		f := strings.Fields(s)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, nil
}
