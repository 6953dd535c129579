package event

import (
	"math/rand/v2"
	"testing"
)

// The Record fast path scans a zero-padded copy of the input (recordPad).
// Every prefix of records whose members the fast path decodes (so the end
// of the input falls inside a key, after a colon, inside a string, number or
// literal, before a separator...), and every one-byte change of them to a
// byte the loop looks for or to a zero byte (which the padding holds), must
// decode as with the plain decoder: same columns, values, event time,
// errors and offsets. The stream repeats the full record between the
// variants so the key cache stays warm.
func TestJSONRecordPaddedScanEnds(t *testing.T) {
	full := [][]byte{
		[]byte(benchJSON),
		[]byte(`{"k":"v","key_long_enough":null,"t":true,"f":false,"n":-12.5e1,"s":"abcdefghijklmnop","i":7}`),
		[]byte(`{"a":1,"b":"","c":"x","d":0,"e":"\u00e9","an_even_longer_key_of_more_than_24":2}`),
	}
	r := rand.New(rand.NewPCG(5, 6))
	subst := []byte("\x00\"\\:,}{[] \t\n0-9.eEntfaulr\x01\x7f\x80\xff")
	for _, doc := range full {
		var docs [][]byte
		for n := 0; n <= len(doc); n++ {
			docs = append(docs, doc, doc[:n:n])
		}
		for p := range doc {
			for _, c := range subst {
				if c == doc[p] {
					continue
				}
				b := append([]byte(nil), doc...)
				b[p] = c
				docs = append(docs, doc, b)
				if r.IntN(4) == 0 { // and cut right after the change
					docs = append(docs, doc, b[:p+1:p+1])
				}
			}
		}
		for _, o := range []JSONOptions{{EventTimeField: "ts"}, {EventTimeField: "s"}, {EventTimeField: "n"}} {
			if hits := checkRecordFast(t, o, docs); hits < len(docs)/2 {
				t.Fatalf("%q: only %d fast members in %d documents", doc, hits, len(docs))
			}
		}
	}
}

// keyEntry.fnp, the Record fast path's combined "fast and long enough"
// test, is np exactly when the entry is fast and noFast otherwise, after
// every record of streams whose keys keep changing (a zero fnp would let the
// fast path match any input).
func TestKeyEntryFnp(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	docs := keyDocs(r, 2000)
	for range 2000 {
		docs = append(docs, flatDoc(r))
	}
	for _, o := range []JSONOptions{{EventTimeField: "ts"}, {Include: []string{"ts"}}, {Nesting: NestIgnore}} {
		d, _ := NewJSONDecoder(o)
		var rec Record
		for _, doc := range docs {
			rec.Reset()
			d.Decode(doc, &rec) //nolint:errcheck // errors are part of the stream
			for k := range d.keys {
				e := &d.keys[k]
				if want := map[bool]int{true: e.np, false: noFast}[e.fast]; e.fnp != want || e.fast && e.np == 0 {
					t.Fatalf("%+v after %q: entry %d fast %v np %d fnp %d", o, doc, k, e.fast, e.np, e.fnp)
				}
			}
		}
	}
}

// Numbers of every form (numCorpus: integers around the int64 bounds, long
// and short decimals, exponents, leading zeros, corrupted forms) as values
// the Record fast path decodes, followed by a separator, the closing brace,
// whitespace or the end of the input: the inline integer path and parseNum
// must report what the plain decoder reports.
func TestJSONRecordNumbers(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	warm := []byte(`{"a_key":1,"b":2}`)
	var docs [][]byte
	for _, s := range numCorpus(r, 30000) {
		for _, tail := range []string{`,"b":2}`, `}`, ` }`, ``, `,`} {
			docs = append(docs, warm, []byte(`{"a_key":`+s+tail))
		}
	}
	for _, o := range []JSONOptions{{EventTimeField: "a_key"}, {}} {
		if hits := checkRecordFast(t, o, docs); hits < len(docs)/2 {
			t.Fatalf("%+v: only %d fast members in %d documents", o, hits, len(docs))
		}
	}
}
