package session_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/profiler/session"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseConfig(t *testing.T) {
	c, err := session.ParseConfig([]byte(`
project: shop
pipeline: orders-pipeline
verbose: false
with_rotation_time: 90m
cache_size: 3
report_progress: true
writers:
  - type: local
    output_path: /tmp/out
    formats: [protobuf]
    path_template: $name/x
    filename_template: prof
  - type: local
    output_path: rel
    formats: [all]
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Project != "shop" || c.Pipeline != "orders-pipeline" || c.WithRotationTime != "90m" || c.CacheSize == nil || *c.CacheSize != 3 ||
		len(c.Writers) != 2 || c.Writers[0].OutputPath != "/tmp/out" || c.Writers[0].PathTemplate != "$name/x" ||
		c.Writers[0].FilenameTemplate != "prof" || c.Writers[1].Formats[0] != "all" {
		t.Fatalf("config %+v", c)
	}
	if c, err := session.ParseConfig(nil); err != nil || c.Project != "" {
		t.Fatalf("empty config: %+v, %v", c, err)
	}

	bad := []struct{ yaml, want string }{
		{"project: a\nprojekt: b\n", "line 2: field projekt not found"},
		{"project: a\nwriters:\n  - type: local\n    output_path: x\n    format: [protobuf]\n", "line 5: field format not found"},
		{"project: a\nmetadata:\n  type: local\n", "line 2: field metadata not found"},
		{"with_rotation_time: 7m\n", `with_rotation_time "7m"`},
		{"with_rotation_time: 0s\n", `with_rotation_time "0s"`},
		{"cache_size: -1\n", "cache_size -1"},
		{"writers:\n  - type: s3\n    output_path: s3://b\n", `writers[0].type "s3"`},
		{"writers:\n  - type: local\n", "writers[0].output_path"},
		{"writers:\n  - type: local\n    output_path: o\n    formats: [json]\n", `"json" is not supported`},
		{"project: [1, 2]\n", "line 1"},
		{"project: a\n---\nproject: b\n", "more than one YAML document"},
	}
	for _, b := range bad {
		_, err := session.ParseConfig([]byte(b.yaml))
		if !errors.Is(err, session.ErrInvalidConfig) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseConfig(%q) error %v, want ErrInvalidConfig mentioning %q", b.yaml, err, b.want)
		}
	}
}

func TestGetOrCreateSessionFromYAML(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cfgPath := writeFile(t, dir, "whylogs.yaml", "project: shop\npipeline: p1\nwith_rotation_time: 1m\ncache_size: 2\nwriters:\n  - type: local\n    output_path: "+out+"\n    formats: [protobuf]\n")
	t.Setenv("WHYLOGS_CONFIG", writeFile(t, dir, "env.yaml", "project: from-env\n"))
	t.Cleanup(func() { closeDefault(t) })
	closeDefault(t)

	if _, err := session.GetSession(); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("GetSession before creation: %v", err)
	}
	if _, err := session.GetLogger("x"); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("GetLogger before creation: %v", err)
	}
	s, err := session.GetOrCreateSession(cfgPath, session.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	if s.Project() != "shop" || s.Pipeline() != "p1" || len(s.Writers()) != 1 || !s.Timestamp().Equal(tClock) {
		t.Fatalf("session %s/%s writers %d ts %v", s.Project(), s.Pipeline(), len(s.Writers()), s.Timestamp())
	}
	again, err := session.GetOrCreateSession("/does/not/matter")
	if err != nil || again != s {
		t.Fatalf("second GetOrCreateSession: %p %v (want the open default)", again, err)
	}
	if g, err := session.GetSession(); err != nil || g != s {
		t.Fatalf("GetSession: %p %v", g, err)
	}
	l, err := session.GetLogger("orders", session.WithEventTime("ts", time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if l.Rotation() != time.Minute {
		t.Errorf("logger rotation %v, want the config's 1m", l.Rotation())
	}
	for i := range 130 {
		if err := l.Log(map[string]any{"ts": tBase.Unix() + int64(i), "v": i}); err != nil {
			t.Fatal(err)
		}
	}
	// ResetDefaultSession closes (flushes) the old one and loads the config
	// found on the search path ($WHYLOGS_CONFIG here).
	if err := session.ResetDefaultSession(); err != nil {
		t.Fatal(err)
	}
	if s.IsActive() {
		t.Error("old default still active after reset")
	}
	n2, err := session.GetSession()
	if err != nil || n2 == s || n2.Project() != "from-env" {
		t.Fatalf("after reset: %v %v", n2, err)
	}
	if !n2.Timestamp().Equal(tClock) {
		t.Errorf("reset session lost the creation options (clock): %v", n2.Timestamp())
	}
	// The old session's files: three windows (23:58, 23:59, 00:00) of 130 s.
	var total int64
	var files int
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		p, _, err := whylogs.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files++
		total += countN(t, p, "v")
		if !strings.HasPrefix(filepath.ToSlash(path), filepath.ToSlash(out)+"/orders/protobuf/dataset_profile.") {
			t.Errorf("file %s", path)
		}
		return nil
	})
	if files != 3 || total != 130 {
		t.Errorf("%d files with %d values, want 3 files, 130", files, total)
	}
}

func TestDefaultSessionConcurrent(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "c.yaml", "project: conc\n")
	t.Setenv("WHYLOGS_CONFIG", cfgPath)
	closeDefault(t)
	t.Cleanup(func() { closeDefault(t) })
	const G = 8
	got := make([]*session.Session, G)
	loggers := make([]*session.Logger, G)
	var wg sync.WaitGroup
	for g := range G {
		wg.Go(func() {
			s, err := session.GetOrCreateSession(cfgPath)
			if err != nil {
				t.Error(err)
				return
			}
			got[g] = s
			l, err := session.GetLogger("d")
			if err != nil {
				t.Error(err)
				return
			}
			loggers[g] = l
			l.Log(map[string]any{"x": g})
		})
	}
	wg.Wait()
	for g := range G {
		if got[g] != got[0] || loggers[g] != loggers[0] {
			t.Fatalf("goroutine %d got another session or logger", g)
		}
	}
	if st := loggers[0].Stats(); st.Records != G {
		t.Errorf("%d records, want %d", st.Records, G)
	}
}

func closeDefault(t *testing.T) {
	if s, err := session.GetSession(); err == nil {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
	// A closed default is replaced by the next GetOrCreateSession.
}

func TestDefaultConfigWhenNoFile(t *testing.T) {
	t.Setenv("WHYLOGS_CONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Chdir(t.TempDir())
	if _, err := os.Stat("/opt/whylogs/.whylogs.yaml"); err == nil {
		t.Skip("a system-wide whylogs config exists")
	}
	closeDefault(t)
	s, err := session.GetOrCreateSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Project() != "default-project" || s.Pipeline() != "default-pipeline" || len(s.Writers()) != 1 {
		t.Fatalf("default session %q %q %d writers", s.Project(), s.Pipeline(), len(s.Writers()))
	}
}

func TestLocalWriterNamesAndEncoder(t *testing.T) {
	dir := t.TempDir()
	var encoded int
	w, err := session.NewLocalWriter(session.LocalWriterConfig{Dir: dir, PathTemplate: "$name/$$x", FilenameTemplate: "f",
		Encoder: func(p *profiler.DatasetProfile) ([]byte, error) { encoded++; return []byte("bytes"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := profiler.NewDatasetProfile(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), tClock, profiler.Config{})
	p.SetName("../etc/a b")
	seg, _ := profiler.NewSegment("", []string{"c"}, "", []string{"x/y"})
	p.SetSegment(seg)
	p.SetMetadata(profiler.MetaPartition, "orders/3")
	p.SetMetadata(profiler.MetaFirstOffset, "42")
	path, err := w.Path(p)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "..%2Fetc%2Fa%20b", "$x", "protobuf", "f.2024-01-02_03-04-05_"+seg.PartitionID+"_x%2Fy.porders%2F3.o42.bin")
	if path != want {
		t.Fatalf("Path = %s\nwant   %s", path, want)
	}
	if err := w.Write(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "bytes" || encoded != 1 {
		t.Fatalf("file %q %v, encoder calls %d", b, err, encoded)
	}
	// Rewriting replaces the file; no temporary files remain.
	if err := w.Write(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("%d entries after rewrite, want 1", len(ents))
	}
	// Long segment values are replaced by a hash.
	long, _ := profiler.NewSegment("", []string{"c"}, "", []string{strings.Repeat("v", 300)})
	p.SetSegment(long)
	if path, _ := w.Path(p); len(filepath.Base(path)) > 250 {
		t.Errorf("file name of %d bytes", len(filepath.Base(path)))
	}
	w2, _ := session.NewLocalWriter(session.LocalWriterConfig{Dir: dir, PathTemplate: "x", FilenameTemplate: "f_${name}_$dataset_timestamp"})
	p.SetName("a b")
	p.SetSegment(profiler.Segment{})
	if path, _ := w2.Path(p); filepath.Base(path) != "f_a%20b_1704164645000.2024-01-02_03-04-05.porders%2F3.o42.bin" {
		t.Errorf("filename template: %s", filepath.Base(path))
	}
	for _, tmpl := range []string{"$nope", "${name", "a$", "$1"} {
		if _, err := session.NewLocalWriter(session.LocalWriterConfig{Dir: dir, PathTemplate: tmpl}); !errors.Is(err, session.ErrInvalidConfig) {
			t.Errorf("template %q: %v", tmpl, err)
		}
	}
	if _, err := session.NewLocalWriter(session.LocalWriterConfig{}); !errors.Is(err, session.ErrInvalidConfig) {
		t.Errorf("empty dir: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Write(ctx, p); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context: %v", err)
	}
}
