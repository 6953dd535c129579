package profiler

import "errors"

// Sentinel errors. Functions wrap them with context (which profile, column,
// component or value), so test for them with errors.Is.
var (
	// ErrMismatch is returned by Merge when the two profiles belong to different
	// datasets (metadata "name") or different segments. The wrapping message
	// names both values. MergeOptions can tell Merge to ignore the difference.
	ErrMismatch = errors.New("profiler: profiles do not match")
	// ErrComponent is returned when a component handed to SetColumnComponents
	// has the wrong value kind for its path, or a sketch image that does not
	// decode. The wrapping message names the column and the path.
	ErrComponent = errors.New("profiler: invalid metric component")
	// ErrInvalidArgument is returned for bad configuration (sketch parameters
	// out of range, zero timestamps, bad segment definitions).
	ErrInvalidArgument = errors.New("profiler: invalid argument")
)
