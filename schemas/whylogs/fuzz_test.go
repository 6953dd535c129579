package whylogs

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/kprofiler/kprofiler/schemas/profilefile"
	"github.com/kprofiler/kprofiler/schemas/whylogsv0pb"
	"github.com/kprofiler/kprofiler/sketches"
)

// FuzzRead: Read never panics; whatever it accepts can be written, and the
// written file reads back. Seeds: the small golden profiles.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"v1-toydata.bin", "v1-parser-profile.bin", "v1-whylogs-example-2022-05.bin", "v1-segmented-category-whylogs-1.5.1.bin"} {
		b, err := os.ReadFile(filepath.Join(testdataDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x02, 0x0a, 0x00})
	// A small v0 profile with a floats histogram, an HLL and frequent items.
	kll, _ := sketches.NewKLLFloats(200)
	hll, _ := sketches.NewHLL(12, sketches.HLL4)
	fi, _ := sketches.NewFrequentStrings(5)
	for i := range 20 {
		kll.Update(float32(i) / 4)
		hll.UpdateInt64(int64(i))
		fi.Update(strconv.Itoa(i % 3))
	}
	kb, _ := kll.MarshalBinary()
	hb, _ := hll.MarshalBinary()
	fb, _ := fi.MarshalBinary()
	v0, err := profilefile.AppendV0(nil, &whylogsv0pb.DatasetProfileMessage{
		Properties: &whylogsv0pb.DatasetProperties{DataTimestamp: 1000, SessionTimestamp: 2000, Tags: map[string]string{"name": "f"}},
		Columns: map[string]*whylogsv0pb.ColumnMessage{"c": {
			Counters:           &whylogsv0pb.Counters{Count: 20},
			Schema:             &whylogsv0pb.SchemaMessage{TypeCounts: map[int32]int64{3: 20}},
			Numbers:            &whylogsv0pb.NumbersMessage{Histogram: kb, Longs: &whylogsv0pb.LongsMessage{Count: 20, Max: 19}},
			FrequentItems:      &whylogsv0pb.FrequentItemsSketchMessage{Sketch: fb},
			CardinalityTracker: &whylogsv0pb.HllSketchMessage{Sketch: hb, LgK: 12},
		}},
	})
	if err != nil {
		f.Fatal(err)
	}
	if _, format, err := Read(v0); err != nil || format != profilefile.FormatV0 {
		f.Fatalf("v0 seed: %v %v", format, err)
	}
	f.Add(v0)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := Read(data)
		if err != nil {
			return
		}
		b, err := MarshalV1(p)
		if err != nil {
			return // e.g. timestamps a v0 file allows but v1 cannot hold
		}
		if _, _, err := Read(b); err != nil {
			t.Fatalf("written profile does not read back: %v", err)
		}
	})
}
