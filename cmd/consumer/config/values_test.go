package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"1d", 24 * time.Hour},
		{"7d", 7 * 24 * time.Hour},
		{"2d12h", 60 * time.Hour},
		{"1d30m", 24*time.Hour + 30*time.Minute},
		{"90m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"30s", 30 * time.Second},
		{"250ms", 250 * time.Millisecond},
		{"0", 0},
		{"0s", 0},
		{"0d", 0},
		{"-5m", -5 * time.Minute},
		{"-1d", -24 * time.Hour},
		{" 5m ", 5 * time.Minute},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got.Std() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got.Std(), err, tt.want)
		}
	}
	for _, bad := range []string{"", " ", "5", "1.5d", "d", "1h1d", "1dd", "abc", "1d-5m", "--1d", "5 m", "1w", "+-1d", "999999999999d"} {
		if got, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, got.Std())
		}
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{24 * time.Hour, "1d"},
		{7 * 24 * time.Hour, "7d"},
		{36 * time.Hour, "1d12h"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"},
		{10 * time.Second, "10s"},
		{250 * time.Millisecond, "250ms"},
		{-5 * time.Minute, "-5m"},
		{25*time.Hour + time.Second, "1d1h0m1s"},
	}
	for _, tt := range tests {
		got := Duration(tt.d).String()
		if got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
		back, err := ParseDuration(got)
		if err != nil || back.Std() != tt.d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v (round trip)", got, back.Std(), err, tt.d)
		}
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		str  string
	}{
		{"1048576", 1 << 20, "1MiB"},
		{"50MiB", 50 << 20, "50MiB"},
		{"512KiB", 512 << 10, "512KiB"},
		{"1GiB", 1 << 30, "1GiB"},
		{"1GB", 1_000_000_000, "1000000000"},
		{"2 KB", 2000, "2000"},
		{"100B", 100, "100"},
		{"0", 0, "0"},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if err != nil || int64(got) != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			continue
		}
		if got.String() != tt.str {
			t.Errorf("ByteSize(%d).String() = %q, want %q", got, got.String(), tt.str)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "+5", "1.5MiB", "5XB", "99999999999GiB"} {
		if got, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestStartPosition(t *testing.T) {
	tests := []struct {
		in     string
		kind   StartKind
		millis int64
		str    string
	}{
		{"earliest", StartEarliest, 0, "earliest"},
		{"LATEST", StartLatest, 0, "latest"},
		{"2026-11-01T00:00:00Z", StartTimestamp, 1793491200000, "2026-11-01T00:00:00Z"},
		{"2026-11-01T01:00:00+01:00", StartTimestamp, 1793491200000, "2026-11-01T00:00:00Z"},
		{"1793491200000", StartTimestamp, 1793491200000, "2026-11-01T00:00:00Z"},
		{"1500", StartTimestamp, 1500, "1970-01-01T00:00:01.5Z"},
	}
	for _, tt := range tests {
		got, err := ParseStartPosition(tt.in)
		if err != nil || got.Kind != tt.kind || got.Millis() != tt.millis || got.String() != tt.str {
			t.Errorf("ParseStartPosition(%q) = {%v %d %q}, %v; want {%v %d %q}", tt.in, got.Kind, got.Millis(), got.String(), err, tt.kind, tt.millis, tt.str)
		}
	}
	for _, bad := range []string{"", "now", "2026-11-01", "-5", "99999999999999999999", "yesterday"} {
		if got, err := ParseStartPosition(bad); err == nil {
			t.Errorf("ParseStartPosition(%q) = %v, want an error", bad, got)
		}
	}
}

const secretValue = "hunter2-S3CR3T"

func TestSecretRedaction(t *testing.T) {
	s := NewSecret(secretValue)
	if s.Reveal() != secretValue || !s.IsSet() {
		t.Fatalf("Reveal() = %q, IsSet() = %v", s.Reveal(), s.IsSet())
	}
	js, _ := json.Marshal(s)
	ys, _ := yaml.Marshal(s)
	txt, _ := s.MarshalText()
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "password", s)
	renderings := map[string]string{
		"String": s.String(),
		"%v":     fmt.Sprintf("%v", s),
		"%+v":    fmt.Sprintf("%+v", s),
		"%#v":    fmt.Sprintf("%#v", s),
		"%s":     fmt.Sprintf("%s", s),
		"%q":     fmt.Sprintf("%q", s),
		"%x":     fmt.Sprintf("%x", s),
		"ptr %v": fmt.Sprintf("%v", &s),
		"json":   string(js),
		"yaml":   string(ys),
		"text":   string(txt),
		"slog":   logBuf.String(),
	}
	for name, r := range renderings {
		if strings.Contains(r, secretValue) || strings.Contains(r, "hunter") {
			t.Errorf("%s rendering leaks the secret: %s", name, r)
		}
		if !strings.Contains(r, Redacted) {
			t.Errorf("%s rendering = %q, want it to show %s", name, r, Redacted)
		}
	}
	var empty Secret
	if empty.String() != "" || empty.IsSet() {
		t.Errorf("empty secret renders %q, IsSet %v", empty.String(), empty.IsSet())
	}
}
