package event

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// flatDoc writes a variant of a flat stream record: mostly the same keys
// in the same order with values of changing kinds, plus the edge cases the
// Record fast path must hand back to the general loop or report itself:
// whitespace around ':' and ',', escaped and invalid strings, escaped keys,
// every number form, literals, nested objects and arrays, duplicate keys,
// and syntax errors at every place of a member.
func flatDoc(r *rand.Rand) []byte {
	keys := []string{"event_id", "ts", "country", "device", "price", "quantity", "discount", "coupon",
		"is_gift", "comment_of_the_customer_for_the_courier", "customer_id", "customer_segment"}
	ws := func() string {
		switch r.IntN(12) {
		case 0:
			return " "
		case 1:
			return "\n\t "
		}
		return ""
	}
	vals := []string{`"2QXkM1b6nE3y0pAhZ7rT9sLwVd4"`, `"DE"`, `""`, `"a\"b"`, `"caf\u00e9 \ud83d\ude00"`,
		"\"bad \xff utf8\"", `"ctl` + "\x01" + `"`, `"unterminated`, `"2026-11-26T07:40:00.123Z"`,
		`"München, 20 €"`, `1764142800123`, `-0`, `0`, `2`, `-17`, `19.99`, `1e3`, `-2.5E-3`,
		`9223372036854775807`, `9223372036854775808`, `-9223372036854775809`, `1e400`,
		`123456789012345678901234567890`, `0.1e-400`, `01`, `1.`, `-`, `1e+`, `.5`, `null`, `true`,
		`false`, `nul`, `tru`, `{}`, `{"a":1,"b":{"c":"x"}}`, `[]`, `[1,{"ts":2},"x"]`, `[1,`, `{"a":}`,
		`x`, ``}
	var sb strings.Builder
	sb.WriteString(ws() + "{" + ws())
	n := len(keys)
	if r.IntN(8) == 0 {
		n = r.IntN(len(keys) + 3)
	}
	for k := range n {
		if k > 0 {
			sb.WriteString(ws() + "," + ws())
		}
		key := keys[k%len(keys)]
		switch r.IntN(40) {
		case 0:
			key = keys[r.IntN(len(keys))] // another key here (or a duplicate)
		case 1:
			key = `\u0074s` // "ts", escaped
		case 2:
			key = key + "x"
		case 3:
			key = key[:len(key)-1]
		case 4, 5:
			b := []byte(key) // one byte changed anywhere
			b[r.IntN(len(b))] = 'Z'
			key = string(b)
		}
		sb.WriteString(`"` + key + `"` + ws() + ":" + ws())
		if r.IntN(3) == 0 {
			sb.WriteString(vals[r.IntN(len(vals))])
		} else {
			// The usual value of this position.
			sb.WriteString(vals[[]int{0, 10, 1, 1, 15, 13, 29, 1, 31, 9, 10, 1}[k%len(keys)]])
		}
	}
	sb.WriteString(ws() + "}" + ws())
	b := []byte(sb.String())
	switch r.IntN(30) {
	case 0:
		b = b[:r.IntN(len(b)+1)]
	case 1:
		b[r.IntN(len(b))] = `"{}[],:a \`[r.IntN(10)]
	}
	return b
}

// checkRecordFast decodes docs into a Record (the fast path when the key
// cache is on and there is no filter) and with the plain decoder (no key
// cache, no fast path) into a rec: columns, kinds, values, event time and
// errors must be identical. It returns how many members the fast path
// decoded itself.
func checkRecordFast(t *testing.T, o JSONOptions, docs [][]byte) int {
	t.Helper()
	fast, err := NewJSONDecoder(o)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := NewJSONDecoder(o)
	plain.noKeyCache = true
	var r Record
	hits := 0
	for _, doc := range docs {
		before := fast.keys
		r.Reset()
		graw, gerr := fast.Decode(doc, &r)
		var g, w rec
		r.Replay(&g)
		wraw, werr := plain.Decode(doc, &w)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("%+v %q: error %v, plain %v", o, doc, gerr, werr)
		}
		gs, ws := strings.Join(g.out, " "), strings.Join(w.out, " ")
		if gs != ws || fmt.Sprintf("%+v", graw) != fmt.Sprintf("%+v", wraw) {
			t.Fatalf("%+v %q:\ngot  %s %+v\nwant %s %+v", o, doc, gs, graw, ws, wraw)
		}
		for k := range min(len(before), r.Len()) {
			if before[k].fast {
				hits++
			}
		}
	}
	return hits
}

// The Record fast path reports what the plain decoder reports, for streams
// of near-identical flat records with edge cases and for the key cache's
// random nested documents, under every option combination.
func TestJSONRecordFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	var flat [][]byte
	for range 4000 {
		d := flatDoc(r)
		for range 1 + r.IntN(3) {
			flat = append(flat, d)
		}
	}
	nested := keyDocs(r, 2000)
	optsList := []JSONOptions{
		{EventTimeField: "ts"},
		{EventTimeField: "price"},
		{EventTimeField: "discount"},
		{EventTimeField: "user.ts"},
		{Separator: "/", EventTimeField: "user/id"},
		{Nesting: NestIgnore, EventTimeField: "ts"},
		{Arrays: ArraysIgnore, EventTimeField: "comment"},
		{Include: []string{"ts", "a"}, EventTimeField: "ts"},
		{Exclude: []string{"country"}},
		{InvalidUTF8: UTF8Error, EventTimeField: "event_id"},
		{MaxDepth: 1},
		{MaxDepth: 2},
	}
	for _, o := range optsList {
		hits := checkRecordFast(t, o, flat)
		checkRecordFast(t, o, nested)
		if o.Include == nil && o.Exclude == nil && hits < 10000 {
			t.Errorf("%+v: the fast path decoded only %d members", o, hits)
		}
	}
}

// FuzzJSONRecordFastPath: the input split at 0x00 bytes is a stream of
// documents; the Record fast path must match the plain decoder on each.
func FuzzJSONRecordFastPath(f *testing.F) {
	r := rand.New(rand.NewPCG(9, 9))
	for range 20 {
		var b []byte
		d := flatDoc(r)
		b = append(append(append(b, d...), 0), d...)
		for range 3 {
			b = append(append(b, 0), flatDoc(r)...)
		}
		f.Add(b)
	}
	f.Add([]byte(benchJSON + "\x00" + benchJSON + "\x00" + benchNestedJSON + "\x00" + benchNestedJSON))
	optsList := []JSONOptions{
		{EventTimeField: "ts"},
		{Separator: "/", EventTimeField: "price", Nesting: NestIgnore, Arrays: ArraysIgnore},
		{InvalidUTF8: UTF8Error, EventTimeField: "event_id", MaxDepth: 2},
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		docs := [][]byte{}
		for _, d := range strings.Split(string(in), "\x00") {
			docs = append(docs, []byte(d))
		}
		for _, o := range optsList {
			checkRecordFast(t, o, docs)
		}
	})
}

// Every one-byte change of a cached key of every length (inside the key,
// its quotes or the colon) is a miss for the fast path, whose inline key
// match must agree with the plain decoder.
func TestJSONRecordFastKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for n := 1; n <= 44; n++ {
		key := make([]byte, n)
		for k := range key {
			key[k] = byte('a' + r.IntN(26))
		}
		doc := func(pat string) []byte { return []byte(`{"x":1,` + pat + `2,"y":3}`) }
		pat := `"` + string(key) + `":`
		docs := [][]byte{doc(pat), doc(pat)}
		for p := range len(pat) {
			b := []byte(pat)
			b[p] ^= 0x20 // letter case; '"' becomes a 0x02 byte and ':' a '\x1a'
			docs = append(docs, doc(string(b)), doc(pat))
		}
		if hits := checkRecordFast(t, JSONOptions{EventTimeField: "y"}, docs); hits < len(docs) {
			t.Fatalf("key of %d bytes: %d fast members in %d documents", n, hits, len(docs))
		}
	}
}
