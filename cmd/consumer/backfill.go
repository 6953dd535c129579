package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kprom"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
	"github.com/kprofiler/kprofiler/pipeline"
)

func init() {
	register(command{name: "backfill", summary: "replay a time range of a dataset's topics into profiles, then exit", run: runBackfill})
}

const backfillUsage = `Usage: consumer backfill --config kprofiler.yaml --dataset NAME --from T1 [--to T2] [flags]

Replays the records of one dataset's topics whose Kafka record timestamps lie in
[T1, T2) and publishes their profiles through the configured sinks, then exits 0.

For every partition the start offset is the first record with a timestamp at or
after T1 and the end offset the first record at or after T2; without --to, the
end offsets when the command starts (records produced later are not read, so the
backfill stops by itself while producers keep writing). The partitions are read
directly: no consumer group is joined and no offset is committed, so a running
"consumer run" of the same group is not disturbed. A kafka sink with exactly_once
is written without transactions (there are no offsets to commit with the profiles).

Records are profiled exactly as "consumer run" does (same decoding, event-time
windows, segments, and checkpoint.every_records partials after each offset with
(offset+1) % every_records == 0), starting with fresh window state, and every
window is published, the last ones as partial profiles. So the profiles (object
keys and bytes) are the ones "consumer run" published for the same offsets when
it also started there with fresh state (the beginning of the topic, or a restart
from a commit at that offset) and flushed at the end offset (a checkpoint or a
shutdown there): a backfill of a whole topic reproduces a live run over it.
checkpoint.every_interval (wall clock) is ignored: it is not deterministic. Late
partial profiles may be cut differently (when they are emitted depends on fetch
boundaries); their merged counts are equal.

Times (--from, --to): RFC 3339 ("2026-11-01T00:00:00Z", "2026-11-01T01:00:00+01:00"),
epoch milliseconds ("1761955200000"), "now", or a negative duration relative to
the start of the command ("-24h", "-90m", "-7d", "-1d12h"). Windows still follow
the dataset's event time; the range selects records by Kafka record timestamp.

Progress: on a terminal a progress bar on stderr (records done / total, rate,
ETA); otherwise a log line every --progress-interval. Records are counted as
offsets. With --metrics-listen, /metrics serves kprofiler_backfill_* gauges per
partition (target_records, done_records) and remaining_partitions.

Exit codes: 0 every partition reached its end offset and every profile was
published; 1 failure; 2 usage error; 130 interrupted (SIGINT/SIGTERM; what was
published stays and a rerun overwrites it with identical objects).

Flags:
`

// backfillFlags are the parsed command-line options of consumer backfill.
type backfillFlags struct {
	dataset       string
	from, to      time.Time
	fromS, toS    string
	progress      string
	progressEvery time.Duration
	metricsListen string
	cfgFlags      *config.Flags
}

// parseBackfillTime parses a --from/--to value relative to now.
func parseBackfillTime(s string, now time.Time) (time.Time, error) {
	in := strings.TrimSpace(s)
	switch {
	case in == "":
		return time.Time{}, errors.New("empty")
	case strings.EqualFold(in, "now"):
		return now.UTC(), nil
	case strings.Trim(in, "0123456789") == "":
		ms, err := strconv.ParseInt(in, 10, 64)
		if err != nil {
			return time.Time{}, errors.New("epoch milliseconds out of range")
		}
		return time.UnixMilli(ms).UTC(), nil
	case in[0] == '-':
		d, err := config.ParseDuration(in)
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(d.Std()).UTC(), nil
	case in[0] == '+':
		return time.Time{}, errors.New("a relative time must be in the past (a negative duration such as -24h)")
	}
	t, err := time.Parse(time.RFC3339Nano, in)
	if err != nil {
		return time.Time{}, errors.New("not RFC 3339, epoch milliseconds, now or a negative duration")
	}
	return t.UTC(), nil
}

const timeForms = "want RFC 3339 (2026-11-01T00:00:00Z), epoch milliseconds, now, or a negative duration relative to now (-24h, -7d)"

// parseBackfillArgs parses and checks the flags; on failure it returns the
// exit code (0 for --help) and has written the message.
func parseBackfillArgs(args []string, now time.Time, stdout, stderr io.Writer) (*backfillFlags, int, bool) {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &backfillFlags{cfgFlags: config.RegisterFlags(fs)}
	fs.StringVar(&f.dataset, "dataset", "", "name of the dataset (datasets[].name in the configuration) to backfill; required")
	fs.StringVar(&f.fromS, "from", "", "start `time` T1 (inclusive, by record timestamp); required; see Times above")
	fs.StringVar(&f.toS, "to", "", "end `time` T2 (exclusive, by record timestamp); empty: the end offsets when the command starts")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: auto (bar on a terminal, else log lines), bar, log or none")
	fs.DurationVar(&f.progressEvery, "progress-interval", 10*time.Second, "interval of the progress log lines (--progress log)")
	fs.StringVar(&f.metricsListen, "metrics-listen", "", "serve /metrics, /healthz and /readyz on this host:port while running; empty: no server (http.listen and --http-listen are not used, so a backfill can run next to consumer run)")
	help := func() {
		w := fs.Output()
		fmt.Fprint(w, backfillUsage)
		fs.PrintDefaults()
		fmt.Fprint(w, "\nOf the configuration flags, --group, --start-from and --shutdown-timeout do not affect a\n"+
			"backfill (it joins no group and starts at --from); the others work as for consumer run.\n"+
			"\nConfiguration (YAML file < KPROFILER_* environment < flags):\n\n")
		fmt.Fprint(w, config.Reference())
	}
	fs.Usage = usageHint(fs, "consumer backfill")
	if wantsHelp(args) {
		fs.SetOutput(stdout)
		help()
		return nil, 0, false
	}
	if err := fs.Parse(args); err != nil {
		return nil, 2, false
	}
	fail := func(format string, a ...any) (*backfillFlags, int, bool) {
		fmt.Fprintf(stderr, "consumer backfill: "+format+"\nRun \"consumer backfill --help\" for usage.\n", a...)
		return nil, 2, false
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	if f.dataset == "" {
		return fail("--dataset is required")
	}
	if f.fromS == "" {
		return fail("--from is required")
	}
	var err error
	if f.from, err = parseBackfillTime(f.fromS, now); err != nil {
		return fail("--from %q: %v; %s", f.fromS, err, timeForms)
	}
	if f.toS != "" {
		if f.to, err = parseBackfillTime(f.toS, now); err != nil {
			return fail("--to %q: %v; %s", f.toS, err, timeForms)
		}
		if !f.to.After(f.from) {
			return fail("--to %q (%s) is not after --from %q (%s)", f.toS, f.to.Format(time.RFC3339Nano), f.fromS, f.from.Format(time.RFC3339Nano))
		}
	}
	switch f.progress {
	case "auto", "bar", "log", "none":
	default:
		return fail("--progress %q: want auto, bar, log or none", f.progress)
	}
	if f.progressEvery <= 0 {
		return fail("--progress-interval %q: want a positive duration", f.progressEvery.String())
	}
	return f, 0, true
}

func runBackfill(args []string, stdout, stderr io.Writer) int {
	f, code, ok := parseBackfillArgs(args, time.Now(), stdout, stderr)
	if !ok {
		return code
	}
	cfg, err := config.Load(config.Options{Environ: os.Environ(), Flags: f.cfgFlags})
	if err != nil {
		fmt.Fprintf(stderr, "consumer backfill: %v\n", err)
		return 1
	}
	var names []string
	var ds *config.Dataset
	for i := range cfg.Datasets {
		names = append(names, cfg.Datasets[i].Name)
		if cfg.Datasets[i].Name == f.dataset {
			ds = &cfg.Datasets[i]
		}
	}
	if ds == nil {
		fmt.Fprintf(stderr, "consumer backfill: --dataset %q: not in the configuration (datasets: %s)\n", f.dataset, strings.Join(names, ", "))
		return 2
	}
	tty := false
	if fd, ok := stderr.(*os.File); ok && isatty.IsTerminal(fd.Fd()) {
		tty = true
	}
	mode := f.progress
	if mode == "auto" {
		mode = "log"
		if tty {
			mode = "bar"
		}
	}
	lc := cfg.Log
	if tty && (lc.Format == "auto" || lc.Format == "") {
		lc.Format = "console" // the logger cannot see the terminal behind barWriter
	}
	out := &barWriter{w: stderr}
	log := newLogger(lc, out)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case s := <-sigs:
			log.Warn().Stringer("signal", s).Msg("interrupted: stopping; what was published stays, a rerun completes it")
			cancel()
		case <-ctx.Done():
		}
	}()
	return backfill(ctx, cfg, *ds, f, log, out, mode)
}

// backfill runs the backfill of dataset d and returns the exit code.
func backfill(ctx context.Context, cfg *config.Config, d config.Dataset, f *backfillFlags, log zerolog.Logger, out *barWriter, mode string) int {
	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()
	fail := func(what string, err error) int {
		if ctx.Err() != nil {
			log.Warn().Err(err).Msg("backfill interrupted")
			return 130
		}
		log.Error().Err(err).Msg(what)
		return 1
	}
	pd, err := pipelineDataset(d)
	if err != nil {
		return fail("starting", fmt.Errorf("dataset %s: %w", d.Name, err))
	}
	conn, err := connOpts(cfg.Kafka)
	if err != nil {
		return fail("starting", err)
	}
	if err := checkBrokers(ctx, cfg.Kafka, conn, log); err != nil {
		return fail("starting", err)
	}
	sinks, eos, err := openSinks(ctx, cfg, conn, false, &closers)
	if err != nil {
		return fail("starting", err)
	}
	if eos >= 0 { // no offsets to commit with the profiles: no transaction
		k, err := openKafkaSink(cfg.Sinks[eos], conn)
		if err != nil {
			return fail("starting", fmt.Errorf("sinks[%d]: %w", eos, err))
		}
		closers = append(closers, func() { k.Close() })
		sinks[eos] = k
	}
	sk, err := combineSinks(sinks)
	if err != nil {
		return fail("starting", err)
	}
	dl, err := openDeadLetter(cfg, conn, &closers)
	if err != nil {
		return fail("starting", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	km := kprom.NewMetrics("kprofiler_kafka", kprom.Registerer(reg), kprom.Gatherer(reg))
	bcfg := pipeline.BackfillConfig{
		Brokers: cfg.Kafka.Brokers, ClientID: cfg.Kafka.ClientID,
		Datasets: []pipeline.Dataset{pd}, From: f.from, To: f.to,
		Publisher: pipeline.SinkPublisher(sk, version), DeadLetter: dl, Logger: log,
		Metrics: pipeline.NewMetrics(reg, "kprofiler"), Progress: pipeline.NewBackfillMetrics(reg, "kprofiler"),
		CheckpointEveryRecords: cfg.Checkpoint.EveryRecords,
		ClientOpts: append(conn,
			kgo.WithLogger(kgoLogger{log.With().Str("component", "kgo").Logger().Level(max(log.GetLevel(), zerolog.WarnLevel))}),
			kgo.WithHooks(km),
			kgo.FetchMaxBytes(int32(cfg.Kafka.FetchMaxBytes)),
			kgo.FetchMaxPartitionBytes(int32(cfg.Kafka.PartitionFetchMaxBytes)),
			kgo.FetchMaxWait(cfg.Kafka.FetchMaxWait.Std()),
		),
	}
	b, err := pipeline.NewBackfill(bcfg)
	if err != nil {
		return fail("starting", err)
	}
	if cfg.Checkpoint.EveryInterval > 0 {
		log.Info().Stringer("checkpoint.every_interval", cfg.Checkpoint.EveryInterval).Msg("wall-clock checkpoints are ignored by backfill (not deterministic)")
	}
	var running sync.WaitGroup
	done := make(chan struct{})
	if f.metricsListen != "" {
		ready := func() bool {
			select {
			case <-done:
				return false
			default:
				return true
			}
		}
		srv, err := serveHTTP(f.metricsListen, pipeline.Handler(reg, ready), log)
		if err != nil {
			return fail("starting the http server", err)
		}
		defer srv.Close()
	}
	ranges, err := b.Plan(ctx)
	if err != nil {
		return fail("listing offsets", err)
	}
	var total int64
	for _, r := range ranges {
		total += r.Records()
		log.Debug().Str("topic", r.Topic).Int32("partition", r.Partition).Int64("start", r.Start).Int64("end", r.End).Msg("range")
	}
	ev := log.Info().Str("dataset", d.Name).Time("from", f.from).Int("partitions", len(ranges)).Int64("records", total)
	if !f.to.IsZero() {
		ev = ev.Time("to", f.to)
	}
	ev.Msg("backfill planned")
	running.Add(1)
	go func() {
		defer running.Done()
		reportProgress(b, mode, f.progressEvery, log, out, done)
	}()
	err = b.Run(ctx)
	close(done)
	running.Wait()
	p := b.Progress()
	switch {
	case err == nil:
		log.Info().Int64("records", p.Done).Int("partitions", p.Partitions).Dur("elapsed", p.Elapsed).
			Float64("records_per_second", p.Rate()).Msg("backfill complete")
		return 0
	case ctx.Err() != nil:
		log.Warn().Int64("records", p.Done).Int64("total", p.Total).Msg("backfill interrupted")
		return 130
	default:
		return fail("backfill failed", err)
	}
}

// reportProgress shows b's progress until done is closed: a bar redrawn in
// place (mode bar), an info line every interval (mode log) or nothing.
func reportProgress(b *pipeline.Backfill, mode string, every time.Duration, log zerolog.Logger, out *barWriter, done <-chan struct{}) {
	switch mode {
	case "bar":
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				out.drawBar(renderBar(b.Progress(), 30))
			case <-done:
				out.drawBar(renderBar(b.Progress(), 30))
				out.endBar()
				return
			}
		}
	case "log":
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p := b.Progress()
				pct := 100.0
				if p.Total > 0 {
					pct = 100 * float64(p.Done) / float64(p.Total)
				}
				log.Info().Int64("done", p.Done).Int64("total", p.Total).Str("percent", strconv.FormatFloat(pct, 'f', 1, 64)).
					Float64("records_per_second", float64(int64(p.Rate()))).Dur("eta", p.ETA().Round(time.Second)).
					Int("partitions_done", p.PartitionsDone).Int("partitions", p.Partitions).Msg("backfill progress")
			case <-done:
				return
			}
		}
	default:
		<-done
	}
}

// renderBar formats one progress-bar line of the given bar width.
func renderBar(p pipeline.BackfillProgress, width int) string {
	frac := 1.0
	if p.Total > 0 {
		frac = min(float64(p.Done)/float64(p.Total), 1)
	}
	fill := int(frac * float64(width))
	bar := strings.Repeat("#", fill) + strings.Repeat(".", width-fill)
	eta := "--"
	if d := p.ETA(); d > 0 {
		eta = d.Round(time.Second).String()
	} else if p.Done >= p.Total {
		eta = "0s"
	}
	return fmt.Sprintf("[%s] %5.1f%%  %s/%s records  %s rec/s  ETA %s  partitions %d/%d",
		bar, 100*frac, groupDigits(p.Done), groupDigits(p.Total), groupDigits(int64(p.Rate())), eta, p.PartitionsDone, p.Partitions)
}

// groupDigits writes n with thousands separators.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var parts []string
	for len(s) > 3 {
		parts = append(parts, s[len(s)-3:])
		s = s[:len(s)-3]
	}
	parts = append(parts, s)
	slices.Reverse(parts)
	out := strings.Join(parts, ",")
	if neg {
		out = "-" + out
	}
	return out
}

// barWriter is stderr shared by the logger and the progress bar: a log line
// first clears the bar, which the next redraw puts back below it.
type barWriter struct {
	mu    sync.Mutex
	w     io.Writer
	shown bool
}

// Write writes a log line, clearing the bar first.
func (b *barWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shown {
		io.WriteString(b.w, "\r\x1b[K")
		b.shown = false
	}
	return b.w.Write(p)
}

func (b *barWriter) drawBar(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	io.WriteString(b.w, "\r"+line+"\x1b[K")
	b.shown = true
}

// endBar leaves the last bar on its own line.
func (b *barWriter) endBar() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shown {
		io.WriteString(b.w, "\n")
		b.shown = false
	}
}
