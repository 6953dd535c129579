package sketches

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// FuzzFrequentStringsUnmarshal feeds arbitrary bytes to UnmarshalBinary. It
// must never panic nor allocate more than decodeAllocSlack +
// fiAllocPerByte·len(data) bytes; on success the sketch re-encodes to an image that decodes
// to the same state (and, being our own slot-ordered image, re-encodes to the
// same bytes); on failure the error wraps ErrCorrupt and the receiver is
// unchanged. Seeds: every frequent-strings golden image plus a few synthetic
// images (purged-to-empty, compact large map).
func FuzzFrequentStringsUnmarshal(f *testing.F) {
	for _, dir := range []string{"cpp", "java"} {
		paths, _ := filepath.Glob(filepath.Join(goldenDir(), dir, "frequent_string_*.sk"))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	s, _ := NewFrequentStrings(3)
	for i := range 7 {
		s.Update(strconv.Itoa(i))
	}
	b, _ := s.MarshalBinary()
	f.Add(b) // purged to empty: full form, numActive 0
	s, _ = NewFrequentStrings(4)
	for i := range 200 {
		s.Update(strconv.Itoa(i % 17 * (i % 5)))
	}
	b, _ = s.MarshalBinary()
	f.Add(b)
	f.Add([]byte{4, 1, 10, 20, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'x'})

	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecodeAlloc(t, "frequent", len(data), fiAllocPerByte, func() {
			var d FrequentStrings
			_ = d.UnmarshalBinary(data)
		})
		s, _ := NewFrequentStrings(5)
		s.Update("before")
		before, _ := s.MarshalBinary()
		if err := s.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			after, _ := s.MarshalBinary()
			if !bytes.Equal(before, after) {
				t.Fatal("failed decode changed the receiver")
			}
			return
		}
		img, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var d FrequentStrings
		if err := d.UnmarshalBinary(img); err != nil {
			t.Fatalf("re-encoded image rejected: %v", err)
		}
		if d.LgMaxMapSize() != s.LgMaxMapSize() || d.LgCurMapSize() != s.LgCurMapSize() ||
			d.StreamLength() != s.StreamLength() || d.MaximumError() != s.MaximumError() ||
			d.NumActive() != s.NumActive() || !equalSets(sketchSet(&d), sketchSet(s)) {
			t.Fatal("re-decoded state differs")
		}
		img2, _ := d.MarshalBinary()
		if !bytes.Equal(img, img2) {
			t.Fatalf("second round trip changed bytes:\n%x\n%x", img, img2)
		}
		// Queries and a few updates must work on anything accepted (only for
		// maps small enough to materialize cheaply).
		_ = s.FrequentItems(NoFalsePositives)
		_ = s.FrequentItems(NoFalseNegatives)
		if s.LgCurMapSize() <= 12 {
			for i := range 60 {
				s.Update(strconv.Itoa(i))
			}
			c := s.Clone()
			if err := c.Merge(&d); err != nil && !errors.Is(err, ErrInvalidArgument) {
				t.Fatal(err)
			}
		}
	})
}
