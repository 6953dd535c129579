package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/kprofiler/kprofiler/pipeline"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

// gen --registry writes Confluent-framed Avro; consumer run with
// avro.schema_registry.url profiles every valid event, and the malformed
// ones (unknown schema id, truncated payload, no wire header) are skipped.
func TestRunAvroWithRegistry(t *testing.T) {
	reg := srfake.NewRegistry()
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	c, _ := plainCluster(t, 2, "orders")
	addrs := c.ListenAddrs()
	g, err := newOrderGen(5, genStart, 100*time.Millisecond, 0.05, "avro")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := g.useRegistry(ctx, srv.URL, "orders-value"); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	valid, err := produceEvents(ctx, cl, "orders", g, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cfg := loadYAML(t, `kafka:
  brokers: [`+strings.Join(addrs, ",")+`]
  group: avro-test
  fetch_max_wait: 100ms
datasets:
  - name: orders
    topics: [orders]
    format: avro
    avro: {schema_registry: {url: "`+srv.URL+`"}}
    event_time: {source: field, field: ts}
    rotation: 1m
sinks:
  - type: blob
    url: file://`+filepath.ToSlash(out)+`
http: {listen: "127.0.0.1:0"}
`)
	stop := make(chan os.Signal, 2)
	started := make(chan *pipeline.Consumer, 1)
	code := make(chan int, 1)
	go func() { code <- serve(cfg, zerolog.Nop(), stop, func(c *pipeline.Consumer) { started <- c }) }()
	cons := <-started
	deadline := time.Now().Add(30 * time.Second)
	for {
		var next int64
		for _, s := range cons.Stats() {
			next += s.Next
		}
		if next == 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not consumed: %+v", cons.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop <- syscall.SIGTERM
	if c := <-code; c != 0 {
		t.Fatalf("exit code %d", c)
	}
	var n int64
	err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".bin") {
			return err
		}
		dp, _, err := whylogs.ReadFile(p)
		if err != nil {
			return err
		}
		if col, ok := dp.Lookup("price"); ok {
			v, _ := col.Summary().Lookup("counts/n")
			n += v.Int
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(valid) || valid == 1000 {
		t.Errorf("profiled %d Avro events, want %d valid of 1000", n, valid)
	}
}
