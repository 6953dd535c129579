package sketches

import (
	"fmt"
	"math"
	"sort"
)

// sortedView returns every retained item in ascending order with its
// cumulative weight (cw[i] = total weight of items[0..i]; the last is n). It
// sorts level 0 in place first and records that, as upstream does.
func (s *KLL[T]) sortedView() (items []T, cw []uint64) {
	if !s.sorted {
		s.sortRun(s.items[s.levels[0]:s.levels[1]])
		s.sorted = true
	}
	r := s.NumRetained()
	items = make([]T, r)
	w := make([]uint64, r)
	cnt := 0
	for h := 0; h < s.numLevels; h++ {
		lv := s.items[s.levels[h]:s.levels[h+1]]
		wt := uint64(1) << uint(h)
		// Merge lv into items[:cnt] from the back, so no temporary buffer is
		// needed: the write position never passes the unread prefix. The
		// order among equal items does not change any answer.
		i, j, o := cnt-1, len(lv)-1, cnt+len(lv)-1
		for j >= 0 {
			if i >= 0 && items[i] > lv[j] {
				items[o], w[o] = items[i], w[i]
				i--
			} else {
				items[o], w[o] = lv[j], wt
				j--
			}
			o--
		}
		cnt += len(lv)
	}
	var sum uint64
	for i := range w {
		sum += w[i]
		w[i] = sum
	}
	return items, w
}

func checkCriteria(c SearchCriteria) error {
	if c != Inclusive && c != Exclusive {
		return fmt.Errorf("kll: search criteria %d: %w", int(c), ErrInvalidArgument)
	}
	return nil
}

func checkRank(r float64) error {
	if !(r >= 0 && r <= 1) {
		return fmt.Errorf("kll: rank %v outside [0, 1]: %w", r, ErrInvalidArgument)
	}
	return nil
}

// floatToWeight converts a non-negative float to uint64, saturating.
func floatToWeight(f float64) uint64 {
	if f >= 18446744073709551615.0 {
		return math.MaxUint64
	}
	return uint64(f)
}

// quantileIn answers one quantile query on a sorted view (C++ semantics).
func quantileIn[T float32 | float64](items []T, cw []uint64, n uint64, r float64, c SearchCriteria) T {
	var i int
	if c == Inclusive {
		w := floatToWeight(math.Ceil(r * float64(n)))
		i = sort.Search(len(cw), func(i int) bool { return cw[i] >= w })
	} else {
		w := floatToWeight(r * float64(n))
		i = sort.Search(len(cw), func(i int) bool { return cw[i] > w })
	}
	if i == len(items) {
		i--
	}
	return items[i]
}

// Quantile returns the approximate item at normalized rank r ∈ [0, 1] with
// C++/Python semantics (see SearchCriteria): r=0 gives the smallest retained
// item and r=1 the largest, not the exact Min and Max. It returns ErrEmpty on
// an empty sketch and ErrInvalidArgument for r outside [0, 1] (or NaN) or an
// unknown criterion. It may sort level 0 in place (see KLL for concurrency).
func (s *KLL[T]) Quantile(r float64, c SearchCriteria) (T, error) {
	if err := checkCriteria(c); err != nil {
		return 0, err
	}
	if err := checkRank(r); err != nil {
		return 0, err
	}
	if s.n == 0 {
		return 0, fmt.Errorf("kll: quantile: %w", ErrEmpty)
	}
	items, cw := s.sortedView()
	return quantileIn(items, cw, s.n, r, c), nil
}

// Quantiles returns Quantile(r, c) for every rank in ranks, building the sorted
// view once. Errors are those of Quantile; no result is returned on error. Like
// Quantile it may sort level 0 in place, so it is a write for concurrency.
func (s *KLL[T]) Quantiles(ranks []float64, c SearchCriteria) ([]T, error) {
	if err := checkCriteria(c); err != nil {
		return nil, err
	}
	for _, r := range ranks {
		if err := checkRank(r); err != nil {
			return nil, err
		}
	}
	if s.n == 0 {
		return nil, fmt.Errorf("kll: quantiles: %w", ErrEmpty)
	}
	items, cw := s.sortedView()
	out := make([]T, len(ranks))
	for i, r := range ranks {
		out[i] = quantileIn(items, cw, s.n, r, c)
	}
	return out, nil
}

// rankWeight returns the total weight of retained items ≤ x (Inclusive) or
// < x (Exclusive), scanning the levels as upstream does.
func (s *KLL[T]) rankWeight(x T, c SearchCriteria) uint64 {
	var total uint64
	for h := 0; h < s.numLevels; h++ {
		lv := s.items[s.levels[h]:s.levels[h+1]]
		var cnt int
		if h > 0 || s.sorted {
			if c == Inclusive {
				cnt = sort.Search(len(lv), func(i int) bool { return lv[i] > x })
			} else {
				cnt = sort.Search(len(lv), func(i int) bool { return lv[i] >= x })
			}
		} else {
			for _, v := range lv {
				if v < x || (c == Inclusive && v == x) {
					cnt++
				}
			}
		}
		total += uint64(cnt) << uint(h)
	}
	return total
}

// Rank returns the approximate normalized rank of x: the weight of items ≤ x
// (Inclusive) or < x (Exclusive) divided by N. It returns ErrEmpty on an empty
// sketch and ErrInvalidArgument for NaN or an unknown criterion. Rank does not
// modify the sketch.
func (s *KLL[T]) Rank(x T, c SearchCriteria) (float64, error) {
	if err := checkCriteria(c); err != nil {
		return 0, err
	}
	if x != x {
		return 0, fmt.Errorf("kll: rank of NaN: %w", ErrInvalidArgument)
	}
	if s.n == 0 {
		return 0, fmt.Errorf("kll: rank: %w", ErrEmpty)
	}
	return float64(s.rankWeight(x, c)) / float64(s.n), nil
}

func checkSplits[T float32 | float64](splits []T) error {
	for i, v := range splits {
		if v != v {
			return fmt.Errorf("kll: split point %d is NaN: %w", i, ErrInvalidArgument)
		}
		if i > 0 && !(splits[i-1] < v) {
			return fmt.Errorf("kll: split points not strictly increasing at %d: %w", i, ErrInvalidArgument)
		}
	}
	return nil
}

// CDF returns, for split points s_0 < s_1 < … < s_{m-1}, the m+1 values
// Rank(s_0), …, Rank(s_{m-1}), 1.0. Split points must be strictly increasing
// and not NaN (else ErrInvalidArgument); ErrEmpty on an empty sketch. CDF does
// not modify the sketch.
func (s *KLL[T]) CDF(splits []T, c SearchCriteria) ([]float64, error) {
	if err := checkCriteria(c); err != nil {
		return nil, err
	}
	if err := checkSplits(splits); err != nil {
		return nil, err
	}
	if s.n == 0 {
		return nil, fmt.Errorf("kll: cdf: %w", ErrEmpty)
	}
	out := make([]float64, len(splits)+1)
	for i, x := range splits {
		out[i] = float64(s.rankWeight(x, c)) / float64(s.n)
	}
	out[len(splits)] = 1
	return out, nil
}

// PMF returns the m+1 masses between consecutive split points: the CDF's
// successive differences, the first being the mass at or below (Inclusive) or
// below (Exclusive) s_0 and the last the mass above s_{m-1}. Errors are those
// of CDF.
func (s *KLL[T]) PMF(splits []T, c SearchCriteria) ([]float64, error) {
	out, err := s.CDF(splits, c)
	if err != nil {
		return nil, err
	}
	for i := len(out) - 1; i > 0; i-- {
		out[i] -= out[i-1]
	}
	return out, nil
}

// WhylogsQuantile answers a quantile query with the semantics of whylogs'
// DistributionMetric (whylogs-sketching fork, get_quantiles with
// inclusive=false): rank 0 returns the exact Min, rank 1 the exact Max;
// otherwise, with w = ⌊r·N⌋, the first item of the sorted view whose
// exclusive cumulative weight (weight of the items before it) is ≥ w, or the
// largest item if none is. In exact mode this is sorted[⌊r·N⌋]. ErrEmpty on an
// empty sketch, ErrInvalidArgument for r outside [0, 1]. Like Quantile it may
// sort level 0 in place, so it is a write for concurrency.
func (s *KLL[T]) WhylogsQuantile(r float64) (T, error) {
	if err := checkRank(r); err != nil {
		return 0, err
	}
	if s.n == 0 {
		return 0, fmt.Errorf("kll: quantile: %w", ErrEmpty)
	}
	if r == 0 {
		return s.minV, nil
	}
	if r == 1 {
		return s.maxV, nil
	}
	items, cw := s.sortedView()
	w := floatToWeight(math.Floor(r * float64(s.n)))
	// exclusive weight of item i is cw[i-1] (0 for i = 0)
	i := sort.Search(len(cw), func(i int) bool {
		if i == 0 {
			return w == 0
		}
		return cw[i-1] >= w
	})
	if i == len(items) {
		i--
	}
	return items[i], nil
}
