package event

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseTimeFormat(t *testing.T) {
	for i, n := range []string{"auto", "rfc3339", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns"} {
		f, err := ParseTimeFormat(n)
		if err != nil || f != TimeFormat(i) || f.String() != n {
			t.Errorf("%s: %v %v", n, f, err)
		}
	}
	if f, err := ParseTimeFormat(""); err != nil || f != TimeAuto {
		t.Errorf("empty: %v %v", f, err)
	}
	if _, err := ParseTimeFormat("epoch_days"); err == nil {
		t.Error("epoch_days accepted")
	}
}

func TestParseEventTime(t *testing.T) {
	base := time.Date(2026, 11, 26, 7, 40, 0, 0, time.UTC)
	str := func(s string) RawTime { return RawTime{Field: "ts", Kind: TimeString, Str: []byte(s)} }
	num := func(v int64) RawTime { return RawTime{Field: "ts", Kind: TimeInt, Int: v} }
	flt := func(v float64) RawTime { return RawTime{Field: "ts", Kind: TimeFloat, Float: v} }
	unit := func(r RawTime, u TimeUnit) RawTime { r.Unit = u; return r }
	s := base.Unix()
	cases := []struct {
		raw  RawTime
		f    TimeFormat
		want time.Time
	}{
		{str("2026-11-26T07:40:00Z"), TimeRFC3339, base},
		{str("2026-11-26t07:40:00z"), TimeRFC3339, base},
		{str("2026-11-26 07:40:00Z"), TimeRFC3339, base},
		{str("2026-11-26T08:40:00+01:00"), TimeRFC3339, base},
		{str("2026-11-26T02:10:00-05:30"), TimeRFC3339, base},
		{str("2026-11-26T07:40:00.123456789Z"), TimeRFC3339, base.Add(123456789)},
		{str("2026-11-26T07:40:00.1234567891234Z"), TimeRFC3339, base.Add(123456789)},
		{str("2026-11-26T07:40:00.5Z"), TimeAuto, base.Add(500 * time.Millisecond)},
		{str("2024-02-29T00:00:00Z"), TimeAuto, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{num(s), TimeEpochS, base},
		{num(s * 1000), TimeEpochMs, base},
		{num(s * 1e6), TimeEpochUs, base},
		{num(s * 1e9), TimeEpochNs, base},
		{flt(float64(s) + 0.25), TimeEpochS, base.Add(250 * time.Millisecond)},
		{str("1795678800"), TimeEpochS, base},
		{str("1795678800000"), TimeEpochMs, base},
		{str("1795678800.5"), TimeEpochS, base.Add(500 * time.Millisecond)},
		{str("-1.5"), TimeEpochS, time.Unix(-2, 5e8).UTC()},
		{num(s), TimeAuto, base},
		{num(s * 1000), TimeAuto, base},
		{num(s * 1e6), TimeAuto, base},
		{num(s * 1e9), TimeAuto, base},
		{str("1795678800000"), TimeAuto, base},
		{flt(float64(s) * 1000), TimeAuto, base},
		{num(-86400), TimeAuto, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		// Schema units win in auto and are used for rfc3339 too.
		{unit(num(s*1000), UnitMillis), TimeAuto, base},
		{unit(num(5), UnitMillis), TimeAuto, time.Unix(0, 5e6).UTC()},
		{unit(num(5), UnitMicros), TimeRFC3339, time.Unix(0, 5e3).UTC()},
		{unit(num(20418), UnitDays), TimeAuto, time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC)},
		{unit(flt(1.5), UnitMillis), TimeAuto, time.Unix(0, 1.5e6).UTC()},
		// Explicit epoch formats ignore the schema unit.
		{unit(num(s), UnitMillis), TimeEpochS, base},
	}
	for _, c := range cases {
		got, err := ParseEventTime(c.raw, c.f)
		if err != nil {
			t.Errorf("%+v %v: %v", c.raw, c.f, err)
			continue
		}
		if !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%q/%d/%v %v: got %v want %v", c.raw.Str, c.raw.Int, c.raw.Float, c.f, got, c.want)
		}
	}
}

func TestParseEventTimeErrors(t *testing.T) {
	str := func(s string) RawTime { return RawTime{Field: "ts", Kind: TimeString, Str: []byte(s)} }
	cases := []struct {
		raw    RawTime
		f      TimeFormat
		substr string
	}{
		{RawTime{Field: "ts"}, TimeAuto, "missing"},
		{str("2026-11-26"), TimeRFC3339, "too short"},
		{str("2026-11-26T07:40:00"), TimeRFC3339, "too short"},
		{str("2026-11-26T07:40:00.Z"), TimeRFC3339, "empty fraction"},
		{str("2026-11-26T07:40:00+0100"), TimeRFC3339, "offset"},
		{str("2026-13-26T07:40:00Z"), TimeRFC3339, "month"},
		{str("2025-02-29T07:40:00Z"), TimeRFC3339, "day"},
		{str("2026-11-26T24:00:00Z"), TimeRFC3339, "time out of range"},
		{str("2026-11-26T23:59:60Z"), TimeRFC3339, "time out of range"},
		{str("2026-11-26X07:40:00Z"), TimeRFC3339, "separator"},
		{str("2026-11-26T07:40:00Zx"), TimeRFC3339, "trailing"},
		{str("yesterday at noon!!"), TimeAuto, "too short"},
		{str("1795678800"), TimeRFC3339, "RFC 3339"},
		{str("12x"), TimeEpochS, "not a number"},
		{str("2026-11-26T07:40:00Z"), TimeEpochMs, "not a number"},
		{RawTime{Field: "ts", Kind: TimeInt, Int: 5}, TimeRFC3339, "rfc3339"},
		{RawTime{Field: "ts", Kind: TimeInt, Int: 1 << 40}, TimeEpochS, "out of range"},
		{RawTime{Field: "ts", Kind: TimeFloat, Float: 1e300}, TimeEpochMs, "out of range"},
		{str("9999-12-31T23:59:59Z"), TimeRFC3339, "out of range"},
	}
	for _, c := range cases {
		_, err := ParseEventTime(c.raw, c.f)
		if err == nil {
			t.Errorf("%q %v: no error", c.raw.Str, c.f)
			continue
		}
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.substr) || !strings.Contains(err.Error(), `"ts"`) {
			t.Errorf("%q %v: %v (want %q and the field name)", c.raw.Str, c.f, err, c.substr)
		}
	}
	if _, err := ParseEventTime(str("12345"), TimeEpochS); err != nil {
		t.Fatal(err)
	}
	_, err := ParseEventTime(str("bogus-time-value-xx"), TimeRFC3339)
	if !strings.Contains(err.Error(), `"bogus-time-value-xx"`) {
		t.Errorf("error does not quote the value: %v", err)
	}
}

// The allocation-free RFC 3339 parser agrees with time.Parse(RFC3339Nano) on
// random valid and near-valid inputs.
func TestRFC3339AgainstTimeParse(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		ts := time.Unix(r.Int64N(8e9)-4e9+int64(r.IntN(3))*2e9, r.Int64N(1e9))
		var s string
		switch r.IntN(4) {
		case 0:
			s = ts.UTC().Format(time.RFC3339Nano)
		case 1:
			s = ts.In(time.FixedZone("", (r.IntN(48)-24)*1800)).Format(time.RFC3339Nano)
		case 2:
			s = ts.UTC().Format(time.RFC3339)
		default:
			b := []byte(ts.UTC().Format(time.RFC3339Nano))
			b[r.IntN(len(b))] = "0123456789:-TZ.+x"[r.IntN(17)]
			s = string(b)
		}
		want, werr := time.Parse(time.RFC3339Nano, s)
		got, gerr := parseRFC3339([]byte(s))
		if werr == nil && (want.Year() < 1678 || want.Year() > 2261) {
			if gerr != "out of range" {
				t.Errorf("%q: want out of range, got %q", s, gerr)
			}
			continue
		}
		if (werr == nil) != (gerr == "") {
			// time.Parse accepts a few things RFC 3339 forbids (and
			// vice versa we accept lower-case t/z): only report when
			// the string is in the common canonical shape.
			if !strings.ContainsAny(s, "tz ") && werr == nil {
				t.Errorf("%q: time.Parse ok, ours %q", s, gerr)
			}
			continue
		}
		if werr == nil && want.UnixNano() != got {
			t.Errorf("%q: got %d want %d", s, got, want.UnixNano())
		}
	}
}
