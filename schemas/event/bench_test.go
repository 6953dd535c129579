package event

import (
	"context"
	"encoding/json"
	"testing"
)

// cpuMeter reports process CPU ns per op ("cpu-ns/op") and events per CPU
// second ("events/cpu-s"); call start after setup, stop after the loop.
type cpuMeter struct {
	b  *testing.B
	t0 int64
	ok bool
}

func startCPU(b *testing.B) cpuMeter {
	d, ok := processCPU()
	return cpuMeter{b: b, t0: int64(d), ok: ok}
}

func (m cpuMeter) stop() {
	d, ok := processCPU()
	if !ok || !m.ok || m.b.N == 0 {
		return
	}
	ns := float64(int64(d)-m.t0) / float64(m.b.N)
	m.b.ReportMetric(ns, "cpu-ns/op")
	if ns > 0 {
		m.b.ReportMetric(1e9/ns, "events/cpu-s")
	}
}

// benchJSON is the 12-field order event (the JSON twin of order_flat.avsc).
const benchJSON = `{"event_id":"2QXkM1b6nE3y0pAhZ7rT9sLwVd4","ts":1764142800123,"country":"DE","device":"mobile",` +
	`"price":19.99,"quantity":2,"discount":null,"coupon":"SPRING","is_gift":false,` +
	`"comment":"please ring twice","customer_id":123456,"customer_segment":"gold"}`

func BenchmarkJSONDecode(b *testing.B) {
	d, _ := NewJSONDecoder(JSONOptions{EventTimeField: "ts"})
	data := []byte(benchJSON)
	v := &nop{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		if _, err := d.Decode(data, v); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
	if v.n != 12*b.N {
		b.Fatalf("%d fields for %d events", v.n, b.N)
	}
}

func BenchmarkJSONDecodeRecordBuffer(b *testing.B) {
	d, _ := NewJSONDecoder(JSONOptions{EventTimeField: "ts"})
	data := []byte(benchJSON)
	var r Record
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		r.Reset()
		if _, err := d.Decode(data, &r); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

func BenchmarkJSONStdlibMap(b *testing.B) {
	data := []byte(benchJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

func benchAvroPayload(b *testing.B) []byte {
	return encode(b, OrderFlatSchema, flatOrder())
}

func BenchmarkAvroDecode(b *testing.B) {
	src, _ := NewFixedSchema(OrderFlatSchema)
	d, _ := NewAvroDecoder(src, AvroOptions{EventTimeField: "ts"})
	data := benchAvroPayload(b)
	v := &nop{}
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		if _, err := d.Decode(ctx, data, v); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
	if v.n != 12*b.N {
		b.Fatalf("%d fields for %d events", v.n, b.N)
	}
}

// staticRegistry resolves wire-format values like Registry after its cache
// is warm (header parse + id check), without a server.
type staticRegistry struct{ s *AvroSchema }

func (r staticRegistry) Resolve(_ context.Context, v []byte) (*AvroSchema, int, error) {
	id, err := ParseWireHeader(v)
	if err != nil {
		return nil, 0, err
	}
	if id != 1 {
		return nil, 0, unknownID(id, "unknown", nil)
	}
	return r.s, WireHeaderSize, nil
}

func BenchmarkAvroDecodeWire(b *testing.B) {
	s := mustSchema(b, OrderFlatSchema)
	d, _ := NewAvroDecoder(staticRegistry{s}, AvroOptions{EventTimeField: "ts"})
	data := wire(1, benchAvroPayload(b))
	v := &nop{}
	ctx := context.Background()
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

func BenchmarkAvroGoavroNative(b *testing.B) {
	s := mustSchema(b, OrderFlatSchema)
	data := benchAvroPayload(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		if _, _, err := s.Codec().NativeFromBinary(data); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

func BenchmarkParseEventTimeRFC3339(b *testing.B) {
	raw := RawTime{Field: "ts", Kind: TimeString, Str: []byte("2026-11-26T07:40:00.123+01:00")}
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		if _, err := ParseEventTime(raw, TimeAuto); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

// benchNestedJSON is the full order event: nested customer/address, an array
// of line items and a map of attributes (17 reported columns).
const benchNestedJSON = `{"event_id":"2QXkM1b6nE3y0pAhZ7rT9sLwVd4","ts":"2026-11-26T07:40:00.123Z","country":"DE",` +
	`"device":"mobile","price":19.99,"quantity":2,"discount":null,"coupon":"SPRING","is_gift":false,"express":true,` +
	`"comment":"Bitte zweimal klingeln \u2013 danke!","customer":{"id":123456,"segment":"gold","age":41,` +
	`"address":{"city":"München","zip":"80331"}},"items":[{"sku":"A-1","unit_price":9.99},{"sku":"B-2","unit_price":10.0}],` +
	`"attributes":{"campaign":"bf"}}`

func BenchmarkJSONDecodeNested(b *testing.B) {
	d, _ := NewJSONDecoder(JSONOptions{EventTimeField: "ts"})
	data := []byte(benchNestedJSON)
	v := &nop{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		if _, err := d.Decode(data, v); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}

func BenchmarkJSONStdlibMapNested(b *testing.B) {
	data := []byte(benchNestedJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m := startCPU(b)
	for b.Loop() {
		var x map[string]any
		if err := json.Unmarshal(data, &x); err != nil {
			b.Fatal(err)
		}
	}
	m.stop()
}
