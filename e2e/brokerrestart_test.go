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

// TestConsumerBrokerRestart is scenario 5. While the external producer writes 40,000
// events at 1,000/s and `consumer run` profiles them (file sink and Kafka sink topic), the
// single-node cluster's broker is stopped (SIGTERM, broker.sh stop-node) once the group
// has committed something, kept down for 20 s, and started again on the same port and
// data. Asserted: the producer's every record is acknowledged; the consumer keeps running
// through the outage, its committed offsets reach the end offsets, it exits 0 on SIGTERM;
// and nothing is lost: the merged profiles of both sinks hold exactly the produced records
// and match their exact statistics (check_profiles.py, as in TestInterop). Profiles
// republished after the outage repeat their key in the topic (at-least-once) and are
// counted once, as a compacted topic keeps them; the files are overwritten in place.
func TestConsumerBrokerRestart(t *testing.T) {
	const (
		events     = 40000
		partitions = 4
		rate       = 1000
		checkpoint = 2000 // divides events/partitions
		downFor    = 20 * time.Second
	)
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	kdir := envOrFail(t, "E2E_KAFKA_DIR")
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	topic, profTopic, group := uniqueName("restart-events"), uniqueName("restart-profiles"), uniqueName("restart-group")
	adm := kadm.NewClient(newClient(t, bootstrap))
	createTopic(t, ctx, adm, topic, partitions, 1)
	createTopic(t, ctx, adm, profTopic, 2, 1)
	dir := t.TempDir()
	stats := filepath.Join(dir, "stats.json")
	out := filepath.Join(dir, "profiles")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	p := startConsumer(t, "restart", consumerYAML(bootstrap, group, topic, out, profTopic, "", checkpoint))
	prod := startPython(t, "produce_events.py", "--bootstrap", bootstrap, "--topic", topic,
		"--partitions", strconv.Itoa(partitions), "--count", strconv.Itoa(events), "--stats", stats,
		"--seed", "5", "--rate", strconv.Itoa(rate))

	// Mid-run: the consumer has committed profiles and the producer is still writing.
	var before int64
	deadline := time.Now().Add(3 * time.Minute)
	for {
		_, c, err := groupLag(ctx, adm, group, topic)
		if err == nil && c > 0 {
			before = c
			break
		}
		if !p.running() || !prod.running() || time.Now().After(deadline) {
			t.Fatalf("no commit before the restart (consumer running %v, producer running %v, committed %d, err %v)", p.running(), prod.running(), c, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	producing := prod.running()
	t0 := time.Now()
	brokerCtl(t, ctx, "stop-node", "1", "-d", kdir)
	stopped := time.Since(t0)
	time.Sleep(downFor)
	aliveDown := p.running()
	t1 := time.Now()
	brokerCtl(t, ctx, "start-node", "1", "-d", kdir)
	restart := time.Since(t1)
	outage := time.Since(t0)

	res := prod.wait(t, 6*time.Minute)
	if !strings.Contains(res, fmt.Sprintf("acked=%d errors=0", events)) {
		t.Fatalf("producer did not report %d acked records:\n%s", events, res)
	}
	st := readStats(t, stats)
	consumeDur := waitCommitted(t, ctx, adm, group, topic, events, 5*time.Minute, p)
	code, drain := p.terminate(90 * time.Second)
	end, committed, err := groupLag(ctx, adm, group, topic)
	if err != nil {
		t.Fatal(err)
	}

	files := countFiles(t, out)
	tdir := filepath.Join(dir, "topic")
	runPython(t, ctx, "consume_topic.py", "--bootstrap", bootstrap, "--topic", profTopic,
		"--count", strconv.Itoa(files), "--out", tdir, "--grace", "3")
	r := checkProfiles(t, ctx, "--stats", stats, "--dir", out, "--kafka", tdir)

	fmt.Printf("broker-restart-consumer: produced=%d acked=%d committed_before_stop=%d producing_at_stop=%v down=%s (stop %s, start %s) "+
		"alive_while_down=%v merged_rows_files=%d merged_rows_topic=%d profiles=%d topic_records=%d repeated_keys=%d committed=%d/%d exit=%d "+
		"failures=%d caught_up_after_restart=%s drain=%s\n",
		events, events, before, producing, outage.Round(time.Second), stopped.Round(time.Millisecond), restart.Round(time.Millisecond),
		aliveDown, r.Files.Rows, r.Kafka.Rows, files, r.TopicRecords, r.TopicRepeated, committed, end, code,
		r.Failures, consumeDur.Round(time.Second), drain.Round(time.Millisecond))
	if !producing {
		t.Errorf("the producer had finished before the broker stopped: not mid-run")
	}
	if !aliveDown {
		t.Errorf("the consumer exited while the broker was down")
	}
	if code != 0 {
		t.Errorf("consumer exit code %d after SIGTERM, want 0", code)
	}
	if committed != end || end != events {
		t.Errorf("committed %d, end %d, want %d", committed, end, events)
	}
	if r.Failures != 0 || r.Files.Rows != events || r.Kafka.Rows != events || r.Files.Groups != len(st.Groups) || r.Kafka.Groups != len(st.Groups) {
		t.Errorf("profiles: rows files %d topic %d (want %d), groups %d %d (want %d), failures %d: %v",
			r.Files.Rows, r.Kafka.Rows, events, r.Files.Groups, r.Kafka.Groups, len(st.Groups), r.Failures, r.FirstFailures)
	}
}
