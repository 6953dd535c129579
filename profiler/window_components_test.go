package profiler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// referenceComponents is Column.Components as it was written before the
// sorted fast path: every metric set's components in metric order, then
// sorted by path.
func referenceComponents(t *testing.T, c *Column) []Component {
	t.Helper()
	out, err := c.m.appendComponents(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.subs {
		if out, err = c.subs[i].m.appendComponents(out, c.subs[i].prefix); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range c.extra {
		e.Sketch = slices.Clone(e.Sketch)
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Component) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// randomComponentsProfile returns a profile with columns of every metric
// set (random values, nulls first, nulls only, objects, huge integers) and,
// when compound, columns read from components with compound sub-metrics
// and unknown components.
func randomComponentsProfile(t *testing.T, seed uint64, compound bool) *DatasetProfile {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 11))
	ts := time.Unix(1700000000, 0)
	p, err := NewDatasetProfile(ts, ts, Config{Seed: seed, NullDefersType: seed%2 == 0})
	if err != nil {
		t.Fatal(err)
	}
	n := 1 + r.IntN(300)
	for i := range n {
		row := map[string]any{
			"int": r.Int64N(1000) - 500, "float": r.NormFloat64(), "str": fmt.Sprint("v", r.IntN(40)),
			"bool": r.IntN(2) == 0, "obj": []string{"x"}, "big": uint64(math.MaxUint64 - r.Uint64N(3)),
		}
		if i == 0 || r.IntN(5) == 0 {
			row["nullfirst"] = nil
		} else {
			row["nullfirst"] = r.Float64()
		}
		row["null"] = nil
		if r.IntN(3) == 0 {
			row["mixed"] = r.IntN(9)
		} else {
			row["mixed"] = fmt.Sprint(r.IntN(9))
		}
		p.Track(row)
	}
	if compound {
		src := p.columns["float"]
		comps, err := src.Components()
		if err != nil {
			t.Fatal(err)
		}
		var mixed []Component
		for _, c := range comps {
			mixed = append(mixed, c)
			c.Path = "image/Brightness.mean:" + c.Path
			mixed = append(mixed, c)
		}
		mixed = append(mixed,
			Component{Path: "zzz/custom", Kind: KindN, N: 7, TypeID: TypeIDMax},
			Component{Path: "aaa/blob", Kind: KindBytes, Sketch: []byte{1, 2, 3}},
			Component{Path: "image/x:custom/d", Kind: KindD, D: 0.25})
		r.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
		if err := p.SetColumnComponents("compound", mixed); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestComponentsSortedFastPath checks Column.Components (written in path
// order) and DatasetProfile.ComponentsInto (reused buffer) against the
// sorting reference and DatasetProfile.Components.
func TestComponentsSortedFastPath(t *testing.T) {
	var buf ComponentBuffer
	for seed := range uint64(40) {
		p := randomComponentsProfile(t, seed, seed%3 == 0)
		for _, name := range p.ColumnNames() {
			c := p.columns[name]
			got, err := c.Components()
			if err != nil {
				t.Fatal(err)
			}
			if want := referenceComponents(t, c); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d column %q:\ngot  %+v\nwant %+v", seed, name, got, want)
			}
		}
		want, err := p.Components()
		if err != nil {
			t.Fatal(err)
		}
		// The buffer is reused from the previous (larger or smaller) profile.
		if err := p.ComponentsInto(&buf); err != nil {
			t.Fatal(err)
		}
		if len(buf.Columns) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(buf.Columns, want) {
			t.Fatalf("seed %d: ComponentsInto differs from Components:\ngot  %+v\nwant %+v", seed, buf.Columns, want)
		}
	}
}
