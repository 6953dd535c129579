package session_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kprofiler/kprofiler/profiler/session"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

// A session writing hourly, event-time windowed profiles of a dataset,
// segmented by country, into a local directory.
func Example() {
	dir, _ := os.MkdirTemp("", "kprofiler-example")
	defer os.RemoveAll(dir)
	w, _ := session.NewLocalWriter(session.LocalWriterConfig{Dir: dir})
	s, _ := session.New("shop", "checkout", session.WithWriters(w))
	l, _ := s.Logger("orders",
		session.WithRotationTime("1h"),
		session.WithEventTime("ts", time.Second),
		session.WithSegmentColumns("country"))
	start := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).Unix()
	for i := range 6 {
		l.Log(map[string]any{"ts": start + int64(i)*1800, "country": []string{"US", "DE"}[i%2], "amount": 12.5 * float64(i)})
	}
	if err := s.Close(); err != nil { // writes what is still open
		panic(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "orders", "protobuf", "*.bin"))
	for _, f := range files {
		p, _, _ := whylogs.ReadFile(f)
		c, _ := p.Lookup("amount")
		n, _ := c.Summary().Lookup("counts/n")
		fmt.Println(p.DatasetTimestamp().Format("15:04"), p.Segment(), "n =", n.Int)
	}
	// Output:
	// 09:00 country=DE n = 1
	// 09:00 country=US n = 1
	// 10:00 country=DE n = 1
	// 10:00 country=US n = 1
	// 11:00 country=DE n = 1
	// 11:00 country=US n = 1
}
