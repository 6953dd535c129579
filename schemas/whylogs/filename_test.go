package whylogs

import (
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

func TestFileName(t *testing.T) {
	p, _ := profiler.NewDatasetProfile(tData, time.Date(2024, 1, 1, 0, 0, 0, 123456789, time.UTC), profiler.Config{})
	if got, want := FileName(p), "profile_2024-01-01 00:00:00.123000+00:00.bin"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
	p2, _ := profiler.NewDatasetProfile(tData, time.Date(2024, 1, 1, 9, 8, 7, 0, time.FixedZone("X", 3600)), profiler.Config{})
	if got, want := FileName(p2), "profile_2024-01-01 08:08:07+00:00.bin"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
	seg, err := profiler.NewSegment("", []string{"col1", "location"}, "", []string{"segment4", "location1"})
	if err != nil {
		t.Fatal(err)
	}
	p2.SetSegment(seg)
	// The partition id of (col1, location) is the one in v1-segmented-two-columns-compound.bin.
	want := "profile_2024-01-01 08:08:07+00:00_89fe1d3e1311b0c80c78897765eeddd0d0d0c636b7d56b398066f16c553e26a3c3a7efff030d8bfcd69f669a5a2841464effa762953dd127811bfaff61c30da2_segment4_location1.bin"
	if got := FileName(p2); got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
}
