package event

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// TimeFormat says how ParseEventTime interprets the raw event-time value.
type TimeFormat uint8

const (
	// TimeAuto: strings that look like numbers and numbers are epoch values
	// whose unit is the schema's (Avro timestamp-millis/-micros/-nanos, date)
	// or else chosen by magnitude of |v|: < 1e11 seconds, < 1e14
	// milliseconds, < 1e17 microseconds, otherwise nanoseconds (so seconds
	// work until the year 5138 and milliseconds from 1973 on); other strings
	// are RFC 3339.
	TimeAuto TimeFormat = iota
	// TimeRFC3339: strings in RFC 3339 ("2026-11-26T07:40:00.123Z",
	// "...+01:00"; 'T' may be 't' or a space, 'Z' may be 'z'; up to 9
	// fractional digits are used, further digits are ignored; leap second 60
	// is rejected). Numbers are accepted only with a schema unit.
	TimeRFC3339
	// Epoch formats: numbers (or strings holding a JSON-style number) counted
	// from 1970-01-01T00:00:00Z in the given unit; fractions are allowed and
	// rounded to the nearest nanosecond. These ignore the schema unit.
	TimeEpochS
	TimeEpochMs
	TimeEpochUs
	TimeEpochNs
)

var timeFormatNames = [...]string{"auto", "rfc3339", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns"}

// String returns the configuration spelling: auto, rfc3339, epoch_s, epoch_ms,
// epoch_us or epoch_ns.
func (f TimeFormat) String() string {
	if int(f) < len(timeFormatNames) {
		return timeFormatNames[f]
	}
	return "TimeFormat(" + strconv.Itoa(int(f)) + ")"
}

// ParseTimeFormat parses the configuration spelling of a TimeFormat ("" is auto).
func ParseTimeFormat(s string) (TimeFormat, error) {
	if s == "" {
		return TimeAuto, nil
	}
	for i, n := range timeFormatNames {
		if s == n {
			return TimeFormat(i), nil
		}
	}
	return 0, fmt.Errorf("event: unknown time format %q (want auto, rfc3339, epoch_s, epoch_ms, epoch_us or epoch_ns)", s)
}

// The range representable as int64 Unix nanoseconds (years 1677 to 2262),
// which is what event-time windows use.
const (
	minNanos = math.MinInt64
	maxNanos = math.MaxInt64
)

// ParseEventTime converts a raw event-time value to a UTC time.Time. It
// fails (KindMalformed, naming the field and the value) when the value is
// absent, has the wrong type for the format, does not parse, or falls outside
// the int64-nanosecond range.
func ParseEventTime(raw RawTime, f TimeFormat) (time.Time, error) {
	// Fast path for RFC 3339 strings. In auto mode a string with '-' at
	// offsets 4 and 7 cannot be a JSON number (a number has at most a
	// leading '-' and one after the exponent marker, with only digits
	// after that), so parseEventNanos would try RFC 3339 as well.
	if raw.Kind == TimeString {
		if s := raw.Str; f == TimeRFC3339 || (f == TimeAuto && len(s) >= 20 && s[4] == '-' && s[7] == '-') {
			if secs, nsec, ok := rfc3339Fast(s); ok {
				return time.Unix(secs, int64(nsec)).UTC(), nil
			}
		}
	}
	ns, err := parseEventNanos(raw, f)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, ns).UTC(), nil
}

func timeErr(raw RawTime, why string) error {
	var v string
	switch raw.Kind {
	case TimeNone:
		v = "<missing>"
	case TimeString:
		v = strconv.Quote(string(raw.Str))
	case TimeInt:
		v = strconv.FormatInt(raw.Int, 10)
	case TimeFloat:
		v = strconv.FormatFloat(raw.Float, 'g', -1, 64)
	}
	return &Error{Kind: KindMalformed, Format: "event_time", Offset: -1,
		Msg: fmt.Sprintf("field %q value %s: %s", raw.Field, v, why)}
}

func unitNanos(u TimeUnit) int64 {
	switch u {
	case UnitMillis:
		return 1e6
	case UnitMicros:
		return 1e3
	case UnitNanos:
		return 1
	case UnitDays:
		return 86400e9
	}
	return 1e9
}

func formatUnit(f TimeFormat) TimeUnit {
	switch f {
	case TimeEpochMs:
		return UnitMillis
	case TimeEpochUs:
		return UnitMicros
	case TimeEpochNs:
		return UnitNanos
	}
	return UnitNone // seconds
}

func magnitudeUnit(a float64) TimeUnit {
	switch {
	case a < 1e11:
		return UnitNone
	case a < 1e14:
		return UnitMillis
	case a < 1e17:
		return UnitMicros
	}
	return UnitNanos
}

func parseEventNanos(raw RawTime, f TimeFormat) (int64, error) {
	if f > TimeEpochNs {
		return 0, timeErr(raw, "invalid time format "+f.String())
	}
	kind, iv, fv := raw.Kind, raw.Int, raw.Float
	switch kind {
	case TimeNone:
		return 0, timeErr(raw, "event-time field missing or null")
	case TimeString:
		var ok bool
		if f != TimeRFC3339 {
			kind, iv, fv, ok = parseNumber(raw.Str)
		}
		if !ok {
			if f != TimeRFC3339 && f != TimeAuto {
				return 0, timeErr(raw, "not a number")
			}
			ns, why := parseRFC3339(raw.Str)
			if why != "" {
				return 0, timeErr(raw, "not RFC 3339: "+why)
			}
			return ns, nil
		}
	}
	// A number.
	var unit TimeUnit
	switch f {
	case TimeRFC3339:
		if raw.Unit == UnitNone {
			return 0, timeErr(raw, "a number, but the format is rfc3339")
		}
		unit = raw.Unit
	case TimeAuto:
		unit = raw.Unit
		if unit == UnitNone {
			a := math.Abs(fv)
			if kind == TimeInt {
				a = math.Abs(float64(iv))
			}
			unit = magnitudeUnit(a)
		}
	default:
		unit = formatUnit(f)
	}
	mul := unitNanos(unit)
	if kind == TimeInt {
		if iv > maxNanos/mul || iv < minNanos/mul {
			return 0, timeErr(raw, "out of range")
		}
		return iv * mul, nil
	}
	// Split into whole units and a fraction so that seconds with a
	// fraction keep nanosecond precision.
	whole := math.Trunc(fv)
	if math.IsNaN(fv) || whole >= 0x1p63 || whole < -0x1p63 {
		return 0, timeErr(raw, "out of range")
	}
	w := int64(whole)
	if w > maxNanos/mul || w < minNanos/mul {
		return 0, timeErr(raw, "out of range")
	}
	ns := w * mul
	fr := int64(math.Round((fv - whole) * float64(mul)))
	if (fr > 0 && ns > maxNanos-fr) || (fr < 0 && ns < minNanos-fr) {
		return 0, timeErr(raw, "out of range")
	}
	return ns + fr, nil
}

// parseNumber parses s with the JSON number grammar: integers fitting int64
// stay integers, everything else is a float64.
func parseNumber(s []byte) (TimeKind, int64, float64, bool) {
	n, kind, iv, fv := parseNum(s, 0)
	if n != len(s) || n == 0 {
		return TimeNone, 0, 0, false
	}
	if kind == numInt {
		return TimeInt, iv, 0, true
	}
	return TimeFloat, 0, fv, true
}

var daysIn = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func digits(s []byte, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range s[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseRFC3339Ref is the reference RFC 3339 parser (Unix nanoseconds, no
// allocation; the reason is empty on success). parseRFC3339 is its fast
// path and defers to it for everything unusual and every error.
func parseRFC3339Ref(s []byte) (int64, string) {
	// 0123456789012345678
	// YYYY-MM-DDTHH:MM:SS
	if len(s) < 20 {
		return 0, "too short"
	}
	y, ok1 := digits(s, 0, 4)
	mo, ok2 := digits(s, 5, 2)
	d, ok3 := digits(s, 8, 2)
	h, ok4 := digits(s, 11, 2)
	mi, ok5 := digits(s, 14, 2)
	sec, ok6 := digits(s, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return 0, "bad layout (want YYYY-MM-DDTHH:MM:SS)"
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return 0, "bad date/time separator"
	}
	if mo < 1 || mo > 12 {
		return 0, "month out of range"
	}
	dim := daysIn[mo]
	if mo == 2 && (y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		dim = 29
	}
	if d < 1 || d > dim {
		return 0, "day out of range"
	}
	if h > 23 || mi > 59 || sec > 59 {
		return 0, "time out of range"
	}
	i := 19
	frac := 0
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		scale := 100000000
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			frac += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return 0, "empty fraction"
		}
	}
	if i >= len(s) {
		return 0, "missing time zone offset"
	}
	off := 0
	switch s[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		oh, ok1 := digits(s, i+1, 2)
		om, ok2 := digits(s, i+4, 2)
		if !ok1 || !ok2 || s[i+3] != ':' {
			return 0, "bad time zone offset"
		}
		if oh > 23 || om > 59 {
			return 0, "time zone offset out of range"
		}
		off = (oh*60 + om) * 60
		if s[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return 0, "bad time zone offset"
	}
	if i != len(s) {
		return 0, "trailing characters"
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, frac, time.UTC)
	secs := t.Unix() - int64(off)
	// Keep within int64 nanoseconds.
	if secs > maxNanos/int64(1e9)-1 || secs < minNanos/int64(1e9)+1 {
		return 0, "out of range"
	}
	return secs*1e9 + int64(frac), ""
}
