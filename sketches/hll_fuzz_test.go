package sketches

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzHLLUnmarshal decodes arbitrary bytes into a non-empty sketch. It is
// seeded with every HLL golden image plus compact and updatable images in every
// mode and type. Properties: no panic; a failure wraps ErrCorrupt and leaves the
// receiver unchanged; a success re-encodes stably (compact and updatable), and
// the decoded sketch keeps working (updates, union, conversions, estimates).
func FuzzHLLUnmarshal(f *testing.F) {
	for _, dir := range []string{"cpp", "java", "generated-locally"} {
		paths, _ := filepath.Glob(filepath.Join(goldenDir(), dir, "hll*.sk"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, img := range hllBaseImages(f) {
		f.Add(img)
	}
	prior := hllStream(f, 9, HLL6, seq(700))
	priorImg := hllMustMarshal(f, prior)
	f.Fuzz(func(t *testing.T, data []byte) {
		s := prior.Clone()
		err := s.UnmarshalBinary(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			if !bytes.Equal(hllMustMarshal(t, s), priorImg) {
				t.Fatalf("failed decode changed the receiver")
			}
			return
		}
		st := hllSnapshot(s)
		for _, v := range []float64{st.est, st.comp, st.lb1, st.ub1, st.lb3, st.ub3} {
			if math.IsNaN(v) || v < 0 {
				t.Fatalf("decoded sketch has estimate/bound %v", v)
			}
		}
		m1 := hllMustMarshal(t, s)
		var d HLL
		if err := d.UnmarshalBinary(m1); err != nil {
			t.Fatalf("re-decoding our own image: %v", err)
		}
		if m2 := hllMustMarshal(t, &d); !bytes.Equal(m2, m1) {
			t.Fatalf("compact re-encoding not stable at byte %d", firstDiff(m2, m1))
		}
		if hllSnapshot(&d) != st {
			t.Fatalf("compact round trip changed the state")
		}
		u1, _ := s.AppendUpdatableBinary(nil)
		var du HLL
		if err := du.UnmarshalBinary(u1); err != nil {
			t.Fatalf("re-decoding our updatable image: %v", err)
		}
		if u2, _ := du.AppendUpdatableBinary(nil); !bytes.Equal(u2, u1) {
			t.Fatalf("updatable re-encoding not stable at byte %d", firstDiff(u2, u1))
		}
		if hllSnapshot(&du) != st {
			t.Fatalf("updatable round trip changed the state")
		}
		// The decoded sketch must stay usable.
		c := s.Clone()
		for i := int64(0); i < 300; i++ {
			c.UpdateInt64(i * 1000003)
		}
		u, _ := NewHLLUnion(max(4, s.LgK()-1))
		u.Update(s)
		u.Update(c)
		u.Update(s.Convert(HLL4))
		for _, typ := range hllTypes {
			r := u.Result(typ)
			if e := r.Estimate(); math.IsNaN(e) || e < 0 {
				t.Fatalf("union estimate %v", e)
			}
			_ = hllMustMarshal(t, r)
		}
	})
}
