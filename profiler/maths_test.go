package profiler_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/kprofiler/kprofiler/profiler"
)

// TestWhylogsNotebookVector profiles the one v1 input whose whylogs output is
// known (ref-whylogs-format §4; testdata README: v1-whylogs-example-2022-05.bin
// and the writing_profiles notebook): col_1 floats, col_2 strings, col_3 ints.
func TestWhylogsNotebookVector(t *testing.T) {
	p := newProfile(t, profiler.Config{})
	col1 := []float64{1.0, 2.2, 0.1, 1.2}
	col2 := []string{"some", "text", "column", "example"}
	col3 := []int64{4, 2, 3, 5}
	for i := range 4 {
		p.Track(map[string]any{"col_1": col1[i], "col_2": col2[i], "col_3": col3[i]})
	}
	for _, name := range []string{"col_1", "col_2", "col_3"} {
		s := summary(t, p, name)
		if getInt(t, s, "counts/n") != 4 || getInt(t, s, "counts/null") != 0 {
			t.Errorf("%s: counts n/null = %d/%d, want 4/0", name, getInt(t, s, "counts/n"), getInt(t, s, "counts/null"))
		}
		// The notebook shows est 4.0, upper_1 4.0002, lower_1 4.0 (rounded).
		if est := getFloat(t, s, "cardinality/est"); math.Abs(est-4) > 1e-6 {
			t.Errorf("%s: cardinality/est = %v, want 4.0", name, est)
		}
		if up := getFloat(t, s, "cardinality/upper_1"); math.Abs(up-4.0002) > 5e-5 {
			t.Errorf("%s: cardinality/upper_1 = %v, want 4.0002", name, up)
		}
		if lo := getFloat(t, s, "cardinality/lower_1"); math.Abs(lo-4) > 1e-6 {
			t.Errorf("%s: cardinality/lower_1 = %v, want 4.0", name, lo)
		}
	}
	s1 := summary(t, p, "col_1")
	if getInt(t, s1, "types/fractional") != 4 || getInt(t, s1, "distribution/n") != 4 {
		t.Errorf("col_1 types/fractional, distribution/n wrong: %v", s1.Entries)
	}
	// The file holds mean 1.125 and m2 2.2275000000000005 (numpy batch maths).
	if m := getFloat(t, s1, "distribution/mean"); !relClose(m, 1.125, 1e-12) {
		t.Errorf("col_1 mean = %v, want 1.125", m)
	}
	if sd := getFloat(t, s1, "distribution/stddev"); !relClose(sd, math.Sqrt(2.2275000000000005/3), 1e-12) {
		t.Errorf("col_1 stddev = %v, want sqrt(2.2275/3)", sd)
	}
	want1 := map[string]float64{"distribution/max": 2.2, "distribution/min": 0.1, "distribution/q_10": 0.1,
		"distribution/q_25": 1.0, "distribution/median": 1.2, "distribution/q_75": 2.2, "distribution/q_90": 2.2}
	for k, v := range want1 {
		if got := getFloat(t, s1, k); got != v {
			t.Errorf("col_1 %s = %v, want %v", k, got, v)
		}
	}
	if _, ok := s1.Lookup("frequent_items/frequent_strings"); ok {
		t.Error("a fractional column must not have frequent items")
	}
	s2 := summary(t, p, "col_2")
	if getInt(t, s2, "types/string") != 4 {
		t.Errorf("col_2 types/string = %d, want 4", getInt(t, s2, "types/string"))
	}
	if got := itemValues(t, s2); !slices.Equal(got, []string{"column", "example", "some", "text"}) {
		t.Errorf("col_2 items = %q", got)
	}
	s3 := summary(t, p, "col_3")
	want3 := map[string]float64{"distribution/q_10": 2, "distribution/q_25": 3, "distribution/median": 4,
		"distribution/q_75": 5, "distribution/q_90": 5, "distribution/mean": 3.5}
	for k, v := range want3 {
		if got := getFloat(t, s3, k); got != v {
			t.Errorf("col_3 %s = %v, want %v", k, got, v)
		}
	}
	if sd := getFloat(t, s3, "distribution/stddev"); !relClose(sd, math.Sqrt(5.0/3), 1e-12) {
		t.Errorf("col_3 stddev = %v, want sqrt(5/3) (m2 = 5)", sd)
	}
	if getInt(t, s3, "ints/max") != 5 || getInt(t, s3, "ints/min") != 2 || getInt(t, s3, "types/integral") != 4 {
		t.Errorf("col_3 ints/types wrong: %v", s3.Entries)
	}
	// whylogs ≥ 1.1.0 writes integers as decimal strings (the 2022 file has "2.000000").
	if got := itemValues(t, s3); !slices.Equal(got, []string{"2", "3", "4", "5"}) {
		t.Errorf("col_3 items = %q, want decimal strings", got)
	}
}

// TestToyDataVector profiles the pandas_dataframe fixture behind
// v1-toydata.bin (testdata README): animal, legs, weight with a null.
func TestToyDataVector(t *testing.T) {
	p := newProfile(t, profiler.Config{})
	rows := []map[string]any{
		{"animal": "cat", "legs": 4, "weight": 4.3},
		{"animal": "hawk", "legs": 2, "weight": 1.8},
		{"animal": "snake", "legs": 0, "weight": nil},
		{"animal": "cat", "legs": 4, "weight": 4.1},
	}
	for _, r := range rows {
		p.Track(r)
	}
	legs := summary(t, p, "legs")
	if m := getFloat(t, legs, "distribution/mean"); m != 2.5 {
		t.Errorf("legs mean = %v, want 2.5", m)
	}
	if sd := getFloat(t, legs, "distribution/stddev"); !relClose(sd, math.Sqrt(11.0/3), 1e-12) {
		t.Errorf("legs stddev = %v, want sqrt(11/3) (m2 = 11)", sd)
	}
	if getInt(t, legs, "ints/max") != 4 || getInt(t, legs, "ints/min") != 0 {
		t.Errorf("legs ints = %d/%d, want 4/0", getInt(t, legs, "ints/max"), getInt(t, legs, "ints/min"))
	}
	// For legs [0,2,4,4] the median is sorted[floor(0.5·4)] = 4 (ref §2.5.2).
	if med := getFloat(t, legs, "distribution/median"); med != 4 {
		t.Errorf("legs median = %v, want 4", med)
	}
	items := get(t, legs, "frequent_items/frequent_strings").Items
	if len(items) != 3 || items[0].Value != "4" || items[0].Est != 2 || items[0].Lower != 2 || items[0].Upper != 2 {
		t.Errorf("legs items = %+v, want 4 (2) first, then 0 and 2", items)
	}
	// weight's first value is a float, so it is Fractional; the later nil only counts.
	w := summary(t, p, "weight")
	if getInt(t, w, "counts/null") != 1 || getInt(t, w, "types/fractional") != 3 || getInt(t, w, "counts/n") != 4 {
		t.Errorf("weight counts wrong: %v", w.Entries)
	}
	if m := getFloat(t, w, "distribution/mean"); !relClose(m, 3.4, 1e-12) {
		t.Errorf("weight mean = %v, want 3.4", m)
	}
	if sd := getFloat(t, w, "distribution/stddev"); !relClose(sd, math.Sqrt(3.86/2), 1e-12) {
		t.Errorf("weight stddev = %v, want sqrt(3.86/2)", sd)
	}
	a := summary(t, p, "animal")
	if it := get(t, a, "frequent_items/frequent_strings").Items; len(it) != 3 || it[0].Value != "cat" || it[0].Est != 2 {
		t.Errorf("animal items = %+v", it)
	}
	// A string column has a distribution metric that stays empty (v1-parser-profile.bin).
	if n := getInt(t, a, "distribution/n"); n != 0 {
		t.Errorf("animal distribution/n = %d, want 0", n)
	}
	if v := get(t, a, "distribution/max"); v.Kind != profiler.SummaryFloat || !math.IsNaN(v.Float) {
		t.Errorf("empty distribution/max = %v, want NaN", v)
	}
}

// TestBoolsAndInfMaths checks the bool routing (since whylogs 1.4.8) and the
// effect of ±Inf on mean and m2.
func TestBoolsAndInfMaths(t *testing.T) {
	p := newProfile(t, profiler.Config{})
	b := p.Column("b")
	for _, v := range []bool{true, false, true} {
		b.UpdateBool(v)
	}
	s := b.Summary()
	if getInt(t, s, "counts/true") != 2 || getInt(t, s, "types/boolean") != 3 || getInt(t, s, "types/integral") != 0 {
		t.Errorf("bool counts wrong: %v", s.Entries)
	}
	if m := getFloat(t, s, "distribution/mean"); !relClose(m, 2.0/3, 1e-12) {
		t.Errorf("bool mean = %v, want 2/3", m)
	}
	// Bools never touch ints: the empty values remain.
	if getInt(t, s, "ints/max") != -math.MaxInt64 || getInt(t, s, "ints/min") != math.MaxInt64 {
		t.Errorf("bool ints = %d/%d, want whylogs' empty values", getInt(t, s, "ints/max"), getInt(t, s, "ints/min"))
	}
	if est := getFloat(t, s, "cardinality/est"); math.Abs(est-2) > 1e-6 {
		t.Errorf("bool cardinality = %v, want 2", est)
	}
	if got := itemValues(t, s); !slices.Equal(got, []string{"False", "True"}) {
		t.Errorf("bool items = %q", got)
	}

	f := p.Column("f")
	f.UpdateFloat64(1)
	f.UpdateFloat64(math.Inf(1))
	fs := f.Summary()
	if getInt(t, fs, "counts/inf") != 1 || !math.IsInf(getFloat(t, fs, "distribution/mean"), 1) ||
		!math.IsNaN(getFloat(t, fs, "distribution/stddev")) || !math.IsInf(getFloat(t, fs, "distribution/max"), 1) {
		t.Errorf("inf maths: %v", fs.Entries)
	}
}

// TestFrequentItemTruncation: strings are cut to 128 characters (code points,
// not bytes) before the frequent-items sketch, and the limit is configurable.
func TestFrequentItemTruncation(t *testing.T) {
	p := newProfile(t, profiler.Config{})
	long := strings.Repeat("ж", 127) + "€xyz"
	p.Column("s").UpdateString(long)
	got := itemValues(t, summary(t, p, "s"))
	want := strings.Repeat("ж", 127) + "€"
	if len(got) != 1 || got[0] != want {
		t.Errorf("item = %q, want the first 128 characters", got)
	}
	q := newProfile(t, profiler.Config{MaxFrequentItemSize: 3})
	q.Column("s").UpdateString("abcdef")
	q.Column("s").UpdateString("ab")
	if got := itemValues(t, summary(t, q, "s")); !slices.Equal(got, []string{"ab", "abc"}) {
		t.Errorf("items = %q, want [ab abc]", got)
	}
}

// TestMergeMathsByHand merges [1,2,3] and [4,5] and compares with hand values.
func TestMergeMathsByHand(t *testing.T) {
	a := newProfile(t, profiler.Config{})
	b := newProfile(t, profiler.Config{})
	for _, v := range []int64{1, 2, 3} {
		a.Column("x").UpdateInt64(v)
	}
	for _, v := range []int64{4, 5} {
		b.Column("x").UpdateInt64(v)
	}
	b.Column("y").UpdateString("only in b")
	if err := a.Merge(b, profiler.MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	s := summary(t, a, "x")
	if getInt(t, s, "counts/n") != 5 || getInt(t, s, "distribution/n") != 5 || getInt(t, s, "ints/max") != 5 ||
		getInt(t, s, "ints/min") != 1 {
		t.Errorf("merged counts/ints wrong: %v", s.Entries)
	}
	if m := getFloat(t, s, "distribution/mean"); m != 3 {
		t.Errorf("merged mean = %v, want 3", m)
	}
	// m2 of 1..5 is 10, so stddev = sqrt(10/4).
	if sd := getFloat(t, s, "distribution/stddev"); !relClose(sd, math.Sqrt(2.5), 1e-12) {
		t.Errorf("merged stddev = %v, want sqrt(2.5)", sd)
	}
	if getFloat(t, s, "distribution/median") != 3 {
		t.Errorf("merged median = %v, want 3", getFloat(t, s, "distribution/median"))
	}
	if got := getInt(t, summary(t, a, "y"), "types/string"); got != 1 {
		t.Errorf("column only in b: types/string = %d, want 1", got)
	}
	// Merging a profile with itself doubles counts and m2, keeps the mean.
	c := a.Clone()
	if err := a.Merge(c, profiler.MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	s = summary(t, a, "x")
	if getInt(t, s, "counts/n") != 10 || getFloat(t, s, "distribution/mean") != 3 ||
		!relClose(getFloat(t, s, "distribution/stddev"), math.Sqrt(20.0/9), 1e-12) {
		t.Errorf("self merge: %v", s.Entries)
	}
}
