package sketches

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
	"testing"
	"unicode/utf16"
)

// fiModel is a deliberately plain model of the DataSketches Java frequent
// items sketch, written straight from the reference description (parallel
// arrays, subtract-then-delete purge, sorted-sample median, hash through
// utf16.Encode). The tests compare the optimized implementation against it.
type fiModel struct {
	lgMax, lgCur  int
	keys          []string
	vals          []int64
	states        []int
	active        int
	total, offset int64
}

func newFIModel(lgMax int) *fiModel {
	m := &fiModel{lgMax: lgMax}
	m.alloc(3)
	return m
}

func (m *fiModel) alloc(lg int) {
	m.lgCur = lg
	m.keys = make([]string, 1<<lg)
	m.vals = make([]int64, 1<<lg)
	m.states = make([]int, 1<<lg)
	m.active = 0
}

func (m *fiModel) home(k string) int {
	var h int32
	for _, u := range utf16.Encode([]rune(k)) {
		h = 31*h + int32(u)
	}
	return int(Fmix64(uint64(int64(h))) & uint64(len(m.keys)-1))
}

func (m *fiModel) put(k string, w int64) bool {
	mask := len(m.keys) - 1
	p, drift := m.home(k), 1
	for m.states[p] != 0 && m.keys[p] != k {
		p = (p + 1) & mask
		drift++
	}
	if m.states[p] == 0 {
		m.keys[p], m.vals[p], m.states[p] = k, w, drift
		m.active++
		return true
	}
	m.vals[p] += w
	return false
}

func (m *fiModel) del(d int) {
	mask := len(m.keys) - 1
	m.states[d] = 0
	drift := 1
	for p := (d + 1) & mask; m.states[p] != 0; p = (p + 1) & mask {
		if m.states[p] > drift {
			m.keys[d], m.vals[d], m.states[d] = m.keys[p], m.vals[p], m.states[p]-drift
			m.states[p] = 0
			d, drift = p, 0
		}
		drift++
	}
	m.active--
}

func (m *fiModel) update(k string, w int64) {
	m.total += w
	if !m.put(k, w) || m.active <= 3*len(m.keys)/4 {
		return
	}
	if m.lgCur < m.lgMax {
		ok, ov, os := m.keys, m.vals, m.states
		m.alloc(m.lgCur + 1)
		for i := range ok {
			if os[i] != 0 {
				m.put(ok[i], ov[i])
			}
		}
		return
	}
	limit := min(1024, 3*(1<<m.lgMax)/4, m.active)
	var sample []int64
	for i := 0; len(sample) < limit; i++ {
		if m.states[i] != 0 {
			sample = append(sample, m.vals[i])
		}
	}
	slices.Sort(sample)
	med := sample[limit/2]
	for i := range m.vals {
		m.vals[i] -= med
	}
	n := len(m.states)
	first := n - 1
	for m.states[first] != 0 {
		first--
	}
	for p := first - 1; p >= 0; p-- {
		if m.states[p] != 0 && m.vals[p] <= 0 {
			m.del(p)
		}
	}
	for p := n - 1; p >= first; p-- {
		if m.states[p] != 0 && m.vals[p] <= 0 {
			m.del(p)
		}
	}
	m.offset += med
}

func (m *fiModel) image() []byte {
	if m.total == 0 {
		return []byte{1, 1, 10, byte(m.lgMax), byte(m.lgCur), 5, 0, 0}
	}
	b := []byte{4, 1, 10, byte(m.lgMax), byte(m.lgCur), 0, 0, 0}
	b = binary.LittleEndian.AppendUint64(b, uint64(m.active))
	b = binary.LittleEndian.AppendUint64(b, uint64(m.total))
	b = binary.LittleEndian.AppendUint64(b, uint64(m.offset))
	for i, st := range m.states {
		if st != 0 {
			b = binary.LittleEndian.AppendUint64(b, uint64(m.vals[i]))
		}
	}
	for i, st := range m.states {
		if st != 0 {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(m.keys[i])))
			b = append(b, m.keys[i]...)
		}
	}
	return b
}

// TestFrequentMatchesModel: on random streams (unit and weighted, several map
// sizes, non-ASCII items) the sketch's image equals the model's after every
// batch of updates.
func TestFrequentMatchesModel(t *testing.T) {
	for seed := range uint64(26) {
		lg := 3 + int(seed%8)
		var st fiStream
		switch {
		case seed >= 24: // capped sample: 1024 < 0.75·2^lg
			lg = 11 + int(seed-24)
			st = zipfStream(seed, 40000, 1.05, 1_000_000, seed == 25)
		case seed%3 == 0:
			st = zipfStream(seed, 8000, 1.1, 3000, false)
		case seed%3 == 1:
			st = zipfStream(seed, 6000, 1.3, 50000, true)
		default:
			st = uniformStream(seed, 6000, 3000)
			for i := range st.items {
				if i%3 == 0 {
					st.items[i] = "ж" + st.items[i] + "\U0001F600"
				}
			}
		}
		s, m := mustFI(t, lg), newFIModel(lg)
		for i, k := range st.items {
			if err := s.UpdateWeighted(k, st.weights[i]); err != nil {
				t.Fatal(err)
			}
			m.update(k, st.weights[i])
			if i%2000 == 1999 || i == len(st.items)-1 {
				if got, want := mustMarshalFI(t, s), m.image(); !bytes.Equal(got, want) {
					t.Fatalf("seed %d lg %d after %d updates: image differs from model", seed, lg, i+1)
				}
			}
		}
		if m.offset == 0 {
			t.Fatalf("seed %d: no purge exercised", seed)
		}
	}
	// Java reference recipe n=100000 through the model too (guards the model).
	m := newFIModel(6)
	for i := 1; i <= 100000; i++ {
		m.update(strconv.Itoa(i), 1)
	}
	if m.offset != 2040 || m.active != 40 {
		t.Fatalf("model: offset %d active %d", m.offset, m.active)
	}
}
