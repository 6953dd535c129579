package profiler_test

import (
	"errors"
	"testing"

	"github.com/kprofiler/kprofiler/profiler"
)

// FuzzColumnComponents feeds arbitrary sketch images (seeded with the real
// whylogs images in testdata) to SetColumnComponents: it must never panic,
// fail only with ErrComponent leaving the profile unchanged, and a column it
// accepts must export and re-import to identical components.
func FuzzColumnComponents(f *testing.F) {
	for _, name := range goldenFiles {
		file := readV1(f, "testdata/"+name)
		for _, comps := range file.columns {
			for _, c := range comps {
				if c.Sketch != nil {
					f.Add(uint8(c.Kind), c.Sketch)
				}
			}
		}
	}
	paths := map[profiler.ComponentKind]string{
		profiler.KindKLL:           "distribution/kll",
		profiler.KindHLL:           "cardinality/hll",
		profiler.KindFrequentItems: "frequent_items/frequent_strings",
	}
	f.Fuzz(func(t *testing.T, kind uint8, img []byte) {
		k := profiler.ComponentKind(kind%3) + profiler.KindFrequentItems
		p := newProfile(t, profiler.Config{})
		p.Column("c").UpdateInt64(1)
		comps := []profiler.Component{{Path: paths[k], Kind: k, Sketch: img}, {Path: "counts/n", Kind: profiler.KindN, N: 5}}
		err := p.SetColumnComponents("c", comps)
		if err != nil {
			if !errors.Is(err, profiler.ErrComponent) {
				t.Fatalf("error %v does not wrap ErrComponent", err)
			}
			if n := getInt(t, summary(t, p, "c"), "counts/n"); n != 1 {
				t.Fatal("failed SetColumnComponents changed the column")
			}
			return
		}
		c, _ := p.Lookup("c")
		_ = c.Summary()
		out, err := c.Components()
		if err != nil {
			t.Fatalf("accepted column does not export: %v", err)
		}
		q := newProfile(t, profiler.Config{})
		if err := q.SetColumnComponents("c", out); err != nil {
			t.Fatalf("exported components do not import: %v", err)
		}
		qc, _ := q.Lookup("c")
		again, err := qc.Components()
		if err != nil {
			t.Fatal(err)
		}
		if !componentsEqual([]profiler.ColumnComponents{{Name: "c", Components: out}},
			[]profiler.ColumnComponents{{Name: "c", Components: again}}) {
			t.Fatal("export → import → export not stable")
		}
	})
}
