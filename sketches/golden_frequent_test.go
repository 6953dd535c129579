package sketches

import (
	"bytes"
	"encoding/binary"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fiImageEntry is one (item, counter) pair read straight from an image by the
// test's own minimal parser (independent of the decoder under test).
type fiImageEntry struct {
	item    string
	counter int64
}

// parseFIImage reads the header numbers and the entries of a well-formed
// frequent-items image, in image order.
func parseFIImage(t *testing.T, b []byte) (numActive int, total, offset int64, entries []fiImageEntry) {
	t.Helper()
	if len(b) == 8 {
		return 0, 0, 0, nil
	}
	numActive = int(binary.LittleEndian.Uint32(b[8:]))
	total = int64(binary.LittleEndian.Uint64(b[16:]))
	offset = int64(binary.LittleEndian.Uint64(b[24:]))
	p := 32 + 8*numActive
	for i := range numActive {
		l := int(binary.LittleEndian.Uint32(b[p:]))
		entries = append(entries, fiImageEntry{
			item:    string(b[p+4 : p+4+l]),
			counter: int64(binary.LittleEndian.Uint64(b[32+8*i:])),
		})
		p += 4 + l
	}
	if p != len(b) {
		t.Fatalf("image parser: %d bytes used of %d", p, len(b))
	}
	return numActive, total, offset, entries
}

// entrySet turns entries into item → counter, failing on repeats.
func entrySet(t *testing.T, es []fiImageEntry) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	for _, e := range es {
		if _, dup := m[e.item]; dup {
			t.Fatalf("item %q repeated", e.item)
		}
		m[e.item] = e.counter
	}
	return m
}

// sketchSet returns every tracked item of s with its counter (lower bound).
func sketchSet(s *FrequentStrings) map[string]int64 {
	m := map[string]int64{}
	for _, it := range s.FrequentItemsThreshold(NoFalseNegatives, -1) {
		m[it.Item] = it.LowerBound
	}
	return m
}

func equalSets(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestGoldenFrequentStrings checks every row of expected_frequent_strings.csv
// (C++ and Java images): every column, the decoded entries against the image,
// and the re-encoded image (byte-identical for Java, same set for C++).
func TestGoldenFrequentStrings(t *testing.T) {
	rows := goldenRows(t, "expected_frequent_strings.csv")
	decoded := map[string]*FrequentStrings{} // by file name without language
	for _, row := range rows {
		file := row["file"]
		t.Run(file, func(t *testing.T) {
			img := row.image(t)
			if got, want := int64(len(img)), row.int(t, "bytes"); got != want {
				t.Errorf("bytes = %d, want %d", got, want)
			}
			s := new(FrequentStrings)
			if err := s.UnmarshalBinary(img); err != nil {
				t.Fatal(err)
			}
			check := func(col string, got int64) {
				t.Helper()
				if want := row.int(t, col); got != want {
					t.Errorf("%s = %d, want %d", col, got, want)
				}
			}
			nfp := s.FrequentItems(NoFalsePositives)
			nfn := s.FrequentItems(NoFalseNegatives)
			top := int64(0)
			if all := s.FrequentItemsThreshold(NoFalseNegatives, -1); len(all) > 0 {
				top = all[0].Estimate
			}
			check("lg_max_map_size", int64(s.LgMaxMapSize()))
			check("lg_cur_map_size", int64(s.LgCurMapSize()))
			check("num_active", int64(s.NumActive()))
			check("total_weight", s.StreamLength())
			check("maximum_error", s.MaximumError())
			check("num_NO_FALSE_POSITIVES", int64(len(nfp)))
			check("num_NO_FALSE_NEGATIVES", int64(len(nfn)))
			check("top_estimate", top)

			n, total, offset, entries := parseFIImage(t, img)
			if n != s.NumActive() || total != s.StreamLength() || offset != s.MaximumError() {
				t.Errorf("header (%d,%d,%d) != decoded (%d,%d,%d)", n, total, offset,
					s.NumActive(), s.StreamLength(), s.MaximumError())
			}
			want := entrySet(t, entries)
			if got := sketchSet(s); !equalSets(got, want) {
				t.Errorf("decoded entries %v, image has %v", got, want)
			}
			for item, c := range want {
				if s.LowerBound(item) != c || s.UpperBound(item) != c+offset || s.Estimate(item) != c+offset {
					t.Errorf("%q: bounds (%d,%d,%d), want (%d,%d,%d)", item,
						s.LowerBound(item), s.Estimate(item), s.UpperBound(item), c, c+offset, c+offset)
				}
			}

			out, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(file, "java/") {
				if !bytes.Equal(out, img) {
					t.Errorf("re-encoded Java image differs:\n got %x\nwant %x", out, img)
				}
			} else {
				if len(out) != len(img) || !bytes.Equal(out[:min(32, len(out))], img[:min(32, len(img))]) {
					t.Errorf("re-encoded C++ image: header or length differs:\n got %x\nwant %x", out, img)
				}
				_, _, _, got := parseFIImage(t, out)
				if !equalSets(entrySet(t, got), want) {
					t.Errorf("re-encoded C++ image holds other entries")
				}
			}
			key := strings.NewReplacer("_cpp.sk", "", "_java.sk", "").Replace(path.Base(file))
			if other, ok := decoded[key]; ok {
				if other.StreamLength() != s.StreamLength() || other.MaximumError() != s.MaximumError() ||
					other.LgCurMapSize() != s.LgCurMapSize() || !equalSets(sketchSet(other), sketchSet(s)) {
					t.Errorf("C++ and Java images of %s decode differently", key)
				}
			} else {
				decoded[key] = s
			}
		})
	}
}

var fiGoldenName = regexp.MustCompile(`^frequent_string_(n(\d+)|ascii|utf8)_java\.sk$`)

// buildFIRecipe replays the generator recipe of a Java reference image
// (UPSTREAM-README §2) and returns the sketch.
func buildFIRecipe(t *testing.T, name string) *FrequentStrings {
	t.Helper()
	m := fiGoldenName.FindStringSubmatch(name)
	if m == nil {
		t.Fatalf("no recipe for %s", name)
	}
	s, err := NewFrequentStrings(6)
	if err != nil {
		t.Fatal(err)
	}
	upd := func(item string, w int64) {
		if err := s.UpdateWeighted(item, w); err != nil {
			t.Fatal(err)
		}
	}
	switch m[1] {
	case "ascii":
		for i, c := range []string{"a", "b", "c", "d"} {
			upd(strings.Repeat(c, 29), int64(i+1))
		}
	case "utf8":
		for i, item := range []string{"абвгд", "еёжзи", "йклмн", "опрст", "уфхцч", "шщъыь", "эюя"} {
			upd(item, int64(i+1))
		}
	default:
		n, err := strconv.Atoi(m[2])
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= n; i++ {
			s.Update(strconv.Itoa(i))
		}
	}
	return s
}

// TestGoldenFrequentStringsRebuildJava rebuilds every java/frequent_string_*
// image from its generator recipe and compares the bytes.
func TestGoldenFrequentStringsRebuildJava(t *testing.T) {
	rows := goldenRows(t, "expected_frequent_strings.csv")
	seen := 0
	for _, row := range rows {
		file := row["file"]
		if !strings.HasPrefix(file, "java/") {
			continue
		}
		seen++
		t.Run(file, func(t *testing.T) {
			img := row.image(t)
			s := buildFIRecipe(t, path.Base(file))
			out, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, img) {
				t.Errorf("rebuilt image differs:\n got %x\nwant %x", out, img)
			}
		})
	}
	if seen == 0 {
		t.Fatal("no java/frequent_string rows")
	}
}
