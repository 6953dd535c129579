package profiler_test

import (
	"fmt"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

func Example() {
	start := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	p, err := profiler.NewDatasetProfile(start, start, profiler.Config{
		Seed: profiler.Seed("orders", start.Format(time.RFC3339), "partition-0"),
	})
	if err != nil {
		panic(err)
	}
	p.SetName("orders")

	// The hot path: resolve columns once, then call typed updates.
	qty, price, country := p.Column("qty"), p.Column("price"), p.Column("country")
	for i, c := range []string{"DE", "FR", "DE", "US"} {
		qty.UpdateInt64(int64(i + 1))
		price.UpdateFloat64(9.5 * float64(i+1))
		country.UpdateString(c)
	}
	// Any Go value, routed like whylogs routes the Python value.
	p.Track(map[string]any{"qty": nil, "price": 1.5, "country": "DE"})

	for _, s := range p.Summary() {
		n, _ := s.Lookup("counts/n")
		typ := "types/integral"
		if s.Column == "price" {
			typ = "types/fractional"
		} else if s.Column == "country" {
			typ = "types/string"
		}
		t, _ := s.Lookup(typ)
		fmt.Printf("%s: counts/n=%v %s=%v", s.Column, n, typ, t)
		if med, ok := s.Lookup("distribution/median"); ok && med.Kind != profiler.SummaryNull {
			fmt.Printf(" median=%v", med)
		}
		if fi, ok := s.Lookup("frequent_items/frequent_strings"); ok {
			fmt.Printf(" items=%v", fi)
		}
		fmt.Println()
	}
	cols, _ := p.Components()
	fmt.Println(len(profiler.MetricPaths(cols)), "metric paths")
	// Output:
	// country: counts/n=5 types/string=5 items=["DE":3, "FR":1, "US":1]
	// price: counts/n=5 types/fractional=5 median=19
	// qty: counts/n=5 types/integral=4 median=3 items=["1":1, "2":1, "3":1, "4":1]
	// 18 metric paths
}
