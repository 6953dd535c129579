package profiler_test

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/sketches"
)

// mixedProfile builds a profile with every column type, enough values for KLL
// compaction, a compound column and an unknown metric.
func mixedProfile(t testing.TB, seed uint64) *profiler.DatasetProfile {
	t.Helper()
	p := newProfile(t, profiler.Config{Seed: seed})
	p.SetName("orders")
	p.SetTag("env", "test")
	p.SetMetadata("whylabs.traceId", "abc")
	for _, r := range genRows(seed+100, 5000) {
		p.Column("i").UpdateInt64(r.i)
		p.Column("f").UpdateFloat64(r.f)
		p.Column("s").UpdateString(r.s)
		p.Column("b").UpdateBool(r.b)
	}
	p.Column("o").Update(time.Unix(0, 0))
	p.Column("o").Update(nil)
	p.Column("t").Update([]float64{1, 2, 3})
	p.Column("u").UpdateUint64(math.MaxUint64)
	p.Column("never-updated") // has no metrics: not exported
	if err := p.SetColumnComponents("image", compoundComponents(t)); err != nil {
		t.Fatal(err)
	}
	if err := p.SetColumnComponents("blob", []profiler.Component{
		{Path: "custom/blob", Kind: profiler.KindBytes, Sketch: []byte{1, 2, 3}}}); err != nil {
		t.Fatal(err)
	}
	return p
}

// compoundComponents mimics the image column of
// v1-segmented-two-columns-compound.bin: compound paths plus one unknown
// namespace.
func compoundComponents(t testing.TB) []profiler.Component {
	t.Helper()
	k, _ := sketches.NewKLLDoubles(1024)
	k.Update(24.335325241088867)
	kb, err := k.AppendWhylogsBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sketches.NewHLL(12, sketches.HLL4)
	h.UpdateFloat64(24.335325241088867)
	hb, _ := h.MarshalBinary()
	f, _ := sketches.NewFrequentStrings(10)
	f.Update("L")
	fb, _ := f.MarshalBinary()
	pre := "image/Brightness.mean:"
	return []profiler.Component{
		{Path: pre + "counts/n", Kind: profiler.KindN, N: 1},
		{Path: pre + "counts/null", Kind: profiler.KindN, N: 0},
		{Path: pre + "types/fractional", Kind: profiler.KindN, N: 1},
		{Path: pre + "distribution/kll", Kind: profiler.KindKLL, Sketch: kb},
		{Path: pre + "distribution/mean", Kind: profiler.KindD, D: 24.335325241088867},
		{Path: pre + "distribution/m2", Kind: profiler.KindD, D: 0},
		{Path: pre + "cardinality/hll", Kind: profiler.KindHLL, Sketch: hb},
		{Path: "image/Colorspace:frequent_items/frequent_strings", Kind: profiler.KindFrequentItems, Sketch: fb},
		{Path: "condition_count/total", Kind: profiler.KindN, N: 3},
		{Path: "condition_count/low", Kind: profiler.KindN, N: 1},
		{Path: "custom/lowest", TypeID: profiler.TypeIDMin, Kind: profiler.KindN, N: -4},
	}
}

// TestComponentsRoundTrip: export → import → export gives identical
// components, and the imported profile summarises identically.
func TestComponentsRoundTrip(t *testing.T) {
	p := mixedProfile(t, 5)
	first, err := p.Components()
	if err != nil {
		t.Fatal(err)
	}
	q := newProfile(t, profiler.Config{Seed: 5})
	q.SetFileProperties(p.FileProperties())
	for _, cc := range first {
		if !slices.IsSortedFunc(cc.Components, func(a, b profiler.Component) int {
			return cmpString(a.Path, b.Path)
		}) {
			t.Fatalf("column %q: components not sorted by path", cc.Name)
		}
		if err := q.SetColumnComponents(cc.Name, cc.Components); err != nil {
			t.Fatalf("SetColumnComponents(%q): %v", cc.Name, err)
		}
	}
	second, err := q.Components()
	if err != nil {
		t.Fatal(err)
	}
	if !componentsEqual(first, second) {
		t.Fatal("export → import → export changed the components")
	}
	if slices.ContainsFunc(first, func(c profiler.ColumnComponents) bool { return c.Name == "never-updated" }) {
		t.Error("a column without metrics was exported")
	}
	if !summariesEqual(p.Summary(), q.Summary()) {
		t.Fatal("imported profile summarises differently")
	}
	if q.Name() != "orders" || q.Tags()["env"] != "test" {
		t.Errorf("properties lost: name %q tags %v", q.Name(), q.Tags())
	}
	// Column types are inferred from the metric sets.
	for name, want := range map[string]profiler.ColumnType{"i": profiler.TypeIntegral, "b": profiler.TypeIntegral,
		"f": profiler.TypeFractional, "s": profiler.TypeString, "o": profiler.TypeAny} {
		if c, _ := q.Lookup(name); c.Type() != want {
			t.Errorf("imported %q type = %v, want %v", name, c.Type(), want)
		}
	}
	// ints carry whylogs' type ids.
	ic := first[slices.IndexFunc(first, func(c profiler.ColumnComponents) bool { return c.Name == "i" })]
	if mx, _ := ic.Lookup("ints/max"); mx.TypeID != profiler.TypeIDMax {
		t.Errorf("ints/max type id = %d, want 2", mx.TypeID)
	}
	if mn, _ := ic.Lookup("ints/min"); mn.TypeID != profiler.TypeIDMin {
		t.Errorf("ints/min type id = %d, want 1", mn.TypeID)
	}
	// The KLL image is the whylogs fork layout: preamble 6 for ≥ 2 items.
	if kll, _ := ic.Lookup("distribution/kll"); len(kll.Sketch) < 8 || kll.Sketch[0] != 6 {
		t.Errorf("distribution/kll preamble = %v, want 6", kll.Sketch[:min(8, len(kll.Sketch))])
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestCompoundAndUnknownMerge: compound sub-metrics merge like standard ones,
// unknown components merge with whylogs' component aggregators, and
// summaries report sub-metrics under their prefix.
func TestCompoundAndUnknownMerge(t *testing.T) {
	a := newProfile(t, profiler.Config{})
	b := newProfile(t, profiler.Config{})
	if err := a.SetColumnComponents("image", append(compoundComponents(t),
		profiler.Component{Path: "custom/blob", Kind: profiler.KindBytes, Sketch: []byte{1, 2, 3}})); err != nil {
		t.Fatal(err)
	}
	comps := compoundComponents(t)
	for i := range comps {
		if comps[i].Path == "custom/lowest" {
			comps[i].N = -9
		}
	}
	if err := b.SetColumnComponents("image", comps); err != nil {
		t.Fatal(err)
	}
	if err := a.Merge(b, profiler.MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	c, _ := a.Lookup("image")
	got, err := c.Components()
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]profiler.Component{}
	for _, x := range got {
		byPath[x.Path] = x
	}
	if byPath["condition_count/total"].N != 6 || byPath["custom/lowest"].N != -9 ||
		string(byPath["custom/blob"].Sketch) != "\x01\x02\x03" {
		t.Errorf("unknown components after merge: total %d lowest %d blob %v", byPath["condition_count/total"].N,
			byPath["custom/lowest"].N, byPath["custom/blob"].Sketch)
	}
	s := c.Summary()
	if n := getInt(t, s, "image/Brightness.mean:counts/n"); n != 2 {
		t.Errorf("compound counts/n = %d, want 2", n)
	}
	if m := getFloat(t, s, "image/Brightness.mean:distribution/mean"); m != 24.335325241088867 {
		t.Errorf("compound mean = %v", m)
	}
	if n := getInt(t, s, "image/Brightness.mean:distribution/n"); n != 2 {
		t.Errorf("compound distribution/n = %d, want 2", n)
	}
	if it := get(t, s, "image/Colorspace:frequent_items/frequent_strings").Items; len(it) != 1 || it[0].Est != 2 {
		t.Errorf("compound frequent items = %+v", it)
	}
	// Two CPC/bytes components cannot be merged.
	x := newProfile(t, profiler.Config{})
	y := newProfile(t, profiler.Config{})
	blob := []profiler.Component{{Path: "custom/blob", Kind: profiler.KindBytes, Sketch: []byte{1}}}
	_ = x.SetColumnComponents("c", blob)
	_ = y.SetColumnComponents("c", blob)
	if err := x.Merge(y, profiler.MergeOptions{}); !errors.Is(err, profiler.ErrComponent) {
		t.Errorf("merging two serialized_bytes components: err = %v, want ErrComponent", err)
	}
}

// TestComponentErrors: wrong kinds, bad sketches and duplicates are rejected
// with ErrComponent and leave the profile unchanged.
func TestComponentErrors(t *testing.T) {
	cases := map[string][]profiler.Component{
		"kind":      {{Path: "counts/n", Kind: profiler.KindD, D: 1}},
		"kll bytes": {{Path: "distribution/kll", Kind: profiler.KindKLL, Sketch: []byte{1, 2, 3}}},
		"hll bytes": {{Path: "cardinality/hll", Kind: profiler.KindHLL, Sketch: []byte{}}},
		"fi bytes":  {{Path: "frequent_items/frequent_strings", Kind: profiler.KindFrequentItems, Sketch: []byte{9}}},
		"duplicate": {{Path: "counts/n", Kind: profiler.KindN}, {Path: "counts/n", Kind: profiler.KindN}},
		"no value":  {{Path: "custom/x"}},
	}
	for name, comps := range cases {
		t.Run(name, func(t *testing.T) {
			p := newProfile(t, profiler.Config{})
			p.Column("c").UpdateInt64(1)
			err := p.SetColumnComponents("c", comps)
			if !errors.Is(err, profiler.ErrComponent) {
				t.Fatalf("err = %v, want ErrComponent", err)
			}
			if n := getInt(t, summary(t, p, "c"), "counts/n"); n != 1 {
				t.Error("a failed SetColumnComponents changed the column")
			}
		})
	}
	// Missing components of a present metric get their empty values.
	p := newProfile(t, profiler.Config{})
	if err := p.SetColumnComponents("c", []profiler.Component{
		{Path: "counts/n", Kind: profiler.KindN, N: 3},
		{Path: "ints/max", TypeID: 2, Kind: profiler.KindN, N: 9},
	}); err != nil {
		t.Fatal(err)
	}
	s := summary(t, p, "c")
	if getInt(t, s, "counts/null") != 0 || getInt(t, s, "ints/min") != math.MaxInt64 || getInt(t, s, "ints/max") != 9 {
		t.Errorf("defaults for missing components: %v", s.Entries)
	}
}

// TestDeterminism: the same input with the same seed gives identical
// component bytes (KLL compaction included); the per-column seeds differ.
func TestDeterminism(t *testing.T) {
	a, err := mixedProfile(t, 11).Components()
	if err != nil {
		t.Fatal(err)
	}
	b, err := mixedProfile(t, 11).Components()
	if err != nil {
		t.Fatal(err)
	}
	if !componentsEqual(a, b) {
		t.Fatal("same input and seed gave different components")
	}
	// 5000 values > k = 1024, so compaction has happened: the same values
	// with another seed give another KLL image (same n, min, max).
	kll := func(seed uint64, col string) []byte {
		p := newProfile(t, profiler.Config{Seed: seed})
		for _, r := range genRows(1, 5000) {
			p.Column("f").UpdateFloat64(r.f)
			p.Column("g").UpdateFloat64(r.f)
		}
		c, _ := p.Lookup(col)
		comps, err := c.Components()
		if err != nil {
			t.Fatal(err)
		}
		k := comps[slices.IndexFunc(comps, func(c profiler.Component) bool { return c.Path == "distribution/kll" })]
		return k.Sketch
	}
	if string(kll(1, "f")) == string(kll(2, "f")) {
		t.Error("seeds 1 and 2 gave identical KLL images after compaction")
	}
	if string(kll(1, "f")) == string(kll(1, "g")) {
		t.Error("columns f and g got identical KLL images: the column name does not reach the seed")
	}
	if string(kll(3, "g")) != string(kll(3, "g")) {
		t.Error("same seed, same values: different KLL images")
	}
	// Clones and merges are deterministic too.
	m1, m2 := mixedProfile(t, 11), mixedProfile(t, 11)
	m1.DeleteColumn("blob")
	m2.DeleteColumn("blob")
	if err := m1.Merge(mixedProfile(t, 11).Clone(), profiler.MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := m2.Merge(mixedProfile(t, 11).Clone(), profiler.MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	x, _ := m1.Components()
	y, _ := m2.Components()
	if !componentsEqual(x, y) {
		t.Error("merge results differ between identical runs")
	}
}
