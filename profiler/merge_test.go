package profiler_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/sketches"
)

// row is one generated record of the merge-law data set.
type row struct {
	i     int64
	iNull bool
	f     float64
	s     string
	b     bool
}

func genRows(seed uint64, n int) []row {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	z := rand.NewZipf(r, 1.3, 1, 999)
	rows := make([]row, n)
	for k := range rows {
		rows[k] = row{
			i:     int64(r.NormFloat64()*500) + 10_000,
			iNull: r.IntN(20) == 0,
			f:     r.NormFloat64()*3 + 1e6, // a large offset tests numerical stability
			s:     fmt.Sprintf("cat-%d", z.Uint64()),
			b:     r.IntN(3) == 0,
		}
		if r.IntN(50) == 0 {
			rows[k].f = math.NaN()
		}
	}
	return rows
}

func profileRows(t testing.TB, rows []row, seed uint64) *profiler.DatasetProfile {
	p := newProfile(t, profiler.Config{Seed: seed})
	ci, cf, cs, cb := p.Column("i"), p.Column("f"), p.Column("s"), p.Column("b")
	for _, r := range rows {
		if r.iNull {
			ci.UpdateNull()
		} else {
			ci.UpdateInt64(r.i)
		}
		cf.UpdateFloat64(r.f)
		cs.UpdateString(r.s)
		cb.UpdateBool(r.b)
	}
	return p
}

// TestMergeLaws splits seeded random data into parts, profiles each, merges,
// and compares with the profile of the whole and with the true values:
// counts, types and ints exactly; mean and stddev to 1e-9 relative; quantiles
// within the KLL rank error; cardinality within the HLL bounds; frequent items
// within their bounds.
func TestMergeLaws(t *testing.T) {
	const n = 40_000
	rows := genRows(42, n)
	whole := profileRows(t, rows, 7)
	r := rand.New(rand.NewPCG(1, 2))
	parts := make([][]row, 3)
	for _, x := range rows {
		k := r.IntN(3)
		parts[k] = append(parts[k], x)
	}
	merged := profileRows(t, parts[0], 7)
	for k := 1; k < 3; k++ {
		if err := merged.Merge(profileRows(t, parts[k], 7+uint64(k)), profiler.MergeOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The reverse order must give the same exact values.
	rev := profileRows(t, parts[2], 1)
	for k := 1; k >= 0; k-- {
		if err := rev.Merge(profileRows(t, parts[k], 1), profiler.MergeOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	eps := sketches.KLLNormalizedRankError(profiler.DefaultKLLK, false)
	for _, col := range []string{"i", "f", "s", "b"} {
		ws, ms, rs := summary(t, whole, col), summary(t, merged, col), summary(t, rev, col)
		if !slices.Equal(keys(ws), keys(ms)) {
			t.Fatalf("%s: summary keys differ:\n%v\n%v", col, keys(ws), keys(ms))
		}
		for _, e := range ws.Entries {
			mv, _ := ms.Lookup(e.Key)
			rv, _ := rs.Lookup(e.Key)
			switch {
			case e.Value.Kind == profiler.SummaryInt:
				if mv.Int != e.Value.Int || rv.Int != e.Value.Int {
					t.Errorf("%s %s: merged %d / reverse %d, whole %d", col, e.Key, mv.Int, rv.Int, e.Value.Int)
				}
			case e.Key == "distribution/mean" || e.Key == "distribution/stddev":
				if !relClose(mv.Float, e.Value.Float, 1e-9) || !relClose(rv.Float, e.Value.Float, 1e-9) {
					t.Errorf("%s %s: merged %v / reverse %v, whole %v", col, e.Key, mv.Float, rv.Float, e.Value.Float)
				}
			case e.Key == "distribution/max" || e.Key == "distribution/min":
				if !sameFloat(mv.Float, e.Value.Float) {
					t.Errorf("%s %s: merged %v, whole %v", col, e.Key, mv.Float, e.Value.Float)
				}
			}
		}
	}

	// Against the true values.
	var ints, floats []float64
	var sum float64
	distinctI, distinctS := map[int64]bool{}, map[string]bool{}
	freq := map[string]int64{}
	for _, x := range rows {
		if !x.iNull {
			ints = append(ints, float64(x.i))
			distinctI[x.i] = true
		}
		if !math.IsNaN(x.f) {
			floats = append(floats, x.f)
			sum += x.f
		}
		distinctS[x.s] = true
		freq[x.s]++
	}
	sort.Float64s(ints)
	sort.Float64s(floats)
	mean := sum / float64(len(floats))
	var m2 float64
	for _, v := range floats {
		m2 += (v - mean) * (v - mean)
	}
	fs := summary(t, merged, "f")
	if got := getFloat(t, fs, "distribution/mean"); !relClose(got, mean, 1e-9) {
		t.Errorf("f mean = %v, true %v", got, mean)
	}
	if got := getFloat(t, fs, "distribution/stddev"); !relClose(got, math.Sqrt(m2/float64(len(floats)-1)), 1e-9) {
		t.Errorf("f stddev = %v, true %v", got, math.Sqrt(m2/float64(len(floats)-1)))
	}
	checkQuantiles(t, "i", summary(t, merged, "i"), ints, 2*eps)
	checkQuantiles(t, "f", fs, floats, 2*eps)

	for col, d := range map[string]int{"i": len(distinctI), "s": len(distinctS)} {
		c, _ := merged.Lookup(col)
		s := c.SummaryWith(profiler.SummaryConfig{HLLStdDev: 3})
		lo, hi := getFloat(t, s, "cardinality/lower_3"), getFloat(t, s, "cardinality/upper_3")
		if float64(d) < lo || float64(d) > hi {
			t.Errorf("%s: true distinct %d outside merged HLL bounds [%v, %v]", col, d, lo, hi)
		}
	}
	items := get(t, summary(t, merged, "s"), "frequent_items/frequent_strings").Items
	if len(items) == 0 || items[0].Value != "cat-0" {
		t.Fatalf("frequent items: want cat-0 (the Zipf head) first, got %+v", items[:min(3, len(items))])
	}
	for _, it := range items {
		if tr := freq[it.Value]; tr < it.Lower || tr > it.Upper {
			t.Errorf("item %q: true count %d outside [%d, %d]", it.Value, tr, it.Lower, it.Upper)
		}
	}
}

// checkQuantiles checks that each summary quantile's true rank is within eps
// of its nominal rank.
func checkQuantiles(t *testing.T, col string, s profiler.ColumnSummary, sorted []float64, eps float64) {
	t.Helper()
	n := float64(len(sorted))
	for _, q := range []struct {
		key  string
		rank float64
	}{{"q_01", 0.01}, {"q_05", 0.05}, {"q_10", 0.1}, {"q_25", 0.25}, {"median", 0.5}, {"q_75", 0.75},
		{"q_90", 0.9}, {"q_95", 0.95}, {"q_99", 0.99}} {
		v := getFloat(t, s, "distribution/"+q.key)
		lo := float64(sort.SearchFloat64s(sorted, v)) / n                                      // rank of first ≥ v
		hi := float64(sort.Search(len(sorted), func(i int) bool { return sorted[i] > v })) / n // rank after last ≤ v
		if lo > q.rank+eps || hi < q.rank-eps {
			t.Errorf("%s %s = %v: true rank [%v, %v], want within %v of %v", col, q.key, v, lo, hi, eps, q.rank)
		}
	}
}

// TestMergeEmptyAndTimestamps: merging an empty profile changes no summary;
// merge keeps the earliest timestamps and lets the argument's metadata win.
func TestMergeEmptyAndTimestamps(t *testing.T) {
	rows := genRows(3, 3000)
	p := profileRows(t, rows, 1)
	p.SetMetadata("k", "left")
	p.SetMetadata("only-left", "1")
	before := p.Summary()
	e, err := profiler.NewDatasetProfile(tDataset.Add(-time.Hour), tCreation.Add(-time.Minute), profiler.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e.SetMetadata("k", "right")
	if err := p.Merge(e, profiler.MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	after := p.Summary()
	if !summariesEqual(before, after) {
		t.Error("merging an empty profile changed the summary")
	}
	if !p.DatasetTimestamp().Equal(tDataset.Add(-time.Hour)) || !p.CreationTimestamp().Equal(tCreation.Add(-time.Minute)) {
		t.Errorf("timestamps = %v, %v; want the earlier ones", p.DatasetTimestamp(), p.CreationTimestamp())
	}
	md := p.Metadata()
	if md["k"] != "right" || md["only-left"] != "1" {
		t.Errorf("metadata = %v, want k=right (argument wins) and only-left kept", md)
	}
	// Merging into an empty profile adopts the other side.
	e2 := newProfile(t, profiler.Config{})
	if err := e2.Merge(p, profiler.MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	if !summariesEqual(e2.Summary(), after) {
		t.Error("empty.Merge(p) differs from p")
	}
}

func summariesEqual(a, b []profiler.ColumnSummary) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Column != b[i].Column || len(a[i].Entries) != len(b[i].Entries) {
			return false
		}
		for j := range a[i].Entries {
			x, y := a[i].Entries[j], b[i].Entries[j]
			if x.Key != y.Key || x.Value.Kind != y.Value.Kind || x.Value.Int != y.Value.Int ||
				!sameFloat(x.Value.Float, y.Value.Float) || !slices.Equal(x.Value.Items, y.Value.Items) {
				return false
			}
		}
	}
	return true
}

// TestMergeMismatch: different datasets or segments are refused with
// ErrMismatch naming both values, the receiver is unchanged, and the options
// allow the merge.
func TestMergeMismatch(t *testing.T) {
	mk := func(name string, seg profiler.Segment) *profiler.DatasetProfile {
		p := newProfile(t, profiler.Config{})
		p.SetName(name)
		p.SetSegment(seg)
		p.Column("x").UpdateInt64(1)
		return p
	}
	segA, err := profiler.NewSegment("", []string{"region"}, "", []string{"eu"})
	if err != nil {
		t.Fatal(err)
	}
	segB, _ := profiler.NewSegment("", []string{"region"}, "", []string{"us"})
	cases := []struct {
		name      string
		a, b      *profiler.DatasetProfile
		opts      profiler.MergeOptions
		wantErr   bool
		mentioned []string
	}{
		{"datasets", mk("orders", segA), mk("payments", segA), profiler.MergeOptions{}, true, []string{"orders", "payments"}},
		{"segments", mk("orders", segA), mk("orders", segB), profiler.MergeOptions{}, true, []string{"region=eu", "region=us"}},
		{"segmented vs full", mk("orders", segA), mk("orders", profiler.Segment{}), profiler.MergeOptions{}, true, []string{"region=eu"}},
		{"ignore dataset", mk("orders", segA), mk("payments", segA), profiler.MergeOptions{IgnoreDataset: true}, false, nil},
		{"ignore segment", mk("orders", segA), mk("orders", segB), profiler.MergeOptions{IgnoreSegment: true}, false, nil},
		{"same", mk("orders", segA), mk("orders", segA), profiler.MergeOptions{}, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := tc.a.Components()
			err := tc.a.Merge(tc.b, tc.opts)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("Merge: %v", err)
				}
				if n := getInt(t, summary(t, tc.a, "x"), "counts/n"); n != 2 {
					t.Errorf("counts/n after merge = %d, want 2", n)
				}
				if tc.opts.IgnoreSegment && !tc.a.Segment().Equal(segA) {
					t.Errorf("segment after ignored mismatch = %v, want the receiver's", tc.a.Segment())
				}
				return
			}
			if !errors.Is(err, profiler.ErrMismatch) {
				t.Fatalf("Merge error = %v, want ErrMismatch", err)
			}
			for _, m := range tc.mentioned {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %q", err, m)
				}
			}
			after, _ := tc.a.Components()
			if !componentsEqual(before, after) {
				t.Error("a refused merge changed the receiver")
			}
		})
	}
}
