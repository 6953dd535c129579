package event

import (
	"math/rand/v2"
	"testing"
)

// FuzzJSONRecordFastPathRaw: FuzzJSONRecordFastPath splits its input at
// zero bytes, so no document it tries contains one, yet the padding the
// Record fast path scans is made of zero bytes. Here the input is one
// document, taken whole (zero bytes included), after a warm copy of itself
// and cut at a fuzzed point, so the key cache holds its keys: the fast path
// must match the plain decoder on each.
func FuzzJSONRecordFastPathRaw(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 10 {
		d := flatDoc(r)
		f.Add(d, uint16(r.IntN(len(d)+1)))
		b := append([]byte(nil), d...)
		b[r.IntN(len(b))] = 0
		f.Add(b, uint16(len(b)))
	}
	f.Add([]byte(`{"ts":"a`+"\x00"+`b","n":12`+"\x00"+`,"t":tru`+"\x00"+`}`), uint16(20))
	optsList := []JSONOptions{{EventTimeField: "ts"}, {EventTimeField: "price"}, {}}
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		c := min(int(cut), len(in))
		docs := [][]byte{in, in, in[:c:c], in, in[c:], in}
		for _, o := range optsList {
			checkRecordFast(t, o, docs)
		}
	})
}
