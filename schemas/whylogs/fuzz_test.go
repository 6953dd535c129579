package whylogs

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead: Read never panics; whatever it accepts can be written, and the
// written file reads back. Seeds: the small golden profiles.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"v1-toydata.bin", "v1-parser-profile.bin", "v1-whylogs-example-2022-05.bin", "v1-segmented-category-whylogs-1.5.1.bin"} {
		b, err := os.ReadFile(filepath.Join(testdataDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := Read(data)
		if err != nil {
			return
		}
		b, err := MarshalV1(p)
		if err != nil {
			return // e.g. timestamps a v0 file allows but v1 cannot hold
		}
		if _, _, err := Read(b); err != nil {
			t.Fatalf("written profile does not read back: %v", err)
		}
	})
}
