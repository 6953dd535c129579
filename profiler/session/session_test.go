package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/profiler/session"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

var (
	tClock = time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)
	tBase  = time.Date(2025, 5, 31, 23, 58, 0, 0, time.UTC) // event times start here
)

func fixedClock() time.Time { return tClock }

func countN(t testing.TB, p *profiler.DatasetProfile, col string) int64 {
	t.Helper()
	c, ok := p.Lookup(col)
	if !ok {
		return 0
	}
	v, ok := c.Summary().Lookup("counts/n")
	if !ok {
		t.Fatalf("column %q has no counts/n", col)
	}
	return v.Int
}

// events returns n records, one every 250 ms of event time from tBase,
// with every 10th record 70 s late, and a segment field.
func events(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		ts := tBase.Add(time.Duration(i) * 250 * time.Millisecond)
		if i%10 == 9 {
			ts = ts.Add(-70 * time.Second)
		}
		out[i] = map[string]any{
			"ts":      ts.UnixMilli(),
			"country": []string{"US", "DE", "FR"}[i%3],
			"price":   float64(i%97) * 1.25,
			"qty":     i % 13,
			"name":    fmt.Sprintf("item-%d", i%31),
			"ok":      i%4 == 0,
		}
	}
	return out
}

type decoded struct {
	path string
	p    *profiler.DatasetProfile
}

func readAll(t *testing.T, dir string) []decoded {
	t.Helper()
	var out []decoded
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		p, _, err := whylogs.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, decoded{filepath.ToSlash(rel), p})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoggerEndToEndLocalWriter(t *testing.T) {
	dir := t.TempDir()
	w, err := session.NewLocalWriter(session.LocalWriterConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var verbose bytes.Buffer
	s, err := session.New("proj", "pipe", session.WithWriters(w), session.WithClock(fixedClock), session.WithVerbose(&verbose))
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Logger("orders",
		session.WithRotationTime("1m"), session.WithEventTime("ts", time.Millisecond),
		session.WithAllowedLateness(10*time.Second),
		session.WithSegmentColumns("country"), session.WithFullDataset(true),
		session.WithTags(map[string]string{"env": "test"}), session.WithMetadata(map[string]string{"owner": "me"}))
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000 // 500 s of event time: windows 23:58 … 00:06
	evs := events(n)
	for i := 0; i < n; i += 100 {
		if err := l.LogRecords(evs[i : i+100]); err != nil {
			t.Fatal(err)
		}
	}
	st := l.Stats()
	if st.Late == 0 || st.Records != n {
		t.Fatalf("stats %+v: want %d records, some late", st, n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	files := readAll(t, dir)
	if len(files) < 20 {
		t.Fatalf("only %d files", len(files))
	}
	// Expected counts per (window, segment) computed from the input.
	want := map[string]int64{}
	for _, e := range evs {
		ts := time.UnixMilli(e["ts"].(int64)).UTC()
		start := ts.Truncate(time.Minute).Format("15:04")
		want[start+"/"]++
		want[start+"/country="+e["country"].(string)]++
	}
	got := map[string]int64{}
	lateFiles := 0
	for _, f := range files {
		p := f.p
		start := p.DatasetTimestamp()
		if start.Truncate(time.Minute) != start {
			t.Errorf("%s: dataset timestamp %v is not a window start", f.path, start)
		}
		if !p.CreationTimestamp().Equal(tClock) {
			t.Errorf("%s: creation timestamp %v, want the session timestamp", f.path, p.CreationTimestamp())
		}
		md := p.Metadata()
		if md["name"] != "orders" || md["owner"] != "me" || md[profiler.TagPrefix+"env"] != "test" || md[profiler.TagPrefix+"Pipeline"] != "pipe" {
			t.Errorf("%s: metadata %v", f.path, md)
		}
		if md[profiler.MetaLate] == "true" {
			lateFiles++
		}
		seg := p.Segment()
		key := start.Format("15:04") + "/" + profiler.SegmentKey(seg.Tags)
		got[key] += countN(t, p, "price")
		// File name: <name>/protobuf/dataset_profile.<start>[_<pid>_<value>].o<first>.bin
		wantPrefix := "orders/protobuf/dataset_profile." + start.Format("2006-01-02_15-04-05")
		if !seg.IsZero() {
			wantPrefix += "_" + profiler.PartitionID([]string{"country"}, "") + "_" + seg.Tags[0].Value
		}
		wantPrefix += ".o" + md[profiler.MetaFirstOffset] + ".bin"
		if f.path != wantPrefix {
			t.Errorf("file %s, want %s", f.path, wantPrefix)
		}
	}
	if lateFiles == 0 {
		t.Error("no late partial files")
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("window/segment %s: counts/n %d in files, want %d", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d window/segments in files, want %d", len(got), len(want))
	}
	if lines := strings.Count(verbose.String(), "\n"); lines != len(files) {
		t.Errorf("verbose wrote %d lines for %d files", lines, len(files))
	}
	if _, err := s.Logger("x"); !errors.Is(err, session.ErrClosed) {
		t.Errorf("Logger on a closed session: %v", err)
	}
	if err := l.Log(evs[0]); !errors.Is(err, session.ErrClosed) {
		t.Errorf("Log on a closed logger: %v", err)
	}
}

// runDeterministic logs the same events through a new session into dir.
func runDeterministic(t *testing.T, dir string, evs []map[string]any, concurrentMaps bool) map[string][]byte {
	w, err := session.NewLocalWriter(session.LocalWriterConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.New("p", "", session.WithWriters(w), session.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Logger("d", session.WithRotationTime("10m"), session.WithEventTime("ts", 0),
		session.WithSegmentColumns("country"), session.WithFullDataset(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if concurrentMaps { // a fresh map: another insertion and iteration order
			c := make(map[string]any, len(e))
			keys := make([]string, 0, len(e))
			for k := range e {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				c[k] = e[k]
			}
			e = c
		}
		if err := l.Log(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			rel, _ := filepath.Rel(dir, path)
			out[rel] = b
		}
		return err
	})
	return out
}

func TestLoggerDeterministicFiles(t *testing.T) {
	evs := events(5000) // 1250 s in 10-minute windows: full profiles large enough for KLL compaction
	a := runDeterministic(t, t.TempDir(), evs, false)
	b := runDeterministic(t, t.TempDir(), evs, true)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d vs %d files", len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Errorf("file %s differs between runs", k)
		}
	}
}

func TestLoggerNoRotation(t *testing.T) {
	dir := t.TempDir()
	w, _ := session.NewLocalWriter(session.LocalWriterConfig{Dir: dir, PathTemplate: "$name/$session_id", FilenameTemplate: "p_${dataset_timestamp}", SessionID: "sess-1"})
	s, err := session.New("proj", "", session.WithWriters(w), session.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	dt := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	l, err := s.Logger("", session.WithDatasetTimestamp(dt), session.WithCacheSize(3))
	if err != nil {
		t.Fatal(err)
	}
	if l.Name() != "proj" {
		t.Errorf("default name %q, want the project", l.Name())
	}
	for i := range 50 {
		if err := l.Log(map[string]any{"x": i, "y": nil}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(readAll(t, dir)); n != 0 {
		t.Fatalf("%d files before Close without rotation", n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := s.Loggers(); len(got) != 0 {
		t.Errorf("closed logger still registered: %v", got)
	}
	files := readAll(t, dir)
	want := fmt.Sprintf("proj/sess-1/protobuf/p_%d.2024-02-03_04-05-06.o0.bin", dt.UnixMilli())
	if len(files) != 1 || files[0].path != want {
		t.Fatalf("files %v, want %s", files, want)
	}
	p := files[0].p
	if countN(t, p, "x") != 50 || countN(t, p, "y") != 50 || !p.DatasetTimestamp().Equal(dt) {
		t.Errorf("profile: n=%d, dataset ts %v", countN(t, p, "x"), p.DatasetTimestamp())
	}
	if r := l.Recent(); len(r) != 1 || countN(t, r[0], "x") != 50 {
		t.Errorf("Recent() = %d profiles", len(r))
	}
}

func TestLoggerRegistryAndOptions(t *testing.T) {
	s, err := session.New("p", "", session.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Logger("d", session.WithRotationTime("5m"), session.WithConstraints("c1", 2))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Logger("d", session.WithRotationTime("5m"), session.WithConstraints("c1", 2))
	if err != nil || a != b {
		t.Fatalf("same options gave %p, %p, %v", a, b, err)
	}
	if c := a.Constraints(); !slices.Equal(c, []any{"c1", 2}) {
		t.Errorf("constraints %v", c)
	}
	if a.Rotation() != 5*time.Minute {
		t.Errorf("rotation %v", a.Rotation())
	}
	if _, err := s.Logger("d", session.WithRotationTime("1h")); !errors.Is(err, session.ErrLoggerExists) {
		t.Errorf("other options: %v", err)
	}
	s.RemoveLogger("d")
	c, err := s.Logger("d", session.WithRotationTime("1h"))
	if err != nil || c == a {
		t.Fatalf("after RemoveLogger: %p %v", c, err)
	}
	if err := a.Log(map[string]any{"x": 1}); err != nil {
		t.Errorf("removed logger unusable: %v", err)
	}
	for _, opt := range []session.LoggerOption{
		session.WithRotationTime("7m"), session.WithRotationTime("0s"), session.WithCacheSize(-1),
		session.WithEventTime("", 0), session.WithEventTime("ts", 7*time.Millisecond), session.WithAllowedLateness(-1),
		session.WithMaxSegments(-1), session.WithSegmentColumns(), session.WithSegments(),
		session.WithDatasetTimestamp(time.Time{}), session.WithProfileConfig(profiler.Config{KLLK: 2}),
	} {
		if _, err := s.Logger("bad", opt); !errors.Is(err, session.ErrInvalidConfig) {
			t.Errorf("bad option accepted or wrong error: %v", err)
		}
	}
	if _, err := s.Logger("bad", session.WithSegmentColumns("a"), session.WithSegments([]profiler.SegmentTag{{Key: "a", Value: "1"}})); !errors.Is(err, session.ErrInvalidConfig) {
		t.Errorf("both segment forms: %v", err)
	}
	// Session default rotation applies unless the logger overrides it.
	s2, _ := session.New("p", "", session.WithDefaultRotation("1h"))
	l2, _ := s2.Logger("x")
	l3, _ := s2.Logger("y", session.WithRotationTime(""))
	if l2.Rotation() != time.Hour || l3.Rotation() != 0 {
		t.Errorf("default rotation: %v, %v", l2.Rotation(), l3.Rotation())
	}
	if _, err := session.New("p", "", session.WithDefaultRotation("25h")); !errors.Is(err, session.ErrInvalidConfig) {
		t.Errorf("bad session rotation: %v", err)
	}
}

func TestNewProfileAndProfileRecords(t *testing.T) {
	s, _ := session.New("proj", "pipe", session.WithClock(fixedClock))
	p, err := s.NewProfile("ds", session.WithTags(map[string]string{"team": "a"}))
	if err != nil {
		t.Fatal(err)
	}
	md := p.Metadata()
	if md["name"] != "ds" || md[profiler.TagPrefix+"Pipeline"] != "pipe" || md[profiler.TagPrefix+"team"] != "a" {
		t.Errorf("metadata %v", md)
	}
	if !p.DatasetTimestamp().Equal(tClock) || !p.CreationTimestamp().Equal(tClock) || !p.IsEmpty() {
		t.Errorf("timestamps %v %v", p.DatasetTimestamp(), p.CreationTimestamp())
	}
	batch := []map[string]any{{"a": 1, "b": "x"}, {"a": 2}, {"a": nil, "b": "y"}}
	q, err := s.ProfileRecords("ds", batch, session.WithSegmentColumns("b"))
	if err != nil {
		t.Fatal(err)
	}
	if countN(t, q, "a") != 3 || countN(t, q, "b") != 2 || !q.Segment().IsZero() {
		t.Errorf("ProfileRecords: a=%d b=%d", countN(t, q, "a"), countN(t, q, "b"))
	}
	// profile_dataframe does not write and does not register a logger.
	if len(s.Loggers()) != 0 {
		t.Errorf("loggers %v", s.Loggers())
	}
	// The logger form uses the logger's identity and leaves its windows alone.
	l, _ := s.Logger("lg", session.WithRotationTime("1m"), session.WithMetadata(map[string]string{"k": "v"}))
	r, err := l.ProfileRecords(batch)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := s.ProfileRecords("lg", batch, session.WithMetadata(map[string]string{"k": "v"}))
	ca, _ := r.Components()
	cb, _ := same.Components()
	if countN(t, r, "a") != 3 || r.Metadata()["k"] != "v" || r.Name() != "lg" || fmt.Sprint(ca) != fmt.Sprint(cb) {
		t.Errorf("Logger.ProfileRecords: n=%d metadata %v", countN(t, r, "a"), r.Metadata())
	}
	if st := l.Stats(); st.Records != 0 || st.OpenProfiles != 0 {
		t.Errorf("ProfileRecords touched the logger: %+v", st)
	}
}

func TestEventTimeForms(t *testing.T) {
	s, _ := session.New("p", "", session.WithClock(fixedClock))
	want := time.Date(2024, 7, 1, 10, 0, 30, 0, time.UTC)
	cases := []struct {
		v    any
		unit time.Duration
	}{
		{want, 0},
		{want.Format(time.RFC3339Nano), 0},
		{want.In(time.FixedZone("X", 5*3600)).Format(time.RFC3339), 0},
		{want.UnixMilli(), 0},
		{want.UnixMilli(), time.Millisecond},
		{want.Unix(), time.Second},
		{float64(want.Unix()) + 0.5, time.Second},
		{uint32(want.Unix()), time.Second},
		{want.UnixMicro(), time.Microsecond},
		{want.UnixNano(), time.Nanosecond},
		{int32(want.Unix() / 60), time.Minute},
	}
	for i, c := range cases {
		l, err := s.Logger(fmt.Sprint("l", i), session.WithRotationTime("1m"), session.WithEventTime("ts", c.unit))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Log(map[string]any{"ts": c.v, "x": 1}); err != nil {
			t.Fatalf("case %d (%T %v): %v", i, c.v, c.v, err)
		}
		l.Flush()
		r := l.Recent()
		wantStart := want.Truncate(time.Minute)
		if len(r) != 1 || !r[0].DatasetTimestamp().Equal(wantStart) {
			t.Errorf("case %d (%T %v): window %v, want %v", i, c.v, c.v, r, wantStart)
		}
	}
	l, _ := s.Logger("bad", session.WithRotationTime("1m"), session.WithEventTime("ts", 0))
	for _, v := range []any{nil, "yesterday", true, []int{1}, time.Time{}} {
		if err := l.Log(map[string]any{"ts": v}); !errors.Is(err, session.ErrEventTime) {
			t.Errorf("event time %v: %v", v, err)
		}
	}
	if err := l.Log(map[string]any{"x": 1}); !errors.Is(err, session.ErrEventTime) {
		t.Errorf("missing event time: %v", err)
	}
	err := l.LogRecords([]map[string]any{{"ts": want, "x": 1}, {"x": 2}, {"ts": "bad"}, {"ts": want, "x": 3}})
	if !errors.Is(err, session.ErrEventTime) || !strings.Contains(err.Error(), "2 of 4") || !strings.Contains(err.Error(), "record 1") {
		t.Errorf("LogRecords with bad records: %v", err)
	}
	if st := l.Stats(); st.Records != 2 {
		t.Errorf("logged %d records, want the 2 good ones", st.Records)
	}
}

func TestLogFuncTypedPath(t *testing.T) {
	s, _ := session.New("p", "", session.WithClock(fixedClock))
	l, _ := s.Logger("d", session.WithRotationTime("1m"), session.WithSegmentColumns("k"), session.WithFullDataset(true), session.WithCacheSize(10))
	for i := range 30 {
		k := []string{"a", "b"}[i%2]
		err := l.LogFunc(tBase.Add(time.Duration(i)*time.Second), profiler.Record{"k": k}, func(p *profiler.DatasetProfile) {
			p.Column("v").UpdateInt64(int64(i))
			p.Column("k").UpdateString(k)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var full, seg int64
	for _, p := range l.Recent() {
		if p.Segment().IsZero() {
			full += countN(t, p, "v")
		} else {
			seg += countN(t, p, "v")
		}
	}
	if full != 30 || seg != 30 {
		t.Errorf("full %d, segments %d; want 30 each", full, seg)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(context.Context, *profiler.DatasetProfile) error {
	f.n++
	return errors.New("disk on fire")
}

func TestWriteErrorsReturned(t *testing.T) {
	fw := &failWriter{}
	s, _ := session.New("p", "", session.WithWriters(fw), session.WithClock(fixedClock))
	l, _ := s.Logger("d")
	l.Log(map[string]any{"x": 1})
	err := s.Close()
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || fw.n != 1 {
		t.Fatalf("Close error %v after %d writes", err, fw.n)
	}
	if st := l.Stats(); st.Written != 0 {
		t.Errorf("written %d", st.Written)
	}
}

func TestLoggerConcurrent(t *testing.T) {
	var mu sync.Mutex
	count := map[string]int64{}
	w := writerFunc(func(_ context.Context, p *profiler.DatasetProfile) error {
		mu.Lock()
		count[profiler.SegmentKey(p.Segment().Tags)] += countN(t, p, "x")
		mu.Unlock()
		return nil
	})
	s, _ := session.New("p", "", session.WithWriters(w), session.WithClock(fixedClock))
	const G, N = 8, 300
	var wg sync.WaitGroup
	for g := range G {
		wg.Go(func() {
			l, err := s.Logger("d", session.WithRotationTime("1m"), session.WithEventTime("ts", 0),
				session.WithSegmentColumns("g"), session.WithFullDataset(true))
			if err != nil {
				t.Error(err)
				return
			}
			for i := range N {
				rec := map[string]any{"ts": tBase.Add(time.Duration(i) * time.Second).UnixMilli(), "g": g % 2, "x": i}
				var err error
				if i%3 == 0 {
					err = l.LogRecords([]map[string]any{rec})
				} else {
					err = l.Log(rec)
				}
				if err != nil {
					t.Error(err)
				}
				if i%50 == 0 {
					l.Stats()
					l.Recent()
				}
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if count[""] != G*N || count["g=0"] != G*N/2 || count["g=1"] != G*N/2 {
		t.Fatalf("counts %v", count)
	}
}

type writerFunc func(context.Context, *profiler.DatasetProfile) error

func (f writerFunc) Write(ctx context.Context, p *profiler.DatasetProfile) error { return f(ctx, p) }
