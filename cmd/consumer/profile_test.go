package main

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

const testdata = "../../schemas/testdata"

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

func TestDispatch(t *testing.T) {
	if code, _, errOut := runCmd("no-such-command"); code != 2 || !strings.Contains(errOut, `unknown command "no-such-command"`) || !strings.Contains(errOut, "Usage:") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(); code != 2 || !strings.Contains(errOut, "profile") {
		t.Errorf("no command: %d %q", code, errOut)
	}
	if code, out, _ := runCmd("--help"); code != 0 || !strings.Contains(out, "profile") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, out, _ := runCmd("help", "profile"); code != 0 || !strings.Contains(out, "inspect") || !strings.Contains(out, "merge") {
		t.Errorf("help profile: %d %q", code, out)
	}
	if code, _, errOut := runCmd("profile", "frobnicate"); code != 2 || !strings.Contains(errOut, "frobnicate") {
		t.Errorf("unknown subcommand: %d %q", code, errOut)
	}
	for _, sub := range []string{"inspect", "merge"} {
		code, out, _ := runCmd("profile", sub, "--help")
		if code != 0 || !strings.Contains(out, "consumer profile "+sub) || len(out) < 300 {
			t.Errorf("profile %s --help: %d %q", sub, code, out)
		}
	}
	if code, _, errOut := runCmd("profile", "inspect", "--bogus", "x.bin"); code != 2 || !strings.Contains(errOut, "bogus") {
		t.Errorf("bad flag: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd("profile", "inspect"); code != 2 || !strings.Contains(errOut, "no profile files") {
		t.Errorf("no files: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd("profile", "merge", filepath.Join(testdata, "v1-toydata.bin")); code != 2 || !strings.Contains(errOut, "-o OUT") {
		t.Errorf("merge without -o: %d %q", code, errOut)
	}
}

// TestInspectTable checks the table of the whylogs notebook profile against
// the notebook's to_pandas() values.
func TestInspectTable(t *testing.T) {
	file := filepath.Join(testdata, "v1-whylogs-example-2022-05.bin")
	code, out, errOut := runCmd("profile", "inspect", file)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	rows := map[string][]string{}
	var header []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "column" {
			header = f
		} else if len(f) > 0 && strings.HasPrefix(f[0], "col_") {
			rows[f[0]] = f
		}
	}
	if !strings.Contains(out, file) || !strings.Contains(out, "v1") || !strings.Contains(out, "1653606247484") {
		t.Errorf("header block missing: %q", out)
	}
	cellOf := func(row, col string) string {
		for i, h := range header {
			if h == col && i < len(rows[row]) {
				return rows[row][i]
			}
		}
		t.Fatalf("no cell %s/%s in %q", row, col, out)
		return ""
	}
	want := map[string]map[string]string{
		"col_1": {"n": "4", "null": "0", "frac": "4", "mean": "1.125", "min": "0.1", "q_25": "1", "median": "1.2", "q_75": "2.2", "max": "2.2", "card_est": "4", "ints_min": "-"},
		"col_2": {"n": "4", "str": "4", "card_est": "4"},
		"col_3": {"n": "4", "int": "4", "mean": "3.5", "median": "4", "q_25": "3", "q_75": "5", "ints_min": "2", "ints_max": "5", "stddev": "1.29099"},
	}
	for row, cols := range want {
		for col, v := range cols {
			if got := cellOf(row, col); got != v {
				t.Errorf("%s %s = %q, want %q", row, col, got, v)
			}
		}
	}
	if !strings.Contains(rows["col_2"][len(rows["col_2"])-1], "(+1)") || !strings.Contains(strings.Join(rows["col_3"], " "), "4.000000:1") {
		t.Errorf("top items: %v / %v", rows["col_2"], rows["col_3"])
	}
}

type inspectJSON struct {
	File              string                    `json:"file"`
	Format            string                    `json:"format"`
	DatasetTimestamp  int64                     `json:"dataset_timestamp"`
	CreationTimestamp int64                     `json:"creation_timestamp"`
	Tags              map[string]string         `json:"tags"`
	Metadata          map[string]string         `json:"metadata"`
	Segment           map[string]string         `json:"segment"`
	Columns           map[string]map[string]any `json:"columns"`
}

func TestInspectJSON(t *testing.T) {
	files := []string{
		filepath.Join(testdata, "v1-whylogs-example-2022-05.bin"),
		filepath.Join(testdata, "v1-segmented-category-whylogs-1.5.1.bin"),
		filepath.Join(testdata, "v0-profile-cars-2022-02.bin"),
	}
	code, out, errOut := runCmd(append([]string{"profile", "inspect", "--json"}, files...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d lines for %d files", len(lines), len(files))
	}
	// Flags after the files work too, and the output is deterministic.
	if _, again, _ := runCmd(append(append([]string{"profile", "inspect"}, files...), "--json")...); again != out {
		t.Errorf("second run differs")
	}
	keyOrder := regexp.MustCompile(`^\{"file":.*,"format":.*,"dataset_timestamp":\d+,"creation_timestamp":\d+,"tags":\{.*\},"metadata":\{.*\},"segment":\{.*\},"columns":\{`)
	var docs []inspectJSON
	for i, line := range lines {
		if !keyOrder.MatchString(line) {
			t.Errorf("line %d: key order: %.200s", i, line)
		}
		var d inspectJSON
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if d.File != files[i] {
			t.Errorf("line %d file %q", i, d.File)
		}
		docs = append(docs, d)
	}
	num := func(v any) float64 {
		n, ok := v.(json.Number)
		if !ok {
			t.Fatalf("%v (%T) is not a number", v, v)
		}
		f, _ := n.Float64()
		return f
	}
	// Notebook values.
	nb := docs[0]
	if nb.Format != "v1" || nb.DatasetTimestamp != 1653606247484 || len(nb.Segment) != 0 || len(nb.Columns) != 3 {
		t.Errorf("notebook doc %+v", nb)
	}
	c1 := nb.Columns["col_1"]
	for key, want := range map[string]float64{"counts/n": 4, "distribution/mean": 1.125, "distribution/median": 1.2, "distribution/q_10": 0.1, "distribution/q_90": 2.2, "cardinality/lower_1": 4} {
		if got := num(c1[key]); got != want {
			t.Errorf("col_1 %s = %v, want %v", key, got, want)
		}
	}
	if up := num(c1["cardinality/upper_1"]); math.Abs(up-4.0002) > 5e-5 {
		t.Errorf("upper_1 %v", up)
	}
	if c1["distribution/q_25"].(json.Number).String() != "1.0" || nb.Columns["col_3"]["ints/max"].(json.Number).String() != "5" {
		t.Errorf("floats must keep a fraction, ints must not: %v %v", c1["distribution/q_25"], nb.Columns["col_3"]["ints/max"])
	}
	items, ok := nb.Columns["col_2"]["frequent_items/frequent_strings"].([]any)
	if !ok || len(items) != 4 {
		t.Fatalf("col_2 frequent items %v", nb.Columns["col_2"]["frequent_items/frequent_strings"])
	}
	for _, it := range items {
		m := it.(map[string]any)
		if len(m) != 4 || num(m["est"]) != 1 || num(m["lower"]) != 1 || num(m["upper"]) != 1 || m["value"] == "" {
			t.Errorf("item %v", m)
		}
	}
	if !strings.Contains(lines[0], `[{"value":"column","est":1,"lower":1,"upper":1},`) {
		t.Errorf("frequent item key order: %s", lines[0])
	}
	// Segmented file: segment, metadata without segp_*.
	sg := docs[1]
	if sg.Segment["category"] != "Fruits and Vegetables" || sg.Metadata["whylogs.version"] != "1.5.1" || sg.Metadata["segp_id"] != "" || len(sg.Columns) != 7 {
		t.Errorf("segmented doc: segment %v metadata %v", sg.Segment, sg.Metadata)
	}
	if sg.Columns["category"]["distribution/max"] != "NaN" || sg.Columns["category"]["distribution/median"] != nil {
		t.Errorf("NaN / None encoding: %v %v", sg.Columns["category"]["distribution/max"], sg.Columns["category"]["distribution/median"])
	}
	// v0 file.
	v0 := docs[2]
	if v0.Format != "v0" || v0.Metadata["name"] != "profile_2022_02" || len(v0.Columns) != 22 || v0.CreationTimestamp != 1649263096574 {
		t.Errorf("v0 doc %v %v %d", v0.Format, v0.Metadata, len(v0.Columns))
	}
}

func TestInspectBadFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "half.bin")
	data, err := os.ReadFile(filepath.Join(testdata, "v1-toydata.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, data[:500], 0o644); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.txt")
	os.WriteFile(junk, []byte("just some text\nnot a profile\n"), 0o644)
	good := filepath.Join(testdata, "v1-toydata.bin")
	for _, asJSON := range []bool{false, true} {
		args := []string{"profile", "inspect", bad, good, junk, filepath.Join(dir, "missing.bin")}
		if asJSON {
			args = append(args, "--json")
		}
		code, out, errOut := runCmd(args...)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		errLines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if len(errLines) != 3 {
			t.Fatalf("want one error line per bad file, got %q", errOut)
		}
		for i, name := range []string{bad, junk, "missing.bin"} {
			if !strings.Contains(errLines[i], name) {
				t.Errorf("error line %q does not name %s", errLines[i], name)
			}
		}
		if !strings.Contains(errLines[0], "offset") {
			t.Errorf("truncation error without offset: %q", errLines[0])
		}
		if !strings.Contains(out, good) || !strings.Contains(out, "animal") {
			t.Errorf("good file not printed: %q", out)
		}
	}
}

// TestMergePartials: merging the profiles of two halves of a data set gives
// the profile of the whole (counts exact, moments to rounding, sketches
// exact in their exact mode), written as v1, whatever the input formats.
func TestMergePartials(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	type row struct {
		i   int64
		f   float64
		s   string
		b   bool
		nul bool
	}
	rows := make([]row, 800)
	for k := range rows {
		rows[k] = row{i: rng.Int64N(50), f: rng.NormFloat64()*3 + 10, s: []string{"a", "b", "c", "d"}[rng.IntN(4)], b: rng.IntN(3) == 0, nul: rng.IntN(10) == 0}
	}
	ts := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	profile := func(rs []row, created time.Time) *profiler.DatasetProfile {
		p, err := profiler.NewDatasetProfile(ts, created, profiler.Config{})
		if err != nil {
			t.Fatal(err)
		}
		p.SetName("orders")
		for _, r := range rs {
			p.Column("i").UpdateInt64(r.i)
			if r.nul {
				p.Column("f").UpdateFloat64(math.NaN())
			} else {
				p.Column("f").UpdateFloat64(r.f)
			}
			p.Column("s").UpdateString(r.s)
			p.Column("b").UpdateBool(r.b)
		}
		return p
	}
	whole := profile(rows, ts.Add(time.Hour))
	dir := t.TempDir()
	write := func(name string, p *profiler.DatasetProfile) string {
		b, err := whylogs.MarshalV1(p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a := write("a.bin", profile(rows[:300], ts.Add(2*time.Hour)))
	b := write("b.bin", profile(rows[300:], ts.Add(time.Hour)))
	out := filepath.Join(dir, "merged.bin")
	code, stdout, errOut := runCmd("profile", "merge", "-o", out, a, b)
	if code != 0 || errOut != "" || !strings.Contains(stdout, "merged 2 profiles") {
		t.Fatalf("merge: %d %q %q", code, stdout, errOut)
	}
	merged, format, err := whylogs.ReadFile(out)
	if err != nil || format.String() != "v1" {
		t.Fatal(format, err)
	}
	if !merged.CreationTimestamp().Equal(ts.Add(time.Hour)) || merged.Name() != "orders" {
		t.Errorf("creation %v name %q", merged.CreationTimestamp(), merged.Name())
	}
	ws, ms := whole.Summary(), merged.Summary()
	if len(ws) != len(ms) {
		t.Fatalf("%d vs %d columns", len(ms), len(ws))
	}
	for i := range ws {
		for _, e := range ws[i].Entries {
			got, ok := ms[i].Lookup(e.Key)
			if !ok {
				t.Errorf("%s %s missing", ws[i].Column, e.Key)
				continue
			}
			switch {
			case e.Key == "distribution/mean" || e.Key == "distribution/stddev":
				if math.Abs(got.Float-e.Value.Float) > 1e-12*math.Abs(e.Value.Float) {
					t.Errorf("%s %s = %v, want %v", ws[i].Column, e.Key, got, e.Value)
				}
			case strings.HasPrefix(e.Key, "cardinality/") && ws[i].Column == "f":
				// ~720 distinct doubles: the union is in HLL mode, whose
				// estimate differs from the single sketch's (RSE 1.6% at lg_k 12).
				if math.Abs(got.Float-e.Value.Float) > 0.05*e.Value.Float {
					t.Errorf("%s %s = %v, want %v ± 5%%", ws[i].Column, e.Key, got, e.Value)
				}
			case got.String() != e.Value.String() || got.Kind != e.Value.Kind:
				t.Errorf("%s %s = %v, want %v", ws[i].Column, e.Key, got, e.Value)
			}
		}
	}
	// Output goes through a temporary file: nothing else is left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("directory holds %d entries", len(entries))
	}

	// v0 + v1 in, v1 out; the v0 cars profile merged with itself doubles its counts.
	cars := filepath.Join(testdata, "v0-profile-cars-2022-02.bin")
	out2 := filepath.Join(dir, "cars2.bin")
	if code, _, errOut := runCmd("profile", "merge", "-o", out2, cars, cars); code != 0 {
		t.Fatalf("merge v0: %q", errOut)
	}
	c1, _, _ := whylogs.ReadFile(cars)
	c2, f2, err := whylogs.ReadFile(out2)
	if err != nil || f2.String() != "v1" {
		t.Fatal(f2, err)
	}
	for _, name := range []string{"year", "make", "price"} {
		x, _ := c1.Lookup(name)
		y, _ := c2.Lookup(name)
		nx, _ := x.Summary().Lookup("counts/n")
		ny, _ := y.Summary().Lookup("counts/n")
		if ny.Int != 2*nx.Int {
			t.Errorf("%s counts/n %d, want %d", name, ny.Int, 2*nx.Int)
		}
	}
}

func TestMergeErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.bin")
	toy := filepath.Join(testdata, "v1-toydata.bin")
	seg := filepath.Join(testdata, "v1-segmented-category-whylogs-1.5.1.bin")
	code, _, errOut := runCmd("profile", "merge", "-o", out, toy, seg)
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, seg) || !strings.Contains(errOut, "--ignore-mismatch") {
		t.Errorf("mismatch: %d %q", code, errOut)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output written despite the error")
	}
	if code, _, errOut := runCmd("profile", "merge", "--ignore-mismatch", "-o", out, toy, seg); code != 0 {
		t.Errorf("--ignore-mismatch: %d %q", code, errOut)
	}
	bad := filepath.Join(dir, "bad.bin")
	os.WriteFile(bad, []byte("WHY1\x00\x05abc"), 0o644)
	code, _, errOut = runCmd("profile", "merge", "-o", filepath.Join(dir, "o2.bin"), toy, bad)
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, bad) {
		t.Errorf("bad file: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd("profile", "merge", "-o", filepath.Join(dir, "no", "such", "dir.bin"), toy); code != 1 || !strings.Contains(errOut, "dir.bin") {
		t.Errorf("unwritable output: %d %q", code, errOut)
	}
}

func TestInspectTableCompoundAndSegment(t *testing.T) {
	code, out, errOut := runCmd("profile", "inspect", filepath.Join(testdata, "v1-segmented-two-columns-compound.bin"))
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !regexp.MustCompile(`(?m)^  image +(- +)+\(compound metric: 10 sub-metrics, see --json\)$`).MatchString(out) {
		t.Errorf("compound column row missing:\n%s", out)
	}
	if !strings.Contains(out, "segment             col1=segment4, location=location1\n") {
		t.Errorf("segment line missing:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^  image\.ImagePixelWidth +1 .* 1024 +1024 +1 +1024:1$`).MatchString(out) {
		t.Errorf("sub-column row:\n%s", out)
	}
}
