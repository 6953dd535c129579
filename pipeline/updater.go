package pipeline

import (
	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
)

// columnUpdater replays one buffered record into the columns of every
// profile it goes to (the full-dataset profile and its segment) with the
// typed Column methods. Columns are found by field position
// (DatasetProfile.ColumnAt: records of one stream list their fields in the
// same order, and the decoder interns the names), and a value going to
// several profiles is hashed once for all of them (profiler.Columns).
type columnUpdater struct {
	ps   []*profiler.DatasetProfile
	cols profiler.Columns // scratch: one field's column of each profile
}

// replay logs the buffered record r into u.ps, reading it with the Record
// accessors. A record going to a single profile (column segments with a
// derived full-dataset profile, or no segmentation: the common case) uses
// the Column methods, which inline; the Columns methods have the same
// effect on each of several profiles.
func (u *columnUpdater) replay(r *event.Record) {
	if len(u.ps) != 1 {
		u.replayColumns(r)
		return
	}
	p := u.ps[0]
	for i, n := 0, r.Len(); i < n; i++ {
		c := p.ColumnAt(i, r.ColAt(i))
		switch r.KindAt(i) {
		case event.NullValue:
			c.UpdateNull()
		case event.BoolValue:
			c.UpdateBool(r.BoolAt(i))
		case event.IntValue:
			c.UpdateInt64(r.IntAt(i))
		case event.FloatValue:
			c.UpdateFloat64(r.FloatAt(i))
		case event.StringValue:
			c.UpdateStringBytes(r.BytesAt(i))
		case event.ObjectValue:
			c.UpdateObject()
		}
	}
}

// replayColumns is replay for a record going to several profiles.
func (u *columnUpdater) replayColumns(r *event.Record) {
	for i, n := 0, r.Len(); i < n; i++ {
		cs := profiler.AppendColumnsAt(u.cols[:0], u.ps, i, r.ColAt(i))
		u.cols = cs
		switch r.KindAt(i) {
		case event.NullValue:
			cs.UpdateNull()
		case event.BoolValue:
			cs.UpdateBool(r.BoolAt(i))
		case event.IntValue:
			cs.UpdateInt64(r.IntAt(i))
		case event.FloatValue:
			cs.UpdateFloat64(r.FloatAt(i))
		case event.StringValue:
			cs.UpdateStringBytes(r.BytesAt(i))
		case event.ObjectValue:
			cs.UpdateObject()
		}
	}
}
