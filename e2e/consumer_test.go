//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// The pipeline scenarios run `consumer run` as a separate OS process, built once per test
// binary from this tree with `go build -o` into a temporary directory (removed by TestMain).
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// consumerBinary returns the path of the consumer command built from the tree.
func consumerBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "kprofiler-e2e-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "consumer")
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/consumer")
		cmd.Dir = repoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/consumer: %v\n%s", err, out)
			return
		}
		fmt.Printf("consumer binary built in %s\n", time.Since(start).Round(time.Millisecond))
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// consumerProc is one running `consumer run --config F` process.
type consumerProc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set before done is closed
}

// startConsumer writes yaml to a config file and starts `consumer run --config` on it.
// Its stdout and stderr go to a log file whose tail is printed if the test fails. The
// process is SIGKILLed at cleanup if it still runs.
func startConsumer(t testing.TB, name, yaml string) *consumerProc {
	t.Helper()
	bin := consumerBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &consumerProc{t: t, name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	lf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, "run", "--config", cfg)
	p.cmd.Stdout, p.cmd.Stderr = lf, lf
	p.cmd.Env = os.Environ()
	if err := p.cmd.Start(); err != nil {
		lf.Close()
		t.Fatalf("starting consumer %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		lf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			p.dumpLog(60)
		}
	})
	return p
}

func (p *consumerProc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// dumpLog prints the last n lines of the process log.
func (p *consumerProc) dumpLog(n int) {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	fmt.Printf("----- last %d lines of consumer %s (%s) -----\n%s\n", len(lines), p.name, p.log, strings.Join(lines, "\n"))
}

// exitCode returns the exit code of a finished process (-1 for a signal death).
func (p *consumerProc) exitCode() int {
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// terminate sends SIGTERM and waits up to timeout for the process to end; it returns the
// exit code and how long the drain took.
func (p *consumerProc) terminate(timeout time.Duration) (int, time.Duration) {
	p.t.Helper()
	if !p.running() {
		p.t.Fatalf("consumer %s already exited (code %d) before SIGTERM", p.name, p.exitCode())
	}
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM consumer %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("consumer %s still runs %s after SIGTERM", p.name, timeout)
	}
	return p.exitCode(), time.Since(start)
}

// logCount counts log lines containing s.
func (p *consumerProc) logCount(s string) int {
	b, _ := os.ReadFile(p.log)
	return bytes.Count(b, []byte(s))
}

// groupLag returns the sum of the topic's end offsets and of the group's committed offsets
// on that topic (a partition without a commit counts 0).
func groupLag(ctx context.Context, adm *kadm.Client, group, topic string) (end, committed int64, err error) {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("list end offsets: %w", err)
	}
	offs, err := adm.FetchOffsets(ctx, group)
	if err == nil {
		err = offs.Error()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("fetch offsets: %w", err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		end += o.Offset
		if c, ok := offs.Lookup(topic, o.Partition); ok && c.At > 0 {
			committed += c.At
		}
	})
	return end, committed, nil
}

// waitCommitted polls until the group's committed offsets on topic equal the end offsets
// (and those sum to want), failing when a watched consumer exits or after timeout.
func waitCommitted(t testing.TB, ctx context.Context, adm *kadm.Client, group, topic string, want int64, timeout time.Duration, procs ...*consumerProc) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	var end, committed int64
	var err error
	for {
		end, committed, err = groupLag(ctx, adm, group, topic)
		if err == nil && end == want && committed == end {
			return time.Since(start)
		}
		for _, p := range procs {
			if !p.running() {
				t.Fatalf("consumer %s exited (code %d) while waiting for commits (committed %d of %d)", p.name, p.exitCode(), committed, end)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s: committed %d of end %d (want %d) after %s (last error %v)", group, committed, end, want, timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// countFiles counts the *.bin profile files below dir.
func countFiles(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".bin") {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// produceStats mirrors the head of produce_events.py's statistics file.
type produceStats struct {
	Events     int   `json:"events"`
	Valid      int   `json:"valid"`
	Bad        int   `json:"bad"`
	Partitions int   `json:"partitions"`
	Windows    []int `json:"windows"`
	BadRecords []struct {
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
		Kind      string `json:"kind"`
	} `json:"bad_records"`
	Groups map[string]json.RawMessage `json:"groups"`
}

func readStats(t testing.TB, path string) *produceStats {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s produceStats
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &s
}

// checkSource is one source's figures from check_profiles.py.
type checkSource struct {
	Profiles    int      `json:"profiles"`
	Groups      int      `json:"groups"`
	Rows        int      `json:"rows"`
	Values      int      `json:"values"`
	MaxRankErr  float64  `json:"max_rank_err"`
	MaxRankErr1 float64  `json:"max_rank_err_minus_item"`
	Eps         *float64 `json:"eps"`
	MaxMeanRel  float64  `json:"max_mean_rel"`
	MaxStdRel   float64  `json:"max_std_rel"`
	MaxCardErr  float64  `json:"max_card_err_vs_3sigma"`
	FIChecked   int      `json:"fi_checked"`
	ReadSeconds float64  `json:"-"`
}

type checkResult struct {
	ExpectedGroups int          `json:"expected_groups"`
	Valid          int          `json:"valid"`
	Failures       int          `json:"failures"`
	TopicRecords   int          `json:"topic_records"`
	TopicRepeated  int          `json:"topic_repeated_keys"`
	TopicRepRows   int          `json:"topic_repeated_rows"`
	FirstFailures  []string     `json:"first_failures"`
	Files          *checkSource `json:"files"`
	Kafka          *checkSource `json:"kafka"`
}

// checkProfiles runs python/check_profiles.py (whylogs reads, merges and compares the
// profiles) and parses its result line; a failure exit fails the test with its output.
func checkProfiles(t testing.TB, ctx context.Context, args ...string) *checkResult {
	t.Helper()
	out := runPython(t, ctx, "check_profiles.py", args...)
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "check: "); ok {
			var r checkResult
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				t.Fatalf("check_profiles.py result: %v: %s", err, rest)
			}
			return &r
		}
	}
	t.Fatalf("check_profiles.py printed no result line:\n%s", out)
	return nil
}

// consumerYAML is the config of a `consumer run` process for the scenarios: one JSON
// dataset with event time from "ts", 1-minute windows, segments on region and device plus
// the full-dataset profile, a file sink and optionally a Kafka sink and a dead-letter topic.
func consumerYAML(bootstrap, group, topic, outDir, profileTopic, dlq string, checkpointEvery int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `kafka:
  brokers: [%s]
  group: %s
  client_id: kprofiler-e2e
  fetch_max_wait: 200ms
  session_timeout: 30s
datasets:
  - name: e2e
    topics: [%s]
    format: json
    event_time: {source: field, field: ts, format: rfc3339}
    rotation: 1m
    allowed_lateness: 5s
    segments: {fields: [region, device]}
    profile_full_dataset: true
sinks:
  - type: blob
    url: file://%s
`, strings.Join(seedsOf(bootstrap), ", "), group, topic, filepath.ToSlash(outDir))
	if profileTopic != "" {
		fmt.Fprintf(&b, "  - type: kafka\n    topic: %s\n", profileTopic)
	}
	if dlq != "" {
		fmt.Fprintf(&b, "dead_letter:\n  topic: %s\n", dlq)
	}
	fmt.Fprintf(&b, `checkpoint:
  every_records: %d
http:
  listen: 127.0.0.1:0
log:
  level: info
  format: json
shutdown_timeout: 60s
`, checkpointEvery)
	return b.String()
}

func seedsOf(bootstrap string) []string {
	var out []string
	for _, s := range strings.Split(bootstrap, ",") {
		out = append(out, strconv.Quote(s))
	}
	return out
}

// bgPython is a Python script from e2e/python running in the background.
type bgPython struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
	err  error
}

// startPython starts a script in the background with the venv's interpreter; it is
// killed at cleanup if it still runs.
func startPython(t testing.TB, script string, args ...string) *bgPython {
	t.Helper()
	py := envOrFail(t, "E2E_PYTHON")
	b := &bgPython{done: make(chan struct{})}
	b.cmd = exec.Command(py, append([]string{filepath.Join(repoRoot(t), "e2e", "python", script)}, args...)...)
	b.cmd.Env = append(os.Environ(), "WHYLOGS_NO_ANALYTICS=True", "PYTHONUNBUFFERED=1")
	b.cmd.Stdout, b.cmd.Stderr = &b.out, &b.out
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", script, err)
	}
	go func() {
		b.err = b.cmd.Wait()
		close(b.done)
	}()
	t.Cleanup(func() {
		select {
		case <-b.done:
		default:
			_ = b.cmd.Process.Kill()
			<-b.done
		}
	})
	return b
}

func (b *bgPython) running() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// wait waits up to timeout for the script and returns its output, failing the test on a
// non-zero exit or timeout.
func (b *bgPython) wait(t testing.TB, timeout time.Duration) string {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(timeout):
		t.Fatalf("%s still runs after %s", b.cmd.Args[1], timeout)
	}
	if b.err != nil {
		t.Fatalf("%s: %v\n%s", b.cmd.Args[1], b.err, b.out.String())
	}
	return b.out.String()
}
