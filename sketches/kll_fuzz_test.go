package sketches

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kllFuzzSeeds adds every KLL golden image (both item types: a float image is
// a good negative seed for the doubles decoder and vice versa) plus whylogs and
// updatable forms written here.
func kllFuzzSeeds(f *testing.F) {
	for _, dir := range []string{"cpp", "java", "historical", "generated-locally"} {
		matches, _ := filepath.Glob(filepath.Join(goldenDir(), dir, "*kll*.sk"))
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, n := range []int{2, 300, 5000} {
		s := kllRandomDoubles(200, n, 1)
		w, _ := s.AppendWhylogsBinary(nil)
		f.Add(w)
		f.Add(kllUpdatableImage(s))
	}
}

// kllFuzzBody checks one input against a receiver holding a known sketch.
func kllFuzzBody[T float32 | float64](t *testing.T, data []byte, fresh func() *KLL[T]) {
	s := fresh()
	before, _ := s.MarshalBinary()
	err := s.UnmarshalBinary(data)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error does not wrap ErrCorrupt: %v", err)
		}
		if !strings.Contains(err.Error(), "offset") {
			t.Fatalf("error names no offset: %v", err)
		}
		after, _ := s.MarshalBinary()
		if !bytes.Equal(before, after) {
			t.Fatal("receiver changed on error")
		}
		return
	}
	kllCheckInvariants(t, s)
	b1, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var d KLL[T]
	if err := d.UnmarshalBinary(b1); err != nil {
		t.Fatalf("re-read of our own image failed: %v", err)
	}
	b2, _ := d.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Fatal("marshal → unmarshal → marshal not stable")
	}
	if kllItemSize[T]() == 8 {
		w, err := d.AppendWhylogsBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var e KLL[T]
		if err := e.UnmarshalBinary(w); err != nil {
			t.Fatalf("re-read of whylogs image failed: %v", err)
		}
		if b3, _ := e.MarshalBinary(); !bytes.Equal(b1, b3) {
			t.Fatal("whylogs round trip not stable")
		}
	}
	// the decoded sketch must stay usable
	if !s.IsEmpty() {
		_, _ = s.Quantiles([]float64{0, 0.1, 0.5, 0.99, 1}, Exclusive)
		_, _ = s.WhylogsQuantile(0.3)
		_, _ = s.CDF([]T{s.Min(), s.Max()}, Inclusive)
	}
	o := fresh()
	if err := o.Merge(s); err != nil && !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
	for i := range 100 {
		s.Update(T(i))
	}
	kllCheckInvariants(t, s)
	kllCheckInvariants(t, o)
}

func FuzzKLLDoublesUnmarshal(f *testing.F) {
	kllFuzzSeeds(f)
	fixture := kllRandomDoubles(64, 1000, 2)
	f.Fuzz(func(t *testing.T, data []byte) {
		kllFuzzBody(t, data, fixture.Clone)
	})
}

func FuzzKLLFloatsUnmarshal(f *testing.F) {
	kllFuzzSeeds(f)
	fixture, _ := NewKLLFloats(64)
	for i := range 1000 {
		fixture.Update(float32(i % 77))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		kllFuzzBody(t, data, fixture.Clone)
	})
}
