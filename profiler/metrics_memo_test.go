package profiler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The value memo and the single-column paths must not change a byte of any
// profile. These property tests log random streams (low and high
// cardinality, phases of both, mixed types, edge values) through every fast
// path and compare the components with those of a reference: the
// valueHashes path with no memo (memoEnabled false), which is the plain
// per-value code.

type memoOp struct {
	kind byte // 'i' int, 'f' float, 's' string, 'b' bool, 'n' null, 'u' uint
	i    int64
	u    uint64
	f    float64
	s    string
	b    bool
}

var memoInts = []int64{0, 1, -1, 2, 10, 99, 100, -100, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1,
	math.MinInt64 + 1, 1 << 53, -(1 << 53), 1<<31 - 1, -1 << 31, 123456789012345678}

var memoFloats = []float64{0, math.Copysign(0, -1), math.NaN(), math.Float64frombits(0xfff8000000000001),
	math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1, 1e300,
	3.5, 1, -1, 2, 1e-310}

var memoStrings = []string{"", "a", "é", "US", "DE", "gold", "SAVE10", "desktop", "1234567", "12345678",
	"123456789", strings.Repeat("x", 16), strings.Repeat("y", 17), strings.Repeat("z", 28),
	strings.Repeat("w", 29), strings.Repeat("v", 30), strings.Repeat("u", 31), strings.Repeat("t", 64),
	"日本語テキスト", "ééééééééééééééé", "\xff\xfe", "a\x00b", "ord-00000001", "ord-00000002",
	"2024-01-01T00:00:00.005Z", "abcd", "abcé", "abcdé",
	// Equal first and last 8 bytes, different middles (and lengths).
	"abcdefgh1zyxwvuts", "abcdefgh2zyxwvuts", "abcdefgh12zyxwvuts", "abcdefgh_0000000_zyxwvuts",
	"abcdefgh_0000001_zyxwvuts", "abcdefghzyxwvuts", "abcdefgzyxwvuts"}

// randValue returns a random value of kind k; fresh values are mostly
// distinct, pooled ones come from the edge-case lists.
func randValue(r *rand.Rand, k byte, fresh bool) memoOp {
	op := memoOp{kind: k}
	switch k {
	case 'i':
		if fresh {
			switch r.IntN(3) {
			case 0:
				op.i = int64(r.Uint64())
			case 1:
				op.i = r.Int64N(1 << 20)
			default:
				op.i = -r.Int64N(1 << 40)
			}
		} else {
			op.i = memoInts[r.IntN(len(memoInts))]
		}
	case 'u':
		op.u = math.MaxUint64 - uint64(r.IntN(3))
		if r.IntN(2) == 0 {
			op.u = uint64(r.IntN(50))
		}
	case 'f':
		if fresh {
			op.f = r.NormFloat64() * 1e3
		} else {
			op.f = memoFloats[r.IntN(len(memoFloats))]
		}
	case 's':
		if fresh {
			b := make([]byte, r.IntN(40))
			for i := range b {
				b[i] = byte('a' + r.IntN(26))
			}
			if len(b) > 0 && r.IntN(8) == 0 {
				b[r.IntN(len(b))] = 0xc3 // sometimes invalid UTF-8
			}
			op.s = string(b)
		} else {
			op.s = memoStrings[r.IntN(len(memoStrings))]
		}
	case 'b':
		op.b = r.IntN(3) == 0
	}
	return op
}

// genMemoStream makes n ops: phases of low cardinality (a pool of 1–40
// values) and high cardinality, of one kind or mixed.
func genMemoStream(r *rand.Rand, n int, kinds string) []memoOp {
	var ops []memoOp
	for len(ops) < n {
		phase := 50 + r.IntN(2000)
		if r.IntN(2) == 0 {
			pool := make([]memoOp, 1+r.IntN(40))
			for i := range pool {
				pool[i] = randValue(r, kinds[r.IntN(len(kinds))], r.IntN(2) == 0)
			}
			for range phase {
				if r.IntN(30) == 0 {
					ops = append(ops, memoOp{kind: 'n'})
					continue
				}
				ops = append(ops, pool[min(r.IntN(len(pool)), r.IntN(len(pool)))])
			}
		} else {
			for range phase {
				ops = append(ops, randValue(r, kinds[r.IntN(len(kinds))], r.IntN(10) != 0))
			}
		}
	}
	return ops[:n]
}

var memoConfigs = []Config{
	{},
	{MaxFrequentItemSize: 4, HLLLgK: 4, FrequentItemsLgMaxK: 3},
	{RowPathNaN: true, HLLLgK: 7},
	{HLLLgK: 9, DisableFrequentItems: true, KLLK: 8},
	{MaxFrequentItemSize: 1, NullDefersType: true},
}

type memoPath int

const (
	pathRef      memoPath = iota // Columns{c}, no memo
	pathColumn                   // Column methods, strings as strings
	pathBytes                    // Column methods, strings as reused bytes
	pathColumns1                 // Columns{c}
	pathColumnsN                 // one Columns over all configs
)

// feed logs ops into column "x" of ps along path.
func feed(ps []*DatasetProfile, ops []memoOp, path memoPath) {
	buf := make([]byte, 0, 64)
	one := func(p *DatasetProfile, op memoOp) {
		c := p.Column("x")
		switch path {
		case pathColumn, pathBytes:
			switch op.kind {
			case 'i':
				c.UpdateInt64(op.i)
			case 'u':
				c.UpdateUint64(op.u)
			case 'f':
				c.UpdateFloat64(op.f)
			case 's':
				if path == pathBytes {
					buf = append(buf[:0], op.s...)
					c.UpdateStringBytes(buf)
					for i := range buf {
						buf[i] = '#' // the column must not keep b
					}
				} else {
					c.UpdateString(op.s)
				}
			case 'b':
				c.UpdateBool(op.b)
			case 'n':
				c.UpdateNull()
			}
		default:
			cs := Columns{c}
			switch op.kind {
			case 'i':
				cs.UpdateInt64(op.i)
			case 'u':
				c.UpdateUint64(op.u)
			case 'f':
				cs.UpdateFloat64(op.f)
			case 's':
				cs.UpdateString(op.s)
			case 'b':
				cs.UpdateBool(op.b)
			case 'n':
				cs.UpdateNull()
			}
		}
	}
	for _, op := range ops {
		if path != pathColumnsN {
			for _, p := range ps {
				one(p, op)
			}
			continue
		}
		cs := make(Columns, len(ps))
		for i, p := range ps {
			cs[i] = p.Column("x")
		}
		switch op.kind {
		case 'i':
			cs.UpdateInt64(op.i)
		case 'u':
			for _, c := range cs {
				c.UpdateUint64(op.u)
			}
		case 'f':
			cs.UpdateFloat64(op.f)
		case 's':
			buf = append(buf[:0], op.s...)
			cs.UpdateStringBytes(buf)
			for i := range buf {
				buf[i] = '#'
			}
		case 'b':
			cs.UpdateBool(op.b)
		case 'n':
			cs.UpdateNull()
		}
	}
}

func memoProfiles(t testing.TB) []*DatasetProfile {
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	ps := make([]*DatasetProfile, len(memoConfigs))
	for i, cfg := range memoConfigs {
		cfg.Seed = 7
		p, err := NewDatasetProfile(ts, ts, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = p
	}
	return ps
}

// runMemoStream logs ops along path, cloning the profiles at cut[0] (and
// logging the rest of ops into the originals first) and
// merging in a profile of ops[:cut[1]/2] at cut[1] (so memos meet replaced
// sketches), and returns the profiles' components.
func runMemoStream(t testing.TB, ops []memoOp, path memoPath, cut [2]int) [][]ColumnComponents {
	memoEnabled = path != pathRef
	defer func() { memoEnabled = true }()
	ps := memoProfiles(t)
	feed(ps, ops[:cut[0]], path)
	old := make([]*DatasetProfile, len(ps))
	for i, p := range ps {
		old[i], ps[i] = p, p.Clone()
	}
	// The originals go on with other values: nothing of theirs may reach
	// the clones.
	feed(old, ops[cut[0]:], path)
	feed(ps, ops[cut[0]:cut[1]], path)
	side := memoProfiles(t)
	feed(side, ops[:cut[1]/2], path)
	for i, p := range ps {
		if err := p.Merge(side[i], MergeOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	feed(ps, ops[cut[1]:], path)
	out := make([][]ColumnComponents, len(ps))
	for i, p := range ps {
		cc, err := p.Components()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = cc
	}
	return out
}

// memoComponentsEqual compares components exactly (floats by bits).
func memoComponentsEqual(a, b []ColumnComponents) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d columns vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Components) != len(b[i].Components) {
			return fmt.Sprintf("column %d: %q with %d components vs %q with %d", i,
				a[i].Name, len(a[i].Components), b[i].Name, len(b[i].Components))
		}
		for j := range a[i].Components {
			x, y := a[i].Components[j], b[i].Components[j]
			if x.Path != y.Path || x.TypeID != y.TypeID || x.Kind != y.Kind || x.N != y.N ||
				math.Float64bits(x.D) != math.Float64bits(y.D) || string(x.Sketch) != string(y.Sketch) {
				return fmt.Sprintf("column %q component %q differs", a[i].Name, x.Path)
			}
		}
	}
	return ""
}

func TestMemoPathsMatchReference(t *testing.T) {
	streams := []struct {
		kinds string
		n     int
	}{
		{"i", 6000}, {"f", 4000}, {"s", 6000}, {"b", 500}, {"isfbu", 6000}, {"s", 300}, {"i", 40},
		{"is", 40000}, // long enough for the backoff to double and probing to resume
	}
	for seed := range uint64(6) {
		for _, st := range streams {
			if st.n > 10000 && (seed > 1 || testing.Short()) {
				continue
			}
			t.Run(fmt.Sprintf("%s-%d-seed%d", st.kinds, st.n, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, uint64(st.n)))
				ops := genMemoStream(r, st.n, st.kinds)
				c0 := r.IntN(st.n + 1)
				cut := [2]int{c0, c0 + r.IntN(st.n-c0+1)}
				want := runMemoStream(t, ops, pathRef, cut)
				for _, path := range []memoPath{pathColumn, pathBytes, pathColumns1, pathColumnsN} {
					got := runMemoStream(t, ops, path, cut)
					for i := range want {
						if d := memoComponentsEqual(got[i], want[i]); d != "" {
							t.Fatalf("path %d, config %+v: %s", path, memoConfigs[i], d)
						}
					}
				}
			})
		}
	}
}

// TestMemoEngages checks that the property test exercises the memo: a
// low-cardinality column probes it and hits, a high-cardinality one stops
// probing, and the bool bits are set.
func TestMemoEngages(t *testing.T) {
	p := memoProfiles(t)[0]
	lo, hi, bo := p.Column("lo"), p.Column("hi"), p.Column("bo")
	for i := range 2000 {
		lo.UpdateInt64(int64(i % 5))
		hi.UpdateStringBytes(fmt.Appendf(nil, "id-%d", i))
		bo.UpdateBool(i%2 == 0)
	}
	if lo.m.vm == nil || lo.m.vm.resume > lo.m.counts.n || lo.m.vm.card != lo.m.card {
		t.Fatalf("low-cardinality memo not active: %+v", lo.m.vm)
	}
	n := 0
	for _, e := range lo.m.vm.e {
		if e.kind == memoInt {
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d int entries for 5 values", n)
	}
	// Every entry of a repeated value holds a hint that the frequent-items
	// sketch takes.
	ls, lb := p.Column("ls"), p.Column("lb")
	for i := range 2000 {
		ls.UpdateString([]string{"US", "DE", "FR"}[i%3])
		lb.UpdateStringBytes([]byte([]string{"gold", "silver"}[i%2]))
	}
	for _, c := range []*Column{lo, ls, lb} {
		n := 0
		for i := range c.m.vm.e {
			if e := &c.m.vm.e[i]; e.kind != 0 {
				n++
				before := c.m.fi.fs.StreamLength()
				if !c.m.fi.fs.AddHinted(e.fih, &e.hint) || c.m.fi.fs.StreamLength() != before+1 {
					t.Errorf("column %s: entry %+v: hint not taken", c.name, e)
				}
			}
		}
		if n == 0 {
			t.Errorf("column %s: no memo entries", c.name)
		}
	}
	if hi.m.vm == nil || (hi.m.vm.resume <= hi.m.counts.n && hi.m.vm.backoff == memoBackoff) {
		t.Errorf("high-cardinality memo still probing: %+v", hi.m.vm)
	}
	if bo.m.vm == nil || bo.m.vm.bools != 3 {
		t.Errorf("bool bits not set: %+v", bo.m.vm)
	}
	c := p.Clone()
	if c.columns["lo"].m.vm != nil {
		t.Error("a clone shares the memo")
	}
}

// TestMemoBrokenIsDetected corrupts a memo entry and wants the comparison
// of TestMemoPathsMatchReference to notice: the memo's hashes do reach the
// output.
func TestMemoBrokenIsDetected(t *testing.T) {
	ps := memoProfiles(t)
	ref := memoProfiles(t)
	for i := range 500 {
		ps[0].Column("x").UpdateInt64(int64(i % 3))
	}
	for _, e := range ps[0].Column("x").m.vm.e[:] {
		if e.kind == memoInt {
			vm := ps[0].Column("x").m.vm
			for j := range vm.e {
				vm.e[j].fih ^= 1
			}
			break
		}
	}
	for i := range 500 {
		ps[0].Column("x").UpdateInt64(int64(i % 3))
	}
	memoEnabled = false
	for i := range 1000 {
		ref[0].Column("x").UpdateInt64(int64(i%500) % 3)
	}
	memoEnabled = true
	a, _ := ps[0].Components()
	b, _ := ref[0].Components()
	if memoComponentsEqual(a, b) == "" {
		t.Fatal("a corrupted memo went unnoticed")
	}
}

// TestMemoBackoff follows the adaptive switch: poor windows switch probing
// off for memoBackoff, then twice as long; a good window resets the
// backoff.
func TestMemoBackoff(t *testing.T) {
	p := memoProfiles(t)[0]
	c := p.Column("x")
	i := int64(0)
	next := func() { i++; c.UpdateInt64(i * 7919) } // all distinct
	// The memo probes from the memoAfter-th value on.
	for range memoAfter - 1 + memoWindow {
		next()
	}
	vm := c.m.vm
	if vm == nil || vm.resume-c.m.counts.n != memoBackoff+1 || vm.backoff != 2*memoBackoff {
		t.Fatalf("after a poor window: %+v", vm)
	}
	for range memoBackoff + memoWindow {
		next()
	}
	if vm.resume-c.m.counts.n != 2*memoBackoff+1 || vm.backoff != 4*memoBackoff {
		t.Fatalf("after a second poor window: resume %d at %d, backoff %d", vm.resume, c.m.counts.n, vm.backoff)
	}
	for range 2 * memoBackoff {
		next()
	}
	for j := range memoWindow {
		c.UpdateInt64(int64(j % 3))
	}
	if vm.resume > c.m.counts.n || vm.backoff != memoBackoff || vm.probes != 0 {
		t.Fatalf("after a good window: resume %d at %d, backoff %d probes %d", vm.resume, c.m.counts.n, vm.backoff, vm.probes)
	}
}
