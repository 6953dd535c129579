package sink

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// DefaultContentType is the content type of profile objects.
const DefaultContentType = "application/octet-stream"

// BlobOptions configure a Blob sink. The zero value is usable.
type BlobOptions struct {
	// Name overrides the sink name (default "blob:<bucket URL without
	// query>" for OpenBlob, "blob" for NewBlob).
	Name string
	// Prefix is prepended to every key; a "/" is added when it does not end
	// with one. It must be a valid relative key prefix (no "..").
	Prefix string
	// ContentType of every object; default DefaultContentType.
	ContentType string
	// Concurrency bounds parallel object writes within one Publish; default 4.
	Concurrency int
	// Retry is applied to each object write for transient errors
	// (Internal, ResourceExhausted, Unknown, and a
	// DeadlineExceeded not caused by ctx). nil means
	// {MaxAttempts: 3, Initial: 100ms, Max: 2s}; use MaxAttempts 1 to disable.
	// Long outages are the job of the Retry decorator around the sink.
	Retry *RetryPolicy
	// FileRoot, when set, is the root directory of a fileblob bucket: each
	// object's data is fsynced before it is renamed into place and its
	// directories are fsynced after, so a confirmed object survives power
	// loss. OpenBlob sets it for file:// URLs unless NoSync is set.
	FileRoot string
	// NoSync stops OpenBlob from setting FileRoot for file:// URLs.
	NoSync bool
	// NoJournal turns off the journal written before each batch (see
	// Reconcile): for writers whose output is never reconciled, such as a
	// backfill (deterministic, rerun to overwrite). Reconcile and Prune
	// still work on entries others wrote.
	NoJournal bool
}

// Blob is a Sink that writes each profile as one object of a gocloud.dev
// bucket, named Prefix+Key, with content type, an MD5 checked by the store
// and the descriptive Fields as metadata, after a journal entry listing the
// batch's objects (see Reconcile). It is safe for concurrent use.
type Blob struct {
	bucket      *blob.Bucket
	name        string
	prefix      string
	contentType string
	conc        int
	retry       RetryPolicy
	fileRoot    string
	ownBucket   bool
	noJournal   bool

	mu     sync.RWMutex
	closed bool
}

// NewBlob returns a sink over an open bucket. The caller keeps ownership of
// b: Close does not close it.
func NewBlob(b *blob.Bucket, opts BlobOptions) (*Blob, error) {
	if b == nil {
		return nil, fmt.Errorf("sink: blob: nil bucket: %w", ErrInvalidArgument)
	}
	prefix := opts.Prefix
	if prefix != "" {
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		probe := Profile{Key: strings.TrimSuffix(prefix, "/")}
		if err := probe.Validate(); err != nil {
			return nil, fmt.Errorf("sink: blob: bad prefix %q: %w", opts.Prefix, ErrInvalidArgument)
		}
	}
	ct := opts.ContentType
	if ct == "" {
		ct = DefaultContentType
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = 4
	}
	rp := RetryPolicy{MaxAttempts: 3, Initial: 100 * time.Millisecond, Max: 2 * time.Second}
	if opts.Retry != nil {
		rp = *opts.Retry
	}
	name := opts.Name
	if name == "" {
		name = "blob"
	}
	return &Blob{
		bucket: b, name: name, prefix: prefix, contentType: ct, conc: conc,
		retry: rp, fileRoot: opts.FileRoot, noJournal: opts.NoJournal,
	}, nil
}

// OpenBlob opens the bucket at urlstr with gocloud.dev's URL openers
// (file:///dir?create_dir=true, mem://, s3://bucket?region=…&endpoint=…&
// use_path_style=true&disable_https=true, gs://bucket, azblob://container;
// every driver's own query options apply, and "prefix=" scopes the bucket)
// and returns a sink that owns it.
func OpenBlob(ctx context.Context, urlstr string, opts BlobOptions) (*Blob, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, fmt.Errorf("sink: blob: parsing URL: %w", ErrInvalidArgument)
	}
	b, err := blob.OpenBucket(ctx, urlstr)
	if err != nil {
		return nil, fmt.Errorf("sink: blob: opening %s://%s%s: %w", u.Scheme, u.Host, u.Path, err)
	}
	if opts.Name == "" {
		opts.Name = "blob:" + u.Scheme + "://" + u.Host + u.Path
	}
	if u.Scheme == "file" && opts.FileRoot == "" && !opts.NoSync && (u.Host == "" || u.Host == "localhost") {
		opts.FileRoot = filepath.Join(filepath.FromSlash(u.Path), filepath.FromSlash(u.Query().Get("prefix")))
	}
	s, err := NewBlob(b, opts)
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	s.ownBucket = true
	return s, nil
}

// Name returns the sink's name.
func (s *Blob) Name() string { return s.name }

// Bucket returns the underlying bucket (for reading profiles back).
func (s *Blob) Bucket() *blob.Bucket { return s.bucket }

// ObjectKey returns the object name a profile key is written under.
func (s *Blob) ObjectKey(key string) string { return s.prefix + key }

// Publish first writes one journal entry per source partition of the batch
// (listing the batch's object keys of that partition, see Reconcile), then
// every profile as an object, at most Concurrency at a time, each retried on
// transient errors. It returns nil only when every object's Writer.Close
// succeeded. Errors are KeyErrors joined; when a journal entry cannot be
// written, none of its profiles is (each gets a KeyError).
func (s *Blob) Publish(ctx context.Context, profiles []Profile) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if len(profiles) == 0 {
		return nil
	}
	if err := validateBatch(profiles); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctxErr(ctx, s.name)
	}
	errs := make([]error, len(profiles))
	if !s.noJournal {
		s.writeJournal(ctx, profiles, errs)
	}
	sem := make(chan struct{}, s.conc)
	var wg sync.WaitGroup
	for i := range profiles {
		if errs[i] != nil { // its journal entry failed
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctxErr(ctx, s.name)
		}
		if errs[i] != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			p := &profiles[i]
			err := s.retry.do(ctx, func(err error) bool { return transientBlob(ctx, err) }, func(int) error {
				return s.write(ctx, p)
			})
			if err != nil {
				errs[i] = &KeyError{Sink: s.name, Key: p.Key, Err: err}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// transientBlob reports whether a write error may go away by itself.
func transientBlob(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.Unknown, gcerrors.Internal, gcerrors.ResourceExhausted, gcerrors.DeadlineExceeded:
		return true
	}
	return false
}

// write writes one profile's object.
func (s *Blob) write(ctx context.Context, p *Profile) error {
	fields := p.Fields()
	md := make(map[string]string, len(fields))
	for _, f := range fields {
		md[f.Name] = f.Value
	}
	return s.put(ctx, s.prefix+p.Key, p.Value, s.contentType, md)
}

// put writes one object. The gocloud Writer makes the object visible only
// when Close succeeds; on any earlier failure the writer's context is
// cancelled before Close, which aborts the upload (S3, GCS, Azure) or
// removes the temporary file (fileblob), so no partial object appears.
func (s *Blob) put(ctx context.Context, key string, value []byte, contentType string, md map[string]string) error {
	sum := md5.Sum(value)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tmp *os.File
	opts := &blob.WriterOptions{
		ContentType: contentType,
		ContentMD5:  sum[:],
		Metadata:    md,
	}
	if s.fileRoot != "" {
		opts.BeforeWrite = func(as func(any) bool) error {
			as(&tmp) // only fileblob exposes **os.File; others leave tmp nil
			return nil
		}
	}
	w, err := s.bucket.NewWriter(wctx, key, opts)
	if err != nil {
		return err
	}
	if _, err := w.Write(value); err != nil {
		cancel()
		_ = w.Close()
		return err
	}
	if tmp != nil {
		if err := tmp.Sync(); err != nil {
			cancel()
			_ = w.Close()
			return fmt.Errorf("fsync: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if s.fileRoot != "" {
		if err := syncDirs(s.fileRoot, key); err != nil {
			return fmt.Errorf("fsync directories: %w", err)
		}
	}
	return nil
}

// syncDirs fsyncs every directory from the object's parent up to root, so
// the rename and any directories MkdirAll created are durable.
func syncDirs(root, key string) error {
	dir := path.Dir(key)
	for {
		if err := syncDir(filepath.Join(root, filepath.FromSlash(dir))); err != nil {
			return err
		}
		if dir == "." || dir == "/" {
			return nil
		}
		dir = path.Dir(dir)
	}
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close waits for running publishes (each bounded by its ctx), then closes
// the bucket if the sink owns it. Idempotent.
func (s *Blob) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.ownBucket {
		return s.bucket.Close()
	}
	return nil
}
