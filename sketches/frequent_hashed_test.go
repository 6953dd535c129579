package sketches

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestFrequentUpdateHashed feeds one stream through Update and through
// UpdateHashed(item, FrequentHash(item)) and wants the same image, through
// growth and purges.
func TestFrequentUpdateHashed(t *testing.T) {
	a, _ := NewFrequentStrings(6)
	b, _ := NewFrequentStrings(6)
	for i := range 5000 {
		item := "k" + strconv.Itoa(i*i%313)
		if i%7 == 0 {
			item = "héllo" + strconv.Itoa(i%5)
		}
		a.Update(item)
		b.UpdateHashed(item, FrequentHash(item))
	}
	ia, _ := a.MarshalBinary()
	ib, _ := b.MarshalBinary()
	if !bytes.Equal(ia, ib) {
		t.Fatal("UpdateHashed image differs from Update image")
	}
	if a.MaximumError() == 0 {
		t.Fatal("stream did not purge; test too weak")
	}
	if got, want := FrequentHash("abc"), Fmix64(uint64(96354)); got != want { // Java "abc".hashCode() = 96354
		t.Errorf("FrequentHash(abc) = %#x, want %#x", got, want)
	}
}

// TestHLLUpdateHash wants UpdateHash(Hash*(v)) to equal the typed updates.
func TestHLLUpdateHash(t *testing.T) {
	a, _ := NewHLL(8, HLL4)
	b, _ := NewHLL(8, HLL4)
	for i := range 3000 {
		switch i % 3 {
		case 0:
			a.UpdateInt64(int64(i))
			b.UpdateHash(HashInt64(int64(i), DefaultSeed))
		case 1:
			a.UpdateFloat64(float64(i) / 3)
			b.UpdateHash(HashFloat64(float64(i)/3, DefaultSeed))
		default:
			s := "s" + strconv.Itoa(i)
			a.UpdateString(s)
			b.UpdateHash(HashString(s, DefaultSeed))
		}
	}
	ia, _ := a.MarshalBinary()
	ib, _ := b.MarshalBinary()
	if !bytes.Equal(ia, ib) || a.Mode() != "HLL" {
		t.Fatalf("UpdateHash image differs (mode %s)", a.Mode())
	}
}

// TestFrequentUpdateBytesHashed feeds one stream as strings and as bytes
// (from a buffer overwritten after each update, so a retained slice would
// corrupt the sketch) and wants the same images: through growth and purges,
// for a clone updated on its own afterwards, and mixed with string updates
// and merges.
func TestFrequentUpdateBytesHashed(t *testing.T) {
	a, _ := NewFrequentStrings(7)
	b, _ := NewFrequentStrings(7)
	buf := make([]byte, 0, 64)
	item := func(i int) string {
		if i%13 == 0 {
			return "" // the empty item
		}
		return "item-" + strconv.Itoa(i*7919%1201) + strings.Repeat("x", i%40)
	}
	feed := func(a, b *FrequentStrings, from, to int) {
		for i := from; i < to; i++ {
			it := item(i)
			a.Update(it)
			buf = append(buf[:0], it...)
			if i%5 == 0 {
				b.Update(it) // strings and bytes mixed in one sketch
			} else {
				b.UpdateBytesHashed(buf, FrequentHashBytes(buf))
			}
			for j := range buf {
				buf[j] = '#'
			}
		}
	}
	same := func(what string, x, y *FrequentStrings) {
		t.Helper()
		ix, _ := x.MarshalBinary()
		iy, _ := y.MarshalBinary()
		if !bytes.Equal(ix, iy) {
			t.Fatalf("%s: images differ", what)
		}
	}
	feed(a, b, 0, 20000)
	if a.MaximumError() == 0 {
		t.Fatal("no purge; test too weak")
	}
	same("stream", a, b)
	ac, bc := a.Clone(), b.Clone()
	feed(a, b, 20000, 30000)
	feed(ac, bc, 40000, 50000)
	same("after clone, original", a, b)
	same("after clone, clone", ac, bc)
	if err := a.Merge(ac); err != nil {
		t.Fatal(err)
	}
	if err := b.Merge(bc); err != nil {
		t.Fatal(err)
	}
	feed(a, b, 60000, 63000)
	same("after merge", a, b)
	for _, fi := range b.FrequentItems(NoFalseNegatives) {
		if strings.Contains(fi.Item, "#") {
			t.Fatalf("item %q holds overwritten bytes", fi.Item)
		}
	}
	if FrequentHashBytes([]byte("héllo")) != FrequentHash("héllo") {
		t.Error("FrequentHashBytes differs from FrequentHash")
	}
}

// TestFrequentUpdateBytesAllocs: a tracked item costs no allocation, new
// items share chunks.
func TestFrequentUpdateBytesAllocs(t *testing.T) {
	s, _ := NewFrequentStrings(10)
	k := []byte("tracked")
	s.UpdateBytesHashed(k, FrequentHashBytes(k))
	if n := testing.AllocsPerRun(100, func() { s.UpdateBytesHashed(k, FrequentHashBytes(k)) }); n != 0 {
		t.Errorf("tracked item: %v allocations", n)
	}
	u, _ := NewFrequentStrings(10)
	i := 0
	buf := make([]byte, 0, 32)
	n := testing.AllocsPerRun(5000, func() {
		buf = strconv.AppendInt(append(buf[:0], "id-"...), int64(i), 10)
		i++
		u.UpdateBytesHashed(buf, FrequentHashBytes(buf))
	})
	if n > 0.1 {
		t.Errorf("new items: %v allocations per item", n)
	}
}

// TestFrequentBytesChunksBounded streams about 16 MB of distinct items as
// bytes through a small sketch that purges often and wants the heap it keeps
// to stay far below that: purges compact the chunks, so deleted items do not
// keep them alive.
func TestFrequentBytesChunksBounded(t *testing.T) {
	s, _ := NewFrequentStrings(6) // at most 48 items
	buf := make([]byte, 0, 32)
	feed := func(from, to int) {
		for i := from; i < to; i++ {
			buf = strconv.AppendInt(append(buf[:0], "item-with-a-longer-name-"...), int64(i), 10)
			e := s.MaximumError()
			s.UpdateBytesHashed(buf, FrequentHashBytes(buf))
			if i%3 == 0 { // some repeats, so purges keep a few items
				s.UpdateBytesHashed(buf, FrequentHashBytes(buf))
			}
			if s.MaximumError() != e { // after a purge: the arena's dead bytes are bounded
				live := scanLiveKeyBytes(&s.m)
				if live != s.m.live {
					t.Fatalf("item %d: %d live key bytes, map counts %d", i, live, s.m.live)
				}
				if len(s.m.keys) > 3*live+rpKeysSlack {
					t.Fatalf("item %d: %d arena bytes for %d live key bytes", i, len(s.m.keys), live)
				}
			}
		}
	}
	feed(0, 1000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	feed(1000, 500_000)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
		t.Errorf("heap grew by %d bytes after streaming ~16 MB of items", grown)
	}
	if s.NumActive() == 0 || s.MaximumError() == 0 {
		t.Fatal("stream did not fill and purge the sketch")
	}
	runtime.KeepAlive(s)
}

// TestFrequentCloneMergeOwnKeys: a clone or a merge target of a sketch fed
// bytes holds its own copies of the keys (views of the other sketch's
// chunks would keep them alive), and images stay as with strings.
func TestFrequentCloneMergeOwnKeys(t *testing.T) {
	a, _ := NewFrequentStrings(6)
	ref, _ := NewFrequentStrings(6)
	buf := make([]byte, 0, 32)
	for i := range 3000 {
		buf = strconv.AppendInt(append(buf[:0], "k"...), int64(i*i%211), 10)
		a.UpdateBytesHashed(buf, FrequentHashBytes(buf))
		ref.Update(string(buf))
	}
	owned := func(x, y *FrequentStrings) {
		t.Helper()
		xs, ys := x.m.keys[:cap(x.m.keys)], y.m.keys[:cap(y.m.keys)]
		if len(xs) == 0 || len(ys) == 0 {
			t.Fatal("no arena")
		}
		x0, y0 := uintptr(unsafe.Pointer(&xs[0])), uintptr(unsafe.Pointer(&ys[0]))
		if x0 < y0+uintptr(len(ys)) && y0 < x0+uintptr(len(xs)) {
			t.Fatal("the key arenas overlap")
		}
	}
	c := a.Clone()
	owned(c, a)
	m, _ := NewFrequentStrings(6)
	if err := m.Merge(a); err != nil {
		t.Fatal(err)
	}
	owned(m, a)
	mr, _ := NewFrequentStrings(6)
	if err := mr.Merge(ref); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]*FrequentStrings{{c, ref}, {m, mr}} {
		x, _ := p[0].MarshalBinary()
		y, _ := p[1].MarshalBinary()
		if !bytes.Equal(x, y) {
			t.Fatal("image differs from the string-fed sketch's")
		}
	}
}

// TestFrequentItemsOutliveArenaReuse: the items FrequentItems returns are
// copies, so they stay intact while later purges reuse and compact the key
// arena.
func TestFrequentItemsOutliveArenaReuse(t *testing.T) {
	s, _ := NewFrequentStrings(4) // at most 12 items
	buf := make([]byte, 0, 32)
	for i := range 1000 { // the arena grows to its steady size
		buf = strconv.AppendInt(append(buf[:0], "warm-"...), int64(i), 10)
		s.UpdateBytesHashed(buf, FrequentHashBytes(buf))
	}
	for i := range 40 {
		buf = strconv.AppendInt(append(buf[:0], "keep-"...), int64(i%10), 10)
		s.UpdateBytesHashed(buf, FrequentHashBytes(buf))
	}
	items := s.FrequentItems(NoFalseNegatives)
	want := make([]string, len(items))
	for i, it := range items {
		want[i] = strings.Clone(it.Item)
	}
	if len(want) == 0 {
		t.Fatal("no items")
	}
	for i := range 5000 { // distinct items: purges empty the map and restart the arena
		buf = strconv.AppendInt(append(buf[:0], "zzzz-"...), int64(i), 10)
		s.UpdateBytesHashed(buf, FrequentHashBytes(buf))
		s.Update(string(buf) + "-s")
	}
	for i, it := range items {
		if it.Item != want[i] {
			t.Fatalf("item %d changed from %q to %q", i, want[i], it.Item)
		}
	}
}
