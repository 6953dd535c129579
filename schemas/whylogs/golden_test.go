package whylogs

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
)

// testdataDir holds the whylogs golden files (copied by the schemas package
// from shared/testdata/whylogs; see its README).
const testdataDir = "../testdata"

type expectedSketch struct {
	Kll *struct {
		N        uint64  `json:"n"`
		Min, Max float64 `json:"-"`
		MinRaw   any     `json:"min"`
		MaxRaw   any     `json:"max"`
		Single   any     `json:"single_item"`
		K        int     `json:"k"`
		Preamble int     `json:"preamble_ints"`
	} `json:"kll"`
	Hll *struct {
		Mode      string `json:"mode"`
		ListCount *int   `json:"list_count"`
		SetCount  *int   `json:"set_count"`
		LgK       int    `json:"lg_k"`
	} `json:"hll"`
	Fi *struct {
		Offset      int64   `json:"offset"`
		NumActive   int     `json:"num_active"`
		TotalWeight int64   `json:"total_weight"`
		TopItems    [][]any `json:"top_items"`
	} `json:"fi"`
	N      *int64   `json:"n"`
	D      *float64 `json:"d"`
	TypeID uint32   `json:"type_id"`
}

type expectedFile struct {
	Properties struct {
		CreationTimestamp int64             `json:"creation_timestamp"`
		DatasetTimestamp  int64             `json:"dataset_timestamp"`
		Meta              map[string]string `json:"meta"`
		Tags              map[string]string `json:"tags"`
	} `json:"properties"`
	IndexedMetricPaths []string                             `json:"indexed_metric_paths"`
	Segments           [][][2]string                        `json:"segments"`
	Columns            map[string]map[string]expectedSketch `json:"columns"`
}

func loadExpected(t *testing.T) map[string]expectedFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, "expected_v1_decoded.json"))
	if err != nil {
		t.Fatalf("golden data missing: %v", err)
	}
	var m map[string]expectedFile
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func goldenFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testdataDir, "*.bin"))
	if err != nil || len(files) != 8 {
		t.Fatalf("want the 8 golden profiles in %s, got %v (%v)", testdataDir, files, err)
	}
	return files
}

// summaryKey maps a component path and a summary key suffix to the summary
// key: "image/Hue.mean:distribution/kll" + "n" → "image/Hue.mean:distribution/n".
func summaryKey(path, suffix string) string {
	i := strings.LastIndexByte(path, '/')
	return path[:i+1] + suffix
}

func lookup(t *testing.T, cs profiler.ColumnSummary, key string) profiler.SummaryValue {
	t.Helper()
	v, ok := cs.Lookup(key)
	if !ok {
		t.Fatalf("column %q: no summary key %q", cs.Column, key)
	}
	return v
}

func summaryOf(t *testing.T, p *profiler.DatasetProfile, col string) profiler.ColumnSummary {
	t.Helper()
	c, ok := p.Lookup(col)
	if !ok {
		t.Fatalf("no column %q", col)
	}
	return c.Summary()
}

func TestGoldenFilesDecode(t *testing.T) {
	want := map[string]struct {
		format  profilefile.Format
		columns int
	}{
		"v0-java-classification.bin":              {profilefile.FormatV0, 23},
		"v0-profile-cars-2022-02.bin":             {profilefile.FormatV0, 22},
		"v1-lendingclub.bin":                      {profilefile.FormatV1, 151},
		"v1-parser-profile.bin":                   {profilefile.FormatV1, 3},
		"v1-segmented-category-whylogs-1.5.1.bin": {profilefile.FormatV1, 7},
		"v1-segmented-two-columns-compound.bin":   {profilefile.FormatV1, 13},
		"v1-toydata.bin":                          {profilefile.FormatV1, 3},
		"v1-whylogs-example-2022-05.bin":          {profilefile.FormatV1, 3},
	}
	for _, path := range goldenFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			p, format, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			w, ok := want[name]
			if !ok {
				t.Fatalf("unexpected golden file %s", name)
			}
			if format != w.format || len(p.ColumnNames()) != w.columns || len(p.Summary()) != w.columns {
				t.Errorf("format %v, %d columns, %d summaries; want %v, %d", format, len(p.ColumnNames()), len(p.Summary()), w.format, w.columns)
			}
		})
	}
}

// TestGoldenV1Expected checks every decoded v1 file against the values in
// expected_v1_decoded.json: properties, segments, every scalar component
// (through Column.Components and the summary) and the sketch facts (KLL n,
// min, max; HLL counts; frequent items).
func TestGoldenV1Expected(t *testing.T) {
	exp := loadExpected(t)
	if len(exp) != 6 {
		t.Fatalf("expected_v1_decoded.json has %d files, want 6", len(exp))
	}
	for _, name := range slices.Sorted(maps.Keys(exp)) {
		e := exp[name]
		t.Run(name, func(t *testing.T) {
			p, format, err := ReadFile(filepath.Join(testdataDir, name))
			if err != nil {
				t.Fatal(err)
			}
			if format != profilefile.FormatV1 {
				t.Fatalf("format %v", format)
			}
			if got := p.DatasetTimestamp().UnixMilli(); got != e.Properties.DatasetTimestamp {
				t.Errorf("dataset timestamp %d, want %d", got, e.Properties.DatasetTimestamp)
			}
			if got := p.CreationTimestamp().UnixMilli(); got != e.Properties.CreationTimestamp {
				t.Errorf("creation timestamp %d, want %d", got, e.Properties.CreationTimestamp)
			}
			checkProperties(t, p, e)
			if got, want := p.ColumnNames(), slices.Sorted(maps.Keys(e.Columns)); !slices.Equal(got, want) {
				t.Fatalf("columns %v, want %v", got, want)
			}
			var paths []string
			for col, comps := range e.Columns {
				c, _ := p.Lookup(col)
				cc, err := c.Components()
				if err != nil {
					t.Fatal(err)
				}
				ccs := profiler.ColumnComponents{Name: col, Components: cc}
				sum := c.Summary()
				for path, x := range comps {
					paths = append(paths, path)
					checkComponent(t, col, path, x, ccs, sum)
				}
			}
			slices.Sort(paths)
			if got := slices.Compact(paths); !slices.Equal(got, e.IndexedMetricPaths) {
				t.Errorf("test data inconsistent: paths %v vs index %v", got, e.IndexedMetricPaths)
			}
		})
	}
}

func checkProperties(t *testing.T, p *profiler.DatasetProfile, e expectedFile) {
	t.Helper()
	if len(e.Segments) == 0 {
		if !p.Segment().IsZero() {
			t.Errorf("segment %v on a plain profile", p.Segment())
		}
		want := maps.Clone(e.Properties.Tags)
		if want == nil {
			want = map[string]string{}
		}
		maps.Copy(want, e.Properties.Meta) // whylogs' reader: metadata wins
		if got := p.Metadata(); !maps.Equal(got, want) {
			t.Errorf("metadata %v, want %v", got, want)
		}
		return
	}
	seg := p.Segment()
	var tags [][2]string
	for _, tg := range seg.Tags {
		tags = append(tags, [2]string{profiler.TagPrefix + tg.Key, tg.Value})
	}
	if !slices.Equal(tags, e.Segments[0]) {
		t.Errorf("segment tags %v, want %v", tags, e.Segments[0])
	}
	if seg.PartitionID != e.Properties.Meta["segp_id"] || seg.PartitionName != e.Properties.Meta["segp_name"] {
		t.Errorf("partition %q %q, want %q %q", seg.PartitionID, seg.PartitionName, e.Properties.Meta["segp_id"], e.Properties.Meta["segp_name"])
	}
	// whylogs computes the partition id from the columns; so must we.
	if id := profiler.PartitionID(seg.Columns, seg.Filter); id != seg.PartitionID {
		t.Errorf("PartitionID(%v) = %.16s…, file has %.16s…", seg.Columns, id, seg.PartitionID)
	}
	// Writing the profile again must give the file's properties.
	f, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Properties().GetTags(); !maps.Equal(got, e.Properties.Tags) {
		t.Errorf("re-encoded tags %v, want %v", got, e.Properties.Tags)
	}
	if got := f.Properties().GetMetadata(); !maps.Equal(got, e.Properties.Meta) {
		t.Errorf("re-encoded metadata %v, want %v", got, e.Properties.Meta)
	}
}

func checkComponent(t *testing.T, col, path string, x expectedSketch, cc profiler.ColumnComponents, sum profiler.ColumnSummary) {
	t.Helper()
	got, ok := cc.Lookup(path)
	if !ok {
		t.Errorf("%s %s: component missing", col, path)
		return
	}
	switch {
	case x.N != nil:
		if got.Kind != profiler.KindN || got.N != *x.N || got.TypeID != x.TypeID {
			t.Errorf("%s %s: %+v, want n=%d type_id=%d", col, path, got, *x.N, x.TypeID)
		}
		if !strings.Contains(path, "ints/") { // counts/* and types/* are summary values as they are
			if v := lookup(t, sum, path); v.Kind != profiler.SummaryInt || v.Int != *x.N {
				t.Errorf("%s summary %s = %v, want %d", col, path, v, *x.N)
			}
		} else if v := lookup(t, sum, path); v.Int != *x.N {
			t.Errorf("%s summary %s = %v, want %d", col, path, v, *x.N)
		}
	case x.D != nil:
		if got.Kind != profiler.KindD || math.Float64bits(got.D) != math.Float64bits(*x.D) {
			t.Errorf("%s %s: %+v, want d=%v", col, path, got, *x.D)
		}
		if strings.HasSuffix(path, "/mean") {
			if v := lookup(t, sum, path); v.Float != *x.D {
				t.Errorf("%s summary %s = %v, want %v", col, path, v, *x.D)
			}
		}
	case x.Kll != nil:
		if v := lookup(t, sum, summaryKey(path, "n")); v.Int != int64(x.Kll.N) {
			t.Errorf("%s %s: summary n %v, want %d", col, path, v, x.Kll.N)
		}
		if x.Kll.N == 1 && x.Kll.MinRaw == nil { // the single-item form stores the item only
			x.Kll.MinRaw, x.Kll.MaxRaw = x.Kll.Single, x.Kll.Single
		}
		if x.Kll.N > 0 {
			for key, raw := range map[string]any{"min": x.Kll.MinRaw, "max": x.Kll.MaxRaw} {
				w, ok := raw.(float64)
				if !ok {
					t.Errorf("%s %s: expected %s %v is not a number", col, path, key, raw)
					continue
				}
				if v := lookup(t, sum, summaryKey(path, key)); v.Float != w {
					t.Errorf("%s %s: summary %s %v, want %v", col, path, key, v, w)
				}
			}
			// Quantiles of a non-empty sketch lie within [min, max].
			med := lookup(t, sum, summaryKey(path, "median"))
			lo, _ := x.Kll.MinRaw.(float64)
			hi, _ := x.Kll.MaxRaw.(float64)
			if med.Kind != profiler.SummaryFloat || med.Float < lo || med.Float > hi {
				t.Errorf("%s %s: median %v outside [%v, %v]", col, path, med, x.Kll.MinRaw, x.Kll.MaxRaw)
			}
		} else if v := lookup(t, sum, summaryKey(path, "median")); v.Kind != profiler.SummaryNull {
			t.Errorf("%s %s: median of an empty sketch %v, want None", col, path, v)
		}
	case x.Hll != nil:
		est := lookup(t, sum, summaryKey(path, "est")).Float
		lo := lookup(t, sum, summaryKey(path, "lower_1")).Float
		hi := lookup(t, sum, summaryKey(path, "upper_1")).Float
		if !(lo <= est && est <= hi) {
			t.Errorf("%s %s: est %v outside [%v, %v]", col, path, est, lo, hi)
		}
		count := -1
		switch {
		case x.Hll.ListCount != nil:
			count = *x.Hll.ListCount
		case x.Hll.SetCount != nil:
			count = *x.Hll.SetCount
		}
		if count >= 0 && math.Abs(est-float64(count)) > 1e-4*float64(count)+1e-9 {
			t.Errorf("%s %s: %s mode with %d coupons: est %v", col, path, x.Hll.Mode, count, est)
		}
		if x.Hll.Mode == "HLL" && est < 100 {
			t.Errorf("%s %s: HLL mode with est %v", col, path, est)
		}
	case x.Fi != nil:
		items := lookup(t, sum, summaryKey(path, "frequent_strings")).Items
		byValue := map[string]profiler.FrequentItem{}
		for _, it := range items {
			byValue[it.Value] = it
		}
		if len(items) > x.Fi.NumActive {
			t.Errorf("%s %s: %d items, sketch has %d", col, path, len(items), x.Fi.NumActive)
		}
		for _, ti := range x.Fi.TopItems {
			item, count := ti[0].(string), int64(ti[1].(float64))
			it, ok := byValue[item]
			if !ok {
				if x.Fi.Offset == 0 {
					t.Errorf("%s %s: item %q (count %d) missing from %v", col, path, item, count, items)
				}
				continue
			}
			if it.Est != count+x.Fi.Offset || it.Lower != count || it.Upper != count+x.Fi.Offset {
				t.Errorf("%s %s: item %+v, want est %d lower %d (offset %d)", col, path, it, count+x.Fi.Offset, count, x.Fi.Offset)
			}
		}
	default:
		t.Errorf("%s %s: test data has no value", col, path)
	}
}

// TestGoldenNotebook checks v1-whylogs-example-2022-05.bin against the
// to_pandas() output saved in whylogs' writing_profiles notebook (input
// col_1=[1.0,2.2,0.1,1.2], col_2=[some,text,column,example], col_3=[4,2,3,5]).
func TestGoldenNotebook(t *testing.T) {
	p, _, err := ReadFile(filepath.Join(testdataDir, "v1-whylogs-example-2022-05.bin"))
	if err != nil {
		t.Fatal(err)
	}
	type kv = map[string]float64
	want := map[string]kv{
		"col_1": {"types/fractional": 4, "distribution/n": 4, "distribution/max": 2.2, "distribution/min": 0.1,
			"distribution/q_10": 0.1, "distribution/q_25": 1.0, "distribution/median": 1.2, "distribution/q_75": 2.2,
			"distribution/q_90": 2.2, "distribution/mean": 1.125},
		"col_2": {"types/string": 4},
		"col_3": {"types/integral": 4, "distribution/q_10": 2, "distribution/q_25": 3, "distribution/median": 4,
			"distribution/q_75": 5, "distribution/q_90": 5, "ints/max": 5, "ints/min": 2, "distribution/mean": 3.5},
	}
	for col, keys := range want {
		keys["counts/n"], keys["counts/null"] = 4, 0
		keys["cardinality/est"], keys["cardinality/lower_1"] = 4, 4
		sum := summaryOf(t, p, col)
		for key, w := range keys {
			v := lookup(t, sum, key)
			var got float64
			switch v.Kind {
			case profiler.SummaryInt:
				got = float64(v.Int)
			case profiler.SummaryFloat:
				got = v.Float
			default:
				t.Errorf("%s %s = %v", col, key, v)
				continue
			}
			tol := 0.0
			if strings.HasPrefix(key, "cardinality/") {
				tol = 1e-6 // the notebook prints 4.0; the estimate is 4.000000099…
			}
			if math.Abs(got-w) > tol {
				t.Errorf("%s %s = %v, want %v", col, key, got, w)
			}
		}
		// The notebook prints upper_1 rounded to 4.0002.
		if up := lookup(t, sum, "cardinality/upper_1").Float; math.Abs(up-4.0002) > 5e-5 {
			t.Errorf("%s cardinality/upper_1 = %v, want 4.0002", col, up)
		}
	}
	// stddev = sqrt(m2/(n-1)) with m2 from the file.
	if sd := lookup(t, summaryOf(t, p, "col_1"), "distribution/stddev").Float; math.Abs(sd-math.Sqrt(2.2275/3)) > 1e-12 {
		t.Errorf("col_1 stddev %v", sd)
	}
	if sd := lookup(t, summaryOf(t, p, "col_3"), "distribution/stddev").Float; math.Abs(sd-math.Sqrt(5.0/3)) > 1e-12 {
		t.Errorf("col_3 stddev %v", sd)
	}
}
