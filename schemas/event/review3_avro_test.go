package event

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// refLong is AvroDecoder.long as it was before session 3 (the byte loop).
func refLong(d *AvroDecoder, i int) (int64, int, *Error) {
	data := d.data
	var u uint64
	var shift uint
	for k := 0; k < 10; k++ {
		if i >= len(data) {
			return 0, i, d.err(i, "truncated varint")
		}
		b := data[i]
		i++
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(u>>1) ^ -int64(u&1), i, nil
		}
		shift += 7
	}
	return 0, i, d.err(i-10, "varint longer than 10 bytes")
}

// Review (session 3): long (word-at-a-time up to 8 bytes, unchecked loop
// with 10 bytes left) agrees with the byte loop on varints of every length
// 1-11 (overlong encodings of small values, 10th bytes with high bits that
// shift out, negative zig-zag values), at every truncation, with every
// amount of trailing input, and at every start offset.
func TestReview3AvroLongMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var vints [][]byte
	for l := 1; l <= 11; l++ {
		for range 200 {
			v := make([]byte, l)
			for k := range v {
				switch r.IntN(4) {
				case 0:
					v[k] = 0x80
				case 1:
					v[k] = 0xff
				default:
					v[k] = byte(r.Uint32()) | 0x80
				}
			}
			v[l-1] &^= 0x80 // the last byte ends the varint (except where 11 bytes)
			if l == 11 {
				v[l-1] |= 0x80
			}
			if l == 10 && r.IntN(2) == 0 {
				v[9] = byte(r.IntN(0x80)) // high bits of byte 10 beyond 64 bits
			}
			vints = append(vints, v)
		}
	}
	vints = append(vints, []byte{0x80, 0}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1},
		[]byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0})
	d := &AvroDecoder{}
	for _, v := range vints {
		for pre := 0; pre <= 3; pre++ {
			for trunc := 0; trunc <= len(v); trunc++ {
				for tail := 0; tail <= 12; tail++ {
					if trunc < len(v) && tail > 0 {
						break
					}
					buf := make([]byte, pre, pre+len(v)+tail)
					buf = append(buf, v[:trunc]...)
					for range tail {
						buf = append(buf, byte(r.Uint32()))
					}
					d.data = buf
					gv, gi, ge := d.long(pre)
					wv, wi, we := refLong(d, pre)
					if gv != wv || gi != wi || !reflect.DeepEqual(ge, we) {
						t.Fatalf("% x at %d: long (%d, %d, %v), reference (%d, %d, %v)", buf, pre, gv, gi, ge, wv, wi, we)
					}
					if l, j, err := d.length(pre); err == nil && (l < 0 || j+l > len(buf)) {
						t.Fatalf("% x: length %d at %d beyond the input", buf, l, j)
					}
				}
			}
		}
	}
}

// Review (session 3): every prefix of valid encodings, and every single-byte
// change to 0x00, 0x7f, 0x80 and 0xff, decodes identically through the flat
// program, the Record-direct program and the tree walker.
func TestReview3AvroEveryTruncation(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	n := 4
	if testing.Short() || raceEnabled {
		n = 1
	}
	for si, schema := range progSchemas {
		if strings.Contains(schema, "1073741824") {
			continue
		}
		s := mustSchema(t, schema)
		enc := specCodec(t, schema)
		var inputs [][]byte
		for range n {
			b, err := enc.BinaryFromNative(nil, randNative(r, s.root, 0))
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			for k := 0; k <= len(b); k++ {
				inputs = append(inputs, b[:k:k])
			}
			for k := range b {
				for _, c := range []byte{0, 0x7f, 0x80, 0xff} {
					m := append([]byte(nil), b...)
					m[k] = c
					inputs = append(inputs, m)
				}
			}
		}
		for oi, o := range progOptions {
			d, err := NewAvroDecoder(&FixedSchema{schema: s}, o)
			if err != nil {
				t.Fatal(err)
			}
			var rcd Record
			for _, b := range inputs {
				var want, got, replayed rec
				wraw, werr := decodeTree(d, b, &want)
				w := outcome(want.out, wraw, werr)
				graw, gerr := d.Decode(context.Background(), b, &got)
				if g := outcome(got.out, graw, gerr); g != w {
					t.Fatalf("schema %d options %d % x\nflat %s\ntree %s", si, oi, b, g, w)
				}
				rcd.Reset()
				graw, gerr = d.Decode(context.Background(), b, &rcd)
				rcd.Replay(&replayed)
				if g := outcome(replayed.out, graw, gerr); g != w {
					t.Fatalf("schema %d options %d % x\nrecord %s\ntree   %s", si, oi, b, g, w)
				}
			}
		}
	}
}
