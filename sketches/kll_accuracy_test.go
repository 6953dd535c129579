package sketches

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// kllTruth answers exact rank questions about a multiset of float64.
type kllTruth struct{ sorted []float64 }

func newKLLTruth(data []float64) kllTruth {
	s := slices.Clone(data)
	slices.Sort(s)
	return kllTruth{s}
}

// rankRange returns the fraction of items < x and ≤ x.
func (tr kllTruth) rankRange(x float64) (lo, hi float64) {
	n := float64(len(tr.sorted))
	l, _ := slices.BinarySearch(tr.sorted, x)
	h := l
	for h < len(tr.sorted) && tr.sorted[h] == x {
		h++
	}
	return float64(l) / n, float64(h) / n
}

// kllMaxRankError measures the largest rank error of s over a grid of ranks:
// for Quantile(r) the distance from r to the true rank range of the answer,
// and for Rank(x) at true quantiles x the distance to the true inclusive rank.
func kllMaxRankError(t *testing.T, s *KLLDoubles, tr kllTruth) float64 {
	t.Helper()
	const grid = 200
	ranks := make([]float64, grid+1)
	for i := range ranks {
		ranks[i] = float64(i) / grid
	}
	qs, err := s.Quantiles(ranks, Inclusive)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, r := range ranks {
		lo, hi := tr.rankRange(qs[i])
		d := 0.0
		if r < lo {
			d = lo - r
		} else if r > hi {
			d = r - hi
		}
		worst = max(worst, d)
	}
	n := len(tr.sorted)
	for i := 0; i <= grid; i++ {
		x := tr.sorted[min(n-1, i*n/grid)]
		got, _ := s.Rank(x, Inclusive)
		_, want := tr.rankRange(x)
		worst = max(worst, math.Abs(got-want))
	}
	return worst
}

type kllStream struct {
	name string
	gen  func(rng *rand.Rand, n int) []float64
}

var kllStreams = []kllStream{
	{"random", func(rng *rand.Rand, n int) []float64 {
		d := make([]float64, n)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		return d
	}},
	{"sorted", func(rng *rand.Rand, n int) []float64 {
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(i)
		}
		return d
	}},
	{"reversed", func(rng *rand.Rand, n int) []float64 {
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(n - i)
		}
		return d
	}},
	{"duplicates", func(rng *rand.Rand, n int) []float64 {
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(int(rng.ExpFloat64() * 3)) // few distinct values, skewed
		}
		return d
	}},
	{"organpipe", func(rng *rand.Rand, n int) []float64 {
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(min(i, n-i))
		}
		return d
	}},
	{"sawtooth", func(rng *rand.Rand, n int) []float64 {
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(i % 1000)
		}
		return d
	}},
}

// TestKLLAccuracy runs many seeded streams per order and requires the maximum
// rank error of at least 99% of the sketches to be within
// NormalizedRankError (upstream's 99%-confidence bound).
func TestKLLAccuracy(t *testing.T) {
	for _, cfg := range []struct{ k, n, trials int }{{200, 30000, 30}, {1024, 60000, 16}} {
		if kllRaceEnabled {
			cfg.trials = max(1, cfg.trials/5)
		}
		total, within := 0, 0
		worstAll := 0.0
		eps := KLLNormalizedRankError(cfg.k, false)
		for si, st := range kllStreams {
			for trial := range cfg.trials {
				seed := uint64(1000*si + trial)
				rng := rand.New(rand.NewPCG(seed, uint64(cfg.k)))
				data := st.gen(rng, cfg.n)
				s, _ := NewKLLDoubles(cfg.k)
				s.SetBitSource(NewSeededBits(seed))
				for _, v := range data {
					s.Update(v)
				}
				if !s.IsEstimationMode() {
					t.Fatalf("k=%d n=%d not in estimation mode", cfg.k, cfg.n)
				}
				e := kllMaxRankError(t, s, newKLLTruth(data))
				worstAll = max(worstAll, e)
				total++
				if e <= eps {
					within++
				} else {
					t.Logf("k=%d %s trial %d: max rank error %.5f > eps %.5f", cfg.k, st.name, trial, e, eps)
				}
			}
		}
		t.Logf("k=%d: %d/%d sketches within eps=%.5f, worst %.5f", cfg.k, within, total, eps, worstAll)
		if within*100 < total*99 {
			t.Errorf("k=%d: only %d of %d sketches within the rank error bound", cfg.k, within, total)
		}
	}
}

// TestKLLMergeLaws splits streams into random parts, sketches each part
// (different k, different seeds), merges them in random order and checks
// n/min/max exactly and the rank error against the bound of the merged minK.
func TestKLLMergeLaws(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	total, within := 0, 0
	worst := 0.0
	trials := 40
	if kllRaceEnabled {
		trials = 12
	}
	for trial := range trials {
		st := kllStreams[trial%len(kllStreams)]
		n := 20000 + rng.IntN(30000)
		data := st.gen(rng, n)
		parts := 2 + rng.IntN(10)
		cuts := []int{0, n}
		for range parts - 1 {
			cuts = append(cuts, rng.IntN(n+1))
		}
		slices.Sort(cuts)
		ks := []int{200, 256, 400}
		var sketches []*KLLDoubles
		for p := 0; p+1 < len(cuts); p++ {
			s, _ := NewKLLDoubles(ks[rng.IntN(len(ks))])
			s.SetBitSource(NewSeededBits(uint64(trial*100 + p)))
			for _, v := range data[cuts[p]:cuts[p+1]] {
				s.Update(v)
			}
			sketches = append(sketches, s)
		}
		mergeAll := func(order []int) *KLLDoubles {
			acc, _ := NewKLLDoubles(200)
			acc.SetBitSource(NewSeededBits(uint64(trial)))
			for _, i := range order {
				if err := acc.Merge(sketches[i]); err != nil {
					t.Fatal(err)
				}
			}
			return acc
		}
		order := rng.Perm(len(sketches))
		m := mergeAll(order)
		kllCheckInvariants(t, m)
		tr := newKLLTruth(data)
		if m.N() != uint64(n) || m.Min() != tr.sorted[0] || m.Max() != tr.sorted[n-1] {
			t.Fatalf("trial %d: merged n/min/max %d/%v/%v, want %d/%v/%v", trial, m.N(), m.Min(), m.Max(), n, tr.sorted[0], tr.sorted[n-1])
		}
		// another order: same n/min/max
		m2 := mergeAll(rng.Perm(len(sketches)))
		if m2.N() != m.N() || m2.Min() != m.Min() || m2.Max() != m.Max() {
			t.Fatalf("trial %d: merge order changed n/min/max", trial)
		}
		eps := m.NormalizedRankError(false)
		minK := 200
		for _, s := range sketches {
			if s.IsEstimationMode() {
				minK = min(minK, s.K())
			}
		}
		if m.MinK() != minK {
			t.Errorf("trial %d: minK %d, want %d", trial, m.MinK(), minK)
		}
		for _, mm := range []*KLLDoubles{m, m2} {
			e := kllMaxRankError(t, mm, tr)
			worst = max(worst, e)
			total++
			if e <= eps {
				within++
			} else {
				t.Logf("trial %d (%s, %d parts): max rank error %.5f > %.5f", trial, st.name, parts, e, eps)
			}
		}
	}
	t.Logf("merged: %d/%d within bound, worst %.5f", within, total, worst)
	if within*100 < total*99 {
		t.Errorf("only %d of %d merged sketches within the rank error bound", within, total)
	}
}

func TestKLLMergeEmpty(t *testing.T) {
	for _, n := range []int{0, 1, 100, 10000} {
		s := kllRandomDoubles(200, n, 8)
		before, _ := s.MarshalBinary()
		e, _ := NewKLLDoubles(100)
		if err := s.Merge(e); err != nil {
			t.Fatal(err)
		}
		after, _ := s.MarshalBinary()
		if !bytes.Equal(before, after) {
			t.Errorf("n=%d: merging an empty sketch changed the image", n)
		}
		// empty ← s: same n, min, max, and (exact-mode or not) same answers
		e2, _ := NewKLLDoubles(200)
		if err := e2.Merge(s); err != nil {
			t.Fatal(err)
		}
		kllCheckInvariants(t, e2)
		if e2.N() != s.N() || (n > 0 && (e2.Min() != s.Min() || e2.Max() != s.Max())) {
			t.Errorf("n=%d: empty ← s lost n/min/max", n)
		}
		if n > 0 && n < 200 {
			// upstream inserts o's level 0 one item at a time into the
			// downward-growing level 0, so the merged level 0 is reversed.
			got := e2.items[e2.levels[0]:e2.levels[1]]
			want := slices.Clone(s.items[s.levels[0]:s.levels[1]])
			slices.Reverse(want)
			if !slices.Equal(got, want) {
				t.Errorf("n=%d: exact-mode merge into empty: level 0 is not the reversed source", n)
			}
		}
		if n > 0 {
			q1, _ := s.Quantile(0.5, Inclusive)
			q2, _ := e2.Quantile(0.5, Inclusive)
			r1, _ := s.Rank(q1, Inclusive)
			r2, _ := e2.Rank(q2, Inclusive)
			if math.Abs(r1-r2) > 2*s.NormalizedRankError(false) {
				t.Errorf("n=%d: medians %v and %v too far apart", n, q1, q2)
			}
		}
	}
}

func TestKLLDeterminism(t *testing.T) {
	build := func() []byte {
		a := kllRandomDoubles(200, 70000, 3)
		b := kllRandomDoubles(1024, 50000, 4)
		c := kllRandomDoubles(300, 9000, 5)
		_ = a.Merge(b)
		_ = a.Merge(c)
		for i := range 10000 {
			a.Update(float64(i))
		}
		out, _ := a.MarshalBinary()
		return out
	}
	x, y := build(), build()
	if !bytes.Equal(x, y) {
		t.Fatal("same seeds and inputs gave different images")
	}
}
