package whylogs

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
	"github.com/kprofiler/kprofiler/schemas/whylogsv0pb"
	"github.com/kprofiler/kprofiler/sketches"
)

// Sketch parameters whylogs' v0→v1 converter uses for the empty sketches it
// substitutes (migration/converters.py _DEFAULT_V0_*).
const (
	defaultV0KLLK   = 128
	defaultV0HLLLgK = 12
)

// v0 InferredType.Type enum values (the keys of SchemaMessage.typeCounts).
const (
	v0TypeUnknown    = 0
	v0TypeFractional = 2
	v0TypeIntegral   = 3
	v0TypeBoolean    = 4
	v0TypeString     = 5
)

// DecodeV0 converts a whylogs v0 DatasetProfileMessage into a v1 profile the
// way whylogs' v0_to_v1_view does (see the package documentation for the
// mapping), with the default profiler.Config. m is not modified.
func DecodeV0(m *whylogsv0pb.DatasetProfileMessage) (*profiler.DatasetProfile, error) {
	return DecodeV0Config(m, profiler.Config{})
}

// DecodeV0Config is DecodeV0 with a profiler.Config.
func DecodeV0Config(m *whylogsv0pb.DatasetProfileMessage, cfg profiler.Config) (*profiler.DatasetProfile, error) {
	if m == nil {
		return nil, fmt.Errorf("whylogs: nil v0 message: %w", profilefile.ErrCorrupt)
	}
	props := m.GetProperties()
	ds, cs := props.GetDataTimestamp(), props.GetSessionTimestamp()
	p, err := profiler.NewDatasetProfile(time.UnixMilli(ds), time.UnixMilli(cs), cfg)
	if err != nil {
		return nil, fmt.Errorf("whylogs: %w", err)
	}
	md := maps.Clone(props.GetMetadata())
	if md == nil {
		md = map[string]string{}
	}
	maps.Copy(md, props.GetTags())
	p.SetFileProperties(profiler.FileProperties{DatasetTimestamp: ds, CreationTimestamp: cs, Metadata: md})
	cols := m.GetColumns()
	names := make([]string, 0, len(cols))
	for name := range cols {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		comps, err := v0Components(cols[name])
		if err != nil {
			return nil, fmt.Errorf("whylogs: v0 column %q, %w", name, err)
		}
		if err := p.SetColumnComponents(name, comps); err != nil {
			return nil, fmt.Errorf("whylogs: v0 column %q: %w", name, err)
		}
	}
	return p, nil
}

func v0Components(c *whylogsv0pb.ColumnMessage) ([]profiler.Component, error) {
	n := func(path string, v int64) profiler.Component {
		return profiler.Component{Path: path, Kind: profiler.KindN, N: v}
	}
	tc := c.GetSchema().GetTypeCounts()
	nums := c.GetNumbers()
	kll, err := v0KLL(nums.GetHistogram())
	if err != nil {
		return nil, fmt.Errorf("metric %q (numbers.histogram): %w", "distribution/kll", err)
	}
	hll := c.GetCardinalityTracker().GetSketch()
	if len(hll) == 0 {
		h, err := sketches.NewHLL(defaultV0HLLLgK, sketches.HLL4)
		if err != nil {
			return nil, err
		}
		if hll, err = h.MarshalBinary(); err != nil {
			return nil, err
		}
	} else {
		hll = slices.Clone(hll)
	}
	comps := []profiler.Component{
		n("counts/n", c.GetCounters().GetCount()),
		n("counts/null", c.GetCounters().GetNullCount().GetValue()),
		n("counts/nan", 0),
		n("counts/inf", 0),
		n("types/integral", tc[v0TypeIntegral]),
		n("types/fractional", tc[v0TypeFractional]),
		n("types/boolean", tc[v0TypeBoolean]),
		n("types/string", tc[v0TypeString]),
		n("types/object", tc[v0TypeUnknown]),
		n("types/tensor", 0),
		{Path: "distribution/kll", Kind: profiler.KindKLL, Sketch: kll},
		{Path: "distribution/mean", Kind: profiler.KindD, D: nums.GetVariance().GetMean()},
		{Path: "distribution/m2", Kind: profiler.KindD, D: nums.GetVariance().GetSum()},
		{Path: "ints/max", TypeID: profiler.TypeIDMax, Kind: profiler.KindN, N: nums.GetLongs().GetMax()},
		{Path: "ints/min", TypeID: profiler.TypeIDMin, Kind: profiler.KindN, N: nums.GetLongs().GetMin()},
		{Path: "cardinality/hll", Kind: profiler.KindHLL, Sketch: hll},
	}
	if fi := c.GetFrequentItems().GetSketch(); len(fi) > 0 {
		comps = append(comps, profiler.Component{Path: "frequent_items/frequent_strings", Kind: profiler.KindFrequentItems, Sketch: slices.Clone(fi)})
	}
	slices.SortFunc(comps, func(a, b profiler.Component) int { return strings.Compare(a.Path, b.Path) })
	return comps, nil
}

// v0KLL converts a v0 histogram (a KLL floats image; whylogs tries floats
// first and falls back to doubles) to a KLL doubles image in the whylogs fork
// layout. An absent histogram gives an empty sketch with k = 128.
func v0KLL(b []byte) ([]byte, error) {
	if len(b) == 0 {
		d, err := sketches.NewKLLDoubles(defaultV0KLLK)
		if err != nil {
			return nil, err
		}
		return d.AppendWhylogsBinary(nil)
	}
	fl, err := sketches.NewKLLFloats(sketches.DefaultKLLK)
	if err != nil {
		return nil, err
	}
	src := b
	if ferr := fl.UnmarshalBinary(b); ferr == nil {
		if src, err = widenKLLFloats(b); err != nil {
			return nil, err
		}
	}
	d, err := sketches.NewKLLDoubles(sketches.DefaultKLLK)
	if err != nil {
		return nil, err
	}
	if err := d.UnmarshalBinary(src); err != nil {
		return nil, fmt.Errorf("neither a KLL floats nor a KLL doubles sketch: %w", err)
	}
	return d.AppendWhylogsBinary(nil)
}

// widenKLLFloats rewrites a valid compact KLL floats image (already checked
// by KLLFloats.UnmarshalBinary) as the KLL doubles image with the same
// header, levels and items, each float32 item widened to float64: what
// kll_floats_sketch.float_to_doubles produces. Layouts (ref-datasketches
// §2.9): preamble 2 (empty: no items; single: one item at offset 8) and
// preamble 5 (items after the 20-byte preamble and numLevels uint32 levels).
func widenKLLFloats(b []byte) ([]byte, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("KLL floats image of %d bytes: %w", len(b), profilefile.ErrCorrupt)
	}
	var start int
	switch b[0] {
	case 2:
		start = 8
	case 5:
		if len(b) < 20 {
			return nil, fmt.Errorf("KLL floats image of %d bytes: %w", len(b), profilefile.ErrCorrupt)
		}
		start = 20 + 4*int(b[18])
	default:
		return nil, fmt.Errorf("KLL floats image with preamble %d: %w", b[0], profilefile.ErrCorrupt)
	}
	if start > len(b) || (len(b)-start)%4 != 0 {
		return nil, fmt.Errorf("KLL floats image of %d bytes with items from offset %d: %w", len(b), start, profilefile.ErrCorrupt)
	}
	out := make([]byte, start, start+2*(len(b)-start))
	copy(out, b[:start])
	for i := start; i < len(b); i += 4 {
		f := math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(float64(f)))
	}
	return out, nil
}
