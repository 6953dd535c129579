package event

import (
	"errors"
	"fmt"
)

// Kind classifies a decoding failure so the pipeline can decide between
// dead-lettering a record and retrying it later.
type Kind uint8

const (
	// KindNone is the kind of a nil error or of an error not produced by this
	// package.
	KindNone Kind = iota
	// KindMalformed: the record itself is bad (not JSON, truncated Avro,
	// wrong magic byte, bad escape, ...). Retrying cannot help: count it,
	// dead-letter it and move on.
	KindMalformed
	// KindUnknownSchema: the record names a schema the registry does not
	// have (or one that is not a usable Avro schema). Not retryable.
	KindUnknownSchema
	// KindRegistryUnavailable: the schema registry could not be asked
	// (network error, timeout, HTTP 5xx, auth failure). The record is fine;
	// the pipeline must back off, retry and block commits.
	KindRegistryUnavailable
)

// String returns "malformed", "unknown_schema", "registry_unavailable" or "none".
func (k Kind) String() string {
	switch k {
	case KindMalformed:
		return "malformed"
	case KindUnknownSchema:
		return "unknown_schema"
	case KindRegistryUnavailable:
		return "registry_unavailable"
	default:
		return "none"
	}
}

// Retryable reports whether a failure of this kind may succeed when retried.
func (k Kind) Retryable() bool { return k == KindRegistryUnavailable }

// ErrInvalidOption is wrapped by the constructors (NewJSONDecoder,
// NewAvroDecoder, NewRegistry) when their options are invalid. It is a
// configuration error, not a record error, and has KindNone.
var ErrInvalidOption = errors.New("event: invalid option")

// Sentinel errors. Every error returned by a decoder or a SchemaSource wraps
// exactly one of them (test with errors.Is) and is an *Error (errors.As).
var (
	ErrMalformed           = errors.New("event: malformed record")
	ErrUnknownSchema       = errors.New("event: unknown schema")
	ErrRegistryUnavailable = errors.New("event: schema registry unavailable")
)

// Error is a decoding failure. Offset is the byte offset in the record value
// (for Avro with the Confluent header, counted from the magic byte) where the
// problem was found, or -1 when no offset applies (registry errors).
type Error struct {
	Kind   Kind
	Format string // "json" or "avro"
	Offset int
	Msg    string
	Err    error // underlying cause, may be nil
}

func (e *Error) Error() string {
	s := "event: " + e.Format + ": " + e.Kind.String()
	if e.Offset >= 0 {
		s += fmt.Sprintf(" at offset %d", e.Offset)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the sentinel of the error's kind and the cause.
func (e *Error) Unwrap() []error {
	var s error
	switch e.Kind {
	case KindMalformed:
		s = ErrMalformed
	case KindUnknownSchema:
		s = ErrUnknownSchema
	case KindRegistryUnavailable:
		s = ErrRegistryUnavailable
	}
	if e.Err != nil {
		return []error{s, e.Err}
	}
	return []error{s}
}

// KindOf returns the kind of err (KindNone for nil or foreign errors).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	switch {
	case errors.Is(err, ErrRegistryUnavailable):
		return KindRegistryUnavailable
	case errors.Is(err, ErrUnknownSchema):
		return KindUnknownSchema
	case errors.Is(err, ErrMalformed):
		return KindMalformed
	}
	return KindNone
}

// IsRetryable reports whether err is a transient failure (registry
// unavailable) after which the same record should be decoded again.
func IsRetryable(err error) bool { return KindOf(err).Retryable() }
