package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const rssChildEnv = "KPROFILER_RSS_CHILD"

// rssChild profiles perSegment 12-field JSON events into each of 1,000
// segments of one hourly window (plus the full-dataset profile) with the GC
// percent `consumer run` uses (400), then prints what it holds. Events are
// built one at a time, so the peak RSS is the profiles', the decoder's and
// the runtime's, not a pre-built input's.
func rssChild(arg string, out io.Writer) int {
	perSegment, err := strconv.Atoi(arg)
	if err != nil || perSegment <= 0 {
		fmt.Fprintf(out, "%s=%q: want a positive number of events per segment\n", rssChildEnv, arg)
		return 2
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400)) // restored for the in-process test
	}
	ds := openSegmentsDataset()
	s, err := ds.newState("orders", 0)
	if err != nil {
		fmt.Fprintln(out, err)
		return 1
	}
	r := &kgo.Record{Topic: "orders"}
	for i := range 1000 * perSegment {
		m := flatOrder(i)
		m["customer_id"] = int64(i % 1000)
		m["ts"] = base.Add(time.Duration(i%3600) * time.Second).Format(time.RFC3339Nano)
		r.Value, _ = json.Marshal(m)
		r.Offset = int64(i)
		if _, err := s.add(context.Background(), r); err != nil {
			fmt.Fprintln(out, err)
			return 1
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(out, "open=%d heap=%d\n", s.ws.OpenProfiles(), ms.HeapAlloc)
	runtime.KeepAlive(s)
	return 0
}

// BenchmarkOpenSegmentsRSS reports the peak RSS of a process holding 1,000
// open segments (plus the full-dataset profile) of the 12-field event: a
// child process (this test binary, see TestMain) profiles 20 events per
// segment (small sketches) or 2,000 (KLL compacting, frequent items at
// their map limit, HLL past its coupon list), and the parent reads the
// child's maximum resident set size from the kernel.
func BenchmarkOpenSegmentsRSS(b *testing.B) {
	for _, perSegment := range []int{20, 2000} {
		b.Run(fmt.Sprintf("events-per-segment=%d", perSegment), func(b *testing.B) {
			for range b.N {
				cmd := exec.Command(os.Args[0], "-test.run", "^$")
				cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", rssChildEnv, perSegment))
				outb, err := cmd.Output()
				if err != nil {
					b.Fatalf("child: %v: %s", err, outb)
				}
				var open int
				var heap uint64
				if _, err := fmt.Sscanf(strings.TrimSpace(string(outb)), "open=%d heap=%d", &open, &heap); err != nil || open != 1001 {
					b.Fatalf("child printed %q, want 1001 open profiles", outb)
				}
				rss, ok := maxRSS(cmd.ProcessState)
				if !ok {
					b.Skip("no peak RSS from the kernel on this platform")
				}
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
				b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			}
		})
	}
}

// The child workload itself: one segment per customer, and the counts add
// up (so the benchmark measures what it claims).
func TestRSSChildWorkload(t *testing.T) {
	var out strings.Builder
	if code := rssChild("3", &out); code != 0 || !strings.HasPrefix(out.String(), "open=1001 ") {
		t.Fatalf("exit %d, output %q", code, out.String())
	}
	if code := rssChild("zero", &out); code != 2 {
		t.Errorf("a bad argument exits %d, want 2", code)
	}
}
