package sketches

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// checkFrequentIntItem compares FrequentIntItem(v) with the plain path:
// strconv's decimal string and FrequentHashBytes of it.
func checkFrequentIntItem(t *testing.T, v int64) {
	t.Helper()
	var buf [20]byte
	for i := range buf {
		buf[i] = 'x' // stale bytes must not leak into the item
	}
	item, h := FrequentIntItem(&buf, v)
	want := strconv.FormatInt(v, 10)
	if string(item) != want {
		t.Fatalf("FrequentIntItem(%d) = %q, want %q", v, item, want)
	}
	if wh := FrequentHashBytes([]byte(want)); h != wh {
		t.Fatalf("FrequentIntItem(%d) hash %#x, want %#x", v, h, wh)
	}
	if &item[0] != &buf[0] {
		t.Fatalf("FrequentIntItem(%d): item not at the start of buf", v)
	}
}

func TestFrequentIntItemEdges(t *testing.T) {
	vs := []int64{0, 1, -1, 9, 10, 11, -9, -10, -11, 99, 100, 101, -99, -100,
		math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1,
		math.MaxInt32, math.MinInt32, math.MaxUint32, -math.MaxUint32}
	p := int64(1)
	for range 19 {
		vs = append(vs, p-1, p, p+1, -p+1, -p, -p-1)
		if p <= math.MaxInt64/10 {
			p *= 10
		}
	}
	for b := range 63 {
		x := int64(1) << b
		vs = append(vs, x-1, x, x+1, -x-1, -x, -x+1)
	}
	for _, v := range vs {
		checkFrequentIntItem(t, v)
	}
	for v := int64(-20000); v <= 20000; v++ {
		checkFrequentIntItem(t, v)
	}
}

func TestFrequentIntItemRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 200_000 {
		v := int64(r.Uint64())
		// Spread the lengths: shift right by a random amount.
		v >>= r.IntN(64)
		checkFrequentIntItem(t, v)
	}
}

func FuzzFrequentIntItem(f *testing.F) {
	for _, v := range []int64{0, -1, 1, math.MinInt64, math.MaxInt64, 1234567890123} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) { checkFrequentIntItem(t, v) })
}

var sinkU64 uint64

func BenchmarkFrequentIntItem(b *testing.B) {
	vs := make([]int64, 1024)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range vs {
		vs[i] = 1000 + r.Int64N(50000)
	}
	b.Run("fused", func(b *testing.B) {
		var buf [20]byte
		var acc uint64
		for i := 0; b.Loop(); i++ {
			d, h := FrequentIntItem(&buf, vs[i&1023])
			acc += h + uint64(len(d))
		}
		sinkU64 = acc
	})
	b.Run("plain", func(b *testing.B) {
		var buf [20]byte
		var acc uint64
		for i := 0; b.Loop(); i++ {
			d := strconv.AppendInt(buf[:0], vs[i&1023], 10)
			acc += FrequentHashBytes(d) + uint64(len(d))
		}
		sinkU64 = acc
	})
}
