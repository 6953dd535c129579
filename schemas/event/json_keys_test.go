package event

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// keyDoc writes a random object whose keys come from a small pool (so
// consecutive records share keys at the same positions, in and out of
// place), with escaped spellings of the same keys, nested objects, arrays
// of objects, and keys that contain the separator.
func keyDoc(r *rand.Rand, sb *strings.Builder, depth int) {
	pool := []string{`a`, `b`, `ts`, `user`, `id`, `x.y`, `a\u0062`, `t\u0073`, `\u0061`, ``, `é`, `k\n`,
		`customer_segment`, `event_id`}
	sb.WriteByte('{')
	for k := range r.IntN(6) {
		if k > 0 {
			sb.WriteByte(',')
		}
		if r.IntN(4) == 0 {
			sb.WriteString(" ")
		}
		sb.WriteString(`"` + pool[r.IntN(len(pool))] + `":`)
		switch v := r.IntN(9); {
		case v == 0 && depth < 3:
			keyDoc(r, sb, depth+1)
		case v == 1 && depth < 3:
			sb.WriteString("[")
			keyDoc(r, sb, depth+1)
			sb.WriteString(",1]")
		case v == 2:
			sb.WriteString(`"2026-11-26T07:40:00Z"`)
		case v == 3:
			sb.WriteString("null")
		case v == 4:
			sb.WriteString("true")
		case v == 5:
			sb.WriteString(fmt.Sprint(r.NormFloat64()))
		default:
			sb.WriteString(fmt.Sprint(r.IntN(100)))
		}
	}
	sb.WriteByte('}')
}

func keyDocs(r *rand.Rand, n int) [][]byte {
	var docs [][]byte
	for range n {
		// Runs of identical and near-identical documents, as in a stream.
		var sb strings.Builder
		keyDoc(r, &sb, 0)
		d := sb.String()
		for range 1 + r.IntN(4) {
			docs = append(docs, []byte(d))
		}
		if r.IntN(3) == 0 && len(d) > 2 { // a truncated or corrupted copy
			b := []byte(d)
			b[r.IntN(len(b))] = `"{}[],:ax\`[r.IntN(10)]
			docs = append(docs, b[:len(b)-r.IntN(3)])
		}
	}
	return docs
}

// The key cache never changes what a decoder reports: a stream of
// documents decoded with it gives the same columns, values, event time and
// errors as with the cache disabled, for every option combination.
func TestJSONKeyCacheMatchesUncached(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	optsList := []JSONOptions{
		{EventTimeField: "ts"},
		{EventTimeField: "user.ts"},
		{Separator: "/", EventTimeField: "user/id"},
		{Nesting: NestIgnore, EventTimeField: "user.ts"},
		{Arrays: ArraysIgnore},
		{Include: []string{"user", "a"}, EventTimeField: "ts"},
		{Exclude: []string{"user.id", "x.y"}},
		{Include: []string{"user.a", "b"}, Exclude: []string{"user.a.a"}},
		{InvalidUTF8: UTF8Error, EventTimeField: "a"},
		{MaxDepth: 2},
	}
	docs := keyDocs(r, 3000)
	hits := 0
	for _, o := range optsList {
		cached, err := NewJSONDecoder(o)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := NewJSONDecoder(o)
		plain.noKeyCache = true
		for _, doc := range docs {
			var g, w rec
			graw, gerr := cached.Decode(doc, &g)
			wraw, werr := plain.Decode(doc, &w)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("%+v %q: error %v, uncached %v", o, doc, gerr, werr)
			}
			gs, ws := strings.Join(g.out, " "), strings.Join(w.out, " ")
			if gs != ws || fmt.Sprintf("%+v", graw) != fmt.Sprintf("%+v", wraw) {
				t.Fatalf("%+v %q:\ngot  %s %+v\nwant %s %+v", o, doc, gs, graw, ws, wraw)
			}
		}
		for _, e := range cached.keys {
			if e.name != "" {
				hits++
			}
		}
	}
	if hits == 0 {
		t.Fatal("the key cache never remembered a name")
	}
}

// Column names of cache hits are the interned strings (no allocation per
// field) and equal to the uncached names.
func TestJSONKeyCacheNoAllocs(t *testing.T) {
	d, _ := NewJSONDecoder(JSONOptions{EventTimeField: "ts"})
	data := []byte(benchJSON)
	v := &nop{}
	if n := testing.AllocsPerRun(100, func() { d.Decode(data, v) }); n != 0 {
		t.Fatalf("%v allocations per record", n)
	}
	// Two alternating shapes do not allocate either.
	other := []byte(`{"ts":1,"country":"DE","event_id":"x","extra":{"a":1}}`)
	if n := testing.AllocsPerRun(100, func() { d.Decode(data, v); d.Decode(other, v) }); n != 0 {
		t.Fatalf("%v allocations per record pair", n)
	}
}

func TestEqualShort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for n := range 40 {
		for range 200 {
			a := make([]byte, n)
			for k := range a {
				a[k] = byte('a' + r.IntN(3))
			}
			b := append([]byte(nil), a...)
			if n > 0 && r.IntN(2) == 0 {
				b[r.IntN(n)] = byte('a' + r.IntN(3))
			}
			if got, want := equalShort(a, b), string(a) == string(b); got != want {
				t.Fatalf("%q %q: %v", a, b, got)
			}
		}
	}
	if equalShort([]byte("ab"), []byte("abc")) {
		t.Fatal("different lengths compare equal")
	}
}

// FuzzJSONKeyCache decodes a sequence of documents (the input split at
// 0x00 bytes, which JSON text cannot contain) with one cached and one
// uncached decoder per option set; every document must give identical
// results.
func FuzzJSONKeyCache(f *testing.F) {
	r := rand.New(rand.NewPCG(8, 8))
	for range 20 {
		docs := keyDocs(r, 3)
		var b []byte
		for _, d := range docs {
			b = append(append(b, d...), 0)
		}
		f.Add(b)
	}
	f.Add([]byte(benchJSON + "\x00" + benchJSON + "\x00" + benchNestedJSON + "\x00" + benchNestedJSON))
	optsList := []JSONOptions{
		{EventTimeField: "ts"},
		{Separator: "/", EventTimeField: "user/ts", Nesting: NestIgnore},
		{Include: []string{"user", "a"}, Exclude: []string{"user.id"}, EventTimeField: "a"},
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, o := range optsList {
			cached, _ := NewJSONDecoder(o)
			plain, _ := NewJSONDecoder(o)
			plain.noKeyCache = true
			for _, doc := range strings.Split(string(in), "\x00") {
				var g, w rec
				graw, gerr := cached.Decode([]byte(doc), &g)
				wraw, werr := plain.Decode([]byte(doc), &w)
				if fmt.Sprint(gerr) != fmt.Sprint(werr) || strings.Join(g.out, " ") != strings.Join(w.out, " ") ||
					fmt.Sprintf("%+v", graw) != fmt.Sprintf("%+v", wraw) {
					t.Fatalf("%+v %q:\ngot  %v %s %+v\nwant %v %s %+v", o, doc, gerr, g.out, graw, werr, w.out, wraw)
				}
			}
		}
	})
}

// matchKey agrees with equalShort and the quote and colon checks for keys
// of every length at every place of the input, including near its end.
func TestMatchKey(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for n := 1; n < 40; n++ {
		for range 300 {
			var e keyEntry
			for range n {
				e.rawq = append(e.rawq, byte('a'+r.IntN(2)))
			}
			e.setWords()
			data := make([]byte, r.IntN(n+12))
			for k := range data {
				data[k] = byte('a' + r.IntN(2))
			}
			i := 0
			if len(data) > 0 {
				i = r.IntN(len(data) + 1)
			}
			if r.IntN(2) == 0 && i+n+1 < len(data) { // plant the pattern, maybe altered
				data[i] = '"'
				copy(data[i+1:], e.rawq)
				data[i+n+1] = ':'
				if r.IntN(2) == 0 {
					data[i+r.IntN(n+2)] ^= 1
				}
			}
			want := i+n+1 < len(data) && data[i] == '"' && equalShort(data[i+1:i+n+1], e.rawq) && data[i+n+1] == ':'
			if got := e.matchKey(data, i); got != want {
				t.Fatalf("key %q data %q at %d: %v, want %v", e.rawq, data, i, got, want)
			}
		}
	}
}
