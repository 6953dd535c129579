package sink

import (
	"fmt"
	"strconv"
	"time"
)

// Names of the descriptive fields written as object metadata (blob) and as
// record headers (Kafka). They are lower-case snake_case so that every store
// accepts them (Azure metadata names must be identifiers; gocloud lower-cases
// metadata keys).
const (
	FieldDataset     = "dataset"
	FieldWindowStart = "window_start_ms"
	FieldWindowEnd   = "window_end_ms"
	FieldSegment     = "segment"
	FieldTopic       = "source_topic"
	FieldPartition   = "source_partition"
	FieldFirstOffset = "first_offset"
	FieldLastOffset  = "last_offset"
	FieldKind        = "kind"
	FieldVersion     = "kprofiler_version"
)

// Field is one descriptive name/value pair.
type Field struct {
	Name, Value string
}

// Fields returns the descriptive fields of p in a fixed order. Every value is
// printable ASCII: the dataset and topic are Escape'd, the segment is the
// unshortened escaped "k=v,k=v" form (AllSegment when empty), times are UTC
// epoch milliseconds, numbers are decimal.
func (p *Profile) Fields() []Field {
	seg := AllSegment
	if len(p.Segment) > 0 {
		seg = segmentString(p.Segment)
	}
	return []Field{
		{FieldDataset, Escape(p.Dataset)},
		{FieldWindowStart, strconv.FormatInt(p.WindowStart.UnixMilli(), 10)},
		{FieldWindowEnd, strconv.FormatInt(p.WindowEnd.UnixMilli(), 10)},
		{FieldSegment, seg},
		{FieldTopic, Escape(p.Topic)},
		{FieldPartition, strconv.FormatInt(int64(p.Partition), 10)},
		{FieldFirstOffset, strconv.FormatInt(p.FirstOffset, 10)},
		{FieldLastOffset, strconv.FormatInt(p.LastOffset, 10)},
		{FieldKind, p.Kind.String()},
		{FieldVersion, Escape(p.Version)},
	}
}

// ParseFields rebuilds the descriptive fields of a profile from what Fields
// wrote (in any order; unknown names are ignored). Key and Value are left
// empty. A missing or malformed field is an error wrapping
// ErrInvalidArgument.
func ParseFields(fields []Field) (Profile, error) {
	var p Profile
	got := map[string]string{}
	for _, f := range fields {
		got[f.Name] = f.Value
	}
	need := func(name string) (string, error) {
		v, ok := got[name]
		if !ok {
			return "", fmt.Errorf("sink: parse fields: missing %q: %w", name, ErrInvalidArgument)
		}
		return v, nil
	}
	num := func(name string, bits int) (int64, error) {
		v, err := need(name)
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(v, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("sink: parse fields: %s=%q: %w", name, v, ErrInvalidArgument)
		}
		return n, nil
	}
	esc := func(name string) (string, error) {
		v, err := need(name)
		if err != nil {
			return "", err
		}
		return Unescape(v)
	}
	var err error
	if p.Dataset, err = esc(FieldDataset); err != nil {
		return Profile{}, err
	}
	if p.Topic, err = esc(FieldTopic); err != nil {
		return Profile{}, err
	}
	if p.Version, err = esc(FieldVersion); err != nil {
		return Profile{}, err
	}
	ws, err := num(FieldWindowStart, 64)
	if err != nil {
		return Profile{}, err
	}
	we, err := num(FieldWindowEnd, 64)
	if err != nil {
		return Profile{}, err
	}
	p.WindowStart, p.WindowEnd = time.UnixMilli(ws).UTC(), time.UnixMilli(we).UTC()
	part, err := num(FieldPartition, 32)
	if err != nil {
		return Profile{}, err
	}
	p.Partition = int32(part)
	if p.FirstOffset, err = num(FieldFirstOffset, 64); err != nil {
		return Profile{}, err
	}
	if p.LastOffset, err = num(FieldLastOffset, 64); err != nil {
		return Profile{}, err
	}
	seg, err := need(FieldSegment)
	if err != nil {
		return Profile{}, err
	}
	if p.Segment, err = ParseSegment(seg); err != nil {
		return Profile{}, err
	}
	kind, err := need(FieldKind)
	if err != nil {
		return Profile{}, err
	}
	if p.Kind, err = ParseKind(kind); err != nil {
		return Profile{}, err
	}
	return p, nil
}
