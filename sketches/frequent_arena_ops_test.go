package sketches

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// clone returns an independent copy of the model.
func (m *fiModel) clone() *fiModel {
	c := *m
	c.keys = slices.Clone(m.keys)
	c.vals = slices.Clone(m.vals)
	c.states = slices.Clone(m.states)
	return &c
}

// arenaOpsItem returns a random item for TestFrequentArenaOpsMatchModel: hot
// items (short, long, empty, non-UTF-8, with NUL bytes, int strings), or a
// fresh one, often long, so that partial purges leave many dead arena bytes
// and compaction runs.
func arenaOpsItem(r *rand.Rand, hot []string, pHot float64) string {
	if r.Float64() < pHot {
		return hot[r.IntN(len(hot))]
	}
	switch r.IntN(6) {
	case 0:
		return strings.Repeat("L", 100+r.IntN(400)) + strconv.Itoa(r.IntN(1<<30))
	case 1:
		return "\xff\xfe" + strconv.Itoa(r.IntN(1<<30)) + "\x00"
	case 2:
		return strconv.FormatInt(int64(r.Uint64()), 10)
	default:
		return "id-" + strconv.Itoa(r.IntN(1<<30)) + strings.Repeat("x", r.IntN(64))
	}
}

// TestFrequentArenaOpsMatchModel drives a pool of sketches, each paired with
// the plain model, through long random sequences of every operation that
// touches the key arena: string, byte, hinted (hints shared between all
// sketches, one per item), weighted and integer updates; clones that both
// the original and the copy keep updating; merges of any sketch into any
// other or into itself; decode (dense and pending) and keep updating; and
// FrequentItems results kept across all of that. After every operation
// batch each sketch's image equals its model's, lookups agree, and every
// FrequentItems result taken earlier still holds the items it held then.
// It also checks that arena compaction and reuse actually happened.
func TestFrequentArenaOpsMatchModel(t *testing.T) {
	r := rand.New(rand.NewPCG(77, 78))
	compactions, resets, decodedPending := 0, 0, 0
	for trial := range 12 {
		const pool = 3
		var ss [pool]*FrequentStrings
		var ms [pool]*fiModel
		for i := range pool {
			lg := 3 + r.IntN(4)
			ss[i], ms[i] = mustFI(t, lg), newFIModel(lg)
		}
		hot := []string{"", "US", "ж", "\xff", "a\x00b", "tablet-\U0001F600",
			strings.Repeat("H", 300), strconv.FormatInt(math.MinInt64, 10), "-1", "0"}
		hints := map[string]*FrequentHint{}
		pHot := []float64{0.05, 0.4, 0.8}[trial%3]
		type snap struct {
			items []FrequentItem
			want  []string
		}
		var snaps []snap
		var buf [20]byte
		for step := range 4000 {
			i := r.IntN(pool)
			s, m := ss[i], ms[i]
			prevKeys, prevSpare := len(s.m.keys), cap(s.m.spare)
			switch op := r.IntN(100); {
			case op < 25:
				k := arenaOpsItem(r, hot, pHot)
				s.Update(k)
				m.update(k, 1)
			case op < 45:
				k := arenaOpsItem(r, hot, pHot)
				b := []byte(k)
				s.UpdateBytesHashed(b, FrequentHashBytes(b))
				for j := range b {
					b[j] = '#' // the sketch must not keep b
				}
				m.update(k, 1)
			case op < 65:
				k := arenaOpsItem(r, hot, pHot)
				h, ok := hints[k]
				if !ok {
					h = new(FrequentHint)
					hints[k] = h
				}
				if !s.AddHinted(FrequentHash(k), h) {
					if r.IntN(2) == 0 {
						b := []byte(k)
						s.UpdateBytesHinted(b, FrequentHashBytes(b), h)
						clear(b)
					} else {
						s.UpdateHashedHinted(k, FrequentHash(k), h)
					}
				}
				m.update(k, 1)
			case op < 72:
				k := arenaOpsItem(r, hot, pHot)
				w := 1 + r.Int64N(5)
				if err := s.UpdateWeighted(k, w); err != nil {
					t.Fatal(err)
				}
				m.update(k, w)
			case op < 80:
				v := []int64{math.MinInt64, math.MaxInt64, -1, 0, 9, 10, -10, 99, 100}[r.IntN(9)]
				if r.IntN(2) == 0 {
					v = int64(r.Uint64()) >> r.IntN(64)
				}
				item, h := FrequentIntItem(&buf, v)
				s.UpdateBytesHashed(item, h)
				clear(buf[:])
				m.update(strconv.FormatInt(v, 10), 1)
			case op < 84: // clone i into j; both keep being updated
				j := r.IntN(pool)
				ss[j], ms[j] = s.Clone(), m.clone()
			case op < 90: // merge i into j (j == i merges a sketch into itself)
				j := r.IntN(pool)
				if ss[j].StreamLength() > 1<<40 || s.StreamLength() > 1<<40 {
					break // repeated merges double the stream length
				}
				if err := ss[j].Merge(s); err != nil {
					t.Fatal(err)
				}
				o := m
				if j == i {
					o = m.clone()
				}
				ms[j].mergeInto(o)
			case op < 94: // decode, then keep updating the decoded sketch
				img := mustMarshalFI(t, s)
				d, err := decodeFrequentStrings(img, r.IntN(2) == 0)
				if err != nil {
					t.Fatal(err)
				}
				if d.m.pend != nil {
					decodedPending++
				}
				ss[i] = d
			default:
				its := s.FrequentItems(NoFalseNegatives)
				want := make([]string, len(its))
				for j, it := range its {
					want[j] = string([]byte(it.Item))
				}
				snaps = append(snaps, snap{its, want})
			}
			if cap(s.m.spare) > prevSpare && len(s.m.keys) < prevKeys {
				compactions++
			}
			if len(s.m.keys) < prevKeys && s.m.numActive == 0 {
				resets++
			}
			if step%97 == 0 || step == 3999 {
				for k := range pool {
					if got, want := mustMarshalFI(t, ss[k]), ms[k].image(); !bytes.Equal(got, want) {
						t.Fatalf("trial %d step %d sketch %d: image differs from the model", trial, step, k)
					}
					for _, it := range hot {
						if got, want := ss[k].LowerBound(it), ms[k].get(it); got != want {
							t.Fatalf("trial %d step %d sketch %d: LowerBound(%q) = %d, model %d", trial, step, k, it, got, want)
						}
					}
				}
				for n, sn := range snaps {
					for j, it := range sn.items {
						if it.Item != sn.want[j] {
							t.Fatalf("trial %d step %d: FrequentItems result %d item %d changed from %q to %q",
								trial, step, n, j, sn.want[j], it.Item)
						}
					}
				}
			}
		}
	}
	t.Logf("%d compactions, %d resets, %d pending", compactions, resets, decodedPending)
	if compactions == 0 || resets == 0 || decodedPending == 0 {
		t.Fatalf("not exercised: %d compactions, %d arena resets, %d pending decodes", compactions, resets, decodedPending)
	}
}

// get returns the model's counter of k (0 when untracked).
func (m *fiModel) get(k string) int64 {
	for i, st := range m.states {
		if st != 0 && m.keys[i] == k {
			return m.vals[i]
		}
	}
	return 0
}
