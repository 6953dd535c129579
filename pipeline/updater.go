package pipeline

import (
	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
)

// columnUpdater is the event.Visitor that replays one buffered record into
// the columns of every profile it goes to (the full-dataset profile and its
// segment) with the typed Column methods. Columns are found by field
// position (DatasetProfile.ColumnAt: records of one stream list their fields
// in the same order, and the decoder interns the names), and a value is
// hashed once for all profiles (profiler.Columns).
type columnUpdater struct {
	ps   []*profiler.DatasetProfile
	i    int              // position of the current field in the record
	cols profiler.Columns // the current field's column of each profile
}

// columns returns the column col (at position u.i) of every profile and
// moves to the next position.
func (u *columnUpdater) columns(col string) profiler.Columns {
	cs := profiler.AppendColumnsAt(u.cols[:0], u.ps, u.i, col)
	u.cols = cs
	u.i++
	return cs
}

// one returns the column col (at position u.i) when the record goes to a
// single profile (column segments with a derived full-dataset profile, or
// no segmentation), and moves to the next position; nil otherwise (the
// caller then uses columns, which does not move). The typed Column methods
// have the effect of the Columns ones on a single column.
func (u *columnUpdater) one(col string) *profiler.Column {
	if len(u.ps) != 1 {
		return nil
	}
	c := u.ps[0].ColumnAt(u.i, col)
	u.i++
	return c
}

func (u *columnUpdater) Null(col string) {
	if c := u.one(col); c != nil {
		c.UpdateNull()
		return
	}
	u.columns(col).UpdateNull()
}

func (u *columnUpdater) Bool(col string, v bool) {
	if c := u.one(col); c != nil {
		c.UpdateBool(v)
		return
	}
	u.columns(col).UpdateBool(v)
}

func (u *columnUpdater) Int(col string, v int64) {
	if c := u.one(col); c != nil {
		c.UpdateInt64(v)
		return
	}
	u.columns(col).UpdateInt64(v)
}

func (u *columnUpdater) Float(col string, v float64) {
	if c := u.one(col); c != nil {
		c.UpdateFloat64(v)
		return
	}
	u.columns(col).UpdateFloat64(v)
}

// String logs the record's bytes: the sketches copy what they keep, so a
// repeated value costs no allocation and a new one none of its own.
func (u *columnUpdater) String(col string, v []byte) {
	if c := u.one(col); c != nil {
		c.UpdateStringBytes(v)
		return
	}
	u.columns(col).UpdateStringBytes(v)
}

func (u *columnUpdater) Object(col string) {
	if c := u.one(col); c != nil {
		c.UpdateObject()
		return
	}
	u.columns(col).UpdateObject()
}

var _ event.Visitor = (*columnUpdater)(nil)

// replay logs the buffered record r into u.ps. A record going to a single
// profile (column segments with a derived full-dataset profile, or no
// segmentation: the common case) is walked directly, without the Visitor
// calls; otherwise Record.Replay drives the Visitor methods above. Both
// give each field its column by position, so the results are the same.
func (u *columnUpdater) replay(r *event.Record) {
	if len(u.ps) != 1 {
		u.i = 0
		r.Replay(u)
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
