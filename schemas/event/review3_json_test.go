package event

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Review (session 3): the JSON decoder (key cache, values in the object
// loop, one-pass numbers, SWAR string scan) against the decoder as it was
// before the session (review3_jsonref_test.go), over streams of records
// whose key sets, key order, nesting and spellings change from record to
// record, with hard numbers, strings with escapes and invalid bytes at every
// word offset, odd whitespace, and corrupted copies.

var review3Keys = []string{`a`, `b`, `ts`, `user`, `id`, `x.y`, `a\u0062`, `\u0074s`, `\"q`, `é`, ``, `k\n`,
	`customer_segment`, `event_id_long_key_name`, `user.id`, `a/b`, `\ud83d\ude00`, `\ud800`, "k\xff", "k\xc3"}

var review3Nums = []string{"0", "-0", "-0.0", "1", "-1", "01", "+1", "1.", ".5", "1e", "1e+", "-", "1.5e3",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"12345678901234567890", "1234567890123456789012", "0.1", "1e22", "1e23", "1.7976931348623157e308",
	"1.7976931348623159e308", "1e400", "-1e400", "4.9e-324", "2.4703282292062327e-324", "1e-400",
	"9007199254740993", "9007199254740993.0", "45035996273704965e-1", "0.30000000000000004",
	"1E5", "1e-5", "123.456e-7", "0.000000000000000000001", "99999999999999999999e-20", "1e0000000000000000000001"}

func review3Str(r *rand.Rand) string {
	var sb strings.Builder
	n := r.IntN(40)
	for k := range n {
		switch r.IntN(24) {
		case 0:
			sb.WriteString(`\n`)
		case 1:
			sb.WriteString(`\u00e9`)
		case 2:
			sb.WriteString(`\ud83d\ude00`)
		case 3:
			sb.WriteString(`\udc00`)
		case 4:
			sb.WriteString("\xff")
		case 5:
			sb.WriteString("\xe2\x82") // truncated 3-byte sequence
		case 6:
			sb.WriteString("é")
		case 7:
			sb.WriteString(`\"`)
		case 8:
			sb.WriteString(`\\`)
		case 9:
			if k == n-1 && r.IntN(10) == 0 {
				sb.WriteString("\x01") // a raw control character
			} else {
				sb.WriteByte('a')
			}
		case 10:
			sb.WriteString("\x7f")
		case 11:
			if r.IntN(10) == 0 {
				sb.WriteString(`\u12`) // bad escape
			}
		default:
			sb.WriteByte("abcdefgh01 _-:TZ"[r.IntN(16)])
		}
	}
	return sb.String()
}

func review3BadNum(s string) bool {
	switch s {
	case "01", "+1", "1.", ".5", "1e", "1e+", "-":
		return true
	}
	return false
}

func review3WS(r *rand.Rand) string {
	if r.IntN(3) != 0 {
		return ""
	}
	if r.IntN(40) == 0 { // not JSON whitespace
		return []string{"\x0b", "\xa0", "\x0c"}[r.IntN(3)]
	}
	return []string{" ", "\t", "\r\n", "  \n\t"}[r.IntN(4)]
}

func review3Doc(r *rand.Rand, sb *strings.Builder, depth int, keys []string) {
	sb.WriteString(review3WS(r) + "{" + review3WS(r))
	for k, key := range keys {
		if k > 0 {
			sb.WriteString(review3WS(r) + "," + review3WS(r))
		}
		sb.WriteString(`"` + key + `"` + review3WS(r) + ":" + review3WS(r))
		switch v := r.IntN(12); {
		case v == 0 && depth < 4:
			review3Doc(r, sb, depth+1, review3KeySet(r))
		case v == 1 && depth < 4:
			sb.WriteString("[")
			review3Doc(r, sb, depth+1, review3KeySet(r))
			sb.WriteString(`, 1, "x", [], {}]`)
		case v == 2:
			sb.WriteString(`"` + []string{"2026-11-26T07:40:00Z", "2026-11-26t07:40:00.5+01:00", "1700000000", "x"}[r.IntN(4)] + `"`)
		case v == 3:
			lits := []string{"null", "true", "false", "[]", "{}", "nul", "tru", "[1,]", "{,}"}
			if r.IntN(20) != 0 {
				lits = lits[:5]
			}
			sb.WriteString(lits[r.IntN(len(lits))])
		case v <= 6:
			num := review3Nums[r.IntN(len(review3Nums))]
			for r.IntN(20) != 0 && review3BadNum(num) {
				num = review3Nums[r.IntN(len(review3Nums))]
			}
			sb.WriteString(num)
		default:
			sb.WriteString(`"` + review3Str(r) + `"`)
		}
	}
	sb.WriteString(review3WS(r) + "}")
}

func review3KeySet(r *rand.Rand) []string {
	keys := make([]string, r.IntN(7))
	for i := range keys {
		keys[i] = review3Keys[r.IntN(len(review3Keys))]
	}
	return keys
}

// review3Stream returns records in runs: the same top-level keys in the same
// order, with nested key sets, key order and values changing.
func review3Stream(r *rand.Rand, n int) [][]byte {
	var docs [][]byte
	for len(docs) < n {
		keys := review3KeySet(r)
		for range 1 + r.IntN(6) {
			ks := keys
			switch r.IntN(5) {
			case 0: // swap two keys
				ks = append([]string(nil), keys...)
				if len(ks) > 1 {
					i, j := r.IntN(len(ks)), r.IntN(len(ks))
					ks[i], ks[j] = ks[j], ks[i]
				}
			case 1: // drop the last key or add one
				if len(ks) > 0 && r.IntN(2) == 0 {
					ks = ks[:len(ks)-1]
				} else {
					ks = append(append([]string(nil), ks...), review3Keys[r.IntN(len(review3Keys))])
				}
			}
			var sb strings.Builder
			review3Doc(r, &sb, 0, ks)
			b := []byte(sb.String() + review3WS(r))
			docs = append(docs, b)
			if r.IntN(6) == 0 && len(b) > 1 {
				c := append([]byte(nil), b...)
				c[r.IntN(len(c))] = `"{}[],:ax\0e.-+`[r.IntN(15)]
				docs = append(docs, c[:len(c)-r.IntN(min(4, len(c)))])
			}
		}
	}
	return docs
}

func TestReview3JSONMatchesPreSession(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	optsList := []JSONOptions{
		{},
		{EventTimeField: "ts"},
		{EventTimeField: "user.ts"},
		{EventTimeField: "a.b"},
		{Separator: "/", EventTimeField: "user/id"},
		{Separator: "::", EventTimeField: "a::ts"},
		{Nesting: NestIgnore, EventTimeField: "user.ts"},
		{Arrays: ArraysIgnore, EventTimeField: "id"},
		{Include: []string{"user", "a"}, EventTimeField: "ts"},
		{Exclude: []string{"user.id", "x.y"}},
		{Include: []string{"user.a", "b", "ab"}, Exclude: []string{"user.a.a"}},
		{InvalidUTF8: UTF8Error, EventTimeField: "a"},
		{MaxDepth: 1},
		{MaxDepth: 2, EventTimeField: "user.ts"},
	}
	n := 6000
	if testing.Short() || raceEnabled {
		n = 1500
	}
	docs := review3Stream(r, n)
	valid := 0
	for _, o := range optsList {
		got, err := NewJSONDecoder(o)
		if err != nil {
			t.Fatal(err)
		}
		want, err := newRefJSONDecoder(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range docs {
			var g, w rec
			graw, gerr := got.Decode(doc, &g)
			wraw, werr := want.Decode(doc, &w)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("%+v %q: error %v, pre-session %v", o, doc, gerr, werr)
			}
			if gerr == nil {
				valid++
			}
			gs, ws := strings.Join(g.out, " "), strings.Join(w.out, " ")
			if gs != ws || fmt.Sprintf("%+v", graw) != fmt.Sprintf("%+v", wraw) {
				t.Fatalf("%+v %q:\ngot  %s %+v\nwant %s %+v", o, doc, gs, graw, ws, wraw)
			}
		}
	}
	if valid < len(docs) {
		t.Fatalf("only %d valid decodes of %d documents × %d options", valid, len(docs), len(optsList))
	}
	t.Logf("%d documents, %d valid decodes", len(docs), valid)
}

func FuzzReview3JSONPreSession(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, d := range review3Stream(r, 40) {
		f.Add(d, uint8(0))
	}
	f.Fuzz(func(t *testing.T, doc []byte, opt uint8) {
		o := JSONOptions{EventTimeField: "ts"}
		if opt&1 != 0 {
			o.InvalidUTF8 = UTF8Error
		}
		if opt&2 != 0 {
			o.Nesting = NestIgnore
		}
		got, _ := NewJSONDecoder(o)
		want, _ := newRefJSONDecoder(o)
		// Twice: the second decode runs with the key cache filled.
		for range 2 {
			var g, w rec
			graw, gerr := got.Decode(doc, &g)
			wraw, werr := want.Decode(doc, &w)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) || strings.Join(g.out, " ") != strings.Join(w.out, " ") ||
				fmt.Sprintf("%+v", graw) != fmt.Sprintf("%+v", wraw) {
				t.Fatalf("%q: got %v %v %+v, pre-session %v %v %+v", doc, gerr, g.out, graw, werr, w.out, wraw)
			}
		}
	})
}
