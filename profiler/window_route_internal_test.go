package profiler

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestPackBytes checks packBytes against a byte-by-byte reference for
// every length up to 16 (the overlapping loads of 2 to 7 bytes), and that
// the scalar keys of different strings of up to 8 bytes differ.
func TestPackBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 16; n++ {
		for range 200 {
			b := make([]byte, n, n+r.IntN(3)) // spare capacity must not be read
			for i := range b {
				b[i] = byte(r.IntN(4)) // few values: many near-equal strings
			}
			var want uint64
			for i := min(n, 8) - 1; i >= 0; i-- {
				want = want<<8 | uint64(b[i])
			}
			if got := packBytes(b); got != want {
				t.Fatalf("packBytes(%x) = %x, want %x", b, got, want)
			}
		}
	}
	var w WindowSet
	seen := map[scalarKey]string{}
	for n := 0; n <= 8; n++ {
		for range 300 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.IntN(3))
			}
			w.setKey(0, ScalarString, 0, b)
			if s, ok := seen[w.skeys[0]]; ok && s != string(b) {
				t.Fatalf("strings %x and %x have one key %+v", s, b, w.skeys[0])
			}
			seen[w.skeys[0]] = string(b)
		}
	}
}

// TestLastWindowOpen checks the invariant Route's fast path relies on
// (setWatermark): after every call, w.last is nil or a window that is
// still open, and for a record in it the fast path gives the decision of
// the slow one. Streams with late data, jumps, AdvanceTo, Advance, Flush.
func TestLastWindowOpen(t *testing.T) {
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 9))
		rot := []time.Duration{time.Second, time.Minute}[seed%2]
		cfg := WindowConfig{Rotation: rot, AllowedLateness: time.Duration(seed%3) * rot / 3}
		w, err := NewWindowSet(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ms := int64(0)
		var buf []*DatasetProfile
		for i := range 5000 {
			switch r.IntN(50) {
			case 0:
				w.AdvanceTo(time.UnixMilli(ms + r.Int64N(3*rot.Milliseconds())))
			case 1:
				w.Advance()
			case 2:
				w.Flush()
			}
			ms += r.Int64N(rot.Milliseconds()/10) - rot.Milliseconds()/40
			if r.IntN(30) == 0 {
				ms += r.Int64N(4 * rot.Milliseconds()) // a jump
			}
			at := time.UnixMilli(ms - r.Int64N(rot.Milliseconds()*2)) // late, sometimes
			if l := w.last; l != nil && w.hasWM && !w.wm.Before(l.win.End.Add(cfg.AllowedLateness)) {
				t.Fatalf("seed %d record %d: the last window %v is closed at watermark %v", seed, i, l.win, w.wm)
			}
			wantLate := w.closedAt(WindowOf(at, rot).End)
			var pl Placement
			buf, pl = w.Route(at, int64(i), nil, buf[:0])
			if pl.Late != wantLate || pl.Window != WindowOf(at, rot) || len(buf) != 1 {
				t.Fatalf("seed %d record %d at %v: placement %+v, want window %v late %v", seed, i, at, pl, WindowOf(at, rot), wantLate)
			}
		}
	}
}
