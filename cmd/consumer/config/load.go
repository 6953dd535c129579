package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Options says where Load reads the configuration from.
type Options struct {
	// Path is the YAML file. Empty: the --config flag, then $KPROFILER_CONFIG
	// from Environ; still empty: no file (defaults, environment and flags only).
	Path string
	// Environ is the environment in os.Environ form; nil means none. Pass
	// os.Environ() in the command and a literal list in tests.
	Environ []string
	// Flags are the parsed command-line flags from RegisterFlags; nil: none.
	Flags *Flags
	// ReadFile reads the configuration file; nil: os.ReadFile.
	ReadFile func(name string) ([]byte, error)
}

// Load builds the configuration in this order, each step overriding the one
// before (precedence flag > env > file > default):
//
//  1. the YAML file, decoded strictly (Parse);
//  2. environment overrides (ApplyEnv);
//  3. command-line flags (Flags.Apply);
//  4. defaults for every field still unset (SetDefaults);
//  5. credentials from *_env variables and password files (ResolveSecrets);
//  6. validation (Validate).
//
// Steps 1–3 stop at their errors; steps 5–6 report together. Every content
// error is a *FieldError wrapping ErrInvalid; all are returned at once.
func Load(o Options) (*Config, error) {
	path := o.Path
	if path == "" {
		path = o.Flags.ConfigPath()
	}
	if path == "" {
		path = lookupEnv(o.Environ, EnvConfig)
	}
	c := &Config{explicit: map[string]bool{}}
	if path != "" {
		read := o.ReadFile
		if read == nil {
			read = os.ReadFile
		}
		data, err := read(path)
		if err != nil {
			return nil, fmt.Errorf("reading configuration: %w", err)
		}
		if c, err = Parse(path, data); err != nil {
			return nil, err
		}
	}
	var errs []error
	if err := c.ApplyEnv(o.Environ); err != nil {
		errs = append(errs, err)
	}
	if err := o.Flags.Apply(c); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.SetDefaults()
	if err := errors.Join(c.ResolveSecrets(o.Environ), c.Validate()); err != nil {
		return nil, err
	}
	return c, nil
}

// Default returns a configuration holding only the defaults. It has no
// datasets and no sinks, so it does not validate by itself.
func Default() *Config {
	c := &Config{}
	c.SetDefaults()
	return c
}

// SetDefaults fills every field that is still zero and was not set
// explicitly (by the file, the environment or a flag) with its documented
// default (see Reference). On a Config built in Go code, where nothing is
// recorded as explicit, every zero field with a default gets it. The kafka
// sinks' brokers default to kafka.brokers. SetDefaults is idempotent.
func (c *Config) SetDefaults() {
	if c.explicit == nil {
		c.explicit = map[string]bool{}
	}
	setDefaults(reflect.ValueOf(c).Elem(), "", c.explicit)
	for i := range c.Sinks {
		s := &c.Sinks[i]
		if s.Type == "kafka" && len(s.Brokers) == 0 && !c.explicit[indexPath("sinks", i)+".brokers"] {
			s.Brokers = append([]string(nil), c.Kafka.Brokers...)
		}
	}
}

func setDefaults(v reflect.Value, path string, explicit map[string]bool) {
	for _, f := range fields(v.Type()) {
		fv := v.FieldByIndex(f.index)
		p := joinPath(path, f.name)
		if f.kind() != kindNode {
			def, ok := f.tag.Lookup("default")
			if !ok || !fv.IsZero() || explicit[p] {
				continue
			}
			d := &decoder{explicit: map[string]bool{}, loc: func(*yaml.Node) string { return "default" }}
			d.leaf(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: def}, fv, p)
			if len(d.errs) > 0 {
				panic(fmt.Sprintf("config: bad default %q for %s", def, p))
			}
			continue
		}
		switch f.typ.Kind() {
		case reflect.Struct:
			setDefaults(fv, p, explicit)
		case reflect.Slice:
			for i := range fv.Len() {
				setDefaults(fv.Index(i), indexPath(p, i), explicit)
			}
		}
	}
}

// Dataset returns the dataset named name.
func (c *Config) Dataset(name string) (*Dataset, bool) {
	for i := range c.Datasets {
		if c.Datasets[i].Name == name {
			return &c.Datasets[i], true
		}
	}
	return nil, false
}

// String renders c as YAML with every secret redacted. It is meant for
// humans and logs; it is not a way to save a configuration (the secrets
// come back as "[redacted]").
func (c *Config) String() string {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return "config: " + err.Error()
	}
	_ = enc.Close()
	return b.String()
}

// TransactionalIDFor returns the producer transactional id of an
// exactly-once kafka sink: transactional_id when set, otherwise
// "<group>-<host>", which is unique per process as long as host names are
// (one process per host or pod).
func (s Sink) TransactionalIDFor(group, host string) string {
	if s.TransactionalID != "" {
		return s.TransactionalID
	}
	return group + "-" + host
}

func lookupEnv(environ []string, name string) string {
	val := ""
	for _, e := range environ {
		if k, v, ok := strings.Cut(e, "="); ok && k == name {
			val = v
		}
	}
	return val
}

// credRef is one Credentials block and its display path.
type credRef struct {
	path string
	c    *Credentials
}

func (c *Config) credentials() []credRef {
	out := []credRef{{"kafka.sasl", &c.Kafka.SASL.Credentials}}
	for i := range c.Datasets {
		out = append(out, credRef{indexPath("datasets", i) + ".avro.schema_registry", &c.Datasets[i].Avro.SchemaRegistry.Credentials})
	}
	return out
}

// ResolveSecrets reads the user names and passwords given indirectly: a
// *_env field names a variable of environ whose value is used, and
// password_file names a file whose content is used without one trailing
// newline. At most one source may be set for each credential. It is
// idempotent: a credential it resolved keeps its value.
func (c *Config) ResolveSecrets(environ []string) error {
	var errs errorList
	for _, r := range c.credentials() {
		cr := r.c
		if cr.resolved {
			continue
		}
		p := r.path
		before := len(errs)
		if cr.Username != "" && cr.UsernameEnv != "" {
			errs.add("", p+".username_env", quote(cr.UsernameEnv), "conflicts with "+p+".username: set only one")
		} else if cr.UsernameEnv != "" {
			if v := lookupEnv(environ, cr.UsernameEnv); v != "" {
				cr.Username = v
			} else {
				errs.add("", p+".username_env", quote(cr.UsernameEnv), "must name a set, non-empty environment variable")
			}
		}
		n := 0
		for _, set := range []bool{cr.Password.IsSet(), cr.PasswordEnv != "", cr.PasswordFile != ""} {
			if set {
				n++
			}
		}
		switch {
		case n > 1:
			errs.add("", p+".password", "", "set only one of password, password_env and password_file")
		case cr.PasswordEnv != "":
			if v := lookupEnv(environ, cr.PasswordEnv); v != "" {
				cr.Password = NewSecret(v)
			} else {
				errs.add("", p+".password_env", quote(cr.PasswordEnv), "must name a set, non-empty environment variable")
			}
		case cr.PasswordFile != "":
			data, err := os.ReadFile(cr.PasswordFile)
			if err != nil {
				errs.add("", p+".password_file", quote(cr.PasswordFile), "must be a readable file: "+err.Error())
				break
			}
			s := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
			if s == "" {
				errs.add("", p+".password_file", quote(cr.PasswordFile), "must not be empty")
				break
			}
			cr.Password = NewSecret(s)
		}
		cr.resolved = len(errs) == before
	}
	return errs.err()
}
