package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/pipeline"
	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
	"github.com/kprofiler/kprofiler/sink"
)

func init() {
	register(command{name: "demo", summary: "embedded broker + generator + consumer: profiles sample events into local files", run: runDemo})
}

// recordingPublisher remembers what was published (without the bytes) for
// the summary.
type recordingPublisher struct {
	next pipeline.Publisher
	mu   sync.Mutex
	got  []pipeline.Profile
}

func (r *recordingPublisher) Publish(ctx context.Context, ps []pipeline.Profile) error {
	if err := r.next.Publish(ctx, ps); err != nil {
		return err
	}
	r.mu.Lock()
	r.got = append(r.got, ps...)
	r.mu.Unlock()
	return nil
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	events := fs.Int("events", 0, "events to generate; the demo exits once all are profiled and published (0: run until Ctrl-C)")
	badRatio := fs.Float64("bad-ratio", 0.01, "share of malformed records, 0 to 1")
	output := fs.String("output", "kprofiler-demo", "directory for the profile files")
	format := fs.String("format", "json", "event format: json or avro")
	seed := fs.Uint64("seed", 1, "generator seed")
	partitions := fs.Int("partitions", 4, "partitions of the demo topic")
	verbose := fs.Bool("v", false, "log the pipeline's state changes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *events < 0 || *badRatio < 0 || *badRatio > 1 || *partitions < 1 {
		fmt.Fprintln(stderr, "consumer demo: --events ≥ 0, --bad-ratio in [0, 1], --partitions ≥ 1")
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := demo(ctx, demoOptions{events: *events, badRatio: *badRatio, output: *output, format: *format,
		seed: *seed, partitions: int32(*partitions), verbose: *verbose}, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "consumer demo: %v\n", err)
		return 1
	}
	return 0
}

type demoOptions struct {
	events     int
	badRatio   float64
	output     string
	format     string
	seed       uint64
	partitions int32
	verbose    bool
}

func demo(ctx context.Context, o demoOptions, stdout, stderr io.Writer) error {
	const topic = "orders"
	g, err := newOrderGen(o.seed, genStart, 50*time.Millisecond, o.badRatio, o.format)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(o.output)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(o.partitions, topic))
	if err != nil {
		return fmt.Errorf("starting the embedded broker: %w", err)
	}
	defer cluster.Close()
	addrs := cluster.ListenAddrs()
	fmt.Fprintf(stdout, "embedded Kafka (kfake) on %s, topic %q with %d partitions\n", strings.Join(addrs, ","), topic, o.partitions)

	// The embedded broker lives and dies with the demo: nothing is ever
	// replayed into this directory, so no journal.
	blob, err := sink.OpenBlob(ctx, "file://"+filepath.ToSlash(dir), sink.BlobOptions{NoJournal: true})
	if err != nil {
		return err
	}
	defer blob.Close()
	rec := &recordingPublisher{next: pipeline.SinkPublisher(blob, version)}

	ds := pipeline.Dataset{Name: "orders", Topics: []string{topic}, EventTimeField: "ts",
		Window: profiler.WindowConfig{Rotation: time.Minute, AllowedLateness: 5 * time.Second,
			Segments: profiler.Segmentation{Columns: []string{"device"}}, FullDataset: true}}
	if o.format == "avro" {
		ds.Format = pipeline.FormatAvro
		if ds.Schemas, err = event.NewFixedSchema(event.OrderFlatSchema); err != nil {
			return err
		}
	}
	log := zerolog.Nop()
	if o.verbose {
		log = zerolog.New(zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly}).With().Timestamp().Logger()
	}
	metrics := pipeline.NewMetrics(nil, "")
	c, err := pipeline.New(pipeline.Config{Brokers: addrs, Group: "kprofiler-demo", Datasets: []pipeline.Dataset{ds},
		Publisher: rec, Logger: log, Metrics: metrics, CommitInterval: 200 * time.Millisecond,
		ClientOpts: []kgo.Opt{kgo.FetchMaxWait(200 * time.Millisecond), kgo.ConsumeStartOffset(kgo.NewOffset().AtStart())}})
	if err != nil {
		return err
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(runCtx) }()

	pcl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		return err
	}
	defer pcl.Close()
	start := time.Now()
	produced, valid := 0, 0
	if o.events > 0 {
		if valid, err = produceEvents(ctx, pcl, topic, g, o.events); err != nil {
			return err
		}
		produced = o.events
		fmt.Fprintf(stdout, "produced %d events (%d malformed) in %v; profiling with 1-minute windows over event time…\n",
			produced, produced-valid, time.Since(start).Round(time.Millisecond))
		if err := waitConsumed(ctx, pcl, c, topic); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout, "producing and profiling until Ctrl-C…")
		tick := time.NewTicker(100 * time.Millisecond)
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-tick.C:
				v, err := produceEvents(ctx, pcl, topic, g, 200)
				if err != nil {
					if ctx.Err() != nil {
						break loop
					}
					return err
				}
				produced, valid = produced+200, valid+v
			}
		}
		tick.Stop()
		fmt.Fprintln(stdout, "\nstopping: publishing open windows as partial profiles…")
	}
	elapsed := time.Since(start)
	stopRun()
	if err := <-runErr; err != nil {
		return err
	}
	var m dto.Metric
	if err := metrics.Records.WithLabelValues(topic).Write(&m); err != nil {
		return err
	}
	consumed := int(m.GetCounter().GetValue())
	if consumed < produced {
		fmt.Fprintf(stdout, "stopped after profiling %d of the %d events produced\n", consumed, produced)
	}
	bad := 0
	ch := make(chan prometheus.Metric, 16)
	go func() { metrics.DecodeErrors.Collect(ch); close(ch) }()
	for pm := range ch {
		var d dto.Metric
		if pm.Write(&d) == nil {
			bad += int(d.GetCounter().GetValue())
		}
	}
	return demoSummary(stdout, rec, dir, consumed, consumed-bad, elapsed)
}

// waitConsumed waits until the consumer processed every partition to its end.
func waitConsumed(ctx context.Context, cl *kgo.Client, c *pipeline.Consumer, topic string) error {
	ends := map[int32]int64{}
	lo, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return err
	}
	lo.Each(func(o kadm.ListedOffset) { ends[o.Partition] = o.Offset })
	for {
		done := len(c.Stats()) > 0
		got := map[int32]int64{}
		for _, s := range c.Stats() {
			got[s.Partition] = s.Next
		}
		for p, e := range ends {
			if e > 0 && got[p] < e {
				done = false
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func demoSummary(w io.Writer, rec *recordingPublisher, dir string, produced, valid int, elapsed time.Duration) error {
	rec.mu.Lock()
	ps := slices.Clone(rec.got)
	rec.mu.Unlock()
	kinds := map[profiler.EmitKind]int{}
	windows := map[time.Time]int64{}
	var merged *profiler.DatasetProfile
	for _, p := range ps {
		kinds[p.Kind]++
		if p.SegmentKey != "" {
			continue
		}
		windows[p.Window.Start] += p.Records
		dp, _, err := whylogs.Read(p.Value)
		if err != nil {
			return err
		}
		if merged == nil {
			merged = dp
		} else if err := merged.Merge(dp, profiler.MergeOptions{}); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nprofiled %d events (%d valid, %d malformed, counted and skipped) in %v\n", produced, valid, produced-valid, elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "published %d profiles to %s: %d closed windows, %d partials of open windows, %d late partials\n",
		len(ps), dir, kinds[profiler.Closed], kinds[profiler.Flushed], kinds[profiler.Late])
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nwindow (UTC)\trecords")
	for _, t := range slices.SortedFunc(maps.Keys(windows), func(a, b time.Time) int { return a.Compare(b) }) {
		fmt.Fprintf(tw, "%s – %s\t%d\n", t.Format("2006-01-02 15:04"), t.Add(time.Minute).Format("15:04"), windows[t])
	}
	tw.Flush()
	if merged == nil {
		return nil
	}
	fmt.Fprintln(w, "\nwhole stream (all windows and partitions merged):")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "column\tcounts/n\tnull\ttype\tmedian\tcardinality\ttop values")
	for _, name := range merged.ColumnNames() {
		col, _ := merged.Lookup(name)
		s := col.Summary()
		get := func(k string) string {
			v, ok := s.Lookup(k)
			if !ok || v.Kind == profiler.SummaryNull {
				return "-"
			}
			if v.Kind == profiler.SummaryFloat {
				return fmt.Sprintf("%.4g", v.Float)
			}
			return v.String()
		}
		top := "-"
		if v, ok := s.Lookup("frequent_items/frequent_strings"); ok && len(v.Items) > 0 {
			var parts []string
			for _, it := range v.Items[:min(3, len(v.Items))] {
				parts = append(parts, fmt.Sprintf("%s(%d)", truncate(it.Value, 12), it.Est))
			}
			top = strings.Join(parts, " ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, get("counts/n"), get("counts/null"), col.Type(),
			get("distribution/median"), get("cardinality/est"), top)
	}
	tw.Flush()
	fmt.Fprintf(w, "\ninspect one: consumer profile inspect %s/<file>.bin\n", dir)
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
