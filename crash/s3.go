package crash

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// FakeS3 is gofakes3 (in memory) served over HTTP on 127.0.0.1 behind a
// wrapper that can fail every request (an outage) or hold one PUT of a given
// client until the harness releases it (to kill that client during a write).
// Clients are told apart by the access key of their request signature.
type FakeS3 struct {
	Bucket  string
	URL     string // http://127.0.0.1:port
	backend *s3mem.Backend
	inner   http.Handler
	srv     *http.Server

	failStatus atomic.Int32 // 0: serve; else every request fails (alternating 500 and 503)
	Requests   atomic.Int64
	Failed     atomic.Int64
	Puts       atomic.Int64 // profile PUTs passed to the backend
	// HeldStored counts held PUTs the backend stored after their release
	// (their writer was killed meanwhile: objects nobody confirmed).
	HeldStored atomic.Int64

	mu   sync.Mutex
	hold *heldPut
}

type heldPut struct {
	accessKey string
	held      chan struct{} // closed when a matching PUT arrived
	release   chan struct{} // closed by the harness
	key       string
}

// NewFakeS3 starts the fake with one bucket.
func NewFakeS3(bucket string) (*FakeS3, error) {
	f := &FakeS3{Bucket: bucket, backend: s3mem.New()}
	if err := f.backend.CreateBucket(bucket); err != nil {
		return nil, err
	}
	f.inner = gofakes3.New(f.backend).Server()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.URL = "http://" + ln.Addr().String()
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve)}
	go f.srv.Serve(ln)
	return f, nil
}

// Close stops the server and releases a held request.
func (f *FakeS3) Close() {
	f.mu.Lock()
	if f.hold != nil {
		select {
		case <-f.hold.release:
		default:
			close(f.hold.release)
		}
	}
	f.mu.Unlock()
	_ = f.srv.Close()
}

// accessKey returns the access key id of a SigV4-signed request.
func accessKey(r *http.Request) string {
	a := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(a, "Credential=")
	if !ok {
		return ""
	}
	k, _, _ := strings.Cut(rest, "/")
	return k
}

func (f *FakeS3) serve(w http.ResponseWriter, r *http.Request) {
	f.Requests.Add(1)
	if st := f.failStatus.Load(); st != 0 {
		n := f.Failed.Add(1)
		code, s3code := http.StatusInternalServerError, "InternalError"
		if n%2 == 0 {
			code, s3code = http.StatusServiceUnavailable, "ServiceUnavailable"
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(code)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>outage injected by the crash suite</Message></Error>`, s3code)
		return
	}
	if r.Method == http.MethodPut && IsProfileKey(r.URL.Path) {
		f.mu.Lock()
		h := f.hold
		if h != nil && h.accessKey == accessKey(r) {
			select {
			case <-h.held:
				h = nil // already used
			default:
				h.key = r.URL.Path
				close(h.held)
			}
		} else {
			h = nil
		}
		f.mu.Unlock()
		f.Puts.Add(1)
		if h != nil {
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			f.inner.ServeHTTP(sw, r)
			if sw.status == http.StatusOK {
				f.HeldStored.Add(1)
			}
			return
		}
	}
	f.inner.ServeHTTP(w, r)
}

// statusWriter remembers the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// SetOutage makes every request fail (on) or be served (off).
func (f *FakeS3) SetOutage(on bool) {
	if on {
		f.failStatus.Store(500)
	} else {
		f.failStatus.Store(0)
	}
}

// HoldPut arms a hold: the next PUT of a profile object signed with
// accessKey waits until release is called; held is closed when it arrived.
// Calling release more than once is fine.
func (f *FakeS3) HoldPut(accessKey string) (held <-chan struct{}, release func()) {
	h := &heldPut{accessKey: accessKey, held: make(chan struct{}), release: make(chan struct{})}
	f.mu.Lock()
	f.hold = h
	f.mu.Unlock()
	var once sync.Once
	return h.held, func() {
		once.Do(func() {
			f.mu.Lock()
			if f.hold == h {
				f.hold = nil
			}
			f.mu.Unlock()
			close(h.release)
		})
	}
}

// BlobURL is the s3:// URL of the bucket for gocloud.dev/blob's s3blob
// opener (path style, plain HTTP, the fake as endpoint).
func (f *FakeS3) BlobURL() string {
	q := url.Values{}
	q.Set("endpoint", f.URL)
	q.Set("region", "us-east-1")
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	return "s3://" + f.Bucket + "?" + q.Encode()
}

// S3Env is the environment of a process using the fake: dummy credentials
// with the given access key (which identifies the process to the fake) and
// no shared AWS configuration or instance metadata.
func S3Env(accessKey, dir string) []string {
	return []string{"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=crash-suite-dummy",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1"}
}

// Objects returns every profile object under prefix, read straight from the
// backend (it works during an outage).
func (f *FakeS3) Objects(prefix string) ([]Stored, error) {
	p := gofakes3.Prefix{HasPrefix: prefix != "", Prefix: prefix}
	list, err := f.backend.ListBucket(f.Bucket, &p, gofakes3.ListBucketPage{})
	if err != nil {
		return nil, err
	}
	var out []Stored
	for _, c := range list.Contents {
		key := strings.TrimPrefix(c.Key, prefix)
		if !IsProfileKey(key) {
			continue
		}
		obj, err := f.backend.GetObject(f.Bucket, c.Key, nil)
		if err != nil {
			if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
				continue // deleted between list and get
			}
			return nil, fmt.Errorf("get %s: %w", c.Key, err)
		}
		b, err := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, Stored{Key: key, Value: b})
	}
	return out, nil
}

// Keys lists every object key under prefix (profiles and bookkeeping).
func (f *FakeS3) Keys(prefix string) ([]string, error) {
	p := gofakes3.Prefix{HasPrefix: prefix != "", Prefix: prefix}
	list, err := f.backend.ListBucket(f.Bucket, &p, gofakes3.ListBucketPage{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range list.Contents {
		out = append(out, c.Key)
	}
	return out, nil
}
