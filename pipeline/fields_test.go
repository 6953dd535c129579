package pipeline

import (
	"fmt"
	"math/rand/v2"
	"testing"

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
			s, ok := f.ScalarField(name)
			if !ok {
				t.Fatalf("record %d %s: ScalarField(%q) declined", i, doc, name)
			}
			if got := string(profiler.AppendSegmentValue(nil, s)); got != want {
				t.Fatalf("record %d %s: field %q: ScalarField gives %q, Field %q", i, doc, name, got, want)
			}
		}
	}
}
