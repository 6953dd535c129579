package profiler

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Day is the length of a UTC day; rotations either divide it or are whole
// multiples of it.
const Day = 24 * time.Hour

// ParseRotation parses a rotation time (the length of an event-time window).
//
// Accepted forms, case-insensitive, surrounding spaces ignored:
//   - whylogs' with_rotation_time form: an optional decimal count followed by
//     one unit letter, s, m, h or d ("30s", "5m", "1h", "1d", "90m", "2h";
//     "h" alone means "1h", as in whylogs' regular expression ^(\d*)([smhd])$);
//   - any Go duration string time.ParseDuration accepts ("1h30m", "15m0s").
//
// The rotation must be valid for ValidateRotation: a whole number of seconds,
// at least one second, that divides a UTC day evenly (1s, 2s, 3s, …, 30s, 1m,
// 90m, 2h, 8h, 12h, 24h …) or is a whole number of days (2d, 7d …). Other
// values ("0s", "-1h", "500ms", "7s", "7m", "25h", "36h") are rejected with an
// error wrapping ErrInvalidArgument that names the value and the rule.
func ParseRotation(s string) (time.Duration, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return 0, fmt.Errorf("profiler: rotation %q: empty: %w", s, ErrInvalidArgument)
	}
	var d time.Duration
	if unit, ok := rotationUnit(in[len(in)-1]); ok && isDigits(in[:len(in)-1]) {
		n := int64(1)
		if num := in[:len(in)-1]; num != "" {
			v, err := strconv.ParseInt(num, 10, 64)
			if err != nil || v > int64(1<<62)/int64(unit) {
				return 0, fmt.Errorf("profiler: rotation %q: count out of range: %w", s, ErrInvalidArgument)
			}
			n = v
		}
		d = time.Duration(n) * unit
	} else {
		v, err := time.ParseDuration(in)
		if err != nil {
			return 0, fmt.Errorf("profiler: rotation %q: want a count and a unit s, m, h or d (\"5m\", \"1h\", \"1d\") or a Go duration: %w", s, ErrInvalidArgument)
		}
		d = v
	}
	if err := ValidateRotation(d); err != nil {
		return 0, fmt.Errorf("profiler: rotation %q: %w", s, err)
	}
	return d, nil
}

func rotationUnit(c byte) (time.Duration, bool) {
	switch c {
	case 's':
		return time.Second, true
	case 'm':
		return time.Minute, true
	case 'h':
		return time.Hour, true
	case 'd':
		return Day, true
	}
	return 0, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// RotationFromWhen converts whylogs' rolling-logger parameters (when= "S",
// "M", "H", "D" or "MIDNIGHT", case-insensitive; interval ≥ 1) into a rotation:
// unit × interval. The result must pass ValidateRotation.
func RotationFromWhen(when string, interval int) (time.Duration, error) {
	var unit time.Duration
	switch strings.ToUpper(strings.TrimSpace(when)) {
	case "S":
		unit = time.Second
	case "M":
		unit = time.Minute
	case "H":
		unit = time.Hour
	case "D", "MIDNIGHT":
		unit = Day
	default:
		return 0, fmt.Errorf("profiler: rotation when=%q: want S, M, H or D: %w", when, ErrInvalidArgument)
	}
	if interval < 1 || int64(interval) > int64(1<<62)/int64(unit) {
		return 0, fmt.Errorf("profiler: rotation interval %d: want ≥ 1: %w", interval, ErrInvalidArgument)
	}
	d := time.Duration(interval) * unit
	if err := ValidateRotation(d); err != nil {
		return 0, fmt.Errorf("profiler: rotation when=%q interval=%d: %w", when, interval, err)
	}
	return d, nil
}

// ValidateRotation reports whether d can be a window length. The rule: d is a
// whole number of seconds, d ≥ 1s, and either d divides 24h evenly or d is a
// whole number of days. Windows are aligned to the UTC epoch, so under this
// rule every window boundary of a sub-day rotation also falls on a UTC
// midnight every day, and daily (or n-day) windows start at UTC midnight;
// rotations such as 7m or 25h would drift against the calendar.
func ValidateRotation(d time.Duration) error {
	switch {
	case d <= 0:
		return fmt.Errorf("profiler: rotation %v: must be positive: %w", d, ErrInvalidArgument)
	case d%time.Second != 0:
		return fmt.Errorf("profiler: rotation %v: must be a whole number of seconds: %w", d, ErrInvalidArgument)
	case d < Day && Day%d != 0:
		return fmt.Errorf("profiler: rotation %v: must divide 24h evenly (or be whole days): %w", d, ErrInvalidArgument)
	case d > Day && d%Day != 0:
		return fmt.Errorf("profiler: rotation %v: longer than a day must be whole days: %w", d, ErrInvalidArgument)
	}
	return nil
}

// FormatRotation returns the shortest whylogs-style form of a valid rotation:
// "30s", "5m", "1h", "1d", "90m".
func FormatRotation(d time.Duration) string {
	switch {
	case d%Day == 0:
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// Window is one event-time window: the half-open interval [Start, End), both
// in UTC.
type Window struct {
	Start, End time.Time
}

// Contains reports whether Start ≤ t < End.
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.Start) && t.Before(w.End)
}

// String returns "[start, end)" in RFC 3339.
func (w Window) String() string {
	return "[" + w.Start.Format(time.RFC3339) + ", " + w.End.Format(time.RFC3339) + ")"
}

// WindowOf returns the window of the rotation that holds t: windows are
// aligned to the UTC epoch (1970-01-01T00:00:00Z), Start = floor(t / rotation)
// × rotation, End = Start + rotation. Floor, not truncation: a time before
// 1970 belongs to the window that starts at or before it. A time equal to a
// window's End belongs to the next window. Time zones and daylight saving do
// not matter: only the instant counts. rotation must pass ValidateRotation
// (WindowOf panics otherwise, as it is a programming error).
//
// Why the epoch and not the start of logging (whylogs v0) or local time
// (whylogs' rolling logger): a window is then a pure function of the event
// time, so every partition, every process and every replay cuts the same
// windows, and their partial profiles merge by window.
func WindowOf(t time.Time, rotation time.Duration) Window {
	start := windowStartSec(t, rotation)
	rs := int64(rotation / time.Second)
	return Window{Start: time.Unix(start, 0).UTC(), End: time.Unix(start+rs, 0).UTC()}
}

// windowStartSec returns the window start in Unix seconds.
func windowStartSec(t time.Time, rotation time.Duration) int64 {
	if ValidateRotation(rotation) != nil {
		panic(fmt.Sprintf("profiler: WindowOf with invalid rotation %v", rotation))
	}
	rs := int64(rotation / time.Second)
	sec := t.Unix() // floor: the nanoseconds of a Time are always in [0, 1e9)
	q := sec / rs
	if sec%rs < 0 {
		q--
	}
	return q * rs
}
