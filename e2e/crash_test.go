//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/crash"
)

// TestCrashRealBroker is the crash suite (crash/) on the real Kafka broker:
// `consumer run` processes with a file sink are SIGKILLed at seeded random
// moments (consume, profile write, between publish and commit, rebalance)
// and restarted; at the end the merged profiles count every valid event
// exactly once, per column and per segment; after every kill no partition's
// committed offset covers a record the files do not hold. E2E_CRASH_EVENTS
// (default 100000), E2E_CRASH_KILLS (default 5) and CRASH_SEED adjust it
// (and TestCrashRealBrokerExactlyOnce).
func TestCrashRealBroker(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "profiles")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	runRealCrash(t, dir, func(string) crash.SinkVariant { return crash.FileSink(root) })
}

// TestCrashRealBrokerExactlyOnce is the same with the exactly-once Kafka sink
// on the real broker's transactions; the profiles are read back with
// read_committed.
func TestCrashRealBrokerExactlyOnce(t *testing.T) {
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	out := uniqueName("crash-profiles")
	res := runRealCrash(t, t.TempDir(), func(string) crash.SinkVariant {
		return crash.KafkaEOSSink(seeds(t, bootstrap), out, 6, 1, kgo.Dialer(loopbackOnly))
	})
	if res == nil || res.Merged == nil {
		return
	}
	all, err := crash.ReadTopic(context.Background(), []kgo.Opt{kgo.SeedBrokers(seeds(t, bootstrap)...), kgo.Dialer(loopbackOnly)}, out, kgo.ReadUncommitted())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("output topic: %d committed profile records, %d read_uncommitted (%d in aborted transactions)",
		res.Merged.Profiles, len(all), len(all)-res.Merged.Profiles)
}

// runRealCrash runs the crash scenario on the single-node broker with the
// sink sinkFor returns.
func runRealCrash(t *testing.T, dir string, sinkFor func(bootstrap string) crash.SinkVariant) *crash.Result {
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	bin := consumerBinary(t)
	num := func(name string, def int) int {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				t.Fatalf("%s=%q", name, v)
			}
			return n
		}
		return def
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CRASH_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CRASH_SEED=%q: %v", v, err)
		}
		seed = s
	}
	sink := sinkFor(bootstrap)
	o := crash.Options{
		Binary: bin, Brokers: seeds(t, bootstrap), ClientOpts: []kgo.Opt{kgo.Dialer(loopbackOnly)},
		Topic: uniqueName("crash"), Partitions: 6, ReplicationFactor: 1, Group: uniqueName("crash-group"),
		Events: num("E2E_CRASH_EVENTS", 100000), Kills: num("E2E_CRASH_KILLS", 5), Seed: seed,
		Dir: filepath.Join(dir, "work"), Sink: sink, Logf: t.Logf,
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	res, err := crash.Run(ctx, o)
	if res != nil {
		t.Logf("RESULT real broker, %s sink: %s%s", sink.Name, res.Summary(), res.Totals())
	}
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	for _, m := range res.Mismatches {
		t.Errorf("seed %d: %s", seed, m)
	}
	return res
}
