package main

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// plainCluster starts a kfake cluster on 127.0.0.1 with the given topics
// (partitions each) and returns it with client options for it.
func plainCluster(t *testing.T, partitions int32, topics ...string) (*kfake.Cluster, []kgo.Opt) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}
}

// runToEnd runs consumer run (group, the kafka settings in extra, a kafka
// sink to the new topic "profiles-<group>") until every partition of
// "numbers" processed the records before want[p] (during, when set, runs
// first and may replace want), stops it with SIGTERM, checks that the group
// committed want, and returns what the published profiles cover per
// partition.
func runToEnd(t *testing.T, c *kfake.Cluster, opts []kgo.Opt, group, extra string, want map[int32]int64, during func(*running) map[int32]int64) map[int32]span {
	t.Helper()
	out := "profiles-" + group
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), 1, 1, nil, out)
	cl.Close()
	if err != nil || resp.Err != nil {
		t.Fatalf("creating %s: %v %v", out, err, resp.Err)
	}
	r := startServe(t, loadYAML(t, runYAML(c.ListenAddrs(), group, "numbers", out, extra)))
	if r.cons == nil {
		t.Fatalf("exit %d before starting; logs:\n%s", <-r.code, r.logs)
	}
	if during != nil {
		if w := during(r); w != nil {
			want = w
		}
	}
	r.waitNext(t, "numbers", want)
	if code := r.exit(t, sigterm); code != 0 {
		t.Fatalf("exit code %d; logs:\n%s", code, r.logs)
	}
	if got := committed(t, group, "numbers", opts...); len(got) != len(want) {
		t.Errorf("committed %v, want %v", got, want)
	} else {
		for p, n := range want {
			if got[p] != n {
				t.Errorf("partition %d: committed %d, want %d", p, got[p], n)
			}
		}
	}
	return spans(t, readProfiles(t, out, opts...), "numbers")
}

func checkSpan(t *testing.T, sp map[int32]span, p int32, first, last int64) {
	t.Helper()
	s, ok := sp[p]
	switch {
	case first > last && ok:
		t.Errorf("partition %d: profiled offsets %d..%d, want nothing", p, s.first, s.last)
	case first <= last && (!ok || s.first != first || s.last != last || s.n != last-first+1):
		t.Errorf("partition %d: profiled %+v, want offsets %d..%d", p, s, first, last)
	}
}

// start_from: a time T starts each partition of a new group at the first
// offset whose record timestamp is ≥ T (an equal timestamp included; later
// records with smaller timestamps are then read too: it is a start offset,
// not a filter), and at the log end on a partition with no such record.
func TestStartFromTimestamp(t *testing.T) {
	c, opts := plainCluster(t, 3, "numbers", "profiles")
	T := genStart.Add(40 * time.Second)
	ts := func(p int32, i int) time.Time {
		switch p {
		case 0: // increasing by 2s: record 20 has exactly T
			return genStart.Add(time.Duration(2*i) * time.Second)
		case 1: // increasing by 1s except record 3, stamped after T
			if i == 3 {
				return T.Add(100 * time.Second)
			}
			return genStart.Add(time.Duration(i) * time.Second)
		}
		return T.Add(-time.Hour + time.Duration(i)*time.Second) // all before T
	}
	// The expected start offsets, computed from the timestamps.
	firstAtOrAfter := func(p int32, n int) int64 {
		for i := range n {
			if !ts(p, i).Before(T) {
				return int64(i)
			}
		}
		return int64(n)
	}
	pr := producer(t, opts...)
	produceNumbered(t, pr, "numbers", 3, 30, ts)
	want0, want1, want2 := firstAtOrAfter(0, 30), firstAtOrAfter(1, 30), firstAtOrAfter(2, 30)
	if want0 != 20 || want1 != 3 || want2 != 30 {
		t.Fatalf("test timestamps: first offsets %d %d %d", want0, want1, want2)
	}
	sp := runToEnd(t, c, opts, "ts", "  start_from: "+T.Format(time.RFC3339), map[int32]int64{0: 30, 1: 30, 2: 35}, func(*running) map[int32]int64 {
		// Partition 2 had no record at or after T: it starts at the end and
		// reads only these (stamped after T, so wherever the consumer is
		// when they arrive, they are the first records at or after T).
		var recs []*kgo.Record
		for i := range 5 {
			recs = append(recs, &kgo.Record{Topic: "numbers", Partition: 2, Timestamp: T.Add(time.Duration(i) * time.Second), Value: []byte(`{"i": 1}`)})
		}
		if err := pr.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		return nil
	})
	checkSpan(t, sp, 0, 20, 29)
	checkSpan(t, sp, 1, 3, 29)
	checkSpan(t, sp, 2, 30, 34)

	// The same start as epoch milliseconds.
	sp = runToEnd(t, c, opts, "ts-ms", "  start_from: \""+strconv.FormatInt(T.UnixMilli(), 10)+"\"", map[int32]int64{0: 30, 1: 30, 2: 35}, nil)
	checkSpan(t, sp, 0, 20, 29)
	checkSpan(t, sp, 1, 3, 29)
	checkSpan(t, sp, 2, 30, 34)
}

// start_from: earliest reads the records already in the log; latest skips
// them and reads only what arrives after the group started.
func TestStartFromEarliestLatest(t *testing.T) {
	c, opts := plainCluster(t, 2, "numbers", "profiles")
	pr := producer(t, opts...)
	stamp := func(_ int32, i int) time.Time { return genStart.Add(time.Duration(i) * time.Second) }
	produceNumbered(t, pr, "numbers", 2, 20, stamp)

	sp := runToEnd(t, c, opts, "earliest", "  start_from: earliest", map[int32]int64{0: 20, 1: 20}, nil)
	checkSpan(t, sp, 0, 0, 19)
	checkSpan(t, sp, 1, 0, 19)

	// latest: keep adding one record per partition until the consumer has
	// read a new record on each, so the test does not depend on when the
	// consumer looked up the log end.
	var end int64 = 20
	sp = runToEnd(t, c, opts, "latest", "  start_from: latest", nil, func(r *running) map[int32]int64 {
		deadline := time.Now().Add(60 * time.Second)
		for {
			produceNumbered(t, pr, "numbers", 2, 1, func(int32, int) time.Time { return genStart.Add(time.Minute) })
			end++
			read := 0
			for _, s := range r.cons.Stats() {
				if s.Next > 20 {
					read++
				}
			}
			if read == 2 {
				return map[int32]int64{0: end, 1: end}
			}
			if time.Now().After(deadline) {
				t.Fatalf("latest: no new record read: %+v", r.cons.Stats())
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	for p := range int32(2) {
		if s := sp[p]; s.first < 20 || s.last != end-1 {
			t.Errorf("latest, partition %d: profiled %+v, want a tail of offsets 20..%d", p, s, end-1)
		}
	}
}

// A committed offset wins over start_from whatever it says, and a committed
// offset that fell below the log start (retention deleted records the
// group never read) resumes at the log start, never at the end: no record
// that still exists is skipped, even with start_from: latest.
func TestStartFromCommittedWins(t *testing.T) {
	for _, tc := range []struct{ name, start string }{
		{"earliest", "earliest"}, {"latest", "latest"}, {"timestamp", genStart.Add(15 * time.Second).Format(time.RFC3339)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, opts := plainCluster(t, 2, "numbers", "profiles")
			produceNumbered(t, producer(t, opts...), "numbers", 2, 20, func(_ int32, i int) time.Time {
				return genStart.Add(time.Duration(i) * time.Second)
			})
			cl, err := kgo.NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			adm := kadm.NewClient(cl)
			ctx := context.Background()
			group := "committed-" + tc.name
			var offs kadm.Offsets
			offs.AddOffset("numbers", 0, 7, -1)
			offs.AddOffset("numbers", 1, 2, -1)
			if resp, err := adm.CommitOffsets(ctx, group, offs); err != nil || resp.Error() != nil {
				t.Fatalf("commit: %v %v", err, resp.Error())
			}
			// Partition 1 loses offsets 0..9: its commit (2) is now below
			// the log start.
			del := kadm.Offsets{}
			del.AddOffset("numbers", 1, 10, -1)
			if resp, err := adm.DeleteRecords(ctx, del); err != nil || resp.Error() != nil {
				t.Fatalf("delete records: %v %v", err, resp.Error())
			}
			sp := runToEnd(t, c, opts, group, "  start_from: \""+tc.start+"\"", map[int32]int64{0: 20, 1: 20}, nil)
			checkSpan(t, sp, 0, 7, 19)
			checkSpan(t, sp, 1, 10, 19)
		})
	}
}
