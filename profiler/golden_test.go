package profiler_test

import (
	"encoding/binary"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kprofiler/kprofiler/profiler"
)

// This file feeds real whylogs v1 files (testdata/, see its README) through
// the component interface. It carries a minimal, test-only reader of the v1
// container and protobuf wire format (the real codec lives in package
// schemas), enough to extract properties and components.

type wireField struct {
	num  int
	wt   int
	v    uint64 // varint or fixed64
	data []byte // length-delimited
}

func wireFields(t testing.TB, b []byte) []wireField {
	t.Helper()
	var out []wireField
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			t.Fatalf("bad field key")
		}
		b = b[n:]
		f := wireField{num: int(key >> 3), wt: int(key & 7)}
		switch f.wt {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				t.Fatalf("bad varint in field %d", f.num)
			}
			f.v, b = v, b[n:]
		case 1:
			if len(b) < 8 {
				t.Fatalf("short fixed64")
			}
			f.v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				t.Fatalf("bad length in field %d", f.num)
			}
			f.data, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				t.Fatalf("short fixed32")
			}
			f.v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			t.Fatalf("wire type %d", f.wt)
		}
		out = append(out, f)
	}
	return out
}

func delimited(t testing.TB, b []byte) (msg, rest []byte) {
	t.Helper()
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		t.Fatalf("bad delimited message")
	}
	return b[n : n+int(l)], b[n+int(l):]
}

// mapEntry returns the key (string or varint) and value bytes/varint of a
// protobuf map entry.
func mapEntry(t testing.TB, b []byte) (ks string, kv uint64, val wireField) {
	for _, f := range wireFields(t, b) {
		switch f.num {
		case 1:
			ks, kv = string(f.data), f.v
		case 2:
			val = f
		}
	}
	return ks, kv, val
}

type v1File struct {
	props   profiler.FileProperties
	columns map[string][]profiler.Component
}

func readV1(t testing.TB, path string) v1File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:4]) != "WHY1" {
		t.Fatalf("%s: no WHY1 magic", path)
	}
	segHeader, rest := delimited(t, b[4:])
	header, chunks := delimited(t, rest)
	f := v1File{props: profiler.FileProperties{Tags: map[string]string{}, Metadata: map[string]string{}},
		columns: map[string][]profiler.Component{}}
	for _, fl := range wireFields(t, segHeader) {
		if fl.num == 4 { // segments
			for _, sf := range wireFields(t, fl.data) {
				if sf.num == 1 {
					k, _, v := mapEntry(t, sf.data) // SegmentTag has the same layout as a map entry
					f.props.SegmentTags = append(f.props.SegmentTags, profiler.SegmentTag{Key: k, Value: string(v.data)})
				}
			}
		}
	}
	paths := map[uint64]string{}
	offsets := map[string]uint64{}
	for _, fl := range wireFields(t, header) {
		switch fl.num {
		case 1:
			for _, pf := range wireFields(t, fl.data) {
				switch pf.num {
				case 4:
					f.props.CreationTimestamp = int64(pf.v)
				case 5:
					f.props.DatasetTimestamp = int64(pf.v)
				case 6:
					k, _, v := mapEntry(t, pf.data)
					f.props.Tags[k] = string(v.data)
				case 7:
					k, _, v := mapEntry(t, pf.data)
					f.props.Metadata[k] = string(v.data)
				}
			}
		case 2:
			k, _, v := mapEntry(t, fl.data)
			for _, of := range wireFields(t, v.data) {
				if of.num == 1 {
					o, _ := binary.Uvarint(of.data) // packed, one entry
					offsets[k] = o
				}
			}
		case 5:
			_, k, v := mapEntry(t, fl.data)
			paths[k] = string(v.data)
		}
	}
	for col, off := range offsets {
		chHeader, body := delimited(t, chunks[off:])
		var length uint64
		for _, hf := range wireFields(t, chHeader) {
			if hf.num == 3 {
				length = hf.v
			}
		}
		var comps []profiler.Component
		for _, cf := range wireFields(t, body[:length]) {
			_, idx, v := mapEntry(t, cf.data)
			c := profiler.Component{Path: paths[idx]}
			for _, mf := range wireFields(t, v.data) {
				switch mf.num {
				case 1:
					c.TypeID = uint32(mf.v)
				case 2:
					c.Kind, c.N = profiler.KindN, int64(mf.v)
				case 3:
					c.Kind, c.D = profiler.KindD, math.Float64frombits(mf.v)
				case 4, 5, 6:
					c.Kind = map[int]profiler.ComponentKind{4: profiler.KindFrequentItems, 5: profiler.KindHLL, 6: profiler.KindKLL}[mf.num]
					for _, sf := range wireFields(t, mf.data) {
						if sf.num == 1 {
							c.Sketch = sf.data
						}
					}
				}
			}
			comps = append(comps, c)
		}
		f.columns[col] = comps
	}
	return f
}

func loadV1(t testing.TB, name string) *profiler.DatasetProfile {
	t.Helper()
	f := readV1(t, filepath.Join("testdata", name))
	p := newProfile(t, profiler.Config{})
	p.SetFileProperties(f.props)
	for col, comps := range f.columns {
		if err := p.SetColumnComponents(col, comps); err != nil {
			t.Fatalf("%s: SetColumnComponents(%q): %v", name, col, err)
		}
	}
	return p
}

type expectedFile struct {
	Properties struct {
		CreationTimestamp int64             `json:"creation_timestamp"`
		DatasetTimestamp  int64             `json:"dataset_timestamp"`
		Meta              map[string]string `json:"meta"`
		Tags              map[string]string `json:"tags"`
	} `json:"properties"`
	Segments [][][2]string                      `json:"segments"`
	Columns  map[string]map[string]expectedComp `json:"columns"`
}

type expectedComp struct {
	N      *int64   `json:"n"`
	D      *float64 `json:"d"`
	TypeID uint32   `json:"type_id"`
	KLL    *struct {
		N          uint64   `json:"n"`
		Min        *float64 `json:"min"`
		Max        *float64 `json:"max"`
		SingleItem *float64 `json:"single_item"`
	} `json:"kll"`
	HLL *struct {
		Mode      string `json:"mode"`
		ListCount *int   `json:"list_count"`
		SetCount  *int   `json:"set_count"`
	} `json:"hll"`
	FI *struct {
		TotalWeight int64    `json:"total_weight"`
		TopItems    [][2]any `json:"top_items"`
		Offset      int64    `json:"offset"`
	} `json:"fi"`
}

var goldenFiles = []string{
	"v1-whylogs-example-2022-05.bin",
	"v1-toydata.bin",
	"v1-parser-profile.bin",
	"v1-segmented-category-whylogs-1.5.1.bin",
	"v1-segmented-two-columns-compound.bin",
}

// TestGoldenWhylogsComponents imports every column of real whylogs files and
// checks the profile against the decoded values: scalars exactly, KLL n, min
// and max, HLL estimates, frequent items, properties and segments. Then it
// checks export → import → export and self-merge on the real data.
func TestGoldenWhylogsComponents(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "expected_v1_decoded.json"))
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]expectedFile
	if err := json.Unmarshal(raw, &expected); err != nil {
		t.Fatal(err)
	}
	for _, name := range goldenFiles {
		t.Run(name, func(t *testing.T) {
			exp := expected[name]
			p := loadV1(t, name)
			checkGoldenProperties(t, p, exp)
			if got, want := p.ColumnNames(), slices.Sorted(maps.Keys(exp.Columns)); !slices.Equal(got, want) {
				t.Fatalf("columns = %q, want %q", got, want)
			}
			for col, comps := range exp.Columns {
				c, _ := p.Lookup(col)
				checkGoldenColumn(t, c, comps)
			}
			first, err := p.Components()
			if err != nil {
				t.Fatal(err)
			}
			q := newProfile(t, profiler.Config{})
			q.SetFileProperties(p.FileProperties())
			for _, cc := range first {
				if err := q.SetColumnComponents(cc.Name, cc.Components); err != nil {
					t.Fatal(err)
				}
			}
			second, _ := q.Components()
			if !componentsEqual(first, second) {
				t.Error("export → import → export changed real whylogs components")
			}
			// Self-merge: counts double, mean stays, m2 doubles.
			m := p.Clone()
			if err := m.Merge(p, profiler.MergeOptions{}); err != nil {
				t.Fatal(err)
			}
			for col, comps := range exp.Columns {
				mc, _ := m.Lookup(col)
				mcomps, _ := mc.Components()
				for _, x := range mcomps {
					e, ok := comps[x.Path]
					if !ok {
						continue
					}
					switch {
					case e.N != nil && x.TypeID == 0 && x.N != 2**e.N:
						t.Errorf("%s %s after self-merge = %d, want %d", col, x.Path, x.N, 2**e.N)
					case e.N != nil && x.TypeID != 0 && x.N != *e.N:
						t.Errorf("%s %s after self-merge = %d, want %d", col, x.Path, x.N, *e.N)
					case e.D != nil && len(x.Path) >= 4 && x.Path[len(x.Path)-4:] == "mean" && !relClose(x.D, *e.D, 1e-12):
						t.Errorf("%s %s after self-merge = %v, want %v", col, x.Path, x.D, *e.D)
					case e.D != nil && len(x.Path) >= 2 && x.Path[len(x.Path)-2:] == "m2" && !relClose(x.D, 2**e.D, 1e-12):
						t.Errorf("%s %s after self-merge = %v, want %v", col, x.Path, x.D, 2**e.D)
					}
				}
			}
		})
	}
}

func checkGoldenProperties(t *testing.T, p *profiler.DatasetProfile, exp expectedFile) {
	t.Helper()
	if p.DatasetTimestamp().UnixMilli() != exp.Properties.DatasetTimestamp ||
		p.CreationTimestamp().UnixMilli() != exp.Properties.CreationTimestamp {
		t.Errorf("timestamps %v %v", p.DatasetTimestamp(), p.CreationTimestamp())
	}
	fp := p.FileProperties()
	if len(exp.Segments) == 0 {
		// whylogs' reader folds tags into metadata; so do we.
		want := maps.Clone(exp.Properties.Tags)
		maps.Copy(want, exp.Properties.Meta)
		if !maps.Equal(p.Metadata(), want) {
			t.Errorf("metadata = %v, want %v", p.Metadata(), want)
		}
		if !p.Segment().IsZero() || fp.SegmentTags != nil {
			t.Errorf("unsegmented file read as segment %+v", p.Segment())
		}
		return
	}
	// Segmented: writing the profile again reproduces the file's properties.
	if !maps.Equal(fp.Tags, exp.Properties.Tags) || !maps.Equal(fp.Metadata, exp.Properties.Meta) {
		t.Errorf("properties written back:\ntags %v\nmeta %v\nwant\ntags %v\nmeta %v", fp.Tags, fp.Metadata,
			exp.Properties.Tags, exp.Properties.Meta)
	}
	var want []profiler.SegmentTag
	for _, kv := range exp.Segments[0] {
		want = append(want, profiler.SegmentTag{Key: kv[0], Value: kv[1]})
	}
	if !slices.Equal(fp.SegmentTags, want) {
		t.Errorf("segment tags = %v, want %v", fp.SegmentTags, want)
	}
	seg := p.Segment()
	if seg.PartitionID != profiler.PartitionID(seg.Columns, seg.Filter) {
		t.Errorf("partition id %s is not whylogs' id of columns %q", seg.PartitionID, seg.Columns)
	}
}

func checkGoldenColumn(t *testing.T, c *profiler.Column, exp map[string]expectedComp) {
	t.Helper()
	comps, err := c.Components()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]profiler.Component{}
	for _, x := range comps {
		got[x.Path] = x
	}
	s := c.Summary()
	for path, e := range exp {
		x, ok := got[path]
		if !ok {
			t.Errorf("%s: component %q missing", c.Name(), path)
			continue
		}
		switch {
		case e.N != nil:
			if x.Kind != profiler.KindN || x.N != *e.N || x.TypeID != e.TypeID {
				t.Errorf("%s %s = %+v, want n %d type id %d", c.Name(), path, x, *e.N, e.TypeID)
			}
		case e.D != nil:
			if x.Kind != profiler.KindD || math.Float64bits(x.D) != math.Float64bits(*e.D) {
				t.Errorf("%s %s = %v, want %v", c.Name(), path, x.D, *e.D)
			}
		case e.KLL != nil:
			prefix := path[:len(path)-len("distribution/kll")]
			if n := getInt(t, s, prefix+"distribution/n"); uint64(n) != e.KLL.N {
				t.Errorf("%s %sdistribution/n = %d, want %d", c.Name(), prefix, n, e.KLL.N)
			}
			lo, hi := e.KLL.Min, e.KLL.Max
			if e.KLL.SingleItem != nil {
				lo, hi = e.KLL.SingleItem, e.KLL.SingleItem
			}
			if lo != nil && (getFloat(t, s, prefix+"distribution/min") != *lo || getFloat(t, s, prefix+"distribution/max") != *hi) {
				t.Errorf("%s %s min/max = %v/%v, want %v/%v", c.Name(), path, getFloat(t, s, prefix+"distribution/min"),
					getFloat(t, s, prefix+"distribution/max"), *lo, *hi)
			}
		case e.HLL != nil:
			prefix := path[:len(path)-len("cardinality/hll")]
			est := getFloat(t, s, prefix+"cardinality/est")
			var count int
			switch {
			case e.HLL.ListCount != nil:
				count = *e.HLL.ListCount
			case e.HLL.SetCount != nil:
				count = *e.HLL.SetCount
			default:
				continue // HLL mode: no exact count to compare with
			}
			if math.Abs(est-float64(count)) > 1e-6*float64(count)+1e-6 {
				t.Errorf("%s %s est = %v, want %d coupons", c.Name(), path, est, count)
			}
		case e.FI != nil:
			prefix := path[:len(path)-len("frequent_items/frequent_strings")]
			if e.FI.Offset != 0 {
				continue // purged: estimates carry an offset
			}
			items := get(t, s, prefix+"frequent_items/frequent_strings").Items
			byValue := map[string]int64{}
			for _, it := range items {
				byValue[it.Value] = it.Est
			}
			for _, ti := range e.FI.TopItems {
				v, w := ti[0].(string), int64(ti[1].(float64))
				if byValue[v] != w {
					t.Errorf("%s %s: item %q = %d, want %d", c.Name(), path, v, byValue[v], w)
				}
			}
		}
	}
}

// TestGoldenNotebookSummary checks our summary of the whylogs-written example
// profile against the values the whylogs notebook printed for it, and against
// our own profile of the same input.
func TestGoldenNotebookSummary(t *testing.T) {
	w := loadV1(t, "v1-whylogs-example-2022-05.bin")
	s1 := summary(t, w, "col_1")
	for k, v := range map[string]float64{"distribution/max": 2.2, "distribution/min": 0.1, "distribution/q_10": 0.1,
		"distribution/q_25": 1.0, "distribution/median": 1.2, "distribution/q_75": 2.2, "distribution/q_90": 2.2,
		"distribution/mean": 1.125} {
		if got := getFloat(t, s1, k); got != v {
			t.Errorf("col_1 %s = %v, want %v", k, got, v)
		}
	}
	s3 := summary(t, w, "col_3")
	for k, v := range map[string]float64{"distribution/q_10": 2, "distribution/q_25": 3, "distribution/median": 4,
		"distribution/q_75": 5, "distribution/q_90": 5} {
		if got := getFloat(t, s3, k); got != v {
			t.Errorf("col_3 %s = %v, want %v", k, got, v)
		}
	}
	for _, col := range []string{"col_1", "col_2", "col_3"} {
		s := summary(t, w, col)
		if getInt(t, s, "counts/n") != 4 || math.Abs(getFloat(t, s, "cardinality/est")-4) > 1e-6 ||
			math.Abs(getFloat(t, s, "cardinality/upper_1")-4.0002) > 5e-5 {
			t.Errorf("%s: %v", col, s.Entries)
		}
	}
	// Our own profile of the same input agrees on everything but the
	// frequent-item strings of the integer column (the 2022 file predates
	// decimal strings) and the extra counters the old file lacks.
	p := newProfile(t, profiler.Config{})
	col1 := []float64{1.0, 2.2, 0.1, 1.2}
	col2 := []string{"some", "text", "column", "example"}
	col3 := []int64{4, 2, 3, 5}
	for i := range 4 {
		p.Column("col_1").UpdateFloat64(col1[i])
		p.Column("col_2").UpdateString(col2[i])
		p.Column("col_3").UpdateInt64(col3[i])
	}
	for _, col := range []string{"col_1", "col_2", "col_3"} {
		ours, theirs := summary(t, p, col), summary(t, w, col)
		for _, e := range theirs.Entries {
			o, ok := ours.Lookup(e.Key)
			if !ok {
				t.Errorf("%s: our summary lacks %s", col, e.Key)
				continue
			}
			switch e.Value.Kind {
			case profiler.SummaryInt:
				if o.Int != e.Value.Int {
					t.Errorf("%s %s: ours %d, whylogs %d", col, e.Key, o.Int, e.Value.Int)
				}
			case profiler.SummaryFloat:
				if !sameFloat(o.Float, e.Value.Float) && !relClose(o.Float, e.Value.Float, 1e-9) {
					t.Errorf("%s %s: ours %v, whylogs %v", col, e.Key, o.Float, e.Value.Float)
				}
			}
		}
	}
	// A whylogs profile merged with ours has exact totals.
	if err := w.Merge(p, profiler.MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	s := summary(t, w, "col_3")
	if getInt(t, s, "counts/n") != 8 || getInt(t, s, "distribution/n") != 8 || getFloat(t, s, "distribution/mean") != 3.5 ||
		!relClose(getFloat(t, s, "distribution/stddev"), math.Sqrt(10.0/7), 1e-12) {
		t.Errorf("merged whylogs+ours col_3: %v", s.Entries)
	}
}

// TestGoldenSketchBytes: importing and exporting a whylogs file reproduces its
// KLL (whylogs fork layout, preamble 6) and HLL images byte for byte. Old
// preamble-5 KLLs (2022 files, k = 256) are rewritten in the layout current
// whylogs requires; frequent-items images are equal as sketches but may list
// items in another order (C++ hash-map order), so they are compared by summary
// in TestGoldenWhylogsComponents.
func TestGoldenSketchBytes(t *testing.T) {
	for _, name := range goldenFiles {
		f := readV1(t, filepath.Join("testdata", name))
		p := loadV1(t, name)
		checked := 0
		for col, comps := range f.columns {
			c, _ := p.Lookup(col)
			out, err := c.Components()
			if err != nil {
				t.Fatal(err)
			}
			exported := map[string][]byte{}
			for _, x := range out {
				exported[x.Path] = x.Sketch
			}
			for _, x := range comps {
				switch {
				case x.Kind == profiler.KindHLL,
					x.Kind == profiler.KindKLL && (x.Sketch[0] != 5):
					checked++
					if string(exported[x.Path]) != string(x.Sketch) {
						t.Errorf("%s %s %s: exported image differs from whylogs'\n got % x\nwant % x", name, col, x.Path,
							exported[x.Path], x.Sketch)
					}
				case x.Kind == profiler.KindKLL:
					if got := exported[x.Path]; len(got) < 8 || got[0] != 6 || got[4] != x.Sketch[4] || got[5] != x.Sketch[5] {
						t.Errorf("%s %s %s: preamble-5 KLL exported as % x, want preamble 6 with k kept", name, col, x.Path, got[:min(8, len(got))])
					}
				}
			}
		}
		if checked == 0 {
			t.Errorf("%s: no sketch images compared", name)
		}
	}
}
