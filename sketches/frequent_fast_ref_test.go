package sketches

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// mergeInto adds o to m as DataSketches Java merges: o's slots visited with
// the golden-ratio stride, each entry a weighted update, then the offsets
// and stream lengths summed.
func (m *fiModel) mergeInto(o *fiModel) {
	if o.total == 0 {
		return
	}
	total := m.total + o.total
	n := len(o.keys)
	stride := int(float64(n)*frequentGoldenRatio) | 1
	for i, seen := 0, 0; seen < o.active; i = (i + stride) & (n - 1) {
		if o.states[i] != 0 {
			seen++
			m.update(o.keys[i], o.vals[i])
		}
	}
	m.offset += o.offset
	m.total = total
}

// idStream returns n items: with probability pHot one of a few hot items,
// otherwise a fresh id (some non-ASCII, some empty-free long ones), so that
// purges of lgMax-sized maps usually delete every entry (the cleared-map
// path) but not always (hot items survive).
func idStream(r *rand.Rand, n int, pHot float64) []string {
	hot := []string{"US", "DE", "ж", "tablet-\U0001F600"}
	out := make([]string, n)
	for i := range out {
		switch {
		case r.Float64() < pHot:
			out[i] = hot[r.IntN(len(hot))]
		case i%7 == 0:
			out[i] = "ид-" + strconv.Itoa(r.IntN(1<<30))
		case i%11 == 0:
			out[i] = "2024-01-02T03:04:05." + strconv.Itoa(r.IntN(1<<30)) + "Z/long-suffix"
		default:
			out[i] = "ord-" + strconv.Itoa(r.IntN(1<<30))
		}
	}
	return out
}

// TestFrequentFastPathsMatchModel feeds id-like streams through Update and
// UpdateBytesHashed and compares the image with the plain model after many
// steps, across purges that empty the map and purges that keep hot items;
// then merges such sketches (bytes and string keys, dense and decoded
// pending forms) and compares with the model's merge.
func TestFrequentFastPathsMatchModel(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	cleared, kept := 0, 0
	type pair struct {
		s *FrequentStrings
		m *fiModel
	}
	var done []pair
	for trial := range 24 {
		lg := 3 + trial%9
		pHot := []float64{0, 0.02, 0.3}[trial%3]
		items := idStream(r, 6000+r.IntN(3000), pHot)
		s, m := mustFI(t, lg), newFIModel(lg)
		asBytes := trial%2 == 0
		for i, k := range items {
			before := m.offset
			if asBytes {
				b := []byte(k)
				s.UpdateBytesHashed(b, FrequentHashBytes(b))
				clear(b) // the sketch must not keep b
			} else {
				s.Update(k)
			}
			m.update(k, 1)
			if m.offset != before {
				if m.active == 0 {
					cleared++
				} else {
					kept++
				}
			}
			if i%97 == 0 || m.offset != before || i == len(items)-1 {
				if got, want := mustMarshalFI(t, s), m.image(); !bytes.Equal(got, want) {
					t.Fatalf("trial %d lg %d after %d updates: image differs from model", trial, lg, i+1)
				}
			}
		}
		checkMapInvariants(t, s)
		done = append(done, pair{s, m})
	}
	if cleared == 0 || kept == 0 {
		t.Fatalf("purges that cleared the map: %d, that kept entries: %d; want both", cleared, kept)
	}
	// Merges: every ordered pair of a few sketches, including a decoded copy
	// (pending form when sparse).
	for i := 0; i < len(done); i += 5 {
		for j := 1; j < len(done); j += 4 {
			a, b := done[i], done[j]
			dst := a.s.Clone()
			src := b.s
			if j%3 == 0 {
				var d FrequentStrings
				if err := d.UnmarshalBinary(mustMarshalFI(t, b.s)); err != nil {
					t.Fatal(err)
				}
				src = &d
			}
			if err := dst.Merge(src); err != nil {
				t.Fatal(err)
			}
			m := *a.m
			m.keys, m.vals, m.states = slices.Clone(m.keys), slices.Clone(m.vals), slices.Clone(m.states)
			m.mergeInto(b.m)
			if m.total != a.m.total+b.m.total {
				t.Fatalf("model merge broken")
			}
			if got, want := mustMarshalFI(t, dst), m.image(); !bytes.Equal(got, want) {
				t.Fatalf("merge %d←%d: image differs from model", i, j)
			}
			checkMapInvariants(t, dst)
		}
	}
}
