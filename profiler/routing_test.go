package profiler_test

import (
	"encoding/json"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

type myInt int
type myString string
type myFloat float32

// routeWant is what one value must do to a column that has every metric.
type routeWant struct {
	counts  [5]int64 // n null nan inf true
	types   [6]int64 // integral fractional boolean string object tensor
	distN   int64
	mean    float64 // checked when distN > 0
	intsMax int64
	intsMin int64
	card    float64
	fi      []string
}

var (
	intCounts = [5]int64{1, 0, 0, 0, 0}
	integral  = [6]int64{1, 0, 0, 0, 0, 0}
	fraction  = [6]int64{0, 1, 0, 0, 0, 0}
	object    = [6]int64{0, 0, 0, 0, 1, 0}
	tensor    = [6]int64{0, 0, 0, 0, 0, 1}
	null      = [5]int64{1, 1, 0, 0, 0}
	noInts    = [2]int64{-math.MaxInt64, math.MaxInt64}
)

func intWant(v int64) routeWant {
	return routeWant{counts: intCounts, types: integral, distN: 1, mean: float64(v), intsMax: v, intsMin: v, card: 1,
		fi: []string{big.NewInt(v).String()}}
}

func floatWant(v float64, fi string) routeWant {
	return routeWant{counts: intCounts, types: fraction, distN: 1, mean: v, intsMax: noInts[0], intsMin: noInts[1], card: 1, fi: []string{fi}}
}

func countOnly(counts [5]int64, types [6]int64) routeWant {
	return routeWant{counts: counts, types: types, intsMax: noInts[0], intsMin: noInts[1]}
}

// TestRouting checks every Go kind against whylogs' routing table (the
// package documentation; ref-whylogs-format §2.4). The column is declared
// Integral so that it has all six metrics and every effect is visible.
func TestRouting(t *testing.T) {
	three := 3
	var nilInt *int
	huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	hugeF, _ := new(big.Float).SetInt(huge).Float64()
	cases := []struct {
		name string
		v    any
		want routeWant
	}{
		{"int", int(7), intWant(7)},
		{"int8", int8(-3), intWant(-3)},
		{"int16", int16(300), intWant(300)},
		{"int32", int32(-70000), intWant(-70000)},
		{"int64", int64(1) << 40, intWant(1 << 40)},
		{"int64 min", int64(math.MinInt64), routeWant{counts: intCounts, types: integral, distN: 1, mean: math.MinInt64,
			intsMax: -math.MaxInt64, intsMin: math.MinInt64, card: 1, fi: []string{"-9223372036854775808"}}},
		{"uint", uint(5), intWant(5)},
		{"uint8", uint8(255), intWant(255)},
		{"uint16", uint16(65535), intWant(65535)},
		{"uint32", uint32(4_000_000_000), intWant(4_000_000_000)},
		{"uint64 max int64", uint64(math.MaxInt64), intWant(math.MaxInt64)},
		{"uint64 above int64", uint64(math.MaxUint64), routeWant{counts: intCounts, types: integral, distN: 1,
			mean: float64(uint64(math.MaxUint64)), intsMax: math.MaxInt64, intsMin: math.MaxInt64, card: 1,
			fi: []string{"18446744073709551615"}}},
		{"uintptr", uintptr(9), intWant(9)},
		{"named int", myInt(4), intWant(4)},
		{"duration", time.Duration(5), intWant(5)},
		{"pointer to int", &three, intWant(3)},
		{"json int", json.Number("12"), intWant(12)},
		{"json huge int", json.Number(huge.String()), routeWant{counts: intCounts, types: integral, distN: 1, mean: hugeF,
			intsMax: math.MaxInt64, intsMin: math.MaxInt64, card: 1, fi: []string{huge.String()}}},
		{"big int", big.NewInt(-5), intWant(-5)},
		{"float32", float32(1.5), floatWant(1.5, "1.500000")},
		{"named float32", myFloat(0.25), floatWant(0.25, "0.250000")},
		{"float64", 2.25, floatWant(2.25, "2.250000")},
		{"float64 rounding", 4.3, floatWant(4.3, "4.300000")},
		{"negative zero", math.Copysign(0, -1), floatWant(0, "-0.000000")},
		{"json float", json.Number("1.5"), floatWant(1.5, "1.500000")},
		{"big float", big.NewFloat(0.5), floatWant(0.5, "0.500000")},
		{"big rat", big.NewRat(1, 4), floatWant(0.25, "0.250000")},
		{"+inf", math.Inf(1), routeWant{counts: [5]int64{1, 0, 0, 1, 0}, types: fraction, distN: 1, mean: math.Inf(1),
			intsMax: noInts[0], intsMin: noInts[1], card: 1, fi: []string{"inf"}}},
		{"-inf", math.Inf(-1), routeWant{counts: [5]int64{1, 0, 0, 1, 0}, types: fraction, distN: 1, mean: math.Inf(-1),
			intsMax: noInts[0], intsMin: noInts[1], card: 1, fi: []string{"-inf"}}},
		{"json overflow", json.Number("1e400"), routeWant{counts: [5]int64{1, 0, 0, 1, 0}, types: fraction, distN: 1,
			mean: math.Inf(1), intsMax: noInts[0], intsMin: noInts[1], card: 1, fi: []string{"inf"}}},
		{"nan", math.NaN(), countOnly([5]int64{1, 1, 1, 0, 0}, [6]int64{})},
		{"float32 nan", float32(math.NaN()), countOnly([5]int64{1, 1, 1, 0, 0}, [6]int64{})},
		{"true", true, routeWant{counts: [5]int64{1, 0, 0, 0, 1}, types: [6]int64{0, 0, 1, 0, 0, 0}, distN: 1, mean: 1,
			intsMax: noInts[0], intsMin: noInts[1], card: 1, fi: []string{"True"}}},
		{"false", false, routeWant{counts: intCounts, types: [6]int64{0, 0, 1, 0, 0, 0}, distN: 1, mean: 0,
			intsMax: noInts[0], intsMin: noInts[1], card: 1, fi: []string{"False"}}},
		{"string", "héllo", routeWant{counts: intCounts, types: [6]int64{0, 0, 0, 1, 0, 0}, intsMax: noInts[0],
			intsMin: noInts[1], card: 1, fi: []string{"héllo"}}},
		{"named string", myString("x"), routeWant{counts: intCounts, types: [6]int64{0, 0, 0, 1, 0, 0},
			intsMax: noInts[0], intsMin: noInts[1], card: 1, fi: []string{"x"}}},
		{"empty string", "", routeWant{counts: intCounts, types: [6]int64{0, 0, 0, 1, 0, 0}, intsMax: noInts[0],
			intsMin: noInts[1], card: 0, fi: []string{""}}},
		{"nil", nil, countOnly(null, [6]int64{})},
		{"nil pointer", nilInt, countOnly(null, [6]int64{})},
		{"nil slice", []int(nil), countOnly(null, [6]int64{})},
		{"nil map", map[string]int(nil), countOnly(null, [6]int64{})},
		{"bytes", []byte("ab"), countOnly(intCounts, object)},
		{"time", time.Unix(1, 0), countOnly(intCounts, object)},
		{"pointer to time", &time.Time{}, countOnly(intCounts, object)},
		{"map", map[string]int{"a": 1}, countOnly(intCounts, object)},
		{"struct", struct{ A int }{1}, countOnly(intCounts, object)},
		{"complex", complex(1, 2), countOnly(intCounts, object)},
		{"int list", []int{1, 2}, countOnly(intCounts, tensor)},
		{"int array", [3]int{1, 2, 3}, countOnly(intCounts, tensor)},
		{"mixed number list", []any{1, 2.5}, countOnly(intCounts, tensor)},
		{"bool and int list", []any{true, 2}, countOnly(intCounts, tensor)},
		{"matrix", [][]float64{{1, 2}, {3, 4}}, countOnly(intCounts, tensor)},
		{"complex list", []complex128{1i}, countOnly(intCounts, tensor)},
		{"empty list", []float64{}, countOnly(intCounts, object)},
		{"empty inner list", [][]int{{}}, countOnly(intCounts, object)},
		{"ragged", [][]int{{1, 2}, {3}}, countOnly(intCounts, object)},
		{"string list", []string{"a"}, countOnly(intCounts, object)},
		{"bool list", []bool{true}, countOnly(intCounts, object)},
		{"list with nil", []any{1, nil}, countOnly(intCounts, object)},
		{"list of bytes", [][]byte{[]byte("a")}, countOnly(intCounts, object)},
		{"json number list", []any{json.Number("1"), json.Number("2.5")}, countOnly(intCounts, tensor)},
		{"json non-number list", []any{json.Number("x")}, countOnly(intCounts, object)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newProfile(t, profiler.Config{Types: map[string]profiler.ColumnType{"c": profiler.TypeIntegral}})
			p.Column("c").Update(tc.v)
			checkRoute(t, p, tc.want)
		})
	}
}

func checkRoute(t *testing.T, p *profiler.DatasetProfile, w routeWant) {
	t.Helper()
	s := summary(t, p, "c")
	for i, k := range []string{"counts/n", "counts/null", "counts/nan", "counts/inf", "counts/true"} {
		if got := getInt(t, s, k); got != w.counts[i] {
			t.Errorf("%s = %d, want %d", k, got, w.counts[i])
		}
	}
	for i, k := range []string{"types/integral", "types/fractional", "types/boolean", "types/string", "types/object", "types/tensor"} {
		if got := getInt(t, s, k); got != w.types[i] {
			t.Errorf("%s = %d, want %d", k, got, w.types[i])
		}
	}
	if got := getInt(t, s, "distribution/n"); got != w.distN {
		t.Errorf("distribution/n = %d, want %d", got, w.distN)
	}
	if w.distN > 0 {
		if got := getFloat(t, s, "distribution/mean"); !sameFloat(got, w.mean) {
			t.Errorf("distribution/mean = %v, want %v", got, w.mean)
		}
		if got := getFloat(t, s, "distribution/median"); !sameFloat(got, w.mean) {
			t.Errorf("distribution/median = %v, want %v", got, w.mean)
		}
	} else if got := get(t, s, "distribution/median"); got.Kind != profiler.SummaryNull {
		t.Errorf("distribution/median = %v, want None", got)
	}
	if got := getInt(t, s, "ints/max"); got != w.intsMax {
		t.Errorf("ints/max = %d, want %d", got, w.intsMax)
	}
	if got := getInt(t, s, "ints/min"); got != w.intsMin {
		t.Errorf("ints/min = %d, want %d", got, w.intsMin)
	}
	if got := getFloat(t, s, "cardinality/est"); math.Abs(got-w.card) > 1e-6 {
		t.Errorf("cardinality/est = %v, want %v", got, w.card)
	}
	if got := itemValues(t, s); !slices.Equal(got, w.fi) {
		t.Errorf("frequent items = %q, want %q", got, w.fi)
	}
}

// TestTypedMethodsMatchUpdate checks that the typed fast path and Update(any)
// produce identical components for the same values.
func TestTypedMethodsMatchUpdate(t *testing.T) {
	a := newProfile(t, profiler.Config{Seed: 1})
	b := newProfile(t, profiler.Config{Seed: 1})
	for i := range 3000 {
		a.Column("i").Update(int64(i % 97))
		b.Column("i").UpdateInt64(int64(i % 97))
		f := float64(i) / 7
		a.Column("f").Update(f)
		b.Column("f").UpdateFloat64(f)
		s := strings.Repeat("x", i%5)
		a.Column("s").Update(s)
		b.Column("s").UpdateString(s)
		a.Column("b").Update(i%3 == 0)
		b.Column("b").UpdateBool(i%3 == 0)
		if i%10 == 0 {
			a.Column("n").Update(nil)
			b.Column("n").UpdateNull()
		} else {
			a.Column("n").Update(time.Unix(int64(i), 0))
			b.Column("n").UpdateObject()
		}
		a.Column("t").Update([]float64{1, 2})
		b.Column("t").UpdateTensor()
		a.Column("u").Update(uint64(math.MaxUint64 - uint64(i)))
		b.Column("u").UpdateUint64(math.MaxUint64 - uint64(i))
	}
	ca, err := a.Components()
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Components()
	if err != nil {
		t.Fatal(err)
	}
	if !componentsEqual(ca, cb) {
		t.Fatal("Update(any) and the typed methods produced different components")
	}
}

// TestCardinalityHashing checks the hashing rules whylogs ≥ 1.1.34 follows: an
// integer and the equal double count twice (different hashes) except for 0,
// booleans hash as the ints 1/0, and strings are hashed whole (not truncated).
func TestCardinalityHashing(t *testing.T) {
	p := newProfile(t, profiler.Config{})
	c := p.Column("c")
	c.UpdateInt64(7)
	c.UpdateFloat64(7)
	c.UpdateInt64(0)
	c.UpdateFloat64(0)
	c.UpdateFloat64(math.Copysign(0, -1))
	c.UpdateBool(true) // same hash as int 1
	c.UpdateInt64(1)
	if got := getFloat(t, summary(t, p, "c"), "cardinality/est"); math.Abs(got-4) > 1e-6 {
		t.Errorf("cardinality/est = %v, want 4 (7, 7.0, 0, 1)", got)
	}
	q := newProfile(t, profiler.Config{})
	long := strings.Repeat("é", 128)
	q.Column("s").UpdateString(long + "a")
	q.Column("s").UpdateString(long + "b")
	s := summary(t, q, "s")
	if got := getFloat(t, s, "cardinality/est"); math.Abs(got-2) > 1e-6 {
		t.Errorf("cardinality/est = %v, want 2 (HLL sees whole strings)", got)
	}
	items := get(t, s, "frequent_items/frequent_strings").Items
	if len(items) != 1 || items[0].Value != long || items[0].Est != 2 {
		t.Errorf("frequent items = %+v, want one item of 128 'é' with estimate 2", items)
	}
}

// TestFirstSeenType checks whylogs' rule: the type of the first value fixes
// the column's metric set for good.
func TestFirstSeenType(t *testing.T) {
	all := []string{
		"cardinality/hll", "counts/inf", "counts/n", "counts/nan", "counts/null", "counts/true",
		"distribution/kll", "distribution/m2", "distribution/mean", "frequent_items/frequent_strings",
		"ints/max", "ints/min", "types/boolean", "types/fractional", "types/integral", "types/object",
		"types/string", "types/tensor",
	}
	without := func(drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(s string) bool { return slices.Contains(drop, s) })
	}
	integralSet := all
	fractionalSet := without("frequent_items/frequent_strings", "ints/max", "ints/min")
	stringSet := without("ints/max", "ints/min")
	anySet := without("frequent_items/frequent_strings", "ints/max", "ints/min", "cardinality/hll",
		"distribution/kll", "distribution/m2", "distribution/mean")
	cases := []struct {
		name  string
		cfg   profiler.Config
		first any
		want  []string
		typ   profiler.ColumnType
	}{
		{"int", profiler.Config{}, 1, integralSet, profiler.TypeIntegral},
		{"uint64", profiler.Config{}, uint64(1), integralSet, profiler.TypeIntegral},
		{"bool", profiler.Config{}, false, integralSet, profiler.TypeIntegral},
		{"float", profiler.Config{}, 1.5, fractionalSet, profiler.TypeFractional},
		{"nan", profiler.Config{}, math.NaN(), fractionalSet, profiler.TypeFractional},
		{"string", profiler.Config{}, "a", stringSet, profiler.TypeString},
		{"nil", profiler.Config{}, nil, anySet, profiler.TypeAny},
		{"time", profiler.Config{}, time.Unix(0, 0), anySet, profiler.TypeAny},
		{"bytes", profiler.Config{}, []byte("x"), anySet, profiler.TypeAny},
		{"tensor", profiler.Config{}, []int{1}, anySet, profiler.TypeAny},
		{"declared", profiler.Config{Types: map[string]profiler.ColumnType{"c": profiler.TypeFractional}}, "a",
			fractionalSet, profiler.TypeFractional},
		{"fi disabled", profiler.Config{DisableFrequentItems: true}, 1, without("frequent_items/frequent_strings"),
			profiler.TypeIntegral},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newProfile(t, tc.cfg)
			c := p.Column("c")
			c.Update(tc.first)
			// Later values of other types do not change the metric set.
			for _, v := range []any{2, 2.5, "z", true, nil} {
				c.Update(v)
			}
			if c.Type() != tc.typ {
				t.Errorf("Type() = %v, want %v", c.Type(), tc.typ)
			}
			if got := componentPaths(t, c); !slices.Equal(got, tc.want) {
				t.Errorf("components = %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestNullFirst checks both behaviours for a column whose first value is nil.
func TestNullFirst(t *testing.T) {
	p := newProfile(t, profiler.Config{})
	c := p.Column("c")
	c.UpdateNull()
	c.UpdateInt64(5)
	c.UpdateInt64(6)
	s := c.Summary()
	if _, ok := s.Lookup("distribution/n"); ok || c.Type() != profiler.TypeAny {
		t.Fatalf("whylogs rule: a nil first value must make the column Any (type %v, keys %v)", c.Type(), keys(s))
	}
	if getInt(t, s, "counts/n") != 3 || getInt(t, s, "counts/null") != 1 || getInt(t, s, "types/integral") != 2 {
		t.Errorf("counts/types of an Any column: %v", s.Entries)
	}

	q := newProfile(t, profiler.Config{NullDefersType: true})
	d := q.Column("c")
	d.UpdateNull()
	d.UpdateNull()
	if d.Type() != profiler.TypeUnknown {
		t.Fatalf("NullDefersType: type after nils = %v, want unknown", d.Type())
	}
	d.UpdateInt64(5)
	d.UpdateInt64(6)
	s = d.Summary()
	if d.Type() != profiler.TypeIntegral {
		t.Fatalf("NullDefersType: type = %v, want integral", d.Type())
	}
	if getInt(t, s, "counts/n") != 4 || getInt(t, s, "counts/null") != 2 || getInt(t, s, "distribution/n") != 2 ||
		getInt(t, s, "ints/max") != 6 || getFloat(t, s, "distribution/mean") != 5.5 {
		t.Errorf("NullDefersType summary: %v", s.Entries)
	}
	// A column of nils only is written with counts and types.
	e := q.Column("e")
	e.UpdateNull()
	if got := componentPaths(t, e); len(got) != 11 {
		t.Errorf("nil-only column components = %q, want counts and types (11)", got)
	}
}

// TestTrackRow checks DatasetProfile.Track: present keys only.
func TestTrackRow(t *testing.T) {
	p := newProfile(t, profiler.Config{})
	p.Track(map[string]any{"a": 1, "b": "x"})
	p.Track(map[string]any{"a": 2})
	if got := p.ColumnNames(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("columns = %q", got)
	}
	if n := getInt(t, summary(t, p, "b"), "counts/n"); n != 1 {
		t.Errorf("b counts/n = %d, want 1 (missing keys are not nulls)", n)
	}
	if n := getInt(t, summary(t, p, "a"), "counts/n"); n != 2 {
		t.Errorf("a counts/n = %d, want 2", n)
	}
}

// TestRowPathNaN: with Config.RowPathNaN a NaN is handled as whylogs' row
// path handles it (ref-whylogs-format §2.4, row table).
func TestRowPathNaN(t *testing.T) {
	p := newProfile(t, profiler.Config{RowPathNaN: true, Types: map[string]profiler.ColumnType{"c": profiler.TypeIntegral}})
	c := p.Column("c")
	c.UpdateFloat64(1)
	c.UpdateFloat64(math.NaN())
	c.UpdateFloat64(3)
	s := c.Summary()
	if getInt(t, s, "counts/null") != 1 || getInt(t, s, "counts/nan") != 1 || getInt(t, s, "types/fractional") != 3 ||
		getInt(t, s, "distribution/n") != 2 || !math.IsNaN(getFloat(t, s, "distribution/mean")) ||
		!math.IsNaN(getFloat(t, s, "distribution/stddev")) || getFloat(t, s, "distribution/median") != 3 {
		t.Errorf("row-path NaN: %v", s.Entries)
	}
	if est := getFloat(t, s, "cardinality/est"); math.Abs(est-3) > 1e-6 {
		t.Errorf("cardinality/est = %v, want 3 (NaN hashed)", est)
	}
	if got := itemValues(t, s); !slices.Equal(got, []string{"1.000000", "3.000000", "nan"}) {
		t.Errorf("items = %q", got)
	}
}
