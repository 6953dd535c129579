package sketches

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHLLUnionUpstreamBug is the case that loses data in datasketches-cpp
// 4.1–5.2 (ref §3.9): union(10) ← lgK-12 HLL_8 of 0..9999 ← lgK-11 HLL_6 of
// 5000..14999. The first input is folded down to lgK 10; with an eager rebuild
// it is not mistaken for empty, so the estimate is ≈15000 (C++ gives ≈9985).
func TestHLLUnionUpstreamBug(t *testing.T) {
	a := hllMustNew(t, 12, HLL8)
	for i := 0; i < 10000; i++ {
		a.UpdateInt64(int64(i))
	}
	b := hllMustNew(t, 11, HLL6)
	for i := 5000; i < 15000; i++ {
		b.UpdateInt64(int64(i))
	}
	u, _ := NewHLLUnion(10)
	u.Update(a)
	if u.IsEmpty() || u.LgK() != 10 {
		t.Fatalf("after the first input: empty %v lgK %d; want non-empty lgK 10", u.IsEmpty(), u.LgK())
	}
	u.Update(b)
	est := u.Estimate()
	sigma := 1.03896 / math.Sqrt(1024) * 15000
	if math.Abs(est-15000) > 3*sigma {
		t.Fatalf("estimate %v; want 15000 ± %v (3 sigma)", est, 3*sigma)
	}
	lb, ub := u.LowerBound(3), u.UpperBound(3)
	if lb > 15000 || ub < 15000 {
		t.Errorf("3-sigma bounds [%v, %v] exclude 15000", lb, ub)
	}
	// The result equals a lgK-10 sketch of the whole stream, register for register.
	whole := hllMustNew(t, 10, HLL8)
	for i := 0; i < 15000; i++ {
		whole.UpdateInt64(int64(i))
	}
	r := u.Result(HLL8)
	if !bytes.Equal(r.regs, whole.regs) {
		t.Errorf("union registers differ from a lgK-10 sketch of 0..14999")
	}
	if got, want := r.Estimate(), whole.CompositeEstimate(); got != want {
		t.Errorf("union estimate %v; want the composite of the whole stream %v", got, want)
	}
	t.Logf("union(10) estimate %.2f, bounds(3) [%.2f, %.2f]", est, lb, ub)
}

// hllStream builds a sketch of values[lo:hi].
func hllStream(t testing.TB, lgK int, typ HLLType, values []int64) *HLL {
	s := hllMustNew(t, lgK, typ)
	for _, v := range values {
		s.UpdateInt64(v)
	}
	return s
}

// TestHLLUnionSplitLaw splits a stream into random parts (random sizes, so the
// parts are in LIST, SET and HLL modes, of random types and lgK ≥ the union's),
// unions them in random order and compares with one sketch of the whole stream
// at the union's lgK: registers must be identical, and so must the composite
// estimate; the union's estimate is within 3 sigma of the truth.
func TestHLLUnionSplitLaw(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	trials := 40
	if hllRaceEnabled || testing.Short() {
		trials = 12
	}
	for trial := 0; trial < trials; trial++ {
		n := 1 + rng.IntN(200000)
		values := make([]int64, n)
		for i := range values {
			values[i] = rng.Int64()
		}
		lgMaxK := 8 + rng.IntN(6)
		parts := 1 + rng.IntN(8)
		cuts := []int{0, n}
		for range parts - 1 {
			cuts = append(cuts, rng.IntN(n+1))
		}
		slices.Sort(cuts)
		u, _ := NewHLLUnion(lgMaxK)
		minLgK := lgMaxK
		order := rng.Perm(len(cuts) - 1)
		for _, p := range order {
			lgK := lgMaxK + rng.IntN(3) - 1 // sometimes smaller than lgMaxK
			typ := hllTypes[rng.IntN(3)]
			part := hllStream(t, lgK, typ, values[cuts[p]:cuts[p+1]])
			if part.Mode() == "HLL" {
				minLgK = min(minLgK, lgK)
			}
			u.Update(part)
		}
		r := u.Result(HLL8)
		if r.LgK() != minLgK {
			t.Fatalf("trial %d: union lgK %d; want %d", trial, r.LgK(), minLgK)
		}
		whole := hllStream(t, minLgK, HLL8, values)
		if r.Mode() == "HLL" && whole.Mode() == "HLL" {
			if !bytes.Equal(r.regs, whole.regs) {
				t.Fatalf("trial %d (n %d, %d parts): registers differ from the whole stream", trial, n, parts)
			}
			if r.CompositeEstimate() != whole.CompositeEstimate() {
				t.Fatalf("trial %d: composite %v; whole %v", trial, r.CompositeEstimate(), whole.CompositeEstimate())
			}
		} else if hllSnapshot(r).regs != hllSnapshot(whole).regs {
			t.Fatalf("trial %d (n %d): coupon sets differ (modes %s, %s)", trial, n, r.Mode(), whole.Mode())
		}
		rse := 1.03896 / math.Sqrt(float64(int(1)<<minLgK))
		if r.Mode() != "HLL" {
			rse = hllCouponRSE
		}
		if est := u.Estimate(); math.Abs(est-float64(n)) > 3*rse*float64(n)+1 {
			t.Errorf("trial %d: union estimate %v for n %d (lgK %d, mode %s)", trial, est, n, minLgK, r.Mode())
		}
	}
}

// TestHLLUnionCommutes: the order of inputs does not change the registers or
// the composite estimate.
func TestHLLUnionCommutes(t *testing.T) {
	var vals []int64
	for i := 0; i < 50000; i++ {
		vals = append(vals, int64(i)*17)
	}
	inputs := []*HLL{
		hllStream(t, 12, HLL4, vals[:20000]),
		hllStream(t, 11, HLL6, vals[15000:40000]),
		hllStream(t, 13, HLL8, vals[39000:]),
		hllStream(t, 12, HLL8, vals[100:105]), // LIST
		hllStream(t, 12, HLL4, vals[200:300]), // SET
	}
	var ref *HLL
	for _, perm := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {3, 4, 0, 2, 1}} {
		u, _ := NewHLLUnion(12)
		for _, i := range perm {
			u.Update(inputs[i])
		}
		r := u.Result(HLL8)
		if ref == nil {
			ref = r
			continue
		}
		if !bytes.Equal(r.regs, ref.regs) || r.Estimate() != ref.Estimate() || r.LgK() != 11 {
			t.Errorf("order %v: result differs (lgK %d, estimate %v vs %v)", perm, r.LgK(), r.Estimate(), ref.Estimate())
		}
	}
}

// TestHLLUnionEmptyInputs: nil and empty sketches of any lgK and type change
// nothing, before or after real input.
func TestHLLUnionEmptyInputs(t *testing.T) {
	for _, n := range []int{0, 3, 100, 10000} {
		u, _ := NewHLLUnion(12)
		if n > 0 {
			u.Update(hllStream(t, 12, HLL4, seq(n)))
		}
		before := hllMustMarshal(t, u.Result(HLL4))
		u.Update(nil)
		for _, lgK := range []int{4, 12, 21} {
			for _, typ := range hllTypes {
				u.Update(hllMustNew(t, lgK, typ))
			}
		}
		if got := hllMustMarshal(t, u.Result(HLL4)); !bytes.Equal(got, before) {
			t.Errorf("n %d: empty inputs changed the union", n)
		}
		if n == 0 && (!u.IsEmpty() || u.Estimate() != 0 || u.LgK() != 12) {
			t.Errorf("empty union: empty %v estimate %v lgK %d", u.IsEmpty(), u.Estimate(), u.LgK())
		}
	}
}

func seq(n int) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(i)
	}
	return v
}

// TestHLLUnionSingleInput: a union of one in-order HLL-mode sketch keeps its
// HIP estimate (the copy keeps HIP and the in-order flag), for every type, and
// folding a larger lgK keeps the HIP too.
func TestHLLUnionSingleInput(t *testing.T) {
	for _, typ := range hllTypes {
		s := hllStream(t, 12, typ, seq(30000))
		for _, lgMaxK := range []int{12, 14, 10} {
			u, _ := NewHLLUnion(lgMaxK)
			u.Update(s)
			r := u.Result(typ)
			if r.Estimate() != s.Estimate() || r.ooo {
				t.Errorf("%v lgMaxK %d: union estimate %v (ooo %v); want the input's HIP %v", typ, lgMaxK, r.Estimate(), r.ooo, s.Estimate())
			}
			if lgMaxK >= 12 && !bytes.Equal(hllMustMarshal(t, r), hllMustMarshal(t, s)) && typ != HLL4 {
				t.Errorf("%v lgMaxK %d: result image differs from the input", typ, lgMaxK)
			}
			if lgMaxK == 10 && r.LgK() != 10 {
				t.Errorf("lgMaxK 10: result lgK %d", r.LgK())
			}
		}
	}
}

// TestHLLUnionCouponInputsAfterHLL: coupons merged into an HLL-mode union go
// through the normal update, and an HLL input arriving after coupon-mode input
// keeps those coupons.
func TestHLLUnionCouponInputsAfterHLL(t *testing.T) {
	big := hllStream(t, 12, HLL4, seq(20000))
	small := hllStream(t, 12, HLL6, []int64{-1, -2, -3, -4, -5})
	mid := hllStream(t, 12, HLL8, seq(300)[50:])
	for _, order := range [][]*HLL{{big, small, mid}, {small, mid, big}, {mid, big, small}} {
		u, _ := NewHLLUnion(12)
		for _, s := range order {
			u.Update(s)
		}
		want := hllStream(t, 12, HLL8, append(seq(20000), -1, -2, -3, -4, -5))
		if r := u.Result(HLL8); !bytes.Equal(r.regs, want.regs) {
			t.Errorf("registers differ from the whole stream")
		}
	}
}

// TestHLLUnionResultIsACopy: updating a result does not touch the union.
func TestHLLUnionResultIsACopy(t *testing.T) {
	for _, n := range []int{5, 100, 10000} {
		u, _ := NewHLLUnion(12)
		u.Update(hllStream(t, 12, HLL8, seq(n)))
		before := hllMustMarshal(t, u.Result(HLL8))
		for _, typ := range hllTypes {
			r := u.Result(typ)
			for i := 0; i < 50000; i++ {
				r.UpdateInt64(int64(i) + 1<<50)
			}
		}
		if got := hllMustMarshal(t, u.Result(HLL8)); !bytes.Equal(got, before) {
			t.Errorf("n %d: updating a result changed the union", n)
		}
		if u.Result(9) != nil {
			t.Errorf("Result(invalid) != nil")
		}
	}
}

// TestHLLUnionDirectUpdates: values fed to the union directly are the same as
// a sketch of them.
func TestHLLUnionDirectUpdates(t *testing.T) {
	u, _ := NewHLLUnion(11)
	s := hllMustNew(t, 11, HLL8)
	for i := 0; i < 5000; i++ {
		u.UpdateInt64(int64(i))
		u.UpdateFloat64(float64(i) + 0.5)
		u.UpdateString("s" + string(rune('a'+i%26)))
		u.UpdateBytes([]byte{byte(i), byte(i >> 8), 1})
		s.UpdateInt64(int64(i))
		s.UpdateFloat64(float64(i) + 0.5)
		s.UpdateString("s" + string(rune('a'+i%26)))
		s.UpdateBytes([]byte{byte(i), byte(i >> 8), 1})
	}
	if !bytes.Equal(hllMustMarshal(t, u.Result(HLL8)), hllMustMarshal(t, s)) || u.LgMaxK() != 11 {
		t.Errorf("direct union updates differ from a sketch")
	}
}
