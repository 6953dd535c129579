package sketches

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestHLLUnionStaleReads: two unions and their eager references take random
// inputs (big register values, so exceptions of HLL_4, and lgK around their
// own), direct updates, and each other's results of every type taken at any
// point, stale or not (union into union); after every step one read path
// chosen at random (a result of each type with its bytes, estimate, bounds,
// emptiness, lgK) must agree with the reference, and the union must then
// keep agreeing as it takes more input.
func TestHLLUnionStaleReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	trials := 150
	if hllRaceEnabled || testing.Short() {
		trials = 30
	}
	types := []HLLType{HLL4, HLL6, HLL8}
	auxMerges := 0 // HLL_4 inputs with exceptions merged eight registers at a time
	for trial := range trials {
		var us [2]*HLLUnion
		var refs [2]*hllUnionEager
		for i := range us {
			lg := 4 + rng.IntN(8)
			us[i], _ = NewHLLUnion(lg)
			refs[i] = newHLLUnionEager(lg)
		}
		for step := range 12 {
			i := rng.IntN(2)
			u, ref := us[i], refs[i]
			switch rng.IntN(6) {
			case 0:
				v := rng.Int64()
				u.UpdateInt64(v)
				ref.gadget.UpdateInt64(v)
			case 1: // the other union's result, taken while it may be stale
				typ := types[rng.IntN(3)]
				s := us[1-i].Result(typ)
				if want := refs[1-i].gadget.Convert(typ); !bytes.Equal(hllMustMarshal(t, s), hllMustMarshal(t, want)) {
					t.Fatalf("trial %d step %d: %v result of union %d differs", trial, step, typ, 1-i)
				}
				u.Update(s)
				ref.update(s)
			default:
				lgK := max(hllMinLgK, min(hllMaxLgK, int(u.lgMaxK)-2+rng.IntN(5)))
				n := []int{5, 50, 500, 5000}[rng.IntN(4)]
				s := hllRandomSketch(rng, lgK, types[rng.IntN(3)], n, rng.IntN(2) == 0)
				if s.typ == HLL4 && s.aux != nil && s.mode == hllModeHLL && u.gadget.mode == hllModeHLL &&
					s.lgK == u.gadget.lgK && !u.gadgetEmpty() {
					auxMerges++
				}
				u.Update(s)
				ref.update(s)
			}
			switch rng.IntN(5) {
			case 0:
				typ := types[rng.IntN(3)]
				if !bytes.Equal(hllMustMarshal(t, u.Result(typ)), hllMustMarshal(t, ref.gadget.Convert(typ))) {
					t.Fatalf("trial %d step %d: %v result differs", trial, step, typ)
				}
			case 1:
				if u.Estimate() != ref.gadget.Estimate() {
					t.Fatalf("trial %d step %d: estimate differs", trial, step)
				}
			case 2:
				if u.LowerBound(1) != ref.gadget.LowerBound(1) || u.UpperBound(3) != ref.gadget.UpperBound(3) {
					t.Fatalf("trial %d step %d: bounds differ", trial, step)
				}
			case 3:
				if u.IsEmpty() != ref.gadget.IsEmpty() || u.LgK() != int(ref.gadget.lgK) {
					t.Fatalf("trial %d step %d: IsEmpty/LgK differ", trial, step)
				}
			}
		}
		for i := range us {
			for _, typ := range types {
				if !bytes.Equal(hllMustMarshal(t, us[i].Result(typ)), hllMustMarshal(t, refs[i].gadget.Convert(typ))) {
					t.Fatalf("trial %d: final %v result of union %d differs", trial, typ, i)
				}
			}
			us[i].settle()
			hllSameState(t, "settled gadget", us[i].gadget, refs[i].gadget)
		}
	}
	if auxMerges == 0 {
		t.Fatal("no HLL_4 input with exceptions merged at the gadget's lgK")
	}
	t.Logf("%d HLL_4 inputs with exceptions merged at the gadget's lgK", auxMerges)
}
