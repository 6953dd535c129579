package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/schemas/event"
)

const r3AvroSchema = `{"type":"record","name":"R","fields":[
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"country","type":["null","string","long","double","boolean"]},
 {"name":"device","type":["string","null"]},
 {"name":"price","type":"double"},
 {"name":"f","type":"float"},
 {"name":"qty","type":"int"},
 {"name":"big","type":"long"},
 {"name":"user","type":{"type":"record","name":"U","fields":[
   {"name":"id","type":"long"},{"name":"name","type":["null","string"]},
   {"name":"tier","type":{"type":"enum","name":"T","symbols":["GOLD","SILVER","BRONZE"]}},
   {"name":"addr","type":["null",{"type":"record","name":"A","fields":[{"name":"city","type":"string"},{"name":"zip","type":"int"}]}]}]}},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"attrs","type":{"type":"map","values":"long"}},
 {"name":"raw","type":"bytes"},
 {"name":"fx","type":{"type":"fixed","name":"F","size":3}},
 {"name":"s","type":"string"}]}`

func r3AvroNative(r *rand.Rand, i int, clock *time.Time) map[string]any {
	*clock = clock.Add(time.Duration(r.IntN(900)) * time.Millisecond)
	ts := clock.Add(-time.Duration(r.IntN(5000)) * time.Millisecond)
	var country any
	switch r.IntN(6) {
	case 0:
		country = nil
	case 1:
		country = goavro.Union("long", int64(r.IntN(3)))
	case 2:
		country = goavro.Union("double", []float64{1, 0.1, math.Copysign(0, -1), 1e300, math.Inf(1)}[r.IntN(5)])
	case 3:
		country = goavro.Union("boolean", r.IntN(2) == 0)
	default:
		country = goavro.Union("string", []string{"US", "DE", "a,b=c\\d", "Ünï", ""}[r.IntN(5)])
	}
	var device any = goavro.Union("string", []string{"tv", "mobile", strings.Repeat("x", 200)}[r.IntN(3)])
	if r.IntN(5) == 0 {
		device = nil
	}
	var name any
	if r.IntN(3) != 0 {
		name = goavro.Union("string", []string{"bob", "é漢字", strings.Repeat("long-", 30)}[r.IntN(3)])
	}
	var addr any
	if r.IntN(2) == 0 {
		addr = goavro.Union("A", map[string]any{"city": "Paris", "zip": int32(r.IntN(99999))})
	}
	big := []int64{math.MaxInt64, math.MinInt64, 1 << 53, -1, 0, 63, 64, -65, 1 << 35}[r.IntN(9)]
	tags := []any{}
	for range r.IntN(4) {
		tags = append(tags, fmt.Sprint("t", r.IntN(5)))
	}
	attrs := map[string]any{}
	if r.IntN(2) == 0 { // one key at most: Go map order would make the encoding vary
		attrs[fmt.Sprint("k", r.IntN(5))] = int64(r.IntN(1000))
	}
	return map[string]any{
		"ts": ts, "country": country, "device": device,
		"price": math.Float64frombits(r.Uint64()), "f": float32(r.NormFloat64()), "qty": int32(r.Int32()) - 1<<30,
		"big": big, "user": map[string]any{"id": int64(i), "name": name, "tier": []string{"GOLD", "SILVER", "BRONZE"}[r.IntN(3)], "addr": addr},
		"tags": tags, "attrs": attrs, "raw": []byte("xyz"), "fx": []byte("abc"), "s": string([]byte{byte('a' + r.IntN(3)), 0xff, 'z'}[:1+r.IntN(3)]),
	}
}

// TestOutputFingerprintAdversarialAvro feeds adversarial records (changing key sets and order, escapes,
// hard floats, corrupted records, mixed kinds as segment values) through
// newState/add/Advance/Flush/appendProfiles under several configurations
// and hashes every profile byte with each record's placement and error. The
// expected hashes are those of the code before this session's fast paths
// (commit d811e64): decoding, routing, column updates and encoding must not
// change a byte. (Written by the session-3 review.)
func TestOutputFingerprintAdversarialAvro(t *testing.T) {
	codec, err := goavro.NewCodec(r3AvroSchema)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2026, 12))
	clock := time.Date(2026, 11, 26, 7, 40, 0, 0, time.UTC)
	var rs []*kgo.Record
	for i := range 20000 {
		m := r3AvroNative(r, i, &clock)
		v, err := codec.BinaryFromNative(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		switch r.IntN(100) {
		case 0:
			v = v[:r.IntN(len(v))]
		case 1:
			v[r.IntN(len(v))] ^= byte(1 << r.IntN(8))
		}
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: 0, Offset: int64(i), Value: v})
	}
	fixed, err := event.NewFixedSchema(r3AvroSchema)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"6148097fd888958d53968ddfd909e5dce857f0b8aa6e2794fbf0468426d2bf23",
		"c9468df077834bf1139604dc7d68a068d0e2cd84ae30d0655a08b8999ec62385",
		"8aa7c853e01b7dcd037215e93b605774dd2148add427a90f8e75e9ec19daaa39",
		"93e1cab4ff74c5a0f3e4b59d1b81f8c01840ef23309ecbccd36cb5408e65f522",
		"4e147b405faae9dd8a93e096084b443fd982e468d30663064f4d362c86798df3",
	}
	for ci, full := range []int{0, 1, 2, 3, 4} {
		rot := time.Minute
		if full >= 3 {
			rot, full = time.Hour, full-3
		}
		ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts", Format: FormatAvro, Schemas: fixed}
		ds.Window.Rotation = rot
		checkAdversarialConfig(t, ci, ds, full, rs, want[ci])
	}
}

// checkAdversarialConfig completes ds for configuration ci (2s lateness;
// full 0: segmented by country and device, at most 12 segments; 1: the same
// plus the full-dataset profile; 2: unsegmented), runs rs through it with a
// record-count checkpoint every 4999 records, and compares the hash of
// everything emitted with want.
func checkAdversarialConfig(t *testing.T, ci int, ds Dataset, full int, rs []*kgo.Record, want string) {
	t.Helper()
	ds.Window.AllowedLateness = 2 * time.Second
	if full < 2 {
		ds.Window.Segments.Columns = []string{"country", "device"}
		ds.Window.MaxSegments = 12
		ds.Window.FullDataset = full == 1
	}
	s, err := ds.newState("orders", 0)
	if err != nil {
		t.Fatal(err)
	}
	f := fingerprintRun(t, s, rs, 4999, true)
	t.Logf("config %d: %d profiles, %d errors, sha256 %s", ci, f.profiles, f.errs, f.hash)
	if f.hash != want {
		t.Errorf("config %d: output changed: sha256 %s, want %s", ci, f.hash, want)
	}
}
