package sketches

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// goldenDir is the folder of golden images: $SKETCHES_TESTDATA when set, else
// ./testdata. CSV files sit at its root and image paths in them are relative to it.
func goldenDir() string {
	if d := os.Getenv("SKETCHES_TESTDATA"); d != "" {
		return d
	}
	return "testdata"
}

// goldenRow is one row of an expected_*.csv file, keyed by column name.
type goldenRow map[string]string

// goldenRows reads the named CSV from the golden folder. A missing file skips
// the calling test (the SKETCHES_TESTDATA contract); an unreadable one fails it.
func goldenRows(t *testing.T, name string) []goldenRow {
	t.Helper()
	path := filepath.Join(goldenDir(), name)
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not present", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // rows that record an upstream error have fewer cells
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) < 2 {
		t.Fatalf("%s: no rows", path)
	}
	var rows []goldenRow
	for _, rec := range recs[1:] {
		row := goldenRow{}
		for i, col := range recs[0] {
			if i < len(rec) {
				row[col] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// image reads an image named in a row's "file" column.
func (r goldenRow) image(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir(), r["file"]))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// float parses column col; ok is false for an empty cell.
func (r goldenRow) float(t *testing.T, col string) (v float64, ok bool) {
	t.Helper()
	s, present := r[col]
	if !present {
		t.Fatalf("%s: no column %q", r["file"], col)
	}
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%s: column %s=%q: %v", r["file"], col, s, err)
	}
	return v, true
}

// int parses column col as an integer (empty cells are 0).
func (r goldenRow) int(t *testing.T, col string) int64 {
	t.Helper()
	s := r[col]
	if s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		t.Fatalf("%s: column %s=%q: %v", r["file"], col, s, err)
	}
	return v
}

// firstDiff returns the first index where a and b differ (the shorter length
// when one is a prefix of the other), or -1 when they are equal.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
