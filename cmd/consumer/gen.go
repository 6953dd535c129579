package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/kprofiler/kprofiler/schemas/event"
)

func init() {
	register(command{name: "gen", summary: "produce realistic sample order events (and a share of malformed ones) to a topic", run: runGen})
}

// genStart is the event time of the first generated event unless --start is
// given: fixed, so that the same seed always gives the same records.
var genStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// orderGen generates e-commerce order events deterministically from a seed:
// event_id, ts, country and device (segments), a lognormal price, an integer
// quantity, nullable discount, coupon and comment, a boolean, a customer id
// and segment. Event times advance by interval on average with a small
// jitter, so a few events arrive out of order.
type orderGen struct {
	rng      *rand.Rand
	i        int
	start    time.Time
	interval time.Duration
	badRatio float64
	avro     *goavro.Codec
	schemaID uint32 // > 0: frame Avro values in the Confluent wire format
}

// useRegistry registers the order schema under subject with the registry at
// url and makes the generator frame values with its id (Confluent wire
// format); malformed records then include an unknown schema id.
func (g *orderGen) useRegistry(ctx context.Context, url, subject string) error {
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		return err
	}
	ss, err := cl.CreateSchema(ctx, subject, sr.Schema{Schema: event.OrderFlatSchema})
	if err != nil {
		return fmt.Errorf("registering the order schema under %s: %w", subject, err)
	}
	g.schemaID = uint32(ss.ID)
	return nil
}

func newOrderGen(seed uint64, start time.Time, interval time.Duration, badRatio float64, format string) (*orderGen, error) {
	g := &orderGen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), start: start, interval: interval, badRatio: badRatio}
	switch format {
	case "json":
	case "avro":
		c, err := goavro.NewCodec(event.OrderFlatSchema)
		if err != nil {
			return nil, err
		}
		g.avro = c
	default:
		return nil, fmt.Errorf("unknown format %q (want json or avro)", format)
	}
	return g, nil
}

var (
	genCountries = []string{"US", "US", "US", "DE", "DE", "FR", "GB", "IN", "BR", "JP"}
	genDevices   = []string{"mobile", "mobile", "mobile", "desktop", "desktop", "tablet", "tv"}
	genSegments  = []string{"new", "regular", "regular", "gold", "platinum"}
	genWords     = strings.Fields("please deliver fast gift wrap thanks leave at door call before arrival fragile " +
		"birthday present for my mother office hours only ring twice no plastic")
)

// next returns the next record value and whether it is well-formed.
func (g *orderGen) next() ([]byte, []byte, time.Time, bool) {
	i := g.i
	g.i++
	r := g.rng
	jitter := time.Duration(r.NormFloat64() * float64(g.interval) * 2)
	ts := g.start.Add(time.Duration(i)*g.interval + jitter).Truncate(time.Millisecond)
	id := fmt.Sprintf("ord-%08d", i)
	key := []byte(id)
	if r.Float64() < g.badRatio {
		return key, g.bad(ts), ts, false
	}
	price := math.Round(math.Exp(3+0.8*r.NormFloat64())*100) / 100
	qty := 1
	for r.Float64() < 0.35 && qty < 20 {
		qty++
	}
	var discount, coupon, comment any
	if r.Float64() < 0.3 {
		discount = math.Round(r.Float64()*30*100) / 100
	}
	if r.Float64() < 0.15 {
		coupon = fmt.Sprintf("SAVE%d", 5*(1+r.IntN(6)))
	}
	if r.Float64() < 0.2 {
		n := 2 + r.IntN(8)
		ws := make([]string, n)
		for j := range ws {
			ws[j] = genWords[r.IntN(len(genWords))]
		}
		comment = strings.Join(ws, " ")
	}
	m := map[string]any{
		"event_id": id, "country": genCountries[r.IntN(len(genCountries))], "device": genDevices[r.IntN(len(genDevices))],
		"price": price, "quantity": qty, "discount": discount, "coupon": coupon, "is_gift": r.Float64() < 0.1,
		"comment": comment, "customer_id": int64(1000 + r.IntN(50000)), "customer_segment": genSegments[r.IntN(len(genSegments))],
	}
	if g.avro == nil {
		m["ts"] = ts.Format("2006-01-02T15:04:05.000Z07:00")
		b, _ := json.Marshal(m)
		return key, b, ts, true
	}
	m["ts"] = ts
	m["quantity"] = int32(qty)
	for _, f := range []string{"discount", "coupon", "comment"} {
		switch v := m[f].(type) {
		case float64:
			m[f] = goavro.Union("double", v)
		case string:
			m[f] = goavro.Union("string", v)
		}
	}
	var b []byte
	if g.schemaID > 0 {
		b = event.AppendWireHeader(nil, g.schemaID)
	}
	b, err := g.avro.BinaryFromNative(b, m)
	if err != nil { // the generator's own values always fit the schema
		panic(err)
	}
	return key, b, ts, true
}

// bad returns a malformed value of the generator's format.
func (g *orderGen) bad(ts time.Time) []byte {
	kind := g.rng.IntN(3)
	if g.avro != nil && g.schemaID > 0 {
		switch kind {
		case 0:
			return event.AppendWireHeader(nil, g.schemaID+1000) // unknown schema id
		case 1:
			return append(event.AppendWireHeader(nil, g.schemaID), 0x02) // truncated payload
		default:
			return []byte("not the wire format")
		}
	}
	if g.avro != nil {
		switch kind {
		case 0:
			return []byte{0x02} // a string length with no bytes: truncated
		case 1:
			return []byte("this is not avro at all, it is free text that runs off the end")
		default:
			return []byte{}
		}
	}
	switch kind {
	case 0:
		return []byte(`{"event_id": "broken", "ts": "` + ts.Format(time.RFC3339) + `", "price": `)
	case 1:
		return []byte(`["an", "array", "is", "not", "an", "event"]`)
	default:
		return []byte("\x00\x01 binary garbage \xff")
	}
}

func runGen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", "127.0.0.1:9092", "comma-separated seed brokers")
	topic := fs.String("topic", "orders", "topic to produce to (created by the broker if it allows auto-creation)")
	events := fs.Int("events", 10000, "number of events to produce")
	format := fs.String("format", "json", "json or avro (bare Avro of schemas/event/examples/order_flat.avsc)")
	badRatio := fs.Float64("bad-ratio", 0, "share of malformed records, 0 to 1")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same records")
	startStr := fs.String("start", genStart.Format(time.RFC3339), "event time of the first event (RFC 3339)")
	interval := fs.Duration("interval", 50*time.Millisecond, "mean event-time step between events")
	registry := fs.String("registry", "", "avro: schema registry URL; registers the schema under <topic>-value and writes the Confluent wire format (default: bare Avro)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	start, err := time.Parse(time.RFC3339, *startStr)
	if err != nil || *badRatio < 0 || *badRatio > 1 || *events < 0 || *interval <= 0 {
		fmt.Fprintln(stderr, "consumer gen: --start must be RFC 3339, --bad-ratio in [0, 1], --events ≥ 0, --interval > 0")
		return 2
	}
	g, err := newOrderGen(*seed, start, *interval, *badRatio, *format)
	if err != nil {
		fmt.Fprintf(stderr, "consumer gen: %v\n", err)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if *registry != "" {
		if *format != "avro" {
			fmt.Fprintln(stderr, "consumer gen: --registry needs --format avro")
			return 2
		}
		if err := g.useRegistry(ctx, *registry, *topic+"-value"); err != nil {
			fmt.Fprintf(stderr, "consumer gen: %v\n", err)
			return 1
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...), kgo.DefaultProduceTopic(*topic),
		kgo.AllowAutoTopicCreation())
	if err != nil {
		fmt.Fprintf(stderr, "consumer gen: %v\n", err)
		return 1
	}
	defer cl.Close()
	valid, err := produceEvents(ctx, cl, *topic, g, *events)
	if err != nil {
		fmt.Fprintf(stderr, "consumer gen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "produced %d events to %s (%d valid, %d malformed, format %s, seed %d)\n",
		*events, *topic, valid, *events-valid, *format, *seed)
	return 0
}

// produceEvents produces n events from g and returns how many were valid.
func produceEvents(ctx context.Context, cl *kgo.Client, topic string, g *orderGen, n int) (int, error) {
	valid := 0
	const batch = 1000
	rs := make([]*kgo.Record, 0, batch)
	flush := func() error {
		err := cl.ProduceSync(ctx, rs...).FirstErr()
		rs = rs[:0]
		return err
	}
	for i := 0; i < n; i++ {
		k, v, ts, ok := g.next()
		if ok {
			valid++
		}
		rs = append(rs, &kgo.Record{Topic: topic, Key: k, Value: v, Timestamp: ts,
			Headers: []kgo.RecordHeader{{Key: "generator", Value: []byte("kprofiler-gen/" + strconv.Itoa(i))}}})
		if len(rs) == batch {
			if err := flush(); err != nil {
				return valid, err
			}
		}
	}
	if len(rs) > 0 {
		if err := flush(); err != nil {
			return valid, err
		}
	}
	return valid, nil
}
