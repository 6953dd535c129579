package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/kprofiler/kprofiler/profiler/session"
	"io"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

func mergeUsage(w io.Writer) {
	io.WriteString(w, `Usage:

	consumer profile merge -o OUT [--ignore-mismatch] FILE...

Merges the profiles in FILE... (whylogs v1 or v0, in any mix) into one
whylogs v1 profile written to OUT. This is how partial profiles of one
window (per partition, per checkpoint, late data) become one profile:
counts, types and ints merge exactly, mean and variance with Chan's parallel
formula, KLL, HLL and frequent-items sketches as DataSketches merges them;
the timestamps become the earliest of the inputs and metadata of later files
overrides earlier ones. The result is the same whatever the order of the
files, up to sketch randomness (KLL compaction) and metadata precedence.

Profiles of different datasets (metadata "name") or different segments are
refused with an error naming both, unless --ignore-mismatch is given (the
result then keeps the first file's segment).

OUT is written atomically (a temporary file in the same directory, renamed
when complete); it is not created when any input fails. A file that cannot be
read or merged gives a one-line error naming it and exit code 1.

Flags:

	-o OUT              output file (required)
	--ignore-mismatch   merge profiles of different datasets or segments
`)
}

func profileMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("consumer profile merge", flag.ContinueOnError)
	out := fs.String("o", "", "output file")
	ignore := fs.Bool("ignore-mismatch", false, "merge profiles of different datasets or segments")
	files, done, code := parseArgs(fs, args, mergeUsage, stdout, stderr)
	if done {
		return code
	}
	if *out == "" || len(files) == 0 {
		fmt.Fprintf(stderr, "consumer profile merge: need -o OUT and at least one profile file\n\n")
		mergeUsage(stderr)
		return 2
	}
	opts := profiler.MergeOptions{IgnoreDataset: *ignore, IgnoreSegment: *ignore}
	var acc *profiler.DatasetProfile
	for _, path := range files {
		p, _, err := whylogs.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "consumer profile merge: %s\n", oneLine(err))
			return 1
		}
		if acc == nil {
			acc = p
			continue
		}
		if err := acc.Merge(p, opts); err != nil {
			hint := ""
			if errors.Is(err, profiler.ErrMismatch) {
				hint = " (use --ignore-mismatch to merge anyway)"
			}
			fmt.Fprintf(stderr, "consumer profile merge: %s: %s%s\n", path, oneLine(err), hint)
			return 1
		}
	}
	b, err := whylogs.MarshalV1(acc)
	if err != nil {
		fmt.Fprintf(stderr, "consumer profile merge: writing %s: %s\n", *out, oneLine(err))
		return 1
	}
	if err := session.WriteFileAtomic(*out, b); err != nil {
		fmt.Fprintf(stderr, "consumer profile merge: %s\n", oneLine(err))
		return 1
	}
	fmt.Fprintf(stdout, "merged %d profiles (%d columns) into %s (%d bytes)\n", len(files), len(acc.ColumnNames()), *out, len(b))
	return 0
}
