package sketches

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// TestKLLMoveScratch: accumulators that borrow their scratch space from a
// holder (MoveScratch, as the profiler's derived full profile does; the
// holder's buffers left large by earlier merges, emptied, or replaced by
// tiny ones) merge random sketches into the same images, consuming the same
// coin flips, as accumulators with scratch of their own; the scratch goes
// back to the holder after each accumulator and the accumulator keeps none.
func TestKLLMoveScratch(t *testing.T) {
	testKLLMoveScratch[float64](t)
	testKLLMoveScratch[float32](t)
}

func testKLLMoveScratch[T float32 | float64](t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	rounds := 120
	if testing.Short() || kllRaceEnabled {
		rounds = 20
	}
	var holder KLL[T]
	sizes := []int{1, 5, 60, 300, 1500, 8000}
	for round := range rounds {
		switch r.IntN(5) {
		case 0: // no scratch at all
			holder.radix, holder.work, holder.tmp, holder.spare = nil, nil, nil, nil
		case 1: // too small for anything
			holder.radix, holder.work, holder.tmp = make([]uint64, 1), make([]T, 1), make([]T, 1)
			holder.spare = [][]T{make([]T, 0, 1)}
		case 2: // spare item buffers of random sizes, full of NaNs
			holder.spare = holder.spare[:0]
			for range r.IntN(kllMaxSpare + 1) {
				b := make([]T, 1+r.IntN(3000))
				for i := range b {
					b[i] = T(math.NaN())
				}
				holder.spare = append(holder.spare, b[:r.IntN(len(b))])
			}
		}
		k := []int{8, 40, 200, 256}[r.IntN(4)]
		got, _ := newKLL[T](k)
		want, _ := newKLL[T](k)
		got.SetBitSource(NewSeededBits(uint64(round)))
		want.SetBitSource(NewSeededBits(uint64(round)))
		holder.MoveScratch(got)
		if holder.radix != nil || holder.work != nil || holder.tmp != nil {
			t.Fatal("the holder kept scratch space it handed over")
		}
		gen := kllTestDraws[r.IntN(len(kllTestDraws))]
		var gb, wb []byte
		for step := range 1 + r.IntN(6) {
			o, _ := newKLL[T](k)
			o.SetBitSource(NewSeededBits(uint64(100*round + step)))
			base := r.IntN(1000)
			for i := range sizes[r.IntN(len(sizes))] {
				o.Update(T(gen.draw(r, base+i)))
			}
			if err := got.Merge(o); err != nil {
				t.Fatal(err)
			}
			if err := want.Merge(o); err != nil {
				t.Fatal(err)
			}
			gb, _ = got.AppendBinary(gb[:0])
			wb, _ = want.AppendBinary(wb[:0])
			if !bytes.Equal(gb, wb) {
				t.Fatalf("%T round %d step %d: images differ", got, round, step)
			}
		}
		for _, b := range got.spare {
			if len(got.items) > 0 && cap(b) > 0 && &b[:1][0] == &got.items[:1][0] {
				t.Fatalf("%T round %d: a spare buffer is the sketch's own", got, round)
			}
		}
		got.MoveScratch(&holder)
		if len(holder.spare) > kllMaxSpare {
			t.Fatalf("the holder keeps %d spare buffers", len(holder.spare))
		}
		if got.radix != nil || got.work != nil || got.tmp != nil || got.spare != nil {
			t.Fatal("the accumulator kept scratch space it handed back")
		}
		// the accumulator stays usable without scratch
		x := T(r.NormFloat64())
		got.Update(x)
		want.Update(x)
		gb, _ = got.AppendBinary(gb[:0])
		wb, _ = want.AppendBinary(wb[:0])
		if !bytes.Equal(gb, wb) {
			t.Fatalf("%T round %d: images differ after the scratch moved out", got, round)
		}
		for range 70 {
			if got.bit() != want.bit() {
				t.Fatalf("%T round %d: the bit sources diverged", got, round)
			}
		}
	}
}
