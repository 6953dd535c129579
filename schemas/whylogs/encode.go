package whylogs

import (
	"errors"
	"fmt"
	"maps"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
	"github.com/kprofiler/kprofiler/schemas/whylogspb"
)

// Sentinel errors of this package. Functions wrap them with context (which
// column and metric); test for them with errors.Is.
var (
	// ErrInvalidProfile reports a profile that cannot be written as a whylogs
	// file (a timestamp before 1970: the DatasetProperties fields are uint64).
	ErrInvalidProfile = errors.New("whylogs: profile cannot be written")
	// ErrUnsupported reports a component the profiler cannot represent
	// (dataclass_param or msg values of custom whylogs metrics).
	ErrUnsupported = errors.New("whylogs: unsupported profile content")
)

// Encode returns the v1 File whylogs writes for p (see the package
// documentation for the layout of plain and segmented profiles). The File
// shares nothing with p. Columns that never saw a value are left out, as
// whylogs only creates columns for data it has seen.
func Encode(p *profiler.DatasetProfile) (*profilefile.File, error) {
	fp := p.FileProperties()
	if fp.DatasetTimestamp < 0 || fp.CreationTimestamp < 0 {
		return nil, fmt.Errorf("whylogs: dataset timestamp %d ms, creation timestamp %d ms: timestamps before 1970 cannot be written: %w",
			fp.DatasetTimestamp, fp.CreationTimestamp, ErrInvalidProfile)
	}
	cols, err := p.Components()
	if err != nil {
		return nil, fmt.Errorf("whylogs: encoding profile: %w", err)
	}
	props := &whylogspb.DatasetProperties{
		CreationTimestamp: uint64(fp.CreationTimestamp),
		DatasetTimestamp:  uint64(fp.DatasetTimestamp),
	}
	if len(fp.Tags) > 0 {
		props.Tags = maps.Clone(fp.Tags)
	}
	if len(fp.Metadata) > 0 {
		props.Metadata = maps.Clone(fp.Metadata)
	}
	f := &profilefile.File{
		Header:  &whylogspb.DatasetProfileHeader{Properties: props},
		Columns: make(map[string]*whylogspb.ColumnMessage, len(cols)),
	}
	if fp.SegmentTags != nil {
		tags := make([]*whylogspb.SegmentTag, len(fp.SegmentTags))
		for i, t := range fp.SegmentTags {
			tags[i] = &whylogspb.SegmentTag{Key: t.Key, Value: t.Value}
		}
		f.Segment = profilefile.NewSegmentHeader(tags...)
	}
	for _, cc := range cols {
		cm := &whylogspb.ColumnMessage{MetricComponents: make(map[string]*whylogspb.MetricComponentMessage, len(cc.Components))}
		for _, c := range cc.Components {
			m, err := componentMessage(c)
			if err != nil {
				return nil, fmt.Errorf("whylogs: column %q, metric %q: %w", cc.Name, c.Path, err)
			}
			cm.MetricComponents[c.Path] = m
		}
		f.Columns[cc.Name] = cm
	}
	return f, nil
}

// AppendV1 appends the v1 file bytes of p to dst (Encode, then
// profilefile.File.AppendBinary). The same profile always gives the same
// bytes. On error dst is returned unchanged.
func AppendV1(dst []byte, p *profiler.DatasetProfile) ([]byte, error) {
	return appendV1(dst, p) // fastencode.go: the bytes of appendV1Slow
}

// appendV1Slow is AppendV1 through Encode and File.AppendBinary.
func appendV1Slow(dst []byte, p *profiler.DatasetProfile) ([]byte, error) {
	f, err := Encode(p)
	if err != nil {
		return dst, err
	}
	out, err := f.AppendBinary(dst)
	if err != nil {
		return dst, fmt.Errorf("whylogs: writing profile: %w", err)
	}
	return out, nil
}

// MarshalV1 returns the v1 file bytes of p. See AppendV1.
func MarshalV1(p *profiler.DatasetProfile) ([]byte, error) { return AppendV1(nil, p) }

func componentMessage(c profiler.Component) (*whylogspb.MetricComponentMessage, error) {
	m := &whylogspb.MetricComponentMessage{TypeId: c.TypeID}
	sk := c.Sketch
	if sk == nil {
		sk = []byte{}
	}
	switch c.Kind {
	case profiler.KindN:
		m.Value = &whylogspb.MetricComponentMessage_N{N: c.N}
	case profiler.KindD:
		m.Value = &whylogspb.MetricComponentMessage_D{D: c.D}
	case profiler.KindFrequentItems:
		m.Value = &whylogspb.MetricComponentMessage_FrequentItems{FrequentItems: &whylogspb.FrequentItemsSketchMessage{Sketch: sk}}
	case profiler.KindHLL:
		m.Value = &whylogspb.MetricComponentMessage_Hll{Hll: &whylogspb.HllSketchMessage{Sketch: sk}}
	case profiler.KindKLL:
		m.Value = &whylogspb.MetricComponentMessage_Kll{Kll: &whylogspb.KllSketchMessage{Sketch: sk}}
	case profiler.KindCPC:
		m.Value = &whylogspb.MetricComponentMessage_Cpc{Cpc: &whylogspb.CpcSketchMessage{Sketch: sk}}
	case profiler.KindBytes:
		m.Value = &whylogspb.MetricComponentMessage_SerializedBytes{SerializedBytes: sk}
	default:
		return nil, fmt.Errorf("component of kind %v has no value: %w", c.Kind, ErrInvalidProfile)
	}
	return m, nil
}
