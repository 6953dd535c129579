package profiler_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// TestLatePartialsIndependentOfAdvance: what each emitted profile holds
// depends only on the records routed, not on how often Advance runs. A
// consumer calls Advance once per fetched batch, and a replay after a crash
// cuts the same records into other batches; were a late partial to keep
// taking records until the Advance that emits it, the replay would write an
// object under the same key with other contents (a late write of the old one
// could then replace the new one).
func TestLatePartialsIndependentOfAdvance(t *testing.T) {
	base := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	lates := 0
	run := func(every func(i int) bool) []string {
		cfg := profiler.WindowConfig{Dataset: "d", Partition: "t/0", Rotation: time.Minute, AllowedLateness: 5 * time.Second}
		cfg.Segments.Columns = []string{"a"}
		w, err := profiler.NewWindowSet(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		collect := func(fs []profiler.Finished) {
			for _, f := range fs {
				if f.Kind == profiler.Late {
					lates++
				}
				out = append(out, fmt.Sprintf("%v|%s|%d|%d-%d|%d", f.Window, f.SegmentKey, f.Kind, f.FirstOffset, f.LastOffset, f.Records))
			}
		}
		r := rand.New(rand.NewPCG(7, 11))
		var buf []*profiler.DatasetProfile
		for i := range 20000 {
			// Mostly in order, some records minutes late.
			ts := base.Add(time.Duration(i)*30*time.Millisecond - time.Duration(r.IntN(4))*time.Duration(r.IntN(200))*time.Second)
			rec := profiler.Record{"a": []string{"x", "y", "z"}[r.IntN(3)]}
			buf, _ = w.Route(ts, int64(i), rec, buf[:0])
			for _, p := range buf {
				p.Track(rec)
			}
			if every(i) {
				collect(w.Advance())
			}
		}
		collect(w.Flush())
		slices.Sort(out)
		return out
	}
	each := run(func(int) bool { return true })
	r := rand.New(rand.NewPCG(3, 5))
	batched := run(func(int) bool { return r.IntN(500) == 0 })
	if !slices.Equal(each, batched) {
		t.Fatalf("emitted profiles differ with the Advance cadence: %d vs %d profiles", len(each), len(batched))
	}
	if len(each) < 50 || lates < 20 {
		t.Fatalf("only %d profiles, %d late partials", len(each), lates)
	}
}
