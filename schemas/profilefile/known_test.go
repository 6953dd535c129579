package profilefile

import (
	"math"
	"testing"
)

// TestKnownInputExample checks v1-whylogs-example-2022-05.bin against its
// input data, which is known (the notebook that wrote it logged
// col_1=[1.0,2.2,0.1,1.2], col_2=["some","text","column","example"],
// col_3=[4,2,3,5]); the expected values are computed from that input, not
// read from the file.
func TestKnownInputExample(t *testing.T) {
	f, err := ParseV1(readTestdata(t, "v1-whylogs-example-2022-05.bin"))
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]float64{"col_1": {1.0, 2.2, 0.1, 1.2}, "col_3": {4, 2, 3, 5}}
	for col, xs := range inputs {
		var mean, m2 float64
		for i, x := range xs { // Welford, as whylogs' distribution metric
			d := x - mean
			mean += d / float64(i+1)
			m2 += d * (x - mean)
		}
		comps := f.Columns[col].GetMetricComponents()
		if got := comps["distribution/mean"].GetD(); math.Abs(got-mean) > 1e-12 {
			t.Errorf("%s mean %v, want %v", col, got, mean)
		}
		if got := comps["distribution/m2"].GetD(); math.Abs(got-m2) > 1e-12 {
			t.Errorf("%s m2 %v, want %v", col, got, m2)
		}
	}
	for _, col := range []string{"col_1", "col_2", "col_3"} {
		comps := f.Columns[col].GetMetricComponents()
		if comps["counts/n"].GetN() != 4 || comps["counts/null"].GetN() != 0 {
			t.Errorf("%s counts %v %v", col, comps["counts/n"], comps["counts/null"])
		}
	}
	typeOf := map[string]string{"col_1": "types/fractional", "col_2": "types/string", "col_3": "types/integral"}
	for col, path := range typeOf {
		if n := f.Columns[col].GetMetricComponents()[path].GetN(); n != 4 {
			t.Errorf("%s %s = %d, want 4", col, path, n)
		}
	}
	c3 := f.Columns["col_3"].GetMetricComponents()
	if c3["ints/max"].GetN() != 5 || c3["ints/max"].GetTypeId() != 2 || c3["ints/min"].GetN() != 2 || c3["ints/min"].GetTypeId() != 1 {
		t.Errorf("col_3 ints %v %v", c3["ints/max"], c3["ints/min"])
	}
}
