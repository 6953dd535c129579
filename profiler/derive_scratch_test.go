package profiler

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/sketches"
)

// TestMergeColumnsScratchNoAliasing derives many columns in a row through
// one shared KLL scratch holder (as deriveFull does), with segment columns
// of very different sizes so the accumulators grow, compact and merge
// higher levels (dropping item buffers into the lent spare list). Each
// derived sketch must equal the one derived without scratch, must keep its
// bytes while later columns reuse the scratch, must leave the source
// columns untouched, and must go on updating and merging exactly like the
// scratch-free one afterwards.
func TestMergeColumnsScratchNoAliasing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var profs []*DatasetProfile
	names := []string{"a", "b", "c", "d", "e", "f"}
	for range 5 {
		p, err := NewDatasetProfile(t0, t0, Config{})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			c := p.Column(name)
			n := []int{1, 30, 700, 5000, 40000}[rng.IntN(5)]
			for range n {
				c.UpdateFloat64(rng.NormFloat64() * 1000)
			}
		}
		profs = append(profs, p)
	}
	kllBytes := func(c *Column) []byte {
		b, err := c.m.dist.kll.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var srcBytes [][]byte
	for _, p := range profs {
		for _, name := range names {
			srcBytes = append(srcBytes, kllBytes(p.columns[name]))
		}
	}
	set := profs[0].set
	var scratch sketches.KLLDoubles
	var lent, plain []*Column
	var first [][]byte
	for round := range 3 { // the holder keeps its buffers across windows
		for _, name := range names {
			cols := make([]*Column, 0, len(profs))
			for i, p := range profs {
				if (i+round)%4 != 3 { // vary which segments hold the column
					cols = append(cols, p.columns[name])
				}
			}
			a, err := mergeColumns(name, cols, set, &scratch)
			if err != nil {
				t.Fatal(err)
			}
			b, err := mergeColumns(name, cols, set, nil)
			if err != nil {
				t.Fatal(err)
			}
			ab := kllBytes(a)
			if !bytes.Equal(ab, kllBytes(b)) {
				t.Fatalf("round %d column %q: derived with scratch differs from without", round, name)
			}
			lent, plain, first = append(lent, a), append(plain, b), append(first, ab)
		}
	}
	for i, c := range lent {
		if !bytes.Equal(kllBytes(c), first[i]) {
			t.Fatalf("derived column %d changed after later columns borrowed the scratch", i)
		}
	}
	k := 0
	for _, p := range profs {
		for _, name := range names {
			if !bytes.Equal(kllBytes(p.columns[name]), srcBytes[k]) {
				t.Fatalf("source column %q changed", name)
			}
			k++
		}
	}
	for i := range lent {
		a, b := lent[i].m.dist.kll, plain[i].m.dist.kll
		for range 3000 {
			v := rng.NormFloat64()
			a.Update(v)
			b.Update(v)
		}
		o := profs[rng.IntN(len(profs))].columns[names[rng.IntN(len(names))]].m.dist.kll
		if err := a.Merge(o); err != nil {
			t.Fatal(err)
		}
		if err := b.Merge(o); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(kllBytes(lent[i]), kllBytes(plain[i])) {
			t.Fatalf("derived column %d: later updates and merges differ with scratch", i)
		}
	}
}
