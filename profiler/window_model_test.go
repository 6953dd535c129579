package profiler_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// TestWindowSetModel checks random streams against the specification,
// computed independently: a record is late iff floor-aligned end + lateness
// ≤ the largest earlier event time; every record is in exactly one
// full-dataset profile of its own window; nothing is emitted twice; all
// profiles of a window carry the window start as dataset timestamp.
func TestWindowSetModel(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 99))
		rot := []time.Duration{time.Second, 10 * time.Second, time.Minute, 90 * time.Minute}[r.IntN(4)]
		late := time.Duration(r.IntN(3)) * rot / 2
		w := newWS(t, profiler.WindowConfig{Rotation: rot, AllowedLateness: late})
		const n = 3000
		base := int64(-5000) // crosses the epoch: negative times use floor
		var maxT int64
		wantLate := 0
		wantPer := map[int64]int64{}
		var got []profiler.Finished
		for i := range n {
			ms := base + int64(i)*int64(rot/time.Millisecond)/20 - r.Int64N(int64(rot/time.Millisecond)*3)
			tm := time.UnixMilli(ms)
			rs := int64(rot / time.Millisecond)
			start := ms / rs * rs
			if ms%rs < 0 {
				start -= rs
			}
			isLate := i > 0 && start+rs+int64(late/time.Millisecond) <= maxT
			if isLate {
				wantLate++
			}
			if i == 0 || ms > maxT {
				maxT = ms
			}
			wantPer[start]++
			pl := w.Add(tm, int64(i), map[string]any{"x": i})
			if pl.Late != isLate || pl.Window.Start.UnixMilli() != start || !pl.Window.Contains(tm) {
				t.Fatalf("seed %d record %d at %d ms: placement %+v, want late=%v start=%d", seed, i, ms, pl, isLate, start)
			}
			if r.IntN(10) == 0 {
				got = append(got, w.Advance()...)
			}
			if r.IntN(500) == 0 {
				got = append(got, w.Flush()...)
			}
		}
		got = append(got, w.Flush()...)
		if w.OpenProfiles() != 0 {
			t.Fatalf("seed %d: %d profiles held after Flush", seed, w.OpenProfiles())
		}
		if s := w.Stats(); s.Late != int64(wantLate) || s.Records != n {
			t.Fatalf("seed %d: stats %+v, want %d late", seed, s, wantLate)
		}
		gotPer := map[int64]int64{}
		seen := map[*profiler.DatasetProfile]bool{}
		for _, f := range got {
			if seen[f.Profile] {
				t.Fatalf("seed %d: profile emitted twice", seed)
			}
			seen[f.Profile] = true
			if !f.Profile.DatasetTimestamp().Equal(f.Window.Start) {
				t.Fatalf("seed %d: dataset timestamp %v in window %v", seed, f.Profile.DatasetTimestamp(), f.Window)
			}
			gotPer[f.Window.Start.UnixMilli()] += countN(t, f.Profile, "x")
			if f.Records != countN(t, f.Profile, "x") {
				t.Fatalf("seed %d: Records %d, counts/n %d", seed, f.Records, countN(t, f.Profile, "x"))
			}
		}
		if len(gotPer) != len(wantPer) {
			t.Fatalf("seed %d: %d windows, want %d", seed, len(gotPer), len(wantPer))
		}
		for k, v := range wantPer {
			if gotPer[k] != v {
				t.Fatalf("seed %d: window %d has %d records, want %d", seed, k, gotPer[k], v)
			}
		}
	}
}

func FuzzParseRotation(f *testing.F) {
	for _, s := range []string{"30s", "5m", "1h", "1d", "90m", "1h30m", "0s", "-1h", "7m", "500ms", "d", "99999999999d", "1e3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := profiler.ParseRotation(s)
		if err != nil {
			return
		}
		if profiler.ValidateRotation(d) != nil {
			t.Fatalf("ParseRotation(%q) = %v, which ValidateRotation rejects", s, d)
		}
		w := profiler.WindowOf(time.Unix(-12345, 678), d)
		if w.End.Sub(w.Start) != d || !w.Contains(time.Unix(-12345, 678)) {
			t.Fatalf("window %v of rotation %v", w, d)
		}
		back, err := profiler.ParseRotation(profiler.FormatRotation(d))
		if err != nil || back != d {
			t.Fatalf("FormatRotation(%v) = %q does not parse back: %v %v", d, profiler.FormatRotation(d), back, err)
		}
	})
}
