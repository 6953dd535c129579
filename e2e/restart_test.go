//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestBrokerRestartKeepsData exercises the broker-restart machinery later scenarios build
// on (broker.sh stop-node / start-node on E2E_KAFKA_DIR): records acknowledged before a
// SIGTERM stop are all there after the restart on the same port, and the topic takes new
// writes again.
func TestBrokerRestartKeepsData(t *testing.T) {
	const n = 1000
	bootstrap := envOrFail(t, "E2E_KAFKA_BOOTSTRAP")
	dir := envOrFail(t, "E2E_KAFKA_DIR")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	topic := uniqueName("restart")
	adm := kadm.NewClient(newClient(t, bootstrap))
	createTopic(t, ctx, adm, topic, 2, 1)

	produce := func(from, to int) {
		t.Helper()
		cl := newClient(t, bootstrap, kgo.DefaultProduceTopic(topic))
		rs := make([]*kgo.Record, 0, to-from)
		for i := from; i < to; i++ {
			rs = append(rs, &kgo.Record{Key: smokeKey(i), Value: smokeValue(i)})
		}
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatalf("produce %d..%d: %v", from, to, err)
		}
		cl.Close()
	}
	produce(0, n)

	start := time.Now()
	brokerCtl(t, ctx, "stop-node", "1", "-d", dir)
	down := time.Since(start)
	brokerCtl(t, ctx, "start-node", "1", "-d", dir)
	restart := time.Since(start)

	produce(n, 2*n)
	cons := newClient(t, bootstrap,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	recs := consumeN(t, ctx, cons, 2*n, time.Second)
	seen := map[string]int{}
	bad := 0
	for _, r := range recs {
		seen[string(r.Key)]++
		var i int
		if _, err := fmt.Sscanf(string(r.Key), "key-%d", &i); err != nil || string(r.Value) != string(smokeValue(i)) {
			bad++
		}
	}
	fmt.Printf("broker-restart: before=%d after=%d consumed=%d distinct=%d bad_values=%d stop=%s stop+start=%s\n",
		n, n, len(recs), len(seen), bad, down.Round(time.Millisecond), restart.Round(time.Millisecond))
	if len(recs) != 2*n || len(seen) != 2*n || bad != 0 {
		t.Fatalf("after restart: consumed %d (%d distinct, %d bad), want %d", len(recs), len(seen), bad, 2*n)
	}
}
