package whylogs

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
	"github.com/kprofiler/kprofiler/schemas/whylogspb"
)

// Decode converts a v1 File into a profile with the default profiler.Config.
// See DecodeConfig.
func Decode(f *profilefile.File) (*profiler.DatasetProfile, error) {
	return DecodeConfig(f, profiler.Config{})
}

// DecodeConfig converts a v1 File into a profile built with cfg (cfg.Seed
// seeds the KLL coin flips of later updates and merges). The properties are
// read as whylogs' reader does (tags and metadata merged, metadata winning),
// except that a segmented file's segment tags and segp_* metadata become the
// profile's Segment (profiler.DatasetProfile.SetFileProperties). Every column
// becomes a profiler column built from its components.
//
// Errors name the column and metric path; a component without a value wraps
// profilefile.ErrCorrupt, a dataclass_param or msg component ErrUnsupported,
// an undecodable sketch profiler.ErrComponent. f is not modified.
func DecodeConfig(f *profilefile.File, cfg profiler.Config) (*profiler.DatasetProfile, error) {
	if f == nil {
		return nil, fmt.Errorf("whylogs: nil file: %w", profilefile.ErrCorrupt)
	}
	props := f.Properties()
	ds, err := millis(props.GetDatasetTimestamp(), "dataset_timestamp")
	if err != nil {
		return nil, err
	}
	cs, err := millis(props.GetCreationTimestamp(), "creation_timestamp")
	if err != nil {
		return nil, err
	}
	p, err := profiler.NewDatasetProfile(time.UnixMilli(ds), time.UnixMilli(cs), cfg)
	if err != nil {
		return nil, fmt.Errorf("whylogs: %w", err)
	}
	fp := profiler.FileProperties{
		DatasetTimestamp:  ds,
		CreationTimestamp: cs,
		Tags:              props.GetTags(),
		Metadata:          props.GetMetadata(),
	}
	if f.Segmented() {
		// whylogs writes one segment per file; like its reader we use the first.
		if segs := f.Segment.GetSegments(); len(segs) > 0 {
			for _, t := range segs[0].GetTags() {
				fp.SegmentTags = append(fp.SegmentTags, profiler.SegmentTag{Key: t.GetKey(), Value: t.GetValue()})
			}
		}
	}
	p.SetFileProperties(fp)
	for _, name := range f.ColumnNames() {
		comps, err := columnComponents(name, f.Columns[name])
		if err != nil {
			return nil, err
		}
		if err := p.SetColumnComponents(name, comps); err != nil {
			return nil, fmt.Errorf("whylogs: %w", err)
		}
	}
	return p, nil
}

func millis(v uint64, field string) (int64, error) {
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("whylogs: %s %d ms is out of range: %w", field, v, profilefile.ErrCorrupt)
	}
	return int64(v), nil
}

// columnComponents converts a column's component messages, sorted by path.
func columnComponents(name string, cm *whylogspb.ColumnMessage) ([]profiler.Component, error) {
	mc := cm.GetMetricComponents()
	paths := make([]string, 0, len(mc))
	for path := range mc {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	out := make([]profiler.Component, 0, len(paths))
	for _, path := range paths {
		c, err := component(path, mc[path])
		if err != nil {
			return nil, fmt.Errorf("whylogs: column %q, metric %q: %w", name, path, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func component(path string, m *whylogspb.MetricComponentMessage) (profiler.Component, error) {
	c := profiler.Component{Path: path, TypeID: m.GetTypeId()}
	switch v := m.GetValue().(type) {
	case *whylogspb.MetricComponentMessage_N:
		c.Kind, c.N = profiler.KindN, v.N
	case *whylogspb.MetricComponentMessage_D:
		c.Kind, c.D = profiler.KindD, v.D
	case *whylogspb.MetricComponentMessage_FrequentItems:
		c.Kind, c.Sketch = profiler.KindFrequentItems, slices.Clone(v.FrequentItems.GetSketch())
	case *whylogspb.MetricComponentMessage_Hll:
		c.Kind, c.Sketch = profiler.KindHLL, slices.Clone(v.Hll.GetSketch())
	case *whylogspb.MetricComponentMessage_Kll:
		c.Kind, c.Sketch = profiler.KindKLL, slices.Clone(v.Kll.GetSketch())
	case *whylogspb.MetricComponentMessage_Cpc:
		c.Kind, c.Sketch = profiler.KindCPC, slices.Clone(v.Cpc.GetSketch())
	case *whylogspb.MetricComponentMessage_SerializedBytes:
		c.Kind, c.Sketch = profiler.KindBytes, slices.Clone(v.SerializedBytes)
	case *whylogspb.MetricComponentMessage_DataclassParam:
		return c, fmt.Errorf("dataclass_param components (custom metrics) are not supported: %w", ErrUnsupported)
	case *whylogspb.MetricComponentMessage_Msg:
		return c, fmt.Errorf("msg components (custom metrics) are not supported: %w", ErrUnsupported)
	default:
		return c, fmt.Errorf("component has no value: %w", profilefile.ErrCorrupt)
	}
	return c, nil
}
