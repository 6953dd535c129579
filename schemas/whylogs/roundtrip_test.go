package whylogs

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
	"github.com/kprofiler/kprofiler/schemas/whylogspb"
	"github.com/kprofiler/kprofiler/sketches"
)

// summaryText renders summaries comparably (NaN equals NaN).
func summaryText(sums []profiler.ColumnSummary) string {
	var b strings.Builder
	for _, cs := range sums {
		for _, e := range cs.Entries {
			fmt.Fprintf(&b, "%s %s %d %v\n", cs.Column, e.Key, e.Value.Kind, e.Value)
		}
	}
	return b.String()
}

// TestRoundTripStable: read → write → read gives the same summaries and
// components; writing twice gives identical bytes; writing the re-read
// profile gives the same bytes again (for every golden file, v0 included).
func TestRoundTripStable(t *testing.T) {
	for _, path := range goldenFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			p1, _, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b1, err := MarshalV1(p1)
			if err != nil {
				t.Fatal(err)
			}
			again, err := AppendV1([]byte("prefix"), p1)
			if err != nil || !bytes.Equal(again[6:], b1) || string(again[:6]) != "prefix" {
				t.Fatalf("second encoding differs (err %v)", err)
			}
			p2, format, err := Read(b1)
			if err != nil || format != profilefile.FormatV1 {
				t.Fatalf("re-read: %v %v", format, err)
			}
			// Before any summary: queries sort KLL level 0 in place, which sets
			// the image's LEVEL_ZERO_SORTED flag (as in DataSketches).
			b2, err := MarshalV1(p2)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b1, b2) {
				t.Errorf("write(read(write(x))) differs from write(x): %d vs %d bytes", len(b2), len(b1))
			}
			if s1, s2 := summaryText(p1.Summary()), summaryText(p2.Summary()); s1 != s2 {
				t.Errorf("summaries differ after the round trip")
			}
			c1, err1 := p1.Components()
			c2, err2 := p2.Components()
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if len(c1) != len(c2) {
				t.Fatalf("%d vs %d columns", len(c1), len(c2))
			}
			for i := range c1 {
				if c1[i].Name != c2[i].Name || !slices.EqualFunc(c1[i].Components, c2[i].Components, componentEqual) {
					t.Errorf("column %q: components differ after the round trip", c1[i].Name)
				}
			}
			if !maps.Equal(p1.Metadata(), p2.Metadata()) || !p1.Segment().Equal(p2.Segment()) ||
				!p1.DatasetTimestamp().Equal(p2.DatasetTimestamp()) || !p1.CreationTimestamp().Equal(p2.CreationTimestamp()) {
				t.Errorf("properties differ: %v %v / %v %v", p1.Metadata(), p1.Segment(), p2.Metadata(), p2.Segment())
			}
		})
	}
}

func componentEqual(a, b profiler.Component) bool {
	return a.Path == b.Path && a.TypeID == b.TypeID && a.Kind == b.Kind && a.N == b.N &&
		math.Float64bits(a.D) == math.Float64bits(b.D) && bytes.Equal(a.Sketch, b.Sketch)
}

// newerComponents are the components whylogs added after 1.0 (counts/nan and
// counts/inf in 1.1.11, types/tensor in 1.1.29, counts/true in 1.4.8). The
// profiler always writes them (DEVIATIONS.md 7), with zero for older files.
var newerComponents = []string{"counts/inf", "counts/nan", "counts/true", "types/tensor"}

// TestRewriteWhylogsFiles: decode(whylogs file) → encode gives the whylogs
// File again, modulo map order: every original component is written back
// (scalars identical, HLL images identical, KLL and frequent-items images
// equal as sketches: older KLL images (preamble 5) are written in the layout
// whylogs-sketching reads today (preamble 6), and frequent items are laid out
// by our hash placement, not C++'s); the only additions are the newer
// components with value 0; the properties are the same (older files' tags
// without the "whylogs.tag." prefix become metadata, as whylogs' own reader
// makes them). For the whylogs 1.5.1 file the rewritten file has the same
// length and equal headers.
func TestRewriteWhylogsFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdataDir, "v1-*.bin"))
	if len(files) != 6 {
		t.Fatalf("want 6 v1 files, got %d", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := profilefile.ParseV1(data)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Decode(orig)
			if err != nil {
				t.Fatal(err)
			}
			nf, err := Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(orig.Segment, nf.Segment) {
				t.Errorf("segment header %v, want %v", nf.Segment, orig.Segment)
			}
			op, np := orig.Properties(), nf.Properties()
			if op.GetCreationTimestamp() != np.GetCreationTimestamp() || op.GetDatasetTimestamp() != np.GetDatasetTimestamp() {
				t.Errorf("timestamps %v, want %v", np, op)
			}
			if !proto.Equal(op, np) {
				// Only legal difference: unprefixed tags of old files moved to metadata.
				want := maps.Clone(op.GetMetadata())
				if want == nil {
					want = map[string]string{}
				}
				for k, v := range op.GetTags() {
					if strings.HasPrefix(k, profiler.TagPrefix) {
						t.Errorf("prefixed tag %q not kept as a tag", k)
					}
					if _, ok := want[k]; !ok {
						want[k] = v
					}
				}
				if !maps.Equal(np.GetMetadata(), want) || len(np.GetTags()) != 0 {
					t.Errorf("properties %v, want metadata %v", np, want)
				}
			}
			if got, want := nf.ColumnNames(), orig.ColumnNames(); !slices.Equal(got, want) {
				t.Fatalf("columns %v, want %v", got, want)
			}
			sameBytes := 0
			for _, col := range orig.ColumnNames() {
				om, nm := orig.Columns[col].GetMetricComponents(), nf.Columns[col].GetMetricComponents()
				for path, m := range om {
					n, ok := nm[path]
					if !ok {
						t.Errorf("%s %s: not written back", col, path)
						continue
					}
					if proto.Equal(m, n) {
						sameBytes++
						continue
					}
					if err := sketchesEqual(m, n); err != nil {
						t.Errorf("%s %s: %v", col, path, err)
					}
				}
				for path, n := range nm {
					if _, ok := om[path]; ok {
						continue
					}
					_, local, _ := strings.Cut(path, ":")
					if local == "" {
						local = path
					}
					if !slices.Contains(newerComponents, local) || n.GetN() != 0 {
						t.Errorf("%s: added component %s = %v", col, path, n)
					}
				}
			}
			if sameBytes == 0 {
				t.Errorf("no component written back byte for byte")
			}
			if strings.Contains(path, "1.5.1") {
				nb, err := nf.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if len(nb) != len(data) {
					t.Errorf("rewritten file has %d bytes, whylogs wrote %d", len(nb), len(data))
				}
			}
		})
	}
}

// sketchesEqual compares two sketch components as sketches.
func sketchesEqual(a, b *whylogspb.MetricComponentMessage) error {
	if a.GetTypeId() != b.GetTypeId() {
		return fmt.Errorf("type id %d vs %d", a.GetTypeId(), b.GetTypeId())
	}
	switch {
	case a.GetKll() != nil && b.GetKll() != nil:
		x, y := &sketches.KLLDoubles{}, &sketches.KLLDoubles{}
		if err := x.UnmarshalBinary(a.GetKll().GetSketch()); err != nil {
			return err
		}
		if err := y.UnmarshalBinary(b.GetKll().GetSketch()); err != nil {
			return err
		}
		if b.GetKll().GetSketch()[0] != 6 && y.N() > 1 {
			return fmt.Errorf("rewritten KLL has preamble %d, want the whylogs fork's 6", b.GetKll().GetSketch()[0])
		}
		if x.N() != y.N() || x.K() != y.K() || x.MinK() != y.MinK() || x.NumLevels() != y.NumLevels() || x.NumRetained() != y.NumRetained() {
			return fmt.Errorf("KLL n/k/levels/retained %d/%d/%d/%d vs %d/%d/%d/%d", x.N(), x.K(), x.NumLevels(), x.NumRetained(), y.N(), y.K(), y.NumLevels(), y.NumRetained())
		}
		if x.IsEmpty() {
			return nil
		}
		for r := 0.0; r <= 1.0; r += 0.005 {
			qx, _ := x.WhylogsQuantile(r)
			qy, _ := y.WhylogsQuantile(r)
			if qx != qy {
				return fmt.Errorf("KLL quantile(%v) %v vs %v", r, qx, qy)
			}
		}
		if x.Min() != y.Min() || x.Max() != y.Max() {
			return fmt.Errorf("KLL min/max differ")
		}
		return nil
	case a.GetFrequentItems() != nil && b.GetFrequentItems() != nil:
		x, _ := sketches.NewFrequentStrings(3)
		y, _ := sketches.NewFrequentStrings(3)
		if err := x.UnmarshalBinary(a.GetFrequentItems().GetSketch()); err != nil {
			return err
		}
		if err := y.UnmarshalBinary(b.GetFrequentItems().GetSketch()); err != nil {
			return err
		}
		if x.StreamLength() != y.StreamLength() || x.MaximumError() != y.MaximumError() || x.NumActive() != y.NumActive() ||
			x.LgMaxMapSize() != y.LgMaxMapSize() {
			return fmt.Errorf("frequent items totals differ")
		}
		if !slices.Equal(x.FrequentItemsThreshold(sketches.NoFalseNegatives, 0), y.FrequentItemsThreshold(sketches.NoFalseNegatives, 0)) {
			return fmt.Errorf("frequent items differ")
		}
		if len(a.GetFrequentItems().GetSketch()) != len(b.GetFrequentItems().GetSketch()) {
			return fmt.Errorf("frequent items image %d bytes, want %d", len(b.GetFrequentItems().GetSketch()), len(a.GetFrequentItems().GetSketch()))
		}
		return nil
	}
	return fmt.Errorf("%v written back as %v", a, b)
}
