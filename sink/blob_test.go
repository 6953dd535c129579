package sink_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/kprofiler/kprofiler/sink"
	"github.com/kprofiler/kprofiler/sink/sinktest"
)

// readBucket lists every object but the journal (a stray temporary file
// would show up as an extra key) and reads bytes and attributes.
func readBucket(b *blob.Bucket, prefix string) func(ctx context.Context) ([]sinktest.Stored, error) {
	return func(ctx context.Context) ([]sinktest.Stored, error) {
		var out []sinktest.Stored
		it := b.List(&blob.ListOptions{})
		for {
			obj, err := it.Next(ctx)
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			if !strings.HasPrefix(obj.Key, prefix) {
				return nil, fmt.Errorf("object %q outside prefix %q", obj.Key, prefix)
			}
			if strings.HasPrefix(obj.Key, prefix+sink.JournalDir) {
				continue // the journal (journal_test.go checks it)
			}
			val, err := b.ReadAll(ctx, obj.Key)
			if err != nil {
				return nil, err
			}
			attrs, err := b.Attributes(ctx, obj.Key)
			if err != nil {
				return nil, err
			}
			var fields []sink.Field
			for k, v := range attrs.Metadata {
				fields = append(fields, sink.Field{Name: k, Value: v})
			}
			out = append(out, sinktest.Stored{
				Key: strings.TrimPrefix(obj.Key, prefix), Value: val, Fields: fields,
				ContentType: attrs.ContentType, Copies: 1, AllSame: true,
			})
		}
	}
}

func TestFileBlobConformance(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Fixture {
		dir := t.TempDir()
		s, err := sink.OpenBlob(t.Context(), "file://"+filepath.ToSlash(dir)+"?no_tmp_dir=true", sink.BlobOptions{Prefix: "profiles"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		// A second bucket over the same directory reads back independently
		// of the sink's (which Close may close).
		rb, err := blob.OpenBucket(t.Context(), "file://"+filepath.ToSlash(dir))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rb.Close() })
		return sinktest.Fixture{
			Sink: s, Read: readBucket(rb, "profiles/"), ContentType: sink.DefaultContentType,
			// Closing the sink's bucket underneath makes writes fail with a
			// gocloud FailedPrecondition error.
			Break: func() { _ = s.Bucket().Close() },
		}
	})
}

func TestMemBlobConformance(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Fixture {
		b, err := blob.OpenBucket(t.Context(), "mem://")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		s, err := sink.NewBlob(b, sink.BlobOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var broken atomic.Bool
		return sinktest.Fixture{
			Sink: s, ContentType: sink.DefaultContentType,
			Read: func(ctx context.Context) ([]sinktest.Stored, error) {
				if broken.Load() {
					return nil, nil
				}
				return readBucket(b, "")(ctx)
			},
			Break: func() { broken.Store(true); _ = b.Close() },
		}
	})
}

// fakeS3 is gofakes3 behind a handler wrapper that can fail or stall
// requests.
type fakeS3 struct {
	srv     *httptest.Server
	backend *s3mem.Backend
	bucket  string

	mode     atomic.Int32 // 0 ok, 1 forbidden, 2 stall, 3 internal error
	requests atomic.Int64
	failed   atomic.Int64
	mu       sync.Mutex
	release  chan struct{}
}

const (
	modeOK = iota
	modeForbidden
	modeStall
	mode500
)

func newFakeS3(t testing.TB) *fakeS3 {
	f := &fakeS3{backend: s3mem.New(), bucket: "profiles", release: make(chan struct{})}
	if err := f.backend.CreateBucket(f.bucket); err != nil {
		t.Fatal(err)
	}
	inner := gofakes3.New(f.backend).Server()
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		switch f.mode.Load() {
		case modeForbidden:
			f.failed.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>broken by test</Message></Error>`)
			return
		case mode500:
			f.failed.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>outage</Message></Error>`)
			return
		case modeStall:
			f.mu.Lock()
			rel := f.release
			f.mu.Unlock()
			select {
			case <-rel:
			case <-r.Context().Done():
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	// Only 127.0.0.1.
	l, err := newLocalListener()
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Listener = l
	f.srv.Start()
	t.Cleanup(func() {
		f.stop()
		f.srv.Close()
	})
	return f
}

func (f *fakeS3) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.release:
	default:
		close(f.release)
	}
}

func (f *fakeS3) stall() func() {
	f.mu.Lock()
	f.release = make(chan struct{})
	f.mu.Unlock()
	f.mode.Store(modeStall)
	return func() { f.mode.Store(modeOK); f.stop() }
}

// url returns an s3:// URL for gocloud's opener pointing at the fake.
func (f *fakeS3) url() string {
	q := url.Values{}
	q.Set("endpoint", f.srv.URL)
	q.Set("region", "us-east-1")
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	return "s3://" + f.bucket + "?" + q.Encode()
}

// client returns an S3 client on the fake with the SDK's own retries off, so
// that the sink's retry behaviour is what is measured.
func (f *fakeS3) client() *s3.Client {
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(f.srv.URL),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

func setS3Env(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestS3BlobConformance(t *testing.T) {
	setS3Env(t)
	sinktest.Run(t, func(t *testing.T) sinktest.Fixture {
		fake := newFakeS3(t)
		// The sink goes through gocloud's URL opener (endpoint, region,
		// path style, plain HTTP), as a user configures it.
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
		return sinktest.Fixture{
			Sink: s, ContentType: sink.DefaultContentType,
			Read: func(ctx context.Context) ([]sinktest.Stored, error) {
				if fake.mode.Load() != modeOK {
					fake.mode.Store(modeOK)
				}
				return readBucket(rb, "kp/")(ctx)
			},
			Break: func() { fake.mode.Store(modeForbidden) },
			Stall: fake.stall,
		}
	})
}

// TestS3OutageRetries: the store answers 500 for a while; the retrying sink
// keeps trying with backoff and succeeds once it recovers.
func TestS3OutageRetries(t *testing.T) {
	fake := newFakeS3(t)
	b, err := s3blob.OpenBucket(t.Context(), fake.client(), fake.bucket, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	one := &sink.RetryPolicy{MaxAttempts: 1}
	bs, err := sink.NewBlob(b, sink.BlobOptions{Retry: one})
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	var mu sync.Mutex
	rs := sink.Retry(bs, sink.RetryPolicy{
		Initial: 20 * time.Millisecond, Max: 160 * time.Millisecond, Jitter: -1,
		OnRetry: func(attempt int, wait time.Duration, err error) {
			mu.Lock()
			waits = append(waits, wait)
			mu.Unlock()
			if attempt == 6 { // the store recovers after six failed attempts
				fake.mode.Store(modeOK)
			}
		},
	})
	ps := sinktest.Profiles(t, 3, "a")
	fake.mode.Store(mode500)
	if err := rs.Publish(t.Context(), ps); err != nil {
		t.Fatalf("Publish through an outage: %v", err)
	}
	mu.Lock()
	got := waits
	mu.Unlock()
	want := []time.Duration{20, 40, 80, 160, 160, 160}
	if len(got) != len(want) {
		t.Fatalf("waits %v, want %d retries", got, len(want))
	}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Errorf("wait %d = %v, want %v (exponential, capped)", i+1, got[i], want[i]*time.Millisecond)
		}
	}
	if fake.failed.Load() < 6 {
		t.Errorf("the fake failed only %d requests", fake.failed.Load())
	}
	stored, err := readBucket(b, "")(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(ps) {
		t.Fatalf("%d objects after recovery, want %d", len(stored), len(ps))
	}
}

// TestS3OutageContextEnds: when the outage outlasts ctx, Publish returns an
// error (wrapping the deadline and the store's error), never success, and
// leaves no object behind.
func TestS3OutageContextEnds(t *testing.T) {
	fake := newFakeS3(t)
	b, err := s3blob.OpenBucket(t.Context(), fake.client(), fake.bucket, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bs, err := sink.NewBlob(b, sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rs := sink.Retry(bs, sink.RetryPolicy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond})
	fake.mode.Store(mode500)
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	err = rs.Publish(ctx, sinktest.Profiles(t, 2, "a"))
	if err == nil {
		t.Fatal("Publish during an outage longer than ctx returned nil")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "500") && !strings.Contains(err.Error(), "InternalError") {
		t.Errorf("error %v does not carry the store's error", err)
	}
	if n := fake.failed.Load(); n < 3 {
		t.Errorf("only %d attempts reached the store", n)
	}
	fake.mode.Store(modeOK)
	stored, err := readBucket(b, "")(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 0 {
		t.Fatalf("%d objects visible after a failed publish", len(stored))
	}
}

// TestFileBlobNoPartialObject: a write aborted before Close leaves neither
// the object nor a file ending in .bin.
func TestFileBlobNoPartialObject(t *testing.T) {
	dir := t.TempDir()
	b, err := blob.OpenBucket(t.Context(), "file://"+filepath.ToSlash(dir)+"?no_tmp_dir=true")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	w, err := b.NewWriter(ctx, "a/b/obj.bin", &blob.WriterOptions{ContentType: sink.DefaultContentType})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	// Mid-write: the data sits in a temporary file, not under the key.
	if ok, _ := b.Exists(t.Context(), "a/b/obj.bin"); ok {
		t.Fatal("object visible before Close")
	}
	cancel()
	if err := w.Close(); err == nil {
		t.Fatal("Close after cancel succeeded")
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("file left behind: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenBlobErrors(t *testing.T) {
	if _, err := sink.OpenBlob(t.Context(), "nosuch://x", sink.BlobOptions{}); err == nil {
		t.Error("unknown scheme accepted")
	}
	if _, err := sink.OpenBlob(t.Context(), "mem://", sink.BlobOptions{Prefix: "../up"}); !errors.Is(err, sink.ErrInvalidArgument) {
		t.Errorf("prefix ../up: %v", err)
	}
	s, err := sink.OpenBlob(t.Context(), "mem://", sink.BlobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "blob:mem://" {
		t.Errorf("Name = %q", s.Name())
	}
	_ = s.Close()
}

func newLocalListener() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

func TestBlobSchemesRegistered(t *testing.T) {
	for _, scheme := range []string{"file", "mem", "s3", "gs", "azblob"} {
		if !blob.DefaultURLMux().ValidBucketScheme(scheme) {
			t.Errorf("scheme %s:// is not registered", scheme)
		}
	}
}

// TestFileBlobSyncPath: with FileRoot set, a confirmed write fsyncs the
// object's directories under the root; a root that does not hold the
// bucket makes that step (and so the publish) fail instead of confirming.
func TestFileBlobSyncPath(t *testing.T) {
	dir := t.TempDir()
	b, err := blob.OpenBucket(t.Context(), "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	good, err := sink.NewBlob(b, sink.BlobOptions{FileRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := good.Publish(t.Context(), sinktest.Profiles(t, 2, "a")); err != nil {
		t.Fatalf("Publish with FileRoot: %v", err)
	}
	bad, err := sink.NewBlob(b, sink.BlobOptions{FileRoot: filepath.Join(dir, "not-the-root"), Retry: &sink.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Publish(t.Context(), sinktest.Profiles(t, 1, "b"))
	if err == nil || !strings.Contains(err.Error(), "fsync directories") {
		t.Fatalf("Publish with a wrong FileRoot = %v, want an fsync error", err)
	}
}
