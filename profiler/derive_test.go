package profiler

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

var deriveT0 = time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)

func deriveConfig() WindowConfig {
	return WindowConfig{
		Dataset: "orders", Partition: "orders/1", Rotation: time.Minute, AllowedLateness: 10 * time.Second,
		Segments: Segmentation{Columns: []string{"seg"}}, FullDataset: true, MaxSegments: 3,
		Metadata: map[string]string{"team": "x"},
		Profile:  Config{NullDefersType: true},
	}
}

type deriveRec struct {
	t     time.Time
	off   int64
	rec   map[string]any
	flush bool // checkpoint flush after the record
}

// deriveStream returns n records over several windows: six segment values
// (and a missing one) under a cap of 3 segments, so the overflow segment
// fills; some records jump back in time (late partials); about 1% of the
// records are followed by a checkpoint flush. Column types are fixed per
// column, with nulls.
func deriveStream(seed uint64, n int) []deriveRec {
	rng := rand.New(rand.NewPCG(seed, 7))
	segs := []string{"US", "DE", "FR", "GB", "IT", "ES"}
	var out []deriveRec
	t := deriveT0
	off := int64(100)
	for range n {
		t = t.Add(time.Duration(rng.IntN(400)) * time.Millisecond)
		at := t
		if rng.IntN(20) == 0 {
			at = t.Add(-time.Duration(20+rng.IntN(150)) * time.Second)
		}
		r := map[string]any{}
		if rng.IntN(15) != 0 {
			r["seg"] = segs[rng.IntN(len(segs))]
		}
		if rng.IntN(5) == 0 {
			r["i"] = nil
		} else {
			r["i"] = int64(rng.IntN(2000) - 1000)
		}
		switch rng.IntN(30) {
		case 0:
			r["f"] = math.NaN()
		case 1:
			r["f"] = nil
		default:
			r["f"] = rng.NormFloat64() * 100
		}
		r["s"] = fmt.Sprintf("v%d", int(rng.ExpFloat64()*40))
		if rng.IntN(3) == 0 {
			r["b"] = rng.IntN(2) == 0
		}
		off += 1 + int64(rng.IntN(3))
		out = append(out, deriveRec{t: at, off: off, rec: r, flush: rng.IntN(100) == 0})
	}
	return out
}

// bucket is the set of records of one emitted full-dataset profile.
type bucket struct{ recs []map[string]any }

type bucketKey struct {
	start int64
	late  bool
}

// runDerive feeds the stream into ws and returns everything emitted, and for
// each emitted full-dataset profile the records it must hold (the records
// placed in its window, on time or late, since the previous emission of it).
func runDerive(t *testing.T, ws *WindowSet, stream []deriveRec) ([]Finished, []*bucket) {
	t.Helper()
	var out []Finished
	var truth []*bucket
	open := map[bucketKey]*bucket{}
	collect := func(fs []Finished) {
		for _, f := range fs {
			out = append(out, f)
			if f.SegmentKey != "" {
				truth = append(truth, nil)
				continue
			}
			k := bucketKey{f.Window.Start.Unix(), f.Kind == Late}
			b := open[k]
			if b == nil {
				t.Fatalf("full profile of %v (%v) emitted without records", f.Window.Start, f.Kind)
			}
			truth = append(truth, b)
			delete(open, k)
		}
	}
	for _, r := range stream {
		pl := ws.Add(r.t, r.off, r.rec)
		k := bucketKey{pl.Window.Start.Unix(), pl.Late}
		if open[k] == nil {
			open[k] = &bucket{}
		}
		open[k].recs = append(open[k].recs, r.rec)
		if pl.Profiles != 2 {
			t.Fatalf("record at offset %d placed in %d profiles, want 2", r.off, pl.Profiles)
		}
		collect(ws.Advance())
		if r.flush {
			collect(ws.Flush())
		}
	}
	collect(ws.Flush())
	if len(open) != 0 {
		t.Fatalf("%d buckets never emitted", len(open))
	}
	return out, truth
}

func newDeriveWS(t *testing.T, cfg WindowConfig, derive bool) *WindowSet {
	t.Helper()
	ws, err := NewWindowSet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !ws.derive {
		t.Fatal("column segments with the full profile and NullDefersType do not derive the full profile")
	}
	ws.derive = derive
	return ws
}

func TestDerivedFullMatchesDirect(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			stream := deriveStream(seed, 6000)
			cfg := deriveConfig()
			if seed == 3 {
				cfg.Profile.KLLK = 20 // small sketches: merging has to compact
				cfg.Profile.FrequentItemsLgMaxK = 3
			}
			got, truth := runDerive(t, newDeriveWS(t, cfg, true), stream)
			want, _ := runDerive(t, newDeriveWS(t, cfg, false), stream)
			if len(got) != len(want) {
				t.Fatalf("%d profiles emitted, direct path %d", len(got), len(want))
			}
			var kinds [4]int
			sawOverflow := false
			for i := range got {
				g, w := got[i], want[i]
				id := fmt.Sprintf("#%d %v %q %v first %d", i, g.Window.Start, g.SegmentKey, g.Kind, g.FirstOffset)
				if g.Window != w.Window || g.SegmentKey != w.SegmentKey || g.Kind != w.Kind ||
					g.FirstOffset != w.FirstOffset || g.LastOffset != w.LastOffset || g.Records != w.Records {
					t.Fatalf("%s: emitted %+v, direct path %+v", id, g, w)
				}
				gp, wp := g.Profile, w.Profile
				if !maps.Equal(gp.metadata, wp.metadata) || !gp.datasetTime.Equal(wp.datasetTime) ||
					!gp.creationTime.Equal(wp.creationTime) || !gp.segment.Equal(wp.segment) {
					t.Fatalf("%s: identity %v %v %v, direct %v %v %v", id, gp.metadata, gp.datasetTime, gp.segment,
						wp.metadata, wp.datasetTime, wp.segment)
				}
				if g.SegmentKey != "" {
					sawOverflow = sawOverflow || g.SegmentKey == OverflowSegmentKey
					gc, _ := gp.Components()
					wc, _ := wp.Components()
					if !reflect.DeepEqual(gc, wc) {
						t.Fatalf("%s: segment profile differs from the direct path's", id)
					}
					continue
				}
				kinds[g.Kind]++
				if int64(len(truth[i].recs)) != g.Records {
					t.Fatalf("%s: %d records, test model %d", id, g.Records, len(truth[i].recs))
				}
				checkDerivedFull(t, id, gp, wp, truth[i].recs)
			}
			if !sawOverflow || kinds[Closed] == 0 || kinds[Late] == 0 || kinds[Flushed] == 0 {
				t.Fatalf("stream covers too little: overflow %v, full profiles by kind %v", sawOverflow, kinds)
			}
		})
	}
}

// checkDerivedFull compares a derived full profile with the directly built
// one (exact metrics equal) and with the true values of its records (sketch
// estimates within their bounds).
func checkDerivedFull(t *testing.T, id string, got, want *DatasetProfile, recs []map[string]any) {
	t.Helper()
	if !slices.Equal(got.ColumnNames(), want.ColumnNames()) {
		t.Fatalf("%s: columns %v, direct %v", id, got.ColumnNames(), want.ColumnNames())
	}
	for _, name := range want.ColumnNames() {
		g, w := &got.columns[name].m, &want.columns[name].m
		if got.columns[name].typ != want.columns[name].typ || g.has != w.has {
			t.Fatalf("%s %s: type %v metrics %b, direct %v %b", id, name, got.columns[name].typ, g.has,
				want.columns[name].typ, w.has)
		}
		if g.counts != w.counts || g.types != w.types || g.ints != w.ints {
			t.Fatalf("%s %s: counts %+v types %+v ints %+v, direct %+v %+v %+v", id, name,
				g.counts, g.types, g.ints, w.counts, w.types, w.ints)
		}
		var vals []any
		for _, r := range recs {
			if v, ok := r[name]; ok && v != nil && !(name == "f" && math.IsNaN(v.(float64))) {
				vals = append(vals, v)
			}
		}
		var numeric uint64 // strings do not reach the distribution
		for _, v := range vals {
			if _, ok := v.(string); !ok {
				numeric++
			}
		}
		if g.has&hasDist != 0 {
			gk, wk := g.dist.kll, w.dist.kll
			if gk.N() != wk.N() || gk.N() != numeric || (numeric > 0 && (gk.Min() != wk.Min() || gk.Max() != wk.Max())) {
				t.Fatalf("%s %s: kll n %d [%v, %v], direct %d [%v, %v], values %d", id, name,
					gk.N(), gk.Min(), gk.Max(), wk.N(), wk.Min(), wk.Max(), len(vals))
			}
			if !close(g.dist.mean, w.dist.mean) || !close(g.dist.m2, w.dist.m2) {
				t.Fatalf("%s %s: mean %v m2 %v, direct %v %v", id, name, g.dist.mean, g.dist.m2, w.dist.mean, w.dist.m2)
			}
		}
		distinct := map[string]int64{}
		for _, v := range vals {
			switch x := v.(type) {
			case bool:
				distinct[map[bool]string{true: "True", false: "False"}[x]]++
			default:
				distinct[fmt.Sprint(x)]++
			}
		}
		if g.has&hasCard != 0 {
			n := float64(len(distinct))
			if lb, ub := g.card.LowerBound(3), g.card.UpperBound(3); n < lb || n > ub {
				t.Fatalf("%s %s: %v distinct values outside the HLL bounds [%v, %v]", id, name, n, lb, ub)
			}
		}
		if g.has&hasFI != 0 {
			if g.fi.fs.StreamLength() != w.fi.fs.StreamLength() || g.fi.fs.StreamLength() != int64(len(vals)) {
				t.Fatalf("%s %s: frequent items stream %d, direct %d, values %d", id, name,
					g.fi.fs.StreamLength(), w.fi.fs.StreamLength(), len(vals))
			}
			for item, c := range distinct {
				if lb, ub := g.fi.fs.LowerBound(item), g.fi.fs.UpperBound(item); c < lb || c > ub {
					t.Fatalf("%s %s: item %q seen %d times, frequent items bounds [%d, %d]", id, name, item, c, lb, ub)
				}
			}
		}
	}
}

func close(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestDerivedFullDeterministic replays the same records (maps iterated in
// a different order each time) and expects identical full profiles.
func TestDerivedFullDeterministic(t *testing.T) {
	stream := deriveStream(11, 3000)
	a, _ := runDerive(t, newDeriveWS(t, deriveConfig(), true), stream)
	b, _ := runDerive(t, newDeriveWS(t, deriveConfig(), true), stream)
	if len(a) != len(b) {
		t.Fatalf("%d and %d profiles", len(a), len(b))
	}
	full := 0
	for i := range a {
		ca, err := a[i].Profile.Components()
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := b[i].Profile.Components()
		if !reflect.DeepEqual(ca, cb) || !maps.Equal(a[i].Profile.metadata, b[i].Profile.metadata) {
			t.Fatalf("#%d (%q, %v): replay gives different profiles", i, a[i].SegmentKey, a[i].Kind)
		}
		if a[i].SegmentKey == "" {
			full++
		}
	}
	if full == 0 {
		t.Fatal("no full profile emitted")
	}
}

// TestDerivedFullOnlyForColumnSegments: explicit segments (a record may
// match several or none) and whylogs' null rule keep the direct path.
func TestDerivedFullOnlyForColumnSegments(t *testing.T) {
	for name, cfg := range map[string]WindowConfig{
		"explicit": {Rotation: time.Minute, FullDataset: true, Profile: Config{NullDefersType: true},
			Segments: Segmentation{Explicit: [][]SegmentTag{{{Key: "seg", Value: "US"}}}}},
		"null rule":   {Rotation: time.Minute, FullDataset: true, Segments: Segmentation{Columns: []string{"seg"}}},
		"no full":     {Rotation: time.Minute, Profile: Config{NullDefersType: true}, Segments: Segmentation{Columns: []string{"seg"}}},
		"unsegmented": {Rotation: time.Minute, FullDataset: true, Profile: Config{NullDefersType: true}},
	} {
		ws, err := NewWindowSet(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if ws.derive {
			t.Errorf("%s: derives the full profile", name)
		}
	}
	// Explicit segments: an unmatched record still reaches the full profile.
	ws, _ := NewWindowSet(WindowConfig{Rotation: time.Minute, FullDataset: true, Profile: Config{NullDefersType: true},
		Segments: Segmentation{Explicit: [][]SegmentTag{{{Key: "seg", Value: "US"}}}}})
	ws.Add(deriveT0, 1, map[string]any{"seg": "FR", "x": int64(1)})
	fs := ws.Flush()
	if len(fs) != 1 || fs[0].SegmentKey != "" || fs[0].Profile.columns["x"].m.counts.n != 1 {
		t.Fatalf("unmatched record: emitted %+v", fs)
	}
}

// TestDerivedFullHeldOffsets: the derived full profile's bookkeeping keeps
// MinOffset and OpenProfiles as the direct path does.
func TestDerivedFullHeldOffsets(t *testing.T) {
	ws := newDeriveWS(t, deriveConfig(), true)
	direct := newDeriveWS(t, deriveConfig(), false)
	for i, r := range deriveStream(5, 500) {
		ws.Add(r.t, r.off, r.rec)
		direct.Add(r.t, r.off, r.rec)
		ws.Advance()
		direct.Advance()
		g, gok := ws.MinOffset()
		w, wok := direct.MinOffset()
		if g != w || gok != wok || ws.OpenProfiles() != direct.OpenProfiles() {
			t.Fatalf("record %d: min offset %d %v, %d profiles; direct %d %v, %d", i, g, gok, ws.OpenProfiles(), w, wok,
				direct.OpenProfiles())
		}
	}
}

// BenchmarkDeriveFull is the cost of building the full profile of a window
// of 1,000 segments (20,000 records of 8 columns) at Flush.
func BenchmarkDeriveFull(b *testing.B) {
	cfg := deriveConfig()
	cfg.MaxSegments = 1000
	cfg.Rotation = time.Hour
	ws, err := NewWindowSet(cfg)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		ws.Add(deriveT0, int64(i), map[string]any{
			"seg": int64(i % 1000), "i": int64(rng.IntN(5000)), "f": rng.Float64(), "s": fmt.Sprint("v", rng.IntN(500)),
			"t": fmt.Sprint("id", i), "u": int64(i), "v": rng.NormFloat64(), "w": i%3 == 0,
		})
	}
	win := ws.open[deriveT0.Unix()]
	b.ReportAllocs()
	c0, n := benchCPU(), 0
	for b.Loop() {
		ws.deriveFull(win)
		n++
	}
	b.ReportMetric(float64(benchCPU()-c0)/float64(n), "cpu-ns/op")
}
