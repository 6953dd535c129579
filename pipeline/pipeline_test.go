package pipeline

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestEndToEndMultiPartition(t *testing.T) {
	addrs := newCluster(t, 4, "orders")
	pcl := producer(t, append(addrs[:0:0], addrs...))
	_ = pcl
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), manualPartitioner())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var rs []*kgo.Record
	valid, bad := 0, 0
	countries := []string{"DE", "FR", "US"}
	for i := range 800 {
		p := partitionOf(i, 4)
		ts := base.Add(time.Duration(i) * 700 * time.Millisecond) // ~9 minutes of event time
		v := orderJSON(i, ts, countries[i%3])
		switch {
		case i%50 == 7:
			v = []byte("garbage{")
			bad++
		case i%50 == 19:
			v = []byte(`[1,2,3]`)
			bad++
		default:
			valid++
		}
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: p, Value: v})
	}
	ends := produce(t, cl, rs)
	pub := NewMemoryPublisher()
	r := start(t, testConfig(addrs, "g1", pub, jsonDataset("orders", time.Minute, 5*time.Second)))
	waitProcessed(t, ends, r)
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ps := pub.Profiles()
	if got := countN(t, ps, "event_id"); got != int64(valid) {
		t.Errorf("counts/n of event_id over all profiles = %d, want %d valid records", got, valid)
	}
	com := committed(t, addrs, "g1", "orders")
	for p, e := range ends {
		if com[p] != e {
			t.Errorf("partition %d committed %d, want end offset %d", p, com[p], e)
		}
	}
	var closed, flushed int
	for _, p := range ps {
		switch p.Kind.String() {
		case "closed":
			closed++
		case "flushed":
			flushed++
		}
	}
	if closed == 0 || flushed == 0 {
		t.Errorf("want closed windows and flushed partials, got closed=%d flushed=%d", closed, flushed)
	}
	m := r.c.Metrics()
	if got := testutilCounter(m.DecodeErrors); got != float64(bad) {
		t.Errorf("decode errors = %v, want %d", got, bad)
	}
}
