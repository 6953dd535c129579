package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
)

// TestReadmeReferenceIsCurrent keeps the configuration table in README.md equal
// to Reference(), so the README stays true when a field changes.
func TestReadmeReferenceIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- config-reference:start -->\n", "<!-- config-reference:end -->"
	s := string(b)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q … %q markers", start, end)
	}
	if got, want := s[i+len(start):j], config.Reference(); got != want {
		t.Errorf("README.md configuration table differs from config.Reference(); paste the output of `go test ./cmd/consumer/config -update` (testdata/reference.md) between the markers")
	}
}
