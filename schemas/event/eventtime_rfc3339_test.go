package event

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// rfc3339Corpus returns valid, edge-case and near-valid RFC 3339 strings:
// random instants in and beyond the int64-nanosecond range, leap days and
// year boundaries, every fraction length, offsets, separators and case
// variants, and single-byte corruptions of all of them.
func rfc3339Corpus(r *rand.Rand, n int) []string {
	var out []string
	fixed := []string{
		"2024-02-29T00:00:00Z", "2025-02-29T00:00:00Z", "2000-02-29T12:00:00Z", "1900-02-29T12:00:00Z",
		"2100-02-29T00:00:00Z", "2400-02-29T23:59:59.999999999Z", "1999-12-31T23:59:59.999999999Z",
		"2000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999999999Z",
		"1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:44Z", "1677-09-21T00:12:43Z",
		"2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:15Z", "2262-04-11T23:47:16Z",
		"2262-04-12T00:00:00+23:59", "1677-09-20T23:00:00-23:59", "0000-01-01T00:00:00Z",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-11-26T07:40:00.Z", "2026-11-26T07:40:00.",
		"2026-11-26T07:40:00.123", "2026-11-26T07:40:00+01:0", "2026-11-26T07:40:00+01:000",
		"2026-11-26T07:40:00+24:00", "2026-11-26T07:40:00-00:60", "2026-11-26T07:40:00.1234567890123Z",
		"2026-11-26T07:40:00.1234567890123+05:30", "2026-11-26T07:40:60Z", "2026-11-26T07:60:00Z",
		"2026-11-26T24:00:00Z", "2026-00-26T07:40:00Z", "2026-11-00T07:40:00Z", "2026-11-31T07:40:00Z",
		"2026-04-31T07:40:00Z", "2026-12-32T07:40:00Z", "2026-11-26t07:40:00z", "2026-11-26 07:40:00Z",
		"2026-11-26T07:40:00ZZ", "2026-11-26T07:40:00 ", "+026-11-26T07:40:00Z", "2026/11/26T07:40:00Z",
		"2026-11-26T07-40-00Z", "２026-11-26T07:40:00Z", "2026-11-26T07:40:00\x00Z", "2026-1a-26T07:40:00Z",
		"2026-11-26T07:40:00.12a3Z", "2026-11-26T07:40:00-00:00", "2026-11-26T07:40:00+00:00",
		"1677-09-21T00:12:43.145224191Z", "2262-04-11T23:47:16.854775808Z",
	}
	out = append(out, fixed...)
	for range n {
		// Instants from year ~1500 to ~2450, biased to the supported range.
		sec := r.Int64N(30e9) - 15e9
		if r.IntN(2) == 0 {
			sec = r.Int64N(9.2e9) - 4.6e9
		}
		ts := time.Unix(sec, r.Int64N(1e9))
		zone := time.UTC
		if r.IntN(2) == 0 {
			zone = time.FixedZone("", (r.IntN(48*60)-24*60+1)*60)
		}
		s := ts.In(zone).Format(time.RFC3339Nano)
		switch r.IntN(6) {
		case 0: // a fraction of exactly k digits, zeros included
			k := r.IntN(13)
			base := ts.In(zone).Format("2006-01-02T15:04:05")
			frac := fmt.Sprintf("%09d%04d", ts.Nanosecond(), r.IntN(10000))[:k]
			tz := ts.In(zone).Format("Z07:00")
			if k > 0 {
				s = base + "." + frac + tz
			} else {
				s = base + tz
			}
		case 1:
			s = strings.Replace(s, "T", []string{"t", " "}[r.IntN(2)], 1)
			s = strings.Replace(s, "Z", "z", 1)
		case 2:
			b := []byte(s)
			b[r.IntN(len(b))] = "0123456789:-TZ.+xt z\xff"[r.IntN(21)]
			s = string(b)
		case 3:
			b := []byte(s)
			k := r.IntN(len(b))
			if r.IntN(2) == 0 {
				s = string(b[:k])
			} else {
				s = string(b[:k]) + string(b[k+1:])
			}
		}
		out = append(out, s)
	}
	return out
}

// The fast RFC 3339 path gives exactly the reference parser's result and
// reason on every input, and on valid canonical inputs agrees with
// time.Parse.
func TestRFC3339FastMatchesRef(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fastHits := 0
	for _, s := range rfc3339Corpus(r, 100000) {
		got, gwhy := parseRFC3339([]byte(s))
		want, wwhy := parseRFC3339Ref([]byte(s))
		if got != want || gwhy != wwhy {
			t.Fatalf("%q: fast (%d, %q), reference (%d, %q)", s, got, gwhy, want, wwhy)
		}
		if secs, nsec, ok := rfc3339Fast([]byte(s)); ok {
			fastHits++
			if wwhy != "" || secs*1e9+int64(nsec) != want || nsec < 0 || nsec >= 1e9 {
				t.Fatalf("%q: rfc3339Fast (%d, %d) but reference (%d, %q)", s, secs, nsec, want, wwhy)
			}
		}
		for _, f := range []TimeFormat{TimeAuto, TimeRFC3339} {
			raw := RawTime{Field: "ts", Kind: TimeString, Str: []byte(s)}
			gt, gerr := ParseEventTime(raw, f)
			ns, rerr := parseEventNanos(raw, f)
			if (gerr == nil) != (rerr == nil) || (gerr != nil && gerr.Error() != rerr.Error()) {
				t.Fatalf("%q %v: ParseEventTime error %v, reference %v", s, f, gerr, rerr)
			}
			if gerr == nil && gt != time.Unix(0, ns).UTC() {
				t.Fatalf("%q %v: ParseEventTime %v, reference %v", s, f, gt, time.Unix(0, ns).UTC())
			}
		}
		if tp, err := time.Parse(time.RFC3339Nano, s); err == nil && gwhy == "" && tp.UnixNano() != got &&
			!strings.ContainsAny(s, "tz ") {
			t.Fatalf("%q: got %d, time.Parse %d", s, got, tp.UnixNano())
		}
	}
	if fastHits < 25000 {
		t.Fatalf("fast path taken only %d times: the corpus does not exercise it", fastHits)
	}
}

func TestDaysFromCivil(t *testing.T) {
	for y := 1; y <= 9999; y += 1 + y%7 {
		for m := 1; m <= 12; m++ {
			for _, d := range []int{1, 28} {
				want := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
				if got := daysFromCivil(y, m, d); got != want {
					t.Fatalf("%04d-%02d-%02d: %d, want %d", y, m, d, got, want)
				}
			}
		}
	}
}

func FuzzRFC3339(f *testing.F) {
	for _, s := range rfc3339Corpus(rand.New(rand.NewPCG(5, 6)), 20) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		got, gwhy := parseRFC3339(s)
		want, wwhy := parseRFC3339Ref(s)
		if got != want || gwhy != wwhy {
			t.Fatalf("%q: fast (%d, %q), reference (%d, %q)", s, got, gwhy, want, wwhy)
		}
		for _, f := range []TimeFormat{TimeAuto, TimeRFC3339, TimeEpochS} {
			raw := RawTime{Field: "ts", Kind: TimeString, Str: s}
			gt, gerr := ParseEventTime(raw, f)
			ns, rerr := parseEventNanos(raw, f)
			if (gerr == nil) != (rerr == nil) || (gerr != nil && gerr.Error() != rerr.Error()) ||
				(gerr == nil && gt != time.Unix(0, ns).UTC()) {
				t.Fatalf("%q %v: ParseEventTime (%v, %v), reference (%d, %v)", s, f, gt, gerr, ns, rerr)
			}
		}
	})
}
