package session_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/profiler/session"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

// recordGen makes records of 12 mixed columns, like the profiler's
// BenchmarkProfile1M data: 5 integers (one nullable, one the event time in
// ms), 3 doubles (one with 2% NaN), 3 strings of low, medium and high
// cardinality, 1 bool.
type recordGen struct {
	r         *rand.Rand
	z         *rand.Zipf
	countries []string
	events    []string
	sessions  []string
	t0        int64
	i         int64
}

func newRecordGen() *recordGen {
	r := rand.New(rand.NewPCG(2024, 11))
	g := &recordGen{r: r, z: rand.NewZipf(r, 1.5, 1, 200),
		events: []string{"view", "click", "add_to_cart", "checkout", "purchase", "refund", "login", "logout"},
		t0:     time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()}
	for i := range 40 {
		g.countries = append(g.countries, fmt.Sprintf("country-%02d", i))
	}
	for range 100_000 {
		g.sessions = append(g.sessions, fmt.Sprintf("sess-%016x", r.Uint64()))
	}
	return g
}

func (g *recordGen) batch(dst []map[string]any) {
	r := g.r
	for k := range dst {
		m := make(map[string]any, 12)
		m["user_id"] = 1 + r.Int64N(1_000_000)
		m["age"] = 18 + r.Int64N(73)
		m["quantity"] = int64(g.z.Uint64()) + 1
		m["ts"] = g.t0 + g.i*3
		if r.IntN(10) >= 3 {
			m["discount"] = r.Int64N(50)
		} else {
			m["discount"] = nil
		}
		m["price"] = math.Exp(r.NormFloat64() + 3)
		score := r.NormFloat64()
		if r.IntN(50) == 0 {
			score = math.NaN()
		}
		m["score"] = score
		m["latency_ms"] = r.ExpFloat64() * 120
		m["country"] = g.countries[int(math.Abs(r.NormFloat64()*8))%len(g.countries)]
		m["event"] = g.events[r.IntN(len(g.events))]
		m["session"] = g.sessions[r.IntN(len(g.sessions))]
		m["is_mobile"] = r.IntN(3) == 0
		dst[k] = m
		g.i++
	}
}

// BenchmarkLogRecords1M logs 1,000,000 in-memory records of 12 mixed
// columns (map[string]any, as LogRecords takes them) through Logger.
// LogRecords in batches of 10,000, with event-time rotation (1d, one
// window). One op is the whole million; run with -benchtime=1x. Only the
// LogRecords calls are timed and counted: records are generated with the
// timer stopped. Reported: records/s and ns/value (wall clock), the same
// in process CPU time (cpu-records/s, cpu-ns/value: on a shared machine the
// wall clock mostly measures waiting), allocs/record, the heap held
// by the open profile (profile-bytes) and the size of its v1 file
// (file-bytes).
func BenchmarkLogRecords1M(b *testing.B) {
	const n, batchSize = 1_000_000, 10_000
	for range b.N {
		b.StopTimer()
		g := newRecordGen()
		var fileBytes int
		w := writerFunc(func(_ context.Context, p *profiler.DatasetProfile) error {
			data, err := whylogs.MarshalV1(p)
			fileBytes += len(data)
			return err
		})
		s, err := session.New("bench", "", session.WithWriters(w), session.WithClock(func() time.Time { return time.Unix(1704067200, 0) }))
		if err != nil {
			b.Fatal(err)
		}
		batch := make([]map[string]any, batchSize)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap0 := ms.HeapAlloc
		l, err := s.Logger("orders", session.WithRotationTime("1d"), session.WithEventTime("ts", time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		var elapsed, cpu time.Duration
		var mallocs uint64
		for done := 0; done < n; done += batchSize {
			g.batch(batch)
			runtime.ReadMemStats(&ms)
			m0 := ms.Mallocs
			b.StartTimer()
			start, cpu0 := time.Now(), processCPU()
			if err := l.LogRecords(batch); err != nil {
				b.Fatal(err)
			}
			elapsed += time.Since(start)
			cpu += processCPU() - cpu0
			b.StopTimer()
			runtime.ReadMemStats(&ms)
			mallocs += ms.Mallocs - m0
		}
		clear(batch)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		profileBytes := int64(ms.HeapAlloc) - int64(heap0)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if st := l.Stats(); st.Records != n || st.Written != 1 {
			b.Fatalf("stats %+v", st)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n*12), "ns/value")
		b.ReportMetric(float64(n)/cpu.Seconds(), "cpu-records/s")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n*12), "cpu-ns/value")
		b.ReportMetric(float64(mallocs)/float64(n), "allocs/record")
		b.ReportMetric(float64(profileBytes), "profile-bytes")
		b.ReportMetric(float64(fileBytes), "file-bytes")
		runtime.KeepAlive(g)
	}
}
