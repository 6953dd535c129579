package profilefile

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/kprofiler/kprofiler/schemas/whylogspb"
)

func nComp(n int64) *whylogspb.MetricComponentMessage {
	return &whylogspb.MetricComponentMessage{Value: &whylogspb.MetricComponentMessage_N{N: n}}
}

// TestWriteLayoutByHand checks a small file against bytes assembled by hand
// from the layout in ref-whylogs-format.md §1.1–1.4.
func TestWriteLayoutByHand(t *testing.T) {
	f := &File{
		Header: &whylogspb.DatasetProfileHeader{Properties: &whylogspb.DatasetProperties{
			DatasetTimestamp: 1000,
			Tags:             map[string]string{"b": "2", "a": "1"},
		}},
		Columns: map[string]*whylogspb.ColumnMessage{
			"b": {MetricComponents: map[string]*whylogspb.MetricComponentMessage{"counts/n": nComp(3)}},
			"a": {MetricComponents: map[string]*whylogspb.MetricComponentMessage{
				"ints/min": {TypeId: 1, Value: &whylogspb.MetricComponentMessage_N{N: 5}},
				"counts/n": nComp(0),
			}},
		},
	}
	hexParts := []string{
		"57485931", // WHY1
		"00",       // empty segment header
		"47",       // header: 71 bytes
		"0a13" + "28e807" + "3206" + "0a0161" + "120131" + "3206" + "0a0162" + "120132", // properties: dataset ts, tags a, b (sorted)
		"1208" + "0a0161" + "1203" + "0a0100",                                           // column_offsets a: [0]
		"1208" + "0a0162" + "1203" + "0a0117",                                           // column_offsets b: [23]
		"2024",                                                                          // length 36 = 23 + 13
		"2a0c" + "0800" + "1208" + hex.EncodeToString([]byte("counts/n")),               // index 0
		"2a0c" + "0801" + "1208" + hex.EncodeToString([]byte("ints/min")),               // index 1
		// chunk a at 0: ChunkHeader{COLUMN, 18}, entries 0 → {n: 0} ("10 00"), 1 → {type_id 1, n 5}
		"04" + "0802" + "1812",
		"0a06" + "0800" + "1202" + "1000",
		"0a08" + "0801" + "1204" + "0801" + "1005",
		// chunk b at 23: ChunkHeader{COLUMN, 8}, entry 0 → {n: 3}
		"04" + "0802" + "1808",
		"0a06" + "0800" + "1202" + "1003",
	}
	want, err := hex.DecodeString(strings.Join(hexParts, ""))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("layout\n got %x\nwant %x", got, want)
	}
	// AppendBinary appends.
	got2, err := f.AppendBinary([]byte("xy"))
	if err != nil || string(got2[:2]) != "xy" || !bytes.Equal(got2[2:], want) {
		t.Fatalf("AppendBinary did not append: %x, %v", got2, err)
	}
	// Writing did not touch the File.
	if f.Header.ColumnOffsets != nil || f.Header.Length != 0 || f.Header.IndexedMetricPaths != nil {
		t.Fatal("AppendBinary modified f.Header")
	}
	// WriteTo writes the same.
	var buf bytes.Buffer
	if n, err := f.WriteTo(&buf); err != nil || n != int64(len(want)) || !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("WriteTo: n=%d err=%v", n, err)
	}
	// And it reads back.
	g, err := ParseV1(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameFile(f, g); err != nil {
		t.Fatal(err)
	}
	if g.Header.GetColumnOffsets()["b"].GetOffsets()[0] != 23 || g.Header.GetLength() != 36 {
		t.Fatalf("read layout %v", g.Header)
	}
}

// TestWriteDeterministic builds equal Files with maps filled in different
// orders and checks the bytes are identical.
func TestWriteDeterministic(t *testing.T) {
	build := func(reverse bool) *File {
		f := &File{
			Segment: NewSegmentHeader(&whylogspb.SegmentTag{Key: "whylogs.tag.c", Value: "x"}),
			Header: &whylogspb.DatasetProfileHeader{Properties: &whylogspb.DatasetProperties{
				Tags: map[string]string{}, Metadata: map[string]string{},
			}},
			Columns: map[string]*whylogspb.ColumnMessage{},
		}
		for i := range 200 {
			j := i
			if reverse {
				j = 199 - i
			}
			name := string(rune('a'+j%26)) + strings.Repeat("z", j/26)
			f.Header.Properties.Tags[name] = name
			f.Header.Properties.Metadata["m"+name] = name
			col := &whylogspb.ColumnMessage{MetricComponents: map[string]*whylogspb.MetricComponentMessage{}}
			for k := range 12 {
				path := "ns" + string(rune('a'+(j+k)%20)) + "/c"
				col.MetricComponents[path] = nComp(int64(j * k))
			}
			f.Columns[name] = col
		}
		return f
	}
	a, err := build(false).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, err := build(true).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("equal Files gave different bytes")
		}
	}
	f := build(false)
	clone := f.Clone()
	c, _ := clone.MarshalBinary()
	if !bytes.Equal(a, c) {
		t.Fatal("cloned File gave different bytes")
	}
	// The clone is deep: changing it leaves f alone.
	clone.Columns["a"].MetricComponents["nsa/c"].Value = &whylogspb.MetricComponentMessage_N{N: -1}
	clone.Header.Properties.Tags["a"] = "changed"
	clone.Segment.Segments[0].Tags[0].Value = "changed"
	if d, _ := f.MarshalBinary(); !bytes.Equal(a, d) {
		t.Fatal("changing the clone changed the original")
	}
	// The segmented file carries whylogs' trailer and reads back.
	g, err := ParseV1(a)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Segmented() || len(g.Columns) != 200 {
		t.Fatalf("segmented=%v columns=%d", g.Segmented(), len(g.Columns))
	}
}

func TestEmptyFile(t *testing.T) {
	b, err := (&File{}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// WHY1, empty segment header, header = {properties: {}} (never empty, so
	// whylogs' reader accepts it).
	if want := "57485931" + "00" + "02" + "0a00"; hex.EncodeToString(b) != want {
		t.Fatalf("empty file %x, want %s", b, want)
	}
	f, err := ParseV1(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Columns) != 0 || f.Segment != nil {
		t.Fatalf("%+v", f)
	}
}

func TestNilColumnAndComponent(t *testing.T) {
	f := &File{Columns: map[string]*whylogspb.ColumnMessage{
		"nil":  nil,
		"comp": {MetricComponents: map[string]*whylogspb.MetricComponentMessage{"x/y": nil}},
	}}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseV1(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Columns["nil"].GetMetricComponents()) != 0 {
		t.Error("nil column gained components")
	}
	if c, ok := g.Columns["comp"].GetMetricComponents()["x/y"]; !ok || c.GetValue() != nil {
		t.Errorf("nil component read back as %v", c)
	}
}

func TestWriteInvalidUTF8(t *testing.T) {
	f := &File{Columns: map[string]*whylogspb.ColumnMessage{"bad\xff": {}}}
	prefix := []byte("keep")
	b, err := f.AppendBinary(prefix)
	if !errors.Is(err, ErrInvalidFile) {
		t.Fatalf("err = %v, want ErrInvalidFile", err)
	}
	if string(b) != "keep" {
		t.Fatalf("AppendBinary returned %q on error", b)
	}
	f = &File{Header: &whylogspb.DatasetProfileHeader{Properties: &whylogspb.DatasetProperties{Tags: map[string]string{"k": "\xc3"}}}}
	if _, err := f.MarshalBinary(); !errors.Is(err, ErrInvalidFile) {
		t.Fatalf("err = %v, want ErrInvalidFile", err)
	}
}

// TestParseDoesNotAlias checks that a parsed File keeps no reference to the
// input buffer.
func TestParseDoesNotAlias(t *testing.T) {
	data := readTestdata(t, "v1-toydata.bin")
	f, err := ParseV1(data)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.MarshalBinary()
	for i := range data {
		data[i] = 0xa5
	}
	got, _ := f.MarshalBinary()
	if !bytes.Equal(got, want) {
		t.Fatal("File changed when the input buffer was overwritten")
	}
}

func TestUnmarshalBinaryKeepsReceiverOnError(t *testing.T) {
	data := readTestdata(t, "v1-toydata.bin")
	var f File
	if err := f.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	before, _ := f.MarshalBinary()
	if err := f.UnmarshalBinary(data[:len(data)-1]); !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v", err)
	}
	after, _ := f.MarshalBinary()
	if !bytes.Equal(before, after) {
		t.Fatal("failed UnmarshalBinary changed the receiver")
	}
	g, err := ReadV1(bytes.NewReader(data))
	if err != nil || sameFile(&f, g) != nil {
		t.Fatalf("ReadV1: %v", err)
	}
}

// assemble builds a v1 file from raw parts.
func assemble(seg []byte, header *whylogspb.DatasetProfileHeader, area, trailer []byte) []byte {
	b := []byte(Magic)
	b = protowire.AppendBytes(b, seg)
	hb, err := proto.Marshal(header)
	if err != nil {
		panic(err)
	}
	b = protowire.AppendBytes(b, hb)
	b = append(b, area...)
	return append(b, trailer...)
}

// chunk returns a delimited ChunkHeader of type typ followed by body.
func chunk(typ whylogspb.ChunkHeader_ChunkType, body []byte) []byte {
	hb, _ := proto.Marshal(&whylogspb.ChunkHeader{Type: typ, Length: uint32(len(body))})
	return append(protowire.AppendBytes(nil, hb), body...)
}

func chunkBody(entries map[uint32]*whylogspb.MetricComponentMessage) []byte {
	b, _ := marshalOpts.Marshal(&whylogspb.ChunkMessage{MetricComponents: entries})
	return b
}

func offsets(m map[string][]uint64) map[string]*whylogspb.ChunkOffsets {
	out := make(map[string]*whylogspb.ChunkOffsets)
	for k, v := range m {
		out[k] = &whylogspb.ChunkOffsets{Offsets: v}
	}
	return out
}

func TestParseV1Errors(t *testing.T) {
	props := &whylogspb.DatasetProperties{DatasetTimestamp: 1}
	paths := map[uint32]string{0: "counts/n", 1: "counts/null"}
	c0 := chunk(whylogspb.ChunkHeader_COLUMN, chunkBody(map[uint32]*whylogspb.MetricComponentMessage{0: nComp(1)}))
	hdr := func(cols map[string][]uint64, length int) *whylogspb.DatasetProfileHeader {
		return &whylogspb.DatasetProfileHeader{Properties: props, ColumnOffsets: offsets(cols), Length: uint64(length), IndexedMetricPaths: paths}
	}
	good := assemble(nil, hdr(map[string][]uint64{"a": {0}}, len(c0)), c0, nil)
	if _, err := ParseV1(good); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	segHdr, _ := marshalOpts.Marshal(NewSegmentHeader(&whylogspb.SegmentTag{Key: "k", Value: "v"}))
	probe := segmentTrailer(NewSegmentHeader())
	dup := chunk(whylogspb.ChunkHeader_COLUMN, chunkBody(map[uint32]*whylogspb.MetricComponentMessage{0: nComp(1)}))

	cases := []struct {
		name    string
		data    []byte
		want    error
		message string
	}{
		{"empty", nil, ErrNotProfile, "offset 0"},
		{"short magic", []byte("WHY"), ErrNotProfile, "offset 0"},
		{"other magic", []byte("PK\x03\x04rest"), ErrNotProfile, "magic"},
		{"v0 file", readTestdata(t, "v0-java-classification.bin"), ErrNotProfile, "magic"},
		{"version 2", []byte("WHY2\x00\x02\x0a\x00"), ErrUnsupportedVersion, "WHY2"},
		{"no segment header", []byte("WHY1"), ErrTruncated, "offset 4"},
		{"bad varint", []byte("WHY1\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), ErrCorrupt, "offset 4"},
		{"huge segment header", []byte("WHY1\xff\xff\xff\xff\x0f"), ErrTruncated, "DatasetSegmentHeader declares 4294967295 bytes"},
		{"corrupt segment header", []byte("WHY1\x02\x0a\x05\x02\x0a\x00"), ErrCorrupt, "DatasetSegmentHeader at offset 4"},
		{"no profile header", []byte("WHY1\x00"), ErrTruncated, "offset 5"},
		{"empty profile header", []byte("WHY1\x00\x00"), ErrCorrupt, "empty DatasetProfileHeader"},
		{"corrupt profile header", []byte("WHY1\x00\x02\x0a\x07"), ErrCorrupt, "DatasetProfileHeader at offset 5"},
		{"length past end", assemble(nil, hdr(map[string][]uint64{"a": {0}}, len(c0)+1), c0, nil), ErrTruncated, "only"},
		{"trailing bytes", assemble(nil, hdr(map[string][]uint64{"a": {0}}, len(c0)), c0, []byte{0}), ErrCorrupt, "1 unexpected bytes"},
		{"probe after plain file", assemble(nil, hdr(map[string][]uint64{"a": {0}}, len(c0)), c0, probe), ErrCorrupt, "unexpected bytes"},
		{"wrong trailer on segmented file", assemble(segHdr, hdr(map[string][]uint64{"a": {0}}, len(c0)), c0, []byte{8, 9}), ErrCorrupt, "unexpected bytes"},
		{"trailer too long", assemble(segHdr, hdr(map[string][]uint64{"a": {0}}, len(c0)), c0, append(append([]byte{}, probe...), 0)), ErrCorrupt, "unexpected bytes"},
		{"offset outside area", assemble(nil, hdr(map[string][]uint64{"a": {uint64(len(c0))}}, len(c0)), c0, nil), ErrCorrupt, "outside"},
		{"overlapping chunks", assemble(nil, hdr(map[string][]uint64{"a": {0}, "b": {0}}, len(c0)), c0, nil), ErrCorrupt, "overlaps"},
		{"same chunk twice", assemble(nil, hdr(map[string][]uint64{"a": {0, 0}}, len(c0)), c0, nil), ErrCorrupt, "overlaps"},
		{"chunk inside chunk", assemble(nil, hdr(map[string][]uint64{"a": {0}, "b": {1}}, len(c0)), c0, nil), ErrCorrupt, "overlaps"},
		{"dataset chunk", func() []byte {
			c := chunk(whylogspb.ChunkHeader_DATASET, chunkBody(nil))
			return assemble(nil, hdr(map[string][]uint64{"a": {0}}, len(c)), c, nil)
		}(), ErrCorrupt, "want COLUMN"},
		{"chunk body past area", assemble(nil, hdr(map[string][]uint64{"a": {0}}, len(c0)-1), c0[:len(c0)-1], nil), ErrTruncated, "chunk body"},
		{"chunk header prefix past area", assemble(nil, hdr(map[string][]uint64{"a": {0}}, 1), []byte{0x7f}, nil), ErrTruncated, "ChunkHeader declares"},
		{"corrupt chunk header", assemble(nil, hdr(map[string][]uint64{"a": {0}}, 3), []byte{2, 0x08, 0xff}, nil), ErrCorrupt, "ChunkHeader at file offset"},
		{"corrupt chunk body", func() []byte {
			c := chunk(whylogspb.ChunkHeader_COLUMN, []byte{0x0a, 0x05})
			return assemble(nil, hdr(map[string][]uint64{"a": {0}}, len(c)), c, nil)
		}(), ErrCorrupt, "ChunkMessage at file offset"},
		{"offset in empty area", assemble(nil, hdr(map[string][]uint64{"a": {0}}, 0), nil, nil), ErrCorrupt, "outside"},
		{"index not in paths", func() []byte {
			c := chunk(whylogspb.ChunkHeader_COLUMN, chunkBody(map[uint32]*whylogspb.MetricComponentMessage{7: nComp(1)}))
			return assemble(nil, hdr(map[string][]uint64{"a": {0}}, len(c)), c, nil)
		}(), ErrCorrupt, "metric index 7"},
		{"path twice in a column", assemble(nil, hdr(map[string][]uint64{"a": {0, uint64(len(c0))}}, 2*len(c0)), append(append([]byte{}, c0...), dup...), nil), ErrCorrupt, "repeats metric path"},
		{"invalid utf-8 column name", []byte("WHY1\x00\x09\x0a\x00\x12\x05\x0a\x01\xff\x12\x00"), ErrCorrupt, "DatasetProfileHeader at offset 5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseV1(tc.data)
			if err == nil {
				t.Fatalf("no error; got %+v", f)
			}
			if f != nil {
				t.Errorf("non-nil File with error")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("err = %q, want it to mention %q", err, tc.message)
			}
		})
	}
}

// TestParseV1AcceptsTrailerPrefixes: a segmented file may end with any
// prefix of the probe, as whylogs' copy loop leaves 0–9 of its bytes.
func TestParseV1AcceptsTrailerPrefixes(t *testing.T) {
	segHdr, _ := marshalOpts.Marshal(NewSegmentHeader(&whylogspb.SegmentTag{Key: "k", Value: "v"}))
	probe := segmentTrailer(NewSegmentHeader())
	c0 := chunk(whylogspb.ChunkHeader_COLUMN, chunkBody(map[uint32]*whylogspb.MetricComponentMessage{0: nComp(1)}))
	h := &whylogspb.DatasetProfileHeader{ColumnOffsets: offsets(map[string][]uint64{"a": {0}}), Length: uint64(len(c0)), IndexedMetricPaths: map[uint32]string{0: "counts/n"}}
	for n := 0; n <= len(probe); n++ {
		if _, err := ParseV1(assemble(segHdr, h, c0, probe[:n])); err != nil {
			t.Errorf("trailer of %d bytes: %v", n, err)
		}
	}
}

// TestTruncations parses every prefix of a golden file: each must fail
// cleanly with a documented error.
func TestTruncations(t *testing.T) {
	for _, name := range []string{"v1-toydata.bin", "v1-segmented-category-whylogs-1.5.1.bin"} {
		data := readTestdata(t, name)
		full := len(data)
		if strings.Contains(name, "segmented") {
			full -= 9 // a segmented file may lose any part of its trailer
		}
		for n := range full {
			_, err := ParseV1(data[:n])
			switch {
			case err == nil:
				t.Fatalf("%s[:%d]: no error", name, n)
			case n < 4 && !errors.Is(err, ErrNotProfile):
				t.Fatalf("%s[:%d]: %v", name, n, err)
			case n >= 4 && !errors.Is(err, ErrCorrupt):
				t.Fatalf("%s[:%d]: %v", name, n, err)
			}
		}
	}
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want Format
	}{
		{readTestdata(t, "v1-toydata.bin"), FormatV1},
		{readTestdata(t, "v0-profile-cars-2022-02.bin"), FormatV0},
		{readTestdata(t, "v0-java-classification.bin"), FormatV0},
		{nil, FormatUnknown},
		{[]byte("WHY"), FormatUnknown},
		{[]byte{0x02, 0x0a, 0x00}, FormatV0},
		{[]byte{0x02, 0x08, 0x00}, FormatUnknown},
		{[]byte{0x03, 0x0a, 0x00}, FormatUnknown},
		{[]byte("PK\x03\x04"), FormatUnknown},
	} {
		if got := DetectFormat(tc.data); got != tc.want {
			t.Errorf("DetectFormat(%.8x) = %v, want %v", tc.data, got, tc.want)
		}
	}
	if FormatV1.String() != "v1" || FormatV0.String() != "v0" || FormatUnknown.String() != "unknown" {
		t.Error("Format.String")
	}
}
