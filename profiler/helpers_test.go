package profiler_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

var (
	tDataset  = time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)
	tCreation = time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
)

func newProfile(t testing.TB, cfg profiler.Config) *profiler.DatasetProfile {
	t.Helper()
	p, err := profiler.NewDatasetProfile(tDataset, tCreation, cfg)
	if err != nil {
		t.Fatalf("NewDatasetProfile: %v", err)
	}
	return p
}

func summary(t testing.TB, p *profiler.DatasetProfile, col string) profiler.ColumnSummary {
	t.Helper()
	c, ok := p.Lookup(col)
	if !ok {
		t.Fatalf("column %q missing", col)
	}
	return c.Summary()
}

func get(t testing.TB, s profiler.ColumnSummary, key string) profiler.SummaryValue {
	t.Helper()
	v, ok := s.Lookup(key)
	if !ok {
		t.Fatalf("column %q: summary key %q missing (have %v)", s.Column, key, keys(s))
	}
	return v
}

func keys(s profiler.ColumnSummary) []string {
	var k []string
	for _, e := range s.Entries {
		k = append(k, e.Key)
	}
	return k
}

func getInt(t testing.TB, s profiler.ColumnSummary, key string) int64 {
	t.Helper()
	v := get(t, s, key)
	if v.Kind != profiler.SummaryInt {
		t.Fatalf("column %q: %s is %v, want an int", s.Column, key, v)
	}
	return v.Int
}

func getFloat(t testing.TB, s profiler.ColumnSummary, key string) float64 {
	t.Helper()
	v := get(t, s, key)
	if v.Kind != profiler.SummaryFloat {
		t.Fatalf("column %q: %s is %v, want a float", s.Column, key, v)
	}
	return v.Float
}

func itemValues(t testing.TB, s profiler.ColumnSummary) []string {
	t.Helper()
	v := get(t, s, "frequent_items/frequent_strings")
	var out []string
	for _, it := range v.Items {
		out = append(out, it.Value)
	}
	slices.Sort(out)
	return out
}

func componentPaths(t testing.TB, c *profiler.Column) []string {
	t.Helper()
	comps, err := c.Components()
	if err != nil {
		t.Fatalf("Components: %v", err)
	}
	var out []string
	for _, x := range comps {
		out = append(out, x.Path)
	}
	return out
}

func relClose(a, b, tol float64) bool {
	if a == b {
		return true
	}
	d := math.Abs(a - b)
	return d <= tol*math.Max(math.Abs(a), math.Abs(b))
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// componentsEqual compares component lists exactly (floats by bits, so NaN
// equals NaN and -0 differs from +0).
func componentsEqual(a, b []profiler.ColumnComponents) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Components) != len(b[i].Components) {
			return false
		}
		for j := range a[i].Components {
			x, y := a[i].Components[j], b[i].Components[j]
			if x.Path != y.Path || x.TypeID != y.TypeID || x.Kind != y.Kind || x.N != y.N ||
				math.Float64bits(x.D) != math.Float64bits(y.D) || string(x.Sketch) != string(y.Sketch) {
				return false
			}
		}
	}
	return true
}
