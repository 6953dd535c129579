package profiler

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Review (session 3): windowFor's cached-window test in whole seconds
// against the specification: a record at t goes into [start, start+R) with
// start = floor(t/R)·R (also before 1970, where Unix seconds floor), and is
// late when the watermark (the largest earlier event time) has reached
// End + AllowedLateness. Times hug window boundaries to the nanosecond,
// jump back and forth, and some carry a monotonic clock reading.
func TestReview3WindowForMatchesSpec(t *testing.T) {
	r := rand.New(rand.NewPCG(77, 78))
	for _, rot := range []time.Duration{time.Second, 5 * time.Second, time.Minute, time.Hour, 48 * time.Hour} {
		for _, late := range []time.Duration{0, time.Nanosecond, time.Second, 90 * time.Second} {
			for _, base := range []time.Time{time.Unix(-86400*365*30-3, 0), time.Unix(0, 0), time.Now().Truncate(time.Hour)} {
				w, err := NewWindowSet(WindowConfig{Rotation: rot, AllowedLateness: late})
				if err != nil {
					t.Fatal(err)
				}
				rs := int64(rot / time.Second)
				var wm time.Time
				hasWM := false
				at := base
				for k := range 3000 {
					switch r.IntN(6) {
					case 0: // just before / at / after a boundary
						s := at.Unix()
						b := (s/rs + int64(r.IntN(3)) - 1) * rs
						if s < 0 && s%rs != 0 {
							b -= rs
						}
						at = time.Unix(b, 0).Add(time.Duration(r.IntN(3)-1) * time.Nanosecond)
					case 1:
						at = at.Add(-time.Duration(r.Int64N(int64(2*rot + late + time.Second))))
					case 2:
						at = time.Now().Add(time.Duration(r.Int64N(int64(time.Hour)))) // monotonic reading
					default:
						at = at.Add(time.Duration(r.Int64N(int64(rot))))
					}
					sec := at.Unix()
					start := sec / rs * rs
					if sec%rs < 0 {
						start -= rs
					}
					wantStart := time.Unix(start, 0).UTC()
					wantEnd := time.Unix(start+rs, 0).UTC()
					wantLate := hasWM && !wm.Before(wantEnd.Add(late))
					_, pl := w.Route(at, int64(k), nil, nil)
					if !pl.Window.Start.Equal(wantStart) || !pl.Window.End.Equal(wantEnd) || pl.Late != wantLate {
						t.Fatalf("rot %v late %v record %d at %v (wm %v): placement %+v, want [%v, %v) late %v",
							rot, late, k, at, wm, pl, wantStart, wantEnd, wantLate)
					}
					if !hasWM || at.After(wm) {
						wm, hasWM = at, true
					}
					if r.IntN(200) == 0 {
						w.Advance()
					}
					if r.IntN(500) == 0 {
						w.Flush()
					}
					if r.IntN(300) == 0 { // an idle policy moves the watermark
						to := at.Add(time.Duration(r.Int64N(int64(2 * rot))))
						w.AdvanceTo(to)
						if !hasWM || to.After(wm) {
							wm, hasWM = to, true
						}
					}
				}
			}
		}
	}
}
