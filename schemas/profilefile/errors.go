package profilefile

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, with context naming the byte offset and what was expected there; test
// for them with errors.Is.
var (
	// ErrNotProfile reports input that does not start like a profile of the
	// requested format (no "WHY1" magic for v1; empty input or a v1 file given
	// to the v0 reader).
	ErrNotProfile = errors.New("profilefile: not a whylogs profile")
	// ErrUnsupportedVersion reports a "WHY" magic with a version other than 1.
	ErrUnsupportedVersion = errors.New("profilefile: unsupported profile version")
	// ErrCorrupt reports input that has the right magic but is inconsistent: a
	// malformed protobuf message, an offset outside the chunk area, overlapping
	// chunks, an unknown metric index, trailing bytes, …
	ErrCorrupt = errors.New("profilefile: corrupt profile")
	// ErrTruncated reports input that ends before a length or offset says it
	// should. It wraps ErrCorrupt, so errors.Is(err, ErrCorrupt) also holds.
	ErrTruncated = fmt.Errorf("%w (truncated)", ErrCorrupt)
	// ErrInvalidFile reports a File or message that cannot be written: a chunk
	// larger than 4 GiB, or a message protobuf refuses to marshal (for
	// example a string that is not valid UTF-8).
	ErrInvalidFile = errors.New("profilefile: invalid file value")
)
