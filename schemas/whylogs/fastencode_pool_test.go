package whylogs

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// poolProfile returns a profile of random shape: a random subset of
// columns of every kind, so consecutive encodings reuse scratch storage
// from profiles with other columns, paths and sizes.
func poolProfile(t *testing.T, seed uint64) *profiler.DatasetProfile {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 5))
	ts := time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC)
	p, err := profiler.NewDatasetProfile(ts, ts, profiler.Config{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if r.IntN(2) == 0 {
		seg, _ := profiler.NewSegment("", []string{"k"}, "", []string{fmt.Sprint(seed)})
		p.SetSegment(seg)
	}
	for i := range r.IntN(400) {
		row := map[string]any{}
		for c := range 8 {
			if r.IntN(3) == 0 {
				continue
			}
			name := fmt.Sprintf("c%d", (c*7+int(seed))%11)
			switch c % 4 {
			case 0:
				row[name] = int64(r.IntN(1000))
			case 1:
				row[name] = r.NormFloat64()
			case 2:
				row[name] = fmt.Sprint("s", r.IntN(100), i)
			default:
				row[name] = nil
			}
		}
		p.Track(row)
	}
	if r.IntN(3) == 0 {
		comps := []profiler.Component{
			{Path: "custom/x", Kind: profiler.KindN, N: int64(seed)},
			{Path: "img:counts/n", Kind: profiler.KindN, N: 4},
			{Path: "img:types/integral", Kind: profiler.KindN, N: 4},
		}
		if err := p.SetColumnComponents("compound", comps); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestAppendV1ReusedScratch encodes profiles of changing shapes, in turn
// and from concurrent goroutines, so the pooled scratch storage is reused
// across them: every encoding must stay the reference's bytes.
func TestAppendV1ReusedScratch(t *testing.T) {
	ps := make([]*profiler.DatasetProfile, 24)
	want := make([][]byte, len(ps))
	for i := range ps {
		ps[i] = poolProfile(t, uint64(i))
		var err error
		if want[i], err = appendV1Slow(nil, ps[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range ps {
		checkFastEqual(t, fmt.Sprint("profile ", i), p)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 3 * len(ps) {
				i := (k*5 + g) % len(ps)
				got, err := MarshalV1(ps[i])
				if err == nil && !bytes.Equal(got, want[i]) {
					err = fmt.Errorf("profile %d: bytes differ from the reference", i)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestAppendV1Unsorted checks the path for component lists that are not
// strictly sorted against the merged fast path: components shuffled within
// their columns encode as the sorted list does.
func TestAppendV1Unsorted(t *testing.T) {
	for seed := range uint64(12) {
		p := poolProfile(t, seed)
		fast, err := MarshalV1(p)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := p.Components()
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(seed, 1))
		for _, cc := range cols {
			r.Shuffle(len(cc.Components), func(i, j int) { cc.Components[i], cc.Components[j] = cc.Components[j], cc.Components[i] })
		}
		if strictlySorted(cols) && len(cols) > 0 && len(cols[0].Components) > 1 {
			t.Fatalf("seed %d: shuffled components still sorted", seed)
		}
		got, err := appendV1Unsorted(nil, p.FileProperties(), cols)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, fast) {
			t.Fatalf("seed %d: unsorted path differs from the sorted one", seed)
		}
	}
}
