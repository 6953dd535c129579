package config

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxEnvIndex bounds the list index an environment variable may create, so
// that a typo cannot allocate a huge list.
const maxEnvIndex = 255

// ApplyEnv overrides fields from environment variables, given in the
// os.Environ "NAME=value" form. The variable of a field is derived from its
// YAML path mechanically: KPROFILER_, then the path in upper case with "."
// and list indices turned into "_":
//
//	kafka.brokers            KPROFILER_KAFKA_BROKERS
//	kafka.sasl.password      KPROFILER_KAFKA_SASL_PASSWORD
//	datasets[0].rotation     KPROFILER_DATASETS_0_ROTATION
//	sinks[1].url             KPROFILER_SINKS_1_URL
//
// Values use the YAML scalar syntax of the field. Lists are comma-separated
// ("a:9092,b:9092"), maps are "key=value,key=value", and any list or map may
// instead be written in YAML flow syntax ("[{country: DE}, {country: FR}]").
// An index past the end of a list adds elements (up to index 255), so a
// configuration can come from the environment alone. Variables with an empty
// value are ignored (deployment templates often define unused ones empty).
// A KPROFILER_ variable that names no field is an error, except
// KPROFILER_CONFIG and variables named by a *_env field. Variables are
// applied in name order; all errors are returned at once.
func (c *Config) ApplyEnv(environ []string) error {
	if c.explicit == nil {
		c.explicit = map[string]bool{}
	}
	type kv struct{ name, value string }
	var vars []kv
	for _, e := range environ {
		name, value, _ := strings.Cut(e, "=")
		if !strings.HasPrefix(name, EnvPrefix) || name == EnvConfig || value == "" {
			continue
		}
		vars = append(vars, kv{name, value})
	}
	slices.SortStableFunc(vars, func(a, b kv) int { return strings.Compare(a.name, b.name) })
	var errs errorList
	var unknown []string
	root := reflect.ValueOf(c).Elem()
	for _, e := range vars {
		steps, ok := matchEnv(root.Type(), strings.TrimPrefix(e.name, EnvPrefix))
		if !ok {
			unknown = append(unknown, e.name)
			continue
		}
		target, path, rule := navigate(root, steps)
		if rule != "" {
			errs.add("env "+e.name, path, "", rule)
			continue
		}
		n, err := envNode(target.Type(), e.value)
		if err != nil {
			errs.add("env "+e.name, path, "", "must be written in YAML flow syntax: "+err.Error())
			continue
		}
		d := &decoder{explicit: c.explicit, loc: func(*yaml.Node) string { return "env " + e.name }}
		d.leaf(n, target, path)
		errs = append(errs, d.errs...)
	}
	referenced := c.referencedEnv()
	known := envNames(root.Type())
	for _, name := range unknown {
		if referenced[name] {
			continue
		}
		rule := "unknown variable"
		if s := suggest(name, known); s != "" {
			rule += " (did you mean " + s + "?)"
		}
		errs = append(errs, &FieldError{Source: "env " + name, Path: "environment", Rule: rule})
	}
	return errs.err()
}

// envNames lists the variable names of every leaf, with list index 0.
func envNames(t reflect.Type) []string {
	var out []string
	for _, l := range walkLeaves(t) {
		out = append(out, strings.ReplaceAll(l.env, "<i>", "0"))
	}
	return out
}

// referencedEnv is the set of variables named by *_env fields.
func (c *Config) referencedEnv() map[string]bool {
	m := map[string]bool{}
	for _, cr := range c.credentials() {
		for _, n := range []string{cr.c.UsernameEnv, cr.c.PasswordEnv} {
			if n != "" {
				m[n] = true
			}
		}
	}
	return m
}

// envNode turns an environment value into a YAML node for a leaf of type t.
func envNode(t reflect.Type, value string) (*yaml.Node, error) {
	k := kindOf(t)
	trimmed := strings.TrimSpace(value)
	if k != kindScalar && (strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "{")) {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(trimmed), &doc); err != nil {
			return nil, err
		}
		if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
			return doc.Content[0], nil
		}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}, nil
}

// step is one move from a value to a child: a struct field, or a list index.
type step struct {
	f     *field
	index int
}

// matchEnv matches the upper-case remainder of a variable name against type
// t and returns the steps to the leaf it names.
func matchEnv(t reflect.Type, rest string) ([]step, bool) {
	switch {
	case t.Kind() == reflect.Struct:
		for _, f := range fields(t) {
			up := strings.ToUpper(f.name)
			if f.kind() != kindNode {
				if rest == up {
					return []step{{f: &f}}, true
				}
				continue
			}
			if tail, ok := strings.CutPrefix(rest, up+"_"); ok {
				if sub, ok := matchEnv(f.typ, tail); ok {
					return append([]step{{f: &f}}, sub...), true
				}
			}
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		digits, tail, ok := strings.Cut(rest, "_")
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
			return nil, false
		}
		i, err := strconv.Atoi(digits)
		if err != nil {
			return nil, false
		}
		if sub, ok := matchEnv(t.Elem(), tail); ok {
			return append([]step{{index: i}}, sub...), true
		}
	}
	return nil, false
}

// navigate follows steps from root, growing lists as needed. It returns the
// leaf value and its display path, or a rule when an index is too large.
func navigate(root reflect.Value, steps []step) (reflect.Value, string, string) {
	v, path := root, ""
	for _, s := range steps {
		if s.f != nil {
			v = v.FieldByIndex(s.f.index)
			path = joinPath(path, s.f.name)
			continue
		}
		path = indexPath(path, s.index)
		if s.index >= v.Len() {
			if s.index > maxEnvIndex {
				return v, path, "index must be at most " + strconv.Itoa(maxEnvIndex)
			}
			grown := reflect.MakeSlice(v.Type(), s.index+1, s.index+1)
			reflect.Copy(grown, v)
			v.Set(grown)
		}
		v = v.Index(s.index)
	}
	return v, path, ""
}
