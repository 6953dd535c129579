package sketches

import (
	"bytes"
	"strconv"
	"testing"
)

// TestFrequentUpdateHashed feeds one stream through Update and through
// UpdateHashed(item, FrequentHash(item)) and wants the same image, through
// growth and purges.
func TestFrequentUpdateHashed(t *testing.T) {
	a, _ := NewFrequentStrings(6)
	b, _ := NewFrequentStrings(6)
	for i := range 5000 {
		item := "k" + strconv.Itoa(i*i%313)
		if i%7 == 0 {
			item = "héllo" + strconv.Itoa(i%5)
		}
		a.Update(item)
		b.UpdateHashed(item, FrequentHash(item))
	}
	ia, _ := a.MarshalBinary()
	ib, _ := b.MarshalBinary()
	if !bytes.Equal(ia, ib) {
		t.Fatal("UpdateHashed image differs from Update image")
	}
	if a.MaximumError() == 0 {
		t.Fatal("stream did not purge; test too weak")
	}
	if got, want := FrequentHash("abc"), Fmix64(uint64(96354)); got != want { // Java "abc".hashCode() = 96354
		t.Errorf("FrequentHash(abc) = %#x, want %#x", got, want)
	}
}

// TestHLLUpdateHash wants UpdateHash(Hash*(v)) to equal the typed updates.
func TestHLLUpdateHash(t *testing.T) {
	a, _ := NewHLL(8, HLL4)
	b, _ := NewHLL(8, HLL4)
	for i := range 3000 {
		switch i % 3 {
		case 0:
			a.UpdateInt64(int64(i))
			b.UpdateHash(HashInt64(int64(i), DefaultSeed))
		case 1:
			a.UpdateFloat64(float64(i) / 3)
			b.UpdateHash(HashFloat64(float64(i)/3, DefaultSeed))
		default:
			s := "s" + strconv.Itoa(i)
			a.UpdateString(s)
			b.UpdateHash(HashString(s, DefaultSeed))
		}
	}
	ia, _ := a.MarshalBinary()
	ib, _ := b.MarshalBinary()
	if !bytes.Equal(ia, ib) || a.Mode() != "HLL" {
		t.Fatalf("UpdateHash image differs (mode %s)", a.Mode())
	}
}
