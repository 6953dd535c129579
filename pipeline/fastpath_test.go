package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

// fastPathOrder is a 12-field order event with values that exercise the
// decoder fast path's caches: a few repeated strings, unique ids, an empty
// string, strings longer than the string cache keeps, non-ASCII text and
// many segment values.
func fastPathOrder(i int) map[string]any {
	m := flatOrder(i)
	countries := []string{"US", "DE", "FR", "GB", "", "ÉIRE", strings.Repeat("long-country-", 8)}
	m["country"] = countries[i%len(countries)]
	if i%11 == 0 {
		m["country"] = fmt.Sprintf("C%02d", i%37)
	}
	if i%3 == 0 {
		m["comment"] = []string{"please ring twice", "", strings.Repeat("é", 70), "leave at door"}[i%4]
	}
	m["customer_segment"] = []string{"gold", "silver", "bronze"}[i%3]
	m["customer_id"] = int64(i%7) * 1000003
	return m
}

// TestFastPathMatchesTrack checks that the decoder fast path (Record,
// Route, typed column updates by position, string cache) produces profiles
// byte-identical to WindowSet.Add with the same values as Go values (the
// reference routing of Column.Update), for JSON and Avro.
func TestFastPathMatchesTrack(t *testing.T) {
	const n = 6000
	codec, err := goavro.NewCodec(event.OrderFlatSchema)
	if err != nil {
		t.Fatal(err)
	}
	fixed, err := event.NewFixedSchema(event.OrderFlatSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "avro"} {
		t.Run(format, func(t *testing.T) {
			ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts"}
			if format == "avro" {
				ds.Format, ds.Schemas = FormatAvro, fixed
			}
			ds.Window.Rotation = time.Minute
			ds.Window.Segments.Columns = []string{"country"}
			ds.Window.FullDataset = true
			s, err := ds.newState("orders", 0)
			if err != nil {
				t.Fatal(err)
			}
			wc := ds.Window
			wc.Dataset, wc.Partition = ds.Name, "orders/0"
			wc.Profile.NullDefersType = true // as newState sets it for every stream
			ref, err := profiler.NewWindowSet(wc)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []profiler.Finished
			for i := range n {
				m := fastPathOrder(i)
				ts := m["ts"].(time.Time)
				var v []byte
				row := map[string]any{}
				if format == "json" {
					m["ts"] = ts.Format(time.RFC3339Nano)
					v, _ = json.Marshal(m)
					d := json.NewDecoder(bytes.NewReader(v))
					d.UseNumber()
					if err := d.Decode(&row); err != nil {
						t.Fatal(err)
					}
				} else {
					for k, x := range m {
						row[k] = x
					}
					row["ts"] = ts.UnixMilli() // timestamp-millis is reported raw
					if c, ok := m["coupon"].(string); ok {
						m["coupon"] = goavro.Union("string", c)
					}
					if c, ok := m["comment"].(string); ok {
						m["comment"] = goavro.Union("string", c)
					}
					if v, err = codec.BinaryFromNative(nil, m); err != nil {
						t.Fatal(err)
					}
				}
				r := &kgo.Record{Topic: "orders", Value: v, Offset: int64(i)}
				if _, err := s.add(context.Background(), r); err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				ref.Add(ts, int64(i), row)
				if i%1000 == 999 { // publish as the worker does
					fs := s.ws.Advance()
					got = append(got, fs...)
					s.release(fs)
					want = append(want, ref.Advance()...)
				}
			}
			got = append(got, s.ws.Flush()...)
			want = append(want, ref.Flush()...)
			if len(got) != len(want) || len(got) < 10 {
				t.Fatalf("%d profiles from the fast path, %d from Add", len(got), len(want))
			}
			for i := range got {
				g, err := whylogs.MarshalV1(got[i].Profile)
				if err != nil {
					t.Fatal(err)
				}
				w, err := whylogs.MarshalV1(want[i].Profile)
				if err != nil {
					t.Fatal(err)
				}
				if got[i].SegmentKey != want[i].SegmentKey || !bytes.Equal(g, w) {
					t.Fatalf("profile %d (window %v, segment %q/%q) differs from the reference", i,
						got[i].Window.Start, got[i].SegmentKey, want[i].SegmentKey)
				}
			}
		})
	}
}

func TestStringCache(t *testing.T) {
	var c stringCache
	str := func(i int, b []byte) string { return c.boxed(i, b).(string) }
	b := []byte("DE")
	s := str(3, b)
	if s != "DE" {
		t.Fatalf("str = %q", s)
	}
	b[0] = 'X' // the cache must not alias the input
	if s != "DE" || str(3, []byte("DE")) != "DE" || str(3, b) != "XE" {
		t.Fatal("cached string changed with its input")
	}
	if n := testing.AllocsPerRun(100, func() { str(3, []byte("DE")) }); n != 0 {
		t.Errorf("a repeated string allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = c.boxed(3, []byte("DE")) }); n != 0 {
		t.Errorf("a repeated boxed string allocates %v times", n)
	}
	if v := c.boxed(3, []byte("DE")); v != any("DE") {
		t.Fatalf("boxed = %v", v)
	}
	long := bytes.Repeat([]byte("x"), strMaxLen+1)
	if str(0, long) != string(long) || str(strMaxPos, b) != "XE" || str(1, nil) != "" {
		t.Fatal("uncached strings")
	}
	// Unique values switch probing off for a while, then back on.
	for i := range strProbeBatch {
		if got := str(7, fmt.Appendf(nil, "id-%d", i)); got != fmt.Sprintf("id-%d", i) {
			t.Fatalf("str = %q", got)
		}
	}
	if c.pos[7].skip != strSkip {
		t.Fatalf("skip = %d after unique values", c.pos[7].skip)
	}
	for range strSkip {
		if str(7, []byte("same")) != "same" {
			t.Fatal("str while skipping")
		}
	}
	if c.pos[7].skip != 0 || str(7, []byte("same")) != "same" || c.pos[7].probes != 1 {
		t.Fatal("probing did not resume")
	}
	// Up to strWays values alternating at one position never miss,
	// whatever the seed.
	for range 200 {
		var c stringCache
		vals := [][]byte{[]byte("US"), []byte("DE"), []byte("FR"), []byte("GB")}
		for _, v := range vals {
			c.boxed(2, v)
		}
		k := 0
		if n := testing.AllocsPerRun(40, func() { c.boxed(2, vals[k%4]); k++ }); n != 0 {
			t.Fatalf("alternating values allocate %v times", n)
		}
	}

}
