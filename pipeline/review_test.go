package pipeline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/sink"
)

// In exactly-once mode with a blob sink next to the transactional Kafka
// sink, the journal is pruned at the barriers once the transactions
// committed, as in at-least-once mode (the transactional wrapper must
// forward Prune as it forwards Reconcile); otherwise a long run leaves one
// journal entry per barrier and partition behind.
func TestExactlyOnceBlobJournalPruned(t *testing.T) {
	_, addrs := newEOSCluster(t, 1)
	ends := produce(t, manualClient(t, addrs), jsonRecords(0, 1000, 1, time.Second))
	b, err := sink.OpenBlob(context.Background(), "file://"+filepath.ToSlash(t.TempDir()), sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg := eosConfig(addrs, "g", "kp-prune", time.Hour, nil, jsonDataset("orders", time.Minute, 0))
	cfg.CheckpointEveryRecords = 100
	cfg.PollRecords = 100 // one barrier per checkpoint boundary
	cfg.Transactional.Publisher = func(cl *kgo.Client) (Publisher, error) {
		k, err := sink.NewKafkaTxn(cl, "profiles", sink.KafkaOptions{})
		if err != nil {
			return nil, err
		}
		m, err := sink.NewMulti(k, b)
		if err != nil {
			return nil, err
		}
		return SinkPublisher(m, "test"), nil
	}
	r := start(t, cfg)
	waitProcessed(t, ends, r)
	waitCommitted(t, addrs, "g", ends)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	commits := txnCount(r.c.Metrics(), txnCommitted, reasonRecords)
	if commits < 5 {
		t.Fatalf("%v transactions committed at record boundaries, want about 10", commits)
	}
	entries, err := b.Journal(context.Background(), "orders", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 4 {
		t.Errorf("%d journal entries left after %v committed transactions, want the old ones pruned", len(entries), commits)
	}
	for _, e := range entries {
		if e.LastOffset < 500 {
			t.Errorf("entry [%d,%d] left although transactions committed up to offset 1000", e.FirstOffset, e.LastOffset)
		}
	}
	if _, n := visible(t, addrs); n != 1000 {
		t.Errorf("visible counts/n = %d, want 1000", n)
	}
}
