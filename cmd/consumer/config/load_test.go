package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// minimalYAML is the smallest valid configuration.
const minimalYAML = `
datasets:
  - name: orders
    topics: [orders]
sinks:
  - type: blob
    url: mem://
`

// load runs Load on an in-memory file (none when data is ""), an
// environment and command-line arguments.
func load(t *testing.T, data string, env []string, args ...string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parsing flags %v: %v", args, err)
	}
	o := Options{Environ: env, Flags: f}
	if data != "" {
		o.Path = "kprofiler.yaml"
		o.ReadFile = func(name string) ([]byte, error) {
			if name != "kprofiler.yaml" {
				return nil, fmt.Errorf("unexpected file %q", name)
			}
			return []byte(data), nil
		}
	}
	return Load(o)
}

func mustLoad(t *testing.T, data string, env []string, args ...string) *Config {
	t.Helper()
	c, err := load(t, data, env, args...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// at returns the rendered value at a display path such as
// "datasets[0].rotation".
func at(t *testing.T, c *Config, path string) string {
	t.Helper()
	v := reflect.ValueOf(c).Elem()
	for _, part := range strings.Split(path, ".") {
		name, idx, hasIdx := strings.Cut(part, "[")
		f, ok := fieldByName(v.Type(), name)
		if !ok {
			t.Fatalf("no field %q in %s", name, path)
		}
		v = v.FieldByIndex(f.index)
		if hasIdx {
			var i int
			fmt.Sscanf(idx, "%d]", &i)
			if i >= v.Len() {
				return "<missing>"
			}
			v = v.Index(i)
		}
	}
	if v.Type() == secretType {
		return v.Interface().(Secret).Reveal()
	}
	return renderValue(v)
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, minimalYAML, nil)
	want := map[string]string{
		"kafka.brokers":                       "['localhost:9092']",
		"kafka.group":                         "kprofiler",
		"kafka.client_id":                     "kprofiler",
		"kafka.tls.enabled":                   "false",
		"kafka.tls.insecure_skip_verify":      "false",
		"kafka.sasl.mechanism":                `""`,
		"kafka.fetch_max_bytes":               "50MiB",
		"kafka.partition_fetch_max_bytes":     "1MiB",
		"kafka.fetch_max_wait":                "5s",
		"kafka.start_from":                    "earliest",
		"kafka.session_timeout":               "45s",
		"kafka.rebalance_timeout":             "1m",
		"datasets[0].format":                  "json",
		"datasets[0].event_time.source":       "record_timestamp",
		"datasets[0].event_time.format":       "auto",
		"datasets[0].profile_full_dataset":    "false",
		"datasets[0].rotation":                "1h",
		"datasets[0].allowed_lateness":        "10s",
		"datasets[0].max_segments_per_window": "1000",
		"datasets[0].nesting":                 "flatten",
		"datasets[0].separator":               ".",
		"datasets[0].arrays":                  "object",
		"sinks[0].exactly_once":               "false",
		"dead_letter.topic":                   `""`,
		"http.listen":                         "127.0.0.1:9464",
		"checkpoint.every_records":            "100000",
		"checkpoint.every_interval":           "5m",
		"log.level":                           "info",
		"log.format":                          "auto",
		"shutdown_timeout":                    "25s",
	}
	for path, w := range want {
		if got := at(t, c, path); got != w {
			t.Errorf("default %s = %s, want %s", path, got, w)
		}
	}
	if c.Kafka.FetchMaxBytes != 50<<20 || c.Datasets[0].Rotation.Std().Hours() != 1 {
		t.Errorf("typed defaults wrong: %d %v", c.Kafka.FetchMaxBytes, c.Datasets[0].Rotation)
	}
	// Every documented constant default is what loading gives (for the
	// fields outside lists; the dataset and sink ones are checked above).
	for _, l := range walkLeaves(reflect.TypeFor[Config]()) {
		def, ok := l.f.tag.Lookup("default")
		if !ok || l.index == nil {
			continue
		}
		scratch := reflect.New(l.f.typ).Elem()
		if rule := setScalarOrList(scratch, def); rule != "" {
			t.Errorf("%s: default %q does not parse: %s", l.path, def, rule)
			continue
		}
		if got := reflect.ValueOf(c).Elem().FieldByIndex(l.index); !reflect.DeepEqual(got.Interface(), scratch.Interface()) {
			t.Errorf("%s = %v after loading, documented default %q", l.path, got.Interface(), def)
		}
	}
}

func setScalarOrList(v reflect.Value, s string) string {
	if kindOf(v.Type()) == kindList {
		v.Set(reflect.ValueOf(splitList(s)))
		return ""
	}
	return setScalar(v, s)
}

func TestDefaultsDoNotReplaceExplicitZero(t *testing.T) {
	c := mustLoad(t, `
datasets:
  - name: orders
    topics: [orders]
    allowed_lateness: 0s
sinks:
  - type: blob
    url: mem://
checkpoint:
  every_records: 0
`, nil)
	if c.Datasets[0].AllowedLateness != 0 || c.Checkpoint.EveryRecords != 0 {
		t.Errorf("explicit zeros replaced: allowed_lateness=%v every_records=%d", c.Datasets[0].AllowedLateness, c.Checkpoint.EveryRecords)
	}
	// The same through the environment.
	c = mustLoad(t, minimalYAML, []string{"KPROFILER_DATASETS_0_ALLOWED_LATENESS=0s", "KPROFILER_CHECKPOINT_EVERY_RECORDS=0"})
	if c.Datasets[0].AllowedLateness != 0 || c.Checkpoint.EveryRecords != 0 {
		t.Errorf("explicit env zeros replaced: allowed_lateness=%v every_records=%d", c.Datasets[0].AllowedLateness, c.Checkpoint.EveryRecords)
	}
	// An explicit empty string is kept too, and then fails validation.
	_, err := load(t, minimalYAML+"kafka:\n  group: \"\"\n", nil)
	if err == nil || err.Error() != `kafka.group: "" must not be empty` {
		t.Errorf("explicit empty group: err = %v", err)
	}
}

func TestPrecedence(t *testing.T) {
	file := minimalYAML + `
kafka:
  group: from-file
  brokers: [file:9092]
log:
  level: warn
`
	tests := []struct {
		name      string
		data      string
		env       []string
		args      []string
		group     string
		brokers   string
		level     string
		lateness  string
		listenArg string
	}{
		{name: "default", data: minimalYAML, group: "kprofiler", brokers: "['localhost:9092']", level: "info", lateness: "10s", listenArg: "127.0.0.1:9464"},
		{name: "file", data: file, group: "from-file", brokers: "['file:9092']", level: "warn", lateness: "10s", listenArg: "127.0.0.1:9464"},
		{
			name: "env over file", data: file,
			env:   []string{"KPROFILER_KAFKA_GROUP=from-env", "KPROFILER_KAFKA_BROKERS=e1:9092, e2:9092", "KPROFILER_DATASETS_0_ALLOWED_LATENESS=1m", "KPROFILER_HTTP_LISTEN=:9000"},
			group: "from-env", brokers: "['e1:9092', 'e2:9092']", level: "warn", lateness: "1m", listenArg: ":9000",
		},
		{
			name: "flag over env over file", data: file,
			env:   []string{"KPROFILER_KAFKA_GROUP=from-env", "KPROFILER_KAFKA_BROKERS=e1:9092", "KPROFILER_LOG_LEVEL=error", "KPROFILER_HTTP_LISTEN=:9000"},
			args:  []string{"--group", "from-flag", "--brokers=f1:9092,f2:9092", "--http-listen", ":9100"},
			group: "from-flag", brokers: "['f1:9092', 'f2:9092']", level: "error", lateness: "10s", listenArg: ":9100",
		},
		{
			name: "flag over default", data: minimalYAML,
			args:  []string{"--log-level=debug"},
			group: "kprofiler", brokers: "['localhost:9092']", level: "debug", lateness: "10s", listenArg: "127.0.0.1:9464",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.data, tt.env, tt.args...)
			for _, chk := range []struct{ path, want string }{
				{"kafka.group", tt.group}, {"kafka.brokers", tt.brokers}, {"log.level", tt.level},
				{"datasets[0].allowed_lateness", tt.lateness}, {"http.listen", tt.listenArg},
			} {
				if got := at(t, c, chk.path); got != chk.want {
					t.Errorf("%s = %s, want %s", chk.path, got, chk.want)
				}
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		env  string
		path string
		want string
	}{
		{"KPROFILER_KAFKA_BROKERS=a:1, b:2,,", "kafka.brokers", "['a:1', 'b:2']"},
		{"KPROFILER_KAFKA_BROKERS=[x:1, y:2]", "kafka.brokers", "['x:1', 'y:2']"},
		{"KPROFILER_KAFKA_CLIENT_ID=cid", "kafka.client_id", "cid"},
		{"KPROFILER_KAFKA_SASL_PASSWORD=" + secretValue, "kafka.sasl.password", secretValue},
		{"KPROFILER_KAFKA_FETCH_MAX_BYTES=2MiB", "kafka.fetch_max_bytes", "2MiB"},
		{"KPROFILER_KAFKA_START_FROM=1500", "kafka.start_from", `"1970-01-01T00:00:01.5Z"`},
		{"KPROFILER_KAFKA_TLS_ENABLED=true", "kafka.tls.enabled", "true"},
		{"KPROFILER_DATASETS_0_ROTATION=1d", "datasets[0].rotation", "1d"},
		{"KPROFILER_DATASETS_0_TOPICS=a,b", "datasets[0].topics", "[a, b]"},
		{"KPROFILER_DATASETS_0_TAGS=env=prod, team=data", "datasets[0].tags", "{env: prod, team: data}"},
		{"KPROFILER_DATASETS_0_METADATA={owner: me}", "datasets[0].metadata", "{owner: me}"},
		{"KPROFILER_DATASETS_0_SEGMENTS_EXPLICIT=[{country: DE}, {country: FR, device: ios}]", "datasets[0].segments.explicit", "[{country: DE}, {country: FR, device: ios}]"},
		{"KPROFILER_DATASETS_0_MAX_SEGMENTS_PER_WINDOW=7", "datasets[0].max_segments_per_window", "7"},
		{"KPROFILER_DATASETS_0_AVRO_SCHEMA_REGISTRY_URL=http://r:8081", "datasets[0].avro.schema_registry.url", "http://r:8081"},
		{"KPROFILER_SINKS_0_URL=file:///tmp/p", "sinks[0].url", "file:///tmp/p"},
		{"KPROFILER_DEAD_LETTER_TOPIC=dlq", "dead_letter.topic", "dlq"},
		{"KPROFILER_CHECKPOINT_EVERY_INTERVAL=90s", "checkpoint.every_interval", "1m30s"},
		{"KPROFILER_LOG_FORMAT=console", "log.format", "console"},
		{"KPROFILER_SHUTDOWN_TIMEOUT=1m", "shutdown_timeout", "1m"},
		{"KPROFILER_KAFKA_GROUP=", "kafka.group", "kprofiler"}, // empty: ignored
	}
	for _, tt := range tests {
		c, err := Parse("x.yaml", []byte(minimalYAML))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ApplyEnv([]string{tt.env}); err != nil {
			t.Errorf("%s: %v", tt.env, err)
			continue
		}
		c.SetDefaults()
		if got := at(t, c, tt.path); got != tt.want {
			t.Errorf("%s: %s = %s, want %s", tt.env, tt.path, got, tt.want)
		}
	}
}

// TestEnvNameRule checks the mechanical rule for every leaf: the name in the
// reference is KPROFILER_ + the upper-cased path with "." and indices as
// "_", and that name reaches the field.
func TestEnvNameRule(t *testing.T) {
	root := reflect.TypeFor[Config]()
	for _, l := range walkLeaves(root) {
		path0 := strings.ReplaceAll(l.path, "[]", "[0]")
		name := strings.ReplaceAll(l.env, "<i>", "0")
		if got := envName(path0); got != name {
			t.Errorf("%s: reference says %s, rule gives %s", l.path, name, got)
		}
		steps, ok := matchEnv(root, strings.TrimPrefix(name, EnvPrefix))
		if !ok {
			t.Errorf("%s does not resolve", name)
			continue
		}
		c := &Config{}
		_, got, _ := navigate(reflect.ValueOf(c).Elem(), steps)
		if got != path0 {
			t.Errorf("%s resolves to %s, want %s", name, got, path0)
		}
	}
}

func TestEnvOnlyConfiguration(t *testing.T) {
	c := mustLoad(t, "", []string{
		"KPROFILER_DATASETS_0_NAME=orders",
		"KPROFILER_DATASETS_0_TOPICS=orders",
		"KPROFILER_DATASETS_1_NAME=clicks",
		"KPROFILER_DATASETS_1_TOPICS=clicks",
		"KPROFILER_SINKS_0_TYPE=blob",
		"KPROFILER_SINKS_0_URL=mem://",
		"KPROFILER_SINKS_1_TYPE=kafka",
		"KPROFILER_SINKS_1_TOPIC=profiles",
		"OTHER=ignored",
	})
	if len(c.Datasets) != 2 || c.Datasets[1].Name != "clicks" || c.Datasets[1].Rotation.Std().Hours() != 1 {
		t.Errorf("datasets = %+v", c.Datasets)
	}
	if len(c.Sinks) != 2 || c.Sinks[1].Topic != "profiles" || strings.Join(c.Sinks[1].Brokers, ",") != "localhost:9092" {
		t.Errorf("sinks = %+v", c.Sinks)
	}
	// The file is found through KPROFILER_CONFIG.
	dir := t.TempDir()
	p := filepath.Join(dir, "k.yaml")
	if err := os.WriteFile(p, []byte(minimalYAML+"kafka:\n  group: g-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(Options{Environ: []string{EnvConfig + "=" + p}})
	if err != nil || c.Kafka.Group != "g-file" {
		t.Fatalf("Load via %s: %v, %v", EnvConfig, c, err)
	}
	// --config wins over KPROFILER_CONFIG.
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	f := RegisterFlags(fs)
	if err := fs.Parse([]string{"--config", p}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(Options{Environ: []string{EnvConfig + "=/nonexistent.yaml"}, Flags: f}); err != nil {
		t.Errorf("--config should win over %s: %v", EnvConfig, err)
	}
	if _, err := Load(Options{Path: "/nonexistent/k.yaml"}); err == nil || errors.Is(err, ErrInvalid) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want a not-exist error that is not ErrInvalid", err)
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"typo", []string{"KPROFILER_KAFKA_BROKER=a:1"}, "env KPROFILER_KAFKA_BROKER: environment: unknown variable (did you mean KPROFILER_KAFKA_BROKERS?)"},
		{"unknown", []string{"KPROFILER_NOTHING_LIKE_IT=1"}, "env KPROFILER_NOTHING_LIKE_IT: environment: unknown variable"},
		{"struct not leaf", []string{"KPROFILER_KAFKA_TLS=1"}, "env KPROFILER_KAFKA_TLS: environment: unknown variable"},
		{"bad index", []string{"KPROFILER_DATASETS_X_NAME=a"}, "env KPROFILER_DATASETS_X_NAME: environment: unknown variable (did you mean KPROFILER_DATASETS_0_NAME?)"},
		{"index too large", []string{"KPROFILER_DATASETS_300_NAME=a"}, "env KPROFILER_DATASETS_300_NAME: datasets[300]: index must be at most 255"},
		{"bad duration", []string{"KPROFILER_DATASETS_0_ROTATION=5x"}, `env KPROFILER_DATASETS_0_ROTATION: datasets[0].rotation: "5x" must be a duration like 90s, 5m, 1h30m or 1d`},
		{"bad bool", []string{"KPROFILER_KAFKA_TLS_ENABLED=yes"}, `env KPROFILER_KAFKA_TLS_ENABLED: kafka.tls.enabled: "yes" must be true or false`},
		{"bad int", []string{"KPROFILER_CHECKPOINT_EVERY_RECORDS=1e5"}, `env KPROFILER_CHECKPOINT_EVERY_RECORDS: checkpoint.every_records: "1e5" must be an integer`},
		{"bad map", []string{"KPROFILER_DATASETS_0_TAGS=env"}, `env KPROFILER_DATASETS_0_TAGS: datasets[0].tags: "env" must be key=value`},
		{"bad flow", []string{"KPROFILER_DATASETS_0_SEGMENTS_EXPLICIT=[{country: DE"}, "env KPROFILER_DATASETS_0_SEGMENTS_EXPLICIT: datasets[0].segments.explicit: must be written in YAML flow syntax: yaml: line 1: did not find expected ',' or '}'"},
		{"two errors in name order", []string{"KPROFILER_SHUTDOWN_TIMEOUT=x", "KPROFILER_KAFKA_FETCH_MAX_WAIT=soon"}, "env KPROFILER_KAFKA_FETCH_MAX_WAIT: kafka.fetch_max_wait: \"soon\" must be a duration like 90s, 5m, 1h30m or 1d\nenv KPROFILER_SHUTDOWN_TIMEOUT: shutdown_timeout: \"x\" must be a duration like 90s, 5m, 1h30m or 1d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, minimalYAML, tt.env)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid")
			}
		})
	}
	// A variable named by a *_env field is not "unknown".
	c := mustLoad(t, minimalYAML+"kafka:\n  sasl:\n    mechanism: PLAIN\n    username: u\n    password_env: KPROFILER_SASL_SECRET\n", []string{"KPROFILER_SASL_SECRET=" + secretValue})
	if c.Kafka.SASL.Password.Reveal() != secretValue {
		t.Errorf("password from env = %q", c.Kafka.SASL.Password.Reveal())
	}
}

func TestFlags(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	RegisterFlags(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name+"="+f.DefValue) })
	want := "brokers=localhost:9092 client-id=kprofiler config= group=kprofiler http-listen=127.0.0.1:9464 log-format=auto log-level=info shutdown-timeout=25s start-from=earliest"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("flags = %s\nwant    %s", got, want)
	}
	// Bad values are rejected while parsing, naming the rule.
	for _, args := range [][]string{{"--shutdown-timeout", "soon"}, {"--start-from", "yesterday"}} {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		RegisterFlags(fs)
		err := fs.Parse(args)
		if err == nil || !strings.Contains(err.Error(), "must be") {
			t.Errorf("%v: err = %v", args, err)
		}
	}
	c := mustLoad(t, minimalYAML, nil, "--start-from", "2026-11-01T00:00:00Z", "--shutdown-timeout", "1m", "--client-id", "me", "--log-format", "json")
	if c.Kafka.StartFrom.Kind != StartTimestamp || c.ShutdownTimeout.Std().Minutes() != 1 || c.Kafka.ClientID != "me" || c.Log.Format != "json" {
		t.Errorf("flags not applied: %v %v %q %q", c.Kafka.StartFrom, c.ShutdownTimeout, c.Kafka.ClientID, c.Log.Format)
	}
	// Enum values are checked by validation, naming the flag's field.
	if _, err := load(t, minimalYAML, nil, "--log-level", "loud"); err == nil || err.Error() != `log.level: "loud" must be one of debug, info, warn, error` {
		t.Errorf("err = %v", err)
	}
}

func TestStrictYAML(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"unknown field with suggestion", "kafka:\n  brokers: [a:9092]\n  tsl:\n    enabled: true\n", "kprofiler.yaml:3:3: kafka.tsl: unknown field (did you mean tls?)"},
		{"unknown field listing the known ones", "http:\n  port: 9\n", "kprofiler.yaml:2:3: http.port: unknown field (known: listen)"},
		{"unknown top-level", "sink:\n  - type: blob\n", "kprofiler.yaml:1:1: sink: unknown field (did you mean sinks?)"},
		{"unknown in a list element", "datasets:\n  - name: a\n    topic: [a]\n", "kprofiler.yaml:3:5: datasets[0].topic: unknown field (did you mean topics?)"},
		{"all errors at once", "kafka:\n  grup: g\nlog:\n  levle: info\n", "kprofiler.yaml:2:3: kafka.grup: unknown field (did you mean group?)\nkprofiler.yaml:4:3: log.levle: unknown field (did you mean level?)"},
		{"duplicate key", "log:\n  level: info\n  level: debug\n", "kprofiler.yaml:3:3: log.level: is set twice"},
		{"bad duration", "datasets:\n  - name: a\n    rotation: 5x\n", `kprofiler.yaml:3:15: datasets[0].rotation: "5x" must be a duration like 90s, 5m, 1h30m or 1d`},
		{"bad integer", "checkpoint:\n  every_records: many\n", `kprofiler.yaml:2:18: checkpoint.every_records: "many" must be an integer`},
		{"bad bool", "kafka:\n  tls:\n    enabled: yes\n", `kprofiler.yaml:3:14: kafka.tls.enabled: "yes" must be true or false`},
		{"mapping where a scalar goes", "log:\n  level: {a: b}\n", "kprofiler.yaml:2:10: log.level: must be a single value, not a mapping"},
		{"scalar where a list of structs goes", "datasets: orders\n", "kprofiler.yaml:1:11: datasets: must be a list, not a scalar"},
		{"alias cycle through a merge", "kafka: &a {<<: *a}\n", "kprofiler.yaml:1:8: kafka: an alias refers to its own ancestor"},
		{"alias cycle through a field", "kafka: &a {tls: *a}\n", "kprofiler.yaml:1:8: kafka.tls: an alias refers to its own ancestor"},
		{"alias cycle through a list", "datasets: &a [*a]\n", "kprofiler.yaml:1:11: datasets[0]: an alias refers to its own ancestor"},
		{"scalar document", "hello\n", "kprofiler.yaml:1:1: must be a mapping, not a scalar"},
		{"scalar where a struct goes", "kafka: localhost\n", "kprofiler.yaml:1:8: kafka: must be a mapping, not a scalar"},
		{"list item not a string", "kafka:\n  brokers:\n    - {a: b}\n", "kprofiler.yaml:3:7: kafka.brokers[0]: must be a string"},
		{"two documents", "log: {level: info}\n---\nlog: {level: warn}\n", "kprofiler.yaml: must hold one YAML document, not several"},
		{"syntax error", "kafka:\n  brokers: [a\n", "kprofiler.yaml: yaml: line 1: did not find expected ',' or ']'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("kprofiler.yaml", []byte(tt.data))
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid")
			}
		})
	}
}

func TestYAMLFeatures(t *testing.T) {
	// Anchors, aliases and merge keys work; a null leaves the default.
	c := mustLoad(t, `
x-common: &common
  topics: [shared]
  rotation: 5m
datasets:
  - <<: *common
    name: a
  - <<: *common
    name: b
    rotation: 1d
sinks:
  - type: blob
    url: mem://
log:
  level: ~
`, nil)
	got := fmt.Sprintf("%s %v %v | %s %v %v | %s", c.Datasets[0].Name, c.Datasets[0].Topics, c.Datasets[0].Rotation,
		c.Datasets[1].Name, c.Datasets[1].Topics, c.Datasets[1].Rotation, c.Log.Level)
	if want := "a [shared] 5m | b [shared] 1d | info"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// An empty file is an empty configuration: it fails validation only.
	c, err := Parse("empty.yaml", nil)
	if err != nil || len(c.Datasets) != 0 {
		t.Errorf("empty file: %v %v", c, err)
	}
}

func TestDatasetLookup(t *testing.T) {
	c := mustLoad(t, minimalYAML, nil)
	if d, ok := c.Dataset("orders"); !ok || d != &c.Datasets[0] {
		t.Errorf("Dataset(orders) = %v, %v", d, ok)
	}
	if _, ok := c.Dataset("nope"); ok {
		t.Error("Dataset(nope) found")
	}
}

func TestSetDefaultsIdempotent(t *testing.T) {
	c := mustLoad(t, minimalYAML, nil)
	before := c.String()
	c.SetDefaults()
	if after := c.String(); after != before {
		t.Errorf("second SetDefaults changed the configuration:\n%s\nwas\n%s", after, before)
	}
}

func TestTransactionalIDFor(t *testing.T) {
	if got := (Sink{}).TransactionalIDFor("kprofiler", "pod-7"); got != "kprofiler-pod-7" {
		t.Errorf("derived id = %q", got)
	}
	if got := (Sink{TransactionalID: "tx"}).TransactionalIDFor("kprofiler", "pod-7"); got != "tx" {
		t.Errorf("explicit id = %q", got)
	}
}

func TestAliasExpansionIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-topics: &t [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "t%d", i)
	}
	b.WriteString("]\nx-d: &d {name: a, topics: *t}\ndatasets: [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*d")
	}
	b.WriteString("]\n")
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too many nodes after expanding aliases") {
		t.Errorf("err = %v", err)
	}
}
