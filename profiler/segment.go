package profiler

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// TagPrefix marks a metadata key as a dataset tag: whylogs writes metadata keys
// that start with it into DatasetProperties.tags, and segment tags are written
// as TagPrefix + column name.
const TagPrefix = "whylogs.tag."

// Metadata keys whylogs writes for a segmented profile
// (migration/converters.py _generate_segment_tags_metadata).
const (
	MetaSegmentPartitionID   = "segp_id"
	MetaSegmentPartitionName = "segp_name"
	MetaSegmentFilter        = "segp_filter"
	MetaSegmentColumn        = "segp_col"
	MetaSegmentColumns       = "segp_cols"
)

// SegmentTag is one key/value pair of a segment. Key is the column (or
// explicit key) name without TagPrefix.
type SegmentTag struct {
	Key, Value string
}

// Segment identifies the slice of a dataset a segmented profile covers: the
// segmentation partition (whylogs SegmentationPartition: a name, the columns
// it splits on and an optional filter) and the segment's tag values. The zero
// Segment means "not segmented" (the full dataset).
type Segment struct {
	// PartitionName is whylogs' partition name (segp_name), e.g. "category" or
	// "col1,location".
	PartitionName string
	// PartitionID is the partition id (segp_id). NewSegment computes it as
	// whylogs does; profiles read from files keep the id they carry.
	PartitionID string
	// Columns are the partition's mapper columns, in partition order.
	Columns []string
	// Filter is the partition filter's source or query text; "" for none.
	Filter string
	// Tags are the segment key: one tag per mapper column (in Columns order),
	// then explicit key/value pairs sorted by key.
	Tags []SegmentTag
}

// PartitionID returns whylogs' id of a column-based segmentation partition:
// sha512_hex(filter + sha512_hex(join(sorted(columns), ","))). Segmentation
// with a custom map function is not supported (whylogs cannot write it either).
func PartitionID(columns []string, filter string) string {
	cols := slices.Clone(columns)
	slices.Sort(cols)
	mapper := sha512.Sum512([]byte(strings.Join(cols, ",")))
	id := sha512.Sum512([]byte(filter + hex.EncodeToString(mapper[:])))
	return hex.EncodeToString(id[:])
}

// NewSegment returns the segment of a column-based partition. values holds one
// value per column (whylogs uses str(value) of the group key); explicit holds
// optional extra key/value pairs (whylogs segment_key_values), appended sorted
// by key. name is the partition name; "" means the columns joined with ",".
func NewSegment(name string, columns []string, filter string, values []string, explicit ...SegmentTag) (Segment, error) {
	if len(columns) == 0 {
		return Segment{}, fmt.Errorf("profiler: segment without partition columns: %w", ErrInvalidArgument)
	}
	if len(values) != len(columns) {
		return Segment{}, fmt.Errorf("profiler: segment on %d columns %q has %d values: %w", len(columns), columns, len(values), ErrInvalidArgument)
	}
	if name == "" {
		name = strings.Join(columns, ",")
	}
	s := Segment{
		PartitionName: name,
		PartitionID:   PartitionID(columns, filter),
		Columns:       slices.Clone(columns),
		Filter:        filter,
	}
	for i, c := range columns {
		s.Tags = append(s.Tags, SegmentTag{Key: c, Value: values[i]})
	}
	ex := slices.Clone(explicit)
	slices.SortStableFunc(ex, func(a, b SegmentTag) int { return strings.Compare(a.Key, b.Key) })
	s.Tags = append(s.Tags, ex...)
	seen := map[string]bool{}
	for _, t := range s.Tags {
		if seen[t.Key] {
			return Segment{}, fmt.Errorf("profiler: segment key %q appears twice: %w", t.Key, ErrInvalidArgument)
		}
		seen[t.Key] = true
	}
	return s, nil
}

// IsZero reports whether s is the zero Segment (an unsegmented profile).
func (s Segment) IsZero() bool {
	return s.PartitionName == "" && s.PartitionID == "" && len(s.Columns) == 0 && s.Filter == "" && len(s.Tags) == 0
}

// Equal reports whether s and o are the same segment of the same partition.
func (s Segment) Equal(o Segment) bool {
	return s.PartitionName == o.PartitionName && s.PartitionID == o.PartitionID &&
		slices.Equal(s.Columns, o.Columns) && s.Filter == o.Filter && slices.Equal(s.Tags, o.Tags)
}

// String returns a readable, deterministic form such as
// "col1=segment4,location=location1" ("" for the zero segment).
func (s Segment) String() string {
	var b strings.Builder
	for i, t := range s.Tags {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t.Key)
		b.WriteByte('=')
		b.WriteString(t.Value)
	}
	return b.String()
}

// Clone returns a deep copy of s.
func (s Segment) Clone() Segment {
	s.Columns = slices.Clone(s.Columns)
	s.Tags = slices.Clone(s.Tags)
	return s
}

// metadata returns the segp_* metadata whylogs writes for the segment.
func (s Segment) metadata() map[string]string {
	m := map[string]string{
		MetaSegmentPartitionID:   s.PartitionID,
		MetaSegmentPartitionName: s.PartitionName,
	}
	if s.Filter != "" {
		m[MetaSegmentFilter] = s.Filter
	}
	if len(s.Columns) == 1 {
		m[MetaSegmentColumn] = s.Columns[0]
	} else if len(s.Columns) > 1 {
		var b strings.Builder
		for _, c := range s.Columns {
			b.WriteString("(" + c + ")")
		}
		m[MetaSegmentColumns] = b.String()
	}
	return m
}

// parseSegpCols parses "(c1)(c2)…".
func parseSegpCols(v string) ([]string, bool) {
	if len(v) < 2 || v[0] != '(' || v[len(v)-1] != ')' {
		return nil, false
	}
	return strings.Split(v[1:len(v)-1], ")("), true
}

// SegmentValue formats a segment key value the way whylogs does, with
// Python's str(): nil → "None", booleans → "True"/"False", integers in
// decimal, floats as Python's repr (shortest round-trip digits, "1.0",
// "1e+16", "1e-05", "nan", "inf"), strings unchanged, anything else with
// fmt's %v. Pointers are followed.
func SegmentValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return pythonFloat(x)
	case float32:
		return pythonFloat(float64(x))
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return string(x)
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return pythonFloat(f)
		}
		return string(x)
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return "None"
		}
		return SegmentValue(rv.Elem().Interface())
	case reflect.Bool:
		return SegmentValue(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return pythonFloat(rv.Float())
	case reflect.String:
		return rv.String()
	}
	return fmt.Sprint(v)
}

// pythonFloat formats f as Python's repr(float): the shortest digits that
// round-trip, positional for decimal exponents in [-4, 16), else scientific
// with a sign and at least two exponent digits.
func pythonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // e.g. "-1.2345e+06"
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	neg := strings.HasPrefix(mant, "-")
	digits := strings.Replace(strings.TrimPrefix(mant, "-"), ".", "", 1)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if exp >= -4 && exp < 16 {
		switch {
		case exp < 0:
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -exp-1))
			b.WriteString(digits)
		case len(digits) > exp+1:
			b.WriteString(digits[:exp+1])
			b.WriteByte('.')
			b.WriteString(digits[exp+1:])
		default:
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", exp+1-len(digits)))
			b.WriteString(".0")
		}
		return b.String()
	}
	b.WriteByte(digits[0])
	if len(digits) > 1 {
		b.WriteByte('.')
		b.WriteString(digits[1:])
	}
	b.WriteByte('e')
	if exp < 0 {
		b.WriteByte('-')
		exp = -exp
	} else {
		b.WriteByte('+')
	}
	if exp < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(exp))
	return b.String()
}
