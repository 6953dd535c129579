package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// stripState clears the bookkeeping that is not configuration.
func stripState(c *Config) {
	c.explicit = nil
	c.Kafka.SASL.resolved = false
	for i := range c.Datasets {
		c.Datasets[i].Avro.SchemaRegistry.resolved = false
	}
}

func TestExampleLoadsAndValidates(t *testing.T) {
	ex := Example()
	c, err := load(t, ex, nil)
	if err != nil {
		t.Fatalf("Example() does not load: %v", err)
	}
	want := exampleConfig()
	stripState(c)
	stripState(want)
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Example() loads as\n%s\nwant\n%s", c, want)
	}
	// The example is self-describing: more than the minimal configuration.
	if len(c.Datasets) != 2 || len(c.Sinks) != 2 || c.Datasets[1].Format != "avro" || len(c.Datasets[1].Segments.Explicit) != 2 {
		t.Errorf("example lost its content: %+v", c)
	}
}

func TestEveryLeafIsDocumented(t *testing.T) {
	ref := Reference()
	ex := Example()
	leaves := walkLeaves(reflect.TypeFor[Config]())
	if len(leaves) < 60 {
		t.Fatalf("only %d leaves found", len(leaves))
	}
	rows := 0
	for _, line := range strings.Split(ref, "\n") {
		if strings.HasPrefix(line, "| `") {
			rows++
		}
	}
	if rows != len(leaves) {
		t.Errorf("Reference() has %d rows, want one per leaf (%d)", rows, len(leaves))
	}
	for _, l := range leaves {
		if l.f.tag.Get("doc") == "" {
			t.Errorf("%s has no doc tag", l.path)
		}
		row := fmt.Sprintf("| `%s` | %s | %s | `%s` | ", l.path, typeName(l.f), defaultText(l.f), l.env)
		if !strings.Contains(ref, row) {
			t.Errorf("Reference() lacks the row of %s (%q)", l.path, row)
		}
		// Example names every leaf with its variable (list index 0) and its key.
		env0 := strings.ReplaceAll(l.env, "<i>", "0")
		i := strings.Index(ex, "env "+env0+";")
		if i < 0 {
			i = strings.Index(ex, "env "+env0+")")
		}
		if i < 0 {
			t.Errorf("Example() lacks %s", env0)
			continue
		}
		rest := ex[i:]
		next := rest[strings.Index(rest, "\n")+1:]
		keyLine := strings.TrimSpace(next[:strings.Index(next, "\n")])
		keyLine = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(keyLine, "# "), "- "), "#")
		if !strings.HasPrefix(strings.TrimSpace(keyLine), l.f.name+":") {
			t.Errorf("Example(): after %s comes %q, want key %s", env0, keyLine, l.f.name)
		}
		if fl := l.f.tag.Get("flag"); fl != "" && !strings.Contains(ref, "Flag: `--"+fl+"`") {
			t.Errorf("Reference() does not mention --%s", fl)
		}
	}
}

func TestExampleHasNoSecrets(t *testing.T) {
	// Every secret is commented out in the example, so copying it never
	// ships a sample password.
	for _, line := range strings.Split(Example(), "\n") {
		s := strings.TrimSpace(line)
		if strings.HasPrefix(s, "password:") {
			t.Errorf("live password line in Example(): %q", line)
		}
	}
}

func TestConfigRenderingsRedactSecrets(t *testing.T) {
	c := mustLoad(t, `
kafka:
  sasl:
    mechanism: SCRAM-SHA-256
    username: svc
    password: `+secretValue+`
datasets:
  - name: orders
    topics: [orders]
    format: avro
    avro:
      schema_registry:
        url: https://registry
        username: reg
        password: `+secretValue+`
sinks:
  - type: blob
    url: mem://
`, nil)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	ys, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	renderings := map[string]string{
		"String": c.String(),
		"%v":     fmt.Sprintf("%v", *c),
		"%+v":    fmt.Sprintf("%+v", *c),
		"%#v":    fmt.Sprintf("%#v", *c),
		"json":   string(js),
		"yaml":   string(ys),
	}
	for name, r := range renderings {
		if strings.Contains(r, secretValue) {
			t.Errorf("%s leaks the secret:\n%s", name, r)
		}
		if strings.Count(r, Redacted) < 2 {
			t.Errorf("%s shows %d redacted secrets, want 2:\n%s", name, strings.Count(r, Redacted), r)
		}
	}
	if c.Kafka.SASL.Password.Reveal() != secretValue {
		t.Errorf("the secret itself was lost")
	}
	// String() is strict-parsable YAML carrying everything but the secrets.
	back, err := Parse("string.yaml", []byte(c.String()))
	if err != nil {
		t.Fatalf("String() does not parse: %v\n%s", err, c.String())
	}
	back.SetDefaults()
	if back.Kafka.SASL.Password.Reveal() != Redacted {
		t.Errorf("password came back as %q", back.Kafka.SASL.Password.Reveal())
	}
	back.Kafka.SASL.Password = c.Kafka.SASL.Password
	back.Datasets[0].Avro.SchemaRegistry.Password = c.Datasets[0].Avro.SchemaRegistry.Password
	if back.String() != c.String() {
		t.Errorf("String() round trip differs:\n%s\nwant\n%s", back, c)
	}
	if err := back.Validate(); err != nil {
		t.Errorf("round trip does not validate: %v", err)
	}
}

func TestReferenceMentionsRules(t *testing.T) {
	ref := Reference()
	for _, s := range []string{"KPROFILER_DATASETS_0_ROTATION", "defaults < YAML file", "< environment < flags", "1d = 24h"} {
		if !strings.Contains(ref, s) {
			t.Errorf("Reference() lacks %q", s)
		}
	}
}
