//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// TestInterop is scenario 2. The external confluent-kafka producer writes 200,000 JSON
// events over ten 1-minute event-time windows to 4 partitions and keeps their exact
// statistics per window and segment. `consumer run` profiles them (segments on region and
// device plus the full dataset; a file sink and a Kafka sink topic). Once the group's
// committed offsets reach the end offsets the process gets SIGTERM and must exit 0. Then
// whylogs reads both outputs (the folder's files; the topic's records via confluent-kafka),
// merges them per window and segment and compares with the exact statistics
// (check_profiles.py: counts exact, mean/stddev 1e-9 relative, quantiles within the KLL
// rank error plus one item, distinct counts within the HLL 3-sigma bounds, true top
// items among the frequent items).
func TestInterop(t *testing.T) {
	const (
		events     = 200000
		partitions = 4
		checkpoint = 10000 // divides events/partitions, so the last checkpoint covers every record
	)
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	topic, profTopic, group := uniqueName("interop-events"), uniqueName("interop-profiles"), uniqueName("interop-group")
	adm := kadm.NewClient(newClient(t, bootstrap))
	createTopic(t, ctx, adm, topic, partitions, 1)
	createTopic(t, ctx, adm, profTopic, 3, 1)
	dir := t.TempDir()
	stats := filepath.Join(dir, "stats.json")
	out := filepath.Join(dir, "profiles")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	res := runPython(t, ctx, "produce_events.py", "--bootstrap", bootstrap, "--topic", topic,
		"--partitions", strconv.Itoa(partitions), "--count", strconv.Itoa(events), "--stats", stats, "--seed", "2")
	produceDur := time.Since(t0)
	if !strings.Contains(res, fmt.Sprintf("acked=%d errors=0", events)) {
		t.Fatalf("producer did not report %d acked records:\n%s", events, res)
	}
	st := readStats(t, stats)
	if st.Valid != events || len(st.Windows) != 10 {
		t.Fatalf("stats: valid %d windows %d, want %d and 10", st.Valid, len(st.Windows), events)
	}

	consumerBinary(t) // build before timing the consumer
	p := startConsumer(t, "interop", consumerYAML(bootstrap, group, topic, out, profTopic, "", checkpoint))
	consumeDur := waitCommitted(t, ctx, adm, group, topic, events, 10*time.Minute, p)
	code, drain := p.terminate(90 * time.Second)
	if code != 0 {
		t.Fatalf("consumer exited with %d after SIGTERM, want 0", code)
	}
	end, committed, err := groupLag(ctx, adm, group, topic)
	if err != nil || committed != end || end != events {
		t.Fatalf("after exit: committed %d, end %d, want %d (%v)", committed, end, events, err)
	}

	files := countFiles(t, out)
	kdir := filepath.Join(dir, "topic")
	t2 := time.Now()
	runPython(t, ctx, "consume_topic.py", "--bootstrap", bootstrap, "--topic", profTopic,
		"--count", strconv.Itoa(files), "--out", kdir, "--grace", "2")
	r := checkProfiles(t, ctx, "--stats", stats, "--dir", out, "--kafka", kdir)
	checkDur := time.Since(t2)

	fmt.Printf("interop: produced=%d windows=%d groups=%d profiles_files=%d profiles_topic=%d merged_rows_files=%d merged_rows_topic=%d values=%d "+
		"max_rank_err=%.5f (bound eps=%.5f + 1/n) max_mean_rel=%.2g max_std_rel=%.2g max_card_err=%.2f·3σ fi_checked=%d failures=%d exit=%d "+
		"produce=%s consume=%s drain=%s whylogs_check=%s\n",
		events, len(st.Windows), r.ExpectedGroups, r.Files.Profiles, r.Kafka.Profiles, r.Files.Rows, r.Kafka.Rows, r.Files.Values+r.Kafka.Values,
		max(r.Files.MaxRankErr, r.Kafka.MaxRankErr), deref(r.Files.Eps), max(r.Files.MaxMeanRel, r.Kafka.MaxMeanRel),
		max(r.Files.MaxStdRel, r.Kafka.MaxStdRel), max(r.Files.MaxCardErr, r.Kafka.MaxCardErr), r.Files.FIChecked+r.Kafka.FIChecked,
		r.Failures, code, produceDur.Round(time.Second), consumeDur.Round(time.Second), drain.Round(time.Millisecond), checkDur.Round(time.Second))
	if r.TopicRepeated != 0 {
		t.Errorf("the profile topic repeats %d keys (of %d records); without failures every profile is published once", r.TopicRepeated, r.TopicRecords)
	}
	if r.Failures != 0 {
		t.Fatalf("whylogs comparison: %d failures, first: %v", r.Failures, r.FirstFailures)
	}
	for _, s := range []*checkSource{r.Files, r.Kafka} {
		if s.Groups != len(st.Groups) || s.Rows != events || s.Profiles != files {
			t.Errorf("source: groups %d rows %d profiles %d, want %d %d %d", s.Groups, s.Rows, s.Profiles, len(st.Groups), events, files)
		}
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
