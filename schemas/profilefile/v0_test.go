package profilefile

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kprofiler/kprofiler/schemas/whylogsv0pb"
)

// checkV0Columns checks the column names and the counters: every column saw
// the same number of rows, and its schema type counts (which include the
// NULL type) add up to counters.count.
func checkV0Columns(t *testing.T, m *whylogsv0pb.DatasetProfileMessage, want []string) int64 {
	t.Helper()
	var names []string
	for name := range m.GetColumns() {
		names = append(names, name)
	}
	sort.Strings(names)
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(names, want) {
		t.Fatalf("columns %v, want %v", names, want)
	}
	var rows int64 = -1
	for name, c := range m.GetColumns() {
		if c.GetName() != name {
			t.Errorf("column %q has name %q", name, c.GetName())
		}
		count := c.GetCounters().GetCount()
		if rows == -1 {
			rows = count
		}
		if count != rows || count <= 0 {
			t.Errorf("column %q: count %d, other columns %d", name, count, rows)
		}
		var sum int64
		for _, n := range c.GetSchema().GetTypeCounts() {
			sum += n
		}
		if sum != count {
			t.Errorf("column %q: type counts %v sum to %d, count %d", name, c.GetSchema().GetTypeCounts(), sum, count)
		}
	}
	return rows
}

func TestGoldenV0Cars(t *testing.T) {
	m, err := ParseV0(readTestdata(t, "v0-profile-cars-2022-02.bin"))
	if err != nil {
		t.Fatal(err)
	}
	p := m.GetProperties()
	if p.GetTags()["name"] != "profile_2022_02" || p.GetSessionId() != "31227a1a-0977-4420-ac54-e54ecf790007" ||
		p.GetSessionTimestamp() != 1649263096574 || p.GetDataTimestamp() != 1649257655165 {
		t.Errorf("properties %v", p)
	}
	checkV0Columns(t, m, strings.Fields(`year city_id engine_power has_vin is_imported_car mileage
		has_registration fuel_type make nr_seats model door_count no_accident engine_capacity body_type
		damaged transmission price gearbox new_used created_at_first color`))
	// String columns carry a string tracker counting the STRING values.
	for _, name := range []string{"make", "fuel_type", "color"} {
		c := m.GetColumns()[name]
		if c.GetStrings().GetCount() != c.GetSchema().GetTypeCounts()[int32(whylogsv0pb.InferredType_STRING)] {
			t.Errorf("%s: strings.count %d, STRING type count %d", name, c.GetStrings().GetCount(), c.GetSchema().GetTypeCounts()[5])
		}
	}
	// Sketch images: HLL (family 7) and, for numeric columns, a KLL floats
	// histogram (family 15, k = 256); FI string items have lg_max_k = -1.
	price := m.GetColumns()["price"]
	if h := price.GetCardinalityTracker().GetSketch(); len(h) < 8 || h[2] != 7 {
		t.Errorf("price HLL image %x", h[:min(len(h), 8)])
	}
	if h := price.GetNumbers().GetHistogram(); len(h) < 8 || h[2] != 15 || h[4] != 0 || h[5] != 1 {
		t.Errorf("price KLL image %x", h[:min(len(h), 8)])
	}
	if fi := m.GetColumns()["make"].GetFrequentItems(); len(fi.GetSketch()) < 8 || fi.GetSketch()[2] != 10 || fi.GetLgMaxK() != -1 {
		t.Errorf("make FI %v", fi)
	}
}

func TestGoldenV0Java(t *testing.T) {
	m, err := ParseV0(readTestdata(t, "v0-java-classification.bin"))
	if err != nil {
		t.Fatal(err)
	}
	p := m.GetProperties()
	if p.GetTags()["Name"] != "my-model-name" || p.GetTags()["time"] != "2020-01-30T00:00:00" {
		t.Errorf("tags %v", p.GetTags())
	}
	want := []string{"scores", "targets", "predictions"}
	for i := range 20 {
		want = append(want, fmt.Sprintf("feature%d", i))
	}
	checkV0Columns(t, m, want)
	sm := m.GetModeProfile().GetMetrics().GetScoreMatrix()
	if !slices.Equal(sm.GetLabels(), []string{"0", "1"}) {
		t.Errorf("labels %v", sm.GetLabels())
	}
	if len(sm.GetScores()) != len(sm.GetLabels())*len(sm.GetLabels()) {
		t.Errorf("%d scores for %d labels", len(sm.GetScores()), len(sm.GetLabels()))
	}
	if !slices.Equal(m.GetModeProfile().GetOutputFields(), []string{"predictions"}) {
		t.Errorf("output fields %v", m.GetModeProfile().GetOutputFields())
	}
	// Integral columns track longs.
	if l := m.GetColumns()["targets"].GetNumbers().GetLongs(); l.GetCount() != 28 || l.GetMax() != 1 {
		t.Errorf("targets longs %v", l)
	}
}

func TestParseV0Errors(t *testing.T) {
	good := readTestdata(t, "v0-java-classification.bin")
	cases := []struct {
		name, message string
		data          []byte
		want          error
	}{
		{"empty", "offset 0", nil, ErrNotProfile},
		{"v1 file", "WHY1", readTestdata(t, "v1-toydata.bin"), ErrNotProfile},
		{"truncated", "only 60978 remain", good[:len(good)-1], ErrTruncated},
		{"prefix only", "only 0 remain", good[:3], ErrTruncated},
		{"cut prefix", "cut short", good[:2], ErrTruncated},
		{"trailing", "1 trailing bytes", append(append([]byte{}, good...), 0), ErrCorrupt},
		{"bad varint", "invalid varint", []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), ErrCorrupt},
		{"corrupt message", "DatasetProfileMessage at offset 1", []byte{2, 0x0a, 0x05}, ErrCorrupt},
		{"wrong wire type", "DatasetProfileMessage at offset 1", []byte{2, 0x08, 0x80}, ErrCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseV0(tc.data)
			if err == nil || m != nil {
				t.Fatalf("got %v, %v", m, err)
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %q, want %v mentioning %q", err, tc.want, tc.message)
			}
		})
	}
	// Every prefix fails cleanly.
	for n := range len(good) {
		if _, err := ParseV0(good[:n]); err == nil || !(errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotProfile)) {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
	if _, err := ReadV0(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
}
