package whylogs

import (
	"bytes"
	"encoding/hex"
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
	"github.com/kprofiler/kprofiler/schemas/whylogspb"
	"github.com/kprofiler/kprofiler/schemas/whylogsv0pb"
	"github.com/kprofiler/kprofiler/sketches"
)

var (
	tData    = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tCreated = time.Date(2024, 3, 1, 12, 5, 0, 123e6, time.UTC)
)

// toyProfile is whylogs' toy data frame (tests/conftest.py pandas_dataframe).
func toyProfile(t *testing.T) *profiler.DatasetProfile {
	t.Helper()
	p, err := profiler.NewDatasetProfile(tData, tCreated, profiler.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"cat", "hawk", "snake", "cat"} {
		p.Column("animal").UpdateString(a)
	}
	for _, l := range []int64{4, 2, 0, 4} {
		p.Column("legs").UpdateInt64(l)
	}
	for _, w := range []float64{4.3, 1.8, math.NaN(), 4.1} {
		p.Column("weight").UpdateFloat64(w)
	}
	p.SetName("toy")
	p.SetTag("env", "test")
	p.SetMetadata("owner", "kprofiler")
	return p
}

func TestEncodePlain(t *testing.T) {
	p := toyProfile(t)
	f, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Segment != nil {
		t.Errorf("plain profile has a segment header %v", f.Segment)
	}
	props := f.Properties()
	if props.GetDatasetTimestamp() != uint64(tData.UnixMilli()) || props.GetCreationTimestamp() != uint64(tCreated.UnixMilli()) {
		t.Errorf("timestamps %v", props)
	}
	if !maps.Equal(props.GetTags(), map[string]string{"whylogs.tag.env": "test"}) ||
		!maps.Equal(props.GetMetadata(), map[string]string{"name": "toy", "owner": "kprofiler"}) {
		t.Errorf("tags %v metadata %v", props.GetTags(), props.GetMetadata())
	}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// whylogs' plain layout: magic, empty segment header (one 0x00 byte).
	if !bytes.HasPrefix(b, []byte("WHY1\x00")) {
		t.Errorf("file starts %q", b[:8])
	}
	// The legs column: integral metrics, as whylogs writes them.
	legs := f.Columns["legs"].GetMetricComponents()
	if legs["ints/max"].GetN() != 4 || legs["ints/max"].GetTypeId() != 2 || legs["ints/min"].GetN() != 0 || legs["ints/min"].GetTypeId() != 1 {
		t.Errorf("ints %v %v", legs["ints/max"], legs["ints/min"])
	}
	if legs["distribution/mean"].GetD() != 2.5 || legs["distribution/m2"].GetD() != 11 || legs["counts/n"].GetN() != 4 {
		t.Errorf("legs %v", legs)
	}
	if _, ok := f.Columns["weight"].GetMetricComponents()["frequent_items/frequent_strings"]; ok {
		t.Errorf("fractional column has frequent items")
	}
	// Read back: same summaries.
	p2, format, err := Read(b)
	if err != nil || format != profilefile.FormatV1 {
		t.Fatal(format, err)
	}
	if summaryText(p2.Summary()) != summaryText(p.Summary()) {
		t.Errorf("summaries differ after write/read")
	}
	if !maps.Equal(p2.Metadata(), p.Metadata()) {
		t.Errorf("metadata %v, want %v", p2.Metadata(), p.Metadata())
	}
}

// TestEncodeSegmented checks the segmented layout against whylogs' own file
// v1-segmented-category-whylogs-1.5.1.bin: the same segment header bytes,
// tags and segp_* metadata for the same segment.
func TestEncodeSegmented(t *testing.T) {
	seg, err := profiler.NewSegment("", []string{"category"}, "", []string{"Fruits and Vegetables"})
	if err != nil {
		t.Fatal(err)
	}
	p := toyProfile(t)
	p.SetSegment(seg)
	p.DeleteMetadata("whylogs.tag.env")
	p.DeleteMetadata("name")
	p.DeleteMetadata("owner")
	f, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString("0801222f0a2d0a147768796c6f67732e7461672e63617465676f7279121546727569747320616e6420566567657461626c65732a0408001009")
	if !bytes.HasPrefix(b, append([]byte("WHY1\x39"), want...)) {
		t.Errorf("segment header %x, want %x", b[4:4+1+len(want)], want)
	}
	golden, err := profilefile.ReadV1(mustOpen(t, filepath.Join(testdataDir, "v1-segmented-category-whylogs-1.5.1.bin")))
	if err != nil {
		t.Fatal(err)
	}
	gp := golden.Properties()
	if !maps.Equal(f.Properties().GetTags(), gp.GetTags()) {
		t.Errorf("tags %v, want %v", f.Properties().GetTags(), gp.GetTags())
	}
	for _, k := range []string{"segp_id", "segp_name", "segp_col"} {
		if f.Properties().GetMetadata()[k] != gp.GetMetadata()[k] {
			t.Errorf("metadata %s = %q, want %q", k, f.Properties().GetMetadata()[k], gp.GetMetadata()[k])
		}
	}
	back, _, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Segment().Equal(seg) {
		t.Errorf("segment read back %v, want %v", back.Segment(), seg)
	}
	if len(back.Metadata()) != 0 {
		t.Errorf("segment properties leaked into metadata: %v", back.Metadata())
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestEncodeErrors(t *testing.T) {
	p, err := profiler.NewDatasetProfile(time.UnixMilli(-5), tCreated, profiler.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p.Column("x").UpdateInt64(1)
	if _, err := Encode(p); !errors.Is(err, ErrInvalidProfile) {
		t.Errorf("negative timestamp: %v", err)
	}
	dst := []byte("keep")
	out, err := AppendV1(dst, p)
	if err == nil || string(out) != "keep" {
		t.Errorf("AppendV1 on error: %q %v", out, err)
	}
	// An empty profile is a valid file without columns.
	e, _ := profiler.NewDatasetProfile(tData, tCreated, profiler.Config{})
	b, err := MarshalV1(e)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := Read(b)
	if err != nil || len(back.ColumnNames()) != 0 {
		t.Errorf("empty profile: %v %v", back, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	good, err := MarshalV1(toyProfile(t))
	if err != nil {
		t.Fatal(err)
	}
	// Every truncation fails cleanly with an error, never a panic.
	for n := 0; n < len(good); n += 7 {
		if _, _, err := Read(good[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	if _, _, err := Read(good[:len(good)-3]); !errors.Is(err, profilefile.ErrCorrupt) || !strings.Contains(err.Error(), "offset") {
		t.Errorf("truncated: %v", err)
	}
	if _, _, err := Read([]byte("hello world, not a profile")); !errors.Is(err, profilefile.ErrNotProfile) && !errors.Is(err, profilefile.ErrCorrupt) {
		t.Errorf("junk: %v", err)
	}
	if _, _, err := Read([]byte("WHY2....")); !errors.Is(err, profilefile.ErrUnsupportedVersion) {
		t.Errorf("WHY2: %v", err)
	}
	if _, _, err := Read(nil); !errors.Is(err, profilefile.ErrNotProfile) {
		t.Errorf("empty: %v", err)
	}

	f, err := profilefile.ParseV1(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := f.Clone()
	bad.Columns["legs"].MetricComponents["distribution/kll"] = &whylogspb.MetricComponentMessage{
		Value: &whylogspb.MetricComponentMessage_Kll{Kll: &whylogspb.KllSketchMessage{Sketch: []byte{1, 2, 3}}}}
	_, err = Decode(bad)
	if !errors.Is(err, profiler.ErrComponent) || !strings.Contains(err.Error(), `"legs"`) || !strings.Contains(err.Error(), "distribution/kll") {
		t.Errorf("bad KLL: %v", err)
	}
	bad = f.Clone()
	bad.Columns["animal"].MetricComponents["counts/n"] = &whylogspb.MetricComponentMessage{}
	if _, err = Decode(bad); !errors.Is(err, profilefile.ErrCorrupt) || !strings.Contains(err.Error(), `"animal"`) || !strings.Contains(err.Error(), "counts/n") {
		t.Errorf("no value: %v", err)
	}
	bad = f.Clone()
	bad.Columns["animal"].MetricComponents["custom/x"] = &whylogspb.MetricComponentMessage{
		Value: &whylogspb.MetricComponentMessage_DataclassParam{}}
	if _, err = Decode(bad); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "custom/x") {
		t.Errorf("dataclass: %v", err)
	}
	// Decode leaves the File alone.
	before, _ := f.MarshalBinary()
	if _, err := Decode(f); err != nil {
		t.Fatal(err)
	}
	if after, _ := f.MarshalBinary(); !bytes.Equal(before, after) {
		t.Errorf("Decode modified the File")
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "broken.bin")
	if err := os.WriteFile(path, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadFile(path); err == nil || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("ReadFile error does not start with the path: %v", err)
	}
	if _, _, err := ReadFile(filepath.Join(dir, "missing.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestDecodeV0 compares the converted v0 profiles with the v0 messages:
// counts, type counts, variance, longs, and the KLL floats histogram widened
// to doubles (same n, min, max and quantiles), as whylogs' v0_to_v1_view does.
func TestDecodeV0(t *testing.T) {
	for _, tc := range []struct {
		file      string
		columns   int
		meta      map[string]string
		ds, cs    int64
		hasFIOnly string
	}{
		{"v0-profile-cars-2022-02.bin", 22, map[string]string{"name": "profile_2022_02"}, 1649257655165, 1649263096574, ""},
		{"v0-java-classification.bin", 23, map[string]string{"Name": "my-model-name", "time": "2020-01-30T00:00:00"}, 0, 0, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(testdataDir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := profilefile.ParseV0(data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := DecodeV0(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.ColumnNames()) != tc.columns {
				t.Errorf("%d columns, want %d", len(p.ColumnNames()), tc.columns)
			}
			for k, v := range tc.meta {
				if p.Metadata()[k] != v {
					t.Errorf("metadata %s = %q, want %q (all: %v)", k, p.Metadata()[k], v, p.Metadata())
				}
			}
			if tc.ds != 0 && (p.DatasetTimestamp().UnixMilli() != tc.ds || p.CreationTimestamp().UnixMilli() != tc.cs) {
				t.Errorf("timestamps %v %v", p.DatasetTimestamp(), p.CreationTimestamp())
			}
			if got := p.DatasetTimestamp().UnixMilli(); got != m.GetProperties().GetDataTimestamp() {
				t.Errorf("dataset timestamp %d, want data_timestamp %d", got, m.GetProperties().GetDataTimestamp())
			}
			nonEmpty := 0
			for name, cm := range m.GetColumns() {
				sum := summaryOf(t, p, name)
				geti := func(key string) int64 { return lookup(t, sum, key).Int }
				if geti("counts/n") != cm.GetCounters().GetCount() || geti("counts/null") != cm.GetCounters().GetNullCount().GetValue() {
					t.Errorf("%s counts", name)
				}
				tcs := cm.GetSchema().GetTypeCounts()
				if geti("types/integral") != tcs[3] || geti("types/fractional") != tcs[2] || geti("types/boolean") != tcs[4] ||
					geti("types/string") != tcs[5] || geti("types/object") != tcs[0] {
					t.Errorf("%s types %v", name, tcs)
				}
				if geti("ints/max") != cm.GetNumbers().GetLongs().GetMax() || geti("ints/min") != cm.GetNumbers().GetLongs().GetMin() {
					t.Errorf("%s ints", name)
				}
				if v := lookup(t, sum, "distribution/mean"); v.Float != cm.GetNumbers().GetVariance().GetMean() {
					t.Errorf("%s mean %v", name, v)
				}
				h := cm.GetNumbers().GetHistogram()
				fl := &sketches.KLLFloats{}
				if err := fl.UnmarshalBinary(h); err != nil {
					t.Fatalf("%s: test data histogram: %v", name, err)
				}
				if geti("distribution/n") != int64(fl.N()) {
					t.Errorf("%s distribution/n %d, want %d", name, geti("distribution/n"), fl.N())
				}
				if fl.IsEmpty() {
					continue
				}
				nonEmpty++
				for key, r := range map[string]float64{"q_01": 0.01, "q_25": 0.25, "median": 0.5, "q_75": 0.75, "q_99": 0.99} {
					want, _ := fl.WhylogsQuantile(r)
					if got := lookup(t, sum, "distribution/"+key).Float; got != float64(want) {
						t.Errorf("%s %s = %v, want float64(%v)", name, key, got, want)
					}
				}
				if lookup(t, sum, "distribution/min").Float != float64(fl.Min()) || lookup(t, sum, "distribution/max").Float != float64(fl.Max()) {
					t.Errorf("%s min/max", name)
				}
				c, _ := p.Lookup(name)
				comps, _ := c.Components()
				k, _ := profiler.ColumnComponents{Components: comps}.Lookup("distribution/kll")
				d := &sketches.KLLDoubles{}
				if err := d.UnmarshalBinary(k.Sketch); err != nil || d.K() != fl.K() || d.NumLevels() != fl.NumLevels() || d.NumRetained() != fl.NumRetained() {
					t.Errorf("%s: widened KLL k/levels/retained differ: %v", name, err)
				}
			}
			if nonEmpty == 0 {
				t.Errorf("no column with a histogram")
			}
		})
	}
}

func TestDecodeV0Fallbacks(t *testing.T) {
	m := &whylogsv0pb.DatasetProfileMessage{
		Properties: &whylogsv0pb.DatasetProperties{DataTimestamp: 1000, SessionTimestamp: 2000,
			Tags: map[string]string{"name": "from-tags"}, Metadata: map[string]string{"name": "from-meta", "k": "v"}},
		Columns: map[string]*whylogsv0pb.ColumnMessage{"c": {Counters: &whylogsv0pb.Counters{Count: 3}}},
	}
	p, err := DecodeV0(m)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(p.Metadata(), map[string]string{"name": "from-tags", "k": "v"}) {
		t.Errorf("metadata %v: v0 tags must win", p.Metadata())
	}
	sum := summaryOf(t, p, "c")
	if lookup(t, sum, "distribution/n").Int != 0 || lookup(t, sum, "cardinality/est").Float != 0 {
		t.Errorf("empty column summary %v", sum)
	}
	if _, ok := sum.Lookup("frequent_items/frequent_strings"); ok {
		t.Errorf("frequent items without a sketch")
	}
	// A doubles histogram (v1-era writers) is accepted too.
	d, _ := sketches.NewKLLDoubles(200)
	for i := range 1000 {
		d.Update(float64(i) + 0.25)
	}
	img, _ := d.MarshalBinary()
	m.Columns["c"].Numbers = &whylogsv0pb.NumbersMessage{Histogram: img}
	p, err = DecodeV0(m)
	if err != nil {
		t.Fatal(err)
	}
	if sum := summaryOf(t, p, "c"); lookup(t, sum, "distribution/n").Int != 1000 || lookup(t, sum, "distribution/max").Float != 999.25 {
		t.Errorf("doubles histogram: %v", sum)
	}
	m.Columns["c"].Numbers.Histogram = []byte{5, 1, 15, 0, 1}
	if _, err := DecodeV0(m); err == nil || !strings.Contains(err.Error(), `"c"`) || !strings.Contains(err.Error(), "distribution/kll") {
		t.Errorf("bad histogram: %v", err)
	}
}
