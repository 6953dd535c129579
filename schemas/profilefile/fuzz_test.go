package profilefile

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
)

func isDocumented(err error) bool {
	return errors.Is(err, ErrNotProfile) || errors.Is(err, ErrUnsupportedVersion) || errors.Is(err, ErrCorrupt)
}

func addSeeds(f *testing.F, pattern string) {
	names, _ := filepath.Glob(filepath.Join(testdataDir, pattern))
	if len(names) == 0 {
		f.Fatalf("no seeds for %s", pattern)
	}
	for _, n := range names {
		f.Add(readTestdata(f, filepath.Base(n)))
	}
}

// FuzzReadV1: ParseV1 never panics and fails only with documented errors;
// whatever it accepts writes out, reads back to the same content, and
// writes again to the same bytes.
func FuzzReadV1(f *testing.F) {
	addSeeds(f, "v1-*.bin")
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
	addSeeds(f, "v0-*.bin")
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
