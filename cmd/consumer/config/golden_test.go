package config

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/example.yaml and testdata/reference.md")

// TestGoldenDocs keeps testdata/example.yaml and testdata/reference.md equal
// to Example() and Reference(), so every documentation change shows up in
// review as a diff. Run `go test ./cmd/consumer/config -update` after
// changing a field.
func TestGoldenDocs(t *testing.T) {
	for name, got := range map[string]string{"example.yaml": Example(), "reference.md": Reference()} {
		p := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if string(want) != got {
			t.Errorf("%s is out of date; run go test ./cmd/consumer/config -update and review the diff", p)
		}
	}
}
