package sink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sink publishes finished, already-encoded profiles.
//
// Publish returns nil only when every profile of the batch is durably written
// ("confirmed"; what that means is stated per backend in the package
// documentation). On error some profiles of the batch may have been written
// and others not: a batch is not atomic. Publishing the same profiles again is
// always safe, because profiles are identified by Key and a second write of a
// key replaces the first. An empty batch is a no-op. Publish is safe for
// concurrent use, honours ctx (it returns promptly with an error wrapping
// ctx.Err() once ctx is done) and, after Close, fails with ErrClosed.
//
// Close releases what the sink owns. It is idempotent: later calls return
// nil. Name identifies the sink in errors, logs and metrics; it never holds
// credentials.
type Sink interface {
	Publish(ctx context.Context, profiles []Profile) error
	Close() error
	Name() string
}

// Sentinel errors. Errors returned by sinks wrap these (test with errors.Is)
// or the backend's own error.
var (
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("sink: closed")
	// ErrInvalidProfile is returned for a profile that no backend can store
	// (empty, non-UTF-8 or unsafe key; bad offsets). Not retryable.
	ErrInvalidProfile = errors.New("sink: invalid profile")
	// ErrTooLarge is returned for a profile larger than the backend accepts.
	// Not retryable.
	ErrTooLarge = errors.New("sink: profile too large")
	// ErrInvalidArgument is returned by constructors for bad options.
	ErrInvalidArgument = errors.New("sink: invalid argument")
)

// Kind tells which flush produced a (possibly partial) profile.
type Kind uint8

// Kinds of profiles. The zero value is KindFinal.
const (
	KindFinal      Kind = iota // the window closed (watermark passed end + lateness)
	KindCheckpoint             // a periodic flush of a still-open window
	KindLate                   // records that arrived after their window closed
)

// String returns "final", "checkpoint" or "late" (or "kind(N)").
func (k Kind) String() string {
	switch k {
	case KindFinal:
		return "final"
	case KindCheckpoint:
		return "checkpoint"
	case KindLate:
		return "late"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "final":
		return KindFinal, nil
	case "checkpoint":
		return KindCheckpoint, nil
	case "late":
		return KindLate, nil
	}
	return 0, fmt.Errorf("parsing kind %q: %w", s, ErrInvalidArgument)
}

// Tag is one key/value pair of a segment. A segment is an ordered list of
// tags; the order is part of its identity (the profiler emits them in its
// canonical order, sorted by key).
type Tag struct {
	Key, Value string
}

// Profile is one encoded profile to publish, with the facts describing it.
// Sinks never modify a Profile. Value is treated as immutable once passed to
// Publish: the Kafka sink hands it to the client without copying, and after
// a Publish cut off by its context the client may still be sending it.
type Profile struct {
	// Key is the deterministic, path-safe identity of the profile (see Key).
	// Object stores use it (under an optional prefix) as the object name,
	// Kafka uses it as the record key.
	Key string
	// Value is the encoded whylogs v1 profile file.
	Value []byte

	Dataset     string
	WindowStart time.Time // inclusive, UTC; millisecond precision is kept
	WindowEnd   time.Time // exclusive
	Segment     []Tag     // nil/empty: the unsegmented (full dataset) profile
	Topic       string    // source topic
	Partition   int32     // source partition
	FirstOffset int64     // first source offset that contributed
	LastOffset  int64     // last source offset that contributed
	Kind        Kind
	Version     string // kprofiler version that wrote it
}

// maxKeyBytes is the longest key accepted: S3 and GCS allow 1024 bytes per
// object name, and a sink may add a prefix.
const maxKeyBytes = 900

// Validate reports whether p can be published by every sink: its Key must be
// non-empty valid UTF-8 of at most 900 bytes, use only printable ASCII
// characters, not start with "/" and contain no empty, "." or ".." path
// element; offsets must be non-negative and ordered. Errors wrap
// ErrInvalidProfile.
func (p *Profile) Validate() error {
	bad := func(why string) error {
		return fmt.Errorf("profile %q: %s: %w", p.Key, why, ErrInvalidProfile)
	}
	switch {
	case p.Key == "":
		return bad("empty key")
	case len(p.Key) > maxKeyBytes:
		return bad(fmt.Sprintf("key is %d bytes, more than %d", len(p.Key), maxKeyBytes))
	case !utf8.ValidString(p.Key):
		return bad("key is not valid UTF-8")
	case p.FirstOffset < 0 || p.LastOffset < p.FirstOffset:
		return bad(fmt.Sprintf("offsets [%d, %d] are not ordered non-negative offsets", p.FirstOffset, p.LastOffset))
	case p.Partition < 0:
		return bad(fmt.Sprintf("partition %d is negative", p.Partition))
	}
	for i := 0; i < len(p.Key); i++ {
		if c := p.Key[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return bad(fmt.Sprintf("key byte %d is %q", i, c))
		}
	}
	for el := range strings.SplitSeq(p.Key, "/") {
		if el == "" || el == "." || el == ".." {
			return bad(fmt.Sprintf("key has path element %q", el))
		}
	}
	return nil
}

// validateBatch validates every profile and rejects duplicate keys within a
// batch (two different values under one key would make the outcome depend on
// write order).
func validateBatch(profiles []Profile) error {
	var errs []error
	seen := make(map[string]struct{}, len(profiles))
	for i := range profiles {
		if err := profiles[i].Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := seen[profiles[i].Key]; dup {
			errs = append(errs, fmt.Errorf("profile %q: key appears twice in one batch: %w", profiles[i].Key, ErrInvalidProfile))
		}
		seen[profiles[i].Key] = struct{}{}
	}
	return errors.Join(errs...)
}

// KeyError is the failure of one profile of a batch. Publish errors of the
// sinks in this package are (joins of) KeyErrors, so callers can find which
// keys failed with FailedKeys.
type KeyError struct {
	Sink string
	Key  string
	Err  error
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("sink %s: publishing %q: %v", e.Sink, e.Key, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// FailedKeys returns the keys named by the KeyErrors in err's tree (following
// both Unwrap() error and Unwrap() []error), in tree order without
// duplicates. ok is false when some leaf of the tree is not attributed to a
// key (for example a context error for the whole batch); the caller must
// then treat the whole batch as failed.
func FailedKeys(err error) (keys []string, ok bool) {
	if err == nil {
		return nil, true
	}
	seen := map[string]bool{}
	ok = true
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case *KeyError:
			if !seen[x.Key] {
				seen[x.Key] = true
				keys = append(keys, x.Key)
			}
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			if inner := x.Unwrap(); inner != nil {
				walk(inner)
			} else {
				ok = false
			}
		default:
			ok = false
		}
	}
	walk(err)
	return keys, ok
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not retryable: Retry returns it at once. nil stays
// nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether retrying err cannot help: err is marked with
// Permanent, or wraps ErrClosed, ErrInvalidProfile or ErrTooLarge.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p) || errors.Is(err, ErrClosed) ||
		errors.Is(err, ErrInvalidProfile) || errors.Is(err, ErrTooLarge)
}

// ctxErr wraps the context's error (and its cause, when one was set).
func ctxErr(ctx context.Context, name string) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("sink %s: %w (%w)", name, err, cause)
	}
	return fmt.Errorf("sink %s: %w", name, err)
}
