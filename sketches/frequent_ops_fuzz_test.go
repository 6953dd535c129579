package sketches

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// FuzzFrequentOps interprets its input as a program over two sketches of
// lgMaxMapSize 3 and 4 and their plain models: each operation byte picks
// an operation and a sketch, and the next byte an item from a small pool
// (short, long, empty, non-UTF-8, NUL, integer strings, so that purges keep
// some and delete others) or an integer. Operations: string, byte, hinted
// and weighted updates, integer items, clone, merge (into itself too),
// decode (dense or pending), FrequentItems kept for later. After the
// program the images equal the models' and every kept result is unchanged.
func FuzzFrequentOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add(bytes.Repeat([]byte{0, 9, 16, 7, 33, 1, 50, 2, 66, 3, 82, 4, 97, 5, 113, 6}, 20))
	// items counted, FrequentItems kept, then a run of fresh items that
	// purges sketch 0 empty and refills its arena
	reuse := []byte{0, 1, 0, 5, 0, 9, 16, 0}
	for k := range 60 {
		reuse = append(reuse, 0, byte(128+k%100))
	}
	f.Add(reuse)
	pool := []string{"", "a", "ж", "\xff", "x\x00y", strings.Repeat("L", 200), strings.Repeat("M", 5000),
		"-9223372036854775808", "0", "tablet-\U0001F600"}
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) > 4000 {
			prog = prog[:4000]
		}
		ss := [2]*FrequentStrings{mustFI(t, 3), mustFI(t, 4)}
		ms := [2]*fiModel{newFIModel(3), newFIModel(4)}
		hints := map[string]*FrequentHint{}
		type snap struct {
			items []FrequentItem
			want  []string
		}
		var snaps []snap
		var buf [20]byte
		for p := 0; p+1 < len(prog); p += 2 {
			op, arg := prog[p], prog[p+1]
			i := int(op & 1)
			s, m := ss[i], ms[i]
			item := pool[int(arg)%len(pool)]
			if arg >= 128 { // a fresh item
				item = strings.Repeat("f", int(arg)-100) + strconv.Itoa(p)
			}
			switch op >> 1 % 10 {
			case 0:
				s.Update(item)
				m.update(item, 1)
			case 1:
				b := []byte(item)
				s.UpdateBytesHashed(b, FrequentHashBytes(b))
				clear(b)
				m.update(item, 1)
			case 2:
				h := hints[item]
				if h == nil {
					h = new(FrequentHint)
					hints[item] = h
				}
				if !s.AddHinted(FrequentHash(item), h) {
					s.UpdateHashedHinted(item, FrequentHash(item), h)
				}
				m.update(item, 1)
			case 3:
				w := int64(arg%7) + 1
				if err := s.UpdateWeighted(item, w); err != nil {
					t.Fatal(err)
				}
				m.update(item, w)
			case 4:
				v := int64(arg) - 128
				if arg%3 == 0 {
					v = -1 << 63 >> (arg % 64)
				}
				it, h := FrequentIntItem(&buf, v)
				s.UpdateBytesHashed(it, h)
				clear(buf[:])
				m.update(strconv.FormatInt(v, 10), 1)
			case 5:
				j := int(arg & 1)
				ss[j], ms[j] = s.Clone(), m.clone()
			case 6:
				j := int(arg & 1)
				if ss[j].StreamLength() > 1<<40 || s.StreamLength() > 1<<40 {
					break
				}
				if err := ss[j].Merge(s); err != nil {
					t.Fatal(err)
				}
				o := m
				if j == i {
					o = m.clone()
				}
				ms[j].mergeInto(o)
			case 7:
				d, err := decodeFrequentStrings(mustMarshalFI(t, s), arg&1 == 0)
				if err != nil {
					t.Fatal(err)
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
		}
		for k := range ss {
			if got, want := mustMarshalFI(t, ss[k]), ms[k].image(); !bytes.Equal(got, want) {
				t.Fatalf("sketch %d: image differs from the model", k)
			}
		}
		for _, sn := range snaps {
			for j, it := range sn.items {
				if it.Item != sn.want[j] {
					t.Fatalf("a FrequentItems result changed from %q to %q", sn.want[j], it.Item)
				}
			}
		}
	})
}
