package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
)

// TestScalarFieldMatchesField checks that Route's unboxed path reads the
// segment value Field gives: for every field of random decoded records
// (duplicate keys, nulls, objects, arrays, numbers of every form, strings
// with escapes) and for missing names, AppendSegmentValue(ScalarField)
// equals SegmentValue(Field).
func TestScalarFieldMatchesField(t *testing.T) {
	dec, err := event.NewJSONDecoder(event.JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vals := []string{`"US"`, `"a,b=c"`, `""`, `"\u00e9\n"`, `1`, `-0`, `12345678901234567890`, `1.5`, `1e16`, `1e-5`, `2.0`,
		`true`, `false`, `null`, `{"x":1}`, `[1,2]`, `[]`, `{}`, `"None"`, `1e400`}
	names := []string{"a", "b", "c", "a.x", "missing"}
	r := rand.New(rand.NewPCG(3, 4))
	var rec event.Record
	var strs stringCache
	f := recordFields{rec: &rec, strs: &strs}
	for i := range 3000 {
		doc := "{"
		for j := range 1 + r.IntN(5) {
			if j > 0 {
				doc += ","
			}
			doc += fmt.Sprintf("%q:%s", names[r.IntN(4)], vals[r.IntN(len(vals))])
		}
		doc += "}"
		rec.Reset()
		if _, err := dec.Decode([]byte(doc), &rec); err != nil {
			continue // e.g. a number out of range, if the decoder refuses it
		}
		for _, name := range names {
			v, _ := f.Field(name)
			want := profiler.SegmentValue(v)
			kind, bits, str, ok := f.ScalarField(name)
			if !ok {
				t.Fatalf("record %d %s: ScalarField(%q) declined", i, doc, name)
			}
			if got := string(profiler.AppendSegmentValue(nil, kind, bits, str)); got != want {
				t.Fatalf("record %d %s: field %q: ScalarField gives %q, Field %q", i, doc, name, got, want)
			}
		}
	}
}

// BenchmarkRouteFields measures WindowSet.Route with the pipeline's
// buffered records (recordFields over decoded 12-field order events, four
// countries, one-minute windows, the full-dataset profile derived): the
// per-record routing cost of BenchmarkDatasetAdd without decoding and
// column updates. The countries come in turn ("json", "avro"), as in
// BenchmarkDatasetAdd, or in a random order ("json-random"), which branch
// predictors cannot learn.
func BenchmarkRouteFields(b *testing.B) {
	for _, format := range []string{"json", "avro", "json-random"} {
		b.Run(format, func(b *testing.B) {
			rs := benchRecords(b, strings.TrimSuffix(format, "-random"), 4, 1)
			ds := Dataset{Name: "orders", Topics: []string{"orders"}, EventTimeField: "ts"}
			if format == "avro" {
				fixed, _ := event.NewFixedSchema(event.OrderFlatSchema)
				ds.Format, ds.Schemas = FormatAvro, fixed
			}
			ds.Window.Rotation = time.Minute
			ds.Window.Segments.Columns = []string{"country"}
			ds.Window.FullDataset = true
			s, err := ds.newState("orders", 0)
			if err != nil {
				b.Fatal(err)
			}
			recs := make([]event.Record, len(rs))
			for i, r := range rs {
				if s.jdec != nil {
					_, err = s.jdec.Decode(r.Value, &recs[i])
				} else {
					_, err = s.adec.Decode(context.Background(), r.Value, &recs[i])
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			var order [4096]uint8
			rnd := rand.New(rand.NewPCG(1, 2))
			for i := range order {
				order[i] = uint8(i & 3)
				if strings.HasSuffix(format, "-random") {
					order[i] = uint8(rnd.IntN(4))
				}
			}
			var buf []*profiler.DatasetProfile
			b.ReportAllocs()
			b.ResetTimer()
			c0 := processCPU()
			for i := range b.N {
				s.fields.rec = &recs[order[i&4095]]
				buf, _ = s.ws.Route(base.Add(time.Duration(i)*time.Millisecond), int64(i), &s.fields, buf[:0])
				if i%60_000 == 0 {
					s.ws.Advance()
				}
			}
			b.ReportMetric(float64(processCPU()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestFieldHintMatchesLastIndex checks recordFields.index, the position
// hint, against Record.LastIndex over random record sequences: records that
// keep their shape for a while and then change it (fields added, dropped,
// moved, repeated: JSON duplicate keys), names of equal length, names that
// are equal strings at different addresses (a decoder without interning,
// or two decoders), the empty name, and callers passing a name by
// different strings. A wrong hint would return another position.
func TestFieldHintMatchesLastIndex(t *testing.T) {
	// Two copies of each name at different addresses; equal lengths on
	// purpose ("country", "comment", "is_gift"; "ab", "cd").
	base := []string{"country", "comment", "is_gift", "ab", "cd", "x", "", "device"}
	pool := make([][2]string, len(base))
	for i, n := range base {
		pool[i] = [2]string{strings.Clone(n), strings.Clone(n)}
	}
	r := rand.New(rand.NewPCG(5, 6))
	var rec event.Record
	var strs stringCache
	f := recordFields{rec: &rec, strs: &strs}
	// Names as callers pass them: mostly one string per name (as Route
	// does), sometimes another copy.
	callers := make([]string, 0, 2*len(base))
	for i := range base {
		callers = append(callers, pool[i][0], strings.Clone(base[i]))
	}
	// A fixed start: the empty name repeated at a position where the
	// previous record had another name.
	for _, cols := range [][]string{{"", "ab"}, {"", ""}, {"ab", "ab"}, {"ab", "cd", "ab"}, {"", "cd", ""}} {
		rec.Reset()
		for _, c := range cols {
			rec.Null(c)
		}
		for _, name := range []string{"", "ab"} {
			if got, want := f.index(name), rec.LastIndex(name); got != want {
				t.Fatalf("record %q: index(%q) = %d, LastIndex %d", cols, name, got, want)
			}
		}
	}
	var shape []int // indexes into pool of the current record's fields
	for i := range 20000 {
		if i == 0 || r.IntN(10) == 0 { // a new shape
			shape = shape[:0]
			for range r.IntN(10) {
				shape = append(shape, r.IntN(len(pool)))
			}
		} else if r.IntN(20) == 0 && len(shape) > 0 { // one field changes
			shape[r.IntN(len(shape))] = r.IntN(len(pool))
		}
		rec.Reset()
		for _, k := range shape {
			col := pool[k][0]
			if r.IntN(30) == 0 {
				col = pool[k][1] // the same name at another address
			}
			switch r.IntN(3) {
			case 0:
				rec.Int(col, int64(i))
			case 1:
				rec.String(col, []byte("v"))
			default:
				rec.Null(col)
			}
		}
		for range 3 {
			name := callers[r.IntN(len(callers))]
			want := rec.LastIndex(name)
			if got := f.index(name); got != want {
				t.Fatalf("record %d %v: index(%q) = %d, LastIndex %d", i, shape, name, got, want)
			}
		}
	}
	if len(f.hints) == 0 {
		t.Fatal("no hint was made")
	}
}

// TestFieldHintDecoded checks the hint on decoded JSON records, where the
// decoder interns names: a stream of one shape with occasional records
// that repeat the segment key later or lack it.
func TestFieldHintDecoded(t *testing.T) {
	dec, err := event.NewJSONDecoder(event.JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{
		`{"a":1,"country":"US","b":2,"is_gift":true}`,
		`{"a":1,"country":"DE","b":2,"is_gift":false}`,
		`{"a":1,"country":"US","b":2,"country":"FR"}`,
		`{"a":1,"b":2,"is_gift":true}`,
		`{"country":"GB","a":1,"b":2,"is_gift":true}`,
		`{"a":1,"country":"US","b":2,"is_gift":true,"country":null}`,
		`{}`,
		`{"a":{"country":"x"},"country":"US"}`,
	}
	r := rand.New(rand.NewPCG(7, 8))
	var rec event.Record
	var strs stringCache
	f := recordFields{rec: &rec, strs: &strs}
	name := "country"
	for i := range 5000 {
		doc := docs[0]
		if r.IntN(4) == 0 {
			doc = docs[r.IntN(len(docs))]
		}
		rec.Reset()
		if _, err := dec.Decode([]byte(doc), &rec); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{name, "is_gift", "a.country"} {
			if got, want := f.index(n), rec.LastIndex(n); got != want {
				t.Fatalf("record %d %s: index(%q) = %d, LastIndex %d", i, doc, n, got, want)
			}
		}
	}
}
