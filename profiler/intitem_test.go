package profiler

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The frequent items of an integer column hold its decimal strings, which
// the int paths format and hash in one pass (sketches.FrequentIntItem, with
// a memo or without). This test holds every int path to the plain one: a
// string column logging strconv.FormatInt of the same values through
// UpdateString (Java's String.hashCode over the string) must end with a
// byte-identical frequent-items sketch.
func TestIntFrequentItemsMatchDecimalStrings(t *testing.T) {
	edges := []int64{0, 1, -1, 9, 10, -10, 99, 100, -100, math.MaxInt64, math.MinInt64,
		math.MaxInt64 - 1, math.MinInt64 + 1, 1 << 31, -1 << 31, 999999999999, 1000000000000}
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 99))
		var vs []int64
		for len(vs) < 20000 {
			switch r.IntN(4) {
			case 0: // unique, of every length
				for range 1 + r.IntN(3000) {
					vs = append(vs, int64(r.Uint64())>>r.IntN(64))
				}
			case 1: // low cardinality (the memo engages)
				pool := []int64{edges[r.IntN(len(edges))], r.Int64N(100) - 50, -r.Int64N(1 << 40)}
				for range 1 + r.IntN(2000) {
					vs = append(vs, pool[r.IntN(len(pool))])
				}
			case 2:
				for range 1 + r.IntN(500) {
					vs = append(vs, edges[r.IntN(len(edges))])
				}
			default: // a customer id column
				for range 1 + r.IntN(3000) {
					vs = append(vs, 1000+r.Int64N(50000))
				}
			}
		}
		ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
		for _, cfg := range []Config{{}, {FrequentItemsLgMaxK: 4}} {
			ps := make([]*DatasetProfile, 3)
			for i := range ps {
				p, err := NewDatasetProfile(ts, ts, cfg)
				if err != nil {
					t.Fatal(err)
				}
				ps[i] = p
			}
			one, many, str := ps[0].Column("x"), Columns{ps[1].Column("x"), ps[2].Column("x")}, ps[2].Column("s")
			for _, v := range vs {
				one.UpdateInt64(v)
				many.UpdateInt64(v)
				str.UpdateString(strconv.FormatInt(v, 10))
			}
			want := fiSketch(t, str)
			for i, c := range []*Column{one, many[0], many[1]} {
				if got := fiSketch(t, c); string(got) != string(want) {
					t.Fatalf("seed %d, config %+v, column %d: frequent items differ from the decimal strings'", seed, cfg, i)
				}
			}
		}
	}
}

// fiSketch returns the frequent-items sketch bytes of column c.
func fiSketch(t *testing.T, c *Column) []byte {
	t.Helper()
	cs, err := c.Components()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cs {
		if strings.HasPrefix(x.Path, NamespaceFrequentItems+"/") {
			return x.Sketch
		}
	}
	t.Fatalf("column %s has no frequent items", c.name)
	return nil
}
