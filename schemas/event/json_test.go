package event

import (
	"errors"
	"strings"
	"testing"
)

func decodeJSON(t *testing.T, opts JSONOptions, in string) (string, RawTime, error) {
	t.Helper()
	d, err := NewJSONDecoder(opts)
	if err != nil {
		t.Fatalf("NewJSONDecoder: %v", err)
	}
	var r rec
	raw, err := d.Decode([]byte(in), &r)
	return r.String_(), raw, err
}

func TestJSONValues(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty object", `{}`, ``},
		{"whitespace", " \t\r\n{ \"a\" : 1 , \"b\":2 }\n ", `a=int:1 b=int:2`},
		{"literals", `{"t":true,"f":false,"n":null}`, `t=bool:true f=bool:false n=null`},
		{"ints", `{"a":0,"b":-0,"c":42,"d":-17,"e":9223372036854775807,"f":-9223372036854775808}`,
			`a=int:0 b=int:0 c=int:42 d=int:-17 e=int:9223372036854775807 f=int:-9223372036854775808`},
		{"big ints become floats", `{"a":9223372036854775808,"b":-9223372036854775809,"c":18446744073709551615,"d":123456789012345678901234567890}`,
			`a=float:9.223372036854776e+18 b=float:-9.223372036854776e+18 c=float:1.8446744073709552e+19 d=float:1.2345678901234568e+29`},
		{"floats", `{"a":1.5,"b":-0.0,"c":1e3,"d":1E-3,"e":2.5e+2,"f":0.1,"g":1.0}`,
			`a=float:1.5 b=float:-0 c=float:1000 d=float:0.001 e=float:250 f=float:0.1 g=float:1`},
		{"float overflow is inf", `{"a":1e400,"b":-1e400,"c":1e-400}`, `a=float:+Inf b=float:-Inf c=float:0`},
		{"strings", `{"a":"","b":"héllo ✓","c":"x y"}`, `a=str:"" b=str:"héllo ✓" c=str:"x y"`},
		{"escapes", `{"a":"\"\\\/\b\f\n\r\t","b":"\u0041\u00e9\u2713","c":"\ud83d\ude00","d":"x\u0000y"}`,
			`a=str:"\"\\/\b\f\n\r\t" b=str:"Aé✓" c=str:"😀" d=str:"x\x00y"`},
		{"lone surrogates", `{"a":"\ud83d","b":"\ude00x","c":"\ud83d\u0041"}`,
			`a=str:"\ufffd" b=str:"\ufffdx" c=str:"\ufffdA"`},
		{"escaped key", `{"a\u002eb":1,"\u00e9":2}`, `a.b=int:1 é=int:2`},
		{"nested flatten", `{"user":{"id":7,"address":{"city":"Berlin","zip":null}},"ok":true}`,
			`user.id=int:7 user.address.city=str:"Berlin" user.address.zip=null ok=bool:true`},
		{"empty nested", `{"a":{},"b":1}`, `b=int:1`},
		{"empty keys", `{"":{"":{"":true}},"x":{"":1}}`, `..=bool:true x.=int:1`},
		{"arrays are objects", `{"a":[1,2,{"x":[]}],"b":[],"c":"z"}`, `a=object b=object c=str:"z"`},
		{"duplicate keys reported twice", `{"a":1,"a":2}`, `a=int:1 a=int:2`},
		{"invalid utf8 replaced", "{\"a\":\"x\xffy\xc3\"}", `a=str:"x\ufffdy\ufffd"`},
		{"invalid utf8 with escape", "{\"a\":\"\\n\xff\"}", `a=str:"\n\ufffd"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := decodeJSON(t, JSONOptions{}, c.in)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if want := strings.ReplaceAll(c.want, `\ufffd`, "\ufffd"); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestJSONOptions(t *testing.T) {
	in := `{"a":1,"user":{"id":7,"address":{"city":"B","zip":"1"},"tags":["x"]},"arr":[1],"z":"q"}`
	cases := []struct {
		name string
		opts JSONOptions
		want string
	}{
		{"default", JSONOptions{}, `a=int:1 user.id=int:7 user.address.city=str:"B" user.address.zip=str:"1" user.tags=object arr=object z=str:"q"`},
		{"separator", JSONOptions{Separator: "__"}, `a=int:1 user__id=int:7 user__address__city=str:"B" user__address__zip=str:"1" user__tags=object arr=object z=str:"q"`},
		{"ignore nesting", JSONOptions{Nesting: NestIgnore}, `a=int:1 arr=object z=str:"q"`},
		{"ignore arrays", JSONOptions{Arrays: ArraysIgnore}, `a=int:1 user.id=int:7 user.address.city=str:"B" user.address.zip=str:"1" z=str:"q"`},
		{"include leaf", JSONOptions{Include: []string{"user.address.city", "z"}}, `user.address.city=str:"B" z=str:"q"`},
		{"include subtree", JSONOptions{Include: []string{"user.address"}}, `user.address.city=str:"B" user.address.zip=str:"1"`},
		{"include prefix is not a match", JSONOptions{Include: []string{"us"}}, ``},
		{"exclude leaf", JSONOptions{Exclude: []string{"a", "user.address.zip"}}, `user.id=int:7 user.address.city=str:"B" user.tags=object arr=object z=str:"q"`},
		{"exclude subtree", JSONOptions{Exclude: []string{"user"}}, `a=int:1 arr=object z=str:"q"`},
		{"exclude wins", JSONOptions{Include: []string{"user"}, Exclude: []string{"user.address"}}, `user.id=int:7 user.tags=object`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := decodeJSON(t, c.opts, in)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestJSONEventTime(t *testing.T) {
	cases := []struct {
		field, in string
		kind      TimeKind
		str       string
		i         int64
		f         float64
	}{
		{"ts", `{"ts":"2026-11-26T07:40:00Z"}`, TimeString, "2026-11-26T07:40:00Z", 0, 0},
		{"ts", `{"ts":1700000000123}`, TimeInt, "", 1700000000123, 0},
		{"ts", `{"ts":1700000000.5}`, TimeFloat, "", 0, 1700000000.5},
		{"ts", `{"ts":null}`, TimeNone, "", 0, 0},
		{"ts", `{"a":1}`, TimeNone, "", 0, 0},
		{"meta.ts", `{"meta":{"ts":5}}`, TimeInt, "", 5, 0},
		{"ts", `{"ts":"a\u0041"}`, TimeString, "aA", 0, 0},
	}
	for _, c := range cases {
		_, raw, err := decodeJSON(t, JSONOptions{EventTimeField: c.field, Exclude: []string{c.field}}, c.in)
		if err != nil {
			t.Fatal(err)
		}
		if raw.Kind != c.kind || string(raw.Str) != c.str || raw.Int != c.i || raw.Float != c.f || raw.Field != c.field {
			t.Errorf("%s: got %+v", c.in, raw)
		}
	}
	// Nested event time under NestIgnore is still found.
	got, raw, err := decodeJSON(t, JSONOptions{EventTimeField: "m.t", Nesting: NestIgnore}, `{"m":{"t":9},"x":1}`)
	if err != nil || raw.Int != 9 || got != "x=int:1" {
		t.Errorf("ignore nesting: %q %+v %v", got, raw, err)
	}
	// Inside arrays it is not.
	_, raw, _ = decodeJSON(t, JSONOptions{EventTimeField: "a.t"}, `{"a":[{"t":1}]}`)
	if raw.Found() {
		t.Errorf("found event time inside an array: %+v", raw)
	}
}

func TestJSONErrors(t *testing.T) {
	cases := []struct {
		in     string
		off    int
		substr string
	}{
		{``, 0, "empty input"},
		{`   `, 3, "empty input"},
		{`[1]`, 0, "not an object"},
		{`"x"`, 0, "not an object"},
		{`{"a":1}x`, 7, "trailing"},
		{`{"a":1}{}`, 7, "trailing"},
		{`{"a":1`, 6, "end of input"},
		{`{"a":`, 5, "end of input"},
		{`{"a"`, 4, "':'"},
		{`{"a" 1}`, 5, "':'"},
		{`{a:1}`, 1, "key"},
		{`{"a":1,}`, 7, "key"},
		{`{"a":1 "b":2}`, 7, "','"},
		{`{"a":01}`, 6, "','"},
		{`{"a":-}`, 6, "invalid number"},
		{`{"a":1.}`, 7, "invalid number"},
		{`{"a":1e}`, 7, "invalid number"},
		{`{"a":.5}`, 5, "invalid character"},
		{`{"a":+1}`, 5, "invalid character"},
		{`{"a":tru}`, 5, "invalid literal"},
		{`{"a":nul`, 5, "invalid literal"},
		{`{"a":NaN}`, 5, "invalid character"},
		{`{"a":"x`, 7, "unterminated string"},
		{`{"a":"x\`, 8, "unterminated escape"},
		{`{"a":"\x"}`, 6, "invalid escape"},
		{`{"a":"\u12G4"}`, 6, `\u escape`},
		{`{"a":"\u12"}`, 6, `\u escape`},
		{"{\"a\":\"x\ty\"}", 7, "control character"},
		{`{"a":[1,]}`, 8, "invalid character"},
		{`{"a":[1 2]}`, 8, "','"},
		{`{"a":[`, 6, "end of input"},
		{`{"a":{"b":}}`, 10, "invalid character"},
		{`{"a":1}}`, 7, "trailing"},
	}
	for _, c := range cases {
		_, _, err := decodeJSON(t, JSONOptions{}, c.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: want *Error, got %v", c.in, err)
			continue
		}
		if !errors.Is(err, ErrMalformed) || KindOf(err) != KindMalformed || IsRetryable(err) {
			t.Errorf("%q: wrong kind: %v", c.in, err)
		}
		if e.Offset != c.off || !strings.Contains(e.Msg, c.substr) {
			t.Errorf("%q: got offset %d msg %q, want offset %d containing %q", c.in, e.Offset, e.Msg, c.off, c.substr)
		}
	}
}

func TestJSONStrictUTF8(t *testing.T) {
	_, _, err := decodeJSON(t, JSONOptions{InvalidUTF8: UTF8Error}, "{\"a\":\"ok\xe2\x82\"}")
	var e *Error
	if !errors.As(err, &e) || e.Offset != 8 || !strings.Contains(e.Msg, "UTF-8") {
		t.Fatalf("got %v", err)
	}
	// Valid multi-byte text passes in strict mode.
	got, _, err := decodeJSON(t, JSONOptions{InvalidUTF8: UTF8Error}, `{"a":"€😀"}`)
	if err != nil || got != `a=str:"€😀"` {
		t.Fatalf("got %q %v", got, err)
	}
}

func TestJSONMaxDepth(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 5) + "1" + strings.Repeat("}", 5)
	if _, _, err := decodeJSON(t, JSONOptions{MaxDepth: 5}, deep); err != nil {
		t.Fatalf("depth 5 within limit 5: %v", err)
	}
	if _, _, err := decodeJSON(t, JSONOptions{MaxDepth: 4}, deep); err == nil || !strings.Contains(err.Error(), "MaxDepth") {
		t.Fatalf("depth 5 over limit 4: %v", err)
	}
	arr := `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "}"
	if _, _, err := decodeJSON(t, JSONOptions{}, arr); err == nil {
		t.Fatalf("deep arrays accepted")
	}
	if _, err := NewJSONDecoder(JSONOptions{MaxDepth: -1}); !errors.Is(err, ErrInvalidOption) || KindOf(err) != KindNone {
		t.Fatal("MaxDepth -1 accepted")
	}
	if _, err := NewJSONDecoder(JSONOptions{Include: []string{""}}); !errors.Is(err, ErrInvalidOption) {
		t.Fatal("empty include accepted")
	}
}

// The decoder is reusable and names are interned: the same column yields the
// same string data pointer across records.
func TestJSONInterning(t *testing.T) {
	d, _ := NewJSONDecoder(JSONOptions{})
	var cols []string
	v := &colGrab{f: func(c string) { cols = append(cols, c) }}
	for range 3 {
		if _, err := d.Decode([]byte(`{"user":{"id":1}}`), v); err != nil {
			t.Fatal(err)
		}
	}
	if len(cols) != 3 || cols[0] != "user.id" || !samePtr(cols[0], cols[2]) {
		t.Fatalf("cols %q not interned", cols)
	}
	in := []byte(`{"user":{"id":1,"n":"x\u00e9"},"f":1.5,"a":[1],"t":true,"z":null}`)
	nv := &nop{}
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = d.Decode(in, nv)
	})
	if allocs != 0 {
		t.Errorf("steady-state allocations = %v, want 0", allocs)
	}
}

type colGrab struct {
	nop
	f func(string)
}

func (c *colGrab) Int(col string, _ int64) { c.f(col) }

func samePtr(a, b string) bool {
	return len(a) == len(b) && (len(a) == 0 || &[]byte(a)[0] != nil && unsafeData(a) == unsafeData(b))
}
