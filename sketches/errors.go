package sketches

import "errors"

// Sentinel errors. Functions wrap them with context (which sketch, which field,
// which offset), so test for them with errors.Is.
var (
	// ErrEmpty is returned by queries that have no answer on an empty sketch.
	ErrEmpty = errors.New("sketches: sketch is empty")
	// ErrCorrupt is wrapped by every decoding failure: a truncated, oversized or
	// inconsistent image. The wrapping message names the offset and what was expected.
	ErrCorrupt = errors.New("sketches: corrupt image")
	// ErrInvalidArgument is returned for parameters out of range (constructor
	// arguments, ranks, split points) and for merges of incompatible sketches.
	ErrInvalidArgument = errors.New("sketches: invalid argument")
)
