package sink_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/kprofiler/kprofiler/sink"
)

// jprofile returns a valid profile of dataset ds for topic/partition
// holding the records [first, last].
func jprofile(t *testing.T, ds, topic string, partition int32, first, last int64) sink.Profile {
	t.Helper()
	ws := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC).Add(time.Duration(first) * time.Second)
	id := sink.Identity{Dataset: ds, WindowStart: ws, Topic: topic, Partition: partition, FirstOffset: first}
	key, err := sink.Key(id)
	if err != nil {
		t.Fatal(err)
	}
	return sink.Profile{Key: key, Value: []byte("WHY1-" + key), Dataset: ds, WindowStart: ws, WindowEnd: ws.Add(time.Minute),
		Topic: topic, Partition: partition, FirstOffset: first, LastOffset: last, Version: "test"}
}

// listKeys lists every object of b under prefix, sorted.
func listKeys(t *testing.T, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var out []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, obj.Key)
	}
	slices.Sort(out)
	return out
}

type journalBackend struct {
	name   string
	open   func(t *testing.T) (s *sink.Blob, read *blob.Bucket)
	prefix string
}

func journalBackends() []journalBackend {
	return []journalBackend{
		{name: "mem", open: func(t *testing.T) (*sink.Blob, *blob.Bucket) {
			b, err := blob.OpenBucket(t.Context(), "mem://")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			s, err := sink.NewBlob(b, sink.BlobOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return s, b
		}},
		{name: "file", prefix: "out/", open: func(t *testing.T) (*sink.Blob, *blob.Bucket) {
			url := "file://" + filepath.ToSlash(t.TempDir())
			s, err := sink.OpenBlob(t.Context(), url, sink.BlobOptions{Prefix: "out"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			rb, err := blob.OpenBucket(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rb.Close() })
			return s, rb
		}},
		{name: "s3", prefix: "kp/", open: func(t *testing.T) (*sink.Blob, *blob.Bucket) {
			setS3Env(t)
			fake := newFakeS3(t)
			s, err := sink.OpenBlob(t.Context(), fake.url(), sink.BlobOptions{Prefix: "kp/"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			rb, err := s3blob.OpenBucket(t.Context(), fake.client(), fake.bucket, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rb.Close() })
			return s, rb
		}},
	}
}

var journalName = regexp.MustCompile(`^_kprofiler/journal/([^/]+)/([0-9]+)/([0-9]{20})-([0-9]{20})-[0-9a-f]{16}\.json$`)

// A crash between publishing and committing, then Reconcile at the resume
// offset: on every backend, the objects holding records at or beyond the
// resume offset are deleted (also one whose write never happened), the
// committed ones stay, the partition's journal is emptied, and other
// partitions are untouched.
func TestJournalReconcile(t *testing.T) {
	for _, be := range journalBackends() {
		t.Run(be.name, func(t *testing.T) {
			s, rb := be.open(t)
			ctx := t.Context()
			// Batch 1 (committed: the partition resumes at 20).
			b1 := []sink.Profile{jprofile(t, "orders", "events", 0, 0, 9), jprofile(t, "orders", "events", 0, 10, 19)}
			// Batch 2: published, never committed; also partition 1.
			b2 := []sink.Profile{jprofile(t, "orders", "events", 0, 20, 29), jprofile(t, "orders", "events", 0, 30, 39),
				jprofile(t, "orders", "events", 1, 5, 7)}
			// Batch 3: another dataset of the topic, crash after the journal
			// entry and before its object (deleted below to stand for that).
			b3 := []sink.Profile{jprofile(t, "payments", "events", 0, 40, 41)}
			for _, b := range [][]sink.Profile{b1, b2, b3} {
				if err := s.Publish(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			all := listKeys(t, rb, be.prefix)
			var entries []string
			for _, k := range all {
				rel := strings.TrimPrefix(k, be.prefix)
				if strings.HasPrefix(rel, sink.JournalDir) {
					if !journalName.MatchString(rel) {
						t.Errorf("journal entry name %q", rel)
					}
					entries = append(entries, rel)
				}
			}
			if len(entries) != 4 || len(all) != 4+6 {
				t.Fatalf("%d journal entries and %d objects, want 4 entries (one per batch and partition) and 10: %v", len(entries), len(all), all)
			}
			j0, err := s.Journal(ctx, "events", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(j0) != 3 || j0[0].FirstOffset != 0 || j0[0].LastOffset != 19 || len(j0[0].Objects) != 2 ||
				j0[1].FirstOffset != 20 || j0[1].LastOffset != 39 || j0[2].FirstOffset != 40 {
				t.Fatalf("journal of partition 0: %+v", j0)
			}
			for _, e := range j0 {
				for _, o := range e.Objects {
					if !strings.HasPrefix(o.Key, be.prefix) {
						t.Errorf("journal lists %q without the sink prefix %q", o.Key, be.prefix)
					}
				}
			}
			if err := rb.Delete(ctx, s.ObjectKey(b3[0].Key)); err != nil {
				t.Fatal(err)
			}

			if err := s.Reconcile(ctx, "events", 0, 20); err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			want := []string{s.ObjectKey(b1[0].Key), s.ObjectKey(b1[1].Key), s.ObjectKey(b2[2].Key)}
			var gotObjects []string
			for _, k := range listKeys(t, rb, be.prefix) {
				if !strings.HasPrefix(strings.TrimPrefix(k, be.prefix), sink.JournalDir) {
					gotObjects = append(gotObjects, k)
				}
			}
			slices.Sort(want)
			if !slices.Equal(gotObjects, want) {
				t.Errorf("objects after Reconcile at 20:\n got %v\nwant %v", gotObjects, want)
			}
			if j, err := s.Journal(ctx, "events", 0); err != nil || len(j) != 0 {
				t.Errorf("journal of partition 0 after Reconcile: %+v, %v; want empty", j, err)
			}
			if j, err := s.Journal(ctx, "events", 1); err != nil || len(j) != 1 {
				t.Errorf("journal of partition 1 touched: %+v, %v", j, err)
			}
			// Idempotent, and a replay then writes what it rebuilds.
			if err := s.Reconcile(ctx, "events", 0, 20); err != nil {
				t.Fatalf("second Reconcile: %v", err)
			}
			if err := s.Publish(ctx, b2[:2]); err != nil {
				t.Fatal(err)
			}
			if j, _ := s.Journal(ctx, "events", 0); len(j) != 1 || j[0].FirstOffset != 20 {
				t.Errorf("journal after the replay: %+v", j)
			}
			// Partition 1 resumes at 6: its object holds record 7, so it goes.
			if err := s.Reconcile(ctx, "events", 1, 6); err != nil {
				t.Fatal(err)
			}
			if ok, _ := rb.Exists(ctx, s.ObjectKey(b2[2].Key)); ok {
				t.Error("object [5,7] survived Reconcile at 6")
			}
		})
	}
}

// Entries wholly below the resume offset are collected without touching
// their objects; the journal name is the same for the same batch, so a
// republished batch does not add an entry.
func TestJournalCollectAndDeterministicNames(t *testing.T) {
	b, err := blob.OpenBucket(t.Context(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, err := sink.NewBlob(b, sink.BlobOptions{Prefix: "p"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	batch := []sink.Profile{jprofile(t, "orders", "events", 3, 100, 150), jprofile(t, "orders", "events", 3, 151, 199)}
	for range 2 {
		if err := s.Publish(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	// Same offsets, other profiles (a second dataset): a second entry.
	if err := s.Publish(ctx, []sink.Profile{jprofile(t, "other", "events", 3, 100, 199)}); err != nil {
		t.Fatal(err)
	}
	keys := listKeys(t, b, "p/"+sink.JournalDir)
	if len(keys) != 2 {
		t.Fatalf("journal %v, want 2 entries", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "p/_kprofiler/journal/events/3/00000000000000000100-00000000000000000199-") {
			t.Errorf("entry name %q", k)
		}
	}
	if err := s.Reconcile(ctx, "events", 3, 200); err != nil {
		t.Fatal(err)
	}
	if keys := listKeys(t, b, "p/"+sink.JournalDir); len(keys) != 0 {
		t.Errorf("entries below the resume offset left: %v", keys)
	}
	for _, p := range batch {
		if ok, _ := b.Exists(ctx, s.ObjectKey(p.Key)); !ok {
			t.Errorf("committed object %s deleted", p.Key)
		}
	}
}

// Retry, Instrument and Multi forward Reconcile to the blob sinks they wrap
// (a sink that is no Reconciler is skipped), and Retry retries a failing
// Reconcile: the S3 fake answers 500 for a while.
func TestReconcileThroughDecorators(t *testing.T) {
	setS3Env(t)
	fake := newFakeS3(t)
	sb, err := s3blob.OpenBucket(t.Context(), fake.client(), fake.bucket, nil) // no SDK retries
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	s3s, err := sink.NewBlob(sb, sink.BlobOptions{Name: "s3", Prefix: "kp", Retry: &sink.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	mb, err := blob.OpenBucket(t.Context(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	mems, err := sink.NewBlob(mb, sink.BlobOptions{Name: "mem"})
	if err != nil {
		t.Fatal(err)
	}
	var retries atomic.Int32
	retried := sink.Retry(sink.Instrument(s3s, sink.MetricsFunc(func(sink.PublishEvent) {})), sink.RetryPolicy{
		Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond,
		OnRetry: func(attempt int, _ time.Duration, _ error) {
			if retries.Add(1) == 3 {
				fake.mode.Store(modeOK)
			}
		},
	})
	multi, err := sink.NewMulti(retried, mems, sink.NewMemory("memory"))
	if err != nil {
		t.Fatal(err)
	}
	ps := []sink.Profile{jprofile(t, "orders", "events", 0, 0, 9), jprofile(t, "orders", "events", 0, 10, 19)}
	if err := multi.Publish(t.Context(), ps); err != nil {
		t.Fatal(err)
	}
	var rc sink.Reconciler = multi
	fake.mode.Store(mode500)
	if err := rc.Reconcile(t.Context(), "events", 0, 10); err != nil {
		t.Fatalf("Reconcile through an outage: %v", err)
	}
	if retries.Load() < 3 {
		t.Errorf("%d retries, want the outage retried", retries.Load())
	}
	for _, s := range []*sink.Blob{s3s, mems} {
		if ok, err := s.Bucket().Exists(t.Context(), s.ObjectKey(ps[1].Key)); ok || err != nil {
			t.Errorf("%s: object [10,19] still there after Reconcile at 10 (%v)", s.Name(), err)
		}
		if ok, err := s.Bucket().Exists(t.Context(), s.ObjectKey(ps[0].Key)); !ok || err != nil {
			t.Errorf("%s: committed object [0,9] deleted (%v)", s.Name(), err)
		}
		if j, err := s.Journal(t.Context(), "events", 0); err != nil || len(j) != 0 {
			t.Errorf("%s: journal after Reconcile: %+v, %v", s.Name(), j, err)
		}
	}
	// A permanent failure surfaces, naming the sink.
	_ = mems.Close()
	err = rc.Reconcile(t.Context(), "events", 0, 0)
	if !errors.Is(err, sink.ErrClosed) || !strings.Contains(err.Error(), "mem") {
		t.Errorf("Reconcile with a closed sink = %v, want ErrClosed naming it", err)
	}
}

// A journal entry that cannot be written fails its profiles (KeyErrors)
// before any of their objects is written.
func TestJournalFailureWritesNoObject(t *testing.T) {
	setS3Env(t)
	fake := newFakeS3(t)
	s, err := sink.OpenBlob(t.Context(), fake.url(), sink.BlobOptions{Retry: &sink.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ps := []sink.Profile{jprofile(t, "orders", "events", 0, 0, 9), jprofile(t, "orders", "events", 0, 10, 19)}
	fake.mode.Store(modeForbidden)
	err = s.Publish(t.Context(), ps)
	keys, ok := sink.FailedKeys(err)
	if err == nil || !ok || len(keys) != 2 || !strings.Contains(err.Error(), "journal") {
		t.Fatalf("Publish = %v (failed keys %v, %v), want both keys failed on the journal", err, keys, ok)
	}
	fake.mode.Store(modeOK)
	if got := listKeys(t, s.Bucket(), ""); len(got) != 0 {
		t.Errorf("objects after a failed journal write: %v", got)
	}
}

// Prune removes only the entries wholly below the committed offset, never
// a profile object, also through Retry, Instrument and Multi.
func TestJournalPrune(t *testing.T) {
	b, err := blob.OpenBucket(t.Context(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, err := sink.NewBlob(b, sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var ps []sink.Profile
	for i := range int64(3) {
		p := jprofile(t, "orders", "events", 0, 10*i, 10*i+9)
		ps = append(ps, p)
		if err := s.Publish(ctx, []sink.Profile{p}); err != nil {
			t.Fatal(err)
		}
	}
	other := jprofile(t, "orders", "events", 1, 0, 5)
	if err := s.Publish(ctx, []sink.Profile{other}); err != nil {
		t.Fatal(err)
	}
	multi, err := sink.NewMulti(sink.Retry(sink.Instrument(s, sink.MetricsFunc(func(sink.PublishEvent) {})), sink.RetryPolicy{}), sink.NewMemory("m"))
	if err != nil {
		t.Fatal(err)
	}
	var pr sink.Pruner = multi
	if err := pr.Prune(ctx, "events", 0, 20); err != nil {
		t.Fatal(err)
	}
	j, err := s.Journal(ctx, "events", 0)
	if err != nil || len(j) != 1 || j[0].FirstOffset != 20 {
		t.Errorf("journal after Prune at 20: %+v, %v; want only [20,29]", j, err)
	}
	if j, _ := s.Journal(ctx, "events", 1); len(j) != 1 {
		t.Errorf("partition 1's journal touched: %+v", j)
	}
	for _, p := range append(ps, other) {
		if ok, _ := b.Exists(ctx, s.ObjectKey(p.Key)); !ok {
			t.Errorf("Prune deleted profile %s", p.Key)
		}
	}
}

// NoJournal writes the profiles without journal entries.
func TestNoJournal(t *testing.T) {
	b, err := blob.OpenBucket(t.Context(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, err := sink.NewBlob(b, sink.BlobOptions{NoJournal: true})
	if err != nil {
		t.Fatal(err)
	}
	p := jprofile(t, "orders", "events", 0, 0, 9)
	if err := s.Publish(t.Context(), []sink.Profile{p}); err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, b, ""); !slices.Equal(got, []string{p.Key}) {
		t.Errorf("objects %v, want only the profile", got)
	}
}

// Objects in the journal directory that are not entries (a fileblob
// temporary file left by a crash with no_tmp_dir) do not block Reconcile.
func TestReconcileIgnoresStrayFiles(t *testing.T) {
	url := "file://" + filepath.ToSlash(t.TempDir()) + "?no_tmp_dir=true"
	s, err := sink.OpenBlob(t.Context(), url, sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := jprofile(t, "orders", "events", 0, 10, 19)
	if err := s.Publish(t.Context(), []sink.Profile{p}); err != nil {
		t.Fatal(err)
	}
	stray := sink.JournalDir + "events/0/00000000000000000010-00000000000000000019-0123456789abcdef.json.17a2b3c4d5e6f.tmp"
	if err := s.Bucket().WriteAll(t.Context(), stray, []byte(`{"vers`), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Reconcile(t.Context(), "events", 0, 10); err != nil {
		t.Fatalf("Reconcile with a stray file: %v", err)
	}
	if ok, _ := s.Bucket().Exists(t.Context(), p.Key); ok {
		t.Error("object [10,19] survived Reconcile at 10")
	}
}
