package profilefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

func float64frombits(b []byte) float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

// wireSpec describes, for the canonicaliser below, which fields of a message
// are maps (with the spec of the map value, nil for scalars) and which are
// nested messages that themselves contain maps.
type wireSpec struct {
	maps map[protowire.Number]*wireSpec
	msgs map[protowire.Number]*wireSpec
}

var (
	specV1Properties = &wireSpec{maps: map[protowire.Number]*wireSpec{6: nil, 7: nil}}
	specV1Segment    = &wireSpec{maps: map[protowire.Number]*wireSpec{5: nil}}
	specV1Header     = &wireSpec{
		maps: map[protowire.Number]*wireSpec{2: nil, 5: nil},
		msgs: map[protowire.Number]*wireSpec{1: specV1Properties},
	}
	specV1Chunk = &wireSpec{maps: map[protowire.Number]*wireSpec{1: nil}}

	specV0Numbers = &wireSpec{}
	specV0Column  = &wireSpec{msgs: map[protowire.Number]*wireSpec{
		3: {maps: map[protowire.Number]*wireSpec{1: nil}}, // schema.typeCounts
		5: {msgs: map[protowire.Number]*wireSpec{ // strings
			7: {maps: map[protowire.Number]*wireSpec{2: specV0Numbers}}, // char_pos_map
		}},
	}}
	specV0Profile = &wireSpec{
		maps: map[protowire.Number]*wireSpec{2: specV0Column},
		msgs: map[protowire.Number]*wireSpec{1: specV1Properties}, // v0 properties: maps 6, 7 too
	}
)

// canonical re-encodes a protobuf message at the wire level with the entries
// of every map field sorted by their encoded bytes (recursively, as far as
// spec describes). Everything else, including the order of non-map fields, is
// kept byte for byte. Two encodings that differ only in map-entry order have
// equal canonical forms. It uses only protowire, not the generated code.
func canonical(b []byte, spec *wireSpec) ([]byte, error) {
	if spec == nil {
		return b, nil
	}
	type rec struct {
		num   protowire.Number
		entry []byte
	}
	var out []byte
	var pending []rec // map entries of the current run
	flush := func() {
		slices.SortStableFunc(pending, func(a, b rec) int {
			if a.num != b.num {
				return int(a.num) - int(b.num)
			}
			return bytes.Compare(a.entry, b.entry)
		})
		for _, r := range pending {
			out = protowire.AppendTag(out, r.num, protowire.BytesType)
			out = protowire.AppendBytes(out, r.entry)
		}
		pending = pending[:0]
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		field := b[:n+m]
		valSpec, isMap := spec.maps[num]
		msgSpec, isMsg := spec.msgs[num]
		switch {
		case isMap && typ == protowire.BytesType:
			entry, _ := protowire.ConsumeBytes(b[n:])
			if valSpec != nil {
				var err error
				if entry, err = canonical(entry, &wireSpec{msgs: map[protowire.Number]*wireSpec{2: valSpec}}); err != nil {
					return nil, fmt.Errorf("map %d value: %w", num, err)
				}
			}
			pending = append(pending, rec{num, entry})
		case isMsg && typ == protowire.BytesType:
			flush()
			inner, _ := protowire.ConsumeBytes(b[n:])
			c, err := canonical(inner, msgSpec)
			if err != nil {
				return nil, fmt.Errorf("field %d: %w", num, err)
			}
			out = protowire.AppendTag(out, num, protowire.BytesType)
			out = protowire.AppendBytes(out, c)
		default:
			flush()
			out = append(out, field...)
		}
		b = b[n+m:]
	}
	flush()
	return out, nil
}

// v1Parts splits a v1 file at the wire level (no generated code) into its
// pieces: segment header, profile header, the chunk (header, body) pairs in
// file order, and the bytes after the chunk area.
type v1Parts struct {
	segment, header []byte
	chunkHeaders    [][]byte
	chunkBodies     [][]byte
	trailer         []byte
}

func splitV1(b []byte) (*v1Parts, error) {
	if !bytes.HasPrefix(b, []byte(Magic)) {
		return nil, fmt.Errorf("no magic")
	}
	b = b[len(Magic):]
	var p v1Parts
	var n int
	if p.segment, n = protowire.ConsumeBytes(b); n < 0 {
		return nil, fmt.Errorf("segment header")
	}
	b = b[n:]
	if p.header, n = protowire.ConsumeBytes(b); n < 0 {
		return nil, fmt.Errorf("profile header")
	}
	b = b[n:]
	length, ok := scalarField(p.header, 4)
	if !ok || length > uint64(len(b)) {
		return nil, fmt.Errorf("header length")
	}
	area := b[:length]
	p.trailer = b[length:]
	for len(area) > 0 {
		ch, n := protowire.ConsumeBytes(area)
		if n < 0 {
			return nil, fmt.Errorf("chunk header")
		}
		area = area[n:]
		bodyLen, _ := scalarField(ch, 3)
		if bodyLen > uint64(len(area)) {
			return nil, fmt.Errorf("chunk body")
		}
		p.chunkHeaders = append(p.chunkHeaders, ch)
		p.chunkBodies = append(p.chunkBodies, area[:bodyLen])
		area = area[bodyLen:]
	}
	return &p, nil
}

// scalarField returns the last varint value of field num in message b.
func scalarField(b []byte, num protowire.Number) (uint64, bool) {
	var v uint64
	found := false
	for len(b) > 0 {
		n, typ, k := protowire.ConsumeTag(b)
		if k < 0 {
			return 0, false
		}
		b = b[k:]
		if n == num && typ == protowire.VarintType {
			x, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return 0, false
			}
			v, found = x, true
		}
		m := protowire.ConsumeFieldValue(n, typ, b)
		if m < 0 {
			return 0, false
		}
		b = b[m:]
	}
	return v, found
}

// sameUpToMapOrder reports whether two v1 files are identical except for the
// order of map entries inside their messages, and explains the first
// difference otherwise.
func sameUpToMapOrder(a, b []byte) error {
	pa, err := splitV1(a)
	if err != nil {
		return fmt.Errorf("first file: %w", err)
	}
	pb, err := splitV1(b)
	if err != nil {
		return fmt.Errorf("second file: %w", err)
	}
	cmp := func(what string, x, y []byte, spec *wireSpec) error {
		cx, err := canonical(x, spec)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		cy, err := canonical(y, spec)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if !bytes.Equal(cx, cy) {
			return fmt.Errorf("%s differs beyond map order:\n %x\n %x", what, cx, cy)
		}
		return nil
	}
	if err := cmp("segment header", pa.segment, pb.segment, specV1Segment); err != nil {
		return err
	}
	if err := cmp("profile header", pa.header, pb.header, specV1Header); err != nil {
		return err
	}
	if len(pa.chunkHeaders) != len(pb.chunkHeaders) {
		return fmt.Errorf("%d chunks vs %d", len(pa.chunkHeaders), len(pb.chunkHeaders))
	}
	for i := range pa.chunkHeaders {
		if !bytes.Equal(pa.chunkHeaders[i], pb.chunkHeaders[i]) {
			return fmt.Errorf("chunk %d header %x vs %x", i, pa.chunkHeaders[i], pb.chunkHeaders[i])
		}
		if err := cmp(fmt.Sprintf("chunk %d", i), pa.chunkBodies[i], pb.chunkBodies[i], specV1Chunk); err != nil {
			return err
		}
	}
	if !bytes.Equal(pa.trailer, pb.trailer) {
		return fmt.Errorf("trailer %x vs %x", pa.trailer, pb.trailer)
	}
	return nil
}
