package event

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// flakyRegistry serves srfake's handler, or HTTP 500 while down is set.
type flakyRegistry struct {
	fake     *srfake.Registry
	srv      *httptest.Server
	down     atomic.Bool
	requests atomic.Int64
}

func newFlakyRegistry(t *testing.T) *flakyRegistry {
	f := &flakyRegistry{fake: srfake.NewRegistry()}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		if f.down.Load() {
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error_code":50001,"message":"backend store down"}`))
			return
		}
		f.fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func newRegistrySource(t *testing.T, url string, opts RegistryOptions) *Registry {
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRegistry(cl, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wire(id uint32, payload []byte) []byte { return append(AppendWireHeader(nil, id), payload...) }

func TestRegistryDecode(t *testing.T) {
	f := newFlakyRegistry(t)
	f.fake.SeedSchema("orders-value", 1, 42, sr.Schema{Schema: OrderFlatSchema})
	f.fake.SeedSchema("proto-value", 1, 43, sr.Schema{Schema: `syntax = "proto3"; message M { int32 a = 1; }`, Type: sr.TypeProtobuf})
	reg := newRegistrySource(t, f.srv.URL, RegistryOptions{})
	dec, err := NewAvroDecoder(reg, AvroOptions{EventTimeField: "ts"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	payload := encode(t, OrderFlatSchema, flatOrder())
	value := wire(42, payload)

	// Registry down first: retryable, no record lost.
	f.down.Store(true)
	var r rec
	_, err = dec.Decode(ctx, value, &r)
	if !errors.Is(err, ErrRegistryUnavailable) || !IsRetryable(err) || KindOf(err) != KindRegistryUnavailable {
		t.Fatalf("registry down: got %v", err)
	}
	if !strings.Contains(err.Error(), "backend store down") || len(r.out) != 0 {
		t.Errorf("error %q, visitor calls %v", err, r.out)
	}
	// Recovery.
	f.down.Store(false)
	raw, err := dec.Decode(ctx, value, &r)
	if err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if got := strings.Join(r.out, " "); !strings.HasPrefix(got, `event_id=str:"ev-1" ts=int:1764142800123 country=str:"DE" device=str:"mobile"`) {
		t.Errorf("decoded %s", got)
	}
	if raw.Kind != TimeInt || raw.Unit != UnitMillis || raw.Int != 1764142800123 {
		t.Errorf("raw %+v", raw)
	}
	// Cached forever: more records, no more requests.
	before := f.requests.Load()
	f.down.Store(true) // even a registry outage does not matter now
	for range 10 {
		if _, err := dec.Decode(ctx, value, &nop{}); err != nil {
			t.Fatal(err)
		}
	}
	f.down.Store(false)
	st := reg.Stats()
	if f.requests.Load() != before || st.Fetches != 2 || st.Failures != 1 || st.Hits < 10 || st.CachedIDs != 1 {
		t.Errorf("requests %d→%d stats %+v", before, f.requests.Load(), st)
	}

	// A second schema: the decoder switches programs per record.
	f.fake.SeedSchema("other-value", 1, 44, sr.Schema{Schema: `{"type":"record","name":"O","fields":[{"name":"k","type":"string"}]}`})
	other := wire(44, []byte{2, 'z'})
	for range 3 {
		var a, b rec
		if _, err := dec.Decode(ctx, other, &a); err != nil || strings.Join(a.out, " ") != `k=str:"z"` {
			t.Fatalf("schema 44: %v %v", a.out, err)
		}
		if _, err := dec.Decode(ctx, value, &b); err != nil || len(b.out) != 12 {
			t.Fatalf("schema 42: %v %v", b.out, err)
		}
	}

	// Unknown id: not retryable, negative-cached.
	_, err = dec.Decode(ctx, wire(99, payload), &nop{})
	if !errors.Is(err, ErrUnknownSchema) || IsRetryable(err) || !strings.Contains(err.Error(), "schema id 99") {
		t.Fatalf("unknown id: %v", err)
	}
	_, err = dec.Decode(ctx, wire(99, payload), &nop{})
	if !errors.Is(err, ErrUnknownSchema) || reg.Stats().NegHits != 1 {
		t.Fatalf("unknown id again: %v %+v", err, reg.Stats())
	}
	// Not Avro.
	_, err = dec.Decode(ctx, wire(43, payload), &nop{})
	if !errors.Is(err, ErrUnknownSchema) || !strings.Contains(err.Error(), "PROTOBUF") {
		t.Fatalf("protobuf schema: %v", err)
	}
	// Bad headers.
	for _, c := range []struct {
		in  []byte
		off int
	}{{nil, 0}, {[]byte{0, 0, 0}, 3}, {[]byte{1, 0, 0, 0, 42, 0}, 0}} {
		_, err := dec.Decode(ctx, c.in, &nop{})
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindMalformed || e.Offset != c.off {
			t.Errorf("header % x: %v", c.in, err)
		}
	}
	// Payload errors count offsets from the magic byte.
	_, err = dec.Decode(ctx, value[:len(value)-3], &nop{})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindMalformed || e.Offset < WireHeaderSize {
		t.Errorf("truncated payload: %v", err)
	}
}

func TestRegistryNegativeTTLAndLateRegistration(t *testing.T) {
	f := newFlakyRegistry(t)
	reg := newRegistrySource(t, f.srv.URL, RegistryOptions{NegativeTTL: time.Minute})
	now := time.Unix(1000, 0)
	reg.now = func() time.Time { return now }
	ctx := context.Background()
	if _, err := reg.SchemaByID(ctx, 7); !errors.Is(err, ErrUnknownSchema) {
		t.Fatal(err)
	}
	f.fake.SeedSchema("late-value", 1, 7, sr.Schema{Schema: `"string"`})
	if _, err := reg.SchemaByID(ctx, 7); !errors.Is(err, ErrUnknownSchema) {
		t.Fatalf("within TTL: %v", err)
	}
	now = now.Add(2 * time.Minute)
	s, err := reg.SchemaByID(ctx, 7)
	if err != nil || s.ID() != 7 || s.Text() != `"string"` {
		t.Fatalf("after TTL: %v", err)
	}
}

func TestRegistryUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused from now on
	reg := newRegistrySource(t, url, RegistryOptions{Timeout: time.Second})
	_, _, err := reg.Resolve(context.Background(), wire(1, nil))
	if !errors.Is(err, ErrRegistryUnavailable) || !IsRetryable(err) {
		t.Fatalf("got %v", err)
	}
	// A bare 404 (wrong base URL, a proxy) is not "unknown schema".
	srv404 := httptest.NewServer(http.NotFoundHandler())
	defer srv404.Close()
	reg = newRegistrySource(t, srv404.URL, RegistryOptions{})
	if _, err := reg.SchemaByID(context.Background(), 1); !errors.Is(err, ErrRegistryUnavailable) {
		t.Fatalf("bare 404: %v", err)
	}
	// A cancelled context is also "unavailable" (retry later), not poison.
	f := newFlakyRegistry(t)
	reg = newRegistrySource(t, f.srv.URL, RegistryOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := reg.SchemaByID(ctx, 1); !errors.Is(err, ErrRegistryUnavailable) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestRegistryConcurrent(t *testing.T) {
	f := newFlakyRegistry(t)
	f.fake.SeedSchema("orders-value", 1, 5, sr.Schema{Schema: OrderFlatSchema})
	reg := newRegistrySource(t, f.srv.URL, RegistryOptions{})
	value := wire(5, encode(t, OrderFlatSchema, flatOrder()))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec, _ := NewAvroDecoder(reg, AvroOptions{})
			for range 50 {
				if _, err := dec.Decode(context.Background(), value, &nop{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if st := reg.Stats(); st.Fetches != 1 || st.Hits != 8*50-1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFixedSchema(t *testing.T) {
	if _, err := NewFixedSchema(`{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}`); !errors.Is(err, ErrUnknownSchema) {
		t.Errorf("invalid schema: %v", err)
	}
	if _, err := NewFixedSchema(`not json`); err == nil {
		t.Error("not json accepted")
	}
	fs, err := NewFixedSchema(OrderSchema)
	if err != nil {
		t.Fatal(err)
	}
	s, off, err := fs.Resolve(context.Background(), []byte{1, 2})
	if err != nil || off != 0 || s != fs.Schema() || s.ID() != 0 {
		t.Fatal(s, off, err)
	}
	if _, err := NewAvroDecoder(nil, AvroOptions{}); !errors.Is(err, ErrInvalidOption) {
		t.Error("nil source accepted")
	}
}

func TestErrorFormatting(t *testing.T) {
	e := &Error{Kind: KindMalformed, Format: "json", Offset: 3, Msg: "bad"}
	if e.Error() != "event: json: malformed at offset 3: bad" {
		t.Error(e.Error())
	}
	wrapped := errors.Join(errors.New("ctx"), &Error{Kind: KindRegistryUnavailable, Format: "avro", Offset: -1, Msg: "x", Err: context.DeadlineExceeded})
	if KindOf(wrapped) != KindRegistryUnavailable || !errors.Is(wrapped, context.DeadlineExceeded) || !IsRetryable(wrapped) {
		t.Error("wrapped kind lost")
	}
	if KindOf(nil) != KindNone || KindOf(errors.New("x")) != KindNone || KindNone.String() != "none" {
		t.Error("foreign errors")
	}
}

func flatOrder() map[string]any {
	return map[string]any{
		"event_id": "ev-1", "ts": int64(1764142800123), "country": "DE", "device": "mobile",
		"price": 19.99, "quantity": int32(2), "discount": nil, "coupon": map[string]any{"string": "SPRING"},
		"is_gift": false, "comment": map[string]any{"string": "please ring twice"},
		"customer_id": int64(123456), "customer_segment": "gold",
	}
}

func TestNewRegistryOptions(t *testing.T) {
	if _, err := NewRegistry(nil, RegistryOptions{}); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("nil client: %v", err)
	}
	if _, err := NewJSONDecoder(JSONOptions{Nesting: 7}); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("bad nesting: %v", err)
	}
}
