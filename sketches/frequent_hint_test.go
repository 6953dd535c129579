package sketches

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// hintUpdate logs item into s through the hinted API the way the profiler's
// value memo does (AddHinted, then the full hinted update when it declines)
// and reports whether the fast case took it.
func hintUpdate(s *FrequentStrings, item string, asBytes bool, hint *FrequentHint) bool {
	h := FrequentHash(item)
	if s.AddHinted(h, hint) {
		return true
	}
	if asBytes {
		b := []byte(item)
		s.UpdateBytesHinted(b, h, hint)
		clear(b) // the sketch must not keep b
	} else {
		s.UpdateHashedHinted(item, h, hint)
	}
	return false
}

// TestFrequentHintsMatchPlain feeds random streams (a few hot items, a pool
// of warm ones, fresh ids) into one sketch through the hinted API, with one
// hint per item kept across everything, and into another through
// UpdateBytesHashed/UpdateHashed, and wants identical images and state after
// every purge and at random points. Between runs of updates it merges other
// sketches into both, replaces both by clones or decoded copies, and checks
// that no stale hint is taken.
func TestFrequentHintsMatchPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	hits, purges, resizes := 0, 0, 0
	for trial := range 30 {
		lg := 3 + trial%8
		hot := []string{"US", "DE", "ж", "tablet-\U0001F600", ""}
		warm := make([]string, 5+r.IntN(200))
		for i := range warm {
			warm[i] = "w" + strconv.Itoa(r.IntN(1<<20))
		}
		pHot, pWarm := r.Float64()*0.7, r.Float64()*0.5
		a, p := mustFI(t, lg), mustFI(t, lg)
		if trial%5 == 4 { // zero values
			a, p = &FrequentStrings{}, &FrequentStrings{}
		}
		hints := map[string]*FrequentHint{}
		asBytes := trial%2 == 0
		for step := range 6000 {
			var item string
			switch x := r.Float64(); {
			case x < pHot:
				item = hot[r.IntN(len(hot))]
			case x < pHot+pWarm:
				item = warm[r.IntN(len(warm))]
			default:
				item = "id-" + strconv.Itoa(step) + "-" + strconv.Itoa(r.IntN(1000))
			}
			hint := hints[item]
			if hint == nil {
				hint = new(FrequentHint)
				hints[item] = hint
			}
			off, lgCur := p.MaximumError(), p.LgCurMapSize()
			if hintUpdate(a, item, asBytes, hint) {
				hits++
			}
			if asBytes {
				p.UpdateBytesHashed([]byte(item), FrequentHash(item))
			} else {
				p.UpdateHashed(item, FrequentHash(item))
			}
			if p.MaximumError() != off {
				purges++
			}
			if p.LgCurMapSize() != lgCur {
				resizes++
			}
			if p.MaximumError() != off || p.LgCurMapSize() != lgCur || r.IntN(300) == 0 {
				if !bytes.Equal(mustMarshalFI(t, a), mustMarshalFI(t, p)) {
					t.Fatalf("trial %d lg %d step %d (%q): hinted image differs from plain", trial, lg, step, item)
				}
			}
			switch r.IntN(1500) {
			case 0: // merge the same other sketch into both
				o := mustFI(t, 3+r.IntN(8))
				for range r.IntN(2000) {
					o.Update(warm[r.IntN(len(warm))])
				}
				if err := a.Merge(o); err != nil {
					t.Fatal(err)
				}
				if err := p.Merge(o); err != nil {
					t.Fatal(err)
				}
			case 1: // self-merge
				if err := a.Merge(a); err != nil {
					t.Fatal(err)
				}
				if err := p.Merge(p); err != nil {
					t.Fatal(err)
				}
			case 2: // replace by a clone: no hint of the original may hit it
				a, p = a.Clone(), p.Clone()
				if a.AddHinted(FrequentHash(item), hint) {
					t.Fatalf("trial %d step %d: a hint of the original hit its clone", trial, step)
				}
			case 3: // replace by a decoded copy
				var d, e FrequentStrings
				if err := d.UnmarshalBinary(mustMarshalFI(t, a)); err != nil {
					t.Fatal(err)
				}
				if err := e.UnmarshalBinary(mustMarshalFI(t, p)); err != nil {
					t.Fatal(err)
				}
				a, p = &d, &e
				if a.AddHinted(FrequentHash(item), hint) {
					t.Fatalf("trial %d step %d: a hint hit a decoded sketch", trial, step)
				}
			}
		}
		if a.StreamLength() != p.StreamLength() || a.MaximumError() != p.MaximumError() || a.NumActive() != p.NumActive() {
			t.Fatalf("trial %d: state differs", trial)
		}
		if !bytes.Equal(mustMarshalFI(t, a), mustMarshalFI(t, p)) {
			t.Fatalf("trial %d: final hinted image differs from plain", trial)
		}
		checkMapInvariants(t, a)
	}
	if hits < 10000 || purges < 100 || resizes < 50 {
		t.Fatalf("hint hits %d, purges %d, resizes %d: stream too weak", hits, purges, resizes)
	}
}

// TestFrequentHintStale checks the cases where a hint must be declined: a
// hint of another sketch (same slot and hash), of the same sketch after a
// purge, a resize or a merge, a zero hint, and a sketch whose stream length
// reached math.MaxInt64.
func TestFrequentHintStale(t *testing.T) {
	x, y := mustFI(t, 4), mustFI(t, 4)
	var hx, hy FrequentHint
	hintUpdate(x, "a", true, &hx)
	hintUpdate(y, "a", false, &hy)
	if hx == (FrequentHint{}) || hy == (FrequentHint{}) || hx.gen == hy.gen {
		t.Fatalf("hints %+v %+v: want distinct generations", hx, hy)
	}
	if !x.AddHinted(FrequentHash("a"), &hx) || x.LowerBound("a") != 2 {
		t.Fatal("own hint declined")
	}
	if y.AddHinted(FrequentHash("a"), &hx) || x.AddHinted(FrequentHash("a"), &hy) {
		t.Fatal("a hint of another sketch was taken")
	}
	if x.AddHinted(FrequentHash("b"), &hx) {
		t.Fatal("a hint was taken for another hash")
	}
	var zero FrequentHint
	if x.AddHinted(FrequentHash(""), &zero) || (&FrequentStrings{}).AddHinted(0, &zero) {
		t.Fatal("a zero hint was taken")
	}
	// Resize: 12 items overfill 16 slots (capacity 12) of lgMax 5.
	r := mustFI(t, 5)
	var ha FrequentHint
	hintUpdate(r, "a", true, &ha)
	old := ha
	for i := range 12 {
		r.Update("r" + strconv.Itoa(i))
	}
	if r.LgCurMapSize() == 3 || r.AddHinted(FrequentHash("a"), &old) {
		t.Fatalf("lgCur %d: a hint survived a resize", r.LgCurMapSize())
	}
	// Purge at lgMax 3 (capacity 6).
	q := mustFI(t, 3)
	hintUpdate(q, "a", true, &ha)
	hintUpdate(q, "a", true, &ha)
	old = ha
	for i := range 6 {
		q.Update("q" + strconv.Itoa(i))
	}
	if q.MaximumError() == 0 || q.AddHinted(FrequentHash("a"), &old) {
		t.Fatal("a hint survived a purge")
	}
	// Merge.
	hintUpdate(x, "a", true, &hx)
	old = hx
	if err := x.Merge(y); err != nil {
		t.Fatal(err)
	}
	if x.AddHinted(FrequentHash("a"), &old) {
		t.Fatal("a hint survived a merge")
	}
	// Stream length at the limit: the hinted path ignores updates as the
	// plain one does.
	m, p := mustFI(t, 4), mustFI(t, 4)
	var hm FrequentHint
	for _, s := range []*FrequentStrings{m, p} {
		if err := s.UpdateWeighted("a", math.MaxInt64-2); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		hintUpdate(m, "a", true, &hm)
		p.UpdateBytesHashed([]byte("a"), FrequentHash("a"))
	}
	if m.StreamLength() != math.MaxInt64 || !bytes.Equal(mustMarshalFI(t, m), mustMarshalFI(t, p)) {
		t.Fatalf("stream length %d: hinted updates at the limit differ", m.StreamLength())
	}
}
