package profilefile

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/kprofiler/kprofiler/schemas/whylogspb"
)

// Magic is the 4-byte prefix of every v1 profile file.
const Magic = "WHY1"

// File is one whylogs v1 profile file at the protobuf-message level.
//
// A File is a plain value: it holds no reference to the bytes it was parsed
// from, and nothing in this package keeps a reference to it. It is not safe
// for concurrent mutation; concurrent reads (including concurrent
// AppendBinary calls) are safe.
type File struct {
	// Segment is the DatasetSegmentHeader. It is nil for a plain
	// (non-segmented) profile, whose segment header is empty on the wire.
	// Use NewSegmentHeader to build the header whylogs writes for one segment.
	Segment *whylogspb.DatasetSegmentHeader

	// Header is the DatasetProfileHeader. After ParseV1 it is the header as
	// read (properties, column offsets, chunk-area length, indexed metric
	// paths, and any unknown fields). When writing, only Properties and the
	// unknown fields are used: ColumnOffsets, Length and IndexedMetricPaths
	// are recomputed from Columns, MetricOffsets (never written by whylogs) is
	// dropped, and a nil Header or nil Properties is written as empty
	// DatasetProperties. Writing never modifies Header.
	Header *whylogspb.DatasetProfileHeader

	// Columns maps a column name to its metric components, keyed by the full
	// component path "<namespace>/<component>" (e.g. "counts/n",
	// "distribution/kll", "image/Brightness.mean:distribution/kll").
	// A nil *ColumnMessage is written as a column without components.
	Columns map[string]*whylogspb.ColumnMessage
}

// Clone returns a deep copy of f.
func (f *File) Clone() *File {
	g := &File{}
	if f.Segment != nil {
		g.Segment = proto.CloneOf(f.Segment)
	}
	if f.Header != nil {
		g.Header = proto.CloneOf(f.Header)
	}
	if f.Columns != nil {
		g.Columns = make(map[string]*whylogspb.ColumnMessage, len(f.Columns))
		for name, col := range f.Columns {
			if col != nil {
				col = proto.CloneOf(col)
			}
			g.Columns[name] = col
		}
	}
	return g
}

// Properties returns the dataset properties from f.Header, or nil.
func (f *File) Properties() *whylogspb.DatasetProperties {
	return f.Header.GetProperties()
}

// Segmented reports whether the segment header marks a segmented profile.
func (f *File) Segmented() bool {
	return f.Segment.GetHasSegments()
}

// ColumnNames returns the column names in the order whylogs lays their chunks
// out (ascending byte order of the UTF-8 names, which equals Python's code
// point order).
func (f *File) ColumnNames() []string {
	names := make([]string, 0, len(f.Columns))
	for name := range f.Columns {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// MetricPaths returns the sorted union of the component paths of all
// columns: the indexed_metric_paths list a write produces (index = position).
func (f *File) MetricPaths() []string {
	seen := make(map[string]struct{})
	for _, col := range f.Columns {
		for path := range col.GetMetricComponents() {
			seen[path] = struct{}{}
		}
	}
	paths := make([]string, 0, len(seen))
	for path := range seen {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	return paths
}

// NewSegmentHeader returns the DatasetSegmentHeader whylogs writes for a file
// holding one segment with the given tags: has_segments = true, one Segment
// with the tags, and offsets = {0: X}, where X is the size of the delimited
// message {has_segments: true, offsets: {0: 0}} (always 9). The tags are used
// as given, not copied; whylogs names them "whylogs.tag.<column>".
func NewSegmentHeader(tags ...*whylogspb.SegmentTag) *whylogspb.DatasetSegmentHeader {
	x := uint64(len(segmentTrailer(&whylogspb.DatasetSegmentHeader{Segments: make([]*whylogspb.Segment, 1)})))
	return &whylogspb.DatasetSegmentHeader{
		HasSegments: true,
		Segments:    []*whylogspb.Segment{{Tags: tags}},
		Offsets:     map[uint32]uint64{0: x},
	}
}

// marshalOpts sorts map entries by key, making the output a function of the
// message alone.
var marshalOpts = proto.MarshalOptions{Deterministic: true}

// unmarshalOpts rejects nothing protobuf itself accepts; the default
// recursion limit bounds nesting in Struct/Any payloads.
var unmarshalOpts = proto.UnmarshalOptions{}

// MarshalBinary returns the v1 file bytes. See AppendBinary.
func (f *File) MarshalBinary() ([]byte, error) {
	return f.AppendBinary(nil)
}

// AppendBinary appends the v1 file bytes to b, laid out as whylogs'
// DatasetProfileView._do_write does:
//
//	"WHY1"
//	varint(len(S)) S     S = DatasetSegmentHeader (empty for a plain profile: the byte 0x00)
//	varint(len(H)) H     H = DatasetProfileHeader
//	chunk area (H.length bytes): for each column in ascending name order
//	    varint(len(C)) C     C = ChunkHeader{type: COLUMN, length: len(M)}
//	    M                    M = ChunkMessage{metric index → component}
//
// H.indexed_metric_paths numbers the sorted union of all component paths
// 0..N-1; H.column_offsets[col] = {offsets: [offset of col's ChunkHeader
// prefix relative to the chunk area start]}. Every message is marshalled
// deterministically (map entries in ascending key order), so equal Files give
// equal bytes. On error b is returned unchanged together with an error
// wrapping ErrInvalidFile.
func (f *File) AppendBinary(b []byte) ([]byte, error) {
	paths := f.MetricPaths()
	index := make(map[string]uint32, len(paths))
	indexed := make(map[uint32]string, len(paths))
	for i, p := range paths {
		index[p] = uint32(i)
		indexed[uint32(i)] = p
	}

	names := f.ColumnNames()
	var area []byte
	offsets := make(map[string]*whylogspb.ChunkOffsets, len(names))
	for _, name := range names {
		chunk := &whylogspb.ChunkMessage{}
		if comps := f.Columns[name].GetMetricComponents(); len(comps) > 0 {
			chunk.MetricComponents = make(map[uint32]*whylogspb.MetricComponentMessage, len(comps))
			for path, c := range comps {
				chunk.MetricComponents[index[path]] = c
			}
		}
		body, err := marshalOpts.Marshal(chunk)
		if err != nil {
			return b, fmt.Errorf("column %q: %w: %v", name, ErrInvalidFile, err)
		}
		if len(body) > math.MaxUint32 {
			return b, fmt.Errorf("column %q: chunk of %d bytes exceeds the uint32 ChunkHeader.length: %w", name, len(body), ErrInvalidFile)
		}
		offsets[name] = &whylogspb.ChunkOffsets{Offsets: []uint64{uint64(len(area))}}
		hdr := &whylogspb.ChunkHeader{Type: whylogspb.ChunkHeader_COLUMN, Length: uint32(len(body))}
		area, err = appendDelimited(area, hdr)
		if err != nil {
			return b, fmt.Errorf("column %q chunk header: %w", name, err)
		}
		area = append(area, body...)
	}

	var header *whylogspb.DatasetProfileHeader
	if f.Header != nil {
		header = proto.CloneOf(f.Header)
	} else {
		header = &whylogspb.DatasetProfileHeader{}
	}
	if header.Properties == nil {
		header.Properties = &whylogspb.DatasetProperties{}
	}
	header.ColumnOffsets = offsets
	header.MetricOffsets = nil
	header.Length = uint64(len(area))
	header.IndexedMetricPaths = indexed
	out, err := appendPrefix(b, f.Segment, header)
	if err != nil {
		return b, err
	}
	return appendArea(out, f.Segment, area), nil
}

// AppendAssembled appends the v1 file bytes AppendBinary writes for a file
// whose chunk area the caller has built: props are the profile properties
// (used as given), segment the segment header or nil, paths the sorted
// metric paths, names the column names in ascending order with offsets
// their chunk offsets in the area, areaLen the area's length. It appends
// everything before the area; the caller then appends the area (exactly
// areaLen bytes) and calls AppendTrailer. It is the allocation-light path of
// schemas/whylogs; AppendBinary gives the same bytes for the same content.
func AppendAssembled(b []byte, props *whylogspb.DatasetProperties, segment *whylogspb.DatasetSegmentHeader,
	paths, names []string, offsets []uint64, areaLen int) ([]byte, error) {
	if len(names) != len(offsets) {
		return b, fmt.Errorf("%d column names and %d offsets: %w", len(names), len(offsets), ErrInvalidFile)
	}
	if props == nil {
		props = &whylogspb.DatasetProperties{}
	}
	out := append(b, Magic...)
	var err error
	if segment != nil {
		out, err = appendDelimited(out, segment)
	} else {
		out = append(out, 0)
	}
	if err != nil {
		return b, fmt.Errorf("segment header: %w", err)
	}
	return appendProfileHeader(out, props, paths, names, offsets, areaLen), nil
}

// Field tags of DatasetProfileHeader, DatasetProperties and their map
// entries (whylogs v1 messages.proto).
const (
	tagHeaderProperties    = byte(1<<3 | protowire.BytesType)
	tagHeaderColumnOffsets = byte(2<<3 | protowire.BytesType)
	tagHeaderLength        = byte(4<<3 | protowire.VarintType)
	tagHeaderIndexedPaths  = byte(5<<3 | protowire.BytesType)
	tagPropsSchemaMajor    = byte(1<<3 | protowire.VarintType)
	tagPropsSchemaMinor    = byte(2<<3 | protowire.VarintType)
	tagPropsCreation       = byte(4<<3 | protowire.VarintType)
	tagPropsDataset        = byte(5<<3 | protowire.VarintType)
	tagPropsTags           = byte(6<<3 | protowire.BytesType)
	tagPropsMetadata       = byte(7<<3 | protowire.BytesType)
	tagEntryKeyBytes       = byte(1<<3 | protowire.BytesType)
	tagEntryKeyVarint      = byte(1<<3 | protowire.VarintType)
	tagEntryValue          = byte(2<<3 | protowire.BytesType)
	tagChunkOffsets        = byte(1<<3 | protowire.BytesType) // ChunkOffsets.offsets, packed
)

// appendProfileHeader appends the delimited DatasetProfileHeader
// {properties, column_offsets, length, indexed_metric_paths} with the bytes
// protobuf's deterministic encoding gives (fields in number order, zero
// scalars omitted, map entries sorted by key with both halves written), so
// that AppendAssembled and AppendBinary agree; names must be sorted.
func appendProfileHeader(b []byte, props *whylogspb.DatasetProperties, paths, names []string, offsets []uint64, areaLen int) []byte {
	propsSize := propertiesSize(props)
	size := 1 + protowire.SizeVarint(uint64(propsSize)) + propsSize
	for i, name := range names {
		co := chunkOffsetsSize(offsets[i])
		e := 1 + protowire.SizeBytes(len(name)) + 1 + protowire.SizeVarint(uint64(co)) + co
		size += 1 + protowire.SizeVarint(uint64(e)) + e
	}
	if areaLen != 0 {
		size += 1 + protowire.SizeVarint(uint64(areaLen))
	}
	for i, p := range paths {
		e := 1 + protowire.SizeVarint(uint64(i)) + 1 + protowire.SizeBytes(len(p))
		size += 1 + protowire.SizeVarint(uint64(e)) + e
	}
	b = protowire.AppendVarint(b, uint64(size))
	b = append(b, tagHeaderProperties)
	b = protowire.AppendVarint(b, uint64(propsSize))
	b = appendProperties(b, props)
	for i, name := range names {
		co := chunkOffsetsSize(offsets[i])
		e := 1 + protowire.SizeBytes(len(name)) + 1 + protowire.SizeVarint(uint64(co)) + co
		b = append(b, tagHeaderColumnOffsets)
		b = protowire.AppendVarint(b, uint64(e))
		b = append(b, tagEntryKeyBytes)
		b = protowire.AppendString(b, name)
		b = append(b, tagEntryValue)
		b = protowire.AppendVarint(b, uint64(co))
		b = append(b, tagChunkOffsets)
		b = protowire.AppendVarint(b, uint64(protowire.SizeVarint(offsets[i])))
		b = protowire.AppendVarint(b, offsets[i])
	}
	if areaLen != 0 {
		b = append(b, tagHeaderLength)
		b = protowire.AppendVarint(b, uint64(areaLen))
	}
	for i, p := range paths {
		e := 1 + protowire.SizeVarint(uint64(i)) + 1 + protowire.SizeBytes(len(p))
		b = append(b, tagHeaderIndexedPaths)
		b = protowire.AppendVarint(b, uint64(e))
		b = append(b, tagEntryKeyVarint)
		b = protowire.AppendVarint(b, uint64(i))
		b = append(b, tagEntryValue)
		b = protowire.AppendString(b, p)
	}
	return b
}

// chunkOffsetsSize is the size of ChunkOffsets{offsets: [off]}.
func chunkOffsetsSize(off uint64) int {
	return 1 + protowire.SizeBytes(protowire.SizeVarint(off))
}

func stringMapSize(m map[string]string) int {
	n := 0
	for k, v := range m {
		e := 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(len(v))
		n += 1 + protowire.SizeVarint(uint64(e)) + e
	}
	return n
}

func appendStringMap(b []byte, tag byte, m map[string]string) []byte {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		e := 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(len(v))
		b = append(b, tag)
		b = protowire.AppendVarint(b, uint64(e))
		b = append(b, tagEntryKeyBytes)
		b = protowire.AppendString(b, k)
		b = append(b, tagEntryValue)
		b = protowire.AppendString(b, v)
	}
	return b
}

func propertiesSize(p *whylogspb.DatasetProperties) int {
	n := 0
	for _, v := range []uint64{uint64(p.SchemaMajorVersion), uint64(p.SchemaMinorVersion), p.CreationTimestamp, p.DatasetTimestamp} {
		if v != 0 {
			n += 1 + protowire.SizeVarint(v)
		}
	}
	return n + stringMapSize(p.Tags) + stringMapSize(p.Metadata) + len(p.ProtoReflect().GetUnknown())
}

func appendProperties(b []byte, p *whylogspb.DatasetProperties) []byte {
	for _, f := range []struct {
		tag byte
		v   uint64
	}{{tagPropsSchemaMajor, uint64(p.SchemaMajorVersion)}, {tagPropsSchemaMinor, uint64(p.SchemaMinorVersion)},
		{tagPropsCreation, p.CreationTimestamp}, {tagPropsDataset, p.DatasetTimestamp}} {
		if f.v != 0 {
			b = append(b, f.tag)
			b = protowire.AppendVarint(b, f.v)
		}
	}
	b = appendStringMap(b, tagPropsTags, p.Tags)
	b = appendStringMap(b, tagPropsMetadata, p.Metadata)
	return append(b, p.ProtoReflect().GetUnknown()...)
}

// AppendTrailer appends what follows an areaLen-byte chunk area (see
// AppendAssembled): for a segmented file, the part of its offset probe that
// whylogs' segmented writer leaves behind the area (see segmentTrailer),
// byte for byte; nothing for a plain profile.
func AppendTrailer(b []byte, segment *whylogspb.DatasetSegmentHeader, areaLen int) []byte {
	if segment.GetHasSegments() {
		b = append(b, copiedTrailer(segmentTrailer(segment), areaLen)...)
	}
	return b
}

// appendPrefix appends the magic, the segment header and the profile header.
func appendPrefix(b []byte, segment *whylogspb.DatasetSegmentHeader, header *whylogspb.DatasetProfileHeader) ([]byte, error) {
	out := append(b, Magic...)
	var err error
	if segment != nil {
		out, err = appendDelimited(out, segment)
	} else {
		out = append(out, 0)
	}
	if err != nil {
		return b, fmt.Errorf("segment header: %w", err)
	}
	out, err = appendDelimited(out, header)
	if err != nil {
		return b, fmt.Errorf("profile header: %w", err)
	}
	return out, nil
}

// appendArea appends the chunk area and the trailer.
func appendArea(out []byte, segment *whylogspb.DatasetSegmentHeader, area []byte) []byte {
	out = append(out, area...)
	return AppendTrailer(out, segment, len(area))
}

// copyBlock is the buffer size of whylogs' segmented-file copy loop.
const copyBlock = 1024

// copiedTrailer returns the part of trailer that whylogs' copy loop
// (1024-byte reads while the position is below areaLen) copies after an
// areaLen-byte chunk area: none when areaLen is a multiple of 1024, else
// the first min(len(trailer), 1024-areaLen%1024) bytes.
func copiedTrailer(trailer []byte, areaLen int) []byte {
	r := areaLen % copyBlock
	if r == 0 {
		return nil
	}
	return trailer[:min(len(trailer), copyBlock-r)]
}

// segmentTrailer returns the bytes whylogs' segmented writer
// (SegmentedDatasetProfileView._write_v1) appends after the chunk area.
//
// That writer builds the chunk area in a temporary file, then writes into
// the same file the delimited probe DatasetSegmentHeader{has_segments: true,
// offsets: {i: 0 for each segment}} to measure its size (the value stored in
// offsets[0], always 9 for one segment). It then copies the temporary file
// to the output in 1024-byte reads while the read position is below the
// chunk-area length, so the last read also copies the start of the probe:
// min(len(probe), 1024 - areaLen%1024) bytes when areaLen%1024 != 0, none
// otherwise. Both segmented test files end with the full 9-byte probe
// 08 08 01 2a 04 08 00 10 00. Plain (non-segmented) files have no trailer.
func segmentTrailer(seg *whylogspb.DatasetSegmentHeader) []byte {
	probe := &whylogspb.DatasetSegmentHeader{HasSegments: true}
	if n := len(seg.GetSegments()); n > 0 {
		probe.Offsets = make(map[uint32]uint64, n)
		for i := range n {
			probe.Offsets[uint32(i)] = 0
		}
	}
	b, err := appendDelimited(nil, probe)
	if err != nil {
		return nil // unreachable: the probe holds no strings
	}
	return b
}

// appendDelimited appends varint(size) + deterministic encoding of m.
func appendDelimited(b []byte, m proto.Message) ([]byte, error) {
	size := marshalOpts.Size(m)
	b = protowire.AppendVarint(b, uint64(size))
	start := len(b)
	b, err := marshalOpts.MarshalAppend(b, m)
	if err != nil {
		return b, fmt.Errorf("%w: %v", ErrInvalidFile, err)
	}
	if len(b)-start != size {
		return b, fmt.Errorf("%w: message size changed during marshalling", ErrInvalidFile)
	}
	return b, nil
}

// WriteTo writes the v1 file bytes to w.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	b, err := f.AppendBinary(nil)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// UnmarshalBinary replaces *f with the v1 file in data (see ParseV1). On
// error *f is unchanged.
func (f *File) UnmarshalBinary(data []byte) error {
	g, err := ParseV1(data)
	if err != nil {
		return err
	}
	*f = *g
	return nil
}

// ReadV1 reads r to EOF and parses the bytes with ParseV1.
func ReadV1(r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return ParseV1(data)
}

// chunkRef is one (column, offset) pair of DatasetProfileHeader.column_offsets.
type chunkRef struct {
	column string
	offset uint64 // relative to the chunk area
	end    uint64 // relative end of the chunk body, set by the first pass
	body   []byte
}

// ParseV1 decodes a whylogs v1 profile file (plain or segmented), following
// DatasetProfileView._do_read:
//
//   - "WHY1" magic (other "WHY" versions: ErrUnsupportedVersion; anything
//     else: ErrNotProfile);
//   - a delimited DatasetSegmentHeader (an empty one, as in every plain
//     profile, is returned as a nil File.Segment; offsets are not
//     interpreted);
//   - a delimited, non-empty DatasetProfileHeader;
//   - a chunk area of header.length bytes, which must end the input, except
//     that a segmented file may be followed by the (possibly partial) probe
//     message whylogs' segmented writer leaves there (see segmentTrailer);
//     Every offset of every column must point inside it at a delimited
//     ChunkHeader of type COLUMN followed by its ChunkMessage body; chunks
//     must not overlap (so no byte is decoded twice); every metric index must
//     be in indexed_metric_paths, and a path may occur once per column.
//
// Map entry order in the input does not matter. A column whose offsets list
// is empty is returned as a column without components. Failures return nil
// and an error wrapping ErrNotProfile, ErrUnsupportedVersion, ErrCorrupt or
// ErrTruncated that names the file offset. ParseV1 never panics, does not
// retain data, and allocates in proportion to len(data).
func ParseV1(data []byte) (*File, error) {
	if len(data) < len(Magic) || string(data[:len(Magic)]) != Magic {
		if len(data) >= len(Magic) && string(data[:3]) == "WHY" {
			return nil, fmt.Errorf("magic %q at offset 0, want %q: %w", data[:4], Magic, ErrUnsupportedVersion)
		}
		return nil, fmt.Errorf("offset 0: want magic %q: %w", Magic, ErrNotProfile)
	}
	pos := len(Magic)

	segBytes, next, err := readDelimited(data, pos, 0, "DatasetSegmentHeader")
	if err != nil {
		return nil, err
	}
	var seg *whylogspb.DatasetSegmentHeader
	if len(segBytes) > 0 {
		seg = &whylogspb.DatasetSegmentHeader{}
		if err := unmarshalOpts.Unmarshal(segBytes, seg); err != nil {
			return nil, fmt.Errorf("DatasetSegmentHeader at offset %d: %w: %v", pos, ErrCorrupt, err)
		}
		if proto.Size(seg) == 0 {
			seg = nil // only default values: a plain profile
		}
	}
	pos = next

	hdrBytes, next, err := readDelimited(data, pos, 0, "DatasetProfileHeader")
	if err != nil {
		return nil, err
	}
	if len(hdrBytes) == 0 {
		return nil, fmt.Errorf("offset %d: empty DatasetProfileHeader: %w", pos, ErrCorrupt)
	}
	header := &whylogspb.DatasetProfileHeader{}
	if err := unmarshalOpts.Unmarshal(hdrBytes, header); err != nil {
		return nil, fmt.Errorf("DatasetProfileHeader at offset %d: %w: %v", pos, ErrCorrupt, err)
	}
	start := next
	rest := uint64(len(data) - start)
	if header.Length > rest {
		return nil, fmt.Errorf("chunk area at offset %d: header length %d, only %d bytes remain: %w", start, header.Length, rest, ErrTruncated)
	}
	area := data[start : start+int(header.Length)]
	if trailer := data[start+len(area):]; len(trailer) > 0 {
		want := segmentTrailer(seg)
		if !seg.GetHasSegments() || len(trailer) > len(want) || !bytes.Equal(trailer, want[:len(trailer)]) {
			return nil, fmt.Errorf("offset %d: %d unexpected bytes after the %d-byte chunk area: %w", start+len(area), len(trailer), len(area), ErrCorrupt)
		}
	}

	// Pass 1: locate every chunk and check it lies inside the area without
	// overlapping another one.
	var refs []chunkRef
	for name, co := range header.ColumnOffsets {
		for _, off := range co.GetOffsets() {
			refs = append(refs, chunkRef{column: name, offset: off})
		}
	}
	slices.SortFunc(refs, func(a, b chunkRef) int {
		if a.offset != b.offset {
			if a.offset < b.offset {
				return -1
			}
			return 1
		}
		return strings.Compare(a.column, b.column)
	})
	var prevEnd uint64
	for i := range refs {
		r := &refs[i]
		abs := uint64(start) + r.offset
		if r.offset >= uint64(len(area)) {
			return nil, fmt.Errorf("column %q: chunk offset %d (file offset %d) outside the %d-byte chunk area: %w", r.column, r.offset, abs, len(area), ErrCorrupt)
		}
		if i > 0 && r.offset < prevEnd {
			return nil, fmt.Errorf("column %q: chunk at file offset %d overlaps the previous chunk (ends at %d): %w", r.column, abs, uint64(start)+prevEnd, ErrCorrupt)
		}
		chBytes, bodyStart, err := readDelimited(area, int(r.offset), start, "ChunkHeader")
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", r.column, err)
		}
		ch := &whylogspb.ChunkHeader{}
		if err := unmarshalOpts.Unmarshal(chBytes, ch); err != nil {
			return nil, fmt.Errorf("column %q: ChunkHeader at file offset %d: %w: %v", r.column, abs, ErrCorrupt, err)
		}
		if ch.Type != whylogspb.ChunkHeader_COLUMN {
			return nil, fmt.Errorf("column %q: ChunkHeader at file offset %d has type %v, want COLUMN: %w", r.column, abs, ch.Type, ErrCorrupt)
		}
		end := uint64(bodyStart) + uint64(ch.Length)
		if end > uint64(len(area)) {
			return nil, fmt.Errorf("column %q: chunk body at file offset %d declares %d bytes, only %d remain: %w", r.column, start+bodyStart, ch.Length, len(area)-bodyStart, ErrTruncated)
		}
		r.body = area[bodyStart:end]
		r.end = end
		prevEnd = end
	}

	// Pass 2: decode the bodies.
	columns := make(map[string]*whylogspb.ColumnMessage, len(header.ColumnOffsets))
	for name := range header.ColumnOffsets {
		columns[name] = &whylogspb.ColumnMessage{}
	}
	for _, r := range refs {
		abs := start + int(r.end) - len(r.body)
		chunk := &whylogspb.ChunkMessage{}
		if err := unmarshalOpts.Unmarshal(r.body, chunk); err != nil {
			return nil, fmt.Errorf("column %q: ChunkMessage at file offset %d: %w: %v", r.column, abs, ErrCorrupt, err)
		}
		col := columns[r.column]
		if len(chunk.MetricComponents) > 0 && col.MetricComponents == nil {
			col.MetricComponents = make(map[string]*whylogspb.MetricComponentMessage, len(chunk.MetricComponents))
		}
		for idx, comp := range chunk.MetricComponents {
			path, ok := header.IndexedMetricPaths[idx]
			if !ok {
				return nil, fmt.Errorf("column %q: ChunkMessage at file offset %d uses metric index %d, not in indexed_metric_paths: %w", r.column, abs, idx, ErrCorrupt)
			}
			if _, dup := col.MetricComponents[path]; dup {
				return nil, fmt.Errorf("column %q: ChunkMessage at file offset %d repeats metric path %q: %w", r.column, abs, path, ErrCorrupt)
			}
			if comp == nil {
				comp = &whylogspb.MetricComponentMessage{}
			}
			col.MetricComponents[path] = comp
		}
	}
	return &File{Segment: seg, Header: header, Columns: columns}, nil
}

// readDelimited reads varint(n) followed by n bytes at data[pos:]. It returns
// the n bytes (aliasing data) and the position after them. Error messages
// report offsets as base+pos (data may be a window of the file at base).
func readDelimited(data []byte, pos, base int, what string) ([]byte, int, error) {
	if pos >= len(data) {
		return nil, 0, fmt.Errorf("offset %d: want the length prefix of %s, input ends: %w", base+pos, what, ErrTruncated)
	}
	n, k := protowire.ConsumeVarint(data[pos:])
	if k < 0 {
		if err := protowire.ParseError(k); err == io.ErrUnexpectedEOF {
			return nil, 0, fmt.Errorf("offset %d: length prefix of %s cut short: %w", base+pos, what, ErrTruncated)
		}
		return nil, 0, fmt.Errorf("offset %d: invalid varint length prefix of %s: %w", base+pos, what, ErrCorrupt)
	}
	body := pos + k
	if n > uint64(len(data)-body) {
		return nil, 0, fmt.Errorf("offset %d: %s declares %d bytes, only %d remain: %w", base+pos, what, n, len(data)-body, ErrTruncated)
	}
	end := body + int(n)
	return data[body:end], end, nil
}

// Format identifies the kind of a profile file.
type Format int

const (
	// FormatUnknown is neither a v1 nor a plausible v0 profile.
	FormatUnknown Format = iota
	// FormatV0 is a varint-delimited v0 DatasetProfileMessage.
	FormatV0
	// FormatV1 starts with the "WHY1" magic.
	FormatV1
)

// String returns "unknown", "v0" or "v1".
func (f Format) String() string {
	switch f {
	case FormatV0:
		return "v0"
	case FormatV1:
		return "v1"
	}
	return "unknown"
}

// DetectFormat classifies data by its first bytes, without decoding it:
// FormatV1 when it starts with "WHY1"; FormatV0 when it starts with a varint
// length prefix that covers exactly the rest of the input and the message
// starts with field 1, 2 or 10 (properties, columns, modeProfile) as a
// length-delimited field; FormatUnknown otherwise.
func DetectFormat(data []byte) Format {
	if bytes.HasPrefix(data, []byte(Magic)) {
		return FormatV1
	}
	n, k := protowire.ConsumeVarint(data)
	if k <= 0 || n == 0 || n != uint64(len(data)-k) {
		return FormatUnknown
	}
	switch data[k] {
	case 0x0a, 0x12, 0x52:
		return FormatV0
	}
	return FormatUnknown
}
