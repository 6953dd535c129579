package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day is the length of the "d" duration unit: exactly 24 hours. Calendar days
// with leap seconds or daylight-saving shifts do not exist in UTC epoch time,
// which is what windows are aligned to.
const Day = 24 * time.Hour

// Duration is a time.Duration that reads and writes the Go duration syntax
// extended with a leading whole-day component: "90s", "5m", "1h30m", "1d",
// "2d12h". A bare number without a unit is rejected, except "0".
type Duration time.Duration

// ParseDuration parses s as a Duration. It accepts everything
// time.ParseDuration accepts, optionally preceded by a whole number of days
// ("1d", "7d", "1d6h"). Fractional days ("1.5d") are rejected: write "1d12h".
func ParseDuration(s string) (Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, errors.New("empty duration")
	}
	neg := false
	body := in
	if body[0] == '-' || body[0] == '+' {
		neg = body[0] == '-'
		body = body[1:]
	}
	var days int64
	if i := strings.IndexByte(body, 'd'); i >= 0 {
		n, err := strconv.ParseInt(body[:i], 10, 64)
		if err != nil || i == 0 || strings.ContainsAny(body[:i], "+-") {
			return 0, fmt.Errorf("invalid day count in %q", s)
		}
		if n > int64(math.MaxInt64/int64(Day)) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		days = n
		body = body[i+1:]
	}
	var rest time.Duration
	if body != "" {
		if body[0] == '-' || body[0] == '+' {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		d, err := time.ParseDuration(body)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		rest = d
	} else if days == 0 && !strings.Contains(in, "d") {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	total := time.Duration(days) * Day
	if rest > time.Duration(math.MaxInt64)-total {
		return 0, fmt.Errorf("duration %q is too long", s)
	}
	total += rest
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d in the shortest form ParseDuration reads back: whole days
// as "Nd" (with any remainder in Go syntax, "1d6h"), everything else in Go
// syntax without trailing zero units ("5m", "1h30m", "1m30s", "250ms").
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	v := time.Duration(d)
	sign := ""
	if v < 0 {
		if v == math.MinInt64 {
			return v.String()
		}
		sign, v = "-", -v
	}
	var b strings.Builder
	b.WriteString(sign)
	if days := v / Day; days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10))
		b.WriteByte('d')
		v -= days * Day
		if v == 0 {
			return b.String()
		}
	}
	s := v.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	b.WriteString(s)
	return b.String()
}

// MarshalText implements encoding.TextMarshaler (used by YAML and JSON).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ByteSize is a number of bytes. It reads plain integers and integers with a
// unit: B, KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024), e.g.
// "1048576", "512KiB", "50MiB", "1GB".
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseByteSize parses s as a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	in := strings.TrimSpace(s)
	mult := int64(1)
	num := in
	for _, u := range byteUnits {
		if strings.HasSuffix(in, u.suffix) {
			mult = u.mult
			num = strings.TrimSpace(strings.TrimSuffix(in, u.suffix))
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(num, "+") {
		return 0, fmt.Errorf("invalid byte size %q", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("byte size %q is too large", s)
	}
	return ByteSize(n * mult), nil
}

// String formats b with the largest binary unit that divides it exactly.
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.mult == 0 {
			return strconv.FormatInt(int64(b)/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalText implements encoding.TextMarshaler.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(t []byte) error {
	v, err := ParseByteSize(string(t))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// StartKind says where a consumer group starts reading a partition that has
// no committed offset.
type StartKind int

// The start positions. The zero StartKind means "not set" (the default,
// earliest, is then applied).
const (
	StartEarliest  StartKind = iota + 1 // the log start offset
	StartLatest                         // the log end offset: only new records
	StartTimestamp                      // the first record at or after Time
)

// StartPosition is where a new consumer group starts reading: "earliest",
// "latest", or a time, written as RFC 3339 ("2026-11-01T00:00:00Z") or as
// epoch milliseconds ("1761955200000"). It is used only for partitions that
// have no committed offset; a group that has committed keeps its offsets.
type StartPosition struct {
	Kind StartKind
	Time time.Time // UTC; set only for StartTimestamp
}

// ParseStartPosition parses s as a StartPosition.
func ParseStartPosition(s string) (StartPosition, error) {
	in := strings.TrimSpace(s)
	switch strings.ToLower(in) {
	case "earliest":
		return StartPosition{Kind: StartEarliest}, nil
	case "latest":
		return StartPosition{Kind: StartLatest}, nil
	}
	if in != "" && strings.Trim(in, "0123456789") == "" {
		ms, err := strconv.ParseInt(in, 10, 64)
		if err != nil {
			return StartPosition{}, fmt.Errorf("invalid start position %q", s)
		}
		return StartPosition{Kind: StartTimestamp, Time: time.UnixMilli(ms).UTC()}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, in)
	if err != nil {
		return StartPosition{}, fmt.Errorf("invalid start position %q", s)
	}
	return StartPosition{Kind: StartTimestamp, Time: t.UTC()}, nil
}

// Millis returns the start time in epoch milliseconds (0 unless Kind is
// StartTimestamp).
func (p StartPosition) Millis() int64 {
	if p.Kind != StartTimestamp {
		return 0
	}
	return p.Time.UnixMilli()
}

// String returns "earliest", "latest", the time in RFC 3339 (UTC), or "" when
// unset.
func (p StartPosition) String() string {
	switch p.Kind {
	case StartEarliest:
		return "earliest"
	case StartLatest:
		return "latest"
	case StartTimestamp:
		return p.Time.UTC().Format(time.RFC3339Nano)
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (p StartPosition) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *StartPosition) UnmarshalText(b []byte) error {
	v, err := ParseStartPosition(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Redacted is what every rendering of a set Secret prints.
const Redacted = "[redacted]"

// Secret holds a credential. Its value is only available through Reveal;
// String, GoString, MarshalText, MarshalJSON, MarshalYAML and LogValue (slog)
// print "[redacted]" when it is set and "" when it is empty, so neither
// fmt (%v, %+v, %#v), encoding/json, YAML, slog nor zerolog (which uses
// MarshalJSON for Interface and String for Stringer) can leak it.
type Secret struct {
	value string
}

// NewSecret returns a Secret holding v.
func NewSecret(v string) Secret { return Secret{value: v} }

// Reveal returns the secret value. Call it only where the credential is
// handed to the client that needs it.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s.value != "" }

// String returns "[redacted]" or "".
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format implements fmt.Formatter so that every verb (%s, %v, %q, %x …)
// prints the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprint(f, strconv.Quote(s.String()))
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// MarshalText implements encoding.TextMarshaler with the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: it stores the text.
func (s *Secret) UnmarshalText(b []byte) error {
	s.value = string(b)
	return nil
}

// MarshalJSON implements json.Marshaler with the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML implements the YAML marshaler interface with the redacted form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// LogValue implements slog.LogValuer with the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
