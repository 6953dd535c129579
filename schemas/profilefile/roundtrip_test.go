package profilefile

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kprofiler/kprofiler/schemas/whylogspb"
)

// TestRewriteMatchesWhylogsLayout re-writes every whylogs v1 file and checks
// that the result has whylogs' exact layout: same length, same segment and
// profile header sizes, same chunk headers and offsets, same trailer, and
// messages that are byte-identical once map entries are put in one order.
//
// Exact byte equality is impossible for these inputs: whylogs serialises
// with Python's non-deterministic SerializeToString, so map entries come out
// in insertion order (2022-05/06 files: tags {orgId, datasetId}; chunk
// entries in metric order counts/n, counts/null, types/…) or hash order
// (files from 2022-08 on), while we sort them by key (deterministic
// marshalling). The test asserts that this is the only difference.
func TestRewriteMatchesWhylogsLayout(t *testing.T) {
	for _, name := range v1Names(t) {
		t.Run(name, func(t *testing.T) {
			in := readTestdata(t, name)
			f, err := ParseV1(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := f.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(in) {
				t.Fatalf("rewrite has %d bytes, want %d", len(out), len(in))
			}
			if err := sameUpToMapOrder(in, out); err != nil {
				t.Fatal(err)
			}
			// The only difference is map order: sorting the input's maps
			// gives our canonical form, so a second write is byte-exact.
			g, err := ParseV1(out)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(g.Header, f.Header) {
				t.Errorf("re-read header differs from the original header")
			}
			t.Logf("byte-identical to the whylogs file: %v", bytes.Equal(in, out))
		})
	}
}

// TestSegmentedHeaderFromTags builds whylogs' segment header from the tags
// alone and compares it with the bytes whylogs wrote.
func TestSegmentedHeaderFromTags(t *testing.T) {
	expected := loadExpected(t)
	n := 0
	for name, exp := range expected {
		if len(exp.Segments) != 1 {
			continue
		}
		n++
		var tags []*whylogspb.SegmentTag
		for _, kv := range exp.Segments[0] {
			tags = append(tags, &whylogspb.SegmentTag{Key: kv[0], Value: kv[1]})
		}
		got, err := marshalOpts.Marshal(NewSegmentHeader(tags...))
		if err != nil {
			t.Fatal(err)
		}
		if h := hex.EncodeToString(got); h != exp.SegmentHeaderHex {
			t.Errorf("%s: segment header\n got %s\nwant %s", name, h, exp.SegmentHeaderHex)
		}
	}
	if n != 2 {
		t.Fatalf("%d segmented files checked, want 2", n)
	}
}

// TestSegmentTrailer checks the bytes whylogs' segmented writer leaves after
// the chunk area: the probe 08 08 01 2a 04 08 00 10 00, cut by its 1024-byte
// copy loop.
func TestSegmentTrailer(t *testing.T) {
	probe := segmentTrailer(NewSegmentHeader(&whylogspb.SegmentTag{Key: "k", Value: "v"}))
	if h := hex.EncodeToString(probe); h != "080801"+"2a0408001000" {
		t.Fatalf("probe %s", h)
	}
	for _, tc := range []struct{ area, want int }{
		{0, 0}, {1, 9}, {1015, 9}, {1016, 8}, {1023, 1}, {1024, 0}, {2048, 0},
		{2371, 9}, {4082, 9}, {3071, 1}, {3072, 0},
	} {
		if got := len(copiedTrailer(probe, tc.area)); got != tc.want {
			t.Errorf("area %d: %d trailer bytes, want %d", tc.area, got, tc.want)
		}
	}
}

// TestReadWriteRead: parse → write → parse gives the same File, and writing
// that again gives the same bytes.
func TestReadWriteRead(t *testing.T) {
	for _, name := range v1Names(t) {
		t.Run(name, func(t *testing.T) {
			f1, err := ParseV1(readTestdata(t, name))
			if err != nil {
				t.Fatal(err)
			}
			b1, err := f1.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			f2, err := ParseV1(b1)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameFile(f1, f2); err != nil {
				t.Fatal(err)
			}
			b2, err := f2.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b1, b2) {
				t.Fatal("second write differs from the first")
			}
		})
	}
}

// sameFile compares the content of two Files: segment header, properties
// and columns (the header's offsets, length and metric index are layout,
// recomputed by every write).
func sameFile(a, b *File) error {
	emptySeg := &whylogspb.DatasetSegmentHeader{}
	segA, segB := a.Segment, b.Segment
	if segA == nil {
		segA = emptySeg
	}
	if segB == nil {
		segB = emptySeg
	}
	if !proto.Equal(segA, segB) {
		return fmt.Errorf("segment headers differ: %v vs %v", a.Segment, b.Segment)
	}
	emptyProps := &whylogspb.DatasetProperties{}
	pa, pb := a.Properties(), b.Properties()
	if pa == nil {
		pa = emptyProps
	}
	if pb == nil {
		pb = emptyProps
	}
	if !proto.Equal(pa, pb) {
		return fmt.Errorf("properties differ: %v vs %v", pa, pb)
	}
	if len(a.Columns) != len(b.Columns) {
		return fmt.Errorf("%d columns vs %d", len(a.Columns), len(b.Columns))
	}
	for name, ca := range a.Columns {
		cb, ok := b.Columns[name]
		if !ok {
			return fmt.Errorf("column %q missing", name)
		}
		if ca == nil {
			ca = &whylogspb.ColumnMessage{}
		}
		if cb == nil {
			cb = &whylogspb.ColumnMessage{}
		}
		if !proto.Equal(ca, cb) {
			return fmt.Errorf("column %q differs", name)
		}
	}
	return nil
}

// TestV0Rewrite re-writes both v0 files. As for v1, whylogs' map order is not
// ours (Python write_protobuf is non-deterministic; Java keeps insertion
// order), so the check is byte equality after sorting map entries, plus an
// exact second round trip.
func TestV0Rewrite(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join(testdataDir, "v0-*.bin"))
	if len(names) != 2 {
		t.Fatalf("want 2 v0 files, got %d", len(names))
	}
	for _, path := range names {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			in := readTestdata(t, name)
			m, err := ParseV0(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := AppendV0(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(in) {
				t.Fatalf("rewrite has %d bytes, want %d", len(out), len(in))
			}
			// Same 3-byte length prefix, then the message.
			if !bytes.Equal(in[:3], out[:3]) {
				t.Fatalf("length prefix %x, want %x", out[:3], in[:3])
			}
			ci, err := canonical(in[3:], specV0Profile)
			if err != nil {
				t.Fatal(err)
			}
			co, err := canonical(out[3:], specV0Profile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ci, co) {
				t.Fatal("v0 rewrite differs beyond map-entry order")
			}
			m2, err := ParseV0(out)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(m, m2) {
				t.Fatal("v0 round trip changed the message")
			}
			out2, _ := AppendV0(nil, m2)
			if !bytes.Equal(out, out2) {
				t.Fatal("second v0 write differs")
			}
			t.Logf("byte-identical to the whylogs file: %v", bytes.Equal(in, out))
		})
	}
}
