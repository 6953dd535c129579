package event

import (
	"strings"
	"testing"
	"time"
)

// A string event time that the Record fast path takes aliases the
// Record's arena (RawTime.Str). Strings after it that need copying
// (escapes) append to the arena, which reallocates when it is full (here:
// a fresh Record each time): the event time must still read as written,
// for every position of the time member and whether its own value is
// escaped, and must still be the plain decoder's.
func TestJSONRecordTimeSurvivesArenaGrowth(t *testing.T) {
	const ts = "2026-11-26T07:40:00.123Z"
	esc := `"` + strings.Repeat(`caf\u00e9 \"q\" `, 40) + `"`
	for _, tv := range []string{`"` + ts + `"`, `"2026-11-26T07:40:00.123\u005a"`} {
		for pos := range 4 {
			var members []string
			for k := range 4 {
				if k == pos {
					members = append(members, `"ts":`+tv)
				} else {
					members = append(members, `"m`+string(rune('a'+k))+`":`+esc)
				}
			}
			doc := []byte("{" + strings.Join(members, ",") + "}")
			d, err := NewJSONDecoder(JSONOptions{EventTimeField: "ts"})
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := NewJSONDecoder(JSONOptions{EventTimeField: "ts"})
			plain.noKeyCache = true
			var warm Record
			if _, err := d.Decode(doc, &warm); err != nil { // the key cache learns the keys
				t.Fatal(err)
			}
			for range 3 {
				var r Record // empty arena: every append may reallocate
				raw, err := d.Decode(doc, &r)
				if err != nil {
					t.Fatal(err)
				}
				if !d.keys[pos].fast {
					t.Fatalf("pos %d: the time member was not cached for the fast path", pos)
				}
				var w rec
				wraw, _ := plain.Decode(doc, &w)
				if string(raw.Str) != ts || string(wraw.Str) != ts || raw.Kind != wraw.Kind {
					t.Fatalf("pos %d %s: event time %q (%v), plain %q (%v)", pos, tv, raw.Str, raw.Kind, wraw.Str, wraw.Kind)
				}
				got, err := ParseEventTime(raw, TimeAuto)
				if err != nil || !got.Equal(time.Date(2026, 11, 26, 7, 40, 0, 123e6, time.UTC)) {
					t.Fatalf("pos %d: parsed %v, %v", pos, got, err)
				}
			}
		}
	}
}
