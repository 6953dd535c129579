package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

func inspectUsage(w io.Writer) {
	io.WriteString(w, `Usage:

	consumer profile inspect [--json] FILE...

Prints the whylogs summary of every column of each profile file, as whylogs'
DatasetProfileView.to_pandas() computes it. Files may be whylogs v1 ("WHY1",
plain or segmented) or v0 profiles; v0 profiles are converted as whylogs'
v0→v1 migration does.

Without --json, each file gets a header (format, timestamps, segment, tags,
metadata) and an aligned table with one row per column and a selection of
summary keys:

	n null nan inf              counts/n|null|nan|inf
	int frac bool str obj       types/integral|fractional|boolean|string|object
	mean stddev min q_25 median q_75 max   distribution/*
	ints_min ints_max           ints/min|max
	card_est                    cardinality/est
	top_items                   frequent_items/frequent_strings (first 3, item:estimate)

"-" means the column has no such metric (or the value is None). Compound
metrics (e.g. image/Brightness.mean:…) appear only in the JSON output.

With --json, exactly one JSON object per file is written on one line (JSON
Lines), keys in this order:

	{"file": …, "format": "v1"|"v0", "dataset_timestamp": <epoch ms>,
	 "creation_timestamp": <epoch ms>, "tags": {…}, "metadata": {…},
	 "segment": {key: value, …},
	 "columns": {name: {summary key: value, …}, …}}

tags are the dataset tags without the "whylogs.tag." prefix, metadata the
other metadata, segment the segment key of a segmented profile ({} if none).
Columns and summary keys are sorted. Summary keys are whylogs': counts/*,
types/*, distribution/mean|stddev|n|max|min|q_01|q_05|q_10|q_25|median|q_75|
q_90|q_95|q_99, ints/max|min, cardinality/est|upper_1|lower_1 and
frequent_items/frequent_strings, a list of {"value","est","lower","upper"}
(NO_FALSE_POSITIVES, estimate descending). None is null; NaN and infinities
are the strings "NaN", "Infinity", "-Infinity" (as in protobuf's JSON mapping).

A file that cannot be read produces a one-line error naming the file on
stderr; the other files are still printed, and the exit code is 1.

Flags:

	--json   one JSON object per file instead of the table
`)
}

func profileInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("consumer profile inspect", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "write one JSON object per file")
	files, done, code := parseArgs(fs, args, inspectUsage, stdout, stderr)
	if done {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "consumer profile inspect: no profile files given\n\n")
		inspectUsage(stderr)
		return 2
	}
	rc := 0
	for i, path := range files {
		p, format, err := whylogs.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "consumer profile inspect: %s\n", oneLine(err))
			rc = 1
			continue
		}
		var out []byte
		if *asJSON {
			out = appendInspectJSON(nil, path, format, p)
		} else {
			if i > 0 {
				out = append(out, '\n')
			}
			out = appendInspectTable(out, path, format, p)
		}
		if _, err := stdout.Write(out); err != nil {
			fmt.Fprintf(stderr, "consumer profile inspect: writing output: %s\n", oneLine(err))
			return 1
		}
	}
	return rc
}

// profileInfo splits a profile's metadata as inspect shows it.
func profileInfo(p *profiler.DatasetProfile) (tags, metadata, segment map[string]string) {
	tags = p.Tags()
	metadata = map[string]string{}
	for k, v := range p.Metadata() {
		if !strings.HasPrefix(k, profiler.TagPrefix) {
			metadata[k] = v
		}
	}
	segment = map[string]string{}
	for _, t := range p.Segment().Tags {
		segment[t.Key] = t.Value
	}
	return tags, metadata, segment
}

// ---- JSON ----

func appendInspectJSON(b []byte, path string, format profilefile.Format, p *profiler.DatasetProfile) []byte {
	tags, metadata, segment := profileInfo(p)
	b = append(b, `{"file":`...)
	b = appendJSONString(b, path)
	b = append(b, `,"format":`...)
	b = appendJSONString(b, format.String())
	b = append(b, `,"dataset_timestamp":`...)
	b = strconv.AppendInt(b, p.DatasetTimestamp().UnixMilli(), 10)
	b = append(b, `,"creation_timestamp":`...)
	b = strconv.AppendInt(b, p.CreationTimestamp().UnixMilli(), 10)
	b = append(b, `,"tags":`...)
	b = appendJSONStringMap(b, tags)
	b = append(b, `,"metadata":`...)
	b = appendJSONStringMap(b, metadata)
	b = append(b, `,"segment":`...)
	b = appendJSONStringMap(b, segment)
	b = append(b, `,"columns":{`...)
	for i, cs := range p.Summary() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, cs.Column)
		b = append(b, ":{"...)
		for j, e := range cs.Entries {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, e.Key)
			b = append(b, ':')
			b = appendJSONValue(b, e.Value)
		}
		b = append(b, '}')
	}
	return append(b, "}}\n"...)
}

func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil { // cannot fail for a string
		panic(err)
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

func appendJSONStringMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

func appendJSONValue(b []byte, v profiler.SummaryValue) []byte {
	switch v.Kind {
	case profiler.SummaryInt:
		return strconv.AppendInt(b, v.Int, 10)
	case profiler.SummaryFloat:
		return appendJSONFloat(b, v.Float)
	case profiler.SummaryItems:
		b = append(b, '[')
		for i, it := range v.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"value":`...)
			b = appendJSONString(b, it.Value)
			b = append(b, `,"est":`...)
			b = strconv.AppendInt(b, it.Est, 10)
			b = append(b, `,"lower":`...)
			b = strconv.AppendInt(b, it.Lower, 10)
			b = append(b, `,"upper":`...)
			b = strconv.AppendInt(b, it.Upper, 10)
			b = append(b, '}')
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

// appendJSONFloat writes the shortest representation that round-trips,
// always with a fraction or exponent (4.0, not 4) so that readers keep
// floats as floats.
func appendJSONFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	if !bytes.ContainsAny(b[start:], ".e") {
		b = append(b, ".0"...)
	}
	return b
}

// ---- table ----

var tableColumns = []struct{ head, key string }{
	{"n", "counts/n"}, {"null", "counts/null"}, {"nan", "counts/nan"}, {"inf", "counts/inf"},
	{"int", "types/integral"}, {"frac", "types/fractional"}, {"bool", "types/boolean"}, {"str", "types/string"}, {"obj", "types/object"},
	{"mean", "distribution/mean"}, {"stddev", "distribution/stddev"}, {"min", "distribution/min"}, {"q_25", "distribution/q_25"},
	{"median", "distribution/median"}, {"q_75", "distribution/q_75"}, {"max", "distribution/max"},
	{"ints_min", "ints/min"}, {"ints_max", "ints/max"}, {"card_est", "cardinality/est"},
}

func appendInspectTable(b []byte, path string, format profilefile.Format, p *profiler.DatasetProfile) []byte {
	tags, metadata, segment := profileInfo(p)
	sums := p.Summary()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s  (whylogs %s, %d columns)\n", path, format, len(sums))
	fmt.Fprintf(&buf, "  dataset_timestamp   %s (%d)\n", p.DatasetTimestamp().Format(time.RFC3339Nano), p.DatasetTimestamp().UnixMilli())
	fmt.Fprintf(&buf, "  creation_timestamp  %s (%d)\n", p.CreationTimestamp().Format(time.RFC3339Nano), p.CreationTimestamp().UnixMilli())
	if len(segment) > 0 {
		var kv []string
		for _, t := range p.Segment().Tags {
			kv = append(kv, t.Key+"="+t.Value)
		}
		fmt.Fprintf(&buf, "  segment             %s\n", strings.Join(kv, ", "))
	}
	if len(tags) > 0 {
		fmt.Fprintf(&buf, "  tags                %s\n", joinMap(tags))
	}
	if len(metadata) > 0 {
		fmt.Fprintf(&buf, "  metadata            %s\n", joinMap(metadata))
	}
	buf.WriteByte('\n')
	// Right-aligned numbers; the column names are padded so that they read
	// left-aligned.
	names := make([]string, len(sums))
	items := make([]string, len(sums))
	nameW := len("column")
	for i, cs := range sums {
		names[i] = cell(cs.Column, 32)
		items[i] = "-"
		if v, ok := cs.Lookup("frequent_items/frequent_strings"); ok {
			items[i] = topItems(v.Items, 3)
		} else if n := compoundMetrics(cs); n > 0 {
			items[i] = fmt.Sprintf("(compound metric: %d sub-metrics, see --json)", n)
		}
		nameW = max(nameW, utf8.RuneCountInString(names[i]))
	}
	pad := func(s string, w int) string { return s + strings.Repeat(" ", w-utf8.RuneCountInString(s)) }
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	io.WriteString(tw, pad("column", nameW)+"\t")
	for _, c := range tableColumns {
		io.WriteString(tw, c.head+"\t")
	}
	io.WriteString(tw, "  top_items\n") // the last cell of a line is not aligned: left as is
	for i, cs := range sums {
		io.WriteString(tw, pad(names[i], nameW)+"\t")
		for _, c := range tableColumns {
			if v, ok := cs.Lookup(c.key); ok {
				io.WriteString(tw, tableValue(v)+"\t")
			} else {
				io.WriteString(tw, "-\t")
			}
		}
		io.WriteString(tw, "  "+items[i]+"\n")
	}
	tw.Flush()
	return append(b, buf.Bytes()...)
}

// compoundMetrics counts the compound sub-metrics ("image/Hue.mean:…") of a
// column summary.
func compoundMetrics(cs profiler.ColumnSummary) int {
	seen := map[string]bool{}
	for _, e := range cs.Entries {
		if i := strings.LastIndexByte(e.Key, ':'); i >= 0 {
			seen[e.Key[:i]] = true
		}
	}
	return len(seen)
}

func tableValue(v profiler.SummaryValue) string {
	switch v.Kind {
	case profiler.SummaryInt:
		return strconv.FormatInt(v.Int, 10)
	case profiler.SummaryFloat:
		if math.IsNaN(v.Float) {
			return "NaN"
		}
		return strconv.FormatFloat(v.Float, 'g', 6, 64)
	}
	return "-"
}

func topItems(items []profiler.FrequentItem, n int) string {
	var parts []string
	for i, it := range items {
		if i == n {
			parts = append(parts, fmt.Sprintf("(+%d)", len(items)-n))
			break
		}
		parts = append(parts, cell(it.Value, 24)+":"+strconv.FormatInt(it.Est, 10))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// cell makes s safe for one table cell: control characters and tabs are
// quoted, long values shortened.
func cell(s string, max int) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == utf8.RuneError }) {
		s = strconv.Quote(s)
	}
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max-1]) + "…"
	}
	return s
}

func joinMap(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}
