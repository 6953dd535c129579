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
