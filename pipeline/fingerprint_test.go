package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
)

// fingerprintEvent is one event of the fingerprint stream: the 12-field
// order event with values chosen to reach every branch of the decoders and
// sketches (long and unicode strings, repeated and unique values, integers
// near the float64 limits, floats with many digits and exponents, nulls,
// out-of-order times).
func fingerprintEvent(rng *rand.Rand, i int) map[string]any {
	countries := []string{"US", "DE", "FR", "GB", "JP", "BR", "Ünïcødé-✓"}
	devices := []string{"desktop", "mobile", "tablet", "tv"}
	ts := base.Add(time.Duration(i)*7*time.Millisecond + time.Duration(rng.IntN(3000))*time.Millisecond)
	var price float64
	switch i % 6 {
	case 0:
		price = float64(rng.IntN(10000)) / 100
	case 1:
		price = rng.NormFloat64() * 1e6
	case 2:
		price = math.Exp(rng.NormFloat64()*3) * 1e-7
	case 3:
		price = float64(rng.IntN(1 << 20))
	case 4:
		price = rng.Float64() * 1e300
	default:
		price = -rng.ExpFloat64()
	}
	var coupon any
	switch i % 7 {
	case 0:
		coupon = "SAVE10"
	case 3:
		coupon = strings.Repeat("long-coupon-", 5+i%40) + fmt.Sprint(i) // beyond the frequent-item size
	case 5:
		coupon = "" // the HLL ignores the empty string
	}
	customer := int64(rng.IntN(5000))
	switch i % 11 {
	case 0:
		customer = math.MaxInt64 - int64(i)
	case 1:
		customer = math.MinInt64 + int64(i)
	case 2:
		customer = -customer
	case 3:
		customer = 1<<53 + int64(i)
	}
	var discount any
	if i%3 == 0 {
		discount = float64(i%50) / 4
	}
	var comment any
	if i%13 == 0 {
		comment = fmt.Sprintf("note %d: %s", i, strings.Repeat("é", i%20))
	}
	return map[string]any{
		"event_id": fmt.Sprintf("ord-%08d-%x", i, rng.Uint32()), "ts": ts,
		"country": countries[rng.IntN(len(countries))], "device": devices[(i/3)%4],
		"price": price, "quantity": int32(rng.IntN(9) - 2), "discount": discount, "coupon": coupon,
		"is_gift": rng.IntN(5) == 0, "comment": comment, "customer_id": customer, "customer_segment": []string{"gold", "silver", "bronze"}[i%3],
	}
}

// fingerprintRecords encodes n fingerprint events in format.
func fingerprintRecords(t testing.TB, format string, n int) []*kgo.Record {
	codec, err := goavro.NewCodec(event.OrderFlatSchema)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(20261126, uint64(n)))
	rs := make([]*kgo.Record, n)
	for i := range rs {
		m := fingerprintEvent(rng, i)
		var v []byte
		if format == "json" {
			m["ts"] = m["ts"].(time.Time).Format(time.RFC3339Nano)
			if v, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		} else {
			for _, f := range []string{"coupon", "comment"} {
				if c, ok := m[f].(string); ok {
					m[f] = goavro.Union("string", c)
				}
			}
			if d, ok := m["discount"].(float64); ok {
				m["discount"] = goavro.Union("double", d)
			}
			if v, err = codec.BinaryFromNative(nil, m); err != nil {
				t.Fatal(err)
			}
		}
		rs[i] = &kgo.Record{Topic: "orders", Partition: 0, Offset: int64(i), Value: v}
	}
	return rs
}

// TestOutputFingerprint guards the hot path's output: the profiles one
// partition emits for a fixed stream (segmented by two columns plus the
// full-dataset profile, late records included) are hashed and compared with
// the hash the straightforward implementation produced when this test was
// written. Any optimisation of decoding, routing, updating, merging or
// encoding must keep every byte; a change of the output on purpose (a new
// format feature) updates the constants and says why in the commit.
func TestOutputFingerprint(t *testing.T) {
	want := map[string]string{
		"json": "a18fe3d00d994d6512ede93282c881d75ca0f38ad721d80d69bbb15b26b32fe1",
		"avro": "71ba8688e44e7d1c7d5306d5c4539f66f01e59990d9458798d4cd08293cd853a",
	}
	for _, format := range []string{"json", "avro"} {
		t.Run(format, func(t *testing.T) {
			rs := fingerprintRecords(t, format, 40000)
			fixed, err := event.NewFixedSchema(event.OrderFlatSchema)
			if err != nil {
				t.Fatal(err)
			}
			ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts"}
			if format == "avro" {
				ds.Format, ds.Schemas = FormatAvro, fixed
			}
			ds.Window.Rotation = time.Minute
			ds.Window.AllowedLateness = time.Second
			ds.Window.Segments.Columns = []string{"country", "device"}
			ds.Window.MaxSegments = 20
			ds.Window.FullDataset = true
			s, err := ds.newState("orders", 0)
			if err != nil {
				t.Fatal(err)
			}
			f := fingerprintRun(t, s, rs, 9973, false)
			got, profiles, late := f.hash, f.profiles, f.late
			t.Logf("%d profiles (%d late partials), sha256 %s", profiles, late, got)
			if profiles < 50 || late == 0 {
				t.Fatalf("stream too tame: %d profiles, %d late", profiles, late)
			}
			if got != want[format] {
				t.Fatalf("output of %s stream changed: sha256 %s, want %s", format, got, want[format])
			}
		})
	}
}

// fingerprint is what fingerprintRun saw.
type fingerprint struct {
	hash                 string // SHA-256, hex
	profiles, late, errs int
}

// fingerprintRun feeds rs through s (Advance after every record, Flush after
// every `every` records and at the end) and hashes each emitted profile's
// identity and bytes. With placements, each record's placement and decoding
// error are hashed too and errors are counted; otherwise an error fails t.
func fingerprintRun(t *testing.T, s *dsState, rs []*kgo.Record, every int, placements bool) fingerprint {
	t.Helper()
	h := sha256.New()
	var f fingerprint
	emit := func(fs []profiler.Finished) {
		out, err := s.appendProfiles(nil, fs, "orders", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out {
			fmt.Fprintf(h, "%s|%v|%s|%d|%d-%d|%d|", p.Dataset, p.Window, p.SegmentKey, p.Kind, p.FirstOffset, p.LastOffset, p.Records)
			h.Write(p.Value)
			f.profiles++
			if p.Kind == profiler.Late {
				f.late++
			}
		}
		s.release(fs)
	}
	for i, r := range rs {
		pl, err := s.add(context.Background(), r)
		switch {
		case placements:
			fmt.Fprintf(h, "%d:%+v:%v|", i, pl, err)
			if err != nil {
				f.errs++
			}
		case err != nil:
			t.Fatalf("record %d: %v", i, err)
		}
		emit(s.ws.Advance())
		if i%every == every-1 { // checkpoint partials
			emit(s.ws.Flush())
		}
	}
	emit(s.ws.Flush())
	f.hash = hex.EncodeToString(h.Sum(nil))
	return f
}

// TestReplayIntoSeveralProfiles checks the path of a record that goes to
// several profiles at once (explicit segments that overlap, plus the
// full-dataset profile: columnUpdater.replayColumns) against the
// single-profile path: each profile must equal, byte for byte, the one a
// dataset configured with that profile alone emits for the same stream.
func TestReplayIntoSeveralProfiles(t *testing.T) {
	us := []profiler.SegmentTag{{Key: "country", Value: "US"}}
	mobile := []profiler.SegmentTag{{Key: "device", Value: "mobile"}}
	emitted := func(explicit [][]profiler.SegmentTag, full bool) map[string][]byte {
		ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts"}
		ds.Window.Rotation = time.Minute
		ds.Window.AllowedLateness = time.Second
		ds.Window.Segments.Explicit = explicit
		ds.Window.FullDataset = full
		s, err := ds.newState("orders", 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]byte{}
		collect := func(fs []profiler.Finished) {
			out, err := s.appendProfiles(nil, fs, "orders", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range out {
				got[fmt.Sprintf("%v|%s|%d|%d", p.Window, p.SegmentKey, p.Kind, p.FirstOffset)] = p.Value
			}
			s.release(fs)
		}
		for i, r := range fingerprintRecords(t, "json", 40000) {
			if _, err := s.add(context.Background(), r); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			collect(s.ws.Advance())
		}
		collect(s.ws.Flush())
		return got
	}
	all := emitted([][]profiler.SegmentTag{us, mobile}, true)
	want := map[string][]byte{}
	for _, part := range []map[string][]byte{emitted(nil, true), emitted([][]profiler.SegmentTag{us}, false), emitted([][]profiler.SegmentTag{mobile}, false)} {
		for k, v := range part {
			want[k] = v
		}
	}
	if len(all) != len(want) || len(all) < 12 {
		t.Fatalf("%d profiles, want %d (and at least 12)", len(all), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(all[k], v) {
			t.Errorf("profile %s differs from the one its dataset alone emits", k)
		}
	}
}
