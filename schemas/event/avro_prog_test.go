package event

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/sr"
)

// decodeTree is Decode with the reference tree walker instead of the flat
// program (same resolution, same trailing-bytes check).
func decodeTree(d *AvroDecoder, value []byte, v Visitor) (RawTime, error) {
	s, off, err := d.src.Resolve(context.Background(), value)
	if err != nil {
		return RawTime{}, err
	}
	p, err := d.program(s)
	if err != nil {
		return RawTime{}, err
	}
	d.data, d.v = value, v
	d.raw = RawTime{Field: d.timeField}
	d.depth = 0
	i, e := d.walk(p.root, off)
	d.data, d.v = nil, nil
	if e != nil {
		return RawTime{}, e
	}
	if i != len(value) {
		return RawTime{}, d.err(i, itoa(len(value)-i)+" trailing bytes after the record")
	}
	return d.raw, nil
}

// outcome renders everything a decode observably produces.
func outcome(lines []string, raw RawTime, err error) string {
	var e *Error
	if err != nil {
		if !errors.As(err, &e) {
			return "non-Error " + err.Error()
		}
		return fmt.Sprintf("error kind=%v off=%d msg=%q", e.Kind, e.Offset, e.Msg)
	}
	return fmt.Sprintf("%s | raw %s %d %d %q %d %v", strings.Join(lines, " "), raw.Field, raw.Kind, raw.Unit, raw.Str, raw.Int, fmtFloat(raw.Float))
}

// Schemas exercising nesting, unions of every arity (leaf, record and empty
// record branches), enums, fixed/bytes decimals, arrays, maps and recursion.
var progSchemas = []string{
	richSchema, OrderSchema, OrderFlatSchema, recursiveSchema,
	`["null",` + OrderFlatSchema + `,` + recursiveSchema + `]`,
	`"string"`, `"long"`, `["null","long"]`, `{"type":"array","items":"string"}`,
	`{"type":"record","name":"U","fields":[
	  {"name":"a","type":["null","int","string",{"type":"record","name":"E","fields":[]},
	     {"type":"record","name":"P","fields":[{"name":"x","type":["null","long"]},{"name":"y","type":["string","null"]},
	        {"name":"q","type":{"type":"record","name":"Q","fields":[{"name":"z","type":["null",{"type":"enum","name":"C","symbols":["A","B","C"]}]}]}}]}]},
	  {"name":"b","type":["E","P"]},
	  {"name":"c","type":{"type":"record","name":"K","fields":[{"name":"f","type":"float"},{"name":"g","type":{"type":"fixed","name":"G","size":3}},{"name":"h","type":"boolean"}]}},
	  {"name":"d","type":["null","K"]},
	  {"name":"e","type":{"type":"record","name":"S","fields":[{"name":"s","type":"string"},{"name":"k","type":"K"}]}},
	  {"name":"t","type":["null","string",{"type":"long","logicalType":"timestamp-micros"},"double","float","int"]},
	  {"name":"t_x","type":["null","string"]},
	  {"name":"n","type":"null"}]}`,
	// A skipped record whose constant size does not fit in 32 bits.
	`{"type":"record","name":"H","fields":[{"name":"x","type":"int"},
	  {"name":"big","type":{"type":"record","name":"B","fields":[
	    {"name":"a","type":{"type":"fixed","name":"F1","size":1073741824}},
	    {"name":"b","type":"F1"},{"name":"c","type":"F1"}]}},
	  {"name":"y","type":"int"}]}`,
}

// progOptions are the decoder options every schema is tried with.
var progOptions = []AvroOptions{
	{},
	{EventTimeField: "ts"},
	{EventTimeField: "t"},
	{EventTimeField: "t_x", Separator: "_"}, // two paths spell t_x
	{EventTimeField: "inner.x", Exclude: []string{"inner"}},
	{EventTimeField: "a.x", Nesting: NestIgnore},
	{EventTimeField: "e.s", Include: []string{"e", "d.f", "inner"}},
	{Exclude: []string{"c", "e.k", "d", "inner", "maybe"}},
	{Include: []string{"zz"}},
	{MaxDepth: 1}, {MaxDepth: 2}, {MaxDepth: 3},
	{InvalidUTF8: UTF8Error, EventTimeField: "s"},
	{InvalidUTF8: UTF8Error, Include: []string{"ts", "price", "l", "b", "c"}}, // quiet strings are not validated
	{Separator: "::", EventTimeField: "customer::address::city"},
	{Exclude: []string{"big"}},
}

// mutate returns a corrupted copy of b.
func mutate(r *rand.Rand, b []byte) []byte {
	c := append([]byte(nil), b...)
	switch r.IntN(5) {
	case 0:
		if len(c) > 0 {
			return c[:r.IntN(len(c))]
		}
	case 1:
		for range 1 + r.IntN(3) {
			if len(c) > 0 {
				c[r.IntN(len(c))] = byte(r.Uint32())
			}
		}
	case 2:
		if len(c) > 0 {
			c[r.IntN(len(c))] ^= 0x80
		}
	case 3:
		return append(c, byte(r.Uint32()))
	}
	n := r.IntN(24)
	c = c[:0]
	for range n {
		c = append(c, byte(r.Uint32()))
	}
	return c
}

// TestAvroFlatMatchesTree runs the flat program and the reference tree
// walker on valid, corrupted and random inputs of many schemas and options,
// with a plain visitor and with a Record (the decoder's direct path): calls,
// raw event time, errors and error offsets must be identical.
func TestAvroFlatMatchesTree(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := 300
	if testing.Short() {
		n = 60
	}
	for si, schema := range progSchemas {
		s := mustSchema(t, schema)
		enc := specCodec(t, schema)
		var inputs [][]byte
		for range n {
			if strings.Contains(schema, "1073741824") {
				// Too big to encode: random short inputs only.
				inputs = append(inputs, mutate(r, []byte{2, 4, 6}))
				continue
			}
			b, err := enc.BinaryFromNative(nil, randNative(r, s.root, 0))
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			inputs = append(inputs, b, mutate(r, b))
		}
		for oi, o := range progOptions {
			d, err := NewAvroDecoder(&FixedSchema{schema: s}, o)
			if err != nil {
				t.Fatal(err)
			}
			var rcd Record
			for k, b := range inputs {
				var want rec
				wraw, werr := decodeTree(d, b, &want)
				w := outcome(want.out, wraw, werr)
				var got rec
				graw, gerr := d.Decode(context.Background(), b, &got)
				if g := outcome(got.out, graw, gerr); g != w {
					t.Fatalf("schema %d options %d input %d % x\nflat %s\ntree %s", si, oi, k, b, g, w)
				}
				rcd.Reset()
				graw, gerr = d.Decode(context.Background(), b, &rcd)
				var replayed rec
				rcd.Replay(&replayed)
				if g := outcome(replayed.out, graw, gerr); werr == nil && g != w || werr != nil && outcome(nil, graw, gerr) != w {
					t.Fatalf("schema %d options %d input %d % x\nrecord %s\ntree   %s", si, oi, k, b, g, w)
				}
				if werr != nil && strings.Join(replayed.out, " ") != strings.Join(want.out, " ") {
					// Partial records report the same prefix.
					t.Fatalf("schema %d options %d input %d: partial record %v, want %v", si, oi, k, replayed.out, want.out)
				}
			}
		}
	}
}

// TestAvroFlatProgram checks the shape of the flat program of the benchmark
// schema: one instruction per leaf plus one per union, no tree calls.
func TestAvroFlatProgram(t *testing.T) {
	src, _ := NewFixedSchema(OrderFlatSchema)
	d, _ := NewAvroDecoder(src, AvroOptions{})
	p, err := d.program(src.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.code) != 12 || len(p.trees) != 0 { // optional fields are one instruction
		t.Errorf("%d instructions, %d tree calls; want 12, 0", len(p.code), len(p.trees))
	}
	// Rich schema: arrays, maps and the recursive/skipped parts go to the
	// tree walker; the MaxDepth check is an instruction.
	s := mustSchema(t, richSchema)
	d, _ = NewAvroDecoder(&FixedSchema{schema: s}, AvroOptions{MaxDepth: 2})
	p, _ = d.program(s)
	var depth, tree int
	for _, in := range p.code {
		switch in.op {
		case pDepth:
			depth++
		case pTree:
			tree++
		}
	}
	if depth != 2 || tree != 5 { // inner.deep and maybe.deep; ai ad ms ar mm
		t.Errorf("depth checks %d, tree calls %d", depth, tree)
	}
}

// FuzzAvroFlat compares the flat program with the tree walker on arbitrary
// input for schemas with unions of records, recursion and nesting.
func FuzzAvroFlat(f *testing.F) {
	r := rand.New(rand.NewPCG(13, 14))
	type dec struct{ d *AvroDecoder }
	var decs []dec
	for k, schema := range []string{progSchemas[9], richSchema, progSchemas[4]} {
		s := mustSchema(f, schema)
		enc := specCodec(f, schema)
		for range 4 {
			b, err := enc.BinaryFromNative(nil, randNative(r, s.root, 0))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(k), b)
		}
		for _, o := range []AvroOptions{{EventTimeField: "t"}, {MaxDepth: 2, EventTimeField: "ts"}} {
			d, err := NewAvroDecoder(&FixedSchema{schema: s}, o)
			if err != nil {
				f.Fatal(err)
			}
			decs = append(decs, dec{d})
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		d := decs[int(which)%len(decs)].d
		var want, got rec
		wraw, werr := decodeTree(d, data, &want)
		graw, gerr := d.Decode(context.Background(), data, &got)
		if g, w := outcome(got.out, graw, gerr), outcome(want.out, wraw, werr); g != w {
			t.Fatalf("input % x\nflat %s\ntree %s", data, g, w)
		}
	})
}

// refUvarint is the plain byte loop of the Avro spec (at most 10 bytes).
func refUvarint(b []byte) (uint64, int) {
	var u uint64
	for k := 0; k < 10 && k < len(b); k++ {
		u |= uint64(b[k]&0x7f) << (7 * k)
		if b[k] < 0x80 {
			return u, k + 1
		}
	}
	return 0, 0
}

// TestUvarint8 compares the word-at-a-time decoder with the byte loop on
// random inputs of every varint length and input length, at every offset.
func TestUvarint8(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for range 200000 {
		b := make([]byte, r.IntN(14))
		for k := range b {
			b[k] = byte(r.Uint32())
			if r.IntN(3) == 0 {
				b[k] &= 0x7f
			}
		}
		i := 0
		if len(b) > 0 {
			i = r.IntN(len(b) + 1)
		}
		u, n := uvarint8(b, i)
		if n == 0 {
			// Declined: fewer than 8 bytes left, or no final byte in 8.
			if len(b)-i >= 8 {
				if _, rn := refUvarint(b[i:]); rn > 0 && rn <= 8 {
					t.Fatalf("% x at %d: declined a %d-byte varint", b, i, rn)
				}
			}
			continue
		}
		ru, rn := refUvarint(b[i:])
		if u != ru || n != rn {
			t.Fatalf("% x at %d: got %d/%d, want %d/%d", b, i, u, n, ru, rn)
		}
	}
}

// TestValidUTF8 compares the ASCII fast path with utf8.Valid on strings of
// every length up to 40 with at most two non-ASCII bytes anywhere.
func TestValidUTF8(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for n := range 41 {
		for range 2000 {
			b := make([]byte, n)
			for k := range b {
				b[k] = byte('a' + r.IntN(26))
			}
			for range r.IntN(3) {
				if n > 0 {
					b[r.IntN(n)] = byte(0x80 + r.IntN(128))
				}
			}
			if r.IntN(4) == 0 && n >= 2 { // a valid 2-byte sequence
				k := r.IntN(n - 1)
				b[k], b[k+1] = 0xc3, 0xa9
			}
			if got, want := validUTF8(b), utf8.Valid(b); got != want {
				t.Fatalf("% x: got %v, want %v", b, got, want)
			}
		}
	}
}

// TestRegistryDecoderCache: a decoder reading from a Registry parses the
// header and caches the last id itself; errors, results and hit counts
// are those of Registry.Resolve.
func TestRegistryDecoderCache(t *testing.T) {
	f := newFlakyRegistry(t)
	f.fake.SeedSchema("orders-value", 1, 42, sr.Schema{Schema: OrderFlatSchema})
	f.fake.SeedSchema("other-value", 1, 44, sr.Schema{Schema: `{"type":"record","name":"O","fields":[{"name":"k","type":"string"}]}`})
	reg := newRegistrySource(t, f.srv.URL, RegistryOptions{})
	ref := newRegistrySource(t, f.srv.URL, RegistryOptions{})
	dec, _ := NewAvroDecoder(reg, AvroOptions{EventTimeField: "ts"})
	if dec.reg == nil {
		t.Fatal("decoder does not use the registry path")
	}
	order := encode(t, OrderFlatSchema, flatOrder())
	values := [][]byte{
		wire(42, order), wire(42, order), wire(44, []byte{2, 'z'}), wire(42, order), wire(99, order),
		wire(42, order), {}, {0, 0, 0, 42}, {1, 0, 0, 0, 42, 0}, wire(44, []byte{2, 'y'}), wire(99, nil),
		wire(44, []byte{2}), wire(42, order[:5]), wire(44, []byte{2, 'w'}),
	}
	ctx := context.Background()
	successes := 0
	for k, v := range values {
		var got rec
		graw, gerr := dec.Decode(ctx, v, &got)
		// Reference: Resolve, then the payload through a fixed schema.
		var want rec
		var wraw RawTime
		s, off, werr := ref.Resolve(ctx, v)
		if werr == nil {
			fd, _ := NewAvroDecoder(&FixedSchema{schema: s}, AvroOptions{EventTimeField: "ts"})
			wraw, werr = fd.Decode(ctx, v[off:], &want)
			if e, ok := werr.(*Error); ok && e.Offset >= 0 {
				e.Offset += off
			}
		}
		if g, w := outcome(got.out, graw, gerr), outcome(want.out, wraw, werr); g != w {
			t.Fatalf("value %d % x:\ngot  %s\nwant %s", k, v, g, w)
		}
		if gerr == nil || KindOf(gerr) == KindMalformed && len(v) >= WireHeaderSize && v[0] == 0 {
			successes++ // the schema was found
		}
	}
	gs, rs := reg.Stats(), ref.Stats()
	if gs.Hits != rs.Hits || gs.Fetches != rs.Fetches || gs.NegHits != rs.NegHits || gs.Hits+gs.Fetches-gs.Unknown != uint64(successes) {
		t.Errorf("stats %+v, reference %+v, %d lookups found a schema", gs, rs, successes)
	}
}
