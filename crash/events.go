package crash

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Countries are the segment values of the generated events.
var Countries = []string{"US", "DE", "FR", "GB", "IN", "BR", "JP"}

var (
	countryWeights = []string{"US", "US", "US", "DE", "DE", "FR", "GB", "IN", "BR", "JP"}
	devices        = []string{"mobile", "mobile", "desktop", "tablet"}
)

// Columns are the columns of a valid generated event; every valid event has
// all of them (nullable ones as JSON null), so each column's counts/n is the
// number of valid events.
var Columns = []string{"event_id", "ts", "country", "device", "price", "quantity", "discount", "coupon", "is_gift", "customer_id"}

// Gen generates order events deterministically from a seed and counts what
// it generated: the valid events in total and per country (segment). A
// share BadRatio of the records is malformed (truncated JSON, a JSON array,
// binary garbage), which the consumer must count and skip.
type Gen struct {
	rng      *rand.Rand
	i        int
	start    time.Time
	interval time.Duration
	BadRatio float64

	Produced  int
	Valid     int
	ByCountry map[string]int

	mu          sync.Mutex
	validOffset map[int32][]int64 // partition → offsets of valid records (filled by Produce)
}

// NewGen returns a generator whose event times start at start and advance by
// interval per event with a small jitter (a few events arrive out of order).
func NewGen(seed uint64, start time.Time, interval time.Duration, badRatio float64) *Gen {
	return &Gen{rng: rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)), start: start, interval: interval,
		BadRatio: badRatio, ByCountry: map[string]int{}}
}

type order struct {
	EventID    string   `json:"event_id"`
	TS         string   `json:"ts"`
	Country    string   `json:"country"`
	Device     string   `json:"device"`
	Price      float64  `json:"price"`
	Quantity   int      `json:"quantity"`
	Discount   *float64 `json:"discount"`
	Coupon     *string  `json:"coupon"`
	IsGift     bool     `json:"is_gift"`
	CustomerID int64    `json:"customer_id"`
}

// Next returns the next record and whether it is valid.
func (g *Gen) Next() (*kgo.Record, bool) {
	i := g.i
	g.i++
	g.Produced++
	r := g.rng
	ts := g.start.Add(time.Duration(i)*g.interval + time.Duration(r.NormFloat64()*float64(g.interval))).Truncate(time.Millisecond)
	key := []byte(fmt.Sprintf("ord-%09d", i))
	if r.Float64() < g.BadRatio {
		var v []byte
		switch r.IntN(3) {
		case 0:
			v = []byte(`{"event_id": "ord-broken", "ts": "` + ts.Format(time.RFC3339) + `", "price": `)
		case 1:
			v = []byte(`["an", "array", "is", "not", "an", "event"]`)
		default:
			v = []byte("\x00\x01 binary garbage \xff")
		}
		return &kgo.Record{Key: key, Value: v, Timestamp: ts}, false
	}
	o := order{
		EventID: string(key), TS: ts.Format("2006-01-02T15:04:05.000Z07:00"),
		Country: countryWeights[r.IntN(len(countryWeights))], Device: devices[r.IntN(len(devices))],
		Price: math.Round(math.Exp(3+0.8*r.NormFloat64())*100) / 100, Quantity: 1 + r.IntN(5),
		IsGift: r.Float64() < 0.1, CustomerID: int64(1000 + r.IntN(50000)),
	}
	if r.Float64() < 0.3 {
		d := math.Round(r.Float64()*3000) / 100
		o.Discount = &d
	}
	if r.Float64() < 0.15 {
		c := fmt.Sprintf("SAVE%d", 5*(1+r.IntN(6)))
		o.Coupon = &c
	}
	v, _ := json.Marshal(o)
	g.Valid++
	g.ByCountry[o.Country]++
	return &kgo.Record{Key: key, Value: v, Timestamp: ts}, true
}

// ValidBelow counts the produced valid records of partition p with an
// offset below off.
func (g *Gen) ValidBelow(p int32, off int64) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, _ := slices.BinarySearch(g.validOffset[p], off)
	return n
}

func (g *Gen) produced(rs []*kgo.Record, valid []bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.validOffset == nil {
		g.validOffset = map[int32][]int64{}
	}
	for i, r := range rs {
		if valid[i] {
			g.validOffset[r.Partition] = append(g.validOffset[r.Partition], r.Offset)
		}
	}
	for p := range g.validOffset {
		slices.Sort(g.validOffset[p])
	}
}

// Produce produces the next n records of g to topic with cl (acks=all,
// idempotent: each record is written exactly once).
func Produce(ctx context.Context, cl *kgo.Client, topic string, g *Gen, n int) error {
	const batch = 2000
	rs := make([]*kgo.Record, 0, batch)
	ok := make([]bool, 0, batch)
	for i := 0; i < n; i++ {
		r, valid := g.Next()
		r.Topic = topic
		rs = append(rs, r)
		ok = append(ok, valid)
		if len(rs) == batch || i == n-1 {
			if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
				return fmt.Errorf("producing to %s: %w", topic, err)
			}
			g.produced(rs, ok)
			rs, ok = make([]*kgo.Record, 0, batch), ok[:0]
		}
	}
	return nil
}
