package config

import (
	"errors"
	"flag"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Flags holds the command-line flags registered by RegisterFlags. They
// override the file and the environment for the main settings.
type Flags struct {
	config string
	values []*flagValue
}

// flagValue is one registered flag; it implements flag.Value.
type flagValue struct {
	name  string
	path  string
	index []int
	typ   reflect.Type
	def   string
	value string
	set   bool
}

// String returns the value given, or the field's default before that (the
// flag package shows it as the default in -help).
func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	if v.set {
		return v.value
	}
	return v.def
}

// Set checks that s parses as the field's type and records it.
func (v *flagValue) Set(s string) error {
	scratch := reflect.New(v.typ).Elem()
	d := &decoder{explicit: map[string]bool{}, loc: func(*yaml.Node) string { return "" }}
	d.leaf(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}, scratch, v.path)
	if len(d.errs) > 0 {
		var fe *FieldError
		if errors.As(d.errs[0], &fe) {
			return errors.New(fe.Rule)
		}
		return d.errs[0]
	}
	v.value, v.set = s, true
	return nil
}

// RegisterFlags defines on fs the flag --config (the YAML file; default
// $KPROFILER_CONFIG) and one flag per field tagged with a flag name:
// --brokers, --group, --client-id, --start-from, --http-listen, --log-level,
// --log-format, --shutdown-timeout. Values are checked when parsed. Pass the
// returned Flags to Load (Options.Flags) after fs.Parse.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.StringVar(&f.config, "config", "", "YAML configuration `file` (default $"+EnvConfig+"; none: defaults and environment only)")
	for _, l := range walkLeaves(reflect.TypeFor[Config]()) {
		name := l.f.tag.Get("flag")
		if name == "" || l.index == nil {
			continue
		}
		v := &flagValue{name: name, path: l.path, index: l.index, typ: l.f.typ, def: l.f.tag.Get("default")}
		usage := firstSentence(l.f.tag.Get("doc")) + " Sets " + l.path + " (env " + l.env + ")."
		fs.Var(v, name, usage)
		f.values = append(f.values, v)
	}
	return f
}

// ConfigPath returns the value of --config ("" when not given).
func (f *Flags) ConfigPath() string {
	if f == nil {
		return ""
	}
	return f.config
}

// Apply overrides c with the flags that were given on the command line.
func (f *Flags) Apply(c *Config) error {
	if f == nil {
		return nil
	}
	if c.explicit == nil {
		c.explicit = map[string]bool{}
	}
	var errs errorList
	root := reflect.ValueOf(c).Elem()
	for _, v := range f.values {
		if !v.set {
			continue
		}
		d := &decoder{explicit: c.explicit, loc: func(*yaml.Node) string { return "flag --" + v.name }}
		d.leaf(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.value}, root.FieldByIndex(v.index), v.path)
		errs = append(errs, d.errs...)
	}
	return errs.err()
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
