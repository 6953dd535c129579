package event

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// jsonReference flattens data with encoding/json's tokenizer into the lines
// the JSONDecoder must produce with default options.
func jsonReference(data []byte) ([]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []string
	var path []string
	expectKey := []bool{}
	var key string
	col := func() string {
		return strings.Join(append(append([]string{}, path...), key), ".")
	}
	skipDepth := 0
	first := true
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return out, true
			}
			return nil, false
		}
		if first {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return nil, false
			}
			first = false
			expectKey = append(expectKey, true)
			continue
		}
		if skipDepth > 0 {
			if d, ok := tok.(json.Delim); ok {
				if d == '[' || d == '{' {
					skipDepth++
				} else {
					skipDepth--
				}
			}
			if skipDepth == 0 {
				expectKey[len(expectKey)-1] = true
			}
			continue
		}
		if len(expectKey) > 0 && expectKey[len(expectKey)-1] {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				expectKey = expectKey[:len(expectKey)-1]
				if len(path) > 0 {
					key = path[len(path)-1]
					path = path[:len(path)-1]
				}
				continue
			}
			key = tok.(string)
			expectKey[len(expectKey)-1] = false
			continue
		}
		expectKey[len(expectKey)-1] = true
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' {
				path = append(path, key)
				expectKey = append(expectKey, true)
			} else { // '['
				out = append(out, col()+"=object")
				skipDepth = 1
				expectKey[len(expectKey)-1] = false
			}
		case bool:
			out = append(out, col()+"=bool:"+strconv.FormatBool(v))
		case nil:
			out = append(out, col()+"=null")
		case string:
			out = append(out, col()+"=str:"+strconv.Quote(v))
		case json.Number:
			s := string(v)
			if !strings.ContainsAny(s, ".eE") {
				if i, err := strconv.ParseInt(s, 10, 64); err == nil {
					out = append(out, col()+"=int:"+strconv.FormatInt(i, 10))
					continue
				}
			}
			f, _ := strconv.ParseFloat(s, 64)
			out = append(out, col()+"=float:"+fmtFloat(f))
		}
	}
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1,"b":-2.5e3,"c":"x\u00e9\ud83d\ude00","d":[1,{"e":null}],"f":{"g":{"h":true}}}`,
		`{"big":18446744073709551616,"neg":-0,"f":1e400}`, "{\"bad\":\"\xff\"}", `{"a":"\ud800"}`,
		`{"a":1}x`, `[1]`, `{"a":`, ` { "sp" : [ ] , "o" : { } } `, benchJSON,
	} {
		f.Add([]byte(s))
	}
	d, err := NewJSONDecoder(JSONOptions{MaxDepth: 10000})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r rec
		_, err := d.Decode(data, &r)
		valid := json.Valid(data)
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		isObj := len(trimmed) > 0 && trimmed[0] == '{'
		if err == nil && !valid {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if err != nil {
			if valid && isObj {
				t.Fatalf("rejected valid JSON object %q: %v", data, err)
			}
			if KindOf(err) != KindMalformed {
				t.Fatalf("error kind %v", err)
			}
			e := err.(*Error)
			if e.Offset < 0 || e.Offset > len(data) {
				t.Fatalf("offset %d outside input of %d bytes", e.Offset, len(data))
			}
			return
		}
		want, ok := jsonReference(data)
		if !ok {
			t.Fatalf("reference failed on accepted input %q", data)
		}
		if g, w := strings.Join(r.out, " "), strings.Join(want, " "); g != w {
			t.Fatalf("input %q\ngot  %s\nwant %s", data, g, w)
		}
	})
}

func FuzzAvro(f *testing.F) {
	s := mustSchema(f, richSchema)
	enc := specCodec(f, richSchema)
	r := rand.New(rand.NewPCG(9, 9))
	for range 8 {
		b, err := enc.BinaryFromNative(nil, randNative(r, s.root, 0))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	d, err := NewAvroDecoder(&FixedSchema{schema: s}, AvroOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got rec
		_, err := d.Decode(context.Background(), data, &got)
		if err != nil {
			if KindOf(err) != KindMalformed {
				t.Fatalf("error kind %v", err)
			}
			if e := err.(*Error); e.Offset < 0 || e.Offset > len(data) {
				t.Fatalf("offset %d outside input of %d bytes", e.Offset, len(data))
			}
			return
		}
		// When both accept, they agree. (goavro is more lenient in some
		// places — overlong varints, ints beyond 32 bits — and stricter in
		// others — it decodes array items that a block byte size lets us
		// skip — so acceptance itself is not compared.)
		want, gerr := referenceLines(t, s, data)
		if gerr != nil {
			return
		}
		if g, w := strings.Join(got.out, " "), strings.Join(want, " "); g != w {
			t.Fatalf("input % x\ngot  %s\nwant %s", data, g, w)
		}
	})
}
