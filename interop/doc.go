// Package interop holds kprofiler's interoperability tests against the real
// whylogs Python package (whylogs==1.6.4 in the e2e venv that
// e2e/python/setup.sh builds). The tests are behind the build tag "interop",
// so a plain `go test ./...` compiles nothing here; run them with
//
//	interop/run.sh            (or: go test -tags interop -count=1 -v ./interop/)
//
// They need python3 and network access to PyPI the first time (setup.sh
// caches the venv in e2e/.venv). INTEROP_PYTHON=/path/to/python skips
// setup.sh and uses that interpreter (it must have whylogs 1.6.4 and pandas).
//
// What is checked, on a seeded data set of 5,000 rows and 9 columns (ints,
// doubles with NaN and ±Inf, strings with None, bools, high-cardinality
// strings) that python/interop.py generates, writes to a CSV file for the Go
// side, and profiles with whylogs:
//
//  1. whylogs reads Go-written profiles (plain, and segmented on "region")
//     and its to_pandas() summary equals ours: counts, types, ints and
//     distribution/n exactly, mean and stddev to 1e-9 relative, quantiles,
//     cardinality and frequent items exactly (it reads our sketches); the
//     segment tags and segp_* metadata are whylogs' own;
//  2. Go reads the profiles whylogs wrote for the same data and gets
//     whylogs' summary (exactly, as above); and Go's own profile of the
//     data matches whylogs' within the sketches' guarantees (quantiles
//     within 3× the KLL rank error of the true rank, cardinality within 3
//     standard deviations, every frequent item's [lower, upper] containing
//     its true count), with counts, types, ints, min, max exact and mean,
//     stddev to 1e-9;
//  3. a Go profile of the first half of the rows merged with whylogs'
//     profile of the second half, written by Go and read by whylogs, has the
//     exact totals of the whole data set (through the Go API and through
//     `consumer profile merge`);
//  4. `consumer profile inspect --json` of whylogs' own files prints exactly
//     whylogs' to_pandas() values, and FileName gives whylogs' default file
//     names (up to the sub-millisecond digits a file does not keep).
//
// The test logs how many values it compared and the largest differences.
package interop
