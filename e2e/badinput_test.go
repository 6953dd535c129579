//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestBadInput is scenario 4. The external producer writes 40,000 records of which 1%
// (chosen by the seed) are malformed: binary garbage, JSON that is not an object (array,
// number, string, null) and truncated JSON. `consumer run` with a dead-letter topic
// profiles the rest. Asserted: the merged profiles hold exactly the valid records (and
// match their exact statistics, as in TestInterop); the dead-letter topic holds every bad
// record exactly once, with its key and headers naming the error and the source topic,
// partition and offset (compared with the producer's delivery reports); the consumer is
// still running at the end and exits 0 on SIGTERM.
func TestBadInput(t *testing.T) {
	const (
		events     = 40000
		partitions = 4
		checkpoint = 2000 // divides events/partitions
	)
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	topic, dlq, group := uniqueName("bad-events"), uniqueName("bad-dlq"), uniqueName("bad-group")
	adm := kadm.NewClient(newClient(t, bootstrap))
	createTopic(t, ctx, adm, topic, partitions, 1)
	createTopic(t, ctx, adm, dlq, 2, 1)
	dir := t.TempDir()
	stats := filepath.Join(dir, "stats.json")
	out := filepath.Join(dir, "profiles")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	res := runPython(t, ctx, "produce_events.py", "--bootstrap", bootstrap, "--topic", topic,
		"--partitions", strconv.Itoa(partitions), "--count", strconv.Itoa(events), "--stats", stats,
		"--seed", "4", "--bad-ratio", "0.01")
	if !strings.Contains(res, fmt.Sprintf("acked=%d errors=0", events)) {
		t.Fatalf("producer did not report %d acked records:\n%s", events, res)
	}
	st := readStats(t, stats)
	if st.Bad == 0 || st.Bad+st.Valid != events || len(st.BadRecords) != st.Bad {
		t.Fatalf("stats: valid %d bad %d bad_records %d", st.Valid, st.Bad, len(st.BadRecords))
	}
	kinds := map[string]int{}
	type pos struct {
		p int32
		o int64
	}
	badAt := map[pos]string{}
	for _, b := range st.BadRecords {
		kinds[b.Kind]++
		badAt[pos{b.Partition, b.Offset}] = b.Kind
	}

	p := startConsumer(t, "badinput", consumerYAML(bootstrap, group, topic, out, "", dlq, checkpoint))
	consumeDur := waitCommitted(t, ctx, adm, group, topic, events, 5*time.Minute, p)

	// The dead-letter topic: every bad record once, with its headers.
	cons := newClient(t, bootstrap,
		kgo.ConsumeTopics(dlq),
		kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	recs := consumeN(t, ctx, cons, st.Bad, 2*time.Second)
	alive := p.running()
	seen := map[pos]int{}
	badHeaders := 0
	errsByKind := map[string]map[string]bool{}
	for _, r := range recs {
		h := map[string]string{}
		for _, rh := range r.Headers {
			h[rh.Key] = string(rh.Value)
		}
		part, perr := strconv.ParseInt(h["dlq_source_partition"], 10, 32)
		off, oerr := strconv.ParseInt(h["dlq_source_offset"], 10, 64)
		at := pos{int32(part), off}
		kind, isBad := badAt[at]
		ok := perr == nil && oerr == nil && isBad && h["dlq_source_topic"] == topic &&
			strings.HasPrefix(string(r.Key), "bad-") && strings.Contains(h["dlq_error"], "dataset e2e") && strings.Contains(h["dlq_error"], "malformed") &&
			h["dlq_source_timestamp_ms"] != ""
		if !ok {
			badHeaders++
			if badHeaders <= 5 {
				t.Errorf("dead letter %d@%d: key %q headers %v (not one of the producer's bad records with full headers)", r.Partition, r.Offset, r.Key, h)
			}
			continue
		}
		seen[at]++
		if errsByKind[kind] == nil {
			errsByKind[kind] = map[string]bool{}
		}
		errsByKind[kind][h["dlq_error"]] = true
	}
	missing, dups := 0, 0
	for at := range badAt {
		switch c := seen[at]; {
		case c == 0:
			missing++
		case c > 1:
			dups += c - 1
		}
	}

	code, drain := p.terminate(90 * time.Second)
	end, committed, err := groupLag(ctx, adm, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	r := checkProfiles(t, ctx, "--stats", stats, "--dir", out)

	var kindList []string
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		kindList = append(kindList, fmt.Sprintf("%s:%d", k, kinds[k]))
	}
	fmt.Printf("bad-input: produced=%d valid=%d bad=%d kinds=[%s] merged_rows=%d dead_letters=%d missing=%d duplicates=%d bad_headers=%d "+
		"committed=%d/%d alive_at_end=%v exit=%d profiles=%d failures=%d consume=%s drain=%s\n",
		events, st.Valid, st.Bad, strings.Join(kindList, " "), r.Files.Rows, len(recs), missing, dups, badHeaders,
		committed, end, alive, code, r.Files.Profiles, r.Failures, consumeDur.Round(time.Second), drain.Round(time.Millisecond))
	for _, k := range slices.Sorted(maps.Keys(errsByKind)) {
		fmt.Printf("bad-input: dlq_error for %s: %q\n", k, slices.Sorted(maps.Keys(errsByKind[k]))[0])
	}
	if !alive {
		t.Errorf("consumer was not running after the bad records were dead-lettered")
	}
	if code != 0 {
		t.Errorf("consumer exit code %d after SIGTERM, want 0", code)
	}
	if len(recs) != st.Bad || missing != 0 || dups != 0 || badHeaders != 0 {
		t.Errorf("dead letters: %d records, %d missing, %d duplicated, %d with wrong headers; want exactly the %d bad records", len(recs), missing, dups, badHeaders, st.Bad)
	}
	if committed != end || end != events {
		t.Errorf("committed %d, end %d, want %d", committed, end, events)
	}
	if r.Failures != 0 || r.Files.Rows != st.Valid || r.Files.Groups != len(st.Groups) {
		t.Errorf("profiles: rows %d (want %d valid), groups %d (want %d), failures %d: %v", r.Files.Rows, st.Valid, r.Files.Groups, len(st.Groups), r.Failures, r.FirstFailures)
	}
}
