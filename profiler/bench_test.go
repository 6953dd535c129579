package profiler_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// records is a column-oriented, pre-generated data set of 12 mixed columns,
// so the benchmark measures profiling only.
type records struct {
	n                         int
	userID, age, quantity, ts []int64
	discount                  []int64 // < 0 means null
	price, score, latency     []float64
	country, event, session   []string
	mobile                    []bool
}

var benchNames = []string{"user_id", "age", "quantity", "ts", "discount", "price", "score", "latency_ms",
	"country", "event", "session", "is_mobile"}

func genRecords(n int) *records {
	r := rand.New(rand.NewPCG(2024, 11))
	z := rand.NewZipf(r, 1.5, 1, 200)
	countries := make([]string, 40)
	for i := range countries {
		countries[i] = fmt.Sprintf("country-%02d", i)
	}
	events := []string{"view", "click", "add_to_cart", "checkout", "purchase", "refund", "login", "logout"}
	sessions := make([]string, 100_000)
	for i := range sessions {
		sessions[i] = fmt.Sprintf("sess-%016x", r.Uint64())
	}
	d := &records{n: n,
		userID: make([]int64, n), age: make([]int64, n), quantity: make([]int64, n), ts: make([]int64, n),
		discount: make([]int64, n), price: make([]float64, n), score: make([]float64, n), latency: make([]float64, n),
		country: make([]string, n), event: make([]string, n), session: make([]string, n), mobile: make([]bool, n)}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i := range n {
		d.userID[i] = 1 + r.Int64N(1_000_000)
		d.age[i] = 18 + r.Int64N(73)
		d.quantity[i] = int64(z.Uint64()) + 1
		d.ts[i] = t0 + int64(i)*3
		d.discount[i] = -1
		if r.IntN(10) >= 3 {
			d.discount[i] = r.Int64N(50)
		}
		d.price[i] = math.Exp(r.NormFloat64() + 3)
		d.score[i] = r.NormFloat64()
		if r.IntN(50) == 0 {
			d.score[i] = math.NaN()
		}
		d.latency[i] = r.ExpFloat64() * 120
		d.country[i] = countries[int(math.Abs(r.NormFloat64()*8))%len(countries)]
		d.event[i] = events[r.IntN(len(events))]
		d.session[i] = sessions[r.IntN(len(sessions))]
		d.mobile[i] = r.IntN(3) == 0
	}
	return d
}

// profileRecords profiles d through the typed column methods, the way the
// streaming decoder calls them (column pointers resolved once).
func profileRecords(b *testing.B, d *records) *profiler.DatasetProfile {
	p, err := profiler.NewDatasetProfile(tDataset, tCreation, profiler.Config{Seed: 99})
	if err != nil {
		b.Fatal(err)
	}
	var c [12]*profiler.Column
	for i, n := range benchNames {
		c[i] = p.Column(n)
	}
	for i := range d.n {
		c[0].UpdateInt64(d.userID[i])
		c[1].UpdateInt64(d.age[i])
		c[2].UpdateInt64(d.quantity[i])
		c[3].UpdateInt64(d.ts[i])
		if d.discount[i] < 0 {
			c[4].UpdateNull()
		} else {
			c[4].UpdateInt64(d.discount[i])
		}
		c[5].UpdateFloat64(d.price[i])
		c[6].UpdateFloat64(d.score[i])
		c[7].UpdateFloat64(d.latency[i])
		c[8].UpdateString(d.country[i])
		c[9].UpdateString(d.event[i])
		c[10].UpdateString(d.session[i])
		c[11].UpdateBool(d.mobile[i])
	}
	return p
}

// BenchmarkProfile1M profiles 1,000,000 in-memory records of 12 mixed columns
// (5 integer incl. one nullable, 3 double incl. 2% NaN, 3 string of low,
// medium and high cardinality, 1 bool). One op is the whole million. Run it
// with -benchtime=1x. Reported: records/s, ns/value, allocs/record, the heap
// retained by one finished profile (profile-bytes) and its serialized
// component bytes (component-bytes).
func BenchmarkProfile1M(b *testing.B) {
	const n = 1_000_000
	d := genRecords(n)
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	var p *profiler.DatasetProfile
	for range b.N {
		p = profileRecords(b, d)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	recs := float64(n) * float64(b.N)
	b.ReportMetric(recs/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/(recs*12), "ns/value")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/recs, "allocs/record")
	// Process CPU time (all threads, GC included): meaningful on a loaded machine.
	b.ReportMetric(recs/cpu.Seconds(), "records/cpu-s")
	b.ReportMetric(float64(cpu.Nanoseconds())/(recs*12), "cpu-ns/value")

	// Heap retained by one profile: GC with and without it.
	p = nil
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	p = profileRecords(b, d)
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.HeapAlloc)-float64(ms0.HeapAlloc), "profile-bytes")
	comps, err := p.Components()
	if err != nil {
		b.Fatal(err)
	}
	size := 0
	for _, cc := range comps {
		for _, x := range cc.Components {
			size += len(x.Path) + 8 + len(x.Sketch)
		}
	}
	b.ReportMetric(float64(size), "component-bytes")
	runtime.KeepAlive(p)
	runtime.KeepAlive(d)
}

// BenchmarkColumnUpdate measures one typed update in steady state (allocs/op
// must be 0). cpu-ns/op is process CPU time per update (GC included), the
// figure to compare on a loaded machine.
func BenchmarkColumnUpdate(b *testing.B) {
	strs := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	cases := []struct {
		name string
		f    func(c *profiler.Column, i int)
	}{
		{"Int64", func(c *profiler.Column, i int) { c.UpdateInt64(int64(i % 1000)) }},
		{"Float64", func(c *profiler.Column, i int) { c.UpdateFloat64(float64(i) * 0.25) }},
		{"String", func(c *profiler.Column, i int) { c.UpdateString(strs[i%len(strs)]) }},
		{"Bool", func(c *profiler.Column, i int) { c.UpdateBool(i%3 == 0) }},
		{"Null", func(c *profiler.Column, i int) { c.UpdateNull() }},
		{"AnyInt", func(c *profiler.Column, i int) { c.Update(i % 50) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			p := newProfile(b, profiler.Config{})
			c := p.Column("c")
			for i := range 100_000 { // warm up: sketches at their steady size
				tc.f(c, i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuTime()
			for i := range b.N {
				tc.f(c, i)
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkEventColumns logs the 12 fields of the pipeline's order event
// (pipeline.flatOrder: unique ids, low-cardinality strings and ints, a
// price of ~1,000 values, a bool, nulls) through the typed Column methods
// into a profile replaced every 2,500 events, as one segment of a flushed
// window sees them. One op is one event.
func BenchmarkEventColumns(b *testing.B) {
	type ev struct {
		id, ts                           []byte
		country, device, segment, coupon []byte
		price                            float64
		qty, customer                    int64
		gift, hasCoupon                  bool
	}
	evs := make([]ev, 10000)
	for i := range evs {
		evs[i] = ev{
			id: fmt.Appendf(nil, "ord-%08d", i), ts: fmt.Appendf(nil, "2024-01-01T00:%02d:%02d.%03dZ", i/12000, i/200%60, i*5%1000),
			country: []byte([]string{"US", "DE", "FR", "GB"}[i%4]), device: []byte([]string{"desktop", "mobile", "tablet", "tv"}[i%4]),
			segment: []byte("gold"), coupon: []byte("SAVE10"), hasCoupon: i%5 == 0,
			price: 3.5 + float64(i%997)/7, qty: int64(1 + i%4), customer: int64(1000 + i%50000), gift: i%9 == 0,
		}
	}
	names := []string{"event_id", "ts", "country", "device", "price", "quantity", "discount", "coupon",
		"is_gift", "comment", "customer_id", "customer_segment"}
	var p *profiler.DatasetProfile
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := range b.N {
		if i%2500 == 0 {
			p = newProfile(b, profiler.Config{})
		}
		e := &evs[i%len(evs)]
		p.ColumnAt(0, names[0]).UpdateStringBytes(e.id)
		p.ColumnAt(1, names[1]).UpdateStringBytes(e.ts)
		p.ColumnAt(2, names[2]).UpdateStringBytes(e.country)
		p.ColumnAt(3, names[3]).UpdateStringBytes(e.device)
		p.ColumnAt(4, names[4]).UpdateFloat64(e.price)
		p.ColumnAt(5, names[5]).UpdateInt64(e.qty)
		p.ColumnAt(6, names[6]).UpdateNull()
		if e.hasCoupon {
			p.ColumnAt(7, names[7]).UpdateStringBytes(e.coupon)
		} else {
			p.ColumnAt(7, names[7]).UpdateNull()
		}
		p.ColumnAt(8, names[8]).UpdateBool(e.gift)
		p.ColumnAt(9, names[9]).UpdateNull()
		p.ColumnAt(10, names[10]).UpdateInt64(e.customer)
		p.ColumnAt(11, names[11]).UpdateStringBytes(e.segment)
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkColumnsUpdate is BenchmarkColumnUpdate through profiler.Columns
// over the same column of two profiles (a segment and its full profile).
func BenchmarkColumnsUpdate(b *testing.B) {
	strs := [][]byte{[]byte("alpha"), []byte("beta"), []byte("gamma"), []byte("delta"), []byte("epsilon")}
	cases := []struct {
		name string
		f    func(cs profiler.Columns, i int)
	}{
		{"Int64", func(cs profiler.Columns, i int) { cs.UpdateInt64(int64(i % 1000)) }},
		{"Int64Low", func(cs profiler.Columns, i int) { cs.UpdateInt64(int64(i % 4)) }},
		{"Float64", func(cs profiler.Columns, i int) { cs.UpdateFloat64(float64(i) * 0.25) }},
		{"StringBytes", func(cs profiler.Columns, i int) { cs.UpdateStringBytes(strs[i%len(strs)]) }},
		{"Bool", func(cs profiler.Columns, i int) { cs.UpdateBool(i%3 == 0) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			cs := profiler.Columns{newProfile(b, profiler.Config{}).Column("c"), newProfile(b, profiler.Config{}).Column("c")}
			for i := range 100_000 {
				tc.f(cs, i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuTime()
			for i := range b.N {
				tc.f(cs, i)
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}
