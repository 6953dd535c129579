package crash

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

// Stored is one published profile as read back from a sink.
type Stored struct {
	Key   string // object key or record key
	Value []byte // the whylogs v1 profile
}

// IsProfileKey reports whether an object key is a published profile (a
// ".bin" object outside the sink's own "_kprofiler/" bookkeeping, e.g. the
// blob journal).
func IsProfileKey(key string) bool {
	return strings.HasSuffix(key, ".bin") && !strings.HasPrefix(key, "_kprofiler/") && !strings.Contains(key, "/_kprofiler/")
}

// ReadDir returns every profile object below a file sink's root directory.
func ReadDir(root string) ([]Stored, error) {
	var out []Stored
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !IsProfileKey(key) {
			return nil
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed since the walk listed it (a reconcile)
		}
		if err != nil {
			return err
		}
		out = append(out, Stored{Key: key, Value: b})
		return nil
	})
	return out, err
}

// Merged is the result of merging published profiles per segment.
type Merged struct {
	Profiles int
	// Segments maps the segment (Segment.String(); "" is the full dataset) to
	// the merge of all its profiles (all windows, partitions, partials).
	Segments map[string]*profiler.DatasetProfile
	// Partitions maps a source partition to the number of full-dataset
	// profiles published for it.
	Partitions map[int32]int
}

// Merge reads every profile, checks it belongs to dataset and merges the
// profiles of each segment with profiler.DatasetProfile.Merge.
func Merge(ps []Stored, dataset string) (*Merged, error) {
	m := &Merged{Segments: map[string]*profiler.DatasetProfile{}, Partitions: map[int32]int{}}
	// Key order: the merge result does not depend on it for counts, but a
	// fixed order keeps the sketches' bytes reproducible.
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b Stored) int { return strings.Compare(a.Key, b.Key) })
	for _, s := range ps {
		dp, _, err := whylogs.Read(s.Value)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", s.Key, err)
		}
		if dp.Name() != dataset {
			return nil, fmt.Errorf("profile %s: dataset %q, want %q", s.Key, dp.Name(), dataset)
		}
		m.Profiles++
		seg := dp.Segment().String()
		if seg == "" {
			meta := dp.Metadata()[profiler.MetaPartition] // "topic/partition"
			if p, err := strconv.Atoi(meta[strings.LastIndexByte(meta, '/')+1:]); err == nil {
				m.Partitions[int32(p)]++
			}
		}
		acc := m.Segments[seg]
		if acc == nil {
			m.Segments[seg] = dp
			continue
		}
		if err := acc.Merge(dp, profiler.MergeOptions{}); err != nil {
			return nil, fmt.Errorf("merging %s into segment %q: %w", s.Key, seg, err)
		}
	}
	return m, nil
}

// PartitionRecords sums counts/n of the first column over the full-dataset
// profiles of each source partition (metadata kprofiler.partition): how
// many records of each partition the sink holds (replayed duplicates count
// again).
func PartitionRecords(ps []Stored, dataset string) (map[int32]int64, error) {
	out := map[int32]int64{}
	for _, s := range ps {
		dp, _, err := whylogs.Read(s.Value)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", s.Key, err)
		}
		if dp.Name() != dataset || !dp.Segment().IsZero() {
			continue
		}
		meta := dp.Metadata()[profiler.MetaPartition] // "topic/partition"
		p, err := strconv.Atoi(meta[strings.LastIndexByte(meta, '/')+1:])
		if err != nil {
			return nil, fmt.Errorf("profile %s: partition metadata %q", s.Key, meta)
		}
		out[int32(p)] += Counts(dp)[Columns[0]]
	}
	return out, nil
}

// Counts returns counts/n of every column of a profile.
func Counts(dp *profiler.DatasetProfile) map[string]int64 {
	out := map[string]int64{}
	for _, name := range dp.ColumnNames() {
		col, _ := dp.Lookup(name)
		if v, ok := col.Summary().Lookup("counts/n"); ok {
			out[name] = v.Int
		}
	}
	return out
}

// Check compares the merged profiles with what the generator produced: the
// full-dataset profile and every country segment must have counts/n equal to
// the valid events (of that country) in every column, and there must be no
// other segment. It returns one line per mismatch.
func (m *Merged) Check(g *Gen) []string {
	var bad []string
	want := map[string]int{"": g.Valid}
	for c, n := range g.ByCountry {
		want["country="+c] = n
	}
	for _, seg := range slices.Sorted(maps.Keys(m.Segments)) {
		if _, ok := want[seg]; !ok {
			bad = append(bad, fmt.Sprintf("unexpected segment %q", seg))
		}
	}
	for _, seg := range slices.Sorted(maps.Keys(want)) {
		name := seg
		if name == "" {
			name = "full dataset"
		}
		dp := m.Segments[seg]
		if dp == nil {
			bad = append(bad, fmt.Sprintf("%s: no profile (want %d events)", name, want[seg]))
			continue
		}
		got := Counts(dp)
		w := int64(want[seg])
		var wrong []string
		same := true
		for _, col := range Columns {
			if got[col] != w {
				wrong = append(wrong, fmt.Sprintf("column %s: counts/n %d, want %d (%+d)", col, got[col], w, got[col]-w))
			}
			same = same && got[col] == got[Columns[0]]
		}
		switch {
		case len(wrong) == 0:
		case same:
			n := got[Columns[0]]
			bad = append(bad, fmt.Sprintf("%s: counts/n %d in every column, want %d (%+d)", name, n, w, n-w))
		default:
			for _, l := range wrong {
				bad = append(bad, name+": "+l)
			}
		}
		for _, col := range slices.Sorted(maps.Keys(got)) {
			if !slices.Contains(Columns, col) {
				bad = append(bad, fmt.Sprintf("%s: unexpected column %s", name, col))
			}
		}
	}
	return bad
}
