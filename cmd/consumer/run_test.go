package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
	"github.com/kprofiler/kprofiler/pipeline"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
	"github.com/kprofiler/kprofiler/sink"
)

// consumer run against an in-process broker: gen events, run with a YAML
// config and a file sink, SIGTERM-equivalent stop; the files hold every
// valid event exactly once and the exit code is 0.
func TestRunEndToEnd(t *testing.T) {
	c, _ := plainCluster(t, 2, "orders", "dlq")
	addrs := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	g, err := newOrderGen(7, genStart, 50*time.Millisecond, 0.05, "json")
	if err != nil {
		t.Fatal(err)
	}
	valid, err := produceEvents(context.Background(), cl, "orders", g, 3000)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	yaml := `kafka:
  brokers: [` + strings.Join(addrs, ",") + `]
  group: run-test
  fetch_max_wait: 100ms
datasets:
  - name: orders
    topics: [orders]
    event_time: {source: field, field: ts}
    rotation: 1m
    segments: {fields: [device]}
    profile_full_dataset: true
sinks:
  - type: blob
    url: file://` + filepath.ToSlash(out) + `
dead_letter:
  topic: dlq
http:
  listen: 127.0.0.1:0
log:
  level: warn
  format: json
`
	path := filepath.Join(t.TempDir(), "kprofiler.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan os.Signal, 2)
	started := make(chan *pipeline.Consumer, 1)
	code := make(chan int, 1)
	go func() {
		code <- serve(cfg, zerolog.Nop(), stop, func(c *pipeline.Consumer) { started <- c })
	}()
	cons := <-started
	deadline := time.Now().Add(30 * time.Second)
	for {
		var next int64
		for _, s := range cons.Stats() {
			next += s.Next
		}
		if next == 3000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not consumed: %+v", cons.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop <- syscall.SIGTERM
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
	var n int64
	files := 0
	err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".bin") {
			return err
		}
		files++
		if !strings.Contains(filepath.ToSlash(p), "/_all/") {
			return nil
		}
		dp, _, err := whylogs.ReadFile(p)
		if err != nil {
			return err
		}
		col, ok := dp.Lookup("event_id")
		if ok {
			v, _ := col.Summary().Lookup("counts/n")
			n += v.Int
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(valid) || files == 0 {
		t.Errorf("files hold %d events in %d files, want %d valid", n, files, valid)
	}
	// Every malformed event is in the dead-letter topic.
	dl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics("dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dead := 0
	for dead < 3000-valid && ctx.Err() == nil {
		dead += dl.PollFetches(ctx).NumRecords()
	}
	if dead != 3000-valid {
		t.Errorf("%d dead letters, want %d", dead, 3000-valid)
	}
}

func TestGenDeterministic(t *testing.T) {
	for _, format := range []string{"json", "avro"} {
		a, _ := newOrderGen(3, genStart, time.Second, 0.1, format)
		b, _ := newOrderGen(3, genStart, time.Second, 0.1, format)
		c, _ := newOrderGen(4, genStart, time.Second, 0.1, format)
		same, bad := true, 0
		for range 500 {
			_, va, _, ok := a.next()
			_, vb, _, _ := b.next()
			_, vc, _, _ := c.next()
			if string(va) != string(vb) {
				t.Fatalf("%s: same seed gave different records", format)
			}
			if string(va) != string(vc) {
				same = false
			}
			if !ok {
				bad++
			}
		}
		if same {
			t.Errorf("%s: different seeds gave the same records", format)
		}
		if bad < 25 || bad > 80 {
			t.Errorf("%s: %d malformed of 500 at ratio 0.1", format, bad)
		}
	}
}

func TestDemoSmall(t *testing.T) {
	for _, format := range []string{"json", "avro"} {
		var out strings.Builder
		dir := t.TempDir()
		err := demo(context.Background(), demoOptions{events: 1500, badRatio: 0.02, output: dir, format: format, seed: 1, partitions: 2}, &out, &out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, out.String())
		}
		s := out.String()
		if !strings.Contains(s, "profiled 1500 events") || !strings.Contains(s, "whole stream") {
			t.Errorf("%s: summary:\n%s", format, s)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) == 0 {
			t.Errorf("%s: no profile files", format)
		}
	}
}

func TestConfigCommands(t *testing.T) {
	code, out, _ := runCmd("config", "example")
	if code != 0 || !strings.Contains(out, "kafka:") {
		t.Errorf("config example: %d", code)
	}
	code, out, _ = runCmd("run", "--help")
	if code != 0 || !strings.Contains(out, "datasets[].rotation") && !strings.Contains(out, "rotation") {
		t.Errorf("run --help: %d %q", code, out[:min(200, len(out))])
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("datasets:\n  - name: x\n    rotation: 7m\n"), 0o600)
	code, _, errOut := runCmd("config", "validate", "--config", path)
	if code != 1 || !strings.Contains(errOut, "rotation") {
		t.Errorf("config validate of a bad file: %d %q", code, errOut)
	}
}

func TestHealthEndpoints(t *testing.T) {
	var ready atomic.Bool
	srv := httptest.NewServer(pipeline.Handler(nil, ready.Load))
	defer srv.Close()
	get := func(p string) int {
		r, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 503 {
		t.Error("before ready")
	}
	ready.Store(true)
	if get("/readyz") != 200 || get("/metrics") != 200 {
		t.Error("after ready")
	}
}

// consumer run with an exactly-once kafka sink: the profiles produced in
// transactions and read with read_committed hold every valid event exactly
// once after a graceful stop; a restarted run (same derived transactional
// id) on more events adds exactly the new ones.
func TestRunExactlyOnce(t *testing.T) {
	c, _ := plainCluster(t, 2, "orders", "profiles")
	addrs := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	g, err := newOrderGen(11, genStart, 50*time.Millisecond, 0.05, "json")
	if err != nil {
		t.Fatal(err)
	}
	yaml := `kafka:
  brokers: [` + strings.Join(addrs, ",") + `]
  group: eos-test
  fetch_max_wait: 100ms
datasets:
  - name: orders
    topics: [orders]
    event_time: {source: field, field: ts}
    rotation: 1m
    segments: {fields: [device]}
    profile_full_dataset: true
sinks:
  - type: kafka
    topic: profiles
    exactly_once: true
checkpoint:
  every_interval: 1s
http:
  listen: 127.0.0.1:0
log:
  level: warn
  format: json
`
	path := filepath.Join(t.TempDir(), "kprofiler.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	total, valid := 0, 0
	for round, events := range []int{2000, 1000} {
		v, err := produceEvents(context.Background(), cl, "orders", g, events)
		if err != nil {
			t.Fatal(err)
		}
		total += events
		valid += v
		stop := make(chan os.Signal, 2)
		started := make(chan *pipeline.Consumer, 1)
		code := make(chan int, 1)
		go func() {
			code <- serve(cfg, zerolog.Nop(), stop, func(c *pipeline.Consumer) { started <- c })
		}()
		cons := <-started
		deadline := time.Now().Add(30 * time.Second)
		for {
			var next int64
			for _, s := range cons.Stats() {
				next += s.Next
			}
			if next == int64(total) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: not consumed: %+v", round, cons.Stats())
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop <- syscall.SIGTERM
		select {
		case c := <-code:
			if c != 0 {
				t.Fatalf("round %d: exit code %d", round, c)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: run did not stop", round)
		}
		if n := committedEventCount(t, addrs); n != int64(valid) {
			t.Errorf("round %d: read_committed profiles hold %d events, want %d valid", round, n, valid)
		}
	}
}

// committedEventCount sums counts/n of event_id over the full-dataset
// profiles of the "profiles" topic read with read_committed (every record
// counts: no deduplication).
func committedEventCount(t *testing.T, addrs []string) int64 {
	t.Helper()
	rd, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics("profiles"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var n int64
	for quiet := 0; quiet < 2; {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := rd.PollFetches(ctx)
		cancel()
		if fs.NumRecords() == 0 {
			quiet++
			continue
		}
		quiet = 0
		fs.EachRecord(func(r *kgo.Record) {
			for _, h := range r.Headers {
				if h.Key == sink.FieldSegment && h.Value != nil && string(h.Value) != sink.AllSegment {
					return
				}
			}
			dp, _, err := whylogs.Read(r.Value)
			if err != nil {
				t.Fatalf("profile %s: %v", r.Key, err)
			}
			if col, ok := dp.Lookup("event_id"); ok {
				v, _ := col.Summary().Lookup("counts/n")
				n += v.Int
			}
		})
	}
	return n
}

// A bad flag prints its error and a pointer to --help, not the whole
// configuration reference; --help prints the reference to stdout.
func TestBadFlagPrintsAHint(t *testing.T) {
	for _, tc := range []struct {
		run  func([]string, io.Writer, io.Writer) int
		args []string
		want []string
	}{
		{runRun, []string{"--start-from=garbage"}, []string{`invalid value "garbage" for flag -start-from`, `Run "consumer run --help" for usage.`}},
		{runRun, []string{"--nosuch"}, []string{"-nosuch", `Run "consumer run --help" for usage.`}},
		{runBackfill, []string{"--nosuch"}, []string{"-nosuch", `Run "consumer backfill --help" for usage.`}},
	} {
		var out, errOut bytes.Buffer
		if code := tc.run(tc.args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit code %d, want 2", tc.args, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut.String(), w) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, errOut.String(), w)
			}
		}
		if n := strings.Count(errOut.String(), "\n"); n > 3 || strings.Contains(errOut.String(), "Configuration") {
			t.Errorf("%v: %d lines of stderr, with the reference:\n%s", tc.args, n, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := runRun([]string{"--help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "kafka.brokers") || errOut.Len() != 0 {
		t.Errorf("--help: code %d, reference on stdout %v, stderr %q", code, strings.Contains(out.String(), "kafka.brokers"), errOut.String())
	}
}
