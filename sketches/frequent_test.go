package sketches

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

func mustFI(t testing.TB, lg int) *FrequentStrings {
	t.Helper()
	s, err := NewFrequentStrings(lg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustMarshalFI(t testing.TB, s *FrequentStrings) []byte {
	t.Helper()
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// javaHashRef is an independent String.hashCode: encode to UTF-16, then
// h = 31·h + unit in int32.
func javaHashRef(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

func TestJavaStringHash(t *testing.T) {
	// Values of java.lang.String.hashCode.
	for _, c := range []struct {
		s    string
		want int32
	}{
		{"", 0},
		{"a", 97},
		{"abc", 96354},
		{"hello", 99162322},
		{"Aa", 2112},
		{"BB", 2112},
		{"polygenelubricants", math.MinInt32},
		{"\U0001F600", 31*0xD83D + 0xDE00},
		{"é", 0xE9},
	} {
		got := javaStringHash(c.s)
		if got != uint64(int64(c.want)) {
			t.Errorf("hash(%q) = %#x, want %#x", c.s, got, uint64(int64(c.want)))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune{'a', 'Z', '0', 'é', 'ж', '中', '\U0001F600', '\U0010FFFF', 0xFFFF, 0x10000}
	for range 2000 {
		rs := make([]rune, r.IntN(20))
		for i := range rs {
			rs[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(rs)
		if got, want := javaStringHash(s), uint64(int64(javaHashRef(s))); got != want {
			t.Fatalf("hash(%q) = %#x, want %#x", s, got, want)
		}
	}
	// Invalid UTF-8 hashes as U+FFFD per bad byte, like []rune conversion.
	if got, want := javaStringHash("a\xffb"), uint64(int64(javaHashRef("a\uFFFDb"))); got != want {
		t.Errorf("invalid UTF-8: %#x want %#x", got, want)
	}
	if n := testing.AllocsPerRun(100, func() { _ = javaStringHash("héllo\U0001F600") }); n != 0 {
		t.Errorf("javaStringHash allocates %v", n)
	}
}

func TestSelectKth(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 500 {
		n := 1 + r.IntN(300)
		a := make([]int64, n)
		spread := []int64{1, 2, 5, 1000}[trial%4]
		for i := range a {
			a[i] = 1 + r.Int64N(spread)
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		k := r.IntN(n)
		if got := selectKth(slices.Clone(a), k); got != sorted[k] {
			t.Fatalf("select(%v, %d) = %d, want %d", a, k, got, sorted[k])
		}
	}
}

// slotEntry is one slot of a dense map with its key (offsets into the
// arena differ between equal maps).
type slotEntry struct {
	key   string
	value int64
	state uint32
	hash  uint32
}

// slotLayout returns the slots of m with their keys, in slot order.
func slotLayout(m *rpMap) []slotEntry {
	out := make([]slotEntry, len(m.slots))
	for i := range m.slots {
		sl, tg := &m.slots[i], m.tags[i]
		out[i] = slotEntry{value: sl.value, state: tg.state, hash: tg.hash}
		if tg.state != 0 {
			out[i].key = strings.Clone(m.keyAt(sl))
		}
	}
	return out
}

// scanLiveKeyBytes returns the bytes of the keys of m's occupied slots.
func scanLiveKeyBytes(m *rpMap) int {
	n := 0
	for i := range m.slots {
		if sl := &m.slots[i]; m.tags[i].state != 0 {
			n += int(sl.klen)
		}
	}
	return n
}

// checkMapInvariants verifies the linear-probing layout of a dense map: every
// state is distance-from-home+1, every slot between home and position is
// occupied, numActive counts the occupied slots, keys are unique and the
// count never exceeds the capacity.
func checkMapInvariants(t *testing.T, s *FrequentStrings) {
	t.Helper()
	m := &s.m
	if m.pend != nil {
		return
	}
	mask := len(m.slots) - 1
	if len(m.slots) != 1<<m.lg || len(m.tags) != 1<<m.lg {
		t.Fatalf("arrays %d and %d, lg %d", len(m.slots), len(m.tags), m.lg)
	}
	active := 0
	seen := map[string]bool{}
	for p, sl := range m.slots {
		tg := m.tags[p]
		st := tg.state
		if st == 0 {
			if sl != (rpSlot{}) {
				t.Fatalf("empty slot %d holds %+v", p, sl)
			}
			continue
		}
		active++
		k := m.keyAt(&sl)
		if seen[k] {
			t.Fatalf("key %q twice", k)
		}
		seen[k] = true
		if tg.hash != uint32(frequentHome(k)) {
			t.Fatalf("slot %d key %q: stored hash %#x", p, k, tg.hash)
		}
		home := int(frequentHome(k)) & mask
		if d := (p - home) & mask; uint32(d+1) != st {
			t.Fatalf("slot %d key %q: state %d, distance %d", p, k, st, d)
		}
		for q := home; q != p; q = (q + 1) & mask {
			if m.tags[q].state == 0 {
				t.Fatalf("gap at %d between home %d and slot %d", q, home, p)
			}
		}
		if sl.value <= 0 {
			t.Fatalf("counter %d ≤ 0", sl.value)
		}
	}
	if live := scanLiveKeyBytes(m); live != m.live || live > len(m.keys) {
		t.Fatalf("live key bytes %d, map counts %d, arena %d", live, m.live, len(m.keys))
	}
	if active != m.numActive || active > frequentCapacity(m.lg) {
		t.Fatalf("active %d, numActive %d, capacity %d", active, m.numActive, frequentCapacity(m.lg))
	}
	if m.lg > s.lgMax {
		t.Fatalf("lgCur %d > lgMax %d", m.lg, s.lgMax)
	}
}

func TestNewFrequentStringsArgs(t *testing.T) {
	for _, lg := range []int{-1, 0, 2, MaxFrequentLgMapSize + 1, 64} {
		if _, err := NewFrequentStrings(lg); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("lg %d: err %v", lg, err)
		}
	}
	for _, lg := range []int{3, 10} {
		s := mustFI(t, lg)
		if s.LgMaxMapSize() != lg || s.LgCurMapSize() != 3 || !s.IsEmpty() || s.NumActive() != 0 ||
			s.StreamLength() != 0 || s.MaximumError() != 0 {
			t.Errorf("lg %d: fresh sketch state wrong", lg)
		}
		if s.Epsilon() != 3.5/float64(int(1)<<lg) {
			t.Errorf("epsilon %v", s.Epsilon())
		}
		b := mustMarshalFI(t, s)
		if want := []byte{1, 1, 10, byte(lg), 3, 5, 0, 0}; !bytes.Equal(b, want) {
			t.Errorf("empty image %x, want %x", b, want)
		}
	}
}

func TestFrequentUpdateWeighted(t *testing.T) {
	s := mustFI(t, 6)
	if err := s.UpdateWeighted("x", -1); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("negative weight: %v", err)
	}
	if err := s.UpdateWeighted("x", 0); err != nil || !s.IsEmpty() {
		t.Fatalf("zero weight: %v, empty %v", err, s.IsEmpty())
	}
	if err := s.UpdateWeighted("x", math.MaxInt64-1); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateWeighted("y", 2); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("overflow: %v", err)
	}
	s.Update("")
	if s.StreamLength() != math.MaxInt64 || s.Estimate("") != 1 {
		t.Fatalf("after Update(\"\"): length %d, est %d", s.StreamLength(), s.Estimate(""))
	}
	s.Update("z") // ignored at MaxInt64
	if s.StreamLength() != math.MaxInt64 || s.Estimate("z") != 0 {
		t.Fatalf("update beyond MaxInt64 was applied")
	}
	if s.Estimate("x") != math.MaxInt64-1 || s.UpperBound("nope") != 0 || s.LowerBound("nope") != 0 {
		t.Fatal("estimates wrong")
	}
}

// TestFrequentEmptyStringItem: "" is an ordinary item and round-trips.
func TestFrequentEmptyStringItem(t *testing.T) {
	s := mustFI(t, 4)
	s.Update("")
	s.Update("")
	s.Update("a")
	b := mustMarshalFI(t, s)
	var d FrequentStrings
	if err := d.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if d.Estimate("") != 2 || d.Estimate("a") != 1 || d.NumActive() != 2 {
		t.Fatalf("decoded: %v", d.FrequentItems(NoFalseNegatives))
	}
}

// TestFrequentExactBelowCapacity: while no purge happens the sketch is exact.
func TestFrequentExactBelowCapacity(t *testing.T) {
	s := mustFI(t, 8) // capacity 192
	truth := map[string]int64{}
	r := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		k := "k" + strconv.Itoa(r.IntN(150))
		w := 1 + r.Int64N(5)
		truth[k] += w
		if err := s.UpdateWeighted(k, w); err != nil {
			t.Fatal(err)
		}
	}
	checkMapInvariants(t, s)
	if s.MaximumError() != 0 || s.NumActive() != len(truth) {
		t.Fatalf("maxErr %d active %d want 0, %d", s.MaximumError(), s.NumActive(), len(truth))
	}
	for k, c := range truth {
		if s.Estimate(k) != c || s.LowerBound(k) != c || s.UpperBound(k) != c {
			t.Fatalf("%s: %d,%d,%d want %d", k, s.LowerBound(k), s.Estimate(k), s.UpperBound(k), c)
		}
	}
	if s.LgCurMapSize() != 8 {
		t.Fatalf("lgCur %d, want 8 (150 items > capacity 96 of lg 7)", s.LgCurMapSize())
	}
}

// TestFrequentResizeSteps: lgCur grows exactly when numActive exceeds
// 0.75·2^lgCur, and stops at lgMax.
func TestFrequentResizeSteps(t *testing.T) {
	s := mustFI(t, 6)
	for i := 1; i <= 48; i++ {
		s.Update(strconv.Itoa(i))
		want := 3
		for frequentCapacity(want) < i {
			want++
		}
		if s.LgCurMapSize() != want {
			t.Fatalf("after %d items lgCur %d, want %d", i, s.LgCurMapSize(), want)
		}
		checkMapInvariants(t, s)
	}
	s.Update("49") // 49 > 48 at lgMax: purge with median 1 empties the map
	if s.NumActive() != 0 || s.MaximumError() != 1 || s.LgCurMapSize() != 6 || s.StreamLength() != 49 {
		t.Fatalf("after purge: active %d err %d lgCur %d len %d", s.NumActive(), s.MaximumError(), s.LgCurMapSize(), s.StreamLength())
	}
}

// TestFrequentPurgeToEmpty: a sketch whose map a purge emptied keeps stream
// length and error through marshal/unmarshal and merges.
func TestFrequentPurgeToEmpty(t *testing.T) {
	s := mustFI(t, 3) // capacity 6: the 7th distinct item purges with median 1
	for i := range 7 {
		s.Update(strconv.Itoa(i))
	}
	if s.NumActive() != 0 || s.StreamLength() != 7 || s.MaximumError() != 1 || s.IsEmpty() {
		t.Fatalf("state: active %d len %d err %d empty %v", s.NumActive(), s.StreamLength(), s.MaximumError(), s.IsEmpty())
	}
	b := mustMarshalFI(t, s)
	if len(b) != 32 || b[0] != 4 || b[5] != 0 {
		t.Fatalf("image %x: want the 32-byte full form", b)
	}
	var d FrequentStrings
	if err := d.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if d.StreamLength() != 7 || d.MaximumError() != 1 || d.NumActive() != 0 || d.IsEmpty() {
		t.Fatalf("decoded: len %d err %d", d.StreamLength(), d.MaximumError())
	}
	if d.UpperBound("0") != 1 {
		t.Fatalf("upper bound of an untracked item %d, want the error 1", d.UpperBound("0"))
	}
	// merging it into another sketch carries weight and error
	o := mustFI(t, 5)
	o.Update("a")
	if err := o.Merge(&d); err != nil {
		t.Fatal(err)
	}
	if o.StreamLength() != 8 || o.MaximumError() != 1 || o.Estimate("a") != 2 || o.LowerBound("a") != 1 {
		t.Fatalf("merged: len %d err %d est %d", o.StreamLength(), o.MaximumError(), o.Estimate("a"))
	}
	// and merging into it too
	if err := d.Merge(o); err != nil {
		t.Fatal(err)
	}
	if d.StreamLength() != 15 || d.MaximumError() != 2 {
		t.Fatalf("merged into purged: len %d err %d", d.StreamLength(), d.MaximumError())
	}
}

// exactCounts is the ground truth of a weighted stream.
type fiStream struct {
	items   []string
	weights []int64
}

func (st fiStream) truth() map[string]int64 {
	m := map[string]int64{}
	for i, k := range st.items {
		m[k] += st.weights[i]
	}
	return m
}

func (st fiStream) feed(t testing.TB, s *FrequentStrings) {
	for i, k := range st.items {
		if st.weights[i] == 1 {
			s.Update(k)
		} else if err := s.UpdateWeighted(k, st.weights[i]); err != nil {
			t.Fatal(err)
		}
	}
}

func (st fiStream) slice(i, j int) fiStream {
	return fiStream{st.items[i:j], st.weights[i:j]}
}

func zipfStream(seed uint64, n int, s float64, imax uint64, weighted bool) fiStream {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	z := rand.NewZipf(r, s, 1, imax)
	st := fiStream{items: make([]string, n), weights: make([]int64, n)}
	for i := range n {
		st.items[i] = "z" + strconv.FormatUint(z.Uint64(), 36)
		st.weights[i] = 1
		if weighted {
			st.weights[i] = 1 + r.Int64N(10)
		}
	}
	return st
}

func uniformStream(seed uint64, n, distinct int) fiStream {
	r := rand.New(rand.NewPCG(seed, 7))
	st := fiStream{items: make([]string, n), weights: make([]int64, n)}
	for i := range n {
		st.items[i] = "u" + strconv.Itoa(r.IntN(distinct))
		st.weights[i] = 1
	}
	return st
}

// checkGuarantees asserts the deterministic error guarantees of s against
// the exact counts of its stream.
func checkGuarantees(t *testing.T, s *FrequentStrings, truth map[string]int64) {
	t.Helper()
	var total int64
	for _, c := range truth {
		total += c
	}
	if s.StreamLength() != total {
		t.Fatalf("stream length %d, want %d", s.StreamLength(), total)
	}
	off := s.MaximumError()
	if half := int64(s.sampleSize()+1) / 2; off > total/half {
		t.Fatalf("maximum error %d > W/⌈s/2⌉ = %d/%d", off, total, half)
	}
	if s.LgMaxMapSize() <= 10 && (float64(off) > s.Epsilon()*float64(total) || float64(off) > s.AprioriError()) {
		t.Fatalf("maximum error %d > epsilon·W = %v", off, s.Epsilon()*float64(total))
	}
	tracked := sketchSet(s)
	if len(tracked) != s.NumActive() {
		t.Fatalf("tracked %d, NumActive %d", len(tracked), s.NumActive())
	}
	for k, tc := range truth {
		lb, ub, est := s.LowerBound(k), s.UpperBound(k), s.Estimate(k)
		if _, ok := tracked[k]; ok {
			if !(lb <= tc && tc <= ub) || ub-lb != off || est != ub {
				t.Fatalf("%q: lb %d true %d ub %d est %d off %d", k, lb, tc, ub, est, off)
			}
		} else if tc > off || lb != 0 || est != 0 || ub != off {
			t.Fatalf("untracked %q: true %d > offset %d (lb %d est %d ub %d)", k, tc, off, lb, est, ub)
		}
	}
	for k := range tracked {
		if _, ok := truth[k]; !ok {
			t.Fatalf("tracks %q, never seen", k)
		}
	}
	for _, thr := range []int64{off, off + 1, 2*off + 3, total / 50} {
		if thr < off {
			continue
		}
		nfp := s.FrequentItemsThreshold(NoFalsePositives, thr)
		for _, it := range nfp {
			if truth[it.Item] <= thr {
				t.Fatalf("NoFalsePositives(%d) reports %q with true count %d", thr, it.Item, truth[it.Item])
			}
		}
		nfn := s.FrequentItemsThreshold(NoFalseNegatives, thr)
		got := map[string]bool{}
		for _, it := range nfn {
			got[it.Item] = true
			if it.UpperBound <= thr {
				t.Fatalf("NoFalseNegatives(%d) row %+v", thr, it)
			}
		}
		for k, tc := range truth {
			if tc > thr && !got[k] {
				t.Fatalf("NoFalseNegatives(%d) misses %q with true count %d", thr, k, tc)
			}
		}
		for _, it := range nfp {
			if !got[it.Item] {
				t.Fatalf("NoFalsePositives row %q not in NoFalseNegatives", it.Item)
			}
		}
		checkSorted(t, nfp)
		checkSorted(t, nfn)
	}
	if !slices.Equal(s.FrequentItems(NoFalsePositives), s.FrequentItemsThreshold(NoFalsePositives, off)) {
		t.Fatal("FrequentItems differs from FrequentItemsThreshold(MaximumError)")
	}
}

func checkSorted(t *testing.T, rows []FrequentItem) {
	t.Helper()
	if !slices.IsSortedFunc(rows, func(a, b FrequentItem) int {
		if a.Estimate != b.Estimate {
			if a.Estimate > b.Estimate {
				return -1
			}
			return 1
		}
		if a.Item < b.Item {
			return -1
		}
		return 1
	}) {
		t.Fatalf("rows not sorted by estimate desc, item asc: %v", rows)
	}
}

func TestFrequentGuarantees(t *testing.T) {
	cases := []struct {
		name string
		lg   int
		st   fiStream
	}{
		{"zipf1.1/lg6", 6, zipfStream(1, 60000, 1.1, 5000, false)},
		{"zipf1.3/lg8", 8, zipfStream(2, 60000, 1.3, 100000, false)},
		{"zipf1.1-weighted/lg7", 7, zipfStream(3, 40000, 1.1, 20000, true)},
		{"uniform/lg6", 6, uniformStream(4, 50000, 300)},
		{"uniform-wide/lg5", 5, uniformStream(5, 30000, 30000)},
		{"zipf/lg3", 3, zipfStream(6, 5000, 1.2, 100, false)},
		{"zipf1.05/lg11 (capped sample)", 11, zipfStream(7, 150000, 1.05, 1_000_000, false)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustFI(t, c.lg)
			truth := map[string]int64{}
			for i, k := range c.st.items {
				w := c.st.weights[i]
				if err := s.UpdateWeighted(k, w); err != nil {
					t.Fatal(err)
				}
				truth[k] += w
				if i%997 == 0 {
					checkMapInvariants(t, s)
				}
			}
			checkMapInvariants(t, s)
			if s.MaximumError() == 0 {
				t.Fatal("stream too small to exercise purges")
			}
			checkGuarantees(t, s, truth)
			// the state survives a round trip exactly
			b := mustMarshalFI(t, s)
			var d FrequentStrings
			if err := d.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if b2 := mustMarshalFI(t, &d); !bytes.Equal(b, b2) {
				t.Fatal("round trip changed the image")
			}
			checkGuarantees(t, &d, truth)
		})
	}
}

// TestFrequentStrictThreshold: C++ '>' semantics; an item whose bound equals
// the threshold is excluded.
func TestFrequentStrictThreshold(t *testing.T) {
	s := mustFI(t, 5)
	for i, k := range []string{"a", "b", "c", "d", "e"} {
		if err := s.UpdateWeighted(k, int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	s.Update("e2")
	if err := s.UpdateWeighted("c2", 3); err != nil {
		t.Fatal(err)
	}
	got := s.FrequentItemsThreshold(NoFalsePositives, 3)
	want := []FrequentItem{{"e", 5, 5, 5}, {"d", 4, 4, 4}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got = s.FrequentItemsThreshold(NoFalseNegatives, 2)
	want = []FrequentItem{{"e", 5, 5, 5}, {"d", 4, 4, 4}, {"c", 3, 3, 3}, {"c2", 3, 3, 3}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if s.FrequentItemsThreshold(ErrorType(7), 0) != nil {
		t.Fatal("unknown error type returned rows")
	}
	if NoFalsePositives.String() != "NO_FALSE_POSITIVES" || NoFalseNegatives.String() != "NO_FALSE_NEGATIVES" {
		t.Fatal("ErrorType names")
	}
}

func TestFrequentMergeLaws(t *testing.T) {
	st := zipfStream(11, 60000, 1.15, 30000, false)
	truth := st.truth()
	whole := mustFI(t, 7)
	st.feed(t, whole)

	for _, parts := range []int{2, 3, 7} {
		t.Run(fmt.Sprintf("parts=%d", parts), func(t *testing.T) {
			merged := mustFI(t, 7)
			n := len(st.items)
			for p := range parts {
				part := mustFI(t, 7)
				st.slice(p*n/parts, (p+1)*n/parts).feed(t, part)
				before := mustMarshalFI(t, part)
				if err := merged.Merge(part); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(before, mustMarshalFI(t, part)) {
					t.Fatal("merge modified its argument")
				}
			}
			checkMapInvariants(t, merged)
			if merged.StreamLength() != whole.StreamLength() {
				t.Fatalf("stream length %d, want %d", merged.StreamLength(), whole.StreamLength())
			}
			checkGuarantees(t, merged, truth)
			// The heavy hitters of the whole stream agree within both sketches' errors.
			for _, it := range whole.FrequentItems(NoFalsePositives) {
				if merged.UpperBound(it.Item) < it.LowerBound || merged.LowerBound(it.Item) > it.UpperBound {
					t.Fatalf("%q: whole [%d,%d], merged [%d,%d]", it.Item, it.LowerBound, it.UpperBound,
						merged.LowerBound(it.Item), merged.UpperBound(it.Item))
				}
			}
		})
	}

	t.Run("different lgMax", func(t *testing.T) {
		a, b := mustFI(t, 8), mustFI(t, 5)
		n := len(st.items)
		st.slice(0, n/2).feed(t, a)
		st.slice(n/2, n).feed(t, b)
		if err := a.Merge(b); err != nil {
			t.Fatal(err)
		}
		if a.LgMaxMapSize() != 8 {
			t.Fatal("merge changed lgMax")
		}
		checkMapInvariants(t, a)
		if a.StreamLength() != whole.StreamLength() {
			t.Fatal("stream length")
		}
		// bounds still hold (the error may exceed a's own epsilon·W, so check bounds only)
		off := a.MaximumError()
		for k, tc := range truth {
			if lb, ub := a.LowerBound(k), a.UpperBound(k); lb > tc || tc > ub || ub-lb != off {
				t.Fatalf("%q: [%d,%d] true %d", k, lb, ub, tc)
			}
		}
	})

	t.Run("empty is identity", func(t *testing.T) {
		c := whole.Clone()
		before := mustMarshalFI(t, c)
		if err := c.Merge(mustFI(t, 4)); err != nil {
			t.Fatal(err)
		}
		var decodedEmpty FrequentStrings
		if err := decodedEmpty.UnmarshalBinary([]byte{1, 1, 10, 6, 5, 5, 0, 0}); err != nil {
			t.Fatal(err)
		}
		if err := c.Merge(&decodedEmpty); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, mustMarshalFI(t, c)) {
			t.Fatal("merging an empty sketch changed the image")
		}
		e := mustFI(t, 7)
		if err := e.Merge(whole); err != nil {
			t.Fatal(err)
		}
		if e.StreamLength() != whole.StreamLength() || e.MaximumError() < whole.MaximumError() {
			t.Fatal("merge into empty")
		}
		checkGuarantees(t, e, truth)
	})

	t.Run("self merge doubles", func(t *testing.T) {
		c := whole.Clone()
		if err := c.Merge(c); err != nil {
			t.Fatal(err)
		}
		doubled := map[string]int64{}
		for k, v := range truth {
			doubled[k] = 2 * v
		}
		checkGuarantees(t, c, doubled)
	})

	t.Run("errors", func(t *testing.T) {
		c := whole.Clone()
		before := mustMarshalFI(t, c)
		if err := c.Merge(nil); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("nil: %v", err)
		}
		big := mustFI(t, 4)
		if err := big.UpdateWeighted("x", math.MaxInt64-10); err != nil {
			t.Fatal(err)
		}
		if err := c.Merge(big); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("overflow: %v", err)
		}
		if !bytes.Equal(before, mustMarshalFI(t, c)) {
			t.Fatal("failed merge changed the receiver")
		}
	})
}

func TestFrequentClone(t *testing.T) {
	s := mustFI(t, 6)
	zipfStream(9, 3000, 1.2, 500, false).feed(t, s)
	c := s.Clone()
	before := mustMarshalFI(t, s)
	if !bytes.Equal(before, mustMarshalFI(t, c)) {
		t.Fatal("clone differs")
	}
	for i := range 2000 {
		c.Update("new" + strconv.Itoa(i))
	}
	if !bytes.Equal(before, mustMarshalFI(t, s)) {
		t.Fatal("updating the clone changed the original")
	}
}

// compactImage builds a sketch with a large map that a purge left nearly
// empty, so that its image holds few items and a large lgCurMapSize.
func compactImage(t *testing.T, lg int, keep int) []byte {
	t.Helper()
	s := mustFI(t, lg)
	for i := range frequentCapacity(lg) + 1 {
		s.Update("d" + strconv.Itoa(i))
	}
	if s.NumActive() != 0 || s.LgCurMapSize() != lg {
		t.Fatalf("setup: active %d lgCur %d", s.NumActive(), s.LgCurMapSize())
	}
	for i := range keep {
		if err := s.UpdateWeighted("k"+strconv.Itoa(i), int64(1+i%5)); err != nil {
			t.Fatal(err)
		}
	}
	return mustMarshalFI(t, s)
}

// TestFrequentCompactDecode: images with a large lgCurMapSize and few items
// decode without allocating the map, behave exactly like a dense decode, and
// allocate it only when updated.
func TestFrequentCompactDecode(t *testing.T) {
	images := [][]byte{compactImage(t, 14, 40), compactImage(t, 12, 0), compactImage(t, 16, 3)}
	for _, st := range []fiStream{zipfStream(21, 20000, 1.1, 3000, false), uniformStream(22, 5000, 400)} {
		for _, lg := range []int{5, 8, 9} {
			s := mustFI(t, lg)
			st.feed(t, s)
			images = append(images, mustMarshalFI(t, s))
		}
	}
	for i, img := range images {
		dense, err := decodeFrequentStrings(img, false)
		if err != nil {
			t.Fatal(err)
		}
		if i < 3 {
			if dense.m.pend == nil {
				t.Fatalf("image %d (lgCur %d, %d items): decoded densely", i, dense.LgCurMapSize(), dense.NumActive())
			}
			dense.m.materialize()
		}
		compact, err := decodeFrequentStrings(img, true)
		if err != nil {
			t.Fatal(err)
		}
		if compact.m.pend == nil {
			t.Fatal("forced compact decode is dense")
		}
		if b := mustMarshalFI(t, compact); !bytes.Equal(b, img) {
			t.Fatalf("image %d: compact re-encode differs", i)
		}
		if b := mustMarshalFI(t, dense); !bytes.Equal(b, img) {
			t.Fatalf("image %d: dense re-encode differs", i)
		}
		for k, c := range sketchSet(dense) {
			if compact.Estimate(k) != dense.Estimate(k) || compact.LowerBound(k) != c {
				t.Fatalf("image %d: %q estimates differ", i, k)
			}
		}
		// merging from either form gives the same result (same visiting order)
		ta, tb := mustFI(t, 6), mustFI(t, 6)
		zipfStream(23, 500, 1.1, 100, false).feed(t, ta)
		zipfStream(23, 500, 1.1, 100, false).feed(t, tb)
		if err := ta.Merge(dense); err != nil {
			t.Fatal(err)
		}
		if err := tb.Merge(compact); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mustMarshalFI(t, ta), mustMarshalFI(t, tb)) {
			t.Fatalf("image %d: merge from compact differs from merge from dense", i)
		}
		// a clone of the compact form shares nothing mutable
		cc := compact.Clone()
		// further updates: identical behaviour after materializing
		more := zipfStream(24, 3000, 1.1, 800, false)
		more.feed(t, dense)
		more.feed(t, compact)
		if compact.m.pend != nil {
			t.Fatal("update did not materialize")
		}
		checkMapInvariants(t, compact)
		if !bytes.Equal(mustMarshalFI(t, dense), mustMarshalFI(t, compact)) {
			t.Fatalf("image %d: updates after compact decode diverge", i)
		}
		if b := mustMarshalFI(t, cc); !bytes.Equal(b, img) {
			t.Fatalf("image %d: clone of compact changed", i)
		}
	}
}

// TestFrequentRoundTripStable: decoding places items exactly where the
// writer had them, so decode→encode is the identity on our images, and the
// decoded sketch continues exactly as the original.
func TestFrequentRoundTripStable(t *testing.T) {
	for seed := range uint64(30) {
		st := zipfStream(100+seed, 3000+int(seed)*100, 1.05, 2000, seed%3 == 0)
		lg := 3 + int(seed%6)
		s := mustFI(t, lg)
		st.feed(t, s)
		img := mustMarshalFI(t, s)
		var d FrequentStrings
		if err := d.UnmarshalBinary(img); err != nil {
			t.Fatal(err)
		}
		checkMapInvariants(t, &d)
		if !slices.Equal(slotLayout(&d.m), slotLayout(&s.m)) {
			t.Fatalf("seed %d: decoded layout differs from the writer's", seed)
		}
		more := uniformStream(seed, 2000, 500)
		more.feed(t, s)
		more.feed(t, &d)
		if !bytes.Equal(mustMarshalFI(t, s), mustMarshalFI(t, &d)) {
			t.Fatalf("seed %d: decoded sketch diverges from the original", seed)
		}
	}
}

// TestFrequentOutOfOrderImage: items written in another order than slot
// order (as C++ does) are inserted in image order and the sketch is valid.
func TestFrequentOutOfOrderImage(t *testing.T) {
	s := mustFI(t, 6)
	for i := range 40 {
		if err := s.UpdateWeighted("item"+strconv.Itoa(i), int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	img := mustMarshalFI(t, s)
	n, total, offset, entries := parseFIImage(t, img)
	slices.Reverse(entries)
	rev := slices.Clone(img[:32])
	for _, e := range entries {
		rev = binary.LittleEndian.AppendUint64(rev, uint64(e.counter))
	}
	for _, e := range entries {
		rev = binary.LittleEndian.AppendUint32(rev, uint32(len(e.item)))
		rev = append(rev, e.item...)
	}
	var d FrequentStrings
	if err := d.UnmarshalBinary(rev); err != nil {
		t.Fatal(err)
	}
	checkMapInvariants(t, &d)
	if d.NumActive() != n || d.StreamLength() != total || d.MaximumError() != offset ||
		!equalSets(sketchSet(&d), entrySet(t, entries)) {
		t.Fatal("reversed image decodes to other state")
	}
}

// TestFrequentDecodeErrors: every malformed image fails with ErrCorrupt and
// leaves the receiver unchanged.
func TestFrequentDecodeErrors(t *testing.T) {
	base := mustFI(t, 6)
	for i, k := range []string{"alpha", "beta", "gamma"} {
		if err := base.UpdateWeighted(k, int64(10*(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	good := mustMarshalFI(t, base) // 3 items, total 60, offset 0
	mod := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	put64 := func(off int, v int64) []byte {
		return mod(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[off:], uint64(v)); return b })
	}
	put32 := func(off int, v uint32) []byte {
		return mod(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b })
	}
	set := func(off int, v byte) []byte { return mod(func(b []byte) []byte { b[off] = v; return b }) }
	firstItem := 32 + 8*3
	cases := map[string][]byte{
		"nil":                nil,
		"short":              {1, 1, 10},
		"serVer":             set(1, 2),
		"family":             set(2, 7),
		"lgMax 2":            set(3, 2),
		"lgMax 27":           set(3, 27),
		"lgCur 2":            set(4, 2),
		"lgCur > lgMax":      set(4, 7),
		"preLongs 2":         set(0, 2),
		"empty flag, full":   set(5, 1),
		"java empty flag":    set(5, 4),
		"preLongs 1 no flag": set(0, 1),
		"numActive too many": put32(8, 4),
		"numActive > cap":    put32(8, 49),
		"numActive huge":     put32(8, math.MaxUint32),
		"counter 0":          put64(32, 0),
		"counter negative":   put64(40, -5),
		"total negative":     put64(16, -1),
		"offset negative":    put64(24, -1),
		"offset > total":     put64(24, 61),
		"sum > total":        put64(16, 59),
		"sum+offset > total": put64(24, 1),
		"item len overflow":  put32(firstItem, math.MaxUint32),
		"item len too long":  put32(firstItem, uint32(len(good))),
		"duplicate item": func() []byte {
			d := mustFI(t, 6)
			d.Update("aa")
			d.Update("bb")
			b := mustMarshalFI(t, d)
			i := bytes.LastIndex(b, []byte("bb"))
			copy(b[i:], "aa")
			return b
		}(),
		"header only":     good[:32],
		"empty too short": {1, 1, 10, 6, 3, 5, 0},
	}
	for i := 1; i < len(good); i++ {
		cases[fmt.Sprintf("prefix %d", i)] = good[:i]
	}
	for name, img := range cases {
		s := mustFI(t, 5)
		s.Update("keep")
		before := mustMarshalFI(t, s)
		err := s.UnmarshalBinary(img)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
			continue
		}
		if !bytes.Equal(before, mustMarshalFI(t, s)) {
			t.Errorf("%s: receiver changed", name)
		}
	}
	// Tolerated: trailing bytes, unknown flag bits, Java-only (0x04) and
	// C++-only (0x01) empty flags with preLongs 1.
	for name, img := range map[string][]byte{
		"trailing":   append(slices.Clone(good), 1, 2, 3),
		"flag bit6":  set(5, 0x40),
		"java empty": {1, 1, 10, 6, 3, 4, 0, 0},
		"cpp empty":  {1, 1, 10, 6, 4, 1, 0, 0},
	} {
		var s FrequentStrings
		if err := s.UnmarshalBinary(img); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestFrequentDecodeAllocBound: a tiny image naming a huge map does not
// allocate the map.
func TestFrequentDecodeAllocBound(t *testing.T) {
	img := []byte{4, 1, 10, 26, 26, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'x'}
	var s FrequentStrings
	if err := s.UnmarshalBinary(img); err != nil {
		t.Fatal(err)
	}
	if s.Estimate("x") != 5 || s.LgCurMapSize() != 26 {
		t.Fatal("decoded wrong")
	}
	var ms1, ms2 runtimeMem
	ms1.read()
	for range 20 {
		_ = s.UnmarshalBinary(img)
	}
	ms2.read()
	if d := ms2.total - ms1.total; d > 1<<20 {
		t.Fatalf("20 decodes of a %d-byte image allocated %d bytes", len(img), d)
	}
	if b := mustMarshalFI(t, &s); !bytes.Equal(b, img) {
		t.Fatalf("re-encode %x", b)
	}
}

// runtimeMem snapshots the cumulative bytes allocated.
type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.total = ms.TotalAlloc
}

// TestFrequentPurgeSampleJava: the purge median comes from the first
// min(1024, 0.75·2^lgMax) active slots in index order (Java), not from all
// active counters (C++). The weights are chosen so the two rules differ.
func TestFrequentPurgeSampleJava(t *testing.T) {
	checked := 0
	for trial := range 200 {
		r := rand.New(rand.NewPCG(uint64(trial), 99))
		s := mustFI(t, 3) // capacity 6, Java sample 6
		for i := range 6 {
			if err := s.UpdateWeighted("w"+strconv.Itoa(i), 1+r.Int64N(20)); err != nil {
				t.Fatal(err)
			}
		}
		last, lw := "w6", 1+r.Int64N(20)
		// Predict: place the 7th item without purging and sample in slot order.
		m := s.m.clone()
		m.adjustOrInsert(last, lw)
		var all []int64
		for i, sl := range m.slots {
			if m.tags[i].state != 0 {
				all = append(all, sl.value)
			}
		}
		java := slices.Clone(all[:6])
		slices.Sort(java)
		cpp := slices.Clone(all)
		slices.Sort(cpp)
		if java[3] == cpp[3] {
			continue
		}
		checked++
		if err := s.UpdateWeighted(last, lw); err != nil {
			t.Fatal(err)
		}
		if s.MaximumError() != java[3] {
			t.Fatalf("trial %d: purge median %d, want %d (Java sample); C++ rule gives %d", trial, s.MaximumError(), java[3], cpp[3])
		}
		checkMapInvariants(t, s)
		for i, sl := range m.slots {
			if m.tags[i].state != 0 {
				want := max(sl.value-java[3], 0)
				if got := s.LowerBound(m.keyAt(&sl)); got != want {
					t.Fatalf("trial %d: %q counter %d, want %d", trial, m.keyAt(&sl), got, want)
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d discriminating trials", checked)
	}
}

// FrequentStrings implements the standard binary encoding interfaces.
var (
	_ encoding.BinaryMarshaler   = (*FrequentStrings)(nil)
	_ encoding.BinaryAppender    = (*FrequentStrings)(nil)
	_ encoding.BinaryUnmarshaler = (*FrequentStrings)(nil)
)

// TestFrequentMergeRandomParts is the merge law with random splits: every
// update of a stream goes to one of k parts chosen at random (k = 2…9, parts
// of random lgMaxMapSize, so some purge and some do not), the parts are
// merged in two different random orders, and each result must have the whole
// stream's length, keep every deterministic bound against the exact counts,
// and agree with a sketch of the whole stream within both error bounds.
// Merging an empty sketch into each result changes no byte.
func TestFrequentMergeRandomParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	trials := 12
	if hllRaceEnabled || testing.Short() {
		trials = 4
	}
	for trial := range trials {
		st := zipfStream(uint64(100+trial), 15000+rng.IntN(15000), 1.05+0.1*rng.Float64(), 20000, trial%3 == 0)
		truth := st.truth()
		whole := mustFI(t, 7)
		st.feed(t, whole)
		k := 2 + rng.IntN(8)
		parts := make([]*FrequentStrings, k)
		for p := range parts {
			parts[p] = mustFI(t, 5+rng.IntN(4))
		}
		for i, item := range st.items {
			if err := parts[rng.IntN(k)].UpdateWeighted(item, st.weights[i]); err != nil {
				t.Fatal(err)
			}
		}
		var lengths []int64
		for range 2 {
			m := mustFI(t, 7)
			for _, p := range rng.Perm(k) {
				if err := m.Merge(parts[p]); err != nil {
					t.Fatal(err)
				}
			}
			checkMapInvariants(t, m)
			if m.StreamLength() != whole.StreamLength() {
				t.Fatalf("trial %d: merged stream length %d, whole %d", trial, m.StreamLength(), whole.StreamLength())
			}
			lengths = append(lengths, m.StreamLength())
			off := m.MaximumError()
			for item, tc := range truth {
				lb, ub := m.LowerBound(item), m.UpperBound(item)
				if lb > tc || tc > ub || ub-lb != off {
					t.Fatalf("trial %d: %q true %d outside merged [%d, %d] (error %d)", trial, item, tc, lb, ub, off)
				}
				if wl, wu := whole.LowerBound(item), whole.UpperBound(item); lb > wu || wl > ub {
					t.Fatalf("trial %d: %q merged [%d, %d] and whole [%d, %d] disjoint", trial, item, lb, ub, wl, wu)
				}
			}
			for _, it := range m.FrequentItems(NoFalsePositives) {
				if truth[it.Item] <= m.MaximumError() {
					t.Fatalf("trial %d: NoFalsePositives reports %q (true %d ≤ threshold %d)", trial, it.Item, truth[it.Item], m.MaximumError())
				}
			}
			before := mustMarshalFI(t, m)
			if err := m.Merge(mustFI(t, 4)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, mustMarshalFI(t, m)) {
				t.Fatalf("trial %d: merging an empty sketch changed the result", trial)
			}
		}
		if lengths[0] != lengths[1] {
			t.Fatalf("trial %d: merge order changed the stream length", trial)
		}
	}
}

// TestFrequentZeroValue: the zero value is an empty sketch with lgMaxMapSize
// 10. Its queries answer as for an empty sketch, its image is the one of
// NewFrequentStrings(10) and decodes, updates behave exactly as on
// NewFrequentStrings(10), and Merge into it adopts the other's lgMaxMapSize.
func TestFrequentZeroValue(t *testing.T) {
	var z FrequentStrings
	if z.Estimate("x") != 0 || z.LowerBound("x") != 0 || z.UpperBound("x") != 0 || !z.IsEmpty() ||
		z.NumActive() != 0 || z.LgMaxMapSize() != 10 || z.LgCurMapSize() != 3 || z.FrequentItems(NoFalseNegatives) != nil {
		t.Fatal("zero value does not answer as an empty sketch")
	}
	ref := mustFI(t, 10)
	if got, want := mustMarshalFI(t, &z), mustMarshalFI(t, ref); !bytes.Equal(got, want) {
		t.Fatalf("zero value image %x, want %x", got, want)
	}
	var d FrequentStrings
	if err := d.UnmarshalBinary(mustMarshalFI(t, &z)); err != nil {
		t.Fatalf("zero value image rejected: %v", err)
	}
	st := zipfStream(21, 20000, 1.1, 5000, false)
	st.feed(t, &z)
	st.feed(t, ref)
	if !bytes.Equal(mustMarshalFI(t, &z), mustMarshalFI(t, ref)) {
		t.Fatal("zero value and NewFrequentStrings(10) diverge on the same stream")
	}
	if z.Epsilon() != ref.Epsilon() || z.MaximumError() == 0 {
		t.Fatal("zero value: epsilon or purges differ")
	}
	var w FrequentStrings
	if err := w.UpdateWeighted("a", 3); err != nil || w.Estimate("a") != 3 || w.LgMaxMapSize() != 10 {
		t.Fatalf("UpdateWeighted on zero value: %v, estimate %d", err, w.Estimate("a"))
	}
	var m FrequentStrings
	src := mustFI(t, 6)
	st.feed(t, src)
	if err := m.Merge(src); err != nil {
		t.Fatal(err)
	}
	if m.LgMaxMapSize() != 6 || m.StreamLength() != src.StreamLength() {
		t.Fatalf("merge into zero value: lgMax %d, stream length %d", m.LgMaxMapSize(), m.StreamLength())
	}
	checkGuarantees(t, &m, st.truth())
	var e FrequentStrings
	if err := e.Merge(&FrequentStrings{}); err != nil || !e.IsEmpty() {
		t.Fatalf("zero ← zero: %v", err)
	}
}
