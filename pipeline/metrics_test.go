package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// testutilCounter sums every series of a counter vector.
func testutilCounter(cv *prometheus.CounterVec) float64 {
	ch := make(chan prometheus.Metric, 100)
	go func() { cv.Collect(ch); close(ch) }()
	var sum float64
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err == nil && d.Counter != nil {
			sum += d.Counter.GetValue()
		}
	}
	return sum
}
