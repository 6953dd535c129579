package sketches

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// BenchmarkKLLMergeLevels merges two sorted signed runs of L/3 and 2L/3
// items in place, as the compactions of Merge do, plainly (kllMergeInPlace)
// and through mergeLevels (the branch-free two-ended loops), over a pool of
// 8192 distinct inputs: with few distinct inputs the branch predictor learns
// the plain merge's branches and the comparison says nothing about real data.
// The time includes copying the input to the work buffer (same for both).
func BenchmarkKLLMergeLevels(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, L := range []int{24, 48, 96, 200, 400, 1000, 3000} {
		const pool = 8192
		bufs := make([][]float64, pool)
		aLen := uint32(L / 3)
		bLen := uint32(L) - aLen
		for p := range bufs {
			buf := make([]float64, 2*aLen+bLen)
			for i := range buf {
				buf[i] = r.Float64() - 0.5
			}
			slices.Sort(buf[:aLen])
			slices.Sort(buf[2*aLen:])
			bufs[p] = buf
		}
		work := make([]float64, len(bufs[0]))
		var s KLL[float64]
		for _, mode := range []string{"plain", "twoended"} {
			b.Run(mode+"/L="+strconv.Itoa(L), func(b *testing.B) {
				stop := kllStartCPU(b)
				for i := 0; i < b.N; i++ {
					copy(work, bufs[i&(pool-1)])
					if mode == "plain" {
						kllMergeInPlace(work, 0, aLen, 2*aLen, bLen)
					} else {
						s.mergeLevels(work, 0, aLen, 2*aLen, bLen)
					}
				}
				stop()
			})
		}
	}
}
