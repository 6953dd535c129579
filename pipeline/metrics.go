package pipeline

import (
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the application metrics of a Consumer. Labels are bounded:
// dataset, topic, partition, error kind and profile kind; never segment or
// offset. Create them with NewMetrics on a registry owned by the caller (no
// global registry), or leave Config.Metrics nil for unregistered metrics.
type Metrics struct {
	Records           *prometheus.CounterVec // topic
	Bytes             *prometheus.CounterVec // topic
	DecodeErrors      *prometheus.CounterVec // dataset, kind
	DeadLetters       *prometheus.CounterVec // dataset
	RegistryRetries   *prometheus.CounterVec // dataset
	LateRecords       *prometheus.CounterVec // dataset
	OverflowRecords   *prometheus.CounterVec // dataset
	OpenWindows       *prometheus.GaugeVec   // dataset, topic, partition
	ProfilesPublished *prometheus.CounterVec // dataset, kind
	SinkErrors        prometheus.Counter
	Commits           prometheus.Counter
	CommitErrors      prometheus.Counter
	CommitLag         *prometheus.GaugeVec   // topic, partition: high watermark − committed
	Rebalances        *prometheus.CounterVec // event: assigned, revoked, lost
	PausedPartitions  prometheus.Gauge
	Pauses            prometheus.Counter
	// Transactions counts ended transactions (exactly-once mode) by outcome
	// (committed, aborted) and reason: interval, records or shutdown for a
	// commit; rebalance, produce, barrier, not_committed, end_error or
	// shutdown for an abort.
	Transactions *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them on reg (nil: not
// registered). Names start with namespace + "_" ("kprofiler" when empty).
func NewMetrics(reg prometheus.Registerer, namespace string) *Metrics {
	if namespace == "" {
		namespace = "kprofiler"
	}
	cv := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	gv := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	m := &Metrics{
		Records:           cv("records_total", "Records consumed.", "topic"),
		Bytes:             cv("record_bytes_total", "Bytes of record values consumed.", "topic"),
		DecodeErrors:      cv("decode_errors_total", "Records that failed to decode (skipped).", "dataset", "kind"),
		DeadLetters:       cv("dead_letters_total", "Records sent to the dead-letter topic.", "dataset"),
		RegistryRetries:   cv("registry_retries_total", "Decoding retries because the schema registry was unavailable.", "dataset"),
		LateRecords:       cv("late_records_total", "Records that went into late partial profiles.", "dataset"),
		OverflowRecords:   cv("overflow_records_total", "Records routed into the overflow segment.", "dataset"),
		OpenWindows:       gv("open_windows", "Open windows per dataset and partition.", "dataset", "topic", "partition"),
		ProfilesPublished: cv("profiles_published_total", "Profiles confirmed by every sink.", "dataset", "kind"),
		SinkErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "sink_errors_total",
			Help: "Failed publish attempts (retried)."}),
		Commits: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "commits_total",
			Help: "Successful offset commits."}),
		CommitErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "commit_errors_total",
			Help: "Failed offset commits."}),
		CommitLag:  gv("commit_lag", "High watermark minus committed offset, per partition.", "topic", "partition"),
		Rebalances: cv("rebalances_total", "Partition assignment events.", "event"),
		PausedPartitions: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "paused_partitions",
			Help: "Partitions paused because their worker's queue is full."}),
		Pauses: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "partition_pauses_total",
			Help: "Times a partition was paused because its worker's queue was full."}),
		Transactions: cv("transactions_total", "Ended transactions of the exactly-once mode, by outcome and reason.", "outcome", "reason"),
	}
	if reg != nil {
		reg.MustRegister(m.Records, m.Bytes, m.DecodeErrors, m.DeadLetters, m.RegistryRetries, m.LateRecords,
			m.OverflowRecords, m.OpenWindows, m.ProfilesPublished, m.SinkErrors, m.Commits, m.CommitErrors,
			m.CommitLag, m.Rebalances, m.PausedPartitions, m.Pauses, m.Transactions)
	}
	return m
}

func itoa32(p int32) string { return strconv.Itoa(int(p)) }

// Handler serves /metrics from gatherer, /healthz (the process is alive: 200)
// and /readyz (200 once ready() is true, else 503).
func Handler(gatherer prometheus.Gatherer, ready func() bool) http.Handler {
	if gatherer == nil {
		gatherer = prometheus.NewRegistry()
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ready != nil && ready() {
			w.Write([]byte("ready\n"))
			return
		}
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	})
	return mux
}

// sampler lets one log line through per interval and counts the rest.
type sampler struct {
	next       atomic.Int64 // unix nanos
	suppressed atomic.Int64
}

// allow reports whether to log now, and how many were suppressed since the
// last allowed line.
func (s *sampler) allow(intervalNanos int64) (bool, int64) {
	now := timeNow().UnixNano()
	n := s.next.Load()
	if now >= n && s.next.CompareAndSwap(n, now+intervalNanos) {
		return true, s.suppressed.Swap(0)
	}
	s.suppressed.Add(1)
	return false, 0
}
