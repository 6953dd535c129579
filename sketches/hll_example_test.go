package sketches_test

import (
	"fmt"

	"github.com/kprofiler/kprofiler/sketches"
)

func ExampleHLL() {
	s, _ := sketches.NewHLL(sketches.DefaultHLLLgK, sketches.HLL4)
	for i := 0; i < 1000000; i++ {
		s.UpdateInt64(int64(i % 100000)) // 100000 distinct values
	}
	img, _ := s.MarshalBinary()
	fmt.Printf("mode %s, estimate %.0f, bounds(2) [%.0f, %.0f], %d-byte image\n",
		s.Mode(), s.Estimate(), s.LowerBound(2), s.UpperBound(2), len(img))
	// Output: mode HLL, estimate 101148, bounds(2) [98572, 103803], 2092-byte image
}

func ExampleHLLUnion() {
	a, _ := sketches.NewHLL(12, sketches.HLL4)
	b, _ := sketches.NewHLL(12, sketches.HLL4)
	for i := 0; i < 100000; i++ {
		a.UpdateInt64(int64(i))
		b.UpdateInt64(int64(i + 50000))
	}
	u, _ := sketches.NewHLLUnion(12)
	u.Update(a)
	u.Update(b)
	r := u.Result(sketches.HLL8)
	fmt.Printf("union estimate %.0f (true 150000)\n", r.Estimate())
	// Output: union estimate 153040 (true 150000)
}
