package sink_test

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/ksuid"

	"github.com/kprofiler/kprofiler/sink"
)

func baseIdentity() sink.Identity {
	return sink.Identity{
		Dataset:     "orders",
		WindowStart: time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC),
		Segment:     []sink.Tag{{Key: "country", Value: "DE"}, {Key: "device", Value: "ios"}},
		Topic:       "events",
		Partition:   7,
		FirstOffset: 123456,
	}
}

// refHash is an independent rendering of the identity encoding documented
// on sink.Key: "kprofiler/key/v1", then length-prefixed strings and
// big-endian integers.
func refHash(id sink.Identity) []byte {
	var b []byte
	str := func(s string) { b = binary.BigEndian.AppendUint32(b, uint32(len(s))); b = append(b, s...) }
	b = append(b, "kprofiler/key/v1"...)
	str(id.Dataset)
	b = binary.BigEndian.AppendUint64(b, uint64(id.WindowStart.UnixMilli()))
	b = binary.BigEndian.AppendUint32(b, uint32(len(id.Segment)))
	for _, t := range id.Segment {
		str(t.Key)
		str(t.Value)
	}
	str(id.Topic)
	b = binary.BigEndian.AppendUint32(b, uint32(id.Partition))
	b = binary.BigEndian.AppendUint64(b, uint64(id.FirstOffset))
	b = binary.BigEndian.AppendUint64(b, id.Sequence)
	sum := sha256.Sum256(b)
	return sum[:16]
}

func TestKeyLayout(t *testing.T) {
	id := baseIdentity()
	key, err := sink.Key(id)
	if err != nil {
		t.Fatal(err)
	}
	const wantPrefix = "orders/2026/03/04/05/1772600760000/country=DE,device=ios/events-7-123456-"
	if !strings.HasPrefix(key, wantPrefix) || !strings.HasSuffix(key, ".bin") {
		t.Fatalf("Key = %q, want %q<ksuid>.bin", key, wantPrefix)
	}
	if ms := id.WindowStart.UnixMilli(); ms != 1772600760000 {
		t.Fatalf("test constant: window start ms %d", ms)
	}
	k, err := ksuid.Parse(strings.TrimSuffix(strings.TrimPrefix(key, wantPrefix), ".bin"))
	if err != nil {
		t.Fatalf("ksuid part of %q: %v", key, err)
	}
	if !k.Time().Equal(id.WindowStart) {
		t.Errorf("ksuid time %v, want the window start %v", k.Time(), id.WindowStart)
	}
	if want := refHash(id); string(k.Payload()) != string(want) {
		t.Errorf("ksuid payload %x, want SHA-256(identity)[:16] = %x", k.Payload(), want)
	}
	p := sink.Profile{Key: key, FirstOffset: 1, LastOffset: 2}
	if err := p.Validate(); err != nil {
		t.Errorf("Key output fails Validate: %v", err)
	}
	id.Sequence = 3
	key3, _ := sink.Key(id)
	if !strings.HasPrefix(key3, "orders/2026/03/04/05/1772600760000/country=DE,device=ios/events-7-123456-s3-") {
		t.Errorf("Key with sequence = %q", key3)
	}
	id.Segment = nil
	keyAll, _ := sink.Key(id)
	if !strings.Contains(keyAll, "/"+sink.AllSegment+"/") {
		t.Errorf("unsegmented key %q lacks %q", keyAll, sink.AllSegment)
	}
}

func TestKeyDeterministicAndDistinct(t *testing.T) {
	id := baseIdentity()
	k0, _ := sink.Key(id)
	// Same identity built again (a different time zone for the same
	// instant, fresh slices) gives the same key.
	again := baseIdentity()
	again.WindowStart = again.WindowStart.In(time.FixedZone("X", 5*3600))
	again.Segment = append([]sink.Tag(nil), again.Segment...)
	if k, _ := sink.Key(again); k != k0 {
		t.Fatalf("same identity, different keys: %q vs %q", k, k0)
	}
	// Every field of the identity matters, and so does segment order.
	muts := map[string]func(*sink.Identity){
		"dataset":       func(i *sink.Identity) { i.Dataset = "orders2" },
		"window":        func(i *sink.Identity) { i.WindowStart = i.WindowStart.Add(time.Millisecond) },
		"segment value": func(i *sink.Identity) { i.Segment[1].Value = "android" },
		"segment order": func(i *sink.Identity) { i.Segment[0], i.Segment[1] = i.Segment[1], i.Segment[0] },
		"segment split": func(i *sink.Identity) { i.Segment = []sink.Tag{{Key: "country", Value: "DE,device=ios"}} },
		"topic":         func(i *sink.Identity) { i.Topic = "events2" },
		"partition":     func(i *sink.Identity) { i.Partition = 8 },
		"offset":        func(i *sink.Identity) { i.FirstOffset++ },
		"sequence":      func(i *sink.Identity) { i.Sequence = 1 },
	}
	seen := map[string]string{k0: "base"}
	for name, mut := range muts {
		id := baseIdentity()
		mut(&id)
		k, err := sink.Key(id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if prev, dup := seen[k]; dup {
			t.Errorf("%s gives the same key as %s: %q", name, prev, k)
		}
		seen[k] = name
	}
}

func TestKeyErrors(t *testing.T) {
	for name, mut := range map[string]func(*sink.Identity){
		"empty dataset":      func(i *sink.Identity) { i.Dataset = "" },
		"empty topic":        func(i *sink.Identity) { i.Topic = "" },
		"negative offset":    func(i *sink.Identity) { i.FirstOffset = -1 },
		"negative partition": func(i *sink.Identity) { i.Partition = -1 },
		"year 10000":         func(i *sink.Identity) { i.WindowStart = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		id := baseIdentity()
		mut(&id)
		if _, err := sink.Key(id); !errors.Is(err, sink.ErrInvalidArgument) {
			t.Errorf("%s: Key = %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestKeyLongElementsShortened(t *testing.T) {
	id := baseIdentity()
	long := strings.Repeat("é", 300) // 600 bytes, 1800 escaped
	id.Dataset = long
	id.Topic = strings.Repeat("t", 249)
	id.Segment = []sink.Tag{{Key: "note", Value: long + "a"}}
	k1, err := sink.Key(id)
	if err != nil {
		t.Fatal(err)
	}
	id.Segment[0].Value = long + "b" // same long prefix, different tail
	k2, _ := sink.Key(id)
	if k1 == k2 {
		t.Fatal("segments differing only past the cut share a key")
	}
	for _, k := range []string{k1, k2} {
		if len(k) > 900 {
			t.Errorf("key is %d bytes", len(k))
		}
		for el := range strings.SplitSeq(k, "/") {
			if len(el) > 255 {
				t.Errorf("path element of %d bytes (file systems allow 255): %q", len(el), el)
			}
			if i := strings.IndexByte(el, '%'); i >= 0 && strings.Contains(el, "~") {
				// A cut never leaves a dangling escape before the hash marker.
				cut := el[:strings.IndexByte(el, '~')]
				if j := strings.LastIndexByte(cut, '%'); j >= 0 && j > len(cut)-3 {
					t.Errorf("element %q cut inside an escape", el)
				}
			}
		}
		p := sink.Profile{Key: k}
		if err := p.Validate(); err != nil {
			t.Errorf("shortened key invalid: %v", err)
		}
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", ".", "..", ".hidden", "a/b", "100%", "k=v,w", "~", "Côte d'Ivoire", "\x00\xff", "日本"} {
		e := sink.Escape(s)
		for i := 0; i < len(e); i++ {
			c := e[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.%", c) >= 0
			if !ok {
				t.Errorf("Escape(%q) = %q has byte %q", s, e, c)
			}
		}
		if e == "." || e == ".." {
			t.Errorf("Escape(%q) = %q", s, e)
		}
		back, err := sink.Unescape(e)
		if err != nil || back != s {
			t.Errorf("Unescape(Escape(%q)) = %q, %v", s, back, err)
		}
	}
	for _, bad := range []string{"%", "%4", "%zz", "a%g0"} {
		if _, err := sink.Unescape(bad); !errors.Is(err, sink.ErrInvalidArgument) {
			t.Errorf("Unescape(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a", "..", "a/b=c,d%e~f", "Côte"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := sink.Escape(s)
		if strings.ContainsAny(e, "/=,~ ") || e == "." || e == ".." {
			t.Fatalf("Escape(%q) = %q is not path-safe", s, e)
		}
		back, err := sink.Unescape(e)
		if err != nil || back != s {
			t.Fatalf("round trip of %q: %q, %v", s, back, err)
		}
	})
}

// FuzzKey: any dataset and segment give a key that every sink accepts, and
// the same identity gives the same key.
func FuzzKey(f *testing.F) {
	f.Add("orders", "country", "DE", "events", int64(0), int64(1700000000000))
	f.Add("../x", "a/b", ".", "t", int64(5), int64(0))
	f.Fuzz(func(t *testing.T, ds, k, v, topic string, off, ms int64) {
		if ds == "" || topic == "" || off < 0 {
			return
		}
		id := sink.Identity{Dataset: ds, WindowStart: time.UnixMilli(ms % 253402300800000), Segment: []sink.Tag{{Key: k, Value: v}}, Topic: topic, FirstOffset: off}
		if id.WindowStart.UTC().Year() < 0 {
			return
		}
		k1, err := sink.Key(id)
		if err != nil {
			t.Fatalf("Key(%+v): %v", id, err)
		}
		k2, _ := sink.Key(id)
		if k1 != k2 {
			t.Fatalf("non-deterministic key")
		}
		p := sink.Profile{Key: k1}
		if err := p.Validate(); err != nil {
			t.Fatalf("Key(%+v) = %q: %v", id, k1, err)
		}
	})
}

func TestFieldsRoundTrip(t *testing.T) {
	p := sink.Profile{
		Dataset: "päyments/eu", WindowStart: time.UnixMilli(1_764_140_000_000), WindowEnd: time.UnixMilli(1_764_140_060_000),
		Segment: []sink.Tag{{Key: "a,b", Value: "c=d"}, {Key: "", Value: "_all"}},
		Topic:   "t", Partition: 2, FirstOffset: 10, LastOffset: 99, Kind: sink.KindCheckpoint, Version: "v1 beta",
	}
	back, err := sink.ParseFields(p.Fields())
	if err != nil {
		t.Fatal(err)
	}
	p.WindowStart, p.WindowEnd = p.WindowStart.UTC(), p.WindowEnd.UTC()
	if !reflect.DeepEqual(back, p) {
		t.Fatalf("round trip\n%+v\nwant\n%+v", back, p)
	}
	for _, f := range p.Fields() {
		for i := 0; i < len(f.Value); i++ {
			if f.Value[i] < 0x21 || f.Value[i] > 0x7e {
				t.Errorf("field %s=%q is not printable ASCII", f.Name, f.Value)
			}
		}
	}
	fields := p.Fields()
	if _, err := sink.ParseFields(fields[1:]); !errors.Is(err, sink.ErrInvalidArgument) {
		t.Errorf("missing dataset: %v", err)
	}
	fields[5].Value = "x"
	if _, err := sink.ParseFields(fields); !errors.Is(err, sink.ErrInvalidArgument) {
		t.Errorf("bad partition: %v", err)
	}
}

func TestKindString(t *testing.T) {
	for k := sink.KindFinal; k <= sink.KindLate; k++ {
		back, err := sink.ParseKind(k.String())
		if err != nil || back != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), back, err)
		}
	}
	if s := sink.Kind(9).String(); s != "kind(9)" {
		t.Errorf("Kind(9) = %q", s)
	}
	if _, err := sink.ParseKind("partial"); err == nil {
		t.Error("ParseKind accepted an unknown kind")
	}
}

func ExampleKey() {
	key, err := sink.Key(sink.Identity{
		Dataset:     "orders",
		WindowStart: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC),
		Segment:     []sink.Tag{{Key: "country", Value: "Côte d'Ivoire"}},
		Topic:       "events",
		Partition:   3,
		FirstOffset: 42,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(key[:strings.LastIndexByte(key, '-')])
	// Output: orders/2026/11/26/07/1795676400000/country=C%C3%B4te%20d%27Ivoire/events-3-42
}
