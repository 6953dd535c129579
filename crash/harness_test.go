package crash

// Unit tests of the harness itself (normal build, fast): the checker must
// catch a duplicate and a loss, and the S3 fake's outage and held PUT must
// behave as the crash and outage tests assume.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
	"github.com/kprofiler/kprofiler/sink"
)

// profileOf profiles n generated events of one country (or all, when
// country is "") the way the consumer would: every column of every event.
func profileOf(t *testing.T, events []map[string]any, country string) Stored {
	t.Helper()
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dp, err := profiler.NewDatasetProfile(ts, ts, profiler.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dp.SetName(Dataset)
	if country != "" {
		seg, err := profiler.NewSegment("country", []string{"country"}, "", []string{country})
		if err != nil {
			t.Fatal(err)
		}
		dp.SetSegment(seg)
	}
	for _, e := range events {
		if country == "" || e["country"] == country {
			dp.Track(e)
		}
	}
	b, err := whylogs.MarshalV1(dp)
	if err != nil {
		t.Fatal(err)
	}
	return Stored{Key: fmt.Sprintf("%s/%d.bin", country, len(events)), Value: b}
}

func TestCheckCatchesDuplicatesAndLoss(t *testing.T) {
	g := NewGen(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Second, 0.05)
	var events []map[string]any
	for range 400 {
		r, valid := g.Next()
		if isObject := json.Valid(r.Value) && r.Value[0] == '{'; isObject != valid {
			t.Fatalf("record %s: valid %v, value %q", r.Key, valid, r.Value)
		}
		if valid {
			events = append(events, map[string]any{"event_id": string(r.Key), "ts": "x", "country": countryOf(r.Value),
				"device": "d", "price": 1.5, "quantity": int64(1), "discount": nil, "coupon": nil, "is_gift": false, "customer_id": int64(7)})
		}
	}
	if len(events) != g.Valid || g.Valid == 400 || g.Produced != 400 {
		t.Fatalf("generator: %d parsed, %d valid of %d", len(events), g.Valid, g.Produced)
	}
	half := len(events) / 2
	var exact []Stored
	for _, part := range [][]map[string]any{events[:half], events[half:]} {
		exact = append(exact, profileOf(t, part, ""))
		for _, c := range Countries {
			exact = append(exact, profileOf(t, part, c))
		}
	}
	m, err := Merge(exact, Dataset)
	if err != nil {
		t.Fatal(err)
	}
	if bad := m.Check(g); len(bad) != 0 {
		t.Fatalf("exact profiles reported: %v", bad)
	}
	// A replayed partial next to its first copy: counted twice.
	dup, err := Merge(append(exact, profileOf(t, events[:3], "")), Dataset)
	if err != nil {
		t.Fatal(err)
	}
	if bad := dup.Check(g); len(bad) != 1 || !strings.Contains(bad[0], "(+3)") {
		t.Errorf("duplicate not reported as +3: %v", bad)
	}
	// A lost partial: the second half's full-dataset profile is missing.
	second := 1 + len(Countries) // index of the second half's full-dataset profile
	lost, err := Merge(append(append([]Stored{}, exact[:second]...), exact[second+1:]...), Dataset)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("(%+d)", -(len(events) - half))
	if bad := lost.Check(g); len(bad) != 1 || !strings.Contains(bad[0], want) {
		t.Errorf("loss not reported as %s: %v", want, bad)
	}
	// Another dataset's profile is an error, not a silent merge.
	other := profileOf(t, events, "")
	dp, _, _ := whylogs.Read(other.Value)
	dp.SetName("other")
	other.Value, _ = whylogs.MarshalV1(dp)
	if _, err := Merge([]Stored{other}, Dataset); err == nil {
		t.Error("a profile of another dataset was merged")
	}
}

func countryOf(v []byte) string {
	_, rest, _ := strings.Cut(string(v), `"country":"`)
	c, _, _ := strings.Cut(rest, `"`)
	return c
}

func TestFakeS3OutageAndHeldPut(t *testing.T) {
	f, err := NewFakeS3("b")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, kv := range S3Env("unit", t.TempDir()) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	s, err := sink.OpenBlob(ctx, f.BlobURL(), sink.BlobOptions{Prefix: "kp/", Retry: &sink.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prof := func(first int64) sink.Profile {
		key, err := sink.Key(sink.Identity{Dataset: Dataset, WindowStart: ts, Topic: "t", Partition: 0, FirstOffset: first})
		if err != nil {
			t.Fatal(err)
		}
		return sink.Profile{Key: key, Value: []byte("v"), Dataset: Dataset, WindowStart: ts, WindowEnd: ts.Add(time.Minute),
			Topic: "t", FirstOffset: first, LastOffset: first, Kind: sink.KindFinal}
	}
	if err := s.Publish(ctx, []sink.Profile{prof(0)}); err != nil {
		t.Fatal(err)
	}
	f.SetOutage(true)
	if err := s.Publish(ctx, []sink.Profile{prof(1)}); err == nil {
		t.Fatal("publish succeeded during the outage")
	}
	if f.Failed.Load() == 0 {
		t.Error("no failed request counted")
	}
	objs, err := f.Objects("kp/")
	if err != nil || len(objs) != 1 {
		t.Fatalf("during the outage the backend holds %d objects (%v), want 1", len(objs), err)
	}
	f.SetOutage(false)

	// A PUT of the armed client (by its access key) waits until released.
	held, release := f.HoldPut("unit")
	done := make(chan error, 1)
	go func() { done <- s.Publish(ctx, []sink.Profile{prof(2)}) }()
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the PUT was not held")
	}
	select {
	case err := <-done:
		t.Fatalf("publish returned while its PUT was held: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if objs, _ := f.Objects("kp/"); len(objs) != 2 {
		t.Errorf("%d objects after the held PUT was released, want 2", len(objs))
	}
}
