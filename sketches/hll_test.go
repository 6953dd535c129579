package sketches

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var hllTypes = []HLLType{HLL4, HLL6, HLL8}

// The HLL implements the standard binary encoding interfaces.
var (
	_ encoding.BinaryMarshaler   = (*HLL)(nil)
	_ encoding.BinaryAppender    = (*HLL)(nil)
	_ encoding.BinaryUnmarshaler = (*HLL)(nil)
)

func TestNewHLLArguments(t *testing.T) {
	for _, lgK := range []int{-1, 0, 3, 22, 30} {
		if _, err := NewHLL(lgK, HLL4); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewHLL(%d, HLL4) error = %v; want ErrInvalidArgument", lgK, err)
		}
		if _, err := NewHLLUnion(lgK); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewHLLUnion(%d) error = %v; want ErrInvalidArgument", lgK, err)
		}
	}
	for _, typ := range []HLLType{0, 5, 7, 9, 255} {
		if _, err := NewHLL(12, typ); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewHLL(12, %v) error = %v; want ErrInvalidArgument", typ, err)
		}
	}
	for lgK := 4; lgK <= 21; lgK++ {
		for _, typ := range hllTypes {
			s, err := NewHLL(lgK, typ)
			if err != nil {
				t.Fatalf("NewHLL(%d, %v): %v", lgK, typ, err)
			}
			if s.LgK() != lgK || s.Type() != typ || s.Mode() != "LIST" || !s.IsEmpty() || s.Estimate() != 0 {
				t.Errorf("NewHLL(%d, %v) = lgK %d type %v mode %s empty %v est %v", lgK, typ, s.LgK(), s.Type(), s.Mode(), s.IsEmpty(), s.Estimate())
			}
			img := hllMustMarshal(t, s)
			want := []byte{2, 1, 7, byte(lgK), 3, 0x0C, 0, typ.wire() << 2}
			if !bytes.Equal(img, want) {
				t.Errorf("empty image for lgK %d %v = % x; want % x", lgK, typ, img, want)
			}
		}
	}
}

func TestHLLTypeString(t *testing.T) {
	for typ, want := range map[HLLType]string{HLL4: "HLL_4", HLL6: "HLL_6", HLL8: "HLL_8", 5: "HLLType(5)"} {
		if got := typ.String(); got != want {
			t.Errorf("HLLType(%d).String() = %q; want %q", uint8(typ), got, want)
		}
	}
}

// TestHLLCouponVectors checks the coupon of single updates against the C++
// hll_sketch(12) images listed in ref-datasketches §3.2.
func TestHLLCouponVectors(t *testing.T) {
	cases := []struct {
		name   string
		update func(*HLL)
		coupon uint32
	}{
		{"int64 0", func(s *HLL) { s.UpdateInt64(0) }, 0x04c2d7cb},
		{"double 0.0", func(s *HLL) { s.UpdateFloat64(0) }, 0x04c2d7cb},
		{"double -0.0", func(s *HLL) { s.UpdateFloat64(math.Copysign(0, -1)) }, 0x04c2d7cb},
		{"int64 1", func(s *HLL) { s.UpdateInt64(1) }, 0x06fbf22b},
		{"int64 -1", func(s *HLL) { s.UpdateInt64(-1) }, 0x0be764d9},
		{"int64 4294967295", func(s *HLL) { s.UpdateInt64(4294967295) }, 0x083a94b7},
		{"double 1.0", func(s *HLL) { s.UpdateFloat64(1) }, 0x0f9da50b},
		{"double 1.5", func(s *HLL) { s.UpdateFloat64(1.5) }, 0x142a8222},
		{"double NaN", func(s *HLL) { s.UpdateFloat64(math.NaN()) }, 0x18bd31eb},
		{"double other NaN", func(s *HLL) { s.UpdateFloat64(math.Float64frombits(0x7ff0000000000001)) }, 0x18bd31eb},
		{"abc", func(s *HLL) { s.UpdateString("abc") }, 0x04878d21},
		{"abc bytes", func(s *HLL) { s.UpdateBytes([]byte("abc")) }, 0x04878d21},
		{"1", func(s *HLL) { s.UpdateString("1") }, 0x060fa6aa},
		{"абв", func(s *HLL) { s.UpdateString("абв") }, 0x06a68c62},
		{"16 bytes", func(s *HLL) { s.UpdateString("0123456789abcdef") }, 0x09289420},
		{"17 bytes", func(s *HLL) { s.UpdateString("0123456789abcdefg") }, 0x07d473ab},
	}
	for _, c := range cases {
		s := hllMustNew(t, 12, HLL4)
		c.update(s)
		img := hllMustMarshal(t, s)
		if len(img) != 12 || img[6] != 1 {
			t.Fatalf("%s: image % x; want one LIST coupon", c.name, img)
		}
		if got := binary.LittleEndian.Uint32(img[8:]); got != c.coupon {
			t.Errorf("%s: coupon 0x%08x; want 0x%08x", c.name, got, c.coupon)
		}
	}
}

func TestHLLEmptyInputsIgnored(t *testing.T) {
	s := hllMustNew(t, 12, HLL8)
	s.UpdateString("")
	s.UpdateBytes(nil)
	s.UpdateBytes([]byte{})
	if !s.IsEmpty() {
		t.Fatalf("empty string/bytes changed the sketch")
	}
}

// TestHLLModeTransitions checks the promotion points: LIST holds 7 coupons; the
// 8th promotes to SET (lgK ≥ 8) or HLL (lgK < 8); a SET promotes when
// 4·count > 3·2^(lgK−3). Right after promotion the estimate is the coupon-mode
// estimate (HIP starts there).
func TestHLLModeTransitions(t *testing.T) {
	for _, c := range []struct{ lgK, toHLL int }{{4, 8}, {7, 8}, {8, 25}, {10, 97}, {12, 385}, {16, 6145}} {
		for _, typ := range hllTypes {
			s := hllMustNew(t, c.lgK, typ)
			for i := 1; i <= c.toHLL; i++ {
				before := s.Estimate()
				s.UpdateInt64(int64(i))
				want := "SET"
				switch {
				case i < 8:
					want = "LIST"
				case c.lgK < 8 || i >= c.toHLL:
					want = "HLL"
				}
				if s.Mode() != want {
					t.Fatalf("lgK %d %v: after %d updates mode %s; want %s", c.lgK, typ, i, s.Mode(), want)
				}
				if want != "HLL" && s.count != i {
					t.Fatalf("lgK %d: %d coupons after %d distinct updates", c.lgK, s.count, i)
				}
				if s.Estimate() < before {
					t.Fatalf("lgK %d: estimate fell from %v to %v at %d", c.lgK, before, s.Estimate(), i)
				}
			}
			if got, want := s.Estimate(), hllCouponEstimate(c.toHLL); got != want {
				t.Errorf("lgK %d %v: estimate right after promotion %v; want coupon estimate %v", c.lgK, typ, got, want)
			}
			if s.ooo {
				t.Errorf("promoted sketch is out of order")
			}
		}
	}
}

// TestHLLTypesAgree feeds the same stream to all three types, including
// lgK 4 and 5 with long streams so that HLL_4 shifts curMin many times and uses
// its exception table heavily: registers, HIP, composite and bounds must agree
// bit for bit, and every image must round-trip.
func TestHLLTypesAgree(t *testing.T) {
	for _, lgK := range []int{4, 5, 8, 12} {
		var ss [3]*HLL
		for i, typ := range hllTypes {
			ss[i] = hllMustNew(t, lgK, typ)
		}
		n := 200000
		check := 1
		sawAux := false
		for v := 0; v < n; v++ {
			for _, s := range ss {
				s.UpdateInt64(int64(v) * 7919)
			}
			sawAux = sawAux || ss[0].aux != nil
			if v+1 != check && v+1 != n {
				continue
			}
			check *= 3
			ref := hllSnapshot(ss[2])
			for i, s := range ss[:2] {
				if got := hllSnapshot(s); got != ref {
					t.Fatalf("lgK %d n %d: %v differs from HLL_8:\n got %+v\nwant %+v", lgK, v+1, hllTypes[i], got, ref)
				}
			}
			for _, s := range ss {
				var d HLL
				img := hllMustMarshal(t, s)
				if err := d.UnmarshalBinary(img); err != nil {
					t.Fatalf("lgK %d n %d %v: %v", lgK, v+1, s.Type(), err)
				}
				if hllSnapshot(&d) != hllSnapshot(s) || !bytes.Equal(hllMustMarshal(t, &d), img) {
					t.Fatalf("lgK %d n %d %v: round trip changed the sketch", lgK, v+1, s.Type())
				}
				u, _ := s.AppendUpdatableBinary(nil)
				var du HLL
				if err := du.UnmarshalBinary(u); err != nil {
					t.Fatalf("lgK %d n %d %v updatable: %v", lgK, v+1, s.Type(), err)
				}
				if hllSnapshot(&du) != hllSnapshot(s) {
					t.Fatalf("lgK %d n %d %v: updatable round trip changed the sketch", lgK, v+1, s.Type())
				}
			}
		}
		if lgK == 4 && ss[0].curMin < 5 || lgK == 12 && !sawAux {
			t.Errorf("lgK %d HLL_4 ended with curMin %d, exceptions seen %v; the test should exercise both", lgK, ss[0].curMin, sawAux)
		}
	}
}

// hllState is everything observable about a sketch, independent of type.
type hllState struct {
	mode                          string
	lgK                           int
	est, comp, lb1, ub1, lb3, ub3 float64
	regs                          string
}

func hllSnapshot(s *HLL) hllState {
	st := hllState{
		mode: s.Mode(), lgK: s.LgK(), est: s.Estimate(), comp: s.CompositeEstimate(),
		lb1: s.LowerBound(1), ub1: s.UpperBound(1), lb3: s.LowerBound(3), ub3: s.UpperBound(3),
	}
	if s.mode == hllModeHLL {
		r := make([]byte, 1<<s.lgK)
		s.absRegs(r)
		st.regs = string(r)
	} else {
		// The coupon set, in sorted order (table order depends on history).
		var cs []uint32
		s.forEachCoupon(func(c uint32) { cs = append(cs, c) })
		slices.Sort(cs)
		var b []byte
		for _, c := range cs {
			b = binary.LittleEndian.AppendUint32(b, c)
		}
		st.regs = string(b)
	}
	return st
}

func TestHLLBoundsArguments(t *testing.T) {
	for _, n := range []int{0, 5, 100, 100000} {
		s := hllMustNew(t, 12, HLL4)
		for i := 0; i < n; i++ {
			s.UpdateInt64(int64(i))
		}
		for _, sd := range []int{-1, 0, 4, 100} {
			if !math.IsNaN(s.LowerBound(sd)) || !math.IsNaN(s.UpperBound(sd)) {
				t.Errorf("n %d: bounds(%d) = %v, %v; want NaN", n, sd, s.LowerBound(sd), s.UpperBound(sd))
			}
		}
		est := s.Estimate()
		prevLB, prevUB := est, est
		for sd := 1; sd <= 3; sd++ {
			lb, ub := s.LowerBound(sd), s.UpperBound(sd)
			if lb > prevLB || ub < prevUB {
				t.Errorf("n %d: bounds(%d) = [%v, %v] not nested around %v", n, sd, lb, ub, est)
			}
			prevLB, prevUB = lb, ub
		}
	}
}

// TestHLLBoundsLargeLgK checks the lgK > 12 bound formula (factor·s/√K) for HIP
// and out-of-order sketches.
func TestHLLBoundsLargeLgK(t *testing.T) {
	s := hllMustNew(t, 16, HLL8)
	for i := 0; i < 300000; i++ {
		s.UpdateInt64(int64(i))
	}
	est := s.Estimate()
	for sd := 1; sd <= 3; sd++ {
		r := float64(sd) * 0.8325546 / 256
		if got, want := s.LowerBound(sd), est/(1+r); got != want {
			t.Errorf("HIP LB(%d) = %v; want %v", sd, got, want)
		}
		if got, want := s.UpperBound(sd), est/(1-r); got != want {
			t.Errorf("HIP UB(%d) = %v; want %v", sd, got, want)
		}
	}
	u, _ := NewHLLUnion(16)
	u.Update(s)
	u.Update(s)
	r := u.Result(HLL8)
	est = r.Estimate()
	if est != r.CompositeEstimate() {
		t.Fatalf("union result estimate %v is not the composite %v", est, r.CompositeEstimate())
	}
	for sd := 1; sd <= 3; sd++ {
		rel := float64(sd) * 1.03896 / 256
		if got, want := r.LowerBound(sd), est/(1+rel); got != want {
			t.Errorf("non-HIP LB(%d) = %v; want %v", sd, got, want)
		}
		if got, want := r.UpperBound(sd), est/(1-rel); got != want {
			t.Errorf("non-HIP UB(%d) = %v; want %v", sd, got, want)
		}
	}
}

func TestHLLCloneIndependent(t *testing.T) {
	for _, n := range []int{3, 100, 5000} {
		for _, typ := range hllTypes {
			s := hllMustNew(t, 8, typ)
			for i := 0; i < n; i++ {
				s.UpdateInt64(int64(i))
			}
			before := hllMustMarshal(t, s)
			c := s.Clone()
			for i := n; i < n+100000; i++ {
				c.UpdateInt64(int64(i) * 31)
			}
			if !bytes.Equal(hllMustMarshal(t, s), before) {
				t.Errorf("n %d %v: updating a clone changed the original", n, typ)
			}
		}
	}
}

// TestHLLConvert: conversions keep every estimate and register; the converted
// sketch keeps updating exactly like the original.
func TestHLLConvert(t *testing.T) {
	for _, n := range []int{0, 5, 100, 1000, 300000} {
		for _, from := range hllTypes {
			s := hllMustNew(t, 10, from)
			for i := 0; i < n; i++ {
				s.UpdateInt64(int64(i))
			}
			for _, to := range hllTypes {
				c := s.Convert(to)
				if c.Type() != to {
					t.Fatalf("Convert(%v).Type() = %v", to, c.Type())
				}
				if hllSnapshot(c) != hllSnapshot(s) {
					t.Errorf("n %d %v→%v: state differs", n, from, to)
				}
				a, b := s.Clone(), c
				for i := 0; i < 20000; i++ {
					a.UpdateInt64(int64(i) + 1<<40)
					b.UpdateInt64(int64(i) + 1<<40)
				}
				if hllSnapshot(a) != hllSnapshot(b) {
					t.Errorf("n %d %v→%v: states diverge after more updates", n, from, to)
				}
			}
		}
	}
	if hllMustNew(t, 12, HLL4).Convert(3) != nil {
		t.Errorf("Convert(invalid) != nil")
	}
}

func TestHLLZeroValue(t *testing.T) {
	var s HLL
	if _, err := s.MarshalBinary(); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("zero value MarshalBinary error = %v; want ErrInvalidArgument", err)
	}
	src := hllMustNew(t, 11, HLL6)
	for i := 0; i < 2000; i++ {
		src.UpdateInt64(int64(i))
	}
	if err := s.UnmarshalBinary(hllMustMarshal(t, src)); err != nil {
		t.Fatal(err)
	}
	if hllSnapshot(&s) != hllSnapshot(src) {
		t.Errorf("decoded into zero value: state differs")
	}
}

func TestHLLDuplicatesChangeNothing(t *testing.T) {
	for _, n := range []int{5, 50, 5000} {
		for _, typ := range hllTypes {
			s := hllMustNew(t, 12, typ)
			for i := 0; i < n; i++ {
				s.UpdateInt64(int64(i))
			}
			before := hllMustMarshal(t, s)
			for i := n - 1; i >= 0; i-- {
				s.UpdateInt64(int64(i))
				s.UpdateFloat64(math.Float64frombits(uint64(i))) // same 8 bytes as int64(i) for small i≥1 and 0
			}
			if n > 0 && !bytes.Equal(hllMustMarshal(t, s), before) {
				t.Errorf("n %d %v: repeated values changed the image", n, typ)
			}
		}
	}
}

// TestHLL4ExceptionsAndShifts drives HLL_4 and HLL_8 arrays with the same
// (slot, value) pairs, with values spread widely so that HLL_4 constantly adds
// exceptions, shifts curMin and folds exceptions back into nibbles. After every
// step the two must agree on registers, estimates and bounds, and the HLL_4
// images must decode to the same state.
func TestHLL4ExceptionsAndShifts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, lgK := range []uint8{4, 5, 7} {
		h4, h8 := newHLLArray(lgK, HLL4), newHLLArray(lgK, HLL8)
		k := uint32(1) << lgK
		maxAux, folded := 0, 0
		for step := 0; step < 6000; step++ {
			slot := rng.Uint32N(k)
			v := uint8(min(63, 1+step/150+rng.IntN(20)))
			before := 0
			if h4.aux != nil {
				before = h4.aux.count
			}
			cm := h4.curMin
			h4.hllUpdate(slot, v)
			h8.hllUpdate(slot, v)
			if h4.aux != nil {
				maxAux = max(maxAux, h4.aux.count)
			}
			if h4.curMin > cm && before > 0 && (h4.aux == nil || h4.aux.count < before) {
				folded++
			}
			if hllSnapshot(h4) != hllSnapshot(h8) {
				t.Fatalf("lgK %d step %d: HLL_4 and HLL_8 disagree", lgK, step)
			}
			if step%7 == 0 {
				for _, compact := range []bool{true, false} {
					img, _ := h4.appendImage(nil, compact)
					var d HLL
					if err := d.UnmarshalBinary(img); err != nil {
						t.Fatalf("lgK %d step %d compact %v: %v", lgK, step, compact, err)
					}
					if hllSnapshot(&d) != hllSnapshot(h4) {
						t.Fatalf("lgK %d step %d compact %v: decoded state differs", lgK, step, compact)
					}
					// Re-encoding reproduces the image byte for byte (the
					// exception order of a compact image is kept).
					if again, _ := d.appendImage(nil, compact); !bytes.Equal(again, img) {
						t.Fatalf("lgK %d step %d compact %v: re-encoding differs at byte %d", lgK, step, compact, firstDiff(again, img))
					}
				}
			}
		}
		t.Logf("lgK %d: max exceptions %d, folding shifts %d, curMin %d", lgK, maxAux, folded, h4.curMin)
		if maxAux < 3 || folded == 0 || h4.curMin < 20 {
			t.Errorf("lgK %d: max exceptions %d, shifts that folded exceptions %d, final curMin %d; test too weak", lgK, maxAux, folded, h4.curMin)
		}
	}
}
