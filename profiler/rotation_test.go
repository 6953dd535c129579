package profiler_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

func TestParseRotation(t *testing.T) {
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"30s", 30 * time.Second},
		{"1s", time.Second},
		{"s", time.Second},
		{"5m", 5 * time.Minute},
		{"m", time.Minute},
		{"1h", time.Hour},
		{"H", time.Hour},
		{"1d", 24 * time.Hour},
		{"D", 24 * time.Hour},
		{"90m", 90 * time.Minute},
		{"2h", 2 * time.Hour},
		{"8h", 8 * time.Hour},
		{"12h", 12 * time.Hour},
		{"24h", 24 * time.Hour},
		{"48h", 48 * time.Hour},
		{"7d", 7 * 24 * time.Hour},
		{"1440m", 24 * time.Hour},
		{"86400s", 24 * time.Hour},
		{" 15M ", 15 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"2m30s", 150 * time.Second},
		{"45s", 45 * time.Second},
	}
	for _, c := range ok {
		got, err := profiler.ParseRotation(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseRotation(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	bad := []string{
		"", "0s", "0", "0d", "-1h", "-5m", "500ms", "1.5s", "1500ms", // non-positive or sub-second
		"7s", "7m", "11m", "25h", "36h", "1d12h", "5h", // do not divide a day / not whole days
		"1w", "x", "5", "h5", "5 m", "99999999999999999999d", "9223372036854775807d",
	}
	for _, in := range bad {
		got, err := profiler.ParseRotation(in)
		if err == nil {
			t.Errorf("ParseRotation(%q) = %v, want an error", in, got)
		} else if !errors.Is(err, profiler.ErrInvalidArgument) {
			t.Errorf("ParseRotation(%q) error %v does not wrap ErrInvalidArgument", in, err)
		}
	}
}

func TestRotationFromWhen(t *testing.T) {
	cases := []struct {
		when     string
		interval int
		want     time.Duration
	}{
		{"S", 30, 30 * time.Second},
		{"M", 5, 5 * time.Minute},
		{"m", 90, 90 * time.Minute},
		{"H", 1, time.Hour},
		{"H", 6, 6 * time.Hour},
		{"D", 1, 24 * time.Hour},
		{"MIDNIGHT", 1, 24 * time.Hour},
		{"D", 3, 72 * time.Hour},
	}
	for _, c := range cases {
		got, err := profiler.RotationFromWhen(c.when, c.interval)
		if err != nil || got != c.want {
			t.Errorf("RotationFromWhen(%q, %d) = %v, %v; want %v", c.when, c.interval, got, err, c.want)
		}
	}
	for _, c := range []struct {
		when     string
		interval int
	}{{"W", 1}, {"H", 0}, {"H", -1}, {"M", 7}, {"H", 5}, {"", 1}} {
		if got, err := profiler.RotationFromWhen(c.when, c.interval); !errors.Is(err, profiler.ErrInvalidArgument) {
			t.Errorf("RotationFromWhen(%q, %d) = %v, %v; want ErrInvalidArgument", c.when, c.interval, got, err)
		}
	}
}

func TestFormatRotation(t *testing.T) {
	for in, want := range map[time.Duration]string{
		30 * time.Second: "30s", 5 * time.Minute: "5m", 90 * time.Minute: "90m",
		2 * time.Hour: "2h", 24 * time.Hour: "1d", 48 * time.Hour: "2d",
	} {
		if got := profiler.FormatRotation(in); got != want {
			t.Errorf("FormatRotation(%v) = %q, want %q", in, got, want)
		}
		back, err := profiler.ParseRotation(want)
		if err != nil || back != in {
			t.Errorf("ParseRotation(FormatRotation(%v)) = %v, %v", in, back, err)
		}
	}
}

func TestWindowOfAlignment(t *testing.T) {
	u := func(sec int64, nsec int64) time.Time { return time.Unix(sec, nsec) }
	cases := []struct {
		t          time.Time
		rot        time.Duration
		start, end int64
	}{
		{u(0, 0), time.Minute, 0, 60},
		{u(59, 999_999_999), time.Minute, 0, 60},
		{u(60, 0), time.Minute, 60, 120}, // t == end belongs to the next window
		{u(61, 0), time.Minute, 60, 120},
		{u(-1, 0), time.Minute, -60, 0}, // floor, not truncation toward zero
		{u(-1, 999_999_999), time.Minute, -60, 0},
		{u(-60, 0), time.Minute, -60, 0},
		{u(-61, 0), time.Minute, -120, -60},
		{u(0, -1), time.Second, -1, 0}, // one nanosecond before the epoch
		{u(-86400*365-1, 0), 24 * time.Hour, -86400 * 366, -86400 * 365},
		{u(1_700_000_123, 5), 5 * time.Minute, 1_700_000_100, 1_700_000_400},
		{u(1_700_000_123, 5), 90 * time.Minute, 1_699_995_600, 1_700_001_000}, // 21:00Z–22:30Z
		{u(1_700_000_123, 5), 48 * time.Hour, 1_699_833_600, 1_700_006_400},   // 2023-11-13T00:00Z, two days
	}
	for _, c := range cases {
		w := profiler.WindowOf(c.t, c.rot)
		if w.Start.Unix() != c.start || w.End.Unix() != c.end || w.Start.Nanosecond() != 0 {
			t.Errorf("WindowOf(%v, %v) = %v, want [%d, %d)", c.t.UTC(), c.rot, w, c.start, c.end)
		}
		if !w.Contains(c.t) {
			t.Errorf("WindowOf(%v, %v) = %v does not contain t", c.t.UTC(), c.rot, w)
		}
		if w.Start.Location() != time.UTC || w.End.Location() != time.UTC {
			t.Errorf("WindowOf(%v) not in UTC: %v", c.t, w)
		}
		if w.Contains(w.End) || !w.Contains(w.Start) {
			t.Errorf("window %v is not half-open", w)
		}
	}
}

func TestWindowOfIgnoresTimeZonesAndDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	// The night the clocks went back in New York (2024-11-03): 01:30 happens
	// twice locally; windows follow the instant, daily windows start at UTC
	// midnight, hourly ones on the UTC hour.
	first := time.Date(2024, 11, 3, 1, 30, 0, 0, ny) // EDT, 05:30Z
	second := first.Add(time.Hour)                   // EST, 06:30Z, same local clock in zones with DST
	for _, tm := range []time.Time{first, second} {
		d := profiler.WindowOf(tm, 24*time.Hour)
		if !d.Start.Equal(time.Date(2024, 11, 3, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("daily window of %v starts %v, want 2024-11-03T00:00Z", tm, d.Start)
		}
		h := profiler.WindowOf(tm, time.Hour)
		u := tm.UTC()
		if want := time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), 0, 0, 0, time.UTC); !h.Start.Equal(want) {
			t.Errorf("hourly window of %v starts %v, want %v", tm, h.Start, want)
		}
		if h2 := profiler.WindowOf(tm.UTC(), time.Hour); h2 != h {
			t.Errorf("window depends on the location: %v vs %v", h, h2)
		}
	}
	if profiler.WindowOf(first, time.Hour) == profiler.WindowOf(second, time.Hour) {
		t.Errorf("two instants an hour apart share an hourly window")
	}
}
