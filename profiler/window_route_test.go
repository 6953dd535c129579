package profiler_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// scalarRecord is a map record that also implements profiler.ScalarFields,
// as the pipeline's buffered records do: scalars unboxed, anything else
// declined (Route then asks Field).
type scalarRecord map[string]any

func (r scalarRecord) Field(name string) (any, bool) { v, ok := r[name]; return v, ok }

func (r scalarRecord) ScalarField(name string) (profiler.ScalarKind, uint64, []byte, bool) {
	switch x := r[name].(type) {
	case nil:
		return profiler.ScalarNull, 0, nil, true
	case bool:
		if x {
			return profiler.ScalarBool, 1, nil, true
		}
		return profiler.ScalarBool, 0, nil, true
	case int64:
		return profiler.ScalarInt, uint64(x), nil, true
	case float64:
		return profiler.ScalarFloat, math.Float64bits(x), nil, true
	case string:
		return profiler.ScalarString, 0, []byte(x), true
	}
	return 0, 0, nil, false
}

// routeValues are segment values that stress key building: separators that
// are escaped, long values (the raw form's multi-byte lengths), values
// whose concatenations collide ("a"+"bc" and "ab"+"c"), every scalar kind,
// and a type only Field serves.
var routeValues = []any{
	"US", "DE", "a", "ab", "bc", "c", "", "a,b", "a=b", `a\b`, "=", ",", `\`,
	strings.Repeat("x", 127), strings.Repeat("x", 128), strings.Repeat("y", 300) + "=",
	int64(0), int64(-7), int64(math.MaxInt64), 1.0, 0.5, 1e16, 1e-5, math.NaN(), math.Inf(-1),
	true, false, nil, int32(12), []string{"obj"}, "None", "True", "12",
	// One segment value from scalars of different kinds (the scalar
	// cache keys them apart, the segment is the same).
	"1", int64(1), int(1), "1.0", 1.0, "0", int64(0), "-0.0", math.Copysign(0, -1), "nan",
	// Strings that share their first 8 bytes (the packed bits) and differ
	// in the tail, and tails that split differently between two columns.
	"abcdefghX", "abcdefghY", "abcdefgh", "abcdefghXY", "abcdefghXYZ", "abcdefg", "abcdefgh\x00",
}

func randRouteRecord(r *rand.Rand, cols []string) map[string]any {
	m := map[string]any{"x": r.IntN(100)}
	for _, c := range cols {
		if r.IntN(8) == 0 {
			continue // missing: "None"
		}
		// Mostly a few hot values, as real streams have.
		if r.IntN(4) > 0 {
			m[c] = routeValues[r.IntN(4)]
		} else {
			m[c] = routeValues[r.IntN(len(routeValues))]
		}
	}
	return m
}

type routeCase struct {
	name string
	cfg  profiler.WindowConfig
	cols []string // fields the records carry
}

func routeCases() []routeCase {
	explicit := [][]profiler.SegmentTag{
		{{Key: "a", Value: "US"}},
		{{Key: "a", Value: "DE"}, {Key: "b", Value: "US"}},
		{{Key: "b", Value: "None"}},
		{{Key: "a", Value: "a,b"}},
		{{Key: "b", Value: "1e+16"}},
		{{Key: "a", Value: "True"}, {Key: "b", Value: "-7"}},
	}
	var cs []routeCase
	for _, cap := range []int{0, 3} {
		for _, full := range []bool{false, true} {
			for _, nd := range []bool{false, true} {
				cs = append(cs,
					routeCase{fmt.Sprintf("one/cap%d/full%v/nd%v", cap, full, nd), profiler.WindowConfig{
						Segments: profiler.Segmentation{Columns: []string{"a"}}, MaxSegments: cap, FullDataset: full,
						Profile: profiler.Config{NullDefersType: nd}}, []string{"a"}},
					routeCase{fmt.Sprintf("two/cap%d/full%v/nd%v", cap, full, nd), profiler.WindowConfig{
						Segments: profiler.Segmentation{Columns: []string{"a", "b,c"}}, MaxSegments: cap, FullDataset: full,
						Profile: profiler.Config{NullDefersType: nd}}, []string{"a", "b,c"}})
			}
		}
		_ = cap
	}
	for _, full := range []bool{false, true} {
		cs = append(cs, routeCase{fmt.Sprintf("explicit/full%v", full), profiler.WindowConfig{
			Segments: profiler.Segmentation{Explicit: explicit}, FullDataset: full}, []string{"a", "b"}})
	}
	return cs
}

// TestRouteMatchesReference routes random streams (late data, segments
// over the cap, missing and non-scalar fields, Advance and Flush at random
// points) and checks every decision against a model of the specification
// built from SegmentValue and SegmentKey: the segment a record goes into,
// the overflow decision (a window admits the first MaxSegments keys), and
// that no record reaches a profile that was already emitted. It runs each
// stream with plain map records and with ScalarFields records, which must
// give the same placements and byte-identical profiles, calling Route or
// RouteInto at random.
func TestRouteMatchesReference(t *testing.T) {
	for _, rc := range routeCases() {
		for seed := range uint64(4) {
			cfg := rc.cfg
			cfg.Dataset, cfg.Partition = "d", "t/0"
			cfg.Rotation = []time.Duration{time.Second, time.Minute}[seed%2]
			cfg.AllowedLateness = time.Duration(seed%3) * cfg.Rotation / 2
			plain := runRoute(t, rc, cfg, seed, false)
			scalar := runRoute(t, rc, cfg, seed, true)
			if len(plain) != len(scalar) {
				t.Fatalf("%s seed %d: %d profiles with map records, %d with scalar records", rc.name, seed, len(plain), len(scalar))
			}
			for i := range plain {
				if plain[i] != scalar[i] {
					t.Fatalf("%s seed %d: profile %d differs:\nmap    %s\nscalar %s", rc.name, seed, i, plain[i], scalar[i])
				}
			}
		}
	}
}

// runRoute routes one random stream, checks it against the model and
// returns the emitted profiles rendered with their components.
func runRoute(t *testing.T, rc routeCase, cfg profiler.WindowConfig, seed uint64, scalar bool) []string {
	t.Helper()
	w := newWS(t, cfg)
	r := rand.New(rand.NewPCG(seed, 7))
	capN := cfg.MaxSegments
	if capN == 0 {
		capN = profiler.DefaultMaxSegments
	}
	type winKey struct {
		start int64
		late  bool
	}
	admitted := map[winKey][]string{}
	// Late partials: a late record whose window's partial is due (the
	// watermark, the latest time routed, reached the time the partial was
	// started + rotation + lateness) starts a new partial with its own
	// admissions; lateFrom is the first offset of each current partial.
	lateDue, lateFrom := map[int64]time.Time{}, map[int64]int64{}
	var wm time.Time
	hasWM := false
	routed := map[*profiler.DatasetProfile]int64{} // records routed into each held profile
	emitted := map[*profiler.DatasetProfile]bool{}
	var out []string
	collect := func(fs []profiler.Finished) {
		for _, f := range fs {
			if st := f.Window.Start.Unix(); f.Kind == profiler.Late && f.FirstOffset >= lateFrom[st] {
				delete(admitted, winKey{st, true}) // the current partial, not a sealed one
				delete(lateDue, st)
			}
			if n, ok := routed[f.Profile]; ok && n != f.Records {
				t.Fatalf("%s: profile %q holds %d records, %d were routed into it", rc.name, f.SegmentKey, f.Records, n)
			}
			emitted[f.Profile] = true
			out = append(out, renderFinished(t, f))
		}
	}
	rot := cfg.Rotation.Milliseconds()
	var buf []*profiler.DatasetProfile
	var overflows, unmatched int64
	for i := range 1500 {
		ms := int64(i)*rot/40 - r.Int64N(rot*2)
		rec := randRouteRecord(r, rc.cols)
		var fields profiler.Fields = profiler.Record(rec)
		if scalar {
			fields = scalarRecord(rec)
		}
		var pl profiler.Placement
		if r.IntN(2) == 0 {
			buf, pl = w.Route(time.UnixMilli(ms), int64(i), fields, buf[:0])
		} else {
			pl.Late = true // RouteInto must set every field
			buf = w.RouteInto(time.UnixMilli(ms), int64(i), fields, buf[:0], &pl)
		}
		wantN := len(buf)
		if len(cfg.Segments.Columns) > 0 && cfg.FullDataset && cfg.Profile.NullDefersType {
			wantN++ // the derived full-dataset profile
		}
		if pl.Profiles != wantN || pl.Window != profiler.WindowOf(time.UnixMilli(ms), cfg.Rotation) {
			t.Fatalf("%s seed %d record %d: placement %+v, want %d profiles", rc.name, seed, i, pl, wantN)
		}
		for _, p := range buf {
			p.Track(rec)
			if emitted[p] {
				t.Fatalf("%s seed %d record %d: routed into an emitted profile", rc.name, seed, i)
			}
			routed[p]++
		}
		// The model.
		if st := pl.Window.Start.Unix(); pl.Late {
			if d, ok := lateDue[st]; ok && !wm.Before(d) {
				delete(admitted, winKey{st, true})
				delete(lateDue, st)
			}
			if _, ok := lateDue[st]; !ok {
				lateDue[st], lateFrom[st] = wm.Add(cfg.Rotation+cfg.AllowedLateness), int64(i)
			}
		}
		if t := time.UnixMilli(ms); !hasWM || t.After(wm) {
			wm, hasWM = t, true
		}
		var want [][]profiler.SegmentTag
		ovf := false
		if len(cfg.Segments.Columns) > 0 {
			tags := make([]profiler.SegmentTag, len(cfg.Segments.Columns))
			for j, c := range cfg.Segments.Columns {
				tags[j] = profiler.SegmentTag{Key: c, Value: profiler.SegmentValue(rec[c])}
			}
			k := winKey{pl.Window.Start.Unix(), pl.Late}
			key := profiler.SegmentKey(tags)
			if !slices.Contains(admitted[k], key) {
				if len(admitted[k]) < capN {
					admitted[k] = append(admitted[k], key)
				} else {
					ovf = true
					for j := range tags {
						tags[j].Value = profiler.OverflowValue
					}
				}
			}
			want = append(want, tags)
		}
		for _, x := range cfg.Segments.Explicit {
			ok := true
			for _, tag := range x {
				ok = ok && profiler.SegmentValue(rec[tag.Key]) == tag.Value
			}
			if ok {
				sorted := slices.Clone(x)
				slices.SortStableFunc(sorted, func(a, b profiler.SegmentTag) int { return strings.Compare(a.Key, b.Key) })
				want = append(want, sorted)
			}
		}
		if ovf {
			overflows++
		}
		if len(cfg.Segments.Explicit) > 0 && len(want) == 0 {
			unmatched++
		}
		var got [][]profiler.SegmentTag
		for _, p := range buf {
			if s := p.Segment(); !s.IsZero() {
				got = append(got, s.Tags)
			}
		}
		if pl.Overflow != ovf || !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%s seed %d record %d %v: segments %v overflow %v, want %v overflow %v", rc.name, seed, i, rec, got, pl.Overflow, want, ovf)
		}
		if r.IntN(20) == 0 {
			collect(w.Advance())
		}
		if r.IntN(400) == 0 {
			collect(w.Flush())
		}
	}
	collect(w.Flush())
	if st := w.Stats(); st.Overflow != overflows || st.Unmatched != unmatched {
		t.Fatalf("%s seed %d: stats %+v, want %d overflows, %d unmatched", rc.name, seed, st, overflows, unmatched)
	}
	return out
}

// renderFinished renders a finished profile: identity, counters and every
// component's bytes.
func renderFinished(t *testing.T, f profiler.Finished) string {
	t.Helper()
	cols, err := f.Profile.Components()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%v %q %v %d-%d n=%d seg=%+v meta=%v", f.Window, f.SegmentKey, f.Kind, f.FirstOffset, f.LastOffset, f.Records,
		f.Profile.Segment(), f.Profile.FileProperties())
	for _, cc := range cols {
		fmt.Fprintf(&b, " %s:", cc.Name)
		for _, c := range cc.Components {
			fmt.Fprintf(&b, "%s/%d/%d/%d/%x/%x;", c.Path, c.TypeID, c.Kind, c.N, math.Float64bits(c.D), c.Sketch)
		}
	}
	return b.String()
}
