package event

import (
	"strings"
	"testing"
)

func TestRecordBufferReplay(t *testing.T) {
	d, _ := NewJSONDecoder(JSONOptions{})
	var r Record
	in := []byte(`{"a":"x\n","b":1,"c":1.5,"d":true,"e":null,"f":[1],"a":"y"}`)
	if _, err := d.Decode(in, &r); err != nil {
		t.Fatal(err)
	}
	var direct, replayed rec
	if _, err := d.Decode(in, &direct); err != nil {
		t.Fatal(err)
	}
	r.Replay(&replayed)
	if g, w := strings.Join(replayed.out, " "), strings.Join(direct.out, " "); g != w || r.Len() != 7 {
		t.Fatalf("replay %s\nwant   %s", g, w)
	}
	if v, ok := r.Lookup("a"); !ok || v.Kind != StringValue || string(v.Str) != "y" {
		t.Errorf("lookup a: %+v %v", v, ok)
	}
	if v, ok := r.Lookup("c"); !ok || v.Kind != FloatValue || v.Float != 1.5 {
		t.Errorf("lookup c: %+v", v)
	}
	if _, ok := r.Lookup("zz"); ok {
		t.Error("lookup of a missing column")
	}
	if a, c, zz := r.LastIndex("a"), r.LastIndex("c"), r.LastIndex("zz"); a != 6 || c != 2 || zz != -1 {
		t.Errorf("LastIndex a, c, zz = %d, %d, %d; want 6, 2, -1", a, c, zz)
	}
	if v := r.At(0); string(v.Str) != "x\n" {
		t.Errorf("At(0) = %+v", v)
	}
	// Values survive later reuse of the decoder's scratch buffers.
	if _, err := d.Decode([]byte(`{"q":"\u0041\u0042\u0043\u0044"}`), &nop{}); err != nil {
		t.Fatal(err)
	}
	if v := r.At(0); string(v.Str) != "x\n" {
		t.Errorf("At(0) after reuse = %q", v.Str)
	}
	r.Reset()
	if r.Len() != 0 {
		t.Error("reset")
	}
	allocs := testing.AllocsPerRun(50, func() {
		r.Reset()
		_, _ = d.Decode(in, &r)
	})
	if allocs != 0 {
		t.Errorf("steady-state allocs %v", allocs)
	}
}

// TestRecordAccessors checks KindAt/ColAt/…At against At, and that the
// positional name table survives records with other names, other orders
// and other lengths (the names of a shorter record must not leak).
func TestRecordAccessors(t *testing.T) {
	d, _ := NewJSONDecoder(JSONOptions{})
	inputs := []string{
		`{"a":"x","b":1,"c":1.5,"d":true,"e":null,"f":[1],"g":false}`,
		`{"b":2,"a":"yy"}`,
		`{"a":"x","b":1,"c":1.5,"d":true,"e":null,"f":[1],"g":false,"h":"more","i":-7}`,
		`{"q":{"r":1,"s":"t"},"a":"z"}`,
		`{}`,
	}
	var r Record
	for round := range 3 {
		for _, in := range inputs {
			r.Reset()
			if _, err := d.Decode([]byte(in), &r); err != nil {
				t.Fatal(err)
			}
			var direct rec
			_, _ = d.Decode([]byte(in), &direct)
			var replayed rec
			r.Replay(&replayed)
			if g, w := strings.Join(replayed.out, " "), strings.Join(direct.out, " "); g != w {
				t.Fatalf("round %d %s: replay %s, want %s", round, in, g, w)
			}
			for i := range r.Len() {
				v := r.At(i)
				if r.KindAt(i) != v.Kind || r.ColAt(i) != v.Col {
					t.Fatalf("%s #%d: kind/col %v %q, At %+v", in, i, r.KindAt(i), r.ColAt(i), v)
				}
				ok := true
				switch v.Kind {
				case BoolValue:
					ok = r.BoolAt(i) == v.Bool
				case IntValue:
					ok = r.IntAt(i) == v.Int
				case FloatValue:
					ok = r.FloatAt(i) == v.Float
				case StringValue:
					ok = string(r.BytesAt(i)) == string(v.Str)
				}
				if !ok {
					t.Fatalf("%s #%d: accessor differs from At %+v", in, i, v)
				}
				if j := r.LastIndex(v.Col); j < i || r.ColAt(j) != v.Col {
					t.Fatalf("%s: LastIndex(%q) = %d", in, v.Col, j)
				}
			}
			if r.LastIndex("h") >= 0 && !strings.Contains(in, `"h"`) {
				t.Fatalf("%s: a name of an earlier, longer record leaked", in)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("ColAt past Len did not panic")
		}
	}()
	r.Reset()
	_ = r.ColAt(0)
}

// TestRecordNameIdentity: names sharing bytes (same pointer, other length)
// or equal names at other addresses are stored correctly.
func TestRecordNameIdentity(t *testing.T) {
	s := "abcdef"
	var r Record
	r.Int(s[:2], 1)
	r.Reset()
	r.Int(s[:3], 2) // same data pointer, longer
	if r.ColAt(0) != "abc" {
		t.Errorf("col %q", r.ColAt(0))
	}
	r.Reset()
	r.Int(string([]byte("abc")), 3) // equal name, another string
	r.Reset()
	r.Int(s[3:], 4)
	if v := r.At(0); v.Col != "def" || v.Int != 4 {
		t.Errorf("At %+v", v)
	}
}
