package whylogs

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
	"github.com/kprofiler/kprofiler/schemas/whylogspb"
)

// The publish path (AppendV1) writes the column chunks, which hold nearly all
// of a file's bytes, straight from the profile's components with protowire,
// instead of building a whylogspb message per component and marshalling the
// maps with protobuf reflection; profilefile.AppendAssembled writes the
// headers around them. The bytes are those of Encode +
// File.AppendBinary (fastencode_test.go checks it): protobuf's deterministic
// encoding writes fields in field-number order, omits zero scalars, always
// writes a set oneof and both halves of a map entry, and sorts map entries
// by key; ChunkMessage.metric_components is keyed by the metric index, which
// is the position of the path in the sorted union of paths.

// Field tags of the messages written here (whylogs v1 messages.proto).
const (
	tagTypeID        = byte(1<<3 | protowire.VarintType) // MetricComponentMessage.type_id
	tagN             = byte(2<<3 | protowire.VarintType)
	tagD             = byte(3<<3 | protowire.Fixed64Type)
	tagFrequentItems = byte(4<<3 | protowire.BytesType)
	tagHLL           = byte(5<<3 | protowire.BytesType)
	tagKLL           = byte(6<<3 | protowire.BytesType)
	tagCPC           = byte(7<<3 | protowire.BytesType)
	tagBytes         = byte(10<<3 | protowire.BytesType)
	tagSketch        = byte(1<<3 | protowire.BytesType) // *SketchMessage.sketch
	tagMapEntry      = byte(1<<3 | protowire.BytesType) // ChunkMessage.metric_components
	tagMapKey        = byte(1<<3 | protowire.VarintType)
	tagMapValue      = byte(2<<3 | protowire.BytesType)
	tagChunkType     = byte(1<<3 | protowire.VarintType) // ChunkHeader.type
	tagChunkLength   = byte(3<<3 | protowire.VarintType) // ChunkHeader.length
)

// componentSize returns the size of c's MetricComponentMessage.
func componentSize(c *profiler.Component) (int, error) {
	n := 0
	if c.TypeID != 0 {
		n += 1 + protowire.SizeVarint(uint64(c.TypeID))
	}
	switch c.Kind {
	case profiler.KindN:
		n += 1 + protowire.SizeVarint(uint64(c.N))
	case profiler.KindD:
		n += 1 + 8
	case profiler.KindFrequentItems, profiler.KindHLL, profiler.KindKLL, profiler.KindCPC:
		s := sketchMsgSize(len(c.Sketch))
		n += 1 + protowire.SizeVarint(uint64(s)) + s
	case profiler.KindBytes:
		n += 1 + protowire.SizeBytes(len(c.Sketch))
	default:
		return 0, fmt.Errorf("component of kind %v has no value: %w", c.Kind, ErrInvalidProfile)
	}
	return n, nil
}

// sketchMsgSize is the size of a *SketchMessage holding an l-byte sketch
// (an empty sketch is omitted).
func sketchMsgSize(l int) int {
	if l == 0 {
		return 0
	}
	return 1 + protowire.SizeBytes(l)
}

func appendComponent(b []byte, c *profiler.Component) []byte {
	if c.TypeID != 0 {
		b = append(b, tagTypeID)
		b = protowire.AppendVarint(b, uint64(c.TypeID))
	}
	switch c.Kind {
	case profiler.KindN:
		b = append(b, tagN)
		return protowire.AppendVarint(b, uint64(c.N))
	case profiler.KindD:
		b = append(b, tagD)
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(c.D))
	case profiler.KindBytes:
		b = append(b, tagBytes)
		return protowire.AppendBytes(b, c.Sketch)
	}
	tag := byte(tagCPC)
	switch c.Kind {
	case profiler.KindFrequentItems:
		tag = tagFrequentItems
	case profiler.KindHLL:
		tag = tagHLL
	case profiler.KindKLL:
		tag = tagKLL
	}
	b = append(b, tag)
	b = protowire.AppendVarint(b, uint64(sketchMsgSize(len(c.Sketch))))
	if len(c.Sketch) > 0 {
		b = append(b, tagSketch)
		b = protowire.AppendBytes(b, c.Sketch)
	}
	return b
}

// chunk is one column's chunk: its components in metric-index order.
type chunk struct {
	comps   []*profiler.Component
	idx     []uint32
	sizes   []int // component message sizes
	body    int   // ChunkMessage size
	hdrSize int   // ChunkHeader size
}

func chunkHeaderSize(body int) int {
	n := 1 + protowire.SizeVarint(uint64(whylogspb.ChunkHeader_COLUMN))
	if body != 0 {
		n += 1 + protowire.SizeVarint(uint64(body))
	}
	return n
}

// encodeBuf is the scratch storage of one appendV1 call, reused through
// encodeBufs: the profile's components and sketch images, the metric paths
// and the per-component indexes and sizes.
type encodeBuf struct {
	comps   profiler.ComponentBuffer
	paths   []string // sorted union of the component paths
	merge   []string
	names   []string
	offsets []uint64
	idx     []uint32 // metric index of every component, column after column
	sizes   []int    // message size of every component
	chunks  []chunkLayout
}

type chunkLayout struct {
	body    int // ChunkMessage size
	hdrSize int // ChunkHeader size
}

var encodeBufs = sync.Pool{New: func() any { return new(encodeBuf) }}

// appendV1 is AppendV1 without the intermediate File.
func appendV1(dst []byte, p *profiler.DatasetProfile) ([]byte, error) {
	fp := p.FileProperties()
	if fp.DatasetTimestamp < 0 || fp.CreationTimestamp < 0 {
		return dst, fmt.Errorf("whylogs: dataset timestamp %d ms, creation timestamp %d ms: timestamps before 1970 cannot be written: %w",
			fp.DatasetTimestamp, fp.CreationTimestamp, ErrInvalidProfile)
	}
	eb := encodeBufs.Get().(*encodeBuf)
	defer encodeBufs.Put(eb)
	if err := p.ComponentsInto(&eb.comps); err != nil {
		return dst, fmt.Errorf("whylogs: encoding profile: %w", err)
	}
	cols := eb.comps.Columns
	if !strictlySorted(cols) {
		return appendV1Unsorted(dst, fp, cols)
	}
	// The metric paths: the sorted union of the columns' sorted paths.
	eb.paths = eb.paths[:0]
	for _, cc := range cols {
		eb.merge = unionPaths(eb.merge[:0], eb.paths, cc.Components)
		eb.paths, eb.merge = eb.merge, eb.paths
	}
	paths := eb.paths
	eb.names, eb.offsets = eb.names[:0], eb.offsets[:0]
	eb.idx, eb.sizes = eb.idx[:0], eb.sizes[:0]
	eb.chunks = eb.chunks[:0]
	area := 0
	for _, cc := range cols {
		var ch chunkLayout
		j := 0
		for ci := range cc.Components {
			c := &cc.Components[ci]
			for paths[j] != c.Path {
				j++
			}
			s, err := componentSize(c)
			if err != nil {
				return dst, fmt.Errorf("whylogs: column %q, metric %q: %w", cc.Name, c.Path, err)
			}
			eb.idx, eb.sizes = append(eb.idx, uint32(j)), append(eb.sizes, s)
			entry := 1 + protowire.SizeVarint(uint64(j)) + 1 + protowire.SizeVarint(uint64(s)) + s
			ch.body += 1 + protowire.SizeVarint(uint64(entry)) + entry
		}
		if ch.body > math.MaxUint32 {
			return dst, fmt.Errorf("whylogs: writing profile: column %q: chunk of %d bytes exceeds the uint32 ChunkHeader.length: %w",
				cc.Name, ch.body, profilefile.ErrInvalidFile)
		}
		ch.hdrSize = chunkHeaderSize(ch.body)
		eb.names = append(eb.names, cc.Name)
		eb.offsets = append(eb.offsets, uint64(area))
		eb.chunks = append(eb.chunks, ch)
		area += protowire.SizeVarint(uint64(ch.hdrSize)) + ch.hdrSize + ch.body
	}
	seg := segmentHeader(fp)
	out, err := appendHeaders(dst, fp, seg, paths, eb.names, eb.offsets, area)
	if err != nil {
		return dst, err
	}
	start := len(out)
	k := 0
	for ci, cc := range cols {
		ch := &eb.chunks[ci]
		out = appendChunkHeader(out, ch.hdrSize, ch.body)
		for i := range cc.Components {
			out = appendEntry(out, eb.idx[k], eb.sizes[k], &cc.Components[i])
			k++
		}
	}
	if len(out)-start != area {
		return dst, fmt.Errorf("whylogs: writing profile: chunk area of %d bytes, %d computed: %w", len(out)-start, area, profilefile.ErrInvalidFile)
	}
	return profilefile.AppendTrailer(out, seg, area), nil
}

// strictlySorted reports whether the columns are sorted by name and each
// column's components by path, without repeats: always so for Components,
// and what lets appendV1 merge the paths instead of collecting them.
func strictlySorted(cols []profiler.ColumnComponents) bool {
	for i := range cols {
		if i > 0 && cols[i-1].Name >= cols[i].Name {
			return false
		}
		cs := cols[i].Components
		for j := 1; j < len(cs); j++ {
			if cs[j-1].Path >= cs[j].Path {
				return false
			}
		}
	}
	return true
}

// unionPaths appends the sorted union of the sorted paths a and the paths
// of the sorted components b to dst.
func unionPaths(dst, a []string, b []profiler.Component) []string {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j].Path:
			dst = append(dst, a[i])
			i++
		case b[j].Path < a[i]:
			dst = append(dst, b[j].Path)
			j++
		default:
			dst = append(dst, a[i])
			i++
			j++
		}
	}
	dst = append(dst, a[i:]...)
	for ; j < len(b); j++ {
		dst = append(dst, b[j].Path)
	}
	return dst
}

// segmentHeader returns the segment header of fp (nil when not segmented).
func segmentHeader(fp profiler.FileProperties) *whylogspb.DatasetSegmentHeader {
	if fp.SegmentTags == nil {
		return nil
	}
	tags := make([]*whylogspb.SegmentTag, len(fp.SegmentTags))
	for i, t := range fp.SegmentTags {
		tags[i] = &whylogspb.SegmentTag{Key: t.Key, Value: t.Value}
	}
	return profilefile.NewSegmentHeader(tags...)
}

// appendHeaders appends the file headers (profilefile.AppendAssembled) of a
// chunk area of area bytes to dst, with room for the area and trailer.
func appendHeaders(dst []byte, fp profiler.FileProperties, seg *whylogspb.DatasetSegmentHeader, paths, names []string, offsets []uint64, area int) ([]byte, error) {
	props := &whylogspb.DatasetProperties{
		CreationTimestamp: uint64(fp.CreationTimestamp),
		DatasetTimestamp:  uint64(fp.DatasetTimestamp),
	}
	if len(fp.Tags) > 0 {
		props.Tags = fp.Tags
	}
	if len(fp.Metadata) > 0 {
		props.Metadata = fp.Metadata
	}
	// Room for the headers (paths, column offsets, metadata) and the area.
	hdr := 64 + 16*len(names)
	for _, p := range paths {
		hdr += len(p) + 8
	}
	for _, name := range names {
		hdr += len(name)
	}
	for k, v := range fp.Metadata {
		hdr += len(k) + len(v) + 8
	}
	for k, v := range fp.Tags {
		hdr += len(k) + len(v) + 8
	}
	for _, t := range fp.SegmentTags {
		hdr += 2 * (len(t.Key) + len(t.Value) + 8)
	}
	out, err := profilefile.AppendAssembled(slices.Grow(dst, hdr+area), props, seg, paths, names, offsets, area)
	if err != nil {
		return dst, fmt.Errorf("whylogs: writing profile: %w", err)
	}
	return slices.Grow(out, area+16), nil
}

func appendChunkHeader(out []byte, hdrSize, body int) []byte {
	out = protowire.AppendVarint(out, uint64(hdrSize))
	out = append(out, tagChunkType)
	out = protowire.AppendVarint(out, uint64(whylogspb.ChunkHeader_COLUMN))
	if body != 0 {
		out = append(out, tagChunkLength)
		out = protowire.AppendVarint(out, uint64(body))
	}
	return out
}

// appendEntry appends one ChunkMessage.metric_components map entry.
func appendEntry(out []byte, ix uint32, s int, c *profiler.Component) []byte {
	entry := 1 + protowire.SizeVarint(uint64(ix)) + 1 + protowire.SizeVarint(uint64(s)) + s
	out = append(out, tagMapEntry)
	out = protowire.AppendVarint(out, uint64(entry))
	out = append(out, tagMapKey)
	out = protowire.AppendVarint(out, uint64(ix))
	out = append(out, tagMapValue)
	out = protowire.AppendVarint(out, uint64(s))
	return appendComponent(out, c)
}

// appendV1Unsorted is appendV1 for component lists that are not strictly
// sorted (never produced by Components; kept so that any list encodes as
// Encode does): columns by name with a repeated name keeping the last,
// paths collected in a map, and per column the last component of a
// repeated path winning, as in Encode's maps.
func appendV1Unsorted(dst []byte, fp profiler.FileProperties, cols []profiler.ColumnComponents) ([]byte, error) {
	// Columns by name (Components sorts them; a repeated name keeps the
	// last, as Encode's map does), paths as the sorted union.
	byName := make(map[string]*profiler.ColumnComponents, len(cols))
	pathSet := map[string]uint32{}
	for i := range cols {
		byName[cols[i].Name] = &cols[i]
	}
	names := slices.Sorted(maps.Keys(byName))
	for _, name := range names {
		for _, c := range byName[name].Components {
			pathSet[c.Path] = 0
		}
	}
	paths := slices.Sorted(maps.Keys(pathSet))
	for i, path := range paths {
		pathSet[path] = uint32(i)
	}
	chunks := make([]chunk, len(names))
	offsets := make([]uint64, len(names))
	area := 0
	for ci, name := range names {
		cc := byName[name]
		ch := &chunks[ci]
		// Components come sorted by path, so their indexes increase; if
		// not, order them, the last component of a repeated path winning
		// as in Encode's map.
		pos := make([]int, len(cc.Components))
		ch.idx = make([]uint32, len(cc.Components))
		sorted := true
		for i := range cc.Components {
			pos[i], ch.idx[i] = i, pathSet[cc.Components[i].Path]
			sorted = sorted && (i == 0 || ch.idx[i] > ch.idx[i-1])
		}
		if !sorted {
			last := make(map[uint32]int, len(cc.Components))
			for i := range cc.Components {
				last[pathSet[cc.Components[i].Path]] = i
			}
			ch.idx = slices.Sorted(maps.Keys(last))
			pos = pos[:len(ch.idx)]
			for i, ix := range ch.idx {
				pos[i] = last[ix]
			}
		}
		ch.comps = make([]*profiler.Component, len(ch.idx))
		ch.sizes = make([]int, len(ch.idx))
		for i, ix := range ch.idx {
			c := &cc.Components[pos[i]]
			s, err := componentSize(c)
			if err != nil {
				return dst, fmt.Errorf("whylogs: column %q, metric %q: %w", name, c.Path, err)
			}
			ch.comps[i], ch.sizes[i] = c, s
			entry := 1 + protowire.SizeVarint(uint64(ix)) + 1 + protowire.SizeVarint(uint64(s)) + s
			ch.body += 1 + protowire.SizeVarint(uint64(entry)) + entry
		}
		if ch.body > math.MaxUint32 {
			return dst, fmt.Errorf("whylogs: writing profile: column %q: chunk of %d bytes exceeds the uint32 ChunkHeader.length: %w",
				name, ch.body, profilefile.ErrInvalidFile)
		}
		ch.hdrSize = chunkHeaderSize(ch.body)
		offsets[ci] = uint64(area)
		area += protowire.SizeVarint(uint64(ch.hdrSize)) + ch.hdrSize + ch.body
	}

	seg := segmentHeader(fp)
	out, err := appendHeaders(dst, fp, seg, paths, names, offsets, area)
	if err != nil {
		return dst, err
	}
	start := len(out)
	for ci := range chunks {
		ch := &chunks[ci]
		out = appendChunkHeader(out, ch.hdrSize, ch.body)
		for i, c := range ch.comps {
			out = appendEntry(out, ch.idx[i], ch.sizes[i], c)
		}
	}
	if len(out)-start != area {
		return dst, fmt.Errorf("whylogs: writing profile: chunk area of %d bytes, %d computed: %w", len(out)-start, area, profilefile.ErrInvalidFile)
	}
	return profilefile.AppendTrailer(out, seg, area), nil
}
