package whylogs

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
)

// checkFastEqual asserts that AppendV1 writes exactly the bytes of Encode +
// File.AppendBinary, appended after a prefix.
func checkFastEqual(t *testing.T, name string, p *profiler.DatasetProfile) {
	t.Helper()
	prefix := []byte("prefix")
	want, err := appendV1Slow(bytes.Clone(prefix), p)
	if err != nil {
		t.Fatalf("%s: slow path: %v", name, err)
	}
	got, err := AppendV1(bytes.Clone(prefix), p)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: %d bytes, reference %d; first difference at byte %d", name, len(got), len(want), i)
	}
	if _, err := profilefile.ParseV1(got[len(prefix):]); err != nil {
		t.Fatalf("%s: written file does not parse: %v", name, err)
	}
}

func TestAppendV1MatchesEncode(t *testing.T) {
	ts := time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		seg  bool
		rows []map[string]any
	}{
		{"empty", false, nil},
		{"plain", false, []map[string]any{
			{"a": int64(-5), "b": 1.5, "c": "x", "d": true, "e": nil},
			{"a": int64(math.MaxInt64), "b": math.Inf(1), "c": "", "d": false, "e": []byte("o")},
			{"a": int64(math.MinInt64), "b": math.NaN(), "c": "long string value"},
		}},
		{"segmented", true, []map[string]any{{"country": "US", "n": int64(3), "s": "abc"}}},
	} {
		p, err := profiler.NewDatasetProfile(ts, ts.Add(time.Second), profiler.Config{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if tc.seg {
			seg, err := profiler.NewSegment("", []string{"country"}, "", []string{"US"})
			if err != nil {
				t.Fatal(err)
			}
			p.SetSegment(seg)
			p.SetTag("env", "prod")
		}
		p.SetName("orders")
		for _, r := range tc.rows {
			p.Track(r)
		}
		checkFastEqual(t, tc.name, p)
	}
	// Segmented files with area lengths around the 1 KiB trailer boundary.
	for n := 1; n < 60; n++ {
		p, _ := profiler.NewDatasetProfile(ts, ts, profiler.Config{Seed: 1})
		seg, _ := profiler.NewSegment("", []string{"k"}, "", []string{"v"})
		p.SetSegment(seg)
		for i := range n {
			p.Track(map[string]any{"x": int64(i * 7919), "y": string(rune('a' + i%26))})
		}
		checkFastEqual(t, "rows", p)
	}
	checkFastEqual(t, "events", benchProfile(t, 3000))
}

// TestAppendV1MatchesEncodeFiles covers compound sub-metrics, unknown
// namespaces, CPC and serialized-bytes components from real whylogs files.
func TestAppendV1MatchesEncodeFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdataDir, "v1-*.bin"))
	if len(files) == 0 {
		t.Fatal("no v1 test files")
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := profilefile.ParseV1(data)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		checkFastEqual(t, filepath.Base(path), p)
	}
}

// TestAppendV1Components covers every component kind and type id,
// including empty sketches and negative counts.
func TestAppendV1Components(t *testing.T) {
	ts := time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC)
	p, _ := profiler.NewDatasetProfile(ts, ts, profiler.Config{})
	comps := []profiler.Component{
		{Path: "custom/bytes", Kind: profiler.KindBytes, Sketch: []byte{1, 2, 3}},
		{Path: "custom/cpc", Kind: profiler.KindCPC, Sketch: []byte{9}},
		{Path: "custom/d", Kind: profiler.KindD, D: -0.25},
		{Path: "custom/empty_bytes", Kind: profiler.KindBytes},
		{Path: "custom/max", Kind: profiler.KindN, TypeID: profiler.TypeIDMax, N: -7},
		{Path: "custom/zero", Kind: profiler.KindN},
	}
	if err := p.SetColumnComponents("c", comps); err != nil {
		t.Fatal(err)
	}
	checkFastEqual(t, "components", p)
	bad, _ := profiler.NewDatasetProfile(ts, ts, profiler.Config{})
	if err := bad.SetColumnComponents("c", []profiler.Component{{Path: "custom/none", Kind: profiler.ComponentKind(0)}}); err == nil {
		if _, err := AppendV1(nil, bad); err == nil {
			t.Fatal("a component without a value was written")
		}
	}
}
