package profilefile

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kprofiler/kprofiler/schemas/whylogspb"
)

// testdataDir is schemas/testdata (see its README for the origin of every file).
const testdataDir = "../testdata"

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, name))
	if err != nil {
		t.Fatalf("read testdata: %v", err)
	}
	return b
}

// expectedFile is one record of expected_v1_decoded.json (decoded from the
// whylogs files by the reference authors with their own wire decoder).
type expectedFile struct {
	FileSize           int           `json:"file_size"`
	SegmentHeaderLen   int           `json:"segment_header_len"`
	SegmentHeaderHex   string        `json:"segment_header_hex"`
	Segments           [][][2]string `json:"segments"`
	ProfileHeaderLen   int           `json:"profile_header_len"`
	ChunksStartOffset  int           `json:"chunks_start_offset"`
	HeaderLengthField  uint64        `json:"header_length_field"`
	IndexedMetricPaths []string      `json:"indexed_metric_paths"`
	Properties         struct {
		CreationTimestamp uint64            `json:"creation_timestamp"`
		DatasetTimestamp  uint64            `json:"dataset_timestamp"`
		Meta              map[string]string `json:"meta"`
		Tags              map[string]string `json:"tags"`
	} `json:"properties"`
	Columns map[string]map[string]expectedComponent `json:"columns"`
}

type expectedComponent struct {
	N      *int64         `json:"n"`
	D      *float64       `json:"d"`
	TypeID *uint32        `json:"type_id"`
	KLL    map[string]any `json:"kll"`
	HLL    map[string]any `json:"hll"`
	FI     map[string]any `json:"fi"`
}

func loadExpected(t testing.TB) map[string]expectedFile {
	t.Helper()
	var m map[string]expectedFile
	if err := json.Unmarshal(readTestdata(t, "expected_v1_decoded.json"), &m); err != nil {
		t.Fatalf("expected_v1_decoded.json: %v", err)
	}
	if len(m) != 6 {
		t.Fatalf("expected_v1_decoded.json has %d files, want 6", len(m))
	}
	return m
}

func v1Names(t testing.TB) []string {
	names, err := filepath.Glob(filepath.Join(testdataDir, "v1-*.bin"))
	if err != nil || len(names) != 6 {
		t.Fatalf("want 6 v1 golden files, got %d (%v)", len(names), err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	return names
}

func TestGoldenV1(t *testing.T) {
	expected := loadExpected(t)
	for _, name := range v1Names(t) {
		t.Run(name, func(t *testing.T) {
			exp, ok := expected[name]
			if !ok {
				t.Fatalf("no expected record")
			}
			data := readTestdata(t, name)
			if len(data) != exp.FileSize {
				t.Fatalf("file size %d, want %d", len(data), exp.FileSize)
			}
			if got := DetectFormat(data); got != FormatV1 {
				t.Errorf("DetectFormat = %v, want v1", got)
			}
			f, err := ParseV1(data)
			if err != nil {
				t.Fatalf("ParseV1: %v", err)
			}
			checkLayout(t, f, exp)
			checkProperties(t, f, exp)
			checkSegments(t, f, exp)
			checkColumns(t, f, exp)
		})
	}
}

func checkLayout(t *testing.T, f *File, exp expectedFile) {
	t.Helper()
	if got := proto.Size(f.Segment); got != exp.SegmentHeaderLen {
		t.Errorf("segment header size %d, want %d", got, exp.SegmentHeaderLen)
	}
	if got := proto.Size(f.Header); got != exp.ProfileHeaderLen {
		t.Errorf("profile header size %d, want %d", got, exp.ProfileHeaderLen)
	}
	if f.Header.GetLength() != exp.HeaderLengthField {
		t.Errorf("header length %d, want %d", f.Header.GetLength(), exp.HeaderLengthField)
	}
	if exp.ChunksStartOffset+int(exp.HeaderLengthField) > exp.FileSize {
		t.Errorf("expected chunk area runs past the file")
	}
	// indexed_metric_paths, in index order.
	paths := make([]string, len(f.Header.GetIndexedMetricPaths()))
	for idx, p := range f.Header.GetIndexedMetricPaths() {
		if int(idx) >= len(paths) {
			t.Fatalf("metric index %d not dense", idx)
		}
		paths[idx] = p
	}
	if !slices.Equal(paths, exp.IndexedMetricPaths) {
		t.Errorf("indexed_metric_paths = %v, want %v", paths, exp.IndexedMetricPaths)
	}
	// whylogs numbers the sorted union of the columns' paths; MetricPaths
	// must reproduce its numbering.
	if got := f.MetricPaths(); !slices.Equal(got, exp.IndexedMetricPaths) {
		t.Errorf("MetricPaths() = %v, want %v", got, exp.IndexedMetricPaths)
	}
	// Chunks ascend in column-name order, each column with one offset.
	var prev uint64
	for i, name := range f.ColumnNames() {
		offs := f.Header.GetColumnOffsets()[name].GetOffsets()
		if len(offs) != 1 {
			t.Fatalf("column %q: %d offsets, want 1", name, len(offs))
		}
		if i == 0 && offs[0] != 0 || i > 0 && offs[0] <= prev {
			t.Errorf("column %q at offset %d after %d: not in sorted-name layout", name, offs[0], prev)
		}
		prev = offs[0]
	}
}

func checkProperties(t *testing.T, f *File, exp expectedFile) {
	t.Helper()
	p := f.Properties()
	if p.GetCreationTimestamp() != exp.Properties.CreationTimestamp {
		t.Errorf("creation_timestamp %d, want %d", p.GetCreationTimestamp(), exp.Properties.CreationTimestamp)
	}
	if p.GetDatasetTimestamp() != exp.Properties.DatasetTimestamp {
		t.Errorf("dataset_timestamp %d, want %d", p.GetDatasetTimestamp(), exp.Properties.DatasetTimestamp)
	}
	if !mapsEqual(p.GetTags(), exp.Properties.Tags) {
		t.Errorf("tags %v, want %v", p.GetTags(), exp.Properties.Tags)
	}
	if !mapsEqual(p.GetMetadata(), exp.Properties.Meta) {
		t.Errorf("metadata %v, want %v", p.GetMetadata(), exp.Properties.Meta)
	}
	if p.GetSchemaMajorVersion() != 0 || p.GetSchemaMinorVersion() != 0 {
		t.Errorf("v1 files never set schema versions, got %d.%d", p.GetSchemaMajorVersion(), p.GetSchemaMinorVersion())
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func checkSegments(t *testing.T, f *File, exp expectedFile) {
	t.Helper()
	if len(exp.Segments) == 0 {
		if f.Segment != nil || f.Segmented() {
			t.Errorf("plain profile has segment header %v", f.Segment)
		}
		return
	}
	if !f.Segmented() {
		t.Fatalf("has_segments not set")
	}
	segs := f.Segment.GetSegments()
	if len(segs) != len(exp.Segments) {
		t.Fatalf("%d segments, want %d", len(segs), len(exp.Segments))
	}
	for i, s := range segs {
		var got [][2]string
		for _, tag := range s.GetTags() {
			got = append(got, [2]string{tag.GetKey(), tag.GetValue()})
			// whylogs copies the segment key into the dataset tags.
			if v, ok := f.Properties().GetTags()[tag.GetKey()]; !ok || v != tag.GetValue() {
				t.Errorf("segment tag %q=%q missing from properties.tags", tag.GetKey(), tag.GetValue())
			}
		}
		if !slices.Equal(got, exp.Segments[i]) {
			t.Errorf("segment %d tags %v, want %v", i, got, exp.Segments[i])
		}
	}
	// The offsets value whylogs stores: the size of its 9-byte probe.
	if off := f.Segment.GetOffsets(); len(off) != 1 || off[0] != 9 {
		t.Errorf("segment offsets %v, want {0: 9}", off)
	}
}

func checkColumns(t *testing.T, f *File, exp expectedFile) {
	t.Helper()
	var wantNames []string
	for name := range exp.Columns {
		wantNames = append(wantNames, name)
	}
	sort.Strings(wantNames)
	if got := f.ColumnNames(); !slices.Equal(got, wantNames) {
		t.Fatalf("columns %v, want %v", got, wantNames)
	}
	var nComp, nScalar, nSketch int
	for _, name := range wantNames {
		comps := f.Columns[name].GetMetricComponents()
		if len(comps) != len(exp.Columns[name]) {
			t.Errorf("column %q: %d components, want %d", name, len(comps), len(exp.Columns[name]))
		}
		for path, want := range exp.Columns[name] {
			c, ok := comps[path]
			if !ok {
				t.Errorf("column %q: missing component %q", name, path)
				continue
			}
			nComp++
			wantType := uint32(0)
			if want.TypeID != nil {
				wantType = *want.TypeID
			}
			if c.GetTypeId() != wantType {
				t.Errorf("%s %s: type_id %d, want %d", name, path, c.GetTypeId(), wantType)
			}
			switch {
			case want.N != nil:
				nScalar++
				if _, ok := c.GetValue().(*whylogspb.MetricComponentMessage_N); !ok {
					t.Errorf("%s %s: value %T, want n", name, path, c.GetValue())
				} else if c.GetN() != *want.N {
					t.Errorf("%s %s: n = %d, want %d", name, path, c.GetN(), *want.N)
				}
			case want.D != nil:
				nScalar++
				if _, ok := c.GetValue().(*whylogspb.MetricComponentMessage_D); !ok {
					t.Errorf("%s %s: value %T, want d", name, path, c.GetValue())
				} else if c.GetD() != *want.D {
					t.Errorf("%s %s: d = %v, want %v", name, path, c.GetD(), *want.D)
				}
			case want.KLL != nil:
				nSketch++
				checkKLL(t, name+" "+path, c.GetKll().GetSketch(), want.KLL)
			case want.HLL != nil:
				nSketch++
				checkHLL(t, name+" "+path, c.GetHll().GetSketch(), want.HLL)
			case want.FI != nil:
				nSketch++
				checkFI(t, name+" "+path, c.GetFrequentItems().GetSketch(), want.FI)
			default:
				t.Errorf("%s %s: expected record has no value", name, path)
			}
		}
	}
	if nComp == 0 || nScalar == 0 || nSketch == 0 {
		t.Errorf("checked %d components (%d scalar, %d sketch)", nComp, nScalar, nSketch)
	}
}

// num reads an integer field of an expected sketch record.
func num(t *testing.T, what string, m map[string]any, key string) (uint64, bool) {
	t.Helper()
	v, ok := m[key]
	if !ok {
		return 0, false
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%s: %s is %T", what, key, v)
	}
	return uint64(f), true
}

// checkSketchHeader checks the size and the common first three preamble
// bytes (preamble length, serial version, family) of a sketch image.
func checkSketchHeader(t *testing.T, what string, b []byte, want map[string]any, preKey string, preMask byte, family uint64) bool {
	t.Helper()
	size, _ := num(t, what, want, "bytes")
	if len(b) == 0 || uint64(len(b)) != size {
		t.Errorf("%s: sketch has %d bytes, want %d", what, len(b), size)
		return false
	}
	if len(b) < 8 {
		t.Errorf("%s: sketch of %d bytes is shorter than a preamble", what, len(b))
		return false
	}
	if fam, _ := num(t, what, want, "family"); fam != family || uint64(b[2]) != fam {
		t.Errorf("%s: family byte %d, expected record %d, want %d", what, b[2], fam, family)
	}
	if pre, _ := num(t, what, want, preKey); uint64(b[0]&preMask) != pre {
		t.Errorf("%s: preamble %d, want %d", what, b[0]&preMask, pre)
	}
	if ser, _ := num(t, what, want, "serial_version"); uint64(b[1]) != ser {
		t.Errorf("%s: serial version %d, want %d", what, b[1], ser)
	}
	return true
}

func checkByte(t *testing.T, what string, b []byte, off int, want map[string]any, key string) {
	t.Helper()
	if v, ok := num(t, what, want, key); ok && uint64(b[off]) != v {
		t.Errorf("%s: %s (byte %d) = %d, want %d", what, key, off, b[off], v)
	}
}

func checkKLL(t *testing.T, what string, b []byte, want map[string]any) {
	t.Helper()
	if !checkSketchHeader(t, what, b, want, "preamble_ints", 0xff, 15) {
		return
	}
	checkByte(t, what, b, 3, want, "flags")
	checkByte(t, what, b, 6, want, "m")
	if k, _ := num(t, what, want, "k"); uint64(binary.LittleEndian.Uint16(b[4:])) != k {
		t.Errorf("%s: k = %d, want %d", what, binary.LittleEndian.Uint16(b[4:]), k)
	}
	n, _ := num(t, what, want, "n")
	switch {
	case b[3]&1 != 0: // empty
		if n != 0 || len(b) != 8 {
			t.Errorf("%s: empty KLL with n=%d, %d bytes", what, n, len(b))
		}
	case b[3]&4 != 0: // single item
		if n != 1 || len(b) != 16 {
			t.Fatalf("%s: single-item KLL with n=%d, %d bytes", what, n, len(b))
		}
		if item, ok := want["single_item"].(float64); ok {
			if got := float64frombits(b[8:]); got != item {
				t.Errorf("%s: single item %v, want %v", what, got, item)
			}
		}
	default:
		if got := binary.LittleEndian.Uint64(b[8:]); got != n {
			t.Errorf("%s: n = %d, want %d", what, got, n)
		}
	}
}

func checkHLL(t *testing.T, what string, b []byte, want map[string]any) {
	t.Helper()
	if !checkSketchHeader(t, what, b, want, "preamble_ints", 0xff, 7) {
		return
	}
	checkByte(t, what, b, 3, want, "lg_k")
	checkByte(t, what, b, 4, want, "lg_arr")
	checkByte(t, what, b, 5, want, "flags")
	modes := []string{"LIST", "SET", "HLL"}
	types := []string{"HLL_4", "HLL_6", "HLL_8"}
	mode, tgt := int(b[7]&3), int(b[7]>>2&3)
	if mode > 2 || tgt > 2 || modes[mode] != want["mode"] || types[tgt] != want["tgt_type"] {
		t.Errorf("%s: mode byte %#x, want %v %v", what, b[7], want["mode"], want["tgt_type"])
	}
	checkByte(t, what, b, 6, want, "list_count")
	if c, ok := num(t, what, want, "set_count"); ok && uint64(binary.LittleEndian.Uint32(b[8:])) != c {
		t.Errorf("%s: set count %d, want %d", what, binary.LittleEndian.Uint32(b[8:]), c)
	}
}

func checkFI(t *testing.T, what string, b []byte, want map[string]any) {
	t.Helper()
	if !checkSketchHeader(t, what, b, want, "preamble_longs", 0x3f, 10) {
		return
	}
	checkByte(t, what, b, 3, want, "lg_max_map_size")
	checkByte(t, what, b, 4, want, "lg_cur_map_size")
	checkByte(t, what, b, 5, want, "flags")
	if b[0]&0x3f != 4 || len(b) < 32 {
		return
	}
	for key, off := range map[string]int{"num_active": 8, "total_weight": 16, "offset": 24} {
		var got uint64
		if key == "num_active" {
			got = uint64(binary.LittleEndian.Uint32(b[off:]))
		} else {
			got = binary.LittleEndian.Uint64(b[off:])
		}
		if v, ok := num(t, what, want, key); ok && got != v {
			t.Errorf("%s: %s = %d, want %d", what, key, got, v)
		}
	}
}
