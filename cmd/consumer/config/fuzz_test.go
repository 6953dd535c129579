package config

import (
	"errors"
	"testing"
)

// FuzzParse checks that no input makes Parse panic and that every failure
// is a content error (ErrInvalid).
func FuzzParse(f *testing.F) {
	f.Add([]byte(Example()))
	f.Add([]byte(minimalYAML))
	f.Add([]byte("x-a: &a {topics: [t]}\ndatasets: [{<<: *a, name: n}]\n"))
	f.Add([]byte("kafka: {brokers: a:1, tls: {enabled: yes}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		c.SetDefaults()
		_ = c.Validate()
		_ = c.String()
	})
}

// FuzzParseDuration checks that a parsed duration prints back to itself.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1d", "90m", "1h30m", "2d12h", "-5m", "0", "250ms", "1.5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q → %v → %q → %v, %v", s, int64(d), d.String(), int64(back), err)
		}
	})
}
