package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Reference returns the configuration reference: how the sources combine,
// the environment-variable rule, and one Markdown table row per leaf field
// (path, type, default, environment variable, description, flag). It is
// generated from the struct tags, so it cannot drift from the code; use it
// for `consumer run --help` and the README.
func Reference() string {
	var b strings.Builder
	b.WriteString(`Configuration reference

Sources, later ones winning: defaults < YAML file (--config, or $KPROFILER_CONFIG)
< environment < flags. The YAML is strict: an unknown or repeated key is an error.
Every field has an environment variable: KPROFILER_ followed by the field's path in
upper case with "." and list indices turned into "_" (datasets[0].rotation is
KPROFILER_DATASETS_0_ROTATION). Lists in the environment are comma-separated, maps
are key=value,key=value; YAML flow syntax ([a, b], {k: v}) works for both. An index
past the end of a list adds an element. Empty variables are ignored; an unknown
KPROFILER_ variable is an error. Durations take s, m, h and d (1d = 24h): 90s, 5m,
1h30m, 1d. Byte sizes take KiB, MiB, GiB (or KB, MB, GB): 50MiB. A null value
leaves a field at its default; top-level keys starting with "x-" are ignored (use
them for YAML anchors). Credentials may also come from the variable a *_env field
names, or from password_file; secrets are never printed.

| path | type | default | env | description |
|---|---|---|---|---|
`)
	for _, l := range walkLeaves(reflect.TypeFor[Config]()) {
		desc := l.f.tag.Get("doc")
		if fl := l.f.tag.Get("flag"); fl != "" {
			desc += " Flag: `--" + fl + "`."
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %s |\n",
			l.path, typeName(l.f), defaultText(l.f), l.env, strings.ReplaceAll(desc, "|", `\|`))
	}
	return b.String()
}

func typeName(f field) string {
	if e := f.enum(); e != nil {
		return "one of " + strings.Join(e, ", ")
	}
	switch f.typ {
	case durationType:
		return "duration"
	case byteSizeType:
		return "byte size"
	case startType:
		return "start position"
	case secretType:
		return "secret string"
	case stringsType:
		return "list of strings"
	case mapType:
		return "map of strings"
	case mapListType:
		return "list of maps"
	}
	switch f.typ.Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64:
		return "integer"
	}
	return "string"
}

func defaultText(f field) string {
	if d, ok := f.tag.Lookup("default"); ok {
		if d == "" {
			return "—"
		}
		return "`" + d + "`"
	}
	if d := f.tag.Get("defdoc"); d != "" {
		return "`" + d + "`"
	}
	return "—"
}

// Example returns a complete, commented kprofiler.yaml: every field appears
// with its description, default and environment variable; fields without a
// value in the example are commented out with a sample value. It parses and
// validates as it is (TLS and SASL are off, so it names no files) and is
// what `consumer config example` prints.
func Example() string {
	var b strings.Builder
	b.WriteString(`# kprofiler.yaml — configuration of "consumer run" and "consumer backfill".
#
# Precedence: flags > environment (KPROFILER_…) > this file > defaults.
# Environment variable of a field: KPROFILER_ + its path in upper case with "." and
# list indices as "_": datasets[0].rotation → KPROFILER_DATASETS_0_ROTATION.
# Durations: 90s, 5m, 1h30m, 1d. Unknown keys are errors. Commented-out keys show
# optional settings with a sample value.

`)
	c := exampleConfig()
	writeStruct(&b, reflect.ValueOf(c).Elem(), "", "", false)
	return b.String()
}

// exampleConfig is the configuration Example renders: two datasets (JSON
// segmented by fields, Avro through a registry with explicit segments) and
// two sinks (files and a Kafka topic).
func exampleConfig() *Config {
	c := &Config{
		Datasets: []Dataset{
			{
				Name:               "orders",
				Topics:             []string{"orders"},
				EventTime:          EventTime{Source: "field", Field: "ts", Format: "rfc3339"},
				Segments:           Segments{Fields: []string{"country", "device"}},
				ProfileFullDataset: true,
				AllowedLateness:    Duration(time.Minute),
				Tags:               map[string]string{"env": "dev"},
				Metadata:           map[string]string{"owner": "data-team"},
				ExcludeFields:      []string{"customer.email"},
			},
			{
				Name:     "clicks",
				Topics:   []string{"clicks", "clicks-mobile"},
				Format:   "avro",
				Avro:     Avro{SchemaRegistry: SchemaRegistry{URL: "http://localhost:8081"}},
				Segments: Segments{Explicit: []map[string]string{{"country": "DE"}, {"country": "FR"}}},
				Rotation: Duration(5 * time.Minute),
			},
		},
		Sinks: []Sink{
			{Type: "blob", URL: "file:///var/lib/kprofiler/profiles", Prefix: "profiles/"},
			{Type: "kafka", Topic: "whylogs-profiles"},
		},
		DeadLetter: DeadLetter{Topic: "kprofiler-dead-letter"},
	}
	c.SetDefaults()
	return c
}

// liveLeaf reports whether a leaf is written as a live key (not commented).
func liveLeaf(f field, v reflect.Value) bool {
	if f.typ == secretType {
		return false
	}
	return !v.IsZero() || f.hasDefault()
}

// hasLive reports whether a struct value has any live leaf.
func hasLive(v reflect.Value) bool {
	for _, f := range fields(v.Type()) {
		fv := v.FieldByIndex(f.index)
		switch {
		case f.kind() != kindNode:
			if liveLeaf(f, fv) {
				return true
			}
		case f.typ.Kind() == reflect.Struct:
			if hasLive(fv) {
				return true
			}
		case fv.Len() > 0:
			return true
		}
	}
	return false
}

func writeComment(b *strings.Builder, indent, text string) {
	const width = 88
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(indent)+2+len(line)+1+len(w) > width {
			b.WriteString(indent + "# " + line + "\n")
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		b.WriteString(indent + "# " + line + "\n")
	}
}

func writeStruct(b *strings.Builder, v reflect.Value, path, indent string, commented bool) {
	for _, f := range fields(v.Type()) {
		fv := v.FieldByIndex(f.index)
		p := joinPath(path, f.name)
		writeComment(b, indent, f.tag.Get("doc"))
		switch {
		case f.kind() != kindNode:
			meta := "env " + envName(p)
			if d := defaultText(f); d != "—" {
				meta = "default " + strings.Trim(d, "`") + "; " + meta
			}
			if fl := f.tag.Get("flag"); fl != "" {
				meta += "; flag --" + fl
			}
			writeComment(b, indent, "("+meta+")")
			if !commented && liveLeaf(f, fv) {
				b.WriteString(indent + f.name + ": " + renderValue(fv) + "\n")
			} else {
				b.WriteString(indent + "# " + f.name + ": " + sampleValue(f, fv) + "\n")
			}
		case f.typ.Kind() == reflect.Struct:
			sub := commented || !hasLive(fv)
			if sub {
				b.WriteString(indent + "# " + f.name + ":\n")
			} else {
				b.WriteString(indent + f.name + ":\n")
			}
			writeStruct(b, fv, p, indent+"  ", sub)
		default: // list of structs
			b.WriteString(indent + f.name + ":\n")
			for i := range fv.Len() {
				var eb strings.Builder
				writeStruct(&eb, fv.Index(i), indexPath(p, i), indent+"    ", commented)
				// The element's first live key carries the "- "; the comments
				// above it move out to the dash's column.
				lines := strings.SplitAfter(eb.String(), "\n")
				dashed := false
				for _, ln := range lines {
					if !dashed {
						body := strings.TrimPrefix(ln, indent+"    ")
						if strings.HasPrefix(body, "#") {
							ln = indent + "  " + body
						} else if body != ln {
							ln = indent + "  - " + body
							dashed = true
						}
					}
					b.WriteString(ln)
				}
			}
		}
		if indent == "" {
			b.WriteString("\n")
		}
	}
}

// sampleValue is the text after a commented-out key.
func sampleValue(f field, v reflect.Value) string {
	if f.typ != secretType && !v.IsZero() {
		return renderValue(v)
	}
	ex := f.tag.Get("example")
	if ex == "" {
		return `""`
	}
	if f.kind() == kindList && !strings.HasPrefix(ex, "[") {
		return "[" + ex + "]"
	}
	return ex
}

// renderValue writes a leaf value in YAML flow syntax.
func renderValue(v reflect.Value) string {
	out, err := yaml.Marshal(valueNode(v))
	if err != nil {
		panic("config: rendering example: " + err.Error())
	}
	return strings.TrimSuffix(string(out), "\n")
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func mapNode(m map[string]string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		n.Content = append(n.Content, strNode(k), strNode(m[k]))
	}
	return n
}

func valueNode(v reflect.Value) *yaml.Node {
	switch v.Type() {
	case durationType, byteSizeType, startType, secretType:
		return strNode(fmt.Sprint(v.Interface()))
	case stringsType:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range v.Interface().([]string) {
			n.Content = append(n.Content, strNode(s))
		}
		return n
	case mapType:
		return mapNode(v.Interface().(map[string]string))
	case mapListType:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, m := range v.Interface().([]map[string]string) {
			n.Content = append(n.Content, mapNode(m))
		}
		return n
	}
	switch v.Kind() {
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}
	case reflect.Int, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	}
	return strNode(v.String())
}
