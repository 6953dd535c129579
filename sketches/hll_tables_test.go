package sketches

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestHLLTablesMatchJSON checks that the generated hll_tables.go holds exactly
// the numbers of testdata/tables/hll_estimator_tables.json (regenerate with
// `go generate` in package sketches if this fails).
func TestHLLTablesMatchJSON(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(goldenDir(), "tables", "hll_estimator_tables.json"))
	if os.IsNotExist(err) {
		t.Skip("hll_estimator_tables.json not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		CouponX  []float64            `json:"coupon_x"`
		CouponY  []float64            `json:"coupon_y"`
		YStrides []float64            `json:"composite_y_strides_lgk4_to_21"`
		XArrays  [][]float64          `json:"composite_x_arrays_lgk4_to_21"`
		RelErr   map[string][]float64 `json:"rel_err_lgk4_to_12_index_(lgK-4)*3+(numStdDev-1)"`
		Harmonic [][2]float64         `json:"harmonic_exact_numer_denom_0_to_24"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	same := func(name string, got, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d values; JSON has %d", name, len(got), len(want))
			return
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Errorf("%s[%d] = %v; JSON has %v", name, i, got[i], want[i])
			}
		}
	}
	same("coupon_x", hllCouponX[:], j.CouponX)
	same("coupon_y", hllCouponY[:], j.CouponY)
	same("y_strides", hllCompositeYStride[:], j.YStrides)
	if len(j.XArrays) != len(hllCompositeX) {
		t.Fatalf("JSON has %d composite x rows; want %d", len(j.XArrays), len(hllCompositeX))
	}
	for i := range hllCompositeX {
		same("composite_x", hllCompositeX[i][:], j.XArrays[i])
	}
	same("HIP_LB", hllRelErrHIPLB[:], j.RelErr["HIP_LB"])
	same("HIP_UB", hllRelErrHIPUB[:], j.RelErr["HIP_UB"])
	same("NON_HIP_LB", hllRelErrNonHIPLB[:], j.RelErr["NON_HIP_LB"])
	same("NON_HIP_UB", hllRelErrNonHIPUB[:], j.RelErr["NON_HIP_UB"])
	h := make([]float64, len(j.Harmonic))
	for i, nd := range j.Harmonic {
		h[i] = nd[0] / nd[1]
	}
	same("harmonic", hllHarmonicExact[:], h)
}

// TestHLLHarmonicContinuity: the asymptotic harmonic-number formula used from
// n = 25 on continues the exact table (H(25) = H(24) + 1/25) to ~1e-15.
func TestHLLHarmonicContinuity(t *testing.T) {
	want := hllHarmonicExact[24] + 1.0/25
	if got := hllHarmonic(25); math.Abs(got-want) > 1e-14 {
		t.Errorf("H(25) = %.17g; want %.17g", got, want)
	}
	sum := 0.0
	for i := 1; i <= 1000; i++ {
		sum += 1 / float64(i)
	}
	if got := hllHarmonic(1000); math.Abs(got-sum) > 1e-12 {
		t.Errorf("H(1000) = %.17g; summed %.17g", got, sum)
	}
}
