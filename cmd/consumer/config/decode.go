package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse decodes a YAML configuration strictly: an unknown key, a duplicate
// key, a value of the wrong shape or an unparsable scalar is an error naming
// name:line:column and the field path. All such errors are returned at once.
// Top-level keys starting with "x-" are ignored, so that they can hold
// YAML anchors shared by several entries (as in Compose files).
// Parse applies no defaults, environment or flags and does not validate; use
// Load for the whole sequence. An empty document gives an empty Config.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{explicit: map[string]bool{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		return nil, &FieldError{Source: name, Rule: err.Error()}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &FieldError{Source: name, Rule: "must hold one YAML document, not several"}
	}
	d := &decoder{explicit: c.explicit, loc: func(n *yaml.Node) string {
		return fmt.Sprintf("%s:%d:%d", name, n.Line, n.Column)
	}}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return c, nil
		}
		root = root.Content[0]
	}
	d.value(root, reflect.ValueOf(c).Elem(), "")
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// maxNodeVisits bounds the work of one decode, so that aliases cannot
// multiply a small file into an expensive one.
const maxNodeVisits = 1_000_000

// decoder fills Go values from YAML nodes, recording the paths it sets.
type decoder struct {
	explicit map[string]bool
	loc      func(*yaml.Node) string // where a node came from, for errors
	errs     errorList
	active   map[*yaml.Node]bool // mappings and lists being decoded (alias cycles)
	visits   int
	tooBig   bool
}

// enter marks a mapping or list node as being decoded. It fails on an alias
// that refers to one of its own ancestors and when the visit budget is spent.
func (d *decoder) enter(n *yaml.Node, path string) bool {
	d.visits++
	if d.visits > maxNodeVisits {
		if !d.tooBig {
			d.fail(n, path, "", "too many nodes after expanding aliases")
			d.tooBig = true
		}
		return false
	}
	if d.active == nil {
		d.active = map[*yaml.Node]bool{}
	}
	if d.active[n] {
		d.fail(n, path, "", "an alias refers to its own ancestor")
		return false
	}
	d.active[n] = true
	return true
}

func (d *decoder) leave(n *yaml.Node) { delete(d.active, n) }

func (d *decoder) fail(n *yaml.Node, path, value, rule string) {
	d.errs.add(d.loc(n), path, value, rule)
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a scalar"
}

// value decodes n into v (display path path).
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	n = resolveAlias(n)
	if n == nil || isNull(n) {
		return // null leaves the field unset
	}
	t := v.Type()
	switch kindOf(t) {
	case kindScalar, kindList, kindMap, kindMapList:
		d.leaf(n, v, path)
		return
	}
	if !d.enter(n, path) {
		return
	}
	defer d.leave(n)
	switch {
	case t.Kind() == reflect.Struct:
		d.structure(n, v, path)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "", "must be a list, not "+nodeKind(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), indexPath(path, i))
		}
		v.Set(s)
	default:
		panic(fmt.Sprintf("config: unsupported field type %s at %s", t, path))
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "", "must be a mapping, not "+nodeKind(n))
		return
	}
	t := v.Type()
	// Merge keys ("<<: *anchor") first, so the mapping's own keys win.
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], resolveAlias(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Tag != "!!merge" {
			continue
		}
		switch val.Kind {
		case yaml.MappingNode:
			if d.enter(val, path) {
				d.structure(val, v, path)
				d.leave(val)
			}
		case yaml.SequenceNode:
			for _, m := range val.Content {
				if m = resolveAlias(m); d.enter(m, path) {
					d.structure(m, v, path)
					d.leave(m)
				}
			}
		default:
			d.fail(val, path, "", "merge key needs a mapping or a list of mappings")
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "", "keys must be plain names")
			continue
		}
		if path == "" && strings.HasPrefix(k.Value, "x-") {
			continue // extension keys hold anchors, as in Compose files
		}
		p := joinPath(path, k.Value)
		if seen[k.Value] {
			d.fail(k, p, "", "is set twice")
			continue
		}
		seen[k.Value] = true
		f, ok := fieldByName(t, k.Value)
		if !ok {
			d.fail(k, p, "", unknownRule(k.Value, t))
			continue
		}
		d.value(val, v.FieldByIndex(f.index), p)
	}
}

func unknownRule(name string, t reflect.Type) string {
	var names []string
	for _, f := range fields(t) {
		names = append(names, f.name)
	}
	if s := suggest(name, names); s != "" {
		return "unknown field (did you mean " + s + "?)"
	}
	return "unknown field (known: " + strings.Join(names, ", ") + ")"
}

// leaf decodes a leaf value and marks path as explicitly set.
func (d *decoder) leaf(n *yaml.Node, v reflect.Value, path string) {
	n = resolveAlias(n)
	if n == nil || isNull(n) {
		return
	}
	d.visits += 1 + len(n.Content)
	if d.visits > maxNodeVisits {
		if !d.tooBig {
			d.fail(n, path, "", "too many nodes after expanding aliases")
			d.tooBig = true
		}
		return
	}
	t := v.Type()
	before := len(d.errs)
	switch kindOf(t) {
	case kindScalar:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "", "must be a single value, not "+nodeKind(n))
			return
		}
		if rule := setScalar(v, n.Value); rule != "" {
			d.fail(n, path, quote(n.Value), rule)
		}
	case kindList:
		var items []string
		switch n.Kind {
		case yaml.SequenceNode:
			items = make([]string, 0, len(n.Content))
			for i, item := range n.Content {
				item = resolveAlias(item)
				if item.Kind != yaml.ScalarNode || isNull(item) {
					d.fail(item, indexPath(path, i), "", "must be a string")
					continue
				}
				items = append(items, item.Value)
			}
		case yaml.ScalarNode:
			items = splitList(n.Value)
		default:
			d.fail(n, path, "", "must be a list of strings, not "+nodeKind(n))
		}
		v.Set(reflect.ValueOf(items))
	case kindMap:
		m := d.stringMap(n, path)
		if m != nil {
			v.Set(reflect.ValueOf(m))
		}
	case kindMapList:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "", "must be a list of mappings like [{country: DE}], not "+nodeKind(n))
			return
		}
		list := make([]map[string]string, 0, len(n.Content))
		for i, item := range n.Content {
			if m := d.stringMap(resolveAlias(item), indexPath(path, i)); m != nil {
				list = append(list, m)
			}
		}
		v.Set(reflect.ValueOf(list))
	}
	if len(d.errs) == before {
		d.explicit[path] = true
	}
}

// stringMap reads a mapping of scalars, or a scalar "k=v,k2=v2".
func (d *decoder) stringMap(n *yaml.Node, path string) map[string]string {
	m := map[string]string{}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := resolveAlias(n.Content[i]), resolveAlias(n.Content[i+1])
			if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
				d.fail(k, path, "", "must map names to single values")
				continue
			}
			if _, dup := m[k.Value]; dup {
				d.fail(k, joinPath(path, k.Value), "", "is set twice")
				continue
			}
			if isNull(val) {
				m[k.Value] = ""
				continue
			}
			m[k.Value] = val.Value
		}
	case yaml.ScalarNode:
		for _, kv := range splitList(n.Value) {
			k, val, ok := strings.Cut(kv, "=")
			if !ok {
				d.fail(n, path, quote(kv), "must be key=value")
				continue
			}
			m[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	default:
		d.fail(n, path, "", "must be a mapping of names to values, not "+nodeKind(n))
		return nil
	}
	return m
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty items.
func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// setScalar parses s into the scalar v. It returns "" on success or the rule
// the value broke.
func setScalar(v reflect.Value, s string) string {
	switch v.Type() {
	case durationType:
		d, err := ParseDuration(s)
		if err != nil {
			return "must be a duration like 90s, 5m, 1h30m or 1d"
		}
		v.Set(reflect.ValueOf(d))
		return ""
	case byteSizeType:
		b, err := ParseByteSize(s)
		if err != nil {
			return "must be a byte size like 1048576, 512KiB or 50MiB"
		}
		v.Set(reflect.ValueOf(b))
		return ""
	case startType:
		p, err := ParseStartPosition(s)
		if err != nil {
			return "must be earliest, latest, an RFC 3339 time or epoch milliseconds"
		}
		v.Set(reflect.ValueOf(p))
		return ""
	case secretType:
		v.Set(reflect.ValueOf(NewSecret(s)))
		return ""
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return "must be true or false"
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			return "must be an integer"
		}
		v.SetInt(i)
	default:
		panic("config: not a scalar type: " + v.Type().String())
	}
	return ""
}
