//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// TestScaleOut is scenario 3. Three `consumer run` processes share one group on a
// 6-partition topic while the external producer writes 60,000 events at 1,500/s. Once
// every partition is assigned and something is committed, one member is killed with
// SIGKILL, and a fourth joins. At the end the three survivors get SIGTERM and must exit 0.
//
// Delivery mode: at-least-once (exactly_once is not implemented yet). The pipeline's
// stated bound (pipeline/doc.go, "Duplicates"): after a lost member, the records after its
// partitions' last commit are replayed; replayed profiles carry the same identity (key),
// and with the same records in the same order from the same start also the same bytes,
// so they overwrite. Asserted here:
//   - the files (overwritten by key) and the profile topic read one record per key hold
//     exactly the produced records (merged counts/n, and the exact statistics);
//   - a reader that does NOT deduplicate the topic by key sees at most
//     bound = Σ over the killed member's partitions of (end offset − committed offset)
//     right after the kill extra rows (printed as duplicate_rows and bound).
func TestScaleOut(t *testing.T) {
	const (
		events     = 60000
		partitions = 6
		rate       = 1500
		checkpoint = 1000 // divides events/partitions
	)
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	topic, profTopic, group := uniqueName("scale-events"), uniqueName("scale-profiles"), uniqueName("scale-group")
	adm := kadm.NewClient(newClient(t, bootstrap))
	createTopic(t, ctx, adm, topic, partitions, 1)
	createTopic(t, ctx, adm, profTopic, 3, 1)
	dir := t.TempDir()
	stats := filepath.Join(dir, "stats.json")
	out := filepath.Join(dir, "profiles")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	base := consumerYAML(bootstrap, group, topic, out, profTopic, "", checkpoint)
	base = strings.Replace(base, "session_timeout: 30s", "session_timeout: 10s", 1)
	member := func(name string) *consumerProc {
		return startConsumer(t, name, strings.Replace(base, "client_id: kprofiler-e2e", "client_id: "+name, 1))
	}
	procs := map[string]*consumerProc{}
	for _, n := range []string{"c1", "c2", "c3"} {
		procs[n] = member(n)
	}
	prod := startPython(t, "produce_events.py", "--bootstrap", bootstrap, "--topic", topic,
		"--partitions", strconv.Itoa(partitions), "--count", strconv.Itoa(events), "--stats", stats,
		"--seed", "3", "--rate", strconv.Itoa(rate))

	// Wait for three members sharing all six partitions and a first commit.
	var owned map[string][]int32
	deadline := time.Now().Add(3 * time.Minute)
	for {
		owned = assignments(ctx, adm, group, topic)
		_, c, err := groupLag(ctx, adm, group, topic)
		total := 0
		for _, ps := range owned {
			total += len(ps)
		}
		if err == nil && c > 0 && len(owned) == 3 && total == partitions && len(owned["c2"]) > 0 {
			break
		}
		if time.Now().After(deadline) || !prod.running() {
			t.Fatalf("group never had 3 members on %d partitions with a commit while producing: owned %v committed %d err %v producer running %v",
				partitions, owned, c, err, prod.running())
		}
		time.Sleep(200 * time.Millisecond)
	}
	victim := owned["c2"]
	if err := procs["c2"].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-procs["c2"].done
	// The killed member's duplicate bound: what it may have published beyond its commits.
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	var bound int64
	for _, p := range victim {
		e, _ := ends.Lookup(topic, p)
		c, _ := offs.Lookup(topic, p)
		bound += e.Offset - max(c.At, 0)
	}
	killedAt := time.Now()
	time.Sleep(2 * time.Second)
	procs["c4"] = member("c4")

	res := prod.wait(t, 6*time.Minute)
	if !strings.Contains(res, fmt.Sprintf("acked=%d errors=0", events)) {
		t.Fatalf("producer did not report %d acked records:\n%s", events, res)
	}
	st := readStats(t, stats)
	live := []*consumerProc{procs["c1"], procs["c3"], procs["c4"]}
	waitCommitted(t, ctx, adm, group, topic, events, 5*time.Minute, live...)
	caughtUp := time.Since(killedAt)
	final := assignments(ctx, adm, group, topic)
	codes := []int{}
	for _, p := range live {
		code, _ := p.terminate(90 * time.Second)
		codes = append(codes, code)
	}

	files := countFiles(t, out)
	tdir := filepath.Join(dir, "topic")
	runPython(t, ctx, "consume_topic.py", "--bootstrap", bootstrap, "--topic", profTopic,
		"--count", strconv.Itoa(files), "--out", tdir, "--grace", "3")
	r := checkProfiles(t, ctx, "--stats", stats, "--dir", out, "--kafka", tdir)

	fmt.Printf("scale-out: produced=%d partitions=%d killed=c2 (partitions %v) joined=c4 final_owners=%v merged_rows_files=%d merged_rows_topic_by_key=%d "+
		"topic_records=%d repeated_keys=%d duplicate_rows=%d bound=%d exit_codes=%v failures=%d caught_up_after_kill=%s mode=at-least-once\n",
		events, partitions, victim, final, r.Files.Rows, r.Kafka.Rows, r.TopicRecords, r.TopicRepeated, r.TopicRepRows, bound, codes, r.Failures,
		caughtUp.Round(time.Second))
	for i, c := range codes {
		if c != 0 {
			t.Errorf("consumer %s exit code %d after SIGTERM, want 0", live[i].name, c)
		}
	}
	if r.Failures != 0 || r.Files.Rows != events || r.Kafka.Rows != events || r.Files.Groups != len(st.Groups) || r.Kafka.Groups != len(st.Groups) {
		t.Errorf("profiles: rows files %d topic (by key) %d, want %d; failures %d: %v", r.Files.Rows, r.Kafka.Rows, events, r.Failures, r.FirstFailures)
	}
	if int64(r.TopicRepRows) > bound {
		t.Errorf("the topic repeats %d rows, more than the at-least-once bound %d", r.TopicRepRows, bound)
	}
}

// assignments returns the group's members (by client id) and the partitions of topic each
// is assigned, sorted.
func assignments(ctx context.Context, adm *kadm.Client, group, topic string) map[string][]int32 {
	out := map[string][]int32{}
	ds, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return out
	}
	d, ok := ds[group]
	if !ok || d.Err != nil {
		return out
	}
	for _, m := range d.Members {
		ps := []int32{}
		if c, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range c.Topics {
				if t.Topic == topic {
					ps = append(ps, t.Partitions...)
				}
			}
		}
		slices.Sort(ps)
		out[m.ClientID] = ps
	}
	return out
}
