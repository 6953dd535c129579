package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kprofiler/kprofiler/sink"
)

// These tests run `consumer run` through runRun, the command itself, and
// send real signals to the test process: runRun's signal.Notify turns them
// into the two-stage shutdown instead of killing the process. A signal is
// only sent while runRun is known to be running (its /healthz answered and
// it has not returned), i.e. after it registered for the signals.

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// runCommand is one runRun call in the background.
type runCommand struct {
	code   chan int
	stderr *lockedBuffer
	http   string
}

// startRun writes yaml to a file and runs `consumer run --config FILE
// --http-listen ADDR`, waiting until /healthz answers.
func startRun(t *testing.T, yaml string) *runCommand {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kprofiler.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &runCommand{code: make(chan int, 1), stderr: &lockedBuffer{}, http: freeAddr(t)}
	go func() {
		c.code <- runRun([]string{"--config", path, "--http-listen", c.http, "--log-format", "json"}, io.Discard, c.stderr)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case code := <-c.code:
			t.Fatalf("consumer run exited with %d before serving; stderr:\n%s", code, c.stderr)
		default:
		}
		if r, err := http.Get("http://" + c.http + "/healthz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered; stderr:\n%s", c.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metric returns the value of the sample line starting with name (name
// includes the labels), or -1.
func (c *runCommand) metric(t *testing.T, name string) float64 {
	t.Helper()
	r, err := http.Get("http://" + c.http + "/metrics")
	if err != nil {
		return -1
	}
	defer r.Body.Close()
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// waitRecords waits until the consumer counted n records of topic.
func (c *runCommand) waitRecords(t *testing.T, topic string, n int) {
	t.Helper()
	name := fmt.Sprintf(`kprofiler_records_total{topic=%q}`, topic)
	deadline := time.Now().Add(60 * time.Second)
	for c.metric(t, name) != float64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %d; stderr:\n%s", name, c.metric(t, name), n, c.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signal sends sig to this process if runRun is still running.
func (c *runCommand) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	select {
	case code := <-c.code:
		t.Fatalf("consumer run already exited with %d; stderr:\n%s", code, c.stderr)
	default:
	}
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
}

func (c *runCommand) wait(t *testing.T, d time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case code := <-c.code:
		return code, time.Since(start)
	case <-time.After(d):
		t.Fatalf("consumer run did not exit within %v; stderr:\n%s", d, c.stderr)
	}
	return -1, 0
}

// SIGINT or SIGTERM: every open window is published as a partial
// (checkpoint) profile, the group commits the end offsets, exit code 0.
func TestRunSignalDrains(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			c, opts := plainCluster(t, 2, "numbers", "profiles")
			produceNumbered(t, producer(t, opts...), "numbers", 2, 30, func(_ int32, i int) time.Time {
				return genStart.Add(time.Duration(i) * time.Second)
			})
			cmd := startRun(t, runYAML(c.ListenAddrs(), "drain", "numbers", "profiles", ""))
			cmd.waitRecords(t, "numbers", 60)
			cmd.signal(t, sig)
			if code, _ := cmd.wait(t, time.Minute); code != 0 {
				t.Fatalf("exit code %d; stderr:\n%s", code, cmd.stderr)
			}
			ps := readProfiles(t, "profiles", opts...)
			sp := spans(t, ps, "numbers")
			checkSpan(t, sp, 0, 0, 29)
			checkSpan(t, sp, 1, 0, 29)
			for _, p := range ps {
				if p.Kind != sink.KindCheckpoint {
					t.Errorf("profile %s is %v, want a partial (checkpoint) of the open window", p.Key, p.Kind)
				}
			}
			if got := committed(t, "drain", "numbers", opts...); got[0] != 30 || got[1] != 30 {
				t.Errorf("committed %v, want 30 on both partitions", got)
			}
			if s := cmd.stderr.String(); !strings.Contains(s, "shutting down") || !strings.Contains(s, "drained and committed") {
				t.Errorf("stderr lacks the shutdown log lines:\n%s", s)
			}
		})
	}
}

// deadSinkYAML is a configuration whose kafka sink points at a closed port:
// nothing can be published, so a drain cannot finish.
func deadSinkYAML(t *testing.T, c *kfake.Cluster, group, shutdown string) string {
	y := strings.Replace(runYAML(c.ListenAddrs(), group, "numbers", "profiles", ""),
		"    topic: profiles\n", "    topic: profiles\n    brokers: ["+freeAddr(t)+"]\n", 1)
	return strings.Replace(y, "shutdown_timeout: 30s", "shutdown_timeout: "+shutdown, 1)
}

// A second signal during the drain exits at once (exit code 130) without
// publishing or committing anything.
func TestRunSecondSignalAborts(t *testing.T) {
	c, opts := plainCluster(t, 2, "numbers", "profiles")
	produceNumbered(t, producer(t, opts...), "numbers", 2, 30, func(_ int32, i int) time.Time {
		return genStart.Add(time.Duration(i) * time.Second)
	})
	cmd := startRun(t, deadSinkYAML(t, c, "abort", "10m"))
	cmd.waitRecords(t, "numbers", 60)
	cmd.signal(t, syscall.SIGTERM)
	// The drain is stuck on the sink: the command must still be running.
	select {
	case code := <-cmd.code:
		t.Fatalf("exited with %d after the first signal although nothing could be published; stderr:\n%s", code, cmd.stderr)
	case <-time.After(time.Second):
	}
	cmd.signal(t, syscall.SIGINT)
	code, took := cmd.wait(t, time.Minute)
	if code != 130 {
		t.Errorf("exit code %d after the second signal, want 130; stderr:\n%s", code, cmd.stderr)
	}
	// "At once": far below the 10m shutdown timeout; generous for a loaded
	// machine.
	if took > 20*time.Second {
		t.Errorf("the second signal took %v to exit", took)
	}
	if got := committed(t, "abort", "numbers", opts...); got[0] > 0 || got[1] > 0 {
		t.Errorf("committed %v after an abort, want nothing past offset 0", got)
	}
	if s := cmd.stderr.String(); !strings.Contains(s, "second signal") {
		t.Errorf("stderr lacks the second-signal line:\n%s", s)
	}
}

// When the drain cannot finish within shutdown_timeout, the command exits
// (code 1, the timeout logged) without committing what was not published.
func TestRunShutdownTimeout(t *testing.T) {
	c, opts := plainCluster(t, 1, "numbers", "profiles")
	produceNumbered(t, producer(t, opts...), "numbers", 1, 10, func(_ int32, i int) time.Time {
		return genStart.Add(time.Duration(i) * time.Second)
	})
	cmd := startRun(t, deadSinkYAML(t, c, "timeout", "2s"))
	cmd.waitRecords(t, "numbers", 10)
	cmd.signal(t, syscall.SIGTERM)
	code, took := cmd.wait(t, time.Minute)
	if code != 1 {
		t.Errorf("exit code %d, want 1; stderr:\n%s", code, cmd.stderr)
	}
	if took < 2*time.Second {
		t.Errorf("exited after %v, before the 2s shutdown timeout", took)
	}
	if s := cmd.stderr.String(); !strings.Contains(s, "shutdown timed out") {
		t.Errorf("stderr does not name the timeout:\n%s", s)
	}
	// Nothing was published, so no offset beyond the first record (0) may
	// be committed.
	if got := committed(t, "timeout", "numbers", opts...); got[0] > 0 {
		t.Errorf("committed %v after a timed-out drain, want nothing past offset 0", got)
	}
}

// consumer run --help documents the two-stage shutdown and every exit code
// the tests above observe.
func TestRunHelpDocumentsShutdown(t *testing.T) {
	code, out, _ := runCmd("run", "--help")
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	for _, w := range []string{"SIGINT/SIGTERM", "partial profiles", "second signal", "0 drained and committed",
		"1 invalid configuration", "TLS or SASL failure", "shutdown_timeout", "2 usage error", "130 stopped by a second signal",
		"kafka.tls.ca_file", "kafka.sasl.password_file", "kafka.start_from"} {
		if !strings.Contains(out, w) {
			t.Errorf("run --help lacks %q", w)
		}
	}
}
