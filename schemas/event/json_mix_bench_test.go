package event

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// mixRecords returns n 12-field order events as the pipeline's benchmarks
// produce them (encoding/json of a map: keys sorted; an RFC 3339 time
// string, prices with up to 17 significant digits, optional coupon).
func mixRecords(n int) [][]byte {
	base := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	out := make([][]byte, n)
	for i := range out {
		var coupon any
		if i%5 == 0 {
			coupon = "SAVE10"
		}
		m := map[string]any{
			"event_id": fmt.Sprintf("ord-%08d", i), "ts": base.Add(time.Duration(i) * 5 * time.Millisecond).Format(time.RFC3339Nano),
			"country": []string{"US", "DE", "FR", "GB"}[i%4], "device": []string{"desktop", "mobile", "tablet", "tv"}[i%4],
			"price": 3.5 + float64(i%997)/7, "quantity": int32(1 + i%4), "discount": nil, "coupon": coupon,
			"is_gift": i%9 == 0, "comment": nil, "customer_id": int64(1000 + i%50000), "customer_segment": "gold",
		}
		out[i], _ = json.Marshal(m)
	}
	return out
}

// BenchmarkJSONDecodeRecordMix decodes the pipeline benchmark's events
// (1,000 different ones in turn) into a Record and parses the event time.
func BenchmarkJSONDecodeRecordMix(b *testing.B) {
	d, _ := NewJSONDecoder(JSONOptions{EventTimeField: "ts"})
	recs := mixRecords(1000)
	var r Record
	b.ReportAllocs()
	m := startCPU(b)
	i := 0
	for b.Loop() {
		r.Reset()
		raw, err := d.Decode(recs[i], &r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseEventTime(raw, TimeAuto); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(recs) {
			i = 0
		}
	}
	m.stop()
}
