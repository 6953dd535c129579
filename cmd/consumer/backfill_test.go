package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
	"github.com/kprofiler/kprofiler/pipeline"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

func TestParseBackfillTime(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 30, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-11-01T00:00:00Z":      time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		"2026-11-01T01:00:00+01:00": time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		"2026-11-01T00:00:00.25Z":   time.Date(2026, 11, 1, 0, 0, 0, 250e6, time.UTC),
		"1761955200000":             time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC),
		"now":                       now,
		"-24h":                      time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC),
		"-90m":                      time.Date(2026, 11, 26, 11, 0, 0, 0, time.UTC),
		"-7d":                       time.Date(2026, 11, 19, 12, 30, 0, 0, time.UTC),
		"-1d12h":                    time.Date(2026, 11, 25, 0, 30, 0, 0, time.UTC),
	} {
		got, err := parseBackfillTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseBackfillTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "+1h", "-1x", "2026-11-01", "99999999999999999999"} {
		if got, err := parseBackfillTime(in, now); err == nil {
			t.Errorf("parseBackfillTime(%q) = %v, want an error", in, got)
		}
	}
}

// Every usage error exits 2 and names the flag and the value.
func TestBackfillFlagErrors(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "kprofiler.yaml")
	yaml := "datasets:\n  - name: orders\n    topics: [orders]\n  - name: clicks\n    topics: [clicks]\nsinks:\n  - type: blob\n    url: mem://\n"
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--from", "-1h"}, []string{"--dataset is required"}},
		{[]string{"--dataset", "orders"}, []string{"--from is required"}},
		{[]string{"--dataset", "orders", "--from", "yesterday"}, []string{"--from", `"yesterday"`, "RFC 3339"}},
		{[]string{"--dataset", "orders", "--from", "-1h", "--to", "+1h"}, []string{"--to", `"+1h"`, "negative duration"}},
		{[]string{"--dataset", "orders", "--from", "-1h", "--to", "-2h"}, []string{"--to", `"-2h"`, "is not after --from", `"-1h"`}},
		{[]string{"--dataset", "orders", "--from", "2026-11-02T00:00:00Z", "--to", "2026-11-02T00:00:00Z"}, []string{"--to", "is not after --from"}},
		{[]string{"--dataset", "orders", "--from", "-1h", "--progress", "fancy"}, []string{"--progress", `"fancy"`, "auto, bar, log or none"}},
		{[]string{"--dataset", "orders", "--from", "-1h", "--progress-interval", "0s"}, []string{"--progress-interval", `"0s"`}},
		{[]string{"--dataset", "orders", "--from", "-1h", "extra"}, []string{"unexpected argument", `"extra"`}},
		{[]string{"--config", cfgPath, "--dataset", "payments", "--from", "-1h"}, []string{"--dataset", `"payments"`, "orders, clicks"}},
		{[]string{"--dataset", "orders", "--from", "-1h", "--progress-interval", "soon"}, []string{"progress-interval", "soon"}},
	} {
		var out, errb bytes.Buffer
		code := dispatch(append([]string{"backfill"}, tc.args...), &out, &errb)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", tc.args, code, errb.String())
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%q: stderr %q does not contain %q", tc.args, errb.String(), w)
			}
		}
	}
}

// --help lists every flag with an explanation and documents the time forms.
func TestBackfillHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"backfill", "--help"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d", code)
	}
	h := out.String()
	for _, w := range []string{"-dataset", "-from", "-to", "-progress", "-progress-interval", "-metrics-listen", "-config",
		"RFC 3339", "-24h", "epoch milliseconds", "ETA", "exits 0"} {
		if !strings.Contains(h, w) {
			t.Errorf("help does not mention %q", w)
		}
	}
	if !strings.Contains(func() string { var b bytes.Buffer; dispatch([]string{"help"}, &b, &b); return b.String() }(), "backfill") {
		t.Error("the command list does not show backfill")
	}
}

// consumer backfill end to end against an in-process broker: --from before
// the first event, a file sink, progress log lines; the files hold every valid event
// exactly once, the exit code is 0, and a second backfill of the same range
// rewrites exactly the same objects with the same bytes.
func TestBackfillCommand(t *testing.T) {
	c, _ := plainCluster(t, 3, "orders", "dlq")
	addrs := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	g, err := newOrderGen(11, genStart, 20*time.Millisecond, 0.05, "json")
	if err != nil {
		t.Fatal(err)
	}
	valid, err := produceEvents(context.Background(), cl, "orders", g, 4000)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	yaml := `kafka:
  brokers: [` + strings.Join(addrs, ",") + `]
  fetch_max_wait: 100ms
datasets:
  - name: orders
    topics: [orders]
    event_time: {source: field, field: ts}
    rotation: 1m
    segments: {fields: [device]}
    profile_full_dataset: true
  - name: other
    topics: [clicks]
sinks:
  - type: blob
    url: file://` + filepath.ToSlash(out) + `
dead_letter:
  topic: dlq
checkpoint:
  every_records: 500
log:
  level: info
  format: json
`
	path := filepath.Join(t.TempDir(), "kprofiler.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() (map[string][]byte, string) {
		var so, se bytes.Buffer
		code := dispatch([]string{"backfill", "--config", path, "--dataset", "orders", "--from", genStart.Add(-time.Hour).Format(time.RFC3339),
			"--progress", "log", "--progress-interval", "50ms"}, &so, &se)
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, se.String())
		}
		files := map[string][]byte{}
		err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".bin") {
				return err
			}
			b, err := os.ReadFile(p)
			files[p] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Backfill never reconciles, so it writes no journal (a live
		// consumer reconciling the same prefix must not delete its output).
		if _, err := os.Stat(filepath.Join(out, "_kprofiler")); !os.IsNotExist(err) {
			t.Errorf("backfill wrote a journal (stat _kprofiler: %v)", err)
		}
		return files, se.String()
	}
	first, logs := run()
	var n int64
	for p, b := range first {
		if !strings.Contains(filepath.ToSlash(p), "/_all/") {
			continue
		}
		dp, _, err := whylogs.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		if col, ok := dp.Lookup("event_id"); ok {
			v, _ := col.Summary().Lookup("counts/n")
			n += v.Int
		}
	}
	if n != int64(valid) {
		t.Errorf("files hold %d events, want the %d valid ones", n, valid)
	}
	for _, w := range []string{`"message":"backfill planned"`, `"records":4000`, `"message":"backfill complete"`} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs lack %s:\n%s", w, logs)
		}
	}
	second, _ := run()
	if len(second) != len(first) {
		t.Errorf("second backfill left %d objects, first %d", len(second), len(first))
	}
	for p, b := range first {
		if !bytes.Equal(second[p], b) {
			t.Errorf("%s changed on the second backfill", p)
		}
	}
}

func TestRenderBar(t *testing.T) {
	p := pipeline.BackfillProgress{Done: 250000, Total: 1000000, Partitions: 4, PartitionsDone: 1, Elapsed: 5 * time.Second}
	got := renderBar(p, 20)
	want := "[#####...............]  25.0%  250,000/1,000,000 records  50,000 rec/s  ETA 15s  partitions 1/4"
	if got != want {
		t.Errorf("renderBar = %q\nwant        %q", got, want)
	}
	var b bytes.Buffer
	w := &barWriter{w: &b}
	w.drawBar("bar1")
	w.Write([]byte("log line\n"))
	w.drawBar("bar2")
	w.endBar()
	if got, want := b.String(), "\rbar1\x1b[K\r\x1b[Klog line\n\rbar2\x1b[K\n"; got != want {
		t.Errorf("terminal output %q, want %q", got, want)
	}
}

// A backfill whose sink keeps failing retries until it is interrupted, then
// exits 130.
func TestBackfillCommandInterrupted(t *testing.T) {
	c, _ := plainCluster(t, 1, "orders")
	addrs := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	g, err := newOrderGen(5, genStart, time.Second, 0, "json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := produceEvents(context.Background(), cl, "orders", g, 100); err != nil {
		t.Fatal(err)
	}
	blocked := t.TempDir() // every key starts with "orders/", which is a file here
	if err := os.WriteFile(filepath.Join(blocked, "orders"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := "kafka:\n  brokers: [" + strings.Join(addrs, ",") + "]\n  fetch_max_wait: 100ms\n" +
		"datasets:\n  - name: orders\n    topics: [orders]\nsinks:\n  - type: blob\n    url: file://" + filepath.ToSlash(blocked) + "\n"
	path := filepath.Join(t.TempDir(), "kprofiler.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var so, se bytes.Buffer
	f, code, ok := parseBackfillArgs([]string{"--config", path, "--dataset", "orders", "--from", "0", "--progress", "none"}, time.Now(), &so, &se)
	if !ok {
		t.Fatalf("parse: exit %d: %s", code, se.String())
	}
	cfg, err := config.Load(config.Options{Flags: f.cfgFlags})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var logs bytes.Buffer
	out := &barWriter{w: &logs}
	got := backfill(ctx, cfg, cfg.Datasets[0], f, zerolog.New(out), out, "none")
	out.mu.Lock()
	defer out.mu.Unlock()
	if got != 130 {
		t.Errorf("exit %d, want 130; logs:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "publishing failed, retrying") || !strings.Contains(logs.String(), "backfill interrupted") {
		t.Errorf("the sink failure was not retried until the interruption:\n%s", logs.String())
	}
}

// A kafka sink configured with exactly_once is written without transactions
// by a backfill (run alone uses the transaction).
func TestBackfillExactlyOnceSinkIsPlain(t *testing.T) {
	c, _ := plainCluster(t, 2, "orders", "profiles")
	addrs := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	g, err := newOrderGen(9, genStart, time.Second, 0, "json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := produceEvents(context.Background(), cl, "orders", g, 200); err != nil {
		t.Fatal(err)
	}
	yaml := "kafka:\n  brokers: [" + strings.Join(addrs, ",") + "]\n  fetch_max_wait: 100ms\n" +
		"datasets:\n  - name: orders\n    topics: [orders]\n    rotation: 1m\n" +
		"sinks:\n  - type: kafka\n    topic: profiles\n    exactly_once: true\nlog:\n  format: json\n"
	path := filepath.Join(t.TempDir(), "kprofiler.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var so, se bytes.Buffer
	if code := dispatch([]string{"backfill", "--config", path, "--dataset", "orders", "--from", "0", "--progress", "none"}, &so, &se); code != 0 {
		t.Fatalf("exit %d:\n%s", code, se.String())
	}
	rd, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics("profiles"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int64
	for n < 200 && ctx.Err() == nil {
		rd.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			dp, _, err := whylogs.Read(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			if col, ok := dp.Lookup("event_id"); ok {
				v, _ := col.Summary().Lookup("counts/n")
				n += v.Int
			}
		})
	}
	if n != 200 {
		t.Errorf("the profiles topic holds %d events, want 200", n)
	}
}
