package sketches

import "math"

// HLL estimators and bounds, computed with the same floating-point operations
// (same order) as DataSketches C++, so results match it to the last bit.
// Products that are then added are wrapped in float64(...) so the compiler
// cannot fuse them into FMA instructions (which would change the rounding).

// Estimate returns the distinct-count estimate. In LIST and SET mode it is the
// coupon-count estimate (nearly exact); in HLL mode it is the HIP estimate, or
// the composite estimate once the sketch is out of order (a union result).
func (s *HLL) Estimate() float64 {
	if s.mode != hllModeHLL {
		return hllCouponEstimate(s.count)
	}
	if s.ooo {
		return s.compositeEstimate()
	}
	return s.hip
}

// CompositeEstimate returns the composite (non-HIP) estimator: a blend of the
// bias-corrected HLL raw estimate and linear counting. In LIST and SET mode it
// equals Estimate.
func (s *HLL) CompositeEstimate() float64 {
	if s.mode != hllModeHLL {
		return hllCouponEstimate(s.count)
	}
	return s.compositeEstimate()
}

// LowerBound returns the approximate lower bound of the distinct count at
// numStdDev standard deviations (1, 2 or 3; ≈68.3%, 95.4%, 99.7% confidence).
// Any other numStdDev returns NaN.
func (s *HLL) LowerBound(numStdDev int) float64 {
	if numStdDev < 1 || numStdDev > 3 {
		return math.NaN()
	}
	if s.mode != hllModeHLL {
		est := hllCouponEstimate(s.count)
		return max(est/(1+float64(float64(numStdDev)*hllCouponRSE)), float64(s.count))
	}
	k := 1 << s.lgK
	nonZeros := float64(k)
	if s.curMin == 0 {
		nonZeros = float64(k - s.numAtCurMin)
	}
	rel := s.relErr(false, numStdDev)
	return max(s.Estimate()/(1+rel), nonZeros)
}

// UpperBound returns the approximate upper bound of the distinct count at
// numStdDev standard deviations (1, 2 or 3). Any other numStdDev returns NaN.
func (s *HLL) UpperBound(numStdDev int) float64 {
	if numStdDev < 1 || numStdDev > 3 {
		return math.NaN()
	}
	if s.mode != hllModeHLL {
		est := hllCouponEstimate(s.count)
		return max(est/(1-float64(float64(numStdDev)*hllCouponRSE)), float64(s.count))
	}
	rel := s.relErr(true, numStdDev)
	return s.Estimate() / (1 + rel)
}

// relErr is the signed relative error for the bounds (negative for upper
// bounds): tables for lgK ≤ 12, factor/√K above.
func (s *HLL) relErr(upper bool, numStdDev int) float64 {
	if s.lgK > 12 {
		f := hllHIPRSEFactor
		if s.ooo {
			f = hllNonHIPFactor
		}
		r := float64(numStdDev) * f / math.Sqrt(float64(uint32(1)<<s.lgK))
		if upper {
			return -r
		}
		return r
	}
	i := int(s.lgK-4)*3 + numStdDev - 1
	switch {
	case !s.ooo && !upper:
		return hllRelErrHIPLB[i]
	case !s.ooo && upper:
		return hllRelErrHIPUB[i]
	case !upper:
		return hllRelErrNonHIPLB[i]
	}
	return hllRelErrNonHIPUB[i]
}

// compositeEstimate implements the DataSketches composite estimator.
func (s *HLL) compositeEstimate() float64 {
	lgK := s.lgK
	k := float64(uint32(1) << lgK)
	var cf float64
	switch lgK {
	case 4:
		cf = 0.673
	case 5:
		cf = 0.697
	case 6:
		cf = 0.709
	default:
		cf = 0.7213 / (1.0 + 1.079/k)
	}
	raw := cf * k * k / (s.kxq0 + s.kxq1)
	xs := &hllCompositeX[lgK-4]
	ys := hllCompositeYStride[lgK-4]
	last := len(xs) - 1
	if raw < xs[0] {
		return 0
	}
	if raw > xs[last] {
		return raw * (ys * float64(last) / xs[last])
	}
	adj := hllCubicStride(xs[:], ys, raw)
	if adj > 3*k {
		return adj
	}
	lin := s.bitmapEstimate()
	avg := (adj + lin) / 2
	cross := 0.64
	switch lgK {
	case 4:
		cross = 0.718
	case 5:
		cross = 0.672
	}
	if avg > cross*k {
		return adj
	}
	return lin
}

// bitmapEstimate is the linear-counting estimate from the number of zero registers.
func (s *HLL) bitmapEstimate() float64 {
	k := uint64(1) << s.lgK
	unhit := uint64(0)
	if s.curMin == 0 {
		unhit = uint64(s.numAtCurMin)
	}
	if unhit == 0 {
		return float64(k) * math.Log(float64(k)/0.5)
	}
	return float64(k) * (hllHarmonic(k) - hllHarmonic(unhit))
}

func hllHarmonic(n uint64) float64 {
	if n < uint64(len(hllHarmonicExact)) {
		return hllHarmonicExact[n]
	}
	x := float64(n)
	inv2 := 1 / (x * x)
	sum := math.Log(x) + 0.5772156649015329 + 1/(2*x)
	p := inv2
	sum -= p / 12
	p *= inv2
	sum += p / 120
	p *= inv2
	sum -= p / 252
	p *= inv2
	sum += p / 240
	return sum
}

// hllFindStraddle returns j with xs[j] <= x < xs[j+1] (xs ascending, xs[0] <= x < xs[last]).
func hllFindStraddle(xs []float64, x float64) int {
	lo, hi := 0, len(xs)-1
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if x < xs[mid] {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo
}

// hllCubicStart chooses the first of the four interpolation points.
func hllCubicStart(xs []float64, x float64) int {
	j := hllFindStraddle(xs, x)
	switch {
	case j == 0:
		return 0
	case j == len(xs)-2:
		return j - 2
	}
	return j - 1
}

// hllCubic interpolates y(x) with the 4-point Lagrange polynomial on (xs, ys).
func hllCubic(xs, ys []float64, x float64) float64 {
	last := len(xs) - 1
	if x == xs[last] {
		return ys[last]
	}
	o := hllCubicStart(xs, x)
	return hllLagrange4(xs[o], ys[o], xs[o+1], ys[o+1], xs[o+2], ys[o+2], xs[o+3], ys[o+3], x)
}

// hllCubicStride interpolates on (xs[i], stride·i).
func hllCubicStride(xs []float64, stride, x float64) float64 {
	last := len(xs) - 1
	if x == xs[last] {
		return stride * float64(last)
	}
	o := hllCubicStart(xs, x)
	return hllLagrange4(xs[o], stride*float64(o), xs[o+1], stride*float64(o+1),
		xs[o+2], stride*float64(o+2), xs[o+3], stride*float64(o+3), x)
}

func hllLagrange4(x0, y0, x1, y1, x2, y2, x3, y3, x float64) float64 {
	l0n := (x - x1) * (x - x2) * (x - x3)
	l1n := (x - x0) * (x - x2) * (x - x3)
	l2n := (x - x0) * (x - x1) * (x - x3)
	l3n := (x - x0) * (x - x1) * (x - x2)
	l0d := (x0 - x1) * (x0 - x2) * (x0 - x3)
	l1d := (x1 - x0) * (x1 - x2) * (x1 - x3)
	l2d := (x2 - x0) * (x2 - x1) * (x2 - x3)
	l3d := (x3 - x0) * (x3 - x1) * (x3 - x2)
	t0 := y0 * l0n / l0d
	t1 := y1 * l1n / l1d
	t2 := y2 * l2n / l2d
	t3 := y3 * l3n / l3d
	return t0 + t1 + t2 + t3
}
