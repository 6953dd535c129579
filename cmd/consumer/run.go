package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/plugin/kprom"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
	"github.com/kprofiler/kprofiler/pipeline"
	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
	"github.com/kprofiler/kprofiler/sink"
)

// version is the kprofiler version written into published profiles' sink
// fields; set with -ldflags "-X main.version=…".
var version = "dev"

func init() {
	register(command{name: "run", summary: "profile Kafka topics into windowed whylogs profiles (consumer group)", run: runRun})
	register(command{name: "config", summary: "print an example configuration or validate one", run: runConfig})
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}

// usageHint is the Usage of a flag set whose full help (with the
// configuration reference) is too long to follow an error message.
func usageHint(fs *flag.FlagSet, cmd string) func() {
	return func() { fmt.Fprintf(fs.Output(), "Run \"%s --help\" for usage.\n", cmd) }
}

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flags := config.RegisterFlags(fs)
	help := func() {
		w := fs.Output()
		fmt.Fprint(w, "Usage: consumer run [--config kprofiler.yaml] [flags]\n\n"+
			"Joins the consumer group, profiles every dataset's topics into event-time windows and\n"+
			"publishes finished profiles to the sinks; commits offsets only behind published profiles.\n"+
			"SIGINT/SIGTERM publish open windows as partial profiles, commit and exit; a second signal\n"+
			"exits at once without committing unpublished work.\n\n"+
			"Exit codes: 0 drained and committed; 1 invalid configuration, a TLS or SASL failure at\n"+
			"start-up, a failed run or a drain cut short by shutdown_timeout; 2 usage error;\n"+
			"130 stopped by a second signal.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(w, "\nConfiguration (YAML file < KPROFILER_* environment < flags):\n\n")
		fmt.Fprint(w, config.Reference())
	}
	// A parse error prints its message and this hint, not the whole reference.
	fs.Usage = usageHint(fs, "consumer run")
	if wantsHelp(args) {
		fs.SetOutput(stdout)
		help()
		return 0
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(config.Options{Environ: os.Environ(), Flags: flags})
	if err != nil {
		fmt.Fprintf(stderr, "consumer run: %v\n", err)
		return 1
	}
	log := newLogger(cfg.Log, stderr)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	return serve(cfg, log, sigs, nil)
}

// serve runs the configured consumer until the first value on stop (graceful
// drain within shutdown_timeout); a second value aborts without committing
// unpublished work. onStart, when set, is called with the consumer before it
// runs (tests).
func serve(cfg *config.Config, log zerolog.Logger, stop <-chan os.Signal, onStart func(*pipeline.Consumer)) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	app, err := build(ctx, cfg, log, reg)
	if err != nil {
		log.Error().Err(err).Msg("starting")
		return 1
	}
	defer app.close()

	srv, err := serveHTTP(cfg.HTTP.Listen, pipeline.Handler(reg, app.consumer.Ready), log)
	if err != nil {
		log.Error().Err(err).Msg("starting the http server")
		return 1
	}
	defer srv.Close()

	finished := make(chan struct{})
	defer close(finished)
	go func() {
		var s os.Signal
		select {
		case s = <-stop:
		case <-finished:
			return
		}
		log.Info().Stringer("signal", s).Dur("timeout", cfg.ShutdownTimeout.Std()).Msg("shutting down: publishing open windows as partials, then committing")
		cancel()
		select {
		case s = <-stop:
		case <-finished:
			return
		}
		log.Warn().Stringer("signal", s).Msg("second signal: exiting without committing unpublished work")
		app.consumer.Abort()
	}()
	if onStart != nil {
		onStart(app.consumer)
	}
	log.Info().Strs("brokers", cfg.Kafka.Brokers).Str("group", cfg.Kafka.Group).Int("datasets", len(cfg.Datasets)).Msg("starting")
	err = app.consumer.Run(ctx)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, pipeline.ErrAborted):
		return 130
	default:
		log.Error().Err(err).Msg("stopped")
		return 1
	}
}

func runConfig(args []string, stdout, stderr io.Writer) int {
	usage := "Usage:\n\tconsumer config example            print a complete, commented kprofiler.yaml\n" +
		"\tconsumer config validate [flags]   load --config (and the environment) and report every problem\n"
	if len(args) == 0 || wantsHelp(args[:1]) {
		if len(args) == 0 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	switch args[0] {
	case "example":
		fmt.Fprint(stdout, config.Example())
		return 0
	case "validate":
		fs := flag.NewFlagSet("config validate", flag.ContinueOnError)
		fs.SetOutput(stderr)
		flags := config.RegisterFlags(fs)
		if err := fs.Parse(args[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		cfg, err := config.Load(config.Options{Environ: os.Environ(), Flags: flags})
		if err != nil {
			fmt.Fprintf(stderr, "invalid configuration:\n%v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "configuration is valid: %d dataset(s), %d sink(s)\n", len(cfg.Datasets), len(cfg.Sinks))
		return 0
	}
	fmt.Fprintf(stderr, "consumer config: unknown subcommand %q\n%s", args[0], usage)
	return 2
}

func newLogger(c config.Log, w io.Writer) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(c.Level)
	if err != nil || c.Level == "" {
		lvl = zerolog.InfoLevel
	}
	out := w
	console := c.Format == "console"
	if c.Format == "auto" || c.Format == "" {
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			console = true
		}
	}
	if console {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger()
}

// kgoLogger sends franz-go's logs to zerolog.
type kgoLogger struct{ l zerolog.Logger }

func (k kgoLogger) Level() kgo.LogLevel {
	switch k.l.GetLevel() {
	case zerolog.DebugLevel, zerolog.TraceLevel:
		return kgo.LogLevelDebug
	case zerolog.InfoLevel:
		return kgo.LogLevelInfo
	case zerolog.WarnLevel:
		return kgo.LogLevelWarn
	}
	return kgo.LogLevelError
}

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	var e *zerolog.Event
	switch level {
	case kgo.LogLevelError:
		e = k.l.Error()
	case kgo.LogLevelWarn:
		e = k.l.Warn()
	case kgo.LogLevelInfo:
		e = k.l.Info()
	default:
		e = k.l.Debug()
	}
	for i := 0; i+1 < len(keyvals); i += 2 {
		if s, ok := keyvals[i].(string); ok {
			e = e.Interface(s, keyvals[i+1])
		}
	}
	e.Msg(msg)
}

type app struct {
	consumer *pipeline.Consumer
	closers  []func()
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// build wires the configuration into a pipeline.Consumer.
func build(ctx context.Context, cfg *config.Config, log zerolog.Logger, reg *prometheus.Registry) (*app, error) {
	a := &app{}
	fail := func(err error) (*app, error) { a.close(); return nil, err }
	conn, err := connOpts(cfg.Kafka)
	if err != nil {
		return fail(err)
	}
	if err := checkBrokers(ctx, cfg.Kafka, conn, log); err != nil {
		return fail(err)
	}
	var datasets []pipeline.Dataset
	for _, d := range cfg.Datasets {
		pd, err := pipelineDataset(d)
		if err != nil {
			return fail(fmt.Errorf("dataset %s: %w", d.Name, err))
		}
		datasets = append(datasets, pd)
	}
	// The exactly-once kafka sink (at most one, validated) produces through
	// the pipeline's transact session client, which exists only inside
	// pipeline.New: openSinks leaves its slot nil for the publisher factory.
	sinks, eos, err := openSinks(ctx, cfg, conn, true, &a.closers)
	if err != nil {
		return fail(err)
	}
	pcfg := pipeline.Config{
		Brokers: cfg.Kafka.Brokers, Group: cfg.Kafka.Group, ClientID: cfg.Kafka.ClientID,
		Datasets:               datasets,
		Logger:                 log,
		Metrics:                pipeline.NewMetrics(reg, "kprofiler"),
		ShutdownTimeout:        cfg.ShutdownTimeout.Std(),
		CheckpointEveryRecords: cfg.Checkpoint.EveryRecords,
		CheckpointInterval:     cfg.Checkpoint.EveryInterval.Std(),
	}
	if eos < 0 {
		out, err := combineSinks(sinks)
		if err != nil {
			return fail(err)
		}
		pcfg.Publisher = pipeline.SinkPublisher(out, version)
	} else {
		eosCfg := cfg.Sinks[eos]
		host, err := os.Hostname()
		if err != nil && eosCfg.TransactionalID == "" {
			return fail(fmt.Errorf("sinks[%d].transactional_id: empty and the host name is unknown: %w", eos, err))
		}
		txnID := eosCfg.TransactionalIDFor(cfg.Kafka.Group, host)
		pcfg.Transactional = &pipeline.TxnConfig{
			TransactionalID: txnID,
			Publisher: func(cl *kgo.Client) (pipeline.Publisher, error) {
				k, err := sink.NewKafkaTxn(cl, eosCfg.Topic, sink.KafkaOptions{})
				if err != nil {
					return nil, fmt.Errorf("sinks[%d]: %w", eos, err)
				}
				all := slices.Clone(sinks)
				all[eos] = k
				out, err := combineSinks(all)
				if err != nil {
					return nil, err
				}
				return pipeline.SinkPublisher(out, version), nil
			},
		}
		log.Info().Str("transactional_id", txnID).Str("topic", eosCfg.Topic).
			Msg("exactly-once kafka output: profiles and offsets commit in one transaction; read the topic with isolation.level=read_committed")
	}
	if pcfg.DeadLetter, err = openDeadLetter(cfg, conn, &a.closers); err != nil {
		return fail(err)
	}
	km := kprom.NewMetrics("kprofiler_kafka", kprom.Registerer(reg), kprom.Gatherer(reg))
	pcfg.ClientOpts = append(conn,
		kgo.WithLogger(kgoLogger{log.With().Str("component", "kgo").Logger().Level(max(log.GetLevel(), zerolog.WarnLevel))}),
		kgo.WithHooks(km),
		kgo.FetchMaxBytes(int32(cfg.Kafka.FetchMaxBytes)),
		kgo.FetchMaxPartitionBytes(int32(cfg.Kafka.PartitionFetchMaxBytes)),
		kgo.FetchMaxWait(cfg.Kafka.FetchMaxWait.Std()),
		kgo.SessionTimeout(cfg.Kafka.SessionTimeout.Std()),
		kgo.RebalanceTimeout(cfg.Kafka.RebalanceTimeout.Std()),
		kgo.ConsumeStartOffset(startOffset(cfg.Kafka.StartFrom)),
	)
	if eos >= 0 {
		// The session's client produces the profiles: send at once, as
		// DialKafka does (End flushes anyway).
		pcfg.ClientOpts = append(pcfg.ClientOpts, kgo.ProducerLinger(0))
	}
	c, err := pipeline.New(pcfg)
	if err != nil {
		return fail(err)
	}
	a.consumer = c
	return a, nil
}

// pipelineDataset converts one configured dataset.
func pipelineDataset(d config.Dataset) (pipeline.Dataset, error) {
	pd := pipeline.Dataset{Name: d.Name, Topics: d.Topics}
	nest := event.NestFlatten
	if d.Nesting == "ignore" {
		nest = event.NestIgnore
	}
	arrays := event.ArraysAsObject
	if d.Arrays == "ignore" {
		arrays = event.ArraysIgnore
	}
	pd.JSON = event.JSONOptions{Separator: d.Separator, Nesting: nest, Arrays: arrays, Include: d.IncludeFields, Exclude: d.ExcludeFields}
	pd.Avro = event.AvroOptions{Separator: d.Separator, Nesting: nest, Include: d.IncludeFields, Exclude: d.ExcludeFields}
	if d.Format == "avro" {
		pd.Format = pipeline.FormatAvro
		switch {
		case d.Avro.SchemaRegistry.URL != "":
			ropts := []sr.ClientOpt{sr.URLs(d.Avro.SchemaRegistry.URL)}
			if u := d.Avro.SchemaRegistry.Username; u != "" {
				ropts = append(ropts, sr.BasicAuth(u, d.Avro.SchemaRegistry.Password.Reveal()))
			}
			cl, err := sr.NewClient(ropts...)
			if err != nil {
				return pd, err
			}
			if pd.Schemas, err = event.NewRegistry(cl, event.RegistryOptions{}); err != nil {
				return pd, err
			}
		default:
			b, err := os.ReadFile(d.Avro.SchemaFile)
			if err != nil {
				return pd, err
			}
			if pd.Schemas, err = event.NewFixedSchema(string(b)); err != nil {
				return pd, err
			}
		}
	}
	if d.EventTime.Source == "field" {
		pd.EventTimeField = d.EventTime.Field
		f, err := event.ParseTimeFormat(d.EventTime.Format)
		if err != nil {
			return pd, err
		}
		pd.TimeFormat = f
	}
	meta := map[string]string{}
	maps.Copy(meta, d.Metadata)
	for k, v := range d.Tags {
		meta[profiler.TagPrefix+k] = v
	}
	var explicit [][]profiler.SegmentTag
	for _, m := range d.Segments.Explicit {
		var tags []profiler.SegmentTag
		for _, k := range slices.Sorted(maps.Keys(m)) {
			tags = append(tags, profiler.SegmentTag{Key: k, Value: m[k]})
		}
		explicit = append(explicit, tags)
	}
	pd.Window = profiler.WindowConfig{
		Rotation: d.Rotation.Std(), AllowedLateness: d.AllowedLateness.Std(),
		Segments:    profiler.Segmentation{Columns: d.Segments.Fields, Explicit: explicit},
		FullDataset: d.ProfileFullDataset, MaxSegments: d.MaxSegmentsPerWindow, Metadata: meta,
	}
	return pd, nil
}

// serveHTTP serves h on addr in the background.
func serveHTTP(addr string, h http.Handler, log zerolog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg("http server")
		}
	}()
	log.Info().Str("addr", ln.Addr().String()).Msg("serving /metrics, /healthz, /readyz")
	return srv, nil
}
