package crash

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Kill moments.
const (
	KillConsume   = "consume"   // while records are consumed
	KillWrite     = "write"     // while a profile is being written to the sink
	KillBetween   = "between"   // after profiles were published, before the next commit
	KillRebalance = "rebalance" // while the victim's revoke callback runs
)

// Dataset is the dataset name of the scenario's consumer config.
const Dataset = "orders"

// SinkVariant is how a scenario's consumers publish and how the harness
// reads the output back and times "write" kills.
type SinkVariant struct {
	Name string
	// Setup, when set, runs before the consumers start (e.g. creates an
	// output topic).
	Setup func(ctx context.Context, adm *kadm.Client) error
	// YAML returns the entries of the config's sinks list for process slot
	// "a" or "b" (each line indented by two spaces, starting with "  - ").
	YAML func(slot string) string
	// Env returns extra environment variables for a process of slot; dir is
	// the slot's private directory.
	Env func(slot, dir string) []string
	// ArmWrite arms the "write" trigger for the running process p of slot:
	// fired is closed while p writes a profile; after is called once the
	// process was killed (it releases a held request, stops a watcher).
	ArmWrite func(ctx context.Context, slot, dir string, p *Proc) (fired <-chan struct{}, after func(), err error)
	// Read returns every published profile.
	Read func(ctx context.Context) ([]Stored, error)
	// CheckEachKill checks after every kill that each partition's committed
	// offset covers only records the sink holds (Read must be cheap).
	CheckEachKill bool
}

// Options configure Run.
type Options struct {
	Binary            string   // the consumer binary
	Brokers           []string // 127.0.0.1 addresses
	ClientOpts        []kgo.Opt
	Topic             string
	Partitions        int32
	ReplicationFactor int16
	Group             string
	Events            int
	Kills             int
	Seed              uint64
	Dir               string // work directory (configs, logs, temp dirs)
	Sink              SinkVariant
	// CheckpointEveryRecords and Rotation shape the consumer's publishing.
	CheckpointEveryRecords int
	Rotation               string
	CatchUpTimeout         time.Duration
	// LateRelease (S3 "write" kills): the killed consumer's held request is
	// completed only after the restarted consumer was assigned its
	// partitions, like a zombie write landing after the new owner started.
	LateRelease bool
	// OnlyKind, when set, makes every kill of that kind.
	OnlyKind string
	Logf     func(format string, args ...any)
}

// KillRecord describes one kill.
type KillRecord struct {
	N         int
	Kind      string
	Victim    string
	At        time.Duration // since the start of the scenario
	Committed int64         // the group's committed offsets (sum) just before the kill
	Note      string        // e.g. how the moment was detected
	Fallback  bool          // the trigger did not fire in time; killed anyway
}

// Result is what a scenario did and found.
type Result struct {
	Seed       uint64
	Kills      []KillRecord
	Restarts   int
	KillChecks int // committed-versus-stored checks after kills
	Produced   int
	Valid      int
	ByCountry  map[string]int
	Merged     *Merged
	Mismatches []string // guarantee violations (empty: exact counts)
	ExitCodes  []string // of the final SIGTERM stops
	Duration   time.Duration
	CatchUp    time.Duration
}

// Summary is a one-paragraph report of the result.
func (r *Result) Summary() string {
	var b strings.Builder
	kinds := map[string]int{}
	fb := 0
	for _, k := range r.Kills {
		kinds[k.Kind]++
		if k.Fallback {
			fb++
		}
	}
	fmt.Fprintf(&b, "seed %d: %d kills (consume %d, write %d, between %d, rebalance %d; %d fallback), %d restarts, %d committed-vs-stored checks; produced %d events, %d valid",
		r.Seed, len(r.Kills), kinds[KillConsume], kinds[KillWrite], kinds[KillBetween], kinds[KillRebalance], fb, r.Restarts, r.KillChecks, r.Produced, r.Valid)
	if r.Merged != nil {
		full := r.Merged.Segments[""]
		n := int64(-1)
		if full != nil {
			n = Counts(full)["event_id"]
		}
		fmt.Fprintf(&b, "; merged %d profiles: full-dataset counts/n %d, %d segments", r.Merged.Profiles, n, len(r.Merged.Segments)-1)
	}
	fmt.Fprintf(&b, "; catch-up %s, total %s", r.CatchUp.Round(time.Millisecond), r.Duration.Round(time.Millisecond))
	return b.String()
}

// Totals lists counts/n of event_id per merged segment next to the valid
// events the generator produced for it.
func (r *Result) Totals() string {
	if r.Merged == nil {
		return "no profiles merged"
	}
	var b strings.Builder
	line := func(name string, seg string, want int) {
		got := int64(-1)
		if dp := r.Merged.Segments[seg]; dp != nil {
			got = Counts(dp)["event_id"]
		}
		fmt.Fprintf(&b, "\n  %-14s counts/n %7d  valid events %7d", name, got, want)
	}
	line("full dataset", "", r.Valid)
	for _, c := range slices.Sorted(maps.Keys(r.ByCountry)) {
		line("country="+c, "country="+c, r.ByCountry[c])
	}
	return b.String()
}

// scenario is the state of one Run.
type scenario struct {
	o     Options
	start time.Time
	cl    *kgo.Client
	adm   *kadm.Client
	gen   *Gen
	rng   *rand.Rand
	procs map[string]*Proc
	runs  map[string]int
	res   *Result
}

func (s *scenario) logf(format string, args ...any) {
	if s.o.Logf != nil {
		s.o.Logf("[%s %6.1fs] "+format, append([]any{s.o.Sink.Name, time.Since(s.start).Seconds()}, args...)...)
	}
}

// ConfigYAML is the consumer configuration of a scenario process.
func ConfigYAML(o Options, slot string) string {
	brokers := make([]string, len(o.Brokers))
	for i, b := range o.Brokers {
		brokers[i] = fmt.Sprintf("%q", b)
	}
	rot := o.Rotation
	if rot == "" {
		rot = "10m"
	}
	every := o.CheckpointEveryRecords
	if every == 0 {
		every = 10000
	}
	return fmt.Sprintf(`kafka:
  brokers: [%s]
  group: %s
  client_id: crash-%s
  fetch_max_wait: 200ms
  session_timeout: 6s
  rebalance_timeout: 30s
datasets:
  - name: %s
    topics: [%s]
    format: json
    event_time: {source: field, field: ts, format: rfc3339}
    rotation: %s
    allowed_lateness: 10s
    segments: {fields: [country]}
    profile_full_dataset: true
sinks:
%s
checkpoint:
  every_records: %d
  every_interval: 1s
http:
  listen: 127.0.0.1:0
log:
  level: debug
  format: json
shutdown_timeout: 60s
`, strings.Join(brokers, ", "), o.Group, slot, Dataset, o.Topic, rot, strings.TrimRight(o.Sink.YAML(slot), "\n"), every)
}

// WriteConfig writes the config of slot into dir and returns its path.
func WriteConfig(o Options, slot, dir string) (string, error) {
	path := filepath.Join(dir, "kprofiler-"+slot+".yaml")
	return path, os.WriteFile(path, []byte(ConfigYAML(o, slot)), 0o600)
}

// ValidateConfig runs `consumer config validate` on slot a's config.
func ValidateConfig(o Options) error {
	dir := filepath.Join(o.Dir, "validate")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path, err := WriteConfig(o, "a", dir)
	if err != nil {
		return err
	}
	out, err := exec.Command(o.Binary, "config", "validate", "--config", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("consumer config validate: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (s *scenario) slotDir(slot string) string { return filepath.Join(s.o.Dir, slot) }

// startProc starts a consumer for slot.
func (s *scenario) startProc(slot string) (*Proc, error) {
	dir := s.slotDir(slot)
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	cfg, err := WriteConfig(s.o, slot, dir)
	if err != nil {
		return nil, err
	}
	s.runs[slot]++
	env := []string{"TMPDIR=" + tmp}
	if s.o.Sink.Env != nil {
		env = append(env, s.o.Sink.Env(slot, dir)...)
	}
	name := fmt.Sprintf("%s#%d", slot, s.runs[slot])
	p, err := StartProc(name, s.o.Binary, []string{"run", "--config", cfg}, env,
		filepath.Join(dir, fmt.Sprintf("consumer-%s-%02d.log", slot, s.runs[slot])))
	if err != nil {
		return nil, err
	}
	s.procs[slot] = p
	return p, nil
}

// hasPartitions matches a "partitions assigned" line with a non-empty assignment.
func hasPartitions(line string) bool {
	return hasMessage("partitions assigned")(line) && strings.Contains(line, `"partitions":{"`)
}

// committed returns the sum of the group's committed offsets on the topic
// and of the end offsets, and whether every partition is fully committed.
func (s *scenario) committed(ctx context.Context) (committed, end int64, done bool, err error) {
	ends, err := s.adm.ListEndOffsets(ctx, s.o.Topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return 0, 0, false, err
	}
	offs, err := s.adm.FetchOffsets(ctx, s.o.Group)
	if err == nil {
		err = offs.Error()
	}
	if err != nil {
		return 0, 0, false, err
	}
	done = true
	ends.Each(func(o kadm.ListedOffset) {
		end += o.Offset
		c, ok := offs.Lookup(s.o.Topic, o.Partition)
		at := int64(0)
		if ok && c.At > 0 {
			at = c.At
		}
		committed += at
		if at != o.Offset {
			done = false
		}
	})
	return committed, end, done, nil
}

// checkCommitted checks, right after a kill, that the group's committed
// offset of every partition covers no more valid records than the sink
// holds for that partition: nothing was committed that is not published.
// Violations go to the result's mismatches.
func (s *scenario) checkCommitted(ctx context.Context, kill int) error {
	offs, err := s.adm.FetchOffsets(ctx, s.o.Group)
	if err == nil {
		err = offs.Error()
	}
	if err != nil {
		return fmt.Errorf("kill %d: fetching committed offsets: %w", kill, err)
	}
	ps, err := s.o.Sink.Read(ctx)
	if err != nil {
		return fmt.Errorf("kill %d: reading the sink: %w", kill, err)
	}
	held, err := PartitionRecords(ps, Dataset)
	if err != nil {
		return fmt.Errorf("kill %d: %w", kill, err)
	}
	for p := int32(0); p < s.o.Partitions; p++ {
		o, ok := offs.Lookup(s.o.Topic, p)
		if !ok || o.At <= 0 {
			continue
		}
		if below := s.gen.ValidBelow(p, o.At); int64(below) > held[p] {
			s.res.Mismatches = append(s.res.Mismatches, fmt.Sprintf("after kill %d: partition %d committed at %d covers %d valid records, the sink holds %d of them",
				kill, p, o.At, below, held[p]))
		}
	}
	s.res.KillChecks++
	return nil
}

// waitSoleOwner waits until the group is stable with one member, of the
// given client id, that owns every partition of the topic.
func (s *scenario) waitSoleOwner(ctx context.Context, clientID string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for {
		ds, err := s.adm.DescribeGroups(ctx, s.o.Group)
		if err == nil {
			d := ds[s.o.Group]
			n := 0
			for _, m := range d.Members {
				if c, ok := m.Assigned.AsConsumer(); ok && m.ClientID == clientID {
					for _, t := range c.Topics {
						if t.Topic == s.o.Topic {
							n += len(t.Partitions)
						}
					}
				}
			}
			if d.Err == nil && d.State == "Stable" && len(d.Members) == 1 && n == int(s.o.Partitions) {
				return nil
			}
			last = fmt.Sprintf("state %s, %d members, %s owns %d partitions", d.State, len(d.Members), clientID, n)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("group %s: not a stable group with %s as sole owner after %s (%s)", s.o.Group, clientID, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Run runs the crash scenario and returns what happened. An error means the
// harness could not do its job (a process failed to start, a timeout); a
// guarantee violation is reported in Result.Mismatches.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Partitions == 0 {
		o.Partitions = 6
	}
	if o.ReplicationFactor == 0 {
		o.ReplicationFactor = 1
	}
	if o.CatchUpTimeout == 0 {
		o.CatchUpTimeout = 5 * time.Minute
	}
	s := &scenario{o: o, start: time.Now(), procs: map[string]*Proc{}, runs: map[string]int{},
		gen: NewGen(o.Seed, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 50*time.Millisecond, 0.01),
		rng: rand.New(rand.NewPCG(o.Seed, 0x63726173)), res: &Result{Seed: o.Seed}}
	defer func() {
		for _, p := range s.procs {
			if p.Running() {
				p.Kill()
			}
		}
	}()
	var err error
	s.cl, err = kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(o.Brokers...), kgo.ProducerLinger(5 * time.Millisecond)}, o.ClientOpts...)...)
	if err != nil {
		return nil, err
	}
	defer s.cl.Close()
	s.adm = kadm.NewClient(s.cl)
	if err := createTopic(ctx, s.adm, o.Topic, o.Partitions, o.ReplicationFactor); err != nil {
		return nil, err
	}
	if o.Sink.Setup != nil {
		if err := o.Sink.Setup(ctx, s.adm); err != nil {
			return nil, err
		}
	}
	s.logf("seed %d (set CRASH_SEED to repeat), %d events over %d partitions, %d kills", o.Seed, o.Events, o.Partitions, o.Kills)
	if err := s.run(ctx); err != nil {
		s.res.Duration = time.Since(s.start)
		for _, slot := range []string{"a", "b"} {
			if p := s.procs[slot]; p != nil {
				err = fmt.Errorf("%w\n----- last lines of consumer %s (%s, %s) -----\n%s", err, p.Name, p.ExitStatus(), p.LogPath, p.Tail(25))
			}
		}
		return s.res, err
	}
	s.res.Duration = time.Since(s.start)
	return s.res, nil
}

func createTopic(ctx context.Context, adm *kadm.Client, topic string, partitions int32, rf int16) error {
	resp, err := adm.CreateTopic(ctx, partitions, rf, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		md, err := adm.Metadata(ctx, topic)
		if err == nil {
			td := md.Topics[topic]
			ok := td.Err == nil && len(td.Partitions) == int(partitions)
			for _, p := range td.Partitions {
				ok = ok && p.Err == nil && p.Leader >= 0
			}
			if ok {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topic %s has no leaders after 60s (%v)", topic, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// plan returns the kill kinds in order: every kind at least once (when there
// are 4 kills or more), the rest drawn at random, shuffled.
func (s *scenario) plan() []string {
	all := []string{KillConsume, KillWrite, KillBetween, KillRebalance}
	var ks []string
	for i := 0; i < s.o.Kills; i++ {
		if s.o.OnlyKind != "" {
			ks = append(ks, s.o.OnlyKind)
			continue
		}
		if i < len(all) {
			ks = append(ks, all[i])
		} else {
			ks = append(ks, all[s.rng.IntN(len(all))])
		}
	}
	s.rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
	return ks
}

func (s *scenario) run(ctx context.Context) error {
	kinds := s.plan()
	chunk := s.o.Events / (len(kinds) + 1)
	a, err := s.startProc("a")
	if err != nil {
		return err
	}
	produceAsync := func(n int) <-chan error {
		ch := make(chan error, 1)
		go func() { ch <- Produce(ctx, s.cl, s.o.Topic, s.gen, n) }()
		return ch
	}
	var lateRelease func()
	for i, kind := range kinds {
		a = s.procs["a"]
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		if _, _, err := a.WaitLine(wctx, 0, hasPartitions); err != nil {
			cancel()
			if i == 0 && errors.Is(err, ErrExited) && a.Count("not implemented") > 0 {
				return fmt.Errorf("%w: %s", ErrUnsupported, a.Tail(3))
			}
			return fmt.Errorf("kill %d: waiting for consumer %s to be assigned partitions: %w\n%s", i+1, a.Name, err, a.Tail(30))
		}
		cancel()
		rec := KillRecord{N: i + 1, Kind: kind, Victim: a.Name}
		if kind == KillRebalance {
			if b := s.procs["b"]; b != nil && b.Running() {
				if code, err := b.Term(90 * time.Second); err != nil || code != 0 {
					return fmt.Errorf("kill %d: stopping %s before the rebalance: exit %d, %v\n%s", i+1, b.Name, code, err, b.Tail(30))
				}
				s.logf("stopped %s (SIGTERM) before the rebalance kill", b.Name)
				if err := s.waitSoleOwner(ctx, "crash-a", 2*time.Minute); err != nil {
					return fmt.Errorf("kill %d: %s after %s left: %w", i+1, a.Name, b.Name, err)
				}
			}
		}
		// First half of the chunk, then wait until the group committed
		// something new, so the kill lands behind commits, in mid-stream.
		c0, _, _, _ := s.committed(ctx)
		half := chunk / 2
		if err := Produce(ctx, s.cl, s.o.Topic, s.gen, half); err != nil {
			return err
		}
		for wait := time.Now().Add(30 * time.Second); time.Now().Before(wait); time.Sleep(100 * time.Millisecond) {
			if c, _, _, err := s.committed(ctx); err == nil && c > c0 {
				break
			}
		}
		if c, _, _, err := s.committed(ctx); err == nil {
			rec.Committed = c
		}
		second := chunk - half
		var produced <-chan error
		switch kind {
		case KillConsume:
			produced = produceAsync(second)
			d := time.Duration(s.rng.IntN(800)) * time.Millisecond
			time.Sleep(d)
			rec.Note = fmt.Sprintf("%s after new records were produced", d)
		case KillWrite:
			fired, after, err := s.o.Sink.ArmWrite(ctx, "a", s.slotDir("a"), a)
			if err != nil {
				return err
			}
			produced = produceAsync(second)
			rec.Note, rec.Fallback = s.waitTrigger(ctx, a, fired, "a profile write in progress")
			a.Kill()
			if s.o.LateRelease {
				lateRelease = after
			} else {
				after()
			}
		case KillBetween:
			mark := a.Lines()
			produced = produceAsync(second)
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			_, _, err := a.WaitLine(wctx, mark, hasMessage("profiles published"))
			cancel()
			if err != nil && errors.Is(err, ErrExited) {
				return fmt.Errorf("kill %d: %w\n%s", i+1, err, a.Tail(30))
			}
			rec.Fallback = err != nil
			rec.Note = `after "profiles published", before the next commit`
		case KillRebalance:
			addr, err := a.MetricsAddr(ctx)
			if err != nil {
				return err
			}
			base, err := Metric(ctx, addr, `kprofiler_rebalances_total{event="revoked"}`)
			if err != nil {
				return fmt.Errorf("kill %d: reading %s's metrics: %w", i+1, a.Name, err)
			}
			produced = produceAsync(second)
			time.Sleep(time.Duration(s.rng.IntN(500)) * time.Millisecond)
			if _, err := s.startProc("b"); err != nil {
				return err
			}
			s.logf("started %s to force a rebalance", s.procs["b"].Name)
			fired := make(chan struct{})
			stop := make(chan struct{})
			go func() {
				for {
					v, err := Metric(ctx, addr, `kprofiler_rebalances_total{event="revoked"}`)
					if err == nil && v > base {
						close(fired)
						return
					}
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
				}
			}()
			rec.Note, rec.Fallback = s.waitTrigger(ctx, a, fired, "its revoke callback started")
			close(stop)
		}
		rec.At = time.Since(s.start)
		a.Kill()
		s.res.Kills = append(s.res.Kills, rec)
		fb := ""
		if rec.Fallback {
			fb = " (trigger did not fire in time: killed anyway)"
		}
		s.logf("kill %d/%d: SIGKILL %s [%s] %s; group committed %d before%s", rec.N, len(kinds), rec.Victim, rec.Kind, rec.Note, rec.Committed, fb)
		if err := <-produced; err != nil {
			return err
		}
		if s.o.Sink.CheckEachKill {
			if err := s.checkCommitted(ctx, rec.N); err != nil {
				return err
			}
		}
		if _, err := s.startProc("a"); err != nil {
			return err
		}
		if lateRelease != nil {
			// The dead writer's request completes only now, after the
			// restarted consumer was assigned partitions (and reconciled).
			wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			_, _, err := s.procs["a"].WaitLine(wctx, 0, hasPartitions)
			cancel()
			if err != nil {
				return fmt.Errorf("kill %d: restarted consumer not assigned: %w", rec.N, err)
			}
			time.Sleep(2 * time.Second)
			lateRelease()
			lateRelease = nil
			s.logf("released the killed consumer's held write after the restart")
		}
		s.res.Restarts++
		if b := s.procs["b"]; b != nil && b.Running() && s.rng.Float64() < 0.3 {
			if code, err := b.Term(90 * time.Second); err != nil || code != 0 {
				return fmt.Errorf("stopping %s: exit %d, %v\n%s", b.Name, code, err, b.Tail(30))
			}
			s.logf("stopped %s (SIGTERM)", b.Name)
		}
	}
	if rest := s.o.Events - s.gen.Produced; rest > 0 {
		if err := Produce(ctx, s.cl, s.o.Topic, s.gen, rest); err != nil {
			return err
		}
	}
	s.res.Produced, s.res.Valid, s.res.ByCountry = s.gen.Produced, s.gen.Valid, s.gen.ByCountry
	s.logf("produced all %d events (%d valid); waiting for the group to commit everything", s.gen.Produced, s.gen.Valid)
	t0 := time.Now()
	deadline := t0.Add(s.o.CatchUpTimeout)
	for {
		c, e, done, err := s.committed(ctx)
		if err == nil && done && e == int64(s.gen.Produced) {
			break
		}
		for slot, p := range s.procs {
			if slot == "a" && !p.Running() {
				return fmt.Errorf("%s exited (%s) during catch-up\n%s", p.Name, p.ExitStatus(), p.Tail(40))
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("catch-up: committed %d of %d after %s (last error %v)\n%s", c, e, s.o.CatchUpTimeout, err, s.procs["a"].Tail(40))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	s.res.CatchUp = time.Since(t0)
	s.logf("caught up in %s; stopping with SIGTERM", s.res.CatchUp.Round(time.Millisecond))
	for _, slot := range []string{"b", "a"} {
		p := s.procs[slot]
		if p == nil || !p.Running() {
			continue
		}
		code, err := p.Term(90 * time.Second)
		s.res.ExitCodes = append(s.res.ExitCodes, fmt.Sprintf("%s: %d", p.Name, code))
		if err != nil || code != 0 {
			s.res.Mismatches = append(s.res.Mismatches, fmt.Sprintf("%s: SIGTERM exit %d (%v)", p.Name, code, err))
		}
	}
	if c, e, done, err := s.committed(ctx); err != nil || !done {
		s.res.Mismatches = append(s.res.Mismatches, fmt.Sprintf("after the stop: committed %d of %d (%v)", c, e, err))
	}
	ps, err := s.o.Sink.Read(ctx)
	if err != nil {
		return fmt.Errorf("reading the published profiles: %w", err)
	}
	m, err := Merge(ps, Dataset)
	if err != nil {
		return err
	}
	s.res.Merged = m
	s.res.Mismatches = append(s.res.Mismatches, m.Check(s.gen)...)
	return nil
}

// waitTrigger waits for fired (up to a minute) and returns the note of the
// kill and whether it fell back to killing without the trigger.
func (s *scenario) waitTrigger(ctx context.Context, p *Proc, fired <-chan struct{}, what string) (string, bool) {
	select {
	case <-fired:
		return "while " + what, false
	case <-p.Done():
		return "process had exited before " + what, true
	case <-time.After(time.Minute):
		return "no moment of " + what + " seen within a minute", true
	case <-ctx.Done():
		return "cancelled", true
	}
}

// FileSink publishes to a file:// bucket under root; "write" kills fire when
// the victim has a fileblob temporary file open (fileblob writes objects to
// a temporary file in TMPDIR, fsyncs it and renames it into place).
func FileSink(root string) SinkVariant {
	return SinkVariant{
		Name: "file",
		YAML: func(string) string {
			return fmt.Sprintf("  - type: blob\n    url: file://%s\n", filepath.ToSlash(root))
		},
		ArmWrite: func(ctx context.Context, slot, dir string, p *Proc) (<-chan struct{}, func(), error) {
			tmp := filepath.Join(dir, "tmp")
			fired := make(chan struct{})
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ents, _ := os.ReadDir(tmp)
					if slices.ContainsFunc(ents, func(e os.DirEntry) bool { return strings.HasSuffix(e.Name(), ".tmp") }) {
						close(fired)
						return
					}
					select {
					case <-stop:
						return
					default:
					}
					time.Sleep(200 * time.Microsecond)
				}
			}()
			return fired, func() { close(stop); wg.Wait() }, nil
		},
		Read:          func(context.Context) ([]Stored, error) { return ReadDir(root) },
		CheckEachKill: true,
	}
}

// S3Sink publishes to the fake S3; "write" kills hold one of the victim's
// profile PUTs in the fake until the victim is dead, then let it through
// (an object that exists although its writer never confirmed it).
func S3Sink(f *FakeS3, prefix string) SinkVariant {
	return SinkVariant{
		Name: "s3",
		YAML: func(string) string {
			return fmt.Sprintf("  - type: blob\n    url: %q\n    prefix: %s\n", f.BlobURL(), prefix)
		},
		Env: func(slot, dir string) []string { return S3Env("crash-"+slot, dir) },
		ArmWrite: func(ctx context.Context, slot, dir string, p *Proc) (<-chan struct{}, func(), error) {
			held, release := f.HoldPut("crash-" + slot)
			return held, release, nil
		},
		Read:          func(context.Context) ([]Stored, error) { return f.Objects(prefix) },
		CheckEachKill: true,
	}
}
