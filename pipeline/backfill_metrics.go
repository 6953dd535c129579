package pipeline

import "github.com/prometheus/client_golang/prometheus"

// BackfillMetrics are the replay-progress metrics of a Backfill, labelled by
// topic and partition (bounded by the partitions of the backfilled topics).
// Records are counted as offsets: Done reaches Target exactly when the
// partition reached its end offset.
type BackfillMetrics struct {
	Target    *prometheus.GaugeVec // topic, partition: offsets in the range (End − Start)
	Done      *prometheus.GaugeVec // topic, partition: offsets processed so far
	Remaining prometheus.Gauge     // partitions that have not reached their end offset
}

// NewBackfillMetrics creates the metrics and registers them on reg (nil: not
// registered). Names start with namespace + "_backfill_" (namespace
// "kprofiler" when empty).
func NewBackfillMetrics(reg prometheus.Registerer, namespace string) *BackfillMetrics {
	if namespace == "" {
		namespace = "kprofiler"
	}
	m := &BackfillMetrics{
		Target: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Subsystem: "backfill", Name: "target_records",
			Help: "Records (offsets) a backfill reads from the partition: end offset minus start offset."}, []string{"topic", "partition"}),
		Done: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Subsystem: "backfill", Name: "done_records",
			Help: "Records (offsets) of the range the backfill has processed."}, []string{"topic", "partition"}),
		Remaining: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: "backfill", Name: "remaining_partitions",
			Help: "Partitions the backfill has not finished (end offset reached and everything published)."}),
	}
	if reg != nil {
		reg.MustRegister(m.Target, m.Done, m.Remaining)
	}
	return m
}
