package event

import (
	"fmt"
	"testing"
	"time"
)

// Review (session 3): the fast RFC 3339 path against the reference parser
// on hand-picked edges: separators and zone letters in both cases, leap
// seconds, offsets at and beyond their range, years below 1000 and year 0,
// leap days of century years, fractions of every length, the ends of the
// int64-nanosecond range, and truncations of each.
func TestReview3RFC3339Edges(t *testing.T) {
	var in []string
	for _, y := range []int{0, 1, 4, 99, 100, 400, 999, 1000, 1677, 1678, 1900, 1970, 2000, 2100, 2262, 2263, 9999} {
		for _, md := range []string{"01-01", "02-28", "02-29", "02-30", "03-01", "12-31", "12-32", "00-10", "13-01", "04-31", "06-00"} {
			in = append(in, fmt.Sprintf("%04d-%sT00:00:00Z", y, md))
		}
	}
	base := []string{
		"1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:44Z", "1677-09-21T00:12:45Z", "1677-09-21T00:12:43Z",
		"2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:15Z", "2262-04-11T23:47:16Z", "2262-04-11T23:47:17Z",
		"2262-04-12T00:47:15+01:00", "1677-09-20T23:12:45-01:00",
		"2026-11-26t07:40:00z", "2026-11-26 07:40:00Z", "2026-11-26T07:40:00z", "2026-11-26_07:40:00Z",
		"2026-11-26T23:59:60Z", "2026-11-26T24:00:00Z", "2026-11-26T23:60:00Z", "2026-11-26T07:40:00+24:00",
		"2026-11-26T07:40:00+23:59", "2026-11-26T07:40:00-23:59", "2026-11-26T07:40:00+00:60", "2026-11-26T07:40:00-00:00",
		"2026-11-26T07:40:00+0100", "2026-11-26T07:40:00+01:0", "2026-11-26T07:40:00+01:00:00", "2026-11-26T07:40:00+1:00",
		"2026-11-26T07:40:00ZZ", "2026-11-26T07:40:00Z ", " 2026-11-26T07:40:00Z", "2026-11-26T07:40:00",
		"2026-11-26T07:40:00.Z", "2026-11-26T07:40:00.", "2026-11-26T07:40:00.1", "2026-11-26T07:40:00,5Z",
		"+2026-11-26T07:40:00Z", "-2026-11-26T07:40:00Z", "2026-1-26T07:40:00Z", "2026-11-26T7:40:00Z",
		"２026-11-26T07:40:00Z", "2026-11-26T07:40:00\x00Z", "2026-11-26T07:4\xff:00Z", "2026-11-26T07:40:00+0\xb1:00",
		"2026/11/26T07:40:00Z", "2026-11-26T07-40-00Z", "2026-11-26T07:40:00.-5Z", "2026-11-26T07:40:00.5-5:00",
	}
	in = append(in, base...)
	for _, s := range []string{"2026-11-26T07:40:00", "1969-12-31T23:59:59", "0001-01-01T00:00:00"} {
		for k := 1; k <= 13; k++ {
			for _, z := range []string{"Z", "+05:30", "-12:00", ""} {
				in = append(in, s+"."+"9876543210987"[:k]+z)
			}
		}
	}
	var all []string
	for _, s := range in {
		for n := 0; n <= len(s); n++ {
			all = append(all, s[:n])
		}
	}
	for _, s := range all {
		b := []byte(s)
		got, gwhy := parseRFC3339(b)
		want, wwhy := parseRFC3339Ref(b)
		if got != want || gwhy != wwhy {
			t.Fatalf("%q: fast (%d, %q), reference (%d, %q)", s, got, gwhy, want, wwhy)
		}
		if secs, nsec, ok := rfc3339Fast(b); ok && (wwhy != "" || secs*1e9+int64(nsec) != want) {
			t.Fatalf("%q: rfc3339Fast (%d, %d), reference (%d, %q)", s, secs, nsec, want, wwhy)
		}
		for _, f := range []TimeFormat{TimeAuto, TimeRFC3339, TimeEpochMs} {
			raw := RawTime{Field: "ts", Kind: TimeString, Str: b}
			gt, gerr := ParseEventTime(raw, f)
			// The reference: the pre-session ParseEventTime.
			var wt time.Time
			var werr error
			if f == TimeRFC3339 || (f == TimeAuto && !isRefNumber(b)) {
				if ns, why := parseRFC3339Ref(b); why != "" {
					werr = timeErr(raw, "not RFC 3339: "+why)
				} else {
					wt = time.Unix(0, ns).UTC()
				}
			} else {
				ns, err := parseEventNanos(raw, f)
				werr = err
				if err == nil {
					wt = time.Unix(0, ns).UTC()
				}
			}
			if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) || gt != wt {
				t.Fatalf("%q %v: ParseEventTime (%v, %v), reference (%v, %v)", s, f, gt, gerr, wt, werr)
			}
		}
	}
	t.Logf("%d inputs", len(all))
}

// isRefNumber reports whether b is a JSON number by the pre-session scan.
func isRefNumber(b []byte) bool {
	n, _ := scanNumber(b, 0)
	return n == len(b) && n > 0
}
