package whylogs

import (
	"fmt"
	"strings"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// FileName returns the file name whylogs' writers give a profile
// (DatasetProfileView._get_default_filename and
// SegmentedDatasetProfileView._get_default_filename, ref-whylogs-format.md
// §1.8):
//
//	plain      profile_<creation timestamp>.bin
//	segmented  profile_<creation timestamp>_<partition id>_<segment values joined by "_">.bin
//
// where the timestamp is Python's str() of the UTC datetime, e.g.
// "2024-01-01 00:00:00.123000+00:00" (no fraction when the milliseconds are
// zero). The name contains spaces and colons, as whylogs' names do; callers
// that need portable names should build their own.
func FileName(p *profiler.DatasetProfile) string {
	var b strings.Builder
	b.WriteString("profile_")
	b.WriteString(pythonUTC(p.CreationTimestamp()))
	if seg := p.Segment(); !seg.IsZero() {
		b.WriteString("_" + seg.PartitionID + "_")
		for i, t := range seg.Tags {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteString(t.Value)
		}
	}
	b.WriteString(".bin")
	return b.String()
}

// pythonUTC formats t as Python's str(datetime) of an aware UTC datetime at
// millisecond precision.
func pythonUTC(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	s := t.Format("2006-01-02 15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s + "+00:00"
}
