package event

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// BenchmarkAvroDecodeRecord is the pipeline's use of the decoder: decode the
// 12-field event into a reused Record, then replay it.
func BenchmarkAvroDecodeRecord(b *testing.B) {
	src, _ := NewFixedSchema(OrderFlatSchema)
	d, _ := NewAvroDecoder(src, AvroOptions{EventTimeField: "ts"})
	data := benchAvroPayload(b)
	var r Record
	v := &nop{}
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		r.Reset()
		if _, err := d.Decode(ctx, data, &r); err != nil {
			b.Fatal(err)
		}
		r.Replay(v)
	}
	m.stop()
	if v.n != 12*b.N {
		b.Fatalf("%d fields for %d events", v.n, b.N)
	}
}

// BenchmarkRecordAppendReplay is the Record alone: 12 appends of the
// benchmark event's kinds, a LastIndex lookup, and a replay.
func BenchmarkRecordAppendReplay(b *testing.B) {
	cols := []string{"event_id", "ts", "country", "device", "price", "quantity", "discount",
		"coupon", "is_gift", "comment", "customer_id", "customer_segment"}
	id, de, mob := []byte("2QXkM1b6nE3y0pAhZ7rT9sLwVd4"), []byte("DE"), []byte("mobile")
	var r Record
	v := &nop{}
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		r.Reset()
		r.String(cols[0], id)
		r.Int(cols[1], 1764142800123)
		r.String(cols[2], de)
		r.String(cols[3], mob)
		r.Float(cols[4], 19.99)
		r.Int(cols[5], 2)
		r.Null(cols[6])
		r.String(cols[7], de)
		r.Bool(cols[8], false)
		r.String(cols[9], mob)
		r.Int(cols[10], 123456)
		r.String(cols[11], de)
		if r.LastIndex("country") != 2 {
			b.Fatal("lookup")
		}
		r.Replay(v)
	}
	m.stop()
}

// BenchmarkAvroDecodeRegistry decodes wire-format values through a warm
// Registry (the production path for the Confluent wire format).
func BenchmarkAvroDecodeRegistry(b *testing.B) {
	fake := srfake.NewRegistry()
	fake.SeedSchema("orders-value", 1, 42, sr.Schema{Schema: OrderFlatSchema})
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	cl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	reg, _ := NewRegistry(cl, RegistryOptions{})
	d, _ := NewAvroDecoder(reg, AvroOptions{EventTimeField: "ts"})
	data := wire(42, benchAvroPayload(b))
	v := &nop{}
	ctx := context.Background()
	if _, err := d.Decode(ctx, data, v); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		if _, err := d.Decode(ctx, data, v); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

// BenchmarkRecordIterate replays a buffered 12-field record with the
// accessors (a switch on KindAt, no Visitor interface call), for comparison
// with Replay in BenchmarkRecordReplay.
func BenchmarkRecordIterate(b *testing.B) {
	r := benchRecord(b)
	var n, sum int
	m := startCPU(b)
	for b.Loop() {
		for i := range r.Len() {
			switch r.KindAt(i) {
			case IntValue:
				sum += int(r.IntAt(i))
			case FloatValue:
				sum += int(r.FloatAt(i))
			case StringValue:
				sum += len(r.BytesAt(i))
			case BoolValue:
				if r.BoolAt(i) {
					sum++
				}
			}
			sum += len(r.ColAt(i))
			n++
		}
	}
	m.stop()
	if n != 12*b.N || sum == 0 {
		b.Fatal(n, sum)
	}
}

func BenchmarkRecordReplay(b *testing.B) {
	r := benchRecord(b)
	v := &nop{}
	m := startCPU(b)
	for b.Loop() {
		r.Replay(v)
	}
	m.stop()
}

func benchRecord(b *testing.B) *Record {
	src, _ := NewFixedSchema(OrderFlatSchema)
	d, _ := NewAvroDecoder(src, AvroOptions{EventTimeField: "ts"})
	r := &Record{}
	if _, err := d.Decode(context.Background(), benchAvroPayload(b), r); err != nil {
		b.Fatal(err)
	}
	return r
}
