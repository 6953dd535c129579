package profiler_test

import (
	"fmt"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// A WindowSet for one partition: one-minute windows aligned to the UTC
// epoch, 10 s of allowed lateness, segmented by country with the
// full-dataset profile kept.
func ExampleWindowSet() {
	ws, err := profiler.NewWindowSet(profiler.WindowConfig{
		Dataset:         "orders",
		Partition:       "orders/0",
		Rotation:        time.Minute,
		AllowedLateness: 10 * time.Second,
		Segments:        profiler.Segmentation{Columns: []string{"country"}},
		FullDataset:     true,
	})
	if err != nil {
		panic(err)
	}
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	events := []struct {
		sec     int
		country string
	}{{5, "US"}, {30, "DE"}, {65, "US"}, {50, "US"} /* still on time */, {71, "DE"}, {20, "FR"} /* late */}
	for i, e := range events {
		pl := ws.Add(base.Add(time.Duration(e.sec)*time.Second), int64(i), map[string]any{"country": e.country, "amount": 10 * i})
		if pl.Late {
			fmt.Printf("offset %d is late for %v\n", i, pl.Window)
		}
	}
	for _, f := range ws.Flush() {
		fmt.Printf("%s %-10q %-7v records=%d first offset=%d\n", f.Window.Start.Format("15:04"), f.SegmentKey, f.Kind, f.Records, f.FirstOffset)
	}
	// Output:
	// offset 5 is late for [2024-05-01T12:00:00Z, 2024-05-01T12:01:00Z)
	// 12:00 ""         closed  records=3 first offset=0
	// 12:00 ""         late    records=1 first offset=5
	// 12:00 "country=DE" closed  records=1 first offset=1
	// 12:00 "country=FR" late    records=1 first offset=5
	// 12:00 "country=US" closed  records=2 first offset=0
	// 12:01 ""         flushed records=2 first offset=2
	// 12:01 "country=DE" flushed records=1 first offset=4
	// 12:01 "country=US" flushed records=1 first offset=2
}
