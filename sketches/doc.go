// Package sketches implements Apache DataSketches-compatible sketches in pure Go:
// the KLL quantiles sketch (float64 "doubles" and float32 "floats"), the
// HyperLogLog distinct-count sketch (HLL_4, HLL_6, HLL_8) and the frequent-items
// sketch for strings, plus MurmurHash3_x64_128 with the DataSketches hashing rules.
//
// Every sketch reads and writes the binary images of the Java and C++ libraries
// byte for byte (and, for KLL doubles, the whylogs fork layout), so profiles written
// here can be read and merged by whylogs and by DataSketches in any language.
//
// The package uses only the standard library. It does no I/O, reads no clock and
// logs nothing. Randomness (KLL compaction coin flips) comes from an injected,
// seedable source, so output is deterministic when the caller wants it to be.
// The only process-wide state is the counter that names the generations of
// frequent-items maps for slot hints (FrequentHint): it decides which updates
// take the shortcut, never a result.
//
// Concurrency: a sketch is not safe for concurrent use. Callers that share one
// across goroutines must serialize access; reading methods on a sketch that is
// not being updated may be called concurrently (queries never modify a sketch).
//
// All multi-byte integers and floats in the images are little-endian.
package sketches
