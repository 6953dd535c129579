package sketches

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// kllCheckInvariants verifies the structural invariants of a sketch.
func kllCheckInvariants[T float32 | float64](t *testing.T, s *KLL[T]) {
	t.Helper()
	if got, want := s.capacity(), kllTotalCapacity(s.k, s.m, s.numLevels); got != want {
		t.Fatalf("capacity %d, want totalCapacity(%d, %d, %d) = %d", got, s.k, s.m, s.numLevels, want)
	}
	if len(s.levels) != s.numLevels+1 || int(s.levels[s.numLevels]) != len(s.items) {
		t.Fatalf("levels %v do not end at len(items)=%d", s.levels, len(s.items))
	}
	var total uint64
	for h := 0; h < s.numLevels; h++ {
		if s.levels[h] > s.levels[h+1] {
			t.Fatalf("levels not monotone: %v", s.levels)
		}
		lv := s.items[s.levels[h]:s.levels[h+1]]
		if (h > 0 || s.sorted) && !slices.IsSorted(lv) {
			t.Fatalf("level %d not sorted", h)
		}
		for _, v := range lv {
			if v < s.minV || v > s.maxV {
				t.Fatalf("item %v outside [%v, %v]", v, s.minV, s.maxV)
			}
		}
		total += uint64(len(lv)) << uint(h)
	}
	if total != s.n {
		t.Fatalf("total weight %d != n %d", total, s.n)
	}
	if s.n > 0 && s.numLevels > kllUBOnNumLevels(s.n) {
		t.Fatalf("numLevels %d > ub %d for n=%d", s.numLevels, kllUBOnNumLevels(s.n), s.n)
	}
}

func TestKLLNew(t *testing.T) {
	for _, k := range []int{-1, 0, 7, 65536, 1 << 20} {
		if _, err := NewKLLDoubles(k); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewKLLDoubles(%d) err=%v, want ErrInvalidArgument", k, err)
		}
		if _, err := NewKLLFloats(k); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewKLLFloats(%d) err=%v, want ErrInvalidArgument", k, err)
		}
	}
	for _, k := range []int{8, DefaultKLLK, 1024, 65535} {
		s, err := NewKLLDoubles(k)
		if err != nil {
			t.Fatal(err)
		}
		if s.K() != k || s.MinK() != k || s.N() != 0 || !s.IsEmpty() || s.NumRetained() != 0 || s.NumLevels() != 1 || s.IsEstimationMode() {
			t.Errorf("k=%d: fresh sketch state wrong", k)
		}
		if !math.IsNaN(s.Min()) || !math.IsNaN(s.Max()) {
			t.Errorf("empty min/max not NaN")
		}
		kllCheckInvariants(t, s)
	}
}

func TestKLLCapacity(t *testing.T) {
	wantAux := []int{200, 133, 89, 59, 40, 26, 18, 12, 8, 5, 3}
	for d, w := range wantAux {
		if got := kllCapAux(200, d); got != w {
			t.Errorf("capAux(200, %d) = %d, want %d", d, got, w)
		}
	}
	want200 := []int{200, 333, 422, 481, 521, 547, 565, 577, 585, 593, 601, 609, 617, 625}
	for i, w := range want200 {
		if got := kllTotalCapacity(200, 8, i+1); got != w {
			t.Errorf("totalCapacity(200, 8, %d) = %d, want %d", i+1, got, w)
		}
	}
	for k, ws := range map[int][]int{256: {256, 427, 541}, 1024: {1024, 1707, 2162}} {
		for i, w := range ws {
			if got := kllTotalCapacity(k, 8, i+1); got != w {
				t.Errorf("totalCapacity(%d, 8, %d) = %d, want %d", k, i+1, got, w)
			}
		}
	}
	// depth > 30 takes the split path; it must still be round(k·(2/3)^d) ≈ 0 → m.
	if got := kllLevelCapacity(65535, 60, 0, 8); got != 8 {
		t.Errorf("deep level capacity %d, want 8", got)
	}
	if got := kllCapAux(65535, 31); got != int(math.Round(65535*math.Pow(2.0/3, 31))) {
		t.Errorf("capAux(65535, 31) = %d", got)
	}
	for _, tc := range []struct {
		n    uint64
		want int
	}{{0, 1}, {1, 1}, {2, 2}, {3, 2}, {4, 3}, {1 << 40, 41}, {math.MaxUint64, 64}} {
		if got := kllUBOnNumLevels(tc.n); got != tc.want {
			t.Errorf("ubOnNumLevels(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestKLLNormalizedRankError(t *testing.T) {
	if got := KLLNormalizedRankError(200, false); got != 0.013294757464848584 {
		t.Errorf("eps(200) = %.17g", got)
	}
	if got := KLLNormalizedRankError(200, true); got != 0.01651561908528982 {
		t.Errorf("pmf eps(200) = %.17g", got)
	}
	// the reference table, to its printed precision
	for _, tc := range []struct {
		k        int
		rank, pm float64
		digits   float64
	}{{128, 0.020518, 0.025161, 1e-6}, {256, 0.010458, 0.013085, 1e-6}, {1024, 0.0027168, 0.0035387, 1e-7}} {
		if got := KLLNormalizedRankError(tc.k, false); math.Abs(got-tc.rank) > tc.digits {
			t.Errorf("eps(%d) = %v, want ≈%v", tc.k, got, tc.rank)
		}
		if got := KLLNormalizedRankError(tc.k, true); math.Abs(got-tc.pm) > tc.digits {
			t.Errorf("pmf eps(%d) = %v, want ≈%v", tc.k, got, tc.pm)
		}
	}
	s, _ := NewKLLDoubles(200)
	c, _ := NewKLLDoubles(100)
	for i := range 5000 {
		c.Update(float64(i))
	}
	if s.NormalizedRankError(false) != KLLNormalizedRankError(200, false) {
		t.Error("sketch eps should use k when nothing merged")
	}
	_ = s.Merge(c)
	if s.MinK() != 100 || s.NormalizedRankError(true) != KLLNormalizedRankError(100, true) {
		t.Errorf("after merging k=100 in estimation mode: minK=%d", s.MinK())
	}
	// an exact-mode sketch does not lower minK
	e, _ := NewKLLDoubles(200)
	x, _ := NewKLLDoubles(50)
	x.Update(1)
	_ = e.Merge(x)
	if e.MinK() != 200 {
		t.Errorf("exact-mode merge lowered minK to %d", e.MinK())
	}
}

func TestKLLBitSources(t *testing.T) {
	a := NewAlternatingBits()
	for i := range 10 {
		if got := a.Bit(); got != uint32(i&1) {
			t.Fatalf("alternating bit %d = %d", i, got)
		}
	}
	s1, s2, s3 := NewSeededBits(42), NewSeededBits(42), NewSeededBits(43)
	ones, same := 0, 0
	const n = 20000
	for range n {
		b1, b2, b3 := s1.Bit(), s2.Bit(), s3.Bit()
		if b1 != b2 {
			t.Fatal("same seed, different bits")
		}
		if b1 > 1 || b3 > 1 {
			t.Fatal("bit out of range")
		}
		ones += int(b1)
		if b1 == b3 {
			same++
		}
	}
	if ones < n*47/100 || ones > n*53/100 {
		t.Errorf("seeded bits unbalanced: %d ones of %d", ones, n)
	}
	if same > n*53/100 || same < n*47/100 {
		t.Errorf("seeds 42 and 43 agree on %d of %d bits", same, n)
	}
	// nil source = default = NewSeededBits(0)
	build := func(src BitSource, set bool) []byte {
		s, _ := NewKLLDoubles(200)
		if set {
			s.SetBitSource(src)
		}
		r := rand.New(rand.NewPCG(5, 6))
		for range 20000 {
			s.Update(r.Float64())
		}
		b, _ := s.MarshalBinary()
		return b
	}
	def := build(nil, false)
	if !bytes.Equal(def, build(nil, true)) || !bytes.Equal(def, build(NewSeededBits(0), true)) {
		t.Error("default bit source is not NewSeededBits(0)")
	}
	if bytes.Equal(def, build(NewSeededBits(1), true)) {
		t.Error("seed 1 produced the same image as seed 0")
	}
}

// bruteQuantile is C++'s quantile on an exact sorted array.
func bruteQuantile(sorted []float64, r float64, c SearchCriteria) float64 {
	n := float64(len(sorted))
	var i int
	if c == Inclusive {
		i = int(math.Ceil(r*n)) - 1 // first index whose count i+1 ≥ ⌈rn⌉
		if i < 0 {
			i = 0
		}
	} else {
		i = int(r * n) // first index whose count i+1 > ⌊rn⌋
	}
	return sorted[min(i, len(sorted)-1)]
}

func bruteRank(sorted []float64, x float64, c SearchCriteria) float64 {
	cnt := 0
	for _, v := range sorted {
		if v < x || (c == Inclusive && v == x) {
			cnt++
		}
	}
	return float64(cnt) / float64(len(sorted))
}

func TestKLLExactQueries(t *testing.T) {
	s, _ := NewKLLDoubles(200)
	for _, v := range []float64{7, 3, 10, 1, 5, 2, 9, 4, 8, 6} {
		s.Update(v)
	}
	for _, tc := range []struct {
		r    float64
		c    SearchCriteria
		want float64
	}{{0.5, Inclusive, 5}, {0.5, Exclusive, 6}, {0, Inclusive, 1}, {0, Exclusive, 1}, {1, Inclusive, 10}, {1, Exclusive, 10}, {0.25, Inclusive, 3}, {0.99, Inclusive, 10}} {
		if got, err := s.Quantile(tc.r, tc.c); err != nil || got != tc.want {
			t.Errorf("Quantile(%v, %v) = %v, %v; want %v", tc.r, tc.c, got, err, tc.want)
		}
	}
	if r, _ := s.Rank(5, Inclusive); r != 0.5 {
		t.Errorf("Rank(5, incl) = %v", r)
	}
	if r, _ := s.Rank(5, Exclusive); r != 0.4 {
		t.Errorf("Rank(5, excl) = %v", r)
	}
	// random data with duplicates, many ranks, against brute force
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := range 50 {
		n := 1 + rng.IntN(190)
		s, _ := NewKLLDoubles(200)
		data := make([]float64, n)
		for i := range data {
			data[i] = float64(rng.IntN(30)) - 10
			s.Update(data[i])
		}
		slices.Sort(data)
		if s.IsEstimationMode() {
			t.Fatal("unexpected estimation mode")
		}
		ranks := []float64{0, 1, 0.5, 0.07, 0.3333, 0.999, 1e-9}
		for range 20 {
			ranks = append(ranks, rng.Float64())
		}
		for _, c := range []SearchCriteria{Inclusive, Exclusive} {
			qs, err := s.Quantiles(ranks, c)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range ranks {
				if want := bruteQuantile(data, r, c); qs[i] != want {
					t.Errorf("trial %d n=%d Quantile(%v, %v) = %v, want %v", trial, n, r, c, qs[i], want)
				}
			}
			splits := []float64{-11, -3, 0, 0.5, 7, 19, 25}
			cdf, err := s.CDF(splits, c)
			if err != nil {
				t.Fatal(err)
			}
			pmf, _ := s.PMF(splits, c)
			sum := 0.0
			for i, x := range splits {
				want := bruteRank(data, x, c)
				if cdf[i] != want {
					t.Errorf("CDF[%d] = %v, want %v", i, cdf[i], want)
				}
				if r, _ := s.Rank(x, c); r != want {
					t.Errorf("Rank(%v) = %v, want %v", x, r, want)
				}
				sum += pmf[i]
			}
			sum += pmf[len(splits)]
			if cdf[len(splits)] != 1 || math.Abs(sum-1) > 1e-12 {
				t.Errorf("CDF last %v, PMF sum %v", cdf[len(splits)], sum)
			}
		}
		// whylogs: sorted[floor(r·n)] in exact mode, 0 → min, 1 → max
		for _, r := range ranks {
			got, _ := s.WhylogsQuantile(r)
			want := data[min(int(math.Floor(r*float64(n))), n-1)]
			if r == 1 {
				want = data[n-1]
			}
			if got != want {
				t.Errorf("WhylogsQuantile(%v) = %v, want %v", r, got, want)
			}
		}
	}
}

// TestKLLEstimationQueries compares the queries of estimation-mode sketches with
// a brute-force evaluation over the retained items expanded by weight.
func TestKLLEstimationQueries(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for trial := range 10 {
		s, _ := NewKLLDoubles(8 + rng.IntN(200))
		s.SetBitSource(NewSeededBits(uint64(trial)))
		n := 2000 + rng.IntN(50000)
		for range n {
			s.Update(math.Floor(rng.NormFloat64() * 100))
		}
		kllCheckInvariants(t, s)
		type wi struct {
			v float64
			w uint64
		}
		var all []wi
		for h := 0; h < s.numLevels; h++ {
			for _, v := range s.items[s.levels[h]:s.levels[h+1]] {
				all = append(all, wi{v, 1 << uint(h)})
			}
		}
		slices.SortStableFunc(all, func(a, b wi) int {
			switch {
			case a.v < b.v:
				return -1
			case a.v > b.v:
				return 1
			}
			return 0
		})
		weightLE := func(x float64, c SearchCriteria) uint64 {
			var w uint64
			for _, e := range all {
				if e.v < x || (c == Inclusive && e.v == x) {
					w += e.w
				}
			}
			return w
		}
		for range 200 {
			r := rng.Float64()
			for _, c := range []SearchCriteria{Inclusive, Exclusive} {
				got, _ := s.Quantile(r, c)
				// C++ definition: first entry whose cumulative weight ≥ ⌈rn⌉ (incl) or > ⌊rn⌋ (excl)
				var cum uint64
				want := all[len(all)-1].v
				wIncl := uint64(math.Ceil(r * float64(s.N())))
				wExcl := uint64(r * float64(s.N()))
				for _, e := range all {
					cum += e.w
					if (c == Inclusive && cum >= wIncl) || (c == Exclusive && cum > wExcl) {
						want = e.v
						break
					}
				}
				if got != want {
					t.Fatalf("trial %d Quantile(%v, %v) = %v, want %v", trial, r, c, got, want)
				}
				x := math.Floor(rng.NormFloat64() * 120)
				rk, _ := s.Rank(x, c)
				if want := float64(weightLE(x, c)) / float64(s.N()); rk != want {
					t.Fatalf("Rank(%v, %v) = %v, want %v", x, c, rk, want)
				}
			}
			// whylogs: first item whose exclusive cumulative weight ≥ ⌊rn⌋
			got, _ := s.WhylogsQuantile(r)
			w := uint64(math.Floor(r * float64(s.N())))
			var cum uint64
			want := all[len(all)-1].v
			for _, e := range all {
				if cum >= w {
					want = e.v
					break
				}
				cum += e.w
			}
			if got != want {
				t.Fatalf("WhylogsQuantile(%v) = %v, want %v", r, got, want)
			}
		}
		if q, _ := s.WhylogsQuantile(0); q != s.Min() {
			t.Errorf("WhylogsQuantile(0) = %v, want min %v", q, s.Min())
		}
		if q, _ := s.WhylogsQuantile(1); q != s.Max() {
			t.Errorf("WhylogsQuantile(1) = %v, want max %v", q, s.Max())
		}
		if q, _ := s.Quantile(0, Inclusive); q != all[0].v {
			t.Errorf("Quantile(0) = %v, want smallest retained %v", q, all[0].v)
		}
	}
}

func TestKLLWhylogsLegs(t *testing.T) {
	s, _ := NewKLLDoubles(1024)
	for _, v := range []float64{4, 0, 4, 2} {
		s.Update(v)
	}
	if q, _ := s.WhylogsQuantile(0.5); q != 4 {
		t.Errorf("median of legs [0,2,4,4] = %v, want 4", q)
	}
}

func TestKLLNaNAndInf(t *testing.T) {
	s, _ := NewKLLDoubles(200)
	s.Update(math.NaN())
	if !s.IsEmpty() {
		t.Fatal("NaN counted")
	}
	s.Update(1)
	before, _ := s.MarshalBinary()
	s.Update(math.NaN())
	after, _ := s.MarshalBinary()
	if !bytes.Equal(before, after) || s.N() != 1 {
		t.Fatal("NaN changed the sketch")
	}
	s.Update(math.Inf(-1))
	s.Update(math.Inf(1))
	if s.Min() != math.Inf(-1) || s.Max() != math.Inf(1) || s.N() != 3 {
		t.Fatalf("inf handling: min %v max %v n %d", s.Min(), s.Max(), s.N())
	}
	f, _ := NewKLLFloats(200)
	f.Update(float32(math.NaN()))
	if !f.IsEmpty() {
		t.Fatal("float NaN counted")
	}
}

func TestKLLErrors(t *testing.T) {
	empty, _ := NewKLLDoubles(200)
	if _, err := empty.Quantile(0.5, Inclusive); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty Quantile: %v", err)
	}
	if _, err := empty.Quantiles([]float64{0.5}, Inclusive); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty Quantiles: %v", err)
	}
	if _, err := empty.Rank(1, Inclusive); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty Rank: %v", err)
	}
	if _, err := empty.CDF([]float64{1}, Inclusive); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty CDF: %v", err)
	}
	if _, err := empty.PMF([]float64{1}, Inclusive); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty PMF: %v", err)
	}
	if _, err := empty.WhylogsQuantile(0.5); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty WhylogsQuantile: %v", err)
	}
	s, _ := NewKLLDoubles(200)
	s.Update(1)
	s.Update(2)
	for _, r := range []float64{-0.1, 1.1, math.NaN(), math.Inf(1)} {
		if _, err := s.Quantile(r, Inclusive); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Quantile(%v): %v", r, err)
		}
		if _, err := s.Quantiles([]float64{0.5, r}, Inclusive); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Quantiles(%v): %v", r, err)
		}
		if _, err := s.WhylogsQuantile(r); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("WhylogsQuantile(%v): %v", r, err)
		}
	}
	if _, err := s.Quantile(0.5, SearchCriteria(7)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("bad criteria: %v", err)
	}
	if _, err := s.Rank(math.NaN(), Inclusive); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Rank(NaN): %v", err)
	}
	for _, splits := range [][]float64{{2, 1}, {1, 1}, {math.NaN()}, {0, math.NaN(), 3}} {
		if _, err := s.CDF(splits, Inclusive); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CDF(%v): %v", splits, err)
		}
		if _, err := s.PMF(splits, Exclusive); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("PMF(%v): %v", splits, err)
		}
	}
	if err := s.Merge(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Merge(nil): %v", err)
	}
	o, _ := NewKLLDoubles(200)
	o.Update(3)
	o.m = 4
	if err := s.Merge(o); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("merge with different m: %v", err)
	}
	f, _ := NewKLLFloats(200)
	if _, err := f.AppendWhylogsBinary(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("floats whylogs: %v", err)
	}
	if Inclusive.String() != "Inclusive" || Exclusive.String() != "Exclusive" || SearchCriteria(9).String() != "SearchCriteria(9)" {
		t.Error("SearchCriteria.String")
	}
}

// TestKLLQueryDoesNotChangeImage: queries sort a copy, so the image (and the
// flags byte) is the same before and after any query (invariant 4).
func TestKLLQueryDoesNotChangeImage(t *testing.T) {
	for _, n := range []int{10, 5000} {
		s, _ := NewKLLDoubles(200)
		for i := n; i >= 1; i-- {
			s.Update(float64(i * i % 11))
		}
		b0, _ := s.MarshalBinary()
		w0, _ := s.AppendWhylogsBinary(nil)
		if _, err := s.Quantile(0.5, Inclusive); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Quantiles([]float64{0.1, 0.9}, Exclusive); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WhylogsQuantile(0.25); err != nil {
			t.Fatal(err)
		}
		b1, _ := s.MarshalBinary()
		w1, _ := s.AppendWhylogsBinary(nil)
		if !bytes.Equal(b0, b1) || !bytes.Equal(w0, w1) {
			t.Fatalf("n=%d: a query changed the image", n)
		}
		if b1[3]&kllFlagSorted != 0 {
			t.Fatalf("n=%d: flags 0x%02x carry LEVEL_ZERO_SORTED after a query", n, b1[3])
		}
	}
}

func TestKLLClone(t *testing.T) {
	s, _ := NewKLLDoubles(200)
	s.SetBitSource(NewAlternatingBits())
	for i := range 12345 {
		s.Update(float64(i % 1000))
	}
	c := s.Clone()
	kllCheckInvariants(t, c)
	bs, _ := s.MarshalBinary()
	bc, _ := c.MarshalBinary()
	if !bytes.Equal(bs, bc) {
		t.Fatal("clone image differs")
	}
	// Both continue identically (the alternating source was copied, not shared).
	for i := range 5000 {
		s.Update(float64(i))
		c.Update(float64(i))
	}
	bs, _ = s.MarshalBinary()
	bc, _ = c.MarshalBinary()
	if !bytes.Equal(bs, bc) {
		t.Fatal("clone diverged")
	}
	// Independence.
	s.Update(1e9)
	if c.Max() == 1e9 || c.N() == s.N() {
		t.Fatal("clone shares state")
	}
	kllCheckInvariants(t, s)
	kllCheckInvariants(t, c)
}

func TestKLLMergeSelf(t *testing.T) {
	s, _ := NewKLLDoubles(200)
	for i := range 3000 {
		s.Update(float64(i))
	}
	c := s.Clone()
	c2 := s.Clone()
	if err := s.Merge(s); err != nil {
		t.Fatal(err)
	}
	if err := c.Merge(c2); err != nil {
		t.Fatal(err)
	}
	bs, _ := s.MarshalBinary()
	bc, _ := c.MarshalBinary()
	if !bytes.Equal(bs, bc) || s.N() != 6000 {
		t.Fatal("self merge differs from merging a copy")
	}
	kllCheckInvariants(t, s)
}

func TestKLLSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	gens := map[string]func(i, n int) float64{
		"random": func(i, n int) float64 { return rng.NormFloat64() * 1e6 },
		"dups":   func(i, n int) float64 { return float64(rng.IntN(5)) },
		"asc":    func(i, n int) float64 { return float64(i) },
		"desc":   func(i, n int) float64 { return float64(n - i) },
		// ascending and descending runs with one wrap (a periodic column)
		"rotasc":  func(i, n int) float64 { return float64((i + n/3) % n) },
		"rotdesc": func(i, n int) float64 { return float64(n - (i+n/3)%n) },
		"signs": func(i, n int) float64 {
			return []float64{0, math.Copysign(0, -1), -1, 1, math.Inf(1), math.Inf(-1), -1e-300, 1e-300}[rng.IntN(8)]
		},
		"tiny":     func(i, n int) float64 { return math.Float64frombits(uint64(rng.IntN(1000))) },
		"mantissa": func(i, n int) float64 { return 1 + float64(rng.Uint64()>>12)/(1<<52) },
	}
	var scratch []uint64
	for name, g := range gens {
		for _, n := range []int{0, 1, 2, 3, 5, 24, 25, 100, 333, 1000, 3000} {
			a := make([]float64, n)
			f := make([]float32, n)
			for i := range a {
				a[i] = g(i, n)
				f[i] = float32(a[i])
			}
			want := slices.Clone(a)
			slices.Sort(want)
			scratch = kllSort(a, scratch)
			for i := range a {
				if a[i] != want[i] {
					t.Fatalf("%s n=%d: float64 sort wrong at %d", name, n, i)
				}
			}
			wantF := slices.Clone(f)
			slices.Sort(wantF)
			scratch = kllSort(f, scratch)
			for i := range f {
				if f[i] != wantF[i] {
					t.Fatalf("%s n=%d: float32 sort wrong at %d", name, n, i)
				}
			}
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.SmallestNonzeroFloat64} {
		if got := float64FromKey(float64Key(v)); math.Float64bits(got) != math.Float64bits(v) {
			t.Errorf("key round trip %v → %v", v, got)
		}
		if got := float32FromKey(float32Key(float32(v))); math.Float32bits(got) != math.Float32bits(float32(v)) {
			t.Errorf("key32 round trip %v → %v", v, got)
		}
	}
}

// TestKLLFloatsStructure rebuilds the float sketches of the generator loop with
// the alternating coin. The Java float images were made with random coins, so
// only the structure (everything up to and including the levels array, and
// min/max) must match; the level layout is independent of the coin.
func TestKLLFloatsStructure(t *testing.T) {
	for _, n := range []int{10, 100, 1000, 10000, 100000} {
		want := readGoldenFile(t, "java/kll_float_n"+itoa(n)+"_java.sk")
		s, _ := NewKLLFloats(200)
		s.SetBitSource(NewAlternatingBits())
		for i := 1; i <= n; i++ {
			s.Update(float32(i))
		}
		got, _ := s.MarshalBinary()
		hdr := 20 + 4*s.NumLevels() + 8
		if len(got) != len(want) || !bytes.Equal(got[:hdr], want[:hdr]) {
			t.Errorf("n=%d: structure differs (%d vs %d bytes)", n, len(got), len(want))
		}
		kllCheckInvariants(t, s)
	}
}

func TestKLLInvariantsRandomOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := range 30 {
		ks := []int{8, 9, 20, 200, 333}
		s, _ := NewKLLFloats(ks[rng.IntN(len(ks))])
		s.SetBitSource(NewSeededBits(uint64(trial)))
		var n uint64
		for range 20 {
			switch rng.IntN(3) {
			case 0, 1:
				m := rng.IntN(3000)
				for range m {
					s.Update(float32(rng.ExpFloat64()))
				}
				n += uint64(m)
			case 2:
				o, _ := NewKLLFloats(ks[rng.IntN(len(ks))])
				m := rng.IntN(5000)
				for range m {
					o.Update(float32(rng.NormFloat64()))
				}
				if rng.IntN(2) == 0 {
					b, _ := o.MarshalBinary()
					o = &KLLFloats{}
					if err := o.UnmarshalBinary(b); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Merge(o); err != nil {
					t.Fatal(err)
				}
				n += uint64(m)
			}
			if rng.IntN(4) == 0 {
				_, _ = s.Quantile(0.3, Exclusive)
			}
			kllCheckInvariants(t, s)
			if s.N() != n {
				t.Fatalf("n=%d, want %d", s.N(), n)
			}
		}
	}
}

func TestKLLZeroValue(t *testing.T) {
	var z KLLDoubles
	if !z.IsEmpty() || z.K() != DefaultKLLK || z.NumRetained() != 0 || z.NumLevels() != 1 || z.MinK() != DefaultKLLK {
		t.Fatal("zero value is not an empty default sketch")
	}
	if _, err := z.Quantile(0.5, Inclusive); !errors.Is(err, ErrEmpty) {
		t.Fatal(err)
	}
	b, _ := z.MarshalBinary()
	e, _ := NewKLLDoubles(DefaultKLLK)
	be, _ := e.MarshalBinary()
	if !bytes.Equal(b, be) {
		t.Fatalf("zero value image % x, want % x", b, be)
	}
	c := z.Clone()
	c.Update(1)
	if !z.IsEmpty() || c.N() != 1 || c.K() != DefaultKLLK {
		t.Fatal("zero value clone")
	}
	// Update on a zero value = Update on NewKLLDoubles(200)
	var u KLLDoubles
	for i := range 5000 {
		u.Update(float64(i))
		e.Update(float64(i))
	}
	bu, _ := u.MarshalBinary()
	be, _ = e.MarshalBinary()
	if !bytes.Equal(bu, be) {
		t.Fatal("zero value updates differ from a k=200 sketch")
	}
	// Merge into a zero value adopts k
	big := kllRandomDoubles(1024, 3000, 1)
	var m KLLDoubles
	if err := m.Merge(big); err != nil {
		t.Fatal(err)
	}
	if m.K() != 1024 || m.N() != 3000 {
		t.Fatalf("merge into zero value: k=%d n=%d", m.K(), m.N())
	}
	kllCheckInvariants(t, &m)
	var m2 KLLDoubles
	if err := m2.Merge(&KLLDoubles{}); err != nil || !m2.IsEmpty() {
		t.Fatal("zero ← zero")
	}
}

// TestKLLConcurrentReads backs the documented read set: under -race, these
// methods may run concurrently on one sketch.
func TestKLLConcurrentReads(t *testing.T) {
	s := kllRandomDoubles(200, 50000, 1)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				x := float64(i-25) / 10
				_, _ = s.Rank(x, SearchCriteria(g%2))
				_, _ = s.CDF([]float64{x, x + 1}, Inclusive)
				_, _ = s.PMF([]float64{x}, Exclusive)
				_, _ = s.MarshalBinary()
				_, _ = s.AppendWhylogsBinary(nil)
				_ = s.Clone()
				_, _, _, _ = s.N(), s.Min(), s.Max(), s.NumRetained()
				_ = s.NormalizedRankError(false)
			}
		}()
	}
	wg.Wait()
}

// TestKLLSortNetworks checks the sorting networks on every 0/1 input (the 0-1
// principle: a comparator network that sorts all of them sorts everything) and
// on random keys including the padding value.
func TestKLLSortNetworks(t *testing.T) {
	for v := range 1 << 8 {
		var x [8]uint64
		for i := range x {
			x[i] = uint64(v>>i) & 1
		}
		kllNet8(&x)
		if !slices.IsSorted(x[:]) {
			t.Fatalf("net8 fails on %08b", v)
		}
	}
	for v := range 1 << 16 {
		var x [16]uint64
		for i := range x {
			x[i] = uint64(v>>i) & 1
		}
		kllNet16(&x)
		if !slices.IsSorted(x[:]) {
			t.Fatalf("net16 fails on %016b", v)
		}
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for n := range 17 {
		for range 200 {
			a := make([]uint64, n)
			for i := range a {
				a[i] = rng.Uint64() >> uint(rng.IntN(64))
				if rng.IntN(10) == 0 {
					a[i] = math.MaxUint64
				}
			}
			want := slices.Clone(a)
			slices.Sort(want)
			kllSortLeaf(a)
			if !slices.Equal(a, want) {
				t.Fatalf("leaf sort n=%d wrong", n)
			}
		}
	}
	// depth 0 forces the heapsort fallback
	for _, n := range []int{17, 100, 1000} {
		a := make([]uint64, n)
		for i := range a {
			a[i] = uint64(rng.IntN(50))
		}
		want := slices.Clone(a)
		slices.Sort(want)
		kllIntroSort(a, 0)
		if !slices.Equal(a, want) {
			t.Fatalf("heapsort fallback n=%d wrong", n)
		}
	}
}
