package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
	"github.com/kprofiler/kprofiler/pipeline"
	"github.com/kprofiler/kprofiler/profiler"
)

func loadYAML(t *testing.T, yaml string, env ...string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kprofiler.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: path, Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// SASL credentials from the environment reach the client: a SCRAM
// superuser can produce and the consumer can read; a wrong password cannot.
func TestSASLWiring(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser(mech, "kp", "s3cret"),
			kfake.SeedTopics(1, "orders"))
		if err != nil {
			t.Fatal(err)
		}
		check := func(pass string, timeout time.Duration) error {
			cfg := loadYAML(t, `kafka:
  brokers: [`+strings.Join(c.ListenAddrs(), ",")+`]
  sasl: {mechanism: `+mech+`, username: kp, password_env: KP_PASS}
datasets: [{name: orders, topics: [orders]}]
sinks: [{type: blob, url: "mem://"}]
`, "KP_PASS="+pass)
			opts, err := connOpts(cfg.Kafka)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := kgo.NewClient(append(opts, kgo.RequestRetries(0))...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			return cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("{}")}).FirstErr()
		}
		if err := check("s3cret", 5*time.Second); err != nil {
			t.Errorf("%s: right password: %v", mech, err)
		}
		if err := check("wrong", 500*time.Millisecond); err == nil {
			t.Errorf("%s: wrong password accepted", mech)
		}
		c.Close()
	}
}

// The configured dataset becomes the pipeline dataset: time source, tags,
// segments (explicit ones sorted by key), filters, windows.
func TestPipelineDatasetMapping(t *testing.T) {
	cfg := loadYAML(t, `datasets:
  - name: orders
    topics: [orders, returns]
    event_time: {source: field, field: meta.ts, format: epoch_ms}
    rotation: 5m
    allowed_lateness: 30s
    segments:
      explicit: [{country: DE, device: mobile}, {country: FR}]
    profile_full_dataset: true
    max_segments_per_window: 7
    tags: {env: prod}
    metadata: {owner: team}
    include_fields: [price, meta]
    exclude_fields: [meta.secret]
    nesting: flatten
    separator: "_"
    arrays: ignore
sinks: [{type: blob, url: "mem://"}]
`)
	d, err := pipelineDataset(cfg.Datasets[0])
	if err != nil {
		t.Fatal(err)
	}
	w := d.Window
	if d.EventTimeField != "meta.ts" || d.TimeFormat.String() != "epoch_ms" || d.Format != pipeline.FormatJSON {
		t.Errorf("time/format: %+v", d)
	}
	if w.Rotation != 5*time.Minute || w.AllowedLateness != 30*time.Second || !w.FullDataset || w.MaxSegments != 7 {
		t.Errorf("window: %+v", w)
	}
	want := [][]profiler.SegmentTag{{{Key: "country", Value: "DE"}, {Key: "device", Value: "mobile"}}, {{Key: "country", Value: "FR"}}}
	if len(w.Segments.Explicit) != 2 || w.Segments.Explicit[0][1] != want[0][1] || w.Segments.Explicit[1][0] != want[1][0] {
		t.Errorf("explicit segments: %+v", w.Segments.Explicit)
	}
	if w.Metadata["whylogs.tag.env"] != "prod" || w.Metadata["owner"] != "team" {
		t.Errorf("metadata: %v", w.Metadata)
	}
	if d.JSON.Separator != "_" || d.JSON.Arrays != 1 || len(d.JSON.Include) != 2 || d.JSON.Exclude[0] != "meta.secret" {
		t.Errorf("json options: %+v", d.JSON)
	}
	if _, err := pipeline.New(pipeline.Config{Brokers: []string{"127.0.0.1:1"}, Group: "g", Datasets: []pipeline.Dataset{d},
		Publisher: pipeline.NewMemoryPublisher()}); err != nil {
		t.Errorf("the mapped dataset does not validate: %v", err)
	}
}
