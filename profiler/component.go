package profiler

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kprofiler/kprofiler/sketches"
)

// ComponentKind says which value of a Component is set. It corresponds to the
// populated oneof field of whylogs' MetricComponentMessage.
type ComponentKind uint8

// Component kinds. The numbers in parentheses are the MetricComponentMessage
// field numbers.
const (
	KindN             ComponentKind = iota + 1 // int64 N (field 2)
	KindD                                      // float64 D (field 3)
	KindFrequentItems                          // frequent-strings sketch image in Sketch (field 4)
	KindHLL                                    // HLL sketch image in Sketch (field 5)
	KindKLL                                    // KLL doubles image in Sketch (field 6)
	KindCPC                                    // CPC sketch image in Sketch (field 7); kept verbatim, never merged
	KindBytes                                  // serialized_bytes in Sketch (field 10); kept verbatim, never merged
)

// String returns the name of the oneof field.
func (k ComponentKind) String() string {
	switch k {
	case KindN:
		return "n"
	case KindD:
		return "d"
	case KindFrequentItems:
		return "frequent_items"
	case KindHLL:
		return "hll"
	case KindKLL:
		return "kll"
	case KindCPC:
		return "cpc"
	case KindBytes:
		return "serialized_bytes"
	}
	return fmt.Sprintf("ComponentKind(%d)", uint8(k))
}

// whylogs component type ids (MetricComponentMessage.type_id). 0 is written as
// absent.
const (
	TypeIDNone uint32 = 0
	TypeIDMin  uint32 = 1 // MinIntegralComponent: merged with min
	TypeIDMax  uint32 = 2 // MaxIntegralComponent: merged with max
)

// Component is one metric component of a column, the neutral form handed to
// and taken from the file codec: whylogs' MetricComponentMessage under its full
// path "<namespace>/<component>" (for example "counts/n", "ints/max",
// "distribution/kll"; compound metrics add a prefix such as
// "image/Brightness.mean:distribution/kll").
//
// Exactly one value is meaningful, chosen by Kind: N, D, or Sketch (the sketch
// image: KLL in the whylogs fork layout, HLL compact, frequent strings).
type Component struct {
	Path   string
	TypeID uint32
	Kind   ComponentKind
	N      int64
	D      float64
	Sketch []byte
}

// ColumnComponents is the component list of one column, sorted by Path.
type ColumnComponents struct {
	Name       string
	Components []Component
}

// Lookup returns the component with the given path.
func (cc ColumnComponents) Lookup(path string) (Component, bool) {
	i, ok := slices.BinarySearchFunc(cc.Components, path, func(c Component, p string) int { return strings.Compare(c.Path, p) })
	if !ok {
		return Component{}, false
	}
	return cc.Components[i], true
}

// compSpec describes one standard component.
type compSpec struct {
	metric uint8
	kind   ComponentKind
	typeID uint32
}

var standardComponents = map[string]compSpec{
	"counts/n":                        {hasCounts, KindN, 0},
	"counts/null":                     {hasCounts, KindN, 0},
	"counts/nan":                      {hasCounts, KindN, 0},
	"counts/inf":                      {hasCounts, KindN, 0},
	"counts/true":                     {hasCounts, KindN, 0},
	"types/integral":                  {hasTypes, KindN, 0},
	"types/fractional":                {hasTypes, KindN, 0},
	"types/boolean":                   {hasTypes, KindN, 0},
	"types/string":                    {hasTypes, KindN, 0},
	"types/object":                    {hasTypes, KindN, 0},
	"types/tensor":                    {hasTypes, KindN, 0},
	"distribution/kll":                {hasDist, KindKLL, 0},
	"distribution/mean":               {hasDist, KindD, 0},
	"distribution/m2":                 {hasDist, KindD, 0},
	"ints/max":                        {hasInts, KindN, TypeIDMax},
	"ints/min":                        {hasInts, KindN, TypeIDMin},
	"cardinality/hll":                 {hasCard, KindHLL, 0},
	"frequent_items/frequent_strings": {hasFI, KindFrequentItems, 0},
}

// splitPath splits a component path into the compound prefix (up to and
// including the last ':', or "") and the standard "<namespace>/<component>"
// part.
func splitPath(path string) (prefix, local string) {
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		return path[:i+1], path[i+1:]
	}
	return "", path
}

// Components returns the column's components, sorted by path, in the form
// whylogs writes them: every component of every metric the column has
// (including counts/nan|inf|true and types/tensor, which newer whylogs always
// writes), sketches serialised (KLL in the whylogs fork layout).
func (c *Column) Components() ([]Component, error) {
	// 19 components for a full standard metric set: one allocation.
	out := make([]Component, 0, 19*(1+len(c.subs))+len(c.extra))
	var err error
	if len(c.subs) == 0 && len(c.extra) == 0 {
		// Written in path order: nothing to sort.
		if out, _, err = c.m.appendSortedStandard(out, nil); err != nil {
			return nil, fmt.Errorf("profiler: column %q: %w", c.name, err)
		}
		return out, nil
	}
	if out, err = c.m.appendComponents(out, ""); err != nil {
		return nil, fmt.Errorf("profiler: column %q: %w", c.name, err)
	}
	for i := range c.subs {
		if out, err = c.subs[i].m.appendComponents(out, c.subs[i].prefix); err != nil {
			return nil, fmt.Errorf("profiler: column %q: %w", c.name, err)
		}
	}
	for _, e := range c.extra {
		e.Sketch = slices.Clone(e.Sketch)
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Component) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (m *metricSet) appendComponents(dst []Component, p string) ([]Component, error) {
	n := func(path string, v int64) { dst = append(dst, Component{Path: p + path, Kind: KindN, N: v}) }
	if m.has&hasCounts != 0 {
		n("counts/n", m.counts.n)
		n("counts/null", m.counts.null)
		n("counts/nan", m.counts.nan)
		n("counts/inf", m.counts.inf)
		n("counts/true", m.counts.true_)
	}
	if m.has&hasTypes != 0 {
		n("types/integral", m.types.integral)
		n("types/fractional", m.types.fractional)
		n("types/boolean", m.types.boolean)
		n("types/string", m.types.string_)
		n("types/object", m.types.object)
		n("types/tensor", m.types.tensor)
	}
	if m.has&hasDist != 0 {
		b, err := m.dist.kll.AppendWhylogsBinary(nil)
		if err != nil {
			return nil, fmt.Errorf("serialising %sdistribution/kll: %w", p, err)
		}
		dst = append(dst,
			Component{Path: p + "distribution/kll", Kind: KindKLL, Sketch: b},
			Component{Path: p + "distribution/mean", Kind: KindD, D: m.dist.mean},
			Component{Path: p + "distribution/m2", Kind: KindD, D: m.dist.m2})
	}
	if m.has&hasInts != 0 {
		dst = append(dst,
			Component{Path: p + "ints/max", TypeID: TypeIDMax, Kind: KindN, N: m.ints.max},
			Component{Path: p + "ints/min", TypeID: TypeIDMin, Kind: KindN, N: m.ints.min})
	}
	if m.has&hasCard != 0 {
		b, err := m.card.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("serialising %scardinality/hll: %w", p, err)
		}
		dst = append(dst, Component{Path: p + "cardinality/hll", Kind: KindHLL, Sketch: b})
	}
	if m.has&hasFI != 0 {
		b, err := m.fi.fs.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("serialising %sfrequent_items/frequent_strings: %w", p, err)
		}
		dst = append(dst, Component{Path: p + "frequent_items/frequent_strings", Kind: KindFrequentItems, Sketch: b})
	}
	return dst, nil
}

// columnFromComponents builds a column from its components (the reading
// direction). Standard components fill the standard metrics; a metric missing
// some of its components gets their empty values. Paths with a compound prefix
// become sub-metrics; unknown paths are kept verbatim. The column type is
// inferred from the metric set (see inferType).
func columnFromComponents(name string, comps []Component, s *settings) (*Column, error) {
	c := &Column{name: name, set: s}
	sets := map[string]*metricSet{}
	type decoded struct {
		set  *metricSet
		spec compSpec
		comp *Component
	}
	var pending []decoded
	seen := map[string]bool{}
	for i := range comps {
		comp := &comps[i]
		if seen[comp.Path] {
			return nil, fmt.Errorf("profiler: column %q: duplicate component %q: %w", name, comp.Path, ErrComponent)
		}
		seen[comp.Path] = true
		prefix, local := splitPath(comp.Path)
		spec, ok := standardComponents[local]
		if !ok {
			if comp.Kind < KindN || comp.Kind > KindBytes {
				return nil, fmt.Errorf("profiler: column %q: component %q has no value: %w", name, comp.Path, ErrComponent)
			}
			e := *comp
			e.Sketch = slices.Clone(comp.Sketch)
			c.extra = append(c.extra, e)
			continue
		}
		if comp.Kind != spec.kind {
			return nil, fmt.Errorf("profiler: column %q: component %q holds %v, want %v: %w", name, comp.Path, comp.Kind, spec.kind, ErrComponent)
		}
		ms := sets[prefix]
		if ms == nil {
			ms = &metricSet{seed: columnSeed(s.seed, name, prefix)}
			sets[prefix] = ms
		}
		ms.has |= spec.metric
		pending = append(pending, decoded{ms, spec, comp})
	}
	// Create the empty metrics first, then fill them in.
	for _, ms := range sets {
		fresh := newMetricSet(ms.has, s, ms.seed)
		*ms = fresh
	}
	for _, d := range pending {
		if err := d.set.setComponent(d.comp, s); err != nil {
			return nil, fmt.Errorf("profiler: column %q: component %q: %w: %w", name, d.comp.Path, ErrComponent, err)
		}
	}
	slices.SortFunc(c.extra, func(a, b Component) int { return strings.Compare(a.Path, b.Path) })
	if ms := sets[""]; ms != nil {
		c.m = *ms
		c.typ = inferType(ms.has)
	}
	for p, ms := range sets {
		if p != "" {
			c.subs = append(c.subs, subMetrics{prefix: p, m: *ms})
		}
	}
	slices.SortFunc(c.subs, func(a, b subMetrics) int { return cmp.Compare(a.prefix, b.prefix) })
	return c, nil
}

// inferType maps a metric set read from a file back to a column type, so that
// later updates route as whylogs would have for that set.
func inferType(has uint8) ColumnType {
	switch {
	case has&hasInts != 0:
		return TypeIntegral
	case has&hasFI != 0:
		return TypeString
	case has&(hasDist|hasCard) != 0:
		return TypeFractional
	case has != 0:
		return TypeAny
	}
	return TypeUnknown
}

func (m *metricSet) setComponent(comp *Component, s *settings) error {
	_, local := splitPath(comp.Path)
	switch local {
	case "counts/n":
		m.counts.n = comp.N
	case "counts/null":
		m.counts.null = comp.N
	case "counts/nan":
		m.counts.nan = comp.N
	case "counts/inf":
		m.counts.inf = comp.N
	case "counts/true":
		m.counts.true_ = comp.N
	case "types/integral":
		m.types.integral = comp.N
	case "types/fractional":
		m.types.fractional = comp.N
	case "types/boolean":
		m.types.boolean = comp.N
	case "types/string":
		m.types.string_ = comp.N
	case "types/object":
		m.types.object = comp.N
	case "types/tensor":
		m.types.tensor = comp.N
	case "distribution/mean":
		m.dist.mean = comp.D
	case "distribution/m2":
		m.dist.m2 = comp.D
	case "ints/max":
		m.ints.max = comp.N
	case "ints/min":
		m.ints.min = comp.N
	case "distribution/kll":
		k, err := decodeKLL(comp.Sketch, s.kllK)
		if err != nil {
			return err
		}
		k.SetBitSource(sketches.NewSeededBits(m.seed))
		m.dist.kll = k
	case "cardinality/hll":
		h, err := decodeHLL(comp.Sketch)
		if err != nil {
			return err
		}
		m.card = h
	case "frequent_items/frequent_strings":
		f, err := decodeFI(comp.Sketch)
		if err != nil {
			return err
		}
		m.fi.fs = f
	}
	return nil
}

func decodeKLL(b []byte, k int) (*sketches.KLLDoubles, error) {
	s, err := sketches.NewKLLDoubles(k)
	if err != nil {
		return nil, err
	}
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return s, nil
}

func decodeHLL(b []byte) (*sketches.HLL, error) {
	s, err := sketches.NewHLL(sketches.DefaultHLLLgK, sketches.HLL4)
	if err != nil {
		return nil, err
	}
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return s, nil
}

func decodeFI(b []byte) (*sketches.FrequentStrings, error) {
	s, err := sketches.NewFrequentStrings(DefaultFrequentItemsLgMaxK)
	if err != nil {
		return nil, err
	}
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return s, nil
}

// mergeExtra merges two sorted lists of unknown components the way whylogs
// aggregates components (metric_components.py): type id 1 → min, 2 → max,
// n and d → sum, sketches → sketch merge. A path on one side only is copied.
func mergeExtra(a, b []Component, s *settings) ([]Component, error) {
	out := make([]Component, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i].Path < b[j].Path):
			out = append(out, cloneComponent(a[i]))
			i++
		case i >= len(a) || b[j].Path < a[i].Path:
			out = append(out, cloneComponent(b[j]))
			j++
		default:
			m, err := mergeComponent(a[i], b[j], s)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
			i++
			j++
		}
	}
	return out, nil
}

func cloneComponent(c Component) Component {
	c.Sketch = slices.Clone(c.Sketch)
	return c
}

func mergeComponent(a, b Component, s *settings) (Component, error) {
	if a.Kind != b.Kind || a.TypeID != b.TypeID {
		return Component{}, fmt.Errorf("profiler: merging component %q: %v (type id %d) with %v (type id %d): %w",
			a.Path, a.Kind, a.TypeID, b.Kind, b.TypeID, ErrComponent)
	}
	r := cloneComponent(a)
	switch {
	case a.Kind == KindN && a.TypeID == TypeIDMin:
		r.N = min(a.N, b.N)
	case a.Kind == KindN && a.TypeID == TypeIDMax:
		r.N = max(a.N, b.N)
	case a.Kind == KindN:
		r.N = a.N + b.N
	case a.Kind == KindD:
		r.D = a.D + b.D
	case a.Kind == KindKLL:
		x, err := decodeKLL(a.Sketch, s.kllK)
		if err != nil {
			return Component{}, fmt.Errorf("profiler: component %q: %w: %w", a.Path, ErrComponent, err)
		}
		y, err := decodeKLL(b.Sketch, s.kllK)
		if err != nil {
			return Component{}, fmt.Errorf("profiler: component %q: %w: %w", b.Path, ErrComponent, err)
		}
		x.SetBitSource(sketches.NewSeededBits(columnSeed(s.seed, a.Path, "")))
		if err := x.Merge(y); err != nil {
			return Component{}, fmt.Errorf("profiler: merging component %q: %w", a.Path, err)
		}
		if r.Sketch, err = x.AppendWhylogsBinary(nil); err != nil {
			return Component{}, err
		}
	case a.Kind == KindHLL:
		x, err := decodeHLL(a.Sketch)
		if err != nil {
			return Component{}, fmt.Errorf("profiler: component %q: %w: %w", a.Path, ErrComponent, err)
		}
		y, err := decodeHLL(b.Sketch)
		if err != nil {
			return Component{}, fmt.Errorf("profiler: component %q: %w: %w", b.Path, ErrComponent, err)
		}
		u, err := sketches.NewHLLUnion(max(x.LgK(), y.LgK()))
		if err != nil {
			return Component{}, err
		}
		u.Update(x)
		u.Update(y)
		if r.Sketch, err = u.Result(max(x.Type(), y.Type())).MarshalBinary(); err != nil {
			return Component{}, err
		}
	case a.Kind == KindFrequentItems:
		x, err := decodeFI(a.Sketch)
		if err != nil {
			return Component{}, fmt.Errorf("profiler: component %q: %w: %w", a.Path, ErrComponent, err)
		}
		y, err := decodeFI(b.Sketch)
		if err != nil {
			return Component{}, fmt.Errorf("profiler: component %q: %w: %w", b.Path, ErrComponent, err)
		}
		if err := x.Merge(y); err != nil {
			return Component{}, fmt.Errorf("profiler: merging component %q: %w", a.Path, err)
		}
		if r.Sketch, err = x.MarshalBinary(); err != nil {
			return Component{}, err
		}
	default:
		return Component{}, fmt.Errorf("profiler: merging component %q: %v components cannot be merged: %w", a.Path, a.Kind, ErrComponent)
	}
	return r, nil
}

// MetricPaths returns the sorted union of the component paths of cols: the
// DatasetProfileHeader.indexed_metric_paths of a v1 file, whose positions are
// the indexes ChunkMessages use.
func MetricPaths(cols []ColumnComponents) []string {
	var paths []string
	for _, cc := range cols {
		for _, c := range cc.Components {
			paths = append(paths, c.Path)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// Publishing a profile serialises every column's components once; the
// encoder then copies them into the file. appendSortedStandard writes a
// plain column's components straight in path order (no sort), and
// ComponentBuffer keeps the component slices and sketch images of a whole
// profile in storage reused from one profile to the next.

// appendSortedStandard appends the components of a metric set without a
// compound prefix in path order, the order Column.Components sorts them
// into, serialising the sketches into arena. It returns both slices.
func (m *metricSet) appendSortedStandard(dst []Component, arena []byte) ([]Component, []byte, error) {
	var err error
	n := func(path string, v int64) { dst = append(dst, Component{Path: path, Kind: KindN, N: v}) }
	sketch := func(path string, kind ComponentKind, start int) {
		dst = append(dst, Component{Path: path, Kind: kind, Sketch: arena[start:len(arena):len(arena)]})
	}
	if m.has&hasCard != 0 { // cardinality/hll
		start := len(arena)
		if arena, err = m.card.AppendBinary(arena); err != nil {
			return dst, arena, fmt.Errorf("serialising cardinality/hll: %w", err)
		}
		sketch("cardinality/hll", KindHLL, start)
	}
	if m.has&hasCounts != 0 {
		n("counts/inf", m.counts.inf)
		n("counts/n", m.counts.n)
		n("counts/nan", m.counts.nan)
		n("counts/null", m.counts.null)
		n("counts/true", m.counts.true_)
	}
	if m.has&hasDist != 0 {
		start := len(arena)
		if arena, err = m.dist.kll.AppendWhylogsBinary(arena); err != nil {
			return dst, arena, fmt.Errorf("serialising distribution/kll: %w", err)
		}
		sketch("distribution/kll", KindKLL, start)
		dst = append(dst,
			Component{Path: "distribution/m2", Kind: KindD, D: m.dist.m2},
			Component{Path: "distribution/mean", Kind: KindD, D: m.dist.mean})
	}
	if m.has&hasFI != 0 {
		start := len(arena)
		if arena, err = m.fi.fs.AppendBinary(arena); err != nil {
			return dst, arena, fmt.Errorf("serialising frequent_items/frequent_strings: %w", err)
		}
		sketch("frequent_items/frequent_strings", KindFrequentItems, start)
	}
	if m.has&hasInts != 0 {
		dst = append(dst,
			Component{Path: "ints/max", TypeID: TypeIDMax, Kind: KindN, N: m.ints.max},
			Component{Path: "ints/min", TypeID: TypeIDMin, Kind: KindN, N: m.ints.min})
	}
	if m.has&hasTypes != 0 {
		n("types/boolean", m.types.boolean)
		n("types/fractional", m.types.fractional)
		n("types/integral", m.types.integral)
		n("types/object", m.types.object)
		n("types/string", m.types.string_)
		n("types/tensor", m.types.tensor)
	}
	return dst, arena, nil
}

// ComponentBuffer is reusable storage for the components of a profile
// (DatasetProfile.ComponentsInto). The zero value is ready; it is not safe
// for concurrent use.
type ComponentBuffer struct {
	// Columns are the profile's columns as DatasetProfile.Components
	// returns them. They and their sketch images live in the buffer: the
	// next ComponentsInto overwrites them.
	Columns []ColumnComponents
	names   []string
	comps   []Component
	ends    []int
	arena   []byte
}

// ComponentsInto fills buf.Columns with what Components returns (the same
// columns, components and bytes), reusing buf's storage instead of
// allocating each column's components and sketch images.
func (p *DatasetProfile) ComponentsInto(buf *ComponentBuffer) error {
	buf.names = buf.names[:0]
	for name := range p.columns {
		buf.names = append(buf.names, name)
	}
	slices.Sort(buf.names)
	buf.comps, buf.arena, buf.ends = buf.comps[:0], buf.arena[:0], buf.ends[:0]
	clear(buf.Columns)
	buf.Columns = buf.Columns[:0]
	for _, name := range buf.names {
		c := p.columns[name]
		before := len(buf.comps)
		if len(c.subs) > 0 || len(c.extra) > 0 {
			comps, err := c.Components()
			if err != nil {
				return err
			}
			buf.comps = append(buf.comps, comps...)
		} else {
			var err error
			if buf.comps, buf.arena, err = c.m.appendSortedStandard(buf.comps, buf.arena); err != nil {
				return fmt.Errorf("profiler: column %q: %w", c.name, err)
			}
		}
		if len(buf.comps) == before {
			continue // Components leaves out a column without components
		}
		buf.Columns = append(buf.Columns, ColumnComponents{Name: name})
		buf.ends = append(buf.ends, len(buf.comps))
	}
	start := 0
	for i, end := range buf.ends {
		buf.Columns[i].Components = buf.comps[start:end:end]
		start = end
	}
	return nil
}
