package profiler_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

var t0 = time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC) // a minute boundary

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func newWS(t testing.TB, cfg profiler.WindowConfig) *profiler.WindowSet {
	t.Helper()
	w, err := profiler.NewWindowSet(cfg)
	if err != nil {
		t.Fatalf("NewWindowSet: %v", err)
	}
	return w
}

func countN(t testing.TB, p *profiler.DatasetProfile, col string) int64 {
	t.Helper()
	return getInt(t, summary(t, p, col), "counts/n")
}

// describe renders finished profiles as "start+Ns seg kind n=..." lines.
func describe(t testing.TB, fs []profiler.Finished) []string {
	t.Helper()
	var out []string
	for _, f := range fs {
		var n int64
		if _, ok := f.Profile.Lookup("x"); ok {
			n = countN(t, f.Profile, "x")
		}
		out = append(out, fmt.Sprintf("%v %q %v n=%d off=%d-%d", f.Window.Start.Sub(t0), f.SegmentKey, f.Kind, n, f.FirstOffset, f.LastOffset))
	}
	return out
}

func TestWindowSetConfigErrors(t *testing.T) {
	cases := []profiler.WindowConfig{
		{Rotation: 7 * time.Minute},
		{Rotation: -time.Minute},
		{Rotation: 0}, // no rotation needs a start
		{Rotation: time.Minute, AllowedLateness: -time.Second},
		{Rotation: time.Minute, MaxSegments: -1},
		{Rotation: time.Minute, Segments: profiler.Segmentation{Columns: []string{"a"}, Explicit: [][]profiler.SegmentTag{{{Key: "a", Value: "1"}}}}},
		{Rotation: time.Minute, Segments: profiler.Segmentation{Columns: []string{"a", "a"}}},
		{Rotation: time.Minute, Segments: profiler.Segmentation{Explicit: [][]profiler.SegmentTag{{}}}},
		{Rotation: time.Minute, Segments: profiler.Segmentation{Explicit: [][]profiler.SegmentTag{{{Key: "a", Value: "1"}}, {{Key: "a", Value: "1"}}}}},
		{Rotation: time.Minute, Profile: profiler.Config{KLLK: 3}},
	}
	for i, c := range cases {
		if _, err := profiler.NewWindowSet(c); !errors.Is(err, profiler.ErrInvalidArgument) {
			t.Errorf("case %d: NewWindowSet(%+v) error %v, want ErrInvalidArgument", i, c, err)
		}
	}
}

func TestWindowSetWatermarkMonotonic(t *testing.T) {
	w := newWS(t, profiler.WindowConfig{Rotation: time.Minute})
	if _, ok := w.Watermark(); ok {
		t.Fatal("watermark set before any record")
	}
	var max time.Time
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		tm := at(float64(r.IntN(600)) - 100)
		w.Add(tm, int64(i), map[string]any{"x": i})
		if tm.After(max) || i == 0 {
			max = tm
		}
		wm, ok := w.Watermark()
		if !ok || !wm.Equal(max) {
			t.Fatalf("after %d records watermark %v, want the max event time %v", i+1, wm, max)
		}
		if i%50 == 0 {
			w.Advance()
		}
	}
	before, _ := w.Watermark()
	w.AdvanceTo(before.Add(-time.Hour)) // never moves back
	if wm, _ := w.Watermark(); !wm.Equal(before) {
		t.Fatalf("AdvanceTo into the past moved the watermark to %v", wm)
	}
	w.AdvanceTo(before.Add(time.Hour))
	if wm, _ := w.Watermark(); !wm.Equal(before.Add(time.Hour)) {
		t.Fatalf("AdvanceTo did not move the watermark forward: %v", wm)
	}
}

func TestWindowSetLatenessBoundaries(t *testing.T) {
	const L = 10 * time.Second
	w := newWS(t, profiler.WindowConfig{Dataset: "d", Rotation: time.Minute, AllowedLateness: L})
	rec := func(i int) map[string]any { return map[string]any{"x": i} }

	// Window [0, 60). A record at t == 60 belongs to the next window.
	if pl := w.Add(at(0), 0, rec(0)); pl.Late || !pl.Window.Start.Equal(t0) {
		t.Fatalf("first record: %+v", pl)
	}
	if pl := w.Add(at(60), 1, rec(1)); pl.Late || !pl.Window.Start.Equal(at(60)) {
		t.Fatalf("t == end went to %v (late %v), want the next window", pl.Window, pl.Late)
	}
	// Watermark 69.999: end + lateness = 70 not reached; the window is open.
	w.Add(at(69.999), 2, rec(2))
	if got := w.Advance(); len(got) != 0 {
		t.Fatalf("watermark before end+lateness emitted %v", describe(t, got))
	}
	if pl := w.Add(at(59), 3, rec(3)); pl.Late {
		t.Fatal("record within the allowed lateness counted as late")
	}
	// Watermark exactly end + lateness: the window is closed.
	w.Add(at(70), 4, rec(4))
	if pl := w.Add(at(59.5), 5, rec(5)); !pl.Late || !pl.Window.Start.Equal(t0) {
		t.Fatalf("record for a closed window: %+v, want late in window %v", pl, t0)
	}
	if d := describe(t, w.Advance()); !slices.Equal(d, []string{`0s "" closed n=2 off=0-3`}) {
		t.Fatalf("Advance = %q", d)
	}
	// Later late records of that window join the same late partial until it
	// is due: one rotation plus the lateness of watermark progress after the
	// first of them (watermark 70 → due at 140).
	w.Add(at(1), 6, rec(6))
	w.Add(at(2), 7, rec(7))
	w.Add(at(139.999), 8, rec(8))
	if d := describe(t, w.Advance()); !slices.Equal(d, []string{`1m0s "" closed n=3 off=1-4`}) {
		t.Fatalf("Advance before the late partial is due = %q", d)
	}
	w.Add(at(140), 9, rec(9))
	got := w.Advance()
	if d := describe(t, got); !slices.Equal(d, []string{`0s "" late n=3 off=5-7`}) {
		t.Fatalf("Advance when the late partial is due = %q", d)
	}
	f := got[0]
	// The late partial has the same dataset timestamp (window start) and is marked.
	if !f.Profile.DatasetTimestamp().Equal(t0) || !f.Profile.CreationTimestamp().Equal(t0) {
		t.Errorf("late profile timestamps %v/%v, want the window start", f.Profile.DatasetTimestamp(), f.Profile.CreationTimestamp())
	}
	md := f.Profile.Metadata()
	if md[profiler.MetaLate] != "true" || md[profiler.MetaFirstOffset] != "5" || md[profiler.MetadataName] != "d" ||
		md[profiler.MetaWindowEnd] != strconv.FormatInt(at(60).UnixMilli(), 10) {
		t.Errorf("late profile metadata %v", md)
	}
	if s := w.Stats(); s.Records != 10 || s.Late != 3 {
		t.Fatalf("stats %+v, want 10 records, 3 late", s)
	}
	rest := w.Flush()
	if d := describe(t, rest); !slices.Equal(d, []string{`2m0s "" flushed n=2 off=8-9`}) {
		t.Fatalf("Flush = %q", d)
	}
	if _, late := rest[0].Profile.Metadata()[profiler.MetaLate]; late {
		t.Error("on-time profile marked late")
	}
}

func TestWindowSetMinOffset(t *testing.T) {
	w := newWS(t, profiler.WindowConfig{Rotation: time.Minute, Segments: profiler.Segmentation{Columns: []string{"k"}}})
	if _, ok := w.MinOffset(); ok {
		t.Fatal("MinOffset on an empty set")
	}
	w.Add(at(1), 10, map[string]any{"k": "a"})
	w.Add(at(61), 11, map[string]any{"k": "b"})
	w.Add(at(62), 12, map[string]any{"k": "a"})
	if m, ok := w.MinOffset(); !ok || m != 10 {
		t.Fatalf("MinOffset = %d, %v; want 10", m, ok)
	}
	w.Advance() // closes window 0 (offset 10)
	if m, ok := w.MinOffset(); !ok || m != 11 {
		t.Fatalf("after Advance MinOffset = %d, %v; want 11", m, ok)
	}
	w.Add(at(5), 13, map[string]any{"k": "a"}) // late partial of window 0
	if m, _ := w.MinOffset(); m != 11 {
		t.Fatalf("with a late partial MinOffset = %d; want 11", m)
	}
	w.Flush()
	if _, ok := w.MinOffset(); ok {
		t.Fatal("MinOffset after Flush")
	}
}

func TestWindowSetLateWithZeroLateness(t *testing.T) {
	w := newWS(t, profiler.WindowConfig{Rotation: time.Minute})
	w.Add(at(10), 0, map[string]any{"x": 1})
	w.Add(at(60), 1, map[string]any{"x": 1}) // watermark = end: window 0 closed
	if pl := w.Add(at(59.999), 2, map[string]any{"x": 1}); !pl.Late {
		t.Fatal("record behind a closed window (lateness 0) is not late")
	}
	if d := describe(t, w.Advance()); !slices.Equal(d, []string{`0s "" closed n=1 off=0-0`}) {
		t.Fatalf("Advance = %q", d)
	}
	if d := describe(t, w.Flush()); !slices.Equal(d, []string{`0s "" late n=1 off=2-2`, `1m0s "" flushed n=1 off=1-1`}) {
		t.Fatalf("Flush = %q", d)
	}
}

func TestWindowSetLatenessIndependentOfAdvanceCalls(t *testing.T) {
	// The same records give the same profiles whether Advance runs after every
	// record or only at the end.
	r := rand.New(rand.NewPCG(7, 7))
	type ev struct {
		t time.Time
		x int
	}
	var evs []ev
	for i := range 2000 {
		evs = append(evs, ev{at(float64(i)/5 - float64(r.IntN(40))), r.IntN(1000)})
	}
	run := func(every int) map[string][]profiler.ColumnComponents {
		w := newWS(t, profiler.WindowConfig{Dataset: "d", Rotation: 30 * time.Second, AllowedLateness: 5 * time.Second})
		var all []profiler.Finished
		for i, e := range evs {
			w.Add(e.t, int64(i), map[string]any{"x": e.x})
			if every > 0 && i%every == 0 {
				all = append(all, w.Advance()...)
			}
		}
		all = append(all, w.Flush()...)
		// Merge by window so the split of late records into partials does not matter.
		merged := map[string]*profiler.DatasetProfile{}
		var n int64
		for _, f := range all {
			n += f.Records
			k := f.Window.Start.String() + "/" + f.Kind.String()
			if f.Kind == profiler.Late {
				k = f.Window.Start.String() + "/late"
			}
			if m, ok := merged[k]; ok {
				if err := m.Merge(f.Profile, profiler.MergeOptions{}); err != nil {
					t.Fatal(err)
				}
			} else {
				merged[k] = f.Profile
			}
		}
		if n != int64(len(evs)) {
			t.Fatalf("records in profiles %d, want %d", n, len(evs))
		}
		out := map[string][]profiler.ColumnComponents{}
		for k, p := range merged {
			c, err := p.Components()
			if err != nil {
				t.Fatal(err)
			}
			out[k] = c
		}
		return out
	}
	a, b := run(1), run(0)
	if len(a) != len(b) {
		t.Fatalf("%d vs %d window profiles", len(a), len(b))
	}
	for k, ca := range a {
		cb, ok := b[k]
		if !ok {
			t.Fatalf("window %s only with per-record Advance", k)
		}
		// Non-late window contents are decided by record order alone.
		if !slices.Contains([]string{"late"}, k[len(k)-4:]) && !componentsEqual(ca, cb) {
			t.Errorf("window %s differs between Advance patterns", k)
		}
	}
}

func TestWindowSetSegmentsCapOverflowAndFull(t *testing.T) {
	w := newWS(t, profiler.WindowConfig{
		Dataset: "d", Rotation: time.Minute, AllowedLateness: time.Hour, MaxSegments: 2, FullDataset: true,
		Segments: profiler.Segmentation{Columns: []string{"country", "mobile"}},
	})
	recs := []map[string]any{
		{"country": "US", "mobile": true, "x": 1},
		{"country": "DE", "mobile": false, "x": 2},
		{"country": "US", "mobile": true, "x": 3},
		{"country": "FR", "mobile": true, "x": 4}, // third segment: overflow
		{"country": "IT", "x": 5},                 // missing field → "None"; overflow
		{"country": "DE", "mobile": false, "x": 6},
	}
	for i, r := range recs {
		pl := w.Add(at(float64(i)), int64(i), r)
		if wantOvf := i == 3 || i == 4; pl.Overflow != wantOvf || pl.Profiles != 2 {
			t.Errorf("record %d: %+v", i, pl)
		}
	}
	// A new window has its own cap.
	w.Add(at(61), 6, map[string]any{"country": "FR", "mobile": true, "x": 7})
	w.Add(at(62), 7, map[string]any{"country": "IT", "mobile": nil, "x": 8})
	if s := w.Stats(); s.Overflow != 2 || s.Records != 8 {
		t.Fatalf("stats %+v", s)
	}
	got := w.Flush()
	want := []string{
		`0s "" flushed n=6 off=0-5`,
		`0s "__overflow__" flushed n=2 off=3-4`,
		`0s "country=DE,mobile=False" flushed n=2 off=1-5`,
		`0s "country=US,mobile=True" flushed n=2 off=0-2`,
		`1m0s "" flushed n=2 off=6-7`,
		`1m0s "country=FR,mobile=True" flushed n=1 off=6-6`,
		`1m0s "country=IT,mobile=None" flushed n=1 off=7-7`,
	}
	if d := describe(t, got); !slices.Equal(d, want) {
		t.Fatalf("Flush =\n%q\nwant\n%q", d, want)
	}
	us := got[3].Profile.Segment()
	wantSeg, _ := profiler.NewSegment("", []string{"country", "mobile"}, "", []string{"US", "True"})
	if !us.Equal(wantSeg) || us.PartitionID != profiler.PartitionID([]string{"country", "mobile"}, "") {
		t.Errorf("segment %+v, want %+v", us, wantSeg)
	}
	ovf := got[1].Profile.Segment()
	if ovf.String() != "country=__overflow__,mobile=__overflow__" || ovf.PartitionID != us.PartitionID {
		t.Errorf("overflow segment %+v", ovf)
	}
	if !got[0].Profile.Segment().IsZero() {
		t.Errorf("full-dataset profile has a segment")
	}
	// Segments admitted before a flush stay admitted: DE is still a real segment,
	// FR still overflows.
	w.Add(at(30), 8, map[string]any{"country": "DE", "mobile": false, "x": 9})
	if pl := w.Add(at(31), 9, map[string]any{"country": "FR", "mobile": true, "x": 10}); !pl.Overflow {
		t.Error("segment over the cap admitted after a flush")
	}
}

func TestWindowSetSegmentsWithoutFull(t *testing.T) {
	w := newWS(t, profiler.WindowConfig{Rotation: time.Minute, Segments: profiler.Segmentation{Columns: []string{"k"}}})
	w.Add(at(1), 0, map[string]any{"k": 1.5, "x": 1})
	w.Add(at(2), 1, map[string]any{"k": 2, "x": 2})
	if d := describe(t, w.Flush()); !slices.Equal(d, []string{`0s "k=1.5" flushed n=1 off=0-0`, `0s "k=2" flushed n=1 off=1-1`}) {
		t.Fatalf("Flush = %q", d)
	}
}

func TestWindowSetExplicitSegments(t *testing.T) {
	w := newWS(t, profiler.WindowConfig{
		Rotation: time.Minute, FullDataset: true,
		Segments: profiler.Segmentation{Explicit: [][]profiler.SegmentTag{
			{{Key: "device", Value: "ios"}, {Key: "country", Value: "US"}},
			{{Key: "country", Value: "US"}},
			{{Key: "country", Value: "a,b=c"}},
		}},
	})
	recs := []map[string]any{
		{"country": "US", "device": "ios", "x": 1}, // both US segments
		{"country": "US", "device": "web", "x": 2},
		{"country": "DE", "device": "ios", "x": 3}, // unmatched
		{"country": "a,b=c", "x": 4},
	}
	for i, r := range recs {
		pl := w.Add(at(float64(i)), int64(i), r)
		if want := []int{3, 2, 1, 2}[i]; pl.Profiles != want {
			t.Errorf("record %d: %d profiles, want %d", i, pl.Profiles, want)
		}
	}
	if s := w.Stats(); s.Unmatched != 1 {
		t.Fatalf("unmatched %d, want 1", s.Unmatched)
	}
	got := w.Flush()
	want := []string{
		`0s "" flushed n=4 off=0-3`,
		`0s "country=US" flushed n=2 off=0-1`,
		`0s "country=US,device=ios" flushed n=1 off=0-0`,
		`0s "country=a\\,b\\=c" flushed n=1 off=3-3`,
	}
	if d := describe(t, got); !slices.Equal(d, want) {
		t.Fatalf("Flush = %q, want %q", d, want)
	}
	seg := got[2].Profile.Segment()
	if !slices.Equal(seg.Columns, []string{"country", "device"}) || seg.PartitionName != "country,device" ||
		seg.PartitionID != profiler.PartitionID([]string{"country", "device"}, "") {
		t.Errorf("explicit segment %+v", seg)
	}
}

func TestWindowSetNoRotation(t *testing.T) {
	start := time.Date(2020, 5, 1, 7, 8, 9, 0, time.UTC)
	w := newWS(t, profiler.WindowConfig{Rotation: 0, Start: start})
	for i := range 10 {
		w.Add(at(float64(i*3600)), int64(i), map[string]any{"x": i})
	}
	if got := w.Advance(); len(got) != 0 {
		t.Fatalf("Advance without rotation emitted %d", len(got))
	}
	got := w.Flush()
	if len(got) != 1 || !got[0].Profile.DatasetTimestamp().Equal(start) || countN(t, got[0].Profile, "x") != 10 {
		t.Fatalf("Flush = %q", describe(t, got))
	}
	if _, ok := got[0].Profile.Metadata()[profiler.MetaWindowEnd]; ok {
		t.Error("window end written without rotation")
	}
}

func TestWindowSetOrderAndPartitionIdentity(t *testing.T) {
	w := newWS(t, profiler.WindowConfig{Dataset: "d", Partition: "orders/3", Rotation: time.Minute, AllowedLateness: 10 * time.Minute,
		Segments: profiler.Segmentation{Columns: []string{"k"}}})
	for i, k := range []string{"b", "a", "c"} {
		w.Add(at(float64(120-60*i)), int64(i), map[string]any{"k": k, "x": i})
	}
	got := w.Flush()
	if d := describe(t, got); !slices.Equal(d, []string{`0s "k=c" flushed n=1 off=2-2`, `1m0s "k=a" flushed n=1 off=1-1`, `2m0s "k=b" flushed n=1 off=0-0`}) {
		t.Fatalf("order %q", d)
	}
	if got[0].Profile.Metadata()[profiler.MetaPartition] != "orders/3" {
		t.Error("partition metadata missing")
	}
}

// records12 returns n records of mixed columns; the maps are built in
// a shuffled key order.
func mixedRecords(n int, seed uint64) []map[string]any {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]map[string]any, n)
	for i := range out {
		m := map[string]any{}
		keys := []string{"a", "b", "c", "d", "e", "f", "g", "seg"}
		r.Shuffle(len(keys), func(x, y int) { keys[x], keys[y] = keys[y], keys[x] })
		for _, k := range keys {
			switch k {
			case "a":
				m[k] = r.IntN(1000)
			case "b":
				m[k] = r.NormFloat64()
			case "c":
				m[k] = fmt.Sprintf("s%d", r.IntN(50))
			case "d":
				m[k] = r.IntN(2) == 0
			case "e":
				m[k] = nil
			case "f":
				m[k] = r.ExpFloat64()
			case "g":
				m[k] = int64(r.IntN(7))
			case "seg":
				m[k] = []string{"x", "y", "z"}[r.IntN(3)]
			}
		}
		out[i] = m
	}
	return out
}

func TestWindowSetDeterminism(t *testing.T) {
	recs := mixedRecords(30000, 3)
	run := func(recs []map[string]any) []profiler.Finished {
		w := newWS(t, profiler.WindowConfig{Dataset: "d", Partition: "p0", Rotation: time.Minute, AllowedLateness: time.Second,
			FullDataset: true, Segments: profiler.Segmentation{Columns: []string{"seg"}}})
		var out []profiler.Finished
		for i, r := range recs {
			w.Add(at(float64(i)/100-float64(i%7)), int64(i), r)
			if i%1000 == 0 {
				out = append(out, w.Advance()...)
			}
		}
		return append(out, w.Flush()...)
	}
	// Same records rebuilt as fresh maps (different insertion and iteration order).
	copies := make([]map[string]any, len(recs))
	for i, r := range recs {
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		slices.Reverse(keys)
		m := make(map[string]any, len(r))
		for _, k := range keys {
			m[k] = r[k]
		}
		copies[i] = m
	}
	a, b := run(recs), run(copies)
	if len(a) != len(b) || len(a) < 10 {
		t.Fatalf("%d vs %d finished profiles", len(a), len(b))
	}
	estimation := false
	for i := range a {
		ca, err := a[i].Profile.Components()
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := b[i].Profile.Components()
		if a[i].SegmentKey != b[i].SegmentKey || !a[i].Window.Start.Equal(b[i].Window.Start) || !componentsEqual(ca, cb) {
			t.Fatalf("profile %d (%v %q) differs between runs", i, a[i].Window.Start, a[i].SegmentKey)
		}
		if fa, fb := a[i].Profile.FileProperties(), b[i].Profile.FileProperties(); fmt.Sprint(fa) != fmt.Sprint(fb) {
			t.Fatalf("profile %d properties differ: %v vs %v", i, fa, fb)
		}
		if a[i].Records > 2100 {
			estimation = true
		}
	}
	if !estimation {
		t.Fatal("no profile large enough for KLL compaction; the test would not see seed differences")
	}
}
