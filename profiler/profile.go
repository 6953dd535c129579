package profiler

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// MetadataName is the metadata key holding the dataset name (whylogs
// Logger.log(name=…) writes it). Merge refuses to combine profiles whose names
// differ.
const MetadataName = "name"

// DatasetProfile is a whylogs v1 dataset profile: a dataset timestamp, a
// creation timestamp, metadata (tags are metadata keys starting with
// TagPrefix), an optional segment and the column profiles.
//
// It is pure data: the caller supplies both timestamps (no clock is read) and
// the KLL seed (Config.Seed). A DatasetProfile is not safe for concurrent use;
// the profile owns its columns.
type DatasetProfile struct {
	datasetTime  time.Time
	creationTime time.Time
	metadata     map[string]string
	segment      Segment
	columns      map[string]*Column
	set          *settings
	// seq remembers columns by the position ColumnAt was asked for them
	// (nil when a column was replaced or removed since).
	seq []*Column
}

// NewDatasetProfile returns an empty profile. Both timestamps are required;
// whylogs stores them as epoch milliseconds (UTC).
func NewDatasetProfile(datasetTimestamp, creationTimestamp time.Time, cfg Config) (*DatasetProfile, error) {
	if datasetTimestamp.IsZero() || creationTimestamp.IsZero() {
		return nil, fmt.Errorf("profiler: dataset timestamp %v and creation timestamp %v must both be set: %w",
			datasetTimestamp, creationTimestamp, ErrInvalidArgument)
	}
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	return &DatasetProfile{
		datasetTime:  datasetTimestamp.UTC(),
		creationTime: creationTimestamp.UTC(),
		metadata:     map[string]string{},
		columns:      map[string]*Column{},
		set:          s,
	}, nil
}

// DatasetTimestamp returns the time the data belongs to (for windowed
// profiles, the window start).
func (p *DatasetProfile) DatasetTimestamp() time.Time { return p.datasetTime }

// CreationTimestamp returns the time the profile was created.
func (p *DatasetProfile) CreationTimestamp() time.Time { return p.creationTime }

// SetDatasetTimestamp sets the dataset timestamp (converted to UTC).
func (p *DatasetProfile) SetDatasetTimestamp(t time.Time) { p.datasetTime = t.UTC() }

// Metadata returns a copy of the metadata, tags included.
func (p *DatasetProfile) Metadata() map[string]string { return maps.Clone(p.metadata) }

// SetMetadata sets one metadata entry. A key starting with TagPrefix is a tag.
func (p *DatasetProfile) SetMetadata(key, value string) { p.metadata[key] = value }

// DeleteMetadata removes one metadata entry.
func (p *DatasetProfile) DeleteMetadata(key string) { delete(p.metadata, key) }

// SetTag sets the dataset tag key (stored as metadata TagPrefix+key, written
// into DatasetProperties.tags). A key that already has the prefix is used as is.
func (p *DatasetProfile) SetTag(key, value string) {
	if !strings.HasPrefix(key, TagPrefix) {
		key = TagPrefix + key
	}
	p.metadata[key] = value
}

// Tags returns the dataset tags, keys without TagPrefix.
func (p *DatasetProfile) Tags() map[string]string {
	t := map[string]string{}
	for k, v := range p.metadata {
		if rest, ok := strings.CutPrefix(k, TagPrefix); ok {
			t[rest] = v
		}
	}
	return t
}

// Name returns the dataset name (metadata MetadataName), "" if unset.
func (p *DatasetProfile) Name() string { return p.metadata[MetadataName] }

// SetName sets the dataset name.
func (p *DatasetProfile) SetName(name string) { p.metadata[MetadataName] = name }

// Segment returns the profile's segment (the zero Segment when unsegmented).
func (p *DatasetProfile) Segment() Segment { return p.segment.Clone() }

// SetSegment makes the profile a segmented profile of seg.
func (p *DatasetProfile) SetSegment(seg Segment) { p.segment = seg.Clone() }

// Column returns the named column, creating it (with no type yet, unless
// Config.Types declares one) if the profile does not have it. Callers on the
// hot path keep the returned pointer and call its typed Update methods.
func (p *DatasetProfile) Column(name string) *Column {
	c := p.columns[name]
	if c == nil {
		c = newColumn(name, p.set)
		p.columns[name] = c
	}
	return c
}

// ColumnAt returns Column(name), remembering it as the i-th column: the next
// ColumnAt(i, name) with the same name skips the column map (a slice index
// and a string compare, a pointer compare for interned names). It is for
// decoders that report the fields of each record in a stable order; i is
// the field's position in its record (0 ≤ i; positions beyond 1024 are not
// remembered).
func (p *DatasetProfile) ColumnAt(i int, name string) *Column {
	// Inlined fast path: the same interned name as last time.
	if uint(i) < uint(len(p.seq)) {
		if c := p.seq[i]; c != nil && sameString(c.name, name) {
			return c
		}
	}
	return p.columnAt(i, name)
}

// AppendColumnsAt appends ColumnAt(i, name) of each profile in ps to dst
// and returns it: the columns that log one field of a record going to
// several profiles.
func AppendColumnsAt(dst Columns, ps []*DatasetProfile, i int, name string) Columns {
	for _, p := range ps {
		if uint(i) < uint(len(p.seq)) {
			if c := p.seq[i]; c != nil && sameString(c.name, name) {
				dst = append(dst, c)
				continue
			}
		}
		dst = append(dst, p.columnAt(i, name))
	}
	return dst
}

// sameString reports whether a and b are the same string header (same
// bytes at the same address): equal strings without comparing bytes.
func sameString(a, b string) bool {
	return *(*[2]uintptr)(unsafe.Pointer(&a)) == *(*[2]uintptr)(unsafe.Pointer(&b))
}

func (p *DatasetProfile) columnAt(i int, name string) *Column {
	if i < len(p.seq) {
		if c := p.seq[i]; c != nil && c.name == name {
			return c
		}
		c := p.Column(name)
		p.seq[i] = c
		return c
	}
	c := p.Column(name)
	if i <= maxColumnSeq {
		if i >= cap(p.seq) {
			p.seq = append(p.seq[:cap(p.seq)], make([]*Column, i+1-cap(p.seq))...)
		}
		p.seq = p.seq[:i+1]
		p.seq[i] = c
	}
	return c
}

// maxColumnSeq bounds the positions ColumnAt remembers.
const maxColumnSeq = 1024

// Lookup returns the named column if the profile has it.
func (p *DatasetProfile) Lookup(name string) (*Column, bool) {
	c, ok := p.columns[name]
	return c, ok
}

// ColumnNames returns the column names in sorted order.
func (p *DatasetProfile) ColumnNames() []string {
	return slices.Sorted(maps.Keys(p.columns))
}

// Track logs one row: each key's value goes to the column of that name
// (whylogs DatasetProfile.track(row=…)). Keys absent from the row update
// nothing; they are not nulls.
func (p *DatasetProfile) Track(row map[string]any) {
	for k, v := range row {
		p.Column(k).Update(v)
	}
}

// IsEmpty reports whether no value has been logged.
func (p *DatasetProfile) IsEmpty() bool {
	for _, c := range p.columns {
		if c.m.counts.n > 0 || len(c.subs) > 0 || len(c.extra) > 0 {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of p.
func (p *DatasetProfile) Clone() *DatasetProfile {
	c := *p
	c.metadata = maps.Clone(p.metadata)
	c.segment = p.segment.Clone()
	c.columns = make(map[string]*Column, len(p.columns))
	for k, col := range p.columns {
		c.columns[k] = col.clone()
	}
	c.seq = nil
	return &c
}

func (c *Column) clone() *Column {
	n := *c
	n.m = c.m.clone()
	n.subs = make([]subMetrics, len(c.subs))
	for i, s := range c.subs {
		n.subs[i] = subMetrics{prefix: s.prefix, m: s.m.clone()}
	}
	n.extra = make([]Component, len(c.extra))
	for i, e := range c.extra {
		n.extra[i] = cloneComponent(e)
	}
	return &n
}

// MergeOptions relax the identity checks of Merge.
type MergeOptions struct {
	// IgnoreDataset merges profiles whose dataset names differ.
	IgnoreDataset bool
	// IgnoreSegment merges profiles of different segments (the receiver keeps
	// its segment).
	IgnoreSegment bool
}

// Merge merges o into p, as whylogs' DatasetProfileView.merge does: columns
// are the union of both sides and merge metric by metric (counts, types and
// ints exactly; mean and m2 with Chan's parallel formula; KLL, HLL and frequent
// items as DataSketches merges them), both timestamps become the earlier of
// the two, and metadata entries of o overwrite p's.
//
// Merge returns an error wrapping ErrMismatch, naming both values, when the
// profiles have different dataset names or different segments, unless opts
// says to ignore that. On any error p is unchanged. o is never modified.
func (p *DatasetProfile) Merge(o *DatasetProfile, opts MergeOptions) error {
	if !opts.IgnoreDataset && p.Name() != o.Name() {
		return fmt.Errorf("profiler: merging profile of dataset %q into dataset %q: %w", o.Name(), p.Name(), ErrMismatch)
	}
	if !opts.IgnoreSegment && !p.segment.Equal(o.segment) {
		return fmt.Errorf("profiler: merging profile of segment %q (partition %.12s) into segment %q (partition %.12s): %w",
			o.segment.String(), o.segment.PartitionID, p.segment.String(), p.segment.PartitionID, ErrMismatch)
	}
	cols := make(map[string]*Column, len(p.columns)+len(o.columns))
	for name, c := range p.columns {
		oc, ok := o.columns[name]
		if !ok {
			cols[name] = c // unchanged columns are shared until the swap below
			continue
		}
		m, err := c.merge(oc, p.set)
		if err != nil {
			return err
		}
		cols[name] = m
	}
	for name, oc := range o.columns {
		if _, ok := p.columns[name]; !ok {
			n := oc.clone()
			n.set = p.set
			cols[name] = n
		}
	}
	p.columns = cols
	p.seq = nil
	p.datasetTime = earlier(p.datasetTime, o.datasetTime)
	p.creationTime = earlier(p.creationTime, o.creationTime)
	maps.Copy(p.metadata, o.metadata)
	return nil
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// merge returns the merge of c and o (neither is modified).
func (c *Column) merge(o *Column, s *settings) (*Column, error) {
	n := &Column{name: c.name, typ: c.typ, set: s}
	if n.typ == TypeUnknown {
		n.typ = o.typ
	}
	m, err := c.m.merge(&o.m)
	if err != nil {
		return nil, fmt.Errorf("profiler: merging column %q: %w", c.name, err)
	}
	n.m = m
	// Sub-metrics: union by prefix, merged where both have one.
	i, j := 0, 0
	for i < len(c.subs) || j < len(o.subs) {
		switch {
		case j >= len(o.subs) || (i < len(c.subs) && c.subs[i].prefix < o.subs[j].prefix):
			n.subs = append(n.subs, subMetrics{c.subs[i].prefix, c.subs[i].m.clone()})
			i++
		case i >= len(c.subs) || o.subs[j].prefix < c.subs[i].prefix:
			n.subs = append(n.subs, subMetrics{o.subs[j].prefix, o.subs[j].m.clone()})
			j++
		default:
			sm, err := c.subs[i].m.merge(&o.subs[j].m)
			if err != nil {
				return nil, fmt.Errorf("profiler: merging column %q, %s: %w", c.name, c.subs[i].prefix, err)
			}
			n.subs = append(n.subs, subMetrics{c.subs[i].prefix, sm})
			i++
			j++
		}
	}
	if n.extra, err = mergeExtra(c.extra, o.extra, s); err != nil {
		return nil, fmt.Errorf("profiler: merging column %q: %w", c.name, err)
	}
	return n, nil
}

// Components returns every column's components, columns in sorted name order
// (the order whylogs writes column chunks in). A column that has no metrics
// yet (created by Column but never updated) is left out, since whylogs only
// creates columns for data it has seen.
func (p *DatasetProfile) Components() ([]ColumnComponents, error) {
	names := p.ColumnNames()
	out := make([]ColumnComponents, 0, len(names))
	for _, name := range names {
		comps, err := p.columns[name].Components()
		if err != nil {
			return nil, err
		}
		if len(comps) == 0 {
			continue
		}
		out = append(out, ColumnComponents{Name: name, Components: comps})
	}
	return out, nil
}

// SetColumnComponents replaces (or adds) the named column with one built from
// components, as read from a file. See Column.Components for the form. On
// error the profile is unchanged.
func (p *DatasetProfile) SetColumnComponents(name string, comps []Component) error {
	c, err := columnFromComponents(name, comps, p.set)
	if err != nil {
		return err
	}
	p.columns[name] = c
	p.seq = nil
	return nil
}

// FileProperties are the DatasetProperties and segment header values of a v1
// file, in the form whylogs writes them.
type FileProperties struct {
	// DatasetTimestamp and CreationTimestamp are epoch milliseconds.
	DatasetTimestamp, CreationTimestamp int64
	// Tags and Metadata are DatasetProperties.tags and .metadata.
	Tags, Metadata map[string]string
	// SegmentTags are the tags of the single Segment in the
	// DatasetSegmentHeader, keys with TagPrefix, in order; nil when the
	// profile is not segmented.
	SegmentTags []SegmentTag
}

// FileProperties returns the properties to write, following whylogs:
//   - unsegmented (DatasetProfileView._do_write): metadata keys with TagPrefix
//     go to Tags, the others to Metadata;
//   - segmented (SegmentedDatasetProfileView._write_v1): Tags and SegmentTags
//     are the segment tags (TagPrefix + key), Metadata is the segp_* entries
//     overwritten by the whole profile metadata.
func (p *DatasetProfile) FileProperties() FileProperties {
	fp := FileProperties{
		DatasetTimestamp:  p.datasetTime.UnixMilli(),
		CreationTimestamp: p.creationTime.UnixMilli(),
		Tags:              map[string]string{},
		Metadata:          map[string]string{},
	}
	if p.segment.IsZero() {
		for k, v := range p.metadata {
			if strings.HasPrefix(k, TagPrefix) {
				fp.Tags[k] = v
			} else {
				fp.Metadata[k] = v
			}
		}
		return fp
	}
	fp.Metadata = p.segment.metadata()
	maps.Copy(fp.Metadata, p.metadata)
	fp.SegmentTags = make([]SegmentTag, 0, len(p.segment.Tags))
	for _, t := range p.segment.Tags {
		st := SegmentTag{Key: TagPrefix + t.Key, Value: t.Value}
		fp.SegmentTags = append(fp.SegmentTags, st)
		fp.Tags[st.Key] = st.Value
	}
	return fp
}

// SetFileProperties sets the timestamps, metadata and segment from properties
// read from a file. Unsegmented: tags and metadata merge into the metadata
// (metadata wins on a key collision, as whylogs' reader does). Segmented: the
// segment is rebuilt from SegmentTags and the segp_* metadata, which (with the
// properties tags repeating the segment tags) are not kept as metadata, so
// that writing the profile again gives the same properties.
func (p *DatasetProfile) SetFileProperties(fp FileProperties) {
	p.datasetTime = time.UnixMilli(fp.DatasetTimestamp).UTC()
	p.creationTime = time.UnixMilli(fp.CreationTimestamp).UTC()
	md := map[string]string{}
	var seg Segment
	segTags := map[string]string{}
	if len(fp.SegmentTags) > 0 {
		for _, t := range fp.SegmentTags {
			segTags[t.Key] = t.Value
			seg.Tags = append(seg.Tags, SegmentTag{Key: strings.TrimPrefix(t.Key, TagPrefix), Value: t.Value})
		}
		seg.PartitionID = fp.Metadata[MetaSegmentPartitionID]
		seg.PartitionName = fp.Metadata[MetaSegmentPartitionName]
		seg.Filter = fp.Metadata[MetaSegmentFilter]
		if c, ok := fp.Metadata[MetaSegmentColumn]; ok {
			seg.Columns = []string{c}
		} else if cs, ok := parseSegpCols(fp.Metadata[MetaSegmentColumns]); ok {
			seg.Columns = cs
		}
	}
	for k, v := range fp.Tags {
		if sv, ok := segTags[k]; ok && sv == v {
			continue
		}
		md[k] = v
	}
	for k, v := range fp.Metadata {
		if len(fp.SegmentTags) > 0 {
			switch k {
			case MetaSegmentPartitionID, MetaSegmentPartitionName, MetaSegmentFilter, MetaSegmentColumn, MetaSegmentColumns:
				continue
			}
		}
		md[k] = v
	}
	p.metadata = md
	p.segment = seg
}

// DeleteColumn removes the named column (whylogs' DatasetSchema has no
// equivalent; it is here for readers and tools that drop columns).
func (p *DatasetProfile) DeleteColumn(name string) {
	delete(p.columns, name)
	p.seq = nil
}
