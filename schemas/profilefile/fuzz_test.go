package profilefile

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"maps"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/kprofiler/kprofiler/schemas/whylogspb"
	"github.com/kprofiler/kprofiler/schemas/whylogsv0pb"
)

func isDocumented(err error) bool {
	return errors.Is(err, ErrNotProfile) || errors.Is(err, ErrUnsupportedVersion) || errors.Is(err, ErrCorrupt)
}

// maxSeed bounds the seed size: the fuzzer mutates and minimises whole
// inputs, and the 60–800 KB golden files slow it to a crawl.
const maxSeed = 16 << 10

// addSeeds adds the golden files matching pattern; a file over maxSeed is
// added cut down (by shrink) to its smallest columns, re-encoded.
func addSeeds(f *testing.F, pattern string, shrink func([]byte) []byte) {
	names, _ := filepath.Glob(filepath.Join(testdataDir, pattern))
	if len(names) == 0 {
		f.Fatalf("no seeds for %s", pattern)
	}
	for _, n := range names {
		data := readTestdata(f, filepath.Base(n))
		if len(data) > maxSeed {
			data = shrink(data)
			if len(data) == 0 || len(data) > maxSeed {
				f.Fatalf("%s: cannot shrink the seed", n)
			}
		}
		f.Add(data)
	}
}

// smallColumns returns the smallest columns (by encoded size, then name)
// whose sizes add up to at most maxSeed/2, and at least one column.
func smallColumns[M proto.Message](cols map[string]M) map[string]bool {
	names := slices.Sorted(maps.Keys(cols))
	slices.SortStableFunc(names, func(a, b string) int { return proto.Size(cols[a]) - proto.Size(cols[b]) })
	keep := map[string]bool{}
	total := 0
	for _, name := range names {
		total += proto.Size(cols[name])
		if len(keep) > 0 && total > maxSeed/2 {
			break
		}
		keep[name] = true
	}
	return keep
}

func shrinkV1(data []byte) []byte {
	f, err := ParseV1(data)
	if err != nil {
		return nil
	}
	keep := smallColumns(f.Columns)
	maps.DeleteFunc(f.Columns, func(name string, _ *whylogspb.ColumnMessage) bool { return !keep[name] })
	b, _ := f.MarshalBinary()
	return b
}

func shrinkV0(data []byte) []byte {
	m, err := ParseV0(data)
	if err != nil {
		return nil
	}
	keep := smallColumns(m.Columns)
	maps.DeleteFunc(m.Columns, func(name string, _ *whylogsv0pb.ColumnMessage) bool { return !keep[name] })
	b, _ := AppendV0(nil, m)
	return b
}

// FuzzReadV1: ParseV1 never panics and fails only with documented errors;
// whatever it accepts writes out, reads back to the same content, and
// writes again to the same bytes.
func FuzzReadV1(f *testing.F) {
	addSeeds(f, "v1-*.bin", shrinkV1)
	f.Add([]byte("WHY1\x00\x02\x0a\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		f1, err := ParseV1(data)
		if err != nil {
			if !isDocumented(err) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		b1, err := f1.MarshalBinary()
		if err != nil {
			t.Fatalf("accepted file does not write: %v", err)
		}
		f2, err := ParseV1(b1)
		if err != nil {
			t.Fatalf("written file does not read: %v", err)
		}
		if err := sameFile(f1, f2); err != nil {
			t.Fatal(err)
		}
		b2, err := f2.MarshalBinary()
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("second write differs (%v)", err)
		}
	})
}

// FuzzReadV0: ParseV0 never panics and fails only with documented errors;
// accepted messages survive AppendV0 → ParseV0 unchanged.
func FuzzReadV0(f *testing.F) {
	addSeeds(f, "v0-*.bin", shrinkV0)
	f.Add([]byte{0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseV0(data)
		if err != nil {
			if !isDocumented(err) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		b, err := AppendV0(nil, m)
		if err != nil {
			t.Fatalf("accepted message does not write: %v", err)
		}
		m2, err := ParseV0(b)
		if err != nil {
			t.Fatalf("written message does not read: %v", err)
		}
		if !proto.Equal(m, m2) {
			t.Fatal("round trip changed the message")
		}
		if b2, _ := AppendV0(nil, m2); !bytes.Equal(b, b2) {
			t.Fatal("second write differs")
		}
	})
}
