//go:build interop

package interop

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
	"github.com/kprofiler/kprofiler/sketches"
)

const (
	seed    = 20250601
	numRows = 5000
	name    = "interop"
)

var datasetTS = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) // python/interop.py DATASET_TS

// ---- python ----

// pythonPath returns the interpreter of the whylogs venv: $INTEROP_PYTHON, or
// the path e2e/python/setup.sh prints after building or reusing the venv.
func pythonPath(t *testing.T) string {
	if p := os.Getenv("INTEROP_PYTHON"); p != "" {
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../e2e/python/setup.sh")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("building the whylogs venv with e2e/python/setup.sh failed: %v\n%s", err, tail(errOut.String(), 60))
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1]
}

func tail(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func runPython(t *testing.T, py string, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"python/interop.py"}, args...)...)
	cmd.Env = append(os.Environ(), "WHYLOGS_NO_ANALYTICS=True", "PYTHONHASHSEED=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python interop.py %s: %v\n%s", args[0], err, tail(stderr.String(), 40))
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("python interop.py %s: bad JSON: %v\n%.500s", args[0], err, stdout.String())
	}
}

type pySummary struct {
	Columns           map[string]map[string]any `json:"columns"`
	Metadata          map[string]string         `json:"metadata"`
	DatasetTimestamp  int64                     `json:"dataset_timestamp"`
	CreationTimestamp int64                     `json:"creation_timestamp"`
}

// ---- data ----

type row struct {
	id, age             int64
	score, ratio, price float64
	category            *string
	region, user        string
	flag                bool
}

func readCSV(t *testing.T, path string) []row {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "id,age,score,ratio,price,category,region,flag,user" {
		t.Fatalf("CSV header %v", recs[0])
	}
	var rows []row
	for _, r := range recs[1:] {
		var x row
		var errs []error
		pi := func(s string) int64 { v, err := strconv.ParseInt(s, 10, 64); errs = append(errs, err); return v }
		pf := func(s string) float64 { v, err := strconv.ParseFloat(s, 64); errs = append(errs, err); return v }
		x.id, x.age = pi(r[0]), pi(r[1])
		x.score, x.ratio, x.price = pf(r[2]), pf(r[3]), pf(r[4])
		if r[5] != "" {
			c := r[5]
			x.category = &c
		}
		x.region, x.user = r[6], r[8]
		x.flag = r[7] == "True"
		for _, err := range errs {
			if err != nil {
				t.Fatalf("CSV row %v: %v", r, err)
			}
		}
		rows = append(rows, x)
	}
	return rows
}

// profileRows profiles rows as whylogs' DataFrame path does for the frame's
// dtypes (declared up front: the Go types of the first value would make the
// category column, whose first value may be None, an Any column).
func profileRows(t *testing.T, rows []row, seg *profiler.Segment, created time.Time) *profiler.DatasetProfile {
	cfg := profiler.Config{
		Seed: profiler.Seed(name, "interop-test"),
		Types: map[string]profiler.ColumnType{
			"id": profiler.TypeIntegral, "age": profiler.TypeIntegral, "flag": profiler.TypeIntegral,
			"score": profiler.TypeFractional, "ratio": profiler.TypeFractional, "price": profiler.TypeFractional,
			"category": profiler.TypeString, "region": profiler.TypeString, "user": profiler.TypeString,
		},
	}
	p, err := profiler.NewDatasetProfile(datasetTS, created, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.SetName(name)
	if seg != nil {
		p.SetSegment(*seg)
	}
	c := func(n string) *profiler.Column { return p.Column(n) }
	for _, r := range rows {
		c("id").UpdateInt64(r.id)
		c("age").UpdateInt64(r.age)
		c("score").UpdateFloat64(r.score)
		c("ratio").UpdateFloat64(r.ratio)
		c("price").UpdateFloat64(r.price)
		if r.category == nil {
			c("category").UpdateNull()
		} else {
			c("category").UpdateString(*r.category)
		}
		c("region").UpdateString(r.region)
		c("flag").UpdateBool(r.flag)
		c("user").UpdateString(r.user)
	}
	return p
}

// truth holds the exact per-column facts of a set of rows.
type truth struct {
	values map[string][]float64      // sorted values reaching the KLL
	counts map[string]map[string]int // frequent-item string → count
}

func truthOf(rows []row) truth {
	tr := truth{values: map[string][]float64{}, counts: map[string]map[string]int{}}
	addV := func(col string, v float64) {
		if !math.IsNaN(v) {
			tr.values[col] = append(tr.values[col], v)
		}
	}
	addC := func(col, s string) {
		if tr.counts[col] == nil {
			tr.counts[col] = map[string]int{}
		}
		tr.counts[col][s]++
	}
	for _, r := range rows {
		addV("id", float64(r.id))
		addV("age", float64(r.age))
		addV("score", r.score)
		addV("ratio", r.ratio)
		addV("price", r.price)
		b := 0.0
		if r.flag {
			b = 1
		}
		addV("flag", b)
		addC("id", strconv.FormatInt(r.id, 10))
		addC("age", strconv.FormatInt(r.age, 10))
		addC("flag", map[bool]string{true: "True", false: "False"}[r.flag])
		if r.category != nil {
			addC("category", *r.category)
		}
		addC("region", r.region)
		addC("user", r.user)
	}
	for _, v := range tr.values {
		slices.Sort(v)
	}
	return tr
}

// ---- comparison ----

type mode int

const (
	sameSketch mode = iota // both summaries come from the same sketches
	sameData               // independent sketches of the same rows
)

type stats struct {
	values, exact           int
	maxMeanRel, maxStdRel   float64
	maxRankErr, maxCardDiff float64
	fiItems                 int
}

func (s *stats) String() string {
	return fmt.Sprintf("%d values compared, %d identical; max rel diff mean %.2g, stddev %.2g; max quantile rank error %.4f; max cardinality diff %.3g σ; %d frequent items checked",
		s.values, s.exact, s.maxMeanRel, s.maxStdRel, s.maxRankErr, s.maxCardDiff, s.fiItems)
}

var quantileKeys = map[string]float64{"q_01": 0.01, "q_05": 0.05, "q_10": 0.10, "q_25": 0.25, "median": 0.5, "q_75": 0.75, "q_90": 0.90, "q_95": 0.95, "q_99": 0.99}

// pyFloat converts a whylogs summary value; ok=false for None/NaN.
func pyFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		switch x {
		case "Infinity":
			return math.Inf(1), true
		case "-Infinity":
			return math.Inf(-1), true
		}
	}
	return math.NaN(), false
}

func goFloat(v profiler.SummaryValue) (float64, bool) {
	switch v.Kind {
	case profiler.SummaryInt:
		return float64(v.Int), true
	case profiler.SummaryFloat:
		return v.Float, !math.IsNaN(v.Float)
	}
	return math.NaN(), false
}

// rankError is the distance between rank r and the rank interval of v in
// the sorted data: [#(<v)/n, #(≤v)/n].
func rankError(sorted []float64, r, v float64) float64 {
	n := float64(len(sorted))
	lo := float64(sort.SearchFloat64s(sorted, v)) / n
	hi := float64(sort.Search(len(sorted), func(i int) bool { return sorted[i] > v })) / n
	switch {
	case r < lo:
		return lo - r
	case r > hi:
		return r - hi
	}
	return 0
}

func compare(t *testing.T, label string, py map[string]map[string]any, got []profiler.ColumnSummary, m mode, tr *truth, st *stats) {
	t.Helper()
	if len(py) != len(got) {
		t.Errorf("%s: whylogs has %d columns, Go %d", label, len(py), len(got))
	}
	eps := sketches.KLLNormalizedRankError(profiler.DefaultKLLK, false)
	for _, cs := range got {
		pc, ok := py[cs.Column]
		if !ok {
			t.Errorf("%s: whylogs has no column %q", label, cs.Column)
			continue
		}
		for _, e := range cs.Entries {
			key := e.Key
			pv, ok := pc[key]
			if !ok {
				t.Errorf("%s %s: whylogs has no %s", label, cs.Column, key)
				continue
			}
			st.values++
			fail := func(format string, args ...any) {
				t.Errorf("%s %s %s: Go %v, whylogs %v: %s", label, cs.Column, key, e.Value, pv, fmt.Sprintf(format, args...))
			}
			_, local, _ := strings.Cut(key, "/")
			gf, gok := goFloat(e.Value)
			pf, pok := pyFloat(pv)
			switch {
			case key == "frequent_items/frequent_strings":
				if compareItems(t, label+" "+cs.Column, pv, e.Value.Items, m, tr, cs.Column, st) {
					st.exact++
				}
				continue
			case e.Value.Kind == profiler.SummaryInt:
				if !pok || pf != gf {
					fail("must be equal")
				}
			case !gok || !pok: // NaN / None
				if gok != pok {
					fail("one side is None/NaN")
				}
			case key == "distribution/mean" || key == "distribution/stddev":
				rel := relDiff(gf, pf)
				if math.IsInf(gf, 0) || math.IsInf(pf, 0) {
					if gf != pf {
						fail("infinities differ")
					}
				} else if rel > 1e-9 {
					fail("relative difference %.3g > 1e-9", rel)
				}
				if key == "distribution/mean" {
					st.maxMeanRel = max(st.maxMeanRel, rel)
				} else {
					st.maxStdRel = max(st.maxStdRel, rel)
				}
			case m == sameData && quantileKeys[strings.TrimPrefix(key, "distribution/")] > 0:
				r := quantileKeys[strings.TrimPrefix(key, "distribution/")]
				vals := tr.values[cs.Column]
				for _, v := range []float64{gf, pf} {
					re := rankError(vals, r, v)
					st.maxRankErr = max(st.maxRankErr, re)
					if re > 3*eps {
						fail("value %v has rank error %.4f > 3ε = %.4f", v, re, 3*eps)
					}
				}
			case m == sameData && strings.HasPrefix(key, "cardinality/"):
				est, _ := goFloat(lookup(cs, "cardinality/est"))
				up, _ := goFloat(lookup(cs, "cardinality/upper_1"))
				sigma := math.Max(up-est, 1e-9)
				d := math.Abs(gf-pf) / sigma
				st.maxCardDiff = max(st.maxCardDiff, d)
				if d > 3 {
					fail("differ by %.2f σ", d)
				}
			default: // same sketch, or exact values (min, max, counts)
				if gf != pf && !(strings.HasPrefix(key, "cardinality/") && relDiff(gf, pf) < 1e-12) {
					fail("must be equal (%s)", local)
				}
			}
			if gf == pf || (!gok && !pok) {
				st.exact++
			}
		}
	}
}

// jsonSummaries converts the columns of `consumer profile inspect --json`
// back to summaries.
func jsonSummaries(t *testing.T, cols map[string]map[string]json.RawMessage) []profiler.ColumnSummary {
	var out []profiler.ColumnSummary
	for _, col := range slices.Sorted(maps.Keys(cols)) {
		cs := profiler.ColumnSummary{Column: col}
		for _, key := range slices.Sorted(maps.Keys(cols[col])) {
			raw := cols[col][key]
			var v profiler.SummaryValue
			var s string
			switch {
			case string(raw) == "null":
				v.Kind = profiler.SummaryNull
			case raw[0] == '[':
				v.Kind = profiler.SummaryItems
				if err := json.Unmarshal(raw, &v.Items); err != nil {
					t.Fatalf("%s %s: %v", col, key, err)
				}
			case json.Unmarshal(raw, &s) == nil:
				v.Kind = profiler.SummaryFloat
				v.Float = map[string]float64{"NaN": math.NaN(), "Infinity": math.Inf(1), "-Infinity": math.Inf(-1)}[s]
			case bytes.ContainsAny(raw, ".eE"):
				v.Kind = profiler.SummaryFloat
				v.Float, _ = strconv.ParseFloat(string(raw), 64)
			default:
				v.Kind = profiler.SummaryInt
				v.Int, _ = strconv.ParseInt(string(raw), 10, 64)
			}
			cs.Entries = append(cs.Entries, profiler.SummaryEntry{Key: key, Value: v})
		}
		out = append(out, cs)
	}
	return out
}

func summaryOf(p *profiler.DatasetProfile, col string) profiler.ColumnSummary {
	c, _ := p.Lookup(col)
	return c.Summary()
}

func lookup(cs profiler.ColumnSummary, key string) profiler.SummaryValue {
	v, _ := cs.Lookup(key)
	return v
}

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// compareItems checks frequent items and reports whether both lists are equal.
func compareItems(t *testing.T, label string, pv any, got []profiler.FrequentItem, m mode, tr *truth, col string, st *stats) bool {
	t.Helper()
	list, ok := pv.([]any)
	if !ok {
		t.Errorf("%s: whylogs frequent items %v", label, pv)
		return false
	}
	var py []profiler.FrequentItem
	for _, x := range list {
		o := x.(map[string]any)
		py = append(py, profiler.FrequentItem{Value: o["value"].(string), Est: int64(o["est"].(float64)),
			Lower: int64(o["lower"].(float64)), Upper: int64(o["upper"].(float64))})
	}
	key := func(a, b profiler.FrequentItem) int { return strings.Compare(a.Value, b.Value) }
	slices.SortFunc(py, key)
	g := slices.Clone(got)
	slices.SortFunc(g, key)
	exact := func(items []profiler.FrequentItem) bool {
		for _, it := range items {
			if it.Lower != it.Upper {
				return false
			}
		}
		return true
	}
	if m == sameSketch || (exact(py) && exact(g)) {
		if !slices.Equal(py, g) {
			t.Errorf("%s: frequent items differ:\n Go      %v\n whylogs %v", label, g, py)
		}
	}
	if tr != nil {
		for _, it := range append(py, g...) {
			c := int64(tr.counts[col][it.Value])
			if c < it.Lower || c > it.Upper {
				t.Errorf("%s: item %q true count %d outside [%d, %d]", label, it.Value, c, it.Lower, it.Upper)
			}
		}
	}
	st.fiItems += len(py) + len(g)
	return slices.Equal(py, g)
}

// ---- the test ----

func TestWhylogsInterop(t *testing.T) {
	py := pythonPath(t)
	dir := t.TempDir()
	var gen struct {
		Files map[string]string `json:"files"`
		Names map[string]string `json:"names"`
		Rows  int               `json:"rows"`
	}
	runPython(t, py, &gen, "gen", dir, strconv.Itoa(seed), strconv.Itoa(numRows))
	rows := readCSV(t, filepath.Join(dir, "data.csv"))
	if len(rows) != numRows || gen.Rows != numRows {
		t.Fatalf("%d rows in the CSV, %d generated", len(rows), gen.Rows)
	}
	all := truthOf(rows)
	created := time.Date(2025, 6, 1, 13, 0, 0, 0, time.UTC)

	write := func(fname string, p *profiler.DatasetProfile) string {
		b, err := whylogs.MarshalV1(p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fname)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	goWhole := profileRows(t, rows, nil, created)
	goWholeFile := write("go_whole.bin", goWhole)
	regions := []string{"north", "south", "west"}
	goSeg := map[string]*profiler.DatasetProfile{}
	goSegFile := map[string]string{}
	segRows := map[string][]row{}
	for _, r := range rows {
		segRows[r.region] = append(segRows[r.region], r)
	}
	for _, reg := range regions {
		seg, err := profiler.NewSegment("", []string{"region"}, "", []string{reg})
		if err != nil {
			t.Fatal(err)
		}
		goSeg[reg] = profileRows(t, segRows[reg], &seg, created)
		goSegFile[reg] = write("go_seg_"+reg+".bin", goSeg[reg])
	}
	// Partial: Go profiles the first half, whylogs (py_half2.bin) the second.
	half := profileRows(t, rows[:numRows/2], nil, created)
	pyHalf2, _, err := whylogs.ReadFile(gen.Files["half2"])
	if err != nil {
		t.Fatal(err)
	}
	if err := half.Merge(pyHalf2, profiler.MergeOptions{}); err != nil {
		t.Fatalf("merging whylogs' profile into ours: %v", err)
	}
	mergedFile := write("merged.bin", half)

	files := []string{goWholeFile, mergedFile, gen.Files["whole"]}
	for _, reg := range regions {
		files = append(files, goSegFile[reg], gen.Files["seg_"+reg])
	}
	// The consumer command: merge Go's first half with whylogs' second half.
	consumer := filepath.Join(dir, "consumer")
	if out, err := exec.Command("go", "build", "-o", consumer, "../cmd/consumer").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/consumer: %v\n%s", err, out)
	}
	half1File := write("go_half1.bin", profileRows(t, rows[:numRows/2], nil, created))
	cliMerged := filepath.Join(dir, "cli_merged.bin")
	if out, err := exec.Command(consumer, "profile", "merge", "-o", cliMerged, half1File, gen.Files["half2"]).CombinedOutput(); err != nil {
		t.Fatalf("consumer profile merge: %v\n%s", err, out)
	}
	files = append(files, cliMerged)
	sums := map[string]pySummary{}
	runPython(t, py, &sums, append([]string{"summarize"}, files...)...)

	t.Run("consumer CLI", func(t *testing.T) {
		// inspect --json of whylogs' own files gives whylogs' to_pandas() values.
		args := []string{"profile", "inspect", "--json", gen.Files["whole"]}
		for _, reg := range regions {
			args = append(args, gen.Files["seg_"+reg])
		}
		out, err := exec.Command(consumer, args...).Output()
		if err != nil {
			t.Fatalf("consumer profile inspect: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1+len(regions) {
			t.Fatalf("%d JSON lines for %d files", len(lines), 1+len(regions))
		}
		st := &stats{}
		for _, line := range lines {
			var doc struct {
				File    string                                `json:"file"`
				Segment map[string]string                     `json:"segment"`
				Columns map[string]map[string]json.RawMessage `json:"columns"`
			}
			if err := json.Unmarshal([]byte(line), &doc); err != nil {
				t.Fatalf("inspect --json: %v", err)
			}
			tr := all
			if reg := doc.Segment["region"]; reg != "" {
				tr = truthOf(segRows[reg])
			}
			compare(t, "inspect --json "+filepath.Base(doc.File), sums[doc.File].Columns, jsonSummaries(t, doc.Columns), sameSketch, &tr, st)
		}
		t.Logf("consumer profile inspect --json vs whylogs to_pandas() of whylogs' files: %v", st)
		// merge output read by whylogs: the totals of the whole data set.
		st = &stats{}
		compare(t, "consumer profile merge", sums[cliMerged].Columns, goWhole.Summary(), sameData, &all, st)
		t.Logf("consumer profile merge (Go half + whylogs half) read by whylogs vs Go whole: %v", st)
	})

	t.Run("whylogs reads Go profiles", func(t *testing.T) {
		st := &stats{}
		s := sums[goWholeFile]
		compare(t, "go_whole", s.Columns, goWhole.Summary(), sameSketch, &all, st)
		if s.Metadata["name"] != name || s.DatasetTimestamp != datasetTS.UnixMilli() || s.CreationTimestamp != created.UnixMilli() {
			t.Errorf("properties as whylogs reads them: %v %d %d", s.Metadata, s.DatasetTimestamp, s.CreationTimestamp)
		}
		for _, reg := range regions {
			tr := truthOf(segRows[reg])
			s := sums[goSegFile[reg]]
			compare(t, "go_seg_"+reg, s.Columns, goSeg[reg].Summary(), sameSketch, &tr, st)
			pyMeta := sums[gen.Files["seg_"+reg]].Metadata
			// (whylogs' segmented writer drops the "name" metadata; ours keeps it.)
			for _, k := range []string{"whylogs.tag.region", "segp_id", "segp_name", "segp_col"} {
				if s.Metadata[k] != pyMeta[k] || s.Metadata[k] == "" {
					t.Errorf("segment %s: metadata %s = %q in our file, %q in whylogs'", reg, k, s.Metadata[k], pyMeta[k])
				}
			}
		}
		t.Logf("whylogs reading Go profiles (plain + 3 segments): %v", st)
		for _, k := range [][2]string{{"score", "distribution/mean"}, {"score", "distribution/stddev"}, {"score", "distribution/median"},
			{"ratio", "counts/inf"}, {"score", "counts/nan"}, {"category", "counts/null"}, {"flag", "counts/true"},
			{"id", "cardinality/est"}, {"user", "cardinality/est"}} {
			t.Logf("  %-8s %-20s Go %-22v whylogs reading Go's file %v", k[0], k[1], lookup(summaryOf(goWhole, k[0]), k[1]), s.Columns[k[0]][k[1]])
		}
	})

	t.Run("Go reads whylogs profiles", func(t *testing.T) {
		st := &stats{}
		p, _, err := whylogs.ReadFile(gen.Files["whole"])
		if err != nil {
			t.Fatal(err)
		}
		compare(t, "py_whole read by Go", sums[gen.Files["whole"]].Columns, p.Summary(), sameSketch, &all, st)
		if p.Name() != name || !p.DatasetTimestamp().Equal(datasetTS) {
			t.Errorf("properties: %v %v", p.Metadata(), p.DatasetTimestamp())
		}
		for _, reg := range regions {
			p, _, err := whylogs.ReadFile(gen.Files["seg_"+reg])
			if err != nil {
				t.Fatal(err)
			}
			tr := truthOf(segRows[reg])
			compare(t, "py_seg_"+reg+" read by Go", sums[gen.Files["seg_"+reg]].Columns, p.Summary(), sameSketch, &tr, st)
			if !p.Segment().Equal(goSeg[reg].Segment()) {
				t.Errorf("segment read from whylogs' file %+v, ours %+v", p.Segment(), goSeg[reg].Segment())
			}
		}
		t.Logf("Go reading whylogs profiles (plain + 3 segments): %v", st)
		// whylogs' default file names: equal up to the creation timestamp's
		// sub-millisecond digits, which the file does not keep.
		for key, want := range gen.Names {
			p, _, err := whylogs.ReadFile(gen.Files[key])
			if err != nil {
				t.Fatal(err)
			}
			got := whylogs.FileName(p)
			g0, g1, _ := strings.Cut(got, "+00:00")
			w0, w1, _ := strings.Cut(want, "+00:00")
			if g1 != w1 || len(g0) < 27 || !strings.HasPrefix(w0, g0[:27]) {
				t.Errorf("%s: FileName %q, whylogs names it %q", key, got, want)
			}
		}

		st = &stats{}
		compare(t, "Go profile vs whylogs profile of the same data", sums[gen.Files["whole"]].Columns, goWhole.Summary(), sameData, &all, st)
		for _, reg := range regions {
			tr := truthOf(segRows[reg])
			compare(t, "Go vs whylogs segment "+reg, sums[gen.Files["seg_"+reg]].Columns, goSeg[reg].Summary(), sameData, &tr, st)
		}
		t.Logf("Go profiles vs whylogs profiles of the same rows: %v", st)
		ws := sums[gen.Files["whole"]].Columns
		for _, k := range [][2]string{{"score", "distribution/mean"}, {"score", "distribution/median"}, {"price", "distribution/q_99"},
			{"id", "cardinality/est"}, {"user", "cardinality/est"}} {
			t.Logf("  %-8s %-20s Go %-22v whylogs %v", k[0], k[1], lookup(summaryOf(goWhole, k[0]), k[1]), ws[k[0]][k[1]])
		}
	})

	t.Run("Go+whylogs merge read by whylogs", func(t *testing.T) {
		st := &stats{}
		s := sums[mergedFile]
		compare(t, "merged", s.Columns, goWhole.Summary(), sameData, &all, st)
		st2 := &stats{}
		compare(t, "merged vs whylogs whole", sums[gen.Files["whole"]].Columns, half.Summary(), sameData, &all, st2)
		n := s.Columns["id"]["counts/n"]
		t.Logf("merged profile as whylogs reads it: counts/n %v for %d rows; vs Go whole: %v; vs whylogs whole: %v", n, numRows, st, st2)
	})
}
