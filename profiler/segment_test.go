package profiler_test

import (
	"encoding/json"
	"errors"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// Expected values from expected_v1_decoded.json (../shared/testdata/whylogs),
// decoded from the two segmented whylogs files.
const (
	categoryPartitionID = "8ff3ae39c46814563082fd6b3a9c0cfa922a8ef8dee5e685502485ed6482e4dcf7ecc3e4f7def5451c476c5b87485c1e0d9684c7ccf0f2cf3e2ba6106ec674d8"
	twoColPartitionID   = "89fe1d3e1311b0c80c78897765eeddd0d0d0c636b7d56b398066f16c553e26a3c3a7efff030d8bfcd69f669a5a2841464effa762953dd127811bfaff61c30da2"
)

func TestPartitionID(t *testing.T) {
	if got := profiler.PartitionID([]string{"category"}, ""); got != categoryPartitionID {
		t.Errorf("PartitionID(category) = %s\nwant %s", got, categoryPartitionID)
	}
	// Column order does not matter (whylogs sorts the names).
	for _, cols := range [][]string{{"col1", "location"}, {"location", "col1"}} {
		if got := profiler.PartitionID(cols, ""); got != twoColPartitionID {
			t.Errorf("PartitionID(%q) = %s\nwant %s", cols, got, twoColPartitionID)
		}
	}
	if profiler.PartitionID([]string{"category"}, "x > 1") == categoryPartitionID {
		t.Error("a filter must change the partition id")
	}
}

// TestSegmentedFileProperties rebuilds the properties of the two segmented
// whylogs files from their segment definitions and checks them against the
// decoded files.
func TestSegmentedFileProperties(t *testing.T) {
	cases := []struct {
		name     string
		seg      func() (profiler.Segment, error)
		ts       int64
		metadata map[string]string // the profile's own metadata
		want     profiler.FileProperties
	}{
		{
			name: "category",
			seg: func() (profiler.Segment, error) {
				return profiler.NewSegment("category", []string{"category"}, "", []string{"Fruits and Vegetables"})
			},
			ts: 1729185788416,
			metadata: map[string]string{"whylabs.traceId": "fd9c5b4e-05fd-464e-97b9-61b9b8a235b9",
				"whylogs.creationTimestamp": "1729185788716", "whylogs.version": "1.5.1"},
			want: profiler.FileProperties{
				DatasetTimestamp: 1729185788416, CreationTimestamp: 1729185788416,
				Tags: map[string]string{"whylogs.tag.category": "Fruits and Vegetables"},
				Metadata: map[string]string{"segp_col": "category", "segp_id": categoryPartitionID, "segp_name": "category",
					"whylabs.traceId": "fd9c5b4e-05fd-464e-97b9-61b9b8a235b9", "whylogs.creationTimestamp": "1729185788716",
					"whylogs.version": "1.5.1"},
				SegmentTags: []profiler.SegmentTag{{Key: "whylogs.tag.category", Value: "Fruits and Vegetables"}},
			},
		},
		{
			name: "two columns",
			seg: func() (profiler.Segment, error) {
				return profiler.NewSegment("", []string{"col1", "location"}, "", []string{"segment4", "location1"})
			},
			ts: 1696543495028,
			metadata: map[string]string{"whylabs.traceId": "9918a1f3-3fad-4c17-a42a-76fb1ec0227c",
				"whylogs.creationTimestamp": "1696543495073"},
			want: profiler.FileProperties{
				DatasetTimestamp: 1696543495028, CreationTimestamp: 1696543495028,
				Tags: map[string]string{"whylogs.tag.col1": "segment4", "whylogs.tag.location": "location1"},
				Metadata: map[string]string{"segp_cols": "(col1)(location)", "segp_id": twoColPartitionID,
					"segp_name": "col1,location", "whylabs.traceId": "9918a1f3-3fad-4c17-a42a-76fb1ec0227c",
					"whylogs.creationTimestamp": "1696543495073"},
				SegmentTags: []profiler.SegmentTag{{Key: "whylogs.tag.col1", Value: "segment4"},
					{Key: "whylogs.tag.location", Value: "location1"}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seg, err := tc.seg()
			if err != nil {
				t.Fatal(err)
			}
			ts := time.UnixMilli(tc.ts)
			p, err := profiler.NewDatasetProfile(ts, ts, profiler.Config{})
			if err != nil {
				t.Fatal(err)
			}
			p.SetSegment(seg)
			for k, v := range tc.metadata {
				p.SetMetadata(k, v)
			}
			got := p.FileProperties()
			checkProps(t, got, tc.want)
			// Reading the properties back gives the same segment and, written
			// again, the same properties.
			q := newProfile(t, profiler.Config{})
			q.SetFileProperties(tc.want)
			if !q.Segment().Equal(seg) {
				t.Errorf("segment read back = %+v\nwant %+v", q.Segment(), seg)
			}
			if !maps.Equal(q.Metadata(), tc.metadata) {
				t.Errorf("metadata read back = %v, want %v", q.Metadata(), tc.metadata)
			}
			checkProps(t, q.FileProperties(), tc.want)
		})
	}
}

func checkProps(t *testing.T, got, want profiler.FileProperties) {
	t.Helper()
	if got.DatasetTimestamp != want.DatasetTimestamp || got.CreationTimestamp != want.CreationTimestamp {
		t.Errorf("timestamps = %d/%d, want %d/%d", got.DatasetTimestamp, got.CreationTimestamp,
			want.DatasetTimestamp, want.CreationTimestamp)
	}
	if !maps.Equal(got.Tags, want.Tags) {
		t.Errorf("tags = %v\nwant %v", got.Tags, want.Tags)
	}
	if !maps.Equal(got.Metadata, want.Metadata) {
		t.Errorf("metadata = %v\nwant %v", got.Metadata, want.Metadata)
	}
	if !slices.Equal(got.SegmentTags, want.SegmentTags) {
		t.Errorf("segment tags = %v, want %v", got.SegmentTags, want.SegmentTags)
	}
}

// TestUnsegmentedFileProperties: tag keys go to Tags, the rest to Metadata;
// reading merges them (metadata wins), so v1-toydata.bin's unprefixed tags
// become metadata as in whylogs.
func TestUnsegmentedFileProperties(t *testing.T) {
	p := newProfile(t, profiler.Config{})
	p.SetTag("team", "risk")
	p.SetName("orders")
	got := p.FileProperties()
	checkProps(t, got, profiler.FileProperties{
		DatasetTimestamp: tDataset.UnixMilli(), CreationTimestamp: tCreation.UnixMilli(),
		Tags: map[string]string{"whylogs.tag.team": "risk"}, Metadata: map[string]string{"name": "orders"},
	})
	q := newProfile(t, profiler.Config{})
	q.SetFileProperties(profiler.FileProperties{
		DatasetTimestamp: 1655253220737, CreationTimestamp: 1655253220737,
		Tags:     map[string]string{"orgId": "org-demo", "datasetId": "dataset-demo", "k": "tag"},
		Metadata: map[string]string{"k": "meta"},
	})
	if want := map[string]string{"orgId": "org-demo", "datasetId": "dataset-demo", "k": "meta"}; !maps.Equal(q.Metadata(), want) {
		t.Errorf("metadata = %v, want %v", q.Metadata(), want)
	}
	if !q.DatasetTimestamp().Equal(time.UnixMilli(1655253220737)) || !q.Segment().IsZero() {
		t.Errorf("timestamp %v segment %+v", q.DatasetTimestamp(), q.Segment())
	}
}

func TestNewSegment(t *testing.T) {
	s, err := profiler.NewSegment("", []string{"b", "a"}, "f", []string{"1", "2"},
		profiler.SegmentTag{Key: "z", Value: "9"}, profiler.SegmentTag{Key: "y", Value: "8"})
	if err != nil {
		t.Fatal(err)
	}
	want := []profiler.SegmentTag{{"b", "1"}, {"a", "2"}, {"y", "8"}, {"z", "9"}}
	if !slices.Equal(s.Tags, want) || s.PartitionName != "b,a" || s.String() != "b=1,a=2,y=8,z=9" {
		t.Errorf("segment = %+v (%s)", s, s)
	}
	for name, f := range map[string]func() error{
		"no columns":  func() error { _, err := profiler.NewSegment("x", nil, "", nil); return err },
		"value count": func() error { _, err := profiler.NewSegment("x", []string{"a"}, "", nil); return err },
		"duplicate key": func() error {
			_, err := profiler.NewSegment("", []string{"a"}, "", []string{"1"}, profiler.SegmentTag{Key: "a"})
			return err
		},
	} {
		if err := f(); !errors.Is(err, profiler.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	bad := []profiler.Config{
		{KLLK: 4},
		{HLLLgK: 30},
		{FrequentItemsLgMaxK: 1},
		{MaxFrequentItemSize: -1},
		{Types: map[string]profiler.ColumnType{"x": profiler.TypeUnknown}},
	}
	for _, cfg := range bad {
		if _, err := profiler.NewDatasetProfile(tDataset, tCreation, cfg); !errors.Is(err, profiler.ErrInvalidArgument) {
			t.Errorf("%+v: err = %v, want ErrInvalidArgument", cfg, err)
		}
	}
	if _, err := profiler.NewDatasetProfile(time.Time{}, tCreation, profiler.Config{}); !errors.Is(err, profiler.ErrInvalidArgument) {
		t.Errorf("zero dataset timestamp: err = %v", err)
	}
	p := newProfile(t, profiler.Config{KLLK: 256, HLLLgK: 10, FrequentItemsLgMaxK: 5})
	p.Column("x").UpdateInt64(1)
	c, _ := p.Lookup("x")
	comps, _ := c.Components()
	for _, x := range comps {
		if x.Path == "distribution/kll" && (len(x.Sketch) < 6 || int(x.Sketch[4])|int(x.Sketch[5])<<8 != 256) {
			t.Errorf("kll k not 256: % x", x.Sketch[:8])
		}
		if x.Path == "cardinality/hll" && x.Sketch[3] != 10 {
			t.Errorf("hll lg_k = %d, want 10", x.Sketch[3])
		}
		if x.Path == "frequent_items/frequent_strings" && x.Sketch[3] != 5 {
			t.Errorf("fi lg_max = %d, want 5", x.Sketch[3])
		}
	}
}

// TestSummaryKeys: the complete, sorted key set of an integral column, and
// None quantiles for an empty distribution.
func TestSummaryKeys(t *testing.T) {
	p := newProfile(t, profiler.Config{})
	p.Column("x").UpdateInt64(1)
	got := keys(summary(t, p, "x"))
	want := []string{
		"cardinality/est", "cardinality/lower_1", "cardinality/upper_1",
		"counts/inf", "counts/n", "counts/nan", "counts/null", "counts/true",
		"distribution/max", "distribution/mean", "distribution/median", "distribution/min", "distribution/n",
		"distribution/q_01", "distribution/q_05", "distribution/q_10", "distribution/q_25", "distribution/q_75",
		"distribution/q_90", "distribution/q_95", "distribution/q_99", "distribution/stddev",
		"frequent_items/frequent_strings", "ints/max", "ints/min",
		"types/boolean", "types/fractional", "types/integral", "types/object", "types/string", "types/tensor",
	}
	if !slices.Equal(got, want) {
		t.Errorf("keys = %q\nwant %q", got, want)
	}
	p.Column("s").UpdateString("a")
	s := summary(t, p, "s")
	for _, k := range []string{"distribution/q_01", "distribution/median", "distribution/q_99"} {
		if v := get(t, s, k); v.Kind != profiler.SummaryNull || v.Any() != nil {
			t.Errorf("%s of an empty distribution = %v, want None", k, v)
		}
	}
	if sd := getFloat(t, s, "distribution/stddev"); sd != 0 {
		t.Errorf("stddev with n = 0: %v, want 0", sd)
	}
	// Summary of all columns is sorted by name.
	all := p.Summary()
	if len(all) != 2 || all[0].Column != "s" || all[1].Column != "x" {
		t.Errorf("profile summary columns: %v, %v", all[0].Column, all[1].Column)
	}
	// The frequent-items limit.
	q := newProfile(t, profiler.Config{})
	for _, v := range []string{"a", "a", "b", "c"} {
		q.Column("c").UpdateString(v)
	}
	c, _ := q.Lookup("c")
	items := get(t, c.SummaryWith(profiler.SummaryConfig{FrequentItemsLimit: 1}), "frequent_items/frequent_strings").Items
	if len(items) != 1 || items[0] != (profiler.FrequentItem{Value: "a", Est: 2, Upper: 2, Lower: 2}) {
		t.Errorf("limited items = %+v", items)
	}
}

func TestSeed(t *testing.T) {
	if profiler.Seed("ab", "c") == profiler.Seed("a", "bc") || profiler.Seed("x") == profiler.Seed("x", "") {
		t.Error("Seed must separate its parts")
	}
	if profiler.Seed("orders", "2024-01-01T00:00:00Z", "0") != profiler.Seed("orders", "2024-01-01T00:00:00Z", "0") {
		t.Error("Seed is not deterministic")
	}
	cols := []profiler.ColumnComponents{
		{Name: "a", Components: []profiler.Component{{Path: "counts/n"}, {Path: "types/string"}}},
		{Name: "b", Components: []profiler.Component{{Path: "counts/n"}, {Path: "cardinality/hll"}}},
	}
	if got := profiler.MetricPaths(cols); !slices.Equal(got, []string{"cardinality/hll", "counts/n", "types/string"}) {
		t.Errorf("MetricPaths = %q", got)
	}
}

// TestSegmentValue: whylogs builds segment keys with Python's str(); the
// float cases are CPython 3 repr() outputs.
func TestSegmentValue(t *testing.T) {
	one := 1
	var nilp *int
	cases := []struct {
		v    any
		want string
	}{
		{nil, "None"}, {nilp, "None"}, {true, "True"}, {false, "False"}, {"Fruits and Vegetables", "Fruits and Vegetables"},
		{42, "42"}, {int64(-7), "-7"}, {uint64(18446744073709551615), "18446744073709551615"}, {&one, "1"},
		{json.Number("12"), "12"}, {json.Number("2.50"), "2.5"},
		{0.0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1.0, "1.0"}, {2.5, "2.5"}, {0.1, "0.1"}, {1e16, "1e+16"},
		{1.5e16, "1.5e+16"}, {1e-5, "1e-05"}, {1e-4, "0.0001"}, {0.0001234, "0.0001234"},
		{123456789012345.6, "123456789012345.6"}, {1234567890123456.7, "1234567890123456.8"}, {-3.0, "-3.0"},
		{1e300, "1e+300"}, {5e-324, "5e-324"}, {math.NaN(), "nan"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{100.0, "100.0"}, {1e15, "1000000000000000.0"}, {9999999999999998.0, "9999999999999998.0"}, {0.3, "0.3"},
		{float32(0.5), "0.5"},
	}
	for _, tc := range cases {
		if got := profiler.SegmentValue(tc.v); got != tc.want {
			t.Errorf("SegmentValue(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
