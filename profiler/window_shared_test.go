package profiler_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// Emitted profiles and clones may be used on another goroutine while the
// WindowSet goes on (run with -race): they must share no mutable state with
// it (frequent-item strings, whose bytes are never written again, may be
// shared), and updating them must not change the WindowSet's values.
func TestWindowSetEmittedProfilesAreIndependent(t *testing.T) {
	cfg := profiler.WindowConfig{Dataset: "d", Rotation: time.Minute, FullDataset: true,
		Segments: profiler.Segmentation{Columns: []string{"k"}}}
	w := newWS(t, cfg)
	ref := newWS(t, cfg)
	var buf []*profiler.DatasetProfile
	add := func(i int) {
		v := int64(i%500) * 1009
		ps, _ := w.Route(at(float64(i)/10), int64(i), profiler.Record{"k": i % 3}, buf[:0])
		for _, p := range ps {
			p.Column("n").UpdateInt64(v)
		}
		ref.Add(at(float64(i)/10), int64(i), map[string]any{"k": i % 3, "n": v})
	}
	for i := range 1000 {
		add(i)
	}
	ps, _ := w.Route(at(100), 1000, profiler.Record{"k": 0}, nil)
	clone := ps[0].Clone()
	ref.Route(at(100), 1000, profiler.Record{"k": 0}, nil)
	fs := w.Flush()
	ref.Flush()
	var wg sync.WaitGroup
	for _, f := range append(fs, profiler.Finished{Profile: clone}) {
		wg.Add(1)
		go func(p *profiler.DatasetProfile) {
			defer wg.Done()
			for i := range 2000 {
				p.Column("n").UpdateInt64(int64(i) * 7919)
				p.Column("m").UpdateInt64(int64(i) * 104729)
			}
		}(f.Profile)
	}
	for i := 1001; i < 3000; i++ {
		add(i)
	}
	wg.Wait()
	got, want := w.Flush(), ref.Flush()
	if len(got) != len(want) {
		t.Fatalf("%d profiles, want %d", len(got), len(want))
	}
	for i := range got {
		g, err := got[i].Profile.Column("n").Components()
		if err != nil {
			t.Fatal(err)
		}
		r, err := want[i].Profile.Column("n").Components()
		if err != nil {
			t.Fatal(err)
		}
		if len(g) == 0 || !reflect.DeepEqual(g, r) {
			t.Fatalf("profile %d (%s): components differ from the reference", i, got[i].SegmentKey)
		}
	}
}
