package sketches

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kllGoldenSketch is what the golden tests need from either instantiation.
type kllGoldenSketch interface {
	K() int
	N() uint64
	NumRetained() int
	NumLevels() int
	IsEstimationMode() bool
	MarshalBinary() ([]byte, error)
}

// kllIsFloats tells the item type of a golden image from its file name.
func kllIsFloats(file string) bool {
	return strings.Contains(filepath.Base(file), "float")
}

// kllGoldenQueries holds the query columns of expected_kll.csv, computed
// from our decoded sketch.
type kllGoldenQueries struct {
	min, max                 float64
	q50i, q50e, q25i, q99i   float64
	rankHalfI, rankHalfE     float64
	numLevels, retained      int
	k                        int
	n                        uint64
	estimation               bool
	reencoded                []byte
	queryErr, rankErr, empty error
}

func kllQueryAll[T float32 | float64](t *testing.T, s *KLL[T]) kllGoldenQueries {
	t.Helper()
	var g kllGoldenQueries
	g.k, g.n, g.numLevels, g.retained, g.estimation = s.K(), s.N(), s.NumLevels(), s.NumRetained(), s.IsEstimationMode()
	g.min, g.max = float64(s.Min()), float64(s.Max())
	var err error
	var v T
	if v, err = s.Quantile(0.5, Inclusive); err == nil {
		g.q50i = float64(v)
	}
	g.queryErr = err
	v, _ = s.Quantile(0.5, Exclusive)
	g.q50e = float64(v)
	v, _ = s.Quantile(0.25, Inclusive)
	g.q25i = float64(v)
	v, _ = s.Quantile(0.99, Inclusive)
	g.q99i = float64(v)
	half := T(s.N() / 2)
	g.rankHalfI, g.rankErr = s.Rank(half, Inclusive)
	g.rankHalfE, _ = s.Rank(half, Exclusive)
	return g
}

func kllDecodeGolden(t *testing.T, file string, img []byte) (kllGoldenQueries, error) {
	t.Helper()
	if kllIsFloats(file) {
		var s KLLFloats
		if err := s.UnmarshalBinary(img); err != nil {
			return kllGoldenQueries{}, err
		}
		enc, _ := s.MarshalBinary() // before queries: queries may set the sorted flag
		g := kllQueryAll(t, &s)
		g.reencoded = enc
		return g, nil
	}
	var s KLLDoubles
	if err := s.UnmarshalBinary(img); err != nil {
		return kllGoldenQueries{}, err
	}
	enc, _ := s.MarshalBinary()
	g := kllQueryAll(t, &s)
	g.reencoded = enc
	return g, nil
}

// TestKLLGolden decodes every image listed in expected_kll.csv and checks
// every column against the values datasketches-cpp computed.
func TestKLLGolden(t *testing.T) {
	rows := kllGoldenRows(t)
	for _, row := range rows {
		t.Run(row["file"], func(t *testing.T) {
			img := row.image(t)
			if int64(len(img)) != row.int(t, "bytes") {
				t.Fatalf("image has %d bytes, csv says %s", len(img), row["bytes"])
			}
			if strings.HasPrefix(row["k"], "ERROR") {
				kllCheckCppRejected(t, row["file"], img)
				return
			}
			g, err := kllDecodeGolden(t, row["file"], img)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if int64(g.k) != row.int(t, "k") || int64(g.n) != row.int(t, "n") || int64(g.retained) != row.int(t, "retained") {
				t.Errorf("k/n/retained = %d/%d/%d, want %s/%s/%s", g.k, g.n, g.retained, row["k"], row["n"], row["retained"])
			}
			if (row.int(t, "estimation_mode") == 1) != g.estimation {
				t.Errorf("estimation mode %v, want %s", g.estimation, row["estimation_mode"])
			}
			if nl, ok := row.float(t, "num_levels"); ok && int(nl) != g.numLevels {
				t.Errorf("num_levels %d, want %v", g.numLevels, nl)
			}
			if g.n == 0 {
				if !math.IsNaN(g.min) || !math.IsNaN(g.max) {
					t.Errorf("empty: min/max %v/%v, want NaN", g.min, g.max)
				}
				if !errors.Is(g.queryErr, ErrEmpty) || !errors.Is(g.rankErr, ErrEmpty) {
					t.Errorf("empty: query errors %v / %v, want ErrEmpty", g.queryErr, g.rankErr)
				}
				for _, col := range []string{"min", "max", "q0.5_incl", "rank_n/2_incl"} {
					if _, ok := row.float(t, col); ok {
						t.Errorf("empty sketch but column %s = %q", col, row[col])
					}
				}
				return
			}
			if g.queryErr != nil || g.rankErr != nil {
				t.Fatalf("query errors: %v / %v", g.queryErr, g.rankErr)
			}
			for _, c := range []struct {
				col string
				got float64
			}{
				{"min", g.min}, {"max", g.max},
				{"q0.5_incl", g.q50i}, {"q0.5_excl", g.q50e}, {"q0.25_incl", g.q25i}, {"q0.99_incl", g.q99i},
				{"rank_n/2_incl", g.rankHalfI}, {"rank_n/2_excl", g.rankHalfE},
			} {
				want, ok := row.float(t, c.col)
				if !ok {
					t.Errorf("column %s is empty for a non-empty sketch", c.col)
					continue
				}
				if c.got != want {
					t.Errorf("%s = %v, want %v", c.col, c.got, want)
				}
			}
		})
	}
}

// kllCheckCppRejected handles rows that datasketches-cpp refused to decode.
// Our reader may reject them too (with ErrCorrupt), or accept them only when
// they are the one documented tolerance beyond C++: a serial-version-2
// single-item image whose SINGLE_ITEM flag is not set (older Java). Accepted,
// it must decode as one item and re-encode to the canonical flagged form.
func kllCheckCppRejected(t *testing.T, file string, img []byte) {
	g, err := kllDecodeGolden(t, file, img)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("rejected without ErrCorrupt: %v", err)
		}
		return
	}
	if len(img) < 8 || img[0] != 2 || img[1] != 2 || img[3]&kllFlagSingle != 0 {
		t.Fatalf("accepted an image C++ rejects that is not the legacy unflagged single item: % x", img[:min(8, len(img))])
	}
	item := float64(math.Float64frombits(binary.LittleEndian.Uint64(img[8:])))
	if kllIsFloats(file) {
		item = float64(math.Float32frombits(binary.LittleEndian.Uint32(img[8:])))
	}
	if g.n != 1 || g.retained != 1 || g.min != item || g.max != item || g.q50i != item {
		t.Errorf("legacy single item decoded as n=%d retained=%d min=%v max=%v q=%v, want one item %v", g.n, g.retained, g.min, g.max, g.q50i, item)
	}
	want := append([]byte(nil), img...)
	want[3] |= kllFlagSingle
	if !bytes.Equal(g.reencoded, want) {
		t.Errorf("re-encoded % x, want % x", g.reencoded, want)
	}
}

// TestKLLGoldenReencode decodes every image and encodes it again. Every image
// written by current C++ and Java must come back byte for byte. The legacy
// forms come back in the canonical form for their content: the full-form
// one-item image (preamble 5, n=1) as the 16/12-byte single-item form, and the
// unflagged serial-version-2 image with the SINGLE_ITEM flag set.
func TestKLLGoldenReencode(t *testing.T) {
	rows := kllGoldenRows(t)
	seen := 0
	for _, row := range rows {
		file := row["file"]
		img := row.image(t)
		g, err := kllDecodeGolden(t, file, img)
		if err != nil {
			if strings.HasPrefix(row["k"], "ERROR") {
				continue // covered by TestKLLGolden
			}
			t.Errorf("%s: %v", file, err)
			continue
		}
		seen++
		want := img
		size := 8
		if kllIsFloats(file) {
			size = 4
		}
		switch {
		case img[0] == 5 && g.n == 1:
			// legacy full form: header, then the item (min and max are the item too)
			want = append([]byte{2, 2, kllFamily, kllFlagSingle, img[4], img[5], img[6], 0}, img[len(img)-size:]...)
			if len(g.reencoded) != 8+size {
				t.Errorf("%s: canonical single-item form has %d bytes, want %d", file, len(g.reencoded), 8+size)
			}
		case img[0] == 2 && img[1] == 2 && img[3]&kllFlagSingle == 0:
			want = append([]byte(nil), img...)
			want[3] |= kllFlagSingle
		}
		if !bytes.Equal(g.reencoded, want) {
			t.Errorf("%s: re-encoding differs (%d vs %d bytes)", file, len(g.reencoded), len(want))
		}
	}
	if seen == 0 {
		t.Fatal("no image decoded")
	}
}

// TestKLLRebuildJavaDoubles rebuilds every java/kll_double_n*_java.sk from the
// generator loop (update 1..n, k=200) with the upstream deterministic coin
// (NewAlternatingBits, fresh per sketch) and compares the bytes.
func TestKLLRebuildJavaDoubles(t *testing.T) {
	for _, n := range []int{0, 1, 10, 100, 1000, 10000, 100000, 1000000} {
		path := "java/kll_double_n" + itoa(n) + "_java.sk"
		want := readGoldenFile(t, path)
		s, _ := NewKLLDoubles(200)
		s.SetBitSource(NewAlternatingBits())
		for i := 1; i <= n; i++ {
			s.Update(float64(i))
		}
		got, _ := s.MarshalBinary()
		if !bytes.Equal(got, want) {
			t.Errorf("n=%d: rebuilt image differs from %s (%d vs %d bytes, first difference at %d)", n, path, len(got), len(want), firstDiff(got, want))
		}
	}
}

// TestKLLRebuildMerges follows the recipe of UPSTREAM-README §3: four sketches
// sharing one alternating coin, then a.merge(b) → m1, a.merge(c) → m2,
// e.merge(c) → m3 (m2 and m3 mix k=200 with k=100).
func TestKLLRebuildMerges(t *testing.T) {
	coin := NewAlternatingBits()
	mk := func(k int) *KLLDoubles {
		s, err := NewKLLDoubles(k)
		if err != nil {
			t.Fatal(err)
		}
		s.SetBitSource(coin)
		return s
	}
	a, b, c, e := mk(200), mk(200), mk(100), mk(200)
	for i := 1; i <= 5000; i++ {
		a.Update(float64((i * 7919) % 5003))
	}
	for i := 1; i <= 7000; i++ {
		b.Update(float64(100000 + i))
	}
	for i := 1; i <= 3000; i++ {
		c.Update(float64(-i))
	}
	check := func(name string, s *KLLDoubles) {
		t.Helper()
		want := readGoldenFile(t, "generated-locally/kll_double_merge_"+name+".sk")
		got, _ := s.MarshalBinary()
		if !bytes.Equal(got, want) {
			t.Errorf("%s: merge result differs (%d vs %d bytes, first difference at %d)", name, len(got), len(want), firstDiff(got, want))
		}
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	check("m1", a)
	if err := a.Merge(c); err != nil {
		t.Fatal(err)
	}
	check("m2", a)
	if err := e.Merge(c); err != nil {
		t.Fatal(err)
	}
	check("m3", e)
	if a.MinK() != 100 || e.MinK() != 100 || a.K() != 200 {
		t.Errorf("minK a=%d e=%d k=%d, want 100, 100, 200", a.MinK(), e.MinK(), a.K())
	}
}

// kllGoldenRows reads expected_kll.csv like goldenRows (same folder rules,
// skip when missing) but tolerates short rows: the C++ generator wrote a
// three-field "ERROR: …" row for the image it rejects, which encoding/csv's
// default field-count check (used by goldenRows) refuses.
func kllGoldenRows(t *testing.T) []goldenRow {
	t.Helper()
	path := filepath.Join(goldenDir(), "expected_kll.csv")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not present", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
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
			} else {
				row[col] = ""
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// readGoldenFile reads an image by path relative to the golden folder; a
// missing file skips the test (an alternative SKETCHES_TESTDATA may hold
// fewer images).
func readGoldenFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir(), rel))
	if os.IsNotExist(err) {
		t.Skipf("%s not present", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}
