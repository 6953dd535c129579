package sketches_test

import (
	"fmt"

	"github.com/kprofiler/kprofiler/sketches"
)

func ExampleKLL() {
	s, err := sketches.NewKLLDoubles(sketches.DefaultKLLK)
	if err != nil {
		panic(err)
	}
	for i := 1; i <= 100; i++ {
		s.Update(float64(i))
	}
	med, _ := s.Quantile(0.5, sketches.Inclusive)
	medEx, _ := s.Quantile(0.5, sketches.Exclusive)
	r, _ := s.Rank(25, sketches.Inclusive)
	why, _ := s.WhylogsQuantile(0.5)
	fmt.Println(s.N(), s.Min(), s.Max(), med, medEx, r, why)

	img, _ := s.MarshalBinary() // Apache compact image (preamble 5)
	wimg, _ := s.AppendWhylogsBinary(nil)
	var back sketches.KLLDoubles
	if err := back.UnmarshalBinary(wimg); err != nil {
		panic(err)
	}
	fmt.Println(len(img), len(wimg), back.N())
	// Output:
	// 100 1 100 50 51 0.25 51
	// 840 844 100
}

func ExampleNewAlternatingBits() {
	// Reproduce upstream's deterministic test mode (java/kll_double_n1000_java.sk).
	s, _ := sketches.NewKLLDoubles(200)
	s.SetBitSource(sketches.NewAlternatingBits())
	for i := 1; i <= 1000; i++ {
		s.Update(float64(i))
	}
	fmt.Println(s.NumLevels(), s.NumRetained(), s.IsEstimationMode())
	// Output: 3 324 true
}
