package sketches

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"testing"
)

// hllConvertRef is Convert as DataSketches describes it, register by
// register: an HLL_4 copy replays every non-zero register in slot order
// through hllUpdate (HIP included, then overwritten), HLL_6/HLL_8 copies set
// each register and copy the KxQ sums.
func hllConvertRef(s *HLL, t HLLType) *HLL {
	if s.mode != hllModeHLL || t == s.typ {
		c := s.Clone()
		c.typ = t
		return c
	}
	k := 1 << s.lgK
	c := newHLLArray(s.lgK, t)
	c.ooo = s.ooo
	for i := 0; i < k; i++ {
		v := s.reg(uint32(i))
		if v == 0 {
			continue
		}
		if t == HLL4 {
			c.hllUpdate(uint32(i), v)
		} else {
			c.setReg(uint32(i), v)
			c.numAtCurMin--
		}
	}
	if t != HLL4 {
		c.kxq0, c.kxq1 = s.kxq0, s.kxq1
	}
	c.hip = s.hip
	return c
}

// hllRegStatsRef sums 2^−v register by register.
func hllRegStatsRef(s *HLL) (atCurMin int, kxq0, kxq1 float64) {
	r := make([]byte, 1<<s.lgK)
	s.absRegs(r)
	for _, v := range r {
		if v == s.curMin {
			atCurMin++
		}
		if v < 32 {
			kxq0 += hllInvPow2[v]
		} else {
			kxq1 += hllInvPow2[v]
		}
	}
	return atCurMin, kxq0, kxq1
}

// hllSameState fails unless a and b are identical in every field and image.
func hllSameState(t *testing.T, what string, a, b *HLL) {
	t.Helper()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s: state differs:\n got %+v\nwant %+v", what, a, b)
	}
	for _, f := range []func(*HLL, []byte) ([]byte, error){(*HLL).AppendBinary, (*HLL).AppendUpdatableBinary} {
		x, err1 := f(a, nil)
		y, err2 := f(b, nil)
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Fatalf("%s: images differ (%v, %v)", what, err1, err2)
		}
	}
}

// hllRandomSketch returns an lgK sketch of type typ fed n random hashes; with
// big, the hashes have many leading zeros so that registers reach 15 and
// beyond (HLL_4 exceptions) and curMin rises.
func hllRandomSketch(r *rand.Rand, lgK int, typ HLLType, n int, big bool) *HLL {
	s, _ := NewHLL(lgK, typ)
	for range n {
		h1, h2 := r.Uint64(), r.Uint64()
		if big {
			h2 >>= r.IntN(40)
		}
		s.UpdateHash(h1, h2)
	}
	return s
}

// TestHLLConvertMatchesRef compares Convert with the register-by-register
// reference for every pair of types, on sketches in every mode, with and
// without exceptions, with all registers set (curMin shifts on the last
// replayed register) and out-of-order union results.
func TestHLLConvertMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var srcs []*HLL
	for _, lgK := range []int{4, 5, 8, 11} {
		for _, typ := range hllTypes {
			for _, n := range []int{0, 3, 50, 1 << lgK, 20 << lgK} {
				for _, big := range []bool{false, true} {
					srcs = append(srcs, hllRandomSketch(r, lgK, typ, n, big))
				}
			}
		}
		u, _ := NewHLLUnion(lgK)
		u.Update(hllRandomSketch(r, lgK, HLL4, 30<<lgK, true))
		u.Update(hllRandomSketch(r, lgK, HLL6, 3<<lgK, false))
		srcs = append(srcs, u.Result(HLL8), u.Result(HLL4), u.Result(HLL6))
	}
	for i, s := range srcs {
		for _, to := range hllTypes {
			what := s.typ.String() + "→" + to.String() + " #" + itoa(i)
			hllSameState(t, what, s.Convert(to), hllConvertRef(s, to))
		}
	}
}

// TestHLLRegStatsMatchesRef compares the histogram sums with the plain sums.
func TestHLLRegStatsMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, lgK := range []int{4, 7, 12} {
		for _, typ := range hllTypes {
			for _, n := range []int{1 << lgK, 40 << lgK} {
				for _, big := range []bool{false, true} {
					s := hllRandomSketch(r, lgK, typ, n, big)
					if s.mode != hllModeHLL {
						continue
					}
					a0, a1, a2 := s.regStats()
					b0, b1, b2 := hllRegStatsRef(s)
					if a0 != b0 || a1 != b1 || a2 != b2 {
						t.Fatalf("lgK %d %v n %d: regStats (%d, %v, %v), reference (%d, %v, %v)", lgK, typ, n, a0, a1, a2, b0, b1, b2)
					}
					// The incremental sums of an updated sketch are exact too.
					if s.kxq0 != b1 || s.kxq1 != b2 || s.numAtCurMin != b0 {
						t.Fatalf("lgK %d %v n %d: running sums (%d, %v, %v), reference (%d, %v, %v)", lgK, typ, n, s.numAtCurMin, s.kxq0, s.kxq1, b0, b1, b2)
					}
				}
			}
		}
	}
}

// hllUpdateHashRef applies a hash the plain way: the coupon through
// couponUpdate in LIST/SET mode, the register through hllUpdate in HLL mode,
// with no quick rejects.
func hllUpdateHashRef(s *HLL, h1, h2 uint64) {
	v := uint32(min(bits.LeadingZeros64(h2), 62) + 1)
	if s.mode == hllModeHLL {
		s.hllUpdate(uint32(h1)&(1<<s.lgK-1), uint8(v))
		return
	}
	s.couponUpdate(v<<26 | uint32(h1)&hllKeyMask26)
}

// TestHLLUpdateHashMatchesRef feeds streams with many repeats (so that the
// LIST/SET hit checks and the HLL quick rejects fire) and new values with
// large register values (HLL_4 exceptions, curMin shifts) into UpdateHash and
// into the reference, through every mode transition, comparing the complete
// state regularly.
func TestHLLUpdateHashMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, lgK := range []int{4, 5, 8, 10} {
		for _, typ := range hllTypes {
			for trial := range 3 {
				a, _ := NewHLL(lgK, typ)
				b, _ := NewHLL(lgK, typ)
				var seen [][2]uint64
				n := (trial + 1) * (40 << lgK)
				for i := range n {
					var h [2]uint64
					if len(seen) > 0 && r.IntN(3) > 0 {
						h = seen[r.IntN(len(seen))]
					} else {
						h = [2]uint64{r.Uint64(), r.Uint64() >> r.IntN(45)}
						seen = append(seen, h)
					}
					a.UpdateHash(h[0], h[1])
					hllUpdateHashRef(b, h[0], h[1])
					if i%101 == 0 || i == n-1 {
						hllSameState(t, typ.String()+" lgK "+itoa(lgK)+" after "+itoa(i+1), a, b)
					}
				}
				if a.mode != hllModeHLL {
					t.Fatalf("lgK %d %v: stream never reached HLL mode", lgK, typ)
				}
			}
		}
	}
}
