package config_test

// Consistency of docker-compose.yml, the Dockerfile and deploy/kprofiler.yaml
// with this package. No Docker engine is needed: the compose file is parsed
// as YAML, its ${VAR:-default} interpolation is done here with an empty host
// environment (so the documented defaults are what is checked), and the
// kprofiler service's mounted configuration is loaded with Load, exactly as
// the container would, with the container's environment.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kprofiler/kprofiler/cmd/consumer/config"
)

// repoRoot is the repository root seen from this package's directory, where
// go test runs.
var repoRoot = filepath.Join("..", "..", "..")

const (
	composeFile        = "docker-compose.yml"
	dockerfile         = "Dockerfile"
	kprofilerService   = "kprofiler"
	kafkaInitService   = "kafka-init"
	minioInitService   = "minio-init"
	generatorService   = "gen"
	configInDockerfile = "--config"
)

// composeService holds the parts of a compose service the tests look at.
// Fields with two syntaxes (string or list, map or list) are kept as any and
// normalised by the helpers below.
type composeService struct {
	Image           string         `yaml:"image"`
	Build           any            `yaml:"build"`
	Command         any            `yaml:"command"`
	Entrypoint      any            `yaml:"entrypoint"`
	Environment     any            `yaml:"environment"`
	Ports           []any          `yaml:"ports"`
	Volumes         []any          `yaml:"volumes"`
	DependsOn       any            `yaml:"depends_on"`
	Healthcheck     map[string]any `yaml:"healthcheck"`
	StopGracePeriod string         `yaml:"stop_grace_period"`
	NetworkMode     string         `yaml:"network_mode"`
	Restart         string         `yaml:"restart"`
}

type compose struct {
	Services map[string]composeService `yaml:"services"`
}

func loadCompose(t *testing.T) *compose {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, composeFile))
	if err != nil {
		t.Fatalf("reading %s: %v", composeFile, err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("parsing %s: %v", composeFile, err)
	}
	if len(c.Services) == 0 {
		t.Fatalf("%s: no services", composeFile)
	}
	return &c
}

func (c *compose) service(t *testing.T, name string) composeService {
	t.Helper()
	s, ok := c.Services[name]
	if !ok {
		t.Fatalf("%s: no service %q", composeFile, name)
	}
	return s
}

// interpolate performs compose variable substitution on s with the host
// environment env: $$ is a literal $, ${NAME}, $NAME, ${NAME:-default}
// (default when unset or empty), ${NAME-default} (default when unset),
// ${NAME:?message} and ${NAME?message} (error). Other forms are errors.
func interpolate(s string, env map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("%q: lone $ at the end", s)
		}
		switch c := s[i+1]; {
		case c == '$':
			b.WriteByte('$')
			i++
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("%q: unclosed ${", s)
			}
			expr := s[i+2 : i+end]
			i += end
			v, err := expandExpr(expr, env)
			if err != nil {
				return "", fmt.Errorf("%q: %w", s, err)
			}
			b.WriteString(v)
		case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			b.WriteString(env[s[i+1:j]])
			i = j - 1
		default:
			return "", fmt.Errorf("%q: $ followed by %q (write $$ for a literal $)", s, c)
		}
	}
	return b.String(), nil
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)

func expandExpr(expr string, env map[string]string) (string, error) {
	name := varName.FindString(expr)
	if name == "" {
		return "", fmt.Errorf("bad variable expression ${%s}", expr)
	}
	val, set := env[name]
	switch op := expr[len(name):]; {
	case op == "":
		return val, nil
	case strings.HasPrefix(op, ":-"):
		if val == "" {
			return op[2:], nil
		}
		return val, nil
	case strings.HasPrefix(op, "-"):
		if !set {
			return op[1:], nil
		}
		return val, nil
	case strings.HasPrefix(op, ":?"), strings.HasPrefix(op, "?"):
		if val == "" && (!set || op[0] == ':') {
			return "", fmt.Errorf("required variable %s is missing: %s", name, strings.TrimLeft(op, ":?"))
		}
		return val, nil
	default:
		return "", fmt.Errorf("unsupported expression ${%s}", expr)
	}
}

// environ returns a service's environment in os.Environ form, interpolated
// with the host environment host, sorted by name.
func (s composeService) environ(host map[string]string) ([]string, error) {
	var out []string
	add := func(k, v string) error {
		v, err := interpolate(v, host)
		if err != nil {
			return fmt.Errorf("environment %s: %w", k, err)
		}
		out = append(out, k+"="+v)
		return nil
	}
	switch env := s.Environment.(type) {
	case nil:
	case map[string]any:
		for k, v := range env {
			sv := ""
			if v != nil {
				sv = fmt.Sprint(v)
			}
			if err := add(k, sv); err != nil {
				return nil, err
			}
		}
	case []any:
		for _, e := range env {
			k, v, _ := strings.Cut(fmt.Sprint(e), "=")
			if err := add(k, v); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("environment of type %T", env)
	}
	slices.Sort(out)
	return out, nil
}

func lookup(environ []string, name string) (string, bool) {
	for _, e := range environ {
		if k, v, _ := strings.Cut(e, "="); k == name {
			return v, true
		}
	}
	return "", false
}

// words returns a command or entrypoint as a list: the exec form as is, the
// string form split on white space (compose splits it shell-like; the files
// here use no quoting in string forms).
func words(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return strings.Fields(v)
	case []any:
		out := make([]string, len(v))
		for i, w := range v {
			out[i] = fmt.Sprint(w)
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}

// flagValue returns the value of --name in args ("--name v" or "--name=v").
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// mount is one bind mount or volume of a service.
type mount struct {
	source, target string
	readOnly       bool
}

func (s composeService) mounts(host map[string]string) ([]mount, error) {
	var out []mount
	for _, v := range s.Volumes {
		switch v := v.(type) {
		case string:
			v, err := interpolate(v, host)
			if err != nil {
				return nil, err
			}
			parts := strings.Split(v, ":")
			switch len(parts) {
			case 2:
				out = append(out, mount{source: parts[0], target: parts[1]})
			case 3:
				out = append(out, mount{source: parts[0], target: parts[1], readOnly: slices.Contains(strings.Split(parts[2], ","), "ro")})
			default:
				return nil, fmt.Errorf("volume %q: want SOURCE:TARGET[:MODE]", v)
			}
		case map[string]any:
			ro, _ := v["read_only"].(bool)
			out = append(out, mount{source: fmt.Sprint(v["source"]), target: fmt.Sprint(v["target"]), readOnly: ro})
		default:
			return nil, fmt.Errorf("volume of type %T", v)
		}
	}
	return out, nil
}

// publishedPort is one entry of a service's ports.
type publishedPort struct {
	hostIP, hostPort, containerPort string
}

// parsePort reads one entry of ports (short "[IP:]HOST:CONTAINER[/proto]"
// or "CONTAINER", or the long syntax map).
func parsePort(v any) (publishedPort, error) {
	switch v := v.(type) {
	case map[string]any:
		p := publishedPort{containerPort: fmt.Sprint(v["target"])}
		if ip, ok := v["host_ip"]; ok {
			p.hostIP = fmt.Sprint(ip)
		}
		if pub, ok := v["published"]; ok {
			p.hostPort = fmt.Sprint(pub)
		}
		return p, nil
	case string, int:
		s := fmt.Sprint(v)
		s, _, _ = strings.Cut(s, "/")
		if strings.Count(s, ":") > 2 || strings.Contains(s, "[") {
			return publishedPort{}, fmt.Errorf("port %q: IPv6 host addresses are not supported here", s)
		}
		parts := strings.Split(s, ":")
		switch len(parts) {
		case 1:
			return publishedPort{containerPort: parts[0]}, nil
		case 2:
			return publishedPort{hostPort: parts[0], containerPort: parts[1]}, nil
		default:
			return publishedPort{hostIP: parts[0], hostPort: parts[1], containerPort: parts[2]}, nil
		}
	}
	return publishedPort{}, fmt.Errorf("port of type %T", v)
}

// checkLoopback reports why a ports entry is not bound to 127.0.0.1.
func checkLoopback(v any) error {
	p, err := parsePort(v)
	if err != nil {
		return err
	}
	if p.hostIP != "127.0.0.1" {
		return fmt.Errorf("port %v: host address %q, want 127.0.0.1 (otherwise Docker publishes it on every interface)", v, p.hostIP)
	}
	return nil
}

// checkPinned reports why an image reference does not name a fixed version:
// it needs a tag that is not "latest" and contains a digit (a version, a
// release date), or a digest.
func checkPinned(image string) error {
	if image == "" {
		return errors.New("no image")
	}
	if strings.Contains(image, "@sha256:") {
		return nil
	}
	// The tag is after the last ":" that follows the last "/" (a registry
	// host may carry a port).
	tag := ""
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		tag = image[i+1:]
	}
	switch {
	case tag == "":
		return fmt.Errorf("image %q has no tag (means latest)", image)
	case tag == "latest":
		return fmt.Errorf("image %q uses latest", image)
	case !strings.ContainsAny(tag, "0123456789"):
		return fmt.Errorf("image %q: tag %q is not a version", image, tag)
	}
	return nil
}

// hasHealthcheck reports whether the service defines a healthcheck command
// (the images used here declare none of their own).
func (s composeService) hasHealthcheck() bool {
	if s.Healthcheck["disable"] == true {
		return false
	}
	test := words(s.Healthcheck["test"])
	return len(test) > 1 || len(test) == 1 && test[0] != "NONE"
}

// dependencies returns a service's depends_on as name → condition
// ("service_started" for the short list form).
func (s composeService) dependencies() (map[string]string, error) {
	out := map[string]string{}
	switch d := s.DependsOn.(type) {
	case nil:
	case []any:
		for _, n := range d {
			out[fmt.Sprint(n)] = "service_started"
		}
	case map[string]any:
		for n, v := range d {
			cond := "service_started"
			if m, ok := v.(map[string]any); ok && m["condition"] != nil {
				cond = fmt.Sprint(m["condition"])
			}
			out[n] = cond
		}
	default:
		return nil, fmt.Errorf("depends_on of type %T", d)
	}
	return out, nil
}

// dockerStage is one FROM … stage of a Dockerfile: its base image (ARG
// defaults substituted) and its instructions, one logical line each.
type dockerStage struct {
	from, name   string
	instructions []string
}

// parseDockerfile splits a Dockerfile into stages. Comments and parser
// directives are dropped and "\" continuations joined. ARGs before the first
// FROM are substituted into FROM lines with their defaults.
func parseDockerfile(data string) ([]dockerStage, error) {
	var lines []string
	var cur strings.Builder
	for l := range strings.SplitSeq(data, "\n") {
		l = strings.TrimRight(l, " \t\r")
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") || (t == "" && cur.Len() == 0) {
			continue
		}
		if c, ok := strings.CutSuffix(l, "\\"); ok {
			cur.WriteString(c)
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(l)
		lines = append(lines, strings.TrimSpace(cur.String()))
		cur.Reset()
	}
	if cur.Len() > 0 {
		return nil, errors.New("Dockerfile ends inside a continued line")
	}
	args := map[string]string{}
	var stages []dockerStage
	for _, l := range lines {
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "ARG":
			if len(stages) == 0 {
				k, v, _ := strings.Cut(rest, "=")
				args[k] = v
			}
		case "FROM":
			f := strings.Fields(rest)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				f = f[1:]
			}
			if len(f) == 0 {
				return nil, fmt.Errorf("FROM without an image: %q", l)
			}
			img, err := interpolate(f[0], args)
			if err != nil {
				return nil, err
			}
			st := dockerStage{from: img}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
		default:
			if len(stages) == 0 {
				return nil, fmt.Errorf("instruction before FROM: %q", l)
			}
			s := &stages[len(stages)-1]
			s.instructions = append(s.instructions, l)
		}
	}
	if len(stages) == 0 {
		return nil, errors.New("Dockerfile has no FROM")
	}
	return stages, nil
}

// last returns the arguments of the last instruction named name in the
// stage; exec form (a JSON array) is required for CMD and ENTRYPOINT.
func (s dockerStage) last(name string) (string, bool) {
	val, found := "", false
	for _, l := range s.instructions {
		instr, rest, _ := strings.Cut(l, " ")
		if strings.EqualFold(instr, name) {
			val, found = strings.TrimSpace(rest), true
		}
	}
	return val, found
}

func (s dockerStage) execForm(name string) ([]string, error) {
	v, ok := s.last(name)
	if !ok {
		return nil, fmt.Errorf("final stage has no %s", name)
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("%s %s: want the exec form (a JSON array): %v", name, v, err)
	}
	return out, nil
}

func loadDockerfile(t *testing.T) []dockerStage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, dockerfile))
	if err != nil {
		t.Fatalf("reading %s: %v", dockerfile, err)
	}
	stages, err := parseDockerfile(string(data))
	if err != nil {
		t.Fatalf("%s: %v", dockerfile, err)
	}
	return stages
}

// kprofilerSetup is what the kprofiler container sees: its arguments after
// the entrypoint, its environment and its configuration file.
type kprofilerSetup struct {
	args          []string
	environ       []string
	containerPath string // where the configuration is mounted
	hostPath      string // the repository file mounted there
}

func setupKprofiler(t *testing.T, c *compose, final dockerStage, host map[string]string) kprofilerSetup {
	t.Helper()
	svc := c.service(t, kprofilerService)
	if svc.Build == nil {
		t.Errorf("service %s: no build (it must be built from the %s)", kprofilerService, dockerfile)
	}
	var k kprofilerSetup
	if svc.Entrypoint != nil {
		t.Errorf("service %s overrides the entrypoint %v", kprofilerService, svc.Entrypoint)
	}
	k.args = words(svc.Command)
	if k.args == nil {
		cmd, err := final.execForm("CMD")
		if err != nil {
			t.Fatalf("%s: %v", dockerfile, err)
		}
		k.args = cmd
	}
	if len(k.args) == 0 || k.args[0] != "run" {
		t.Fatalf("kprofiler arguments %q: want the run command", k.args)
	}
	var err error
	if k.environ, err = svc.environ(host); err != nil {
		t.Fatalf("service %s: %v", kprofilerService, err)
	}
	p, ok := flagValue(k.args, configInDockerfile)
	if !ok {
		p, _ = lookup(k.environ, config.EnvConfig)
	}
	if p == "" {
		t.Fatalf("kprofiler arguments %q: no %s, and no %s in the environment", k.args, configInDockerfile, config.EnvConfig)
	}
	k.containerPath = p
	mounts, err := svc.mounts(host)
	if err != nil {
		t.Fatalf("service %s: %v", kprofilerService, err)
	}
	for _, m := range mounts {
		if m.target != p {
			continue
		}
		if !strings.HasPrefix(m.source, "./") {
			t.Fatalf("service %s: %s is mounted from %q, want a file of the repository (./…)", kprofilerService, p, m.source)
		}
		if !m.readOnly {
			t.Errorf("service %s: mount of %s is writable, want :ro", kprofilerService, p)
		}
		k.hostPath = filepath.Join(repoRoot, filepath.FromSlash(m.source))
	}
	if k.hostPath == "" {
		t.Fatalf("service %s: nothing is mounted at the configuration path %s", kprofilerService, p)
	}
	return k
}

// load runs the configuration loader as the container would: the file at
// the container path is the mounted repository file, nothing else exists.
func (k kprofilerSetup) load() (*config.Config, error) {
	return config.Load(config.Options{
		Path:    k.containerPath,
		Environ: k.environ,
		ReadFile: func(name string) ([]byte, error) {
			if name != k.containerPath {
				return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
			}
			return os.ReadFile(k.hostPath)
		},
	})
}

// TestComposeConfigLoads loads the kprofiler service's configuration with
// Load and the service's environment, and requires it to validate.
func TestComposeConfigLoads(t *testing.T) {
	c := loadCompose(t)
	stages := loadDockerfile(t)
	k := setupKprofiler(t, c, stages[len(stages)-1], nil)
	cfg, err := k.load()
	if err != nil {
		t.Fatalf("%s (mounted at %s) with the environment of service %s does not load:\n%v", k.hostPath, k.containerPath, kprofilerService, err)
	}
	if cfg.Kafka.TLS.Enabled {
		t.Errorf("kafka.tls.enabled: the compose broker has no TLS listener")
	}

	// What the stack is meant to show (see the issue): dataset orders from
	// topic orders as JSON, event time from ts, segments country and device;
	// an S3 blob sink, a kafka sink to topic profiles, a dead-letter topic.
	d, ok := cfg.Dataset("orders")
	if !ok {
		t.Fatalf("no dataset orders")
	}
	if !slices.Equal(d.Topics, []string{"orders"}) || d.Format != "json" {
		t.Errorf("dataset orders: topics %q format %q, want [orders] json", d.Topics, d.Format)
	}
	if d.EventTime.Source != "field" || d.EventTime.Field != "ts" {
		t.Errorf("dataset orders: event time %+v, want the field ts", d.EventTime)
	}
	if !slices.Equal(d.Segments.Fields, []string{"country", "device"}) {
		t.Errorf("dataset orders: segments %q, want [country device]", d.Segments.Fields)
	}
	var blob, kafka []config.Sink
	for _, s := range cfg.Sinks {
		switch s.Type {
		case "blob":
			blob = append(blob, s)
		case "kafka":
			kafka = append(kafka, s)
		}
	}
	if len(blob) != 1 || !strings.HasPrefix(blob[0].URL, "s3://") {
		t.Errorf("sinks: want one blob sink with an s3:// URL, have %+v", blob)
	}
	if len(kafka) != 1 || kafka[0].Topic != "profiles" {
		t.Errorf("sinks: want one kafka sink to topic profiles, have %+v", kafka)
	}
	if cfg.DeadLetter.Topic == "" {
		t.Errorf("dead_letter.topic is empty")
	}
}

// TestComposeEnvOverride checks that a host variable passed through the
// compose file reaches the configuration (KPROFILER_LOG_LEVEL), and that an
// empty one leaves the file's value.
func TestComposeEnvOverride(t *testing.T) {
	c := loadCompose(t)
	stages := loadDockerfile(t)
	k := setupKprofiler(t, c, stages[len(stages)-1], map[string]string{"KPROFILER_LOG_LEVEL": "debug"})
	if v, _ := lookup(k.environ, "KPROFILER_LOG_LEVEL"); v != "debug" {
		t.Fatalf("service %s does not pass KPROFILER_LOG_LEVEL from the host (got %q)", kprofilerService, v)
	}
	cfg, err := k.load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log.Level != "debug" {
		t.Errorf("log.level = %q with KPROFILER_LOG_LEVEL=debug on the host, want debug", cfg.Log.Level)
	}
	k = setupKprofiler(t, c, stages[len(stages)-1], map[string]string{"KPROFILER_LOG_LEVEL": "verbose"})
	if _, err := k.load(); !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "log.level") {
		t.Errorf("KPROFILER_LOG_LEVEL=verbose on the host: err = %v, want a log.level validation error", err)
	}
}

// TestComposeWiring checks that the loaded configuration refers to what the
// compose file provides: broker addresses, topics, the bucket, the S3
// endpoint and credentials, the HTTP port, and the stop grace period.
func TestComposeWiring(t *testing.T) {
	c := loadCompose(t)
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	k := setupKprofiler(t, c, final, nil)
	cfg, err := k.load()
	if err != nil {
		t.Fatalf("configuration does not load (see TestComposeConfigLoads): %v", err)
	}

	// Brokers: host:port must be an advertised listener of a compose service.
	checkBroker := func(where, addr string) {
		t.Helper()
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("%s: %q: %v", where, addr, err)
			return
		}
		svc, ok := c.Services[host]
		if !ok {
			t.Errorf("%s: %q: no compose service %q", where, addr, host)
			return
		}
		env, err := svc.environ(nil)
		if err != nil {
			t.Fatal(err)
		}
		adv, _ := lookup(env, "KAFKA_ADVERTISED_LISTENERS")
		if !slices.ContainsFunc(strings.Split(adv, ","), func(l string) bool { return strings.HasSuffix(l, "://"+host+":"+port) }) {
			t.Errorf("%s: %q is not an advertised listener of service %s (%q)", where, addr, host, adv)
		}
	}
	for i, b := range cfg.Kafka.Brokers {
		checkBroker(fmt.Sprintf("kafka.brokers[%d]", i), b)
	}
	for i, s := range cfg.Sinks {
		for j, b := range s.Brokers {
			checkBroker(fmt.Sprintf("sinks[%d].brokers[%d]", i, j), b)
		}
	}

	// Topics: the broker does not auto-create them, kafka-init must.
	init := c.service(t, kafkaInitService)
	initScript := strings.Join(words(init.Command), " ")
	created := func(topic string) bool {
		return regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(topic) + `:\d+(\s|;|$)`).MatchString(initScript)
	}
	topics := map[string]string{"dead_letter.topic": cfg.DeadLetter.Topic}
	for i, d := range cfg.Datasets {
		for j, tp := range d.Topics {
			topics[fmt.Sprintf("datasets[%d].topics[%d]", i, j)] = tp
		}
	}
	for i, s := range cfg.Sinks {
		if s.Type == "kafka" {
			topics[fmt.Sprintf("sinks[%d].topic", i)] = s.Topic
		}
	}
	for where, tp := range topics {
		if !created(tp) {
			t.Errorf("%s: topic %q is not created by service %s", where, tp, kafkaInitService)
		}
	}

	// The generator writes to a profiled topic through a listed broker.
	gen := c.service(t, generatorService)
	genArgs := words(gen.Command)
	if len(genArgs) == 0 || genArgs[0] != "gen" {
		t.Errorf("service %s: command %q, want consumer gen", generatorService, genArgs)
	}
	if b, ok := flagValue(genArgs, "--brokers"); ok {
		checkBroker("gen --brokers", b)
	} else {
		t.Errorf("service %s: no --brokers", generatorService)
	}
	genTopic, _ := flagValue(genArgs, "--topic")
	if !slices.ContainsFunc(cfg.Datasets, func(d config.Dataset) bool { return slices.Contains(d.Topics, genTopic) }) {
		t.Errorf("service %s: --topic %q is read by no dataset", generatorService, genTopic)
	}
	if gen.Build == nil && gen.Image != c.service(t, kprofilerService).Image {
		t.Errorf("service %s: neither built nor the kprofiler image", generatorService)
	}

	// S3: the endpoint is the object store service, the bucket exists, and
	// the credentials come from the environment, equal to the ones the
	// bucket service creates.
	minioInit := c.service(t, minioInitService)
	minioEnv, err := minioInit.environ(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range cfg.Sinks {
		if s.Type != "blob" || !strings.HasPrefix(s.URL, "s3://") {
			continue
		}
		where := fmt.Sprintf("sinks[%d].url", i)
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if u.User != nil {
			t.Errorf("%s: credentials in the URL", where)
		}
		q := u.Query()
		for p := range q {
			if !slices.Contains(s3blobParams, p) {
				t.Errorf("%s: query parameter %q is not one gocloud.dev/blob/s3blob knows (%v)", where, p, s3blobParams)
			}
		}
		if q.Get("use_path_style") != "true" {
			t.Errorf("%s: use_path_style=true is needed for an S3-compatible store addressed by service name", where)
		}
		ep, err := url.Parse(q.Get("endpoint"))
		if err != nil || ep.Hostname() == "" {
			t.Errorf("%s: endpoint %q is not a URL", where, q.Get("endpoint"))
		} else if _, ok := c.Services[ep.Hostname()]; !ok {
			t.Errorf("%s: endpoint host %q is no compose service", where, ep.Hostname())
		}
		if !regexp.MustCompile(`mc mb [^\n]*/` + regexp.QuoteMeta(u.Host) + `(\s|$)`).MatchString(strings.Join(words(minioInit.Command), " ")) {
			t.Errorf("%s: bucket %q is not created by service %s", where, u.Host, minioInitService)
		}
	}
	for _, pair := range [][2]string{{"AWS_ACCESS_KEY_ID", "S3_ACCESS_KEY"}, {"AWS_SECRET_ACCESS_KEY", "S3_SECRET_KEY"}} {
		have, _ := lookup(k.environ, pair[0])
		want, _ := lookup(minioEnv, pair[1])
		if have == "" || have != want {
			t.Errorf("service %s: %s = %q, want the %s of service %s (%q)", kprofilerService, pair[0], have, pair[1], minioInitService, want)
		}
	}
	file, err := os.ReadFile(k.hostPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range append(slices.Clone(k.environ), minioEnv...) {
		name, v, _ := strings.Cut(e, "=")
		if strings.Contains(name, "SECRET") || strings.Contains(name, "PASSWORD") {
			if v != "" && strings.Contains(string(file), v) {
				t.Errorf("%s holds the value of %s: credentials belong in the environment", k.hostPath, name)
			}
		}
	}

	// HTTP: reachable from outside the container on the exposed, published port.
	h, port, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil {
		t.Fatalf("http.listen %q: %v", cfg.HTTP.Listen, err)
	}
	if h != "" && h != "0.0.0.0" && h != "::" {
		t.Errorf("http.listen %q: a container must listen on all interfaces (\":%s\")", cfg.HTTP.Listen, port)
	}
	expose, _ := final.last("EXPOSE")
	if !slices.Contains(strings.Fields(expose), port) && !slices.Contains(strings.Fields(expose), port+"/tcp") {
		t.Errorf("%s: EXPOSE %q does not include the http.listen port %s", dockerfile, expose, port)
	}
	svc := c.service(t, kprofilerService)
	if !slices.ContainsFunc(svc.Ports, func(v any) bool { p, err := parsePort(v); return err == nil && p.containerPort == port }) {
		t.Errorf("service %s does not publish the http.listen port %s", kprofilerService, port)
	}

	// Docker's SIGKILL must not cut the shutdown short.
	grace := 10 * time.Second // Docker's default
	if svc.StopGracePeriod != "" {
		d, err := time.ParseDuration(svc.StopGracePeriod)
		if err != nil {
			t.Fatalf("service %s: stop_grace_period %q: %v", kprofilerService, svc.StopGracePeriod, err)
		}
		grace = d
	}
	if grace <= cfg.ShutdownTimeout.Std() {
		t.Errorf("service %s: stop grace period %v is not longer than shutdown_timeout %v", kprofilerService, grace, cfg.ShutdownTimeout)
	}
}

// s3blobParams are the bucket URL query parameters that gocloud.dev v0.47's
// s3blob URL opener accepts (its own and those of gocloud.dev/aws).
var s3blobParams = []string{
	"region", "endpoint", "hostname_immutable", "profile", "role", "anonymous",
	"dualstack", "fips", "rate_limiter_capacity", "awssdk",
	"request_checksum_calculation", "response_checksum_validation",
	"accelerate", "use_path_style", "s3ForcePathStyle", "disable_https",
	"kmskeyid", "ssetype",
}

// TestComposeDockerfileConfigPath checks that the image's default command
// reads the configuration from where the compose file mounts it, and runs
// the binary the build stage produces.
func TestComposeDockerfileConfigPath(t *testing.T) {
	c := loadCompose(t)
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	ep, err := final.execForm("ENTRYPOINT")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ep, []string{"/consumer"}) {
		t.Errorf("ENTRYPOINT %q, want [/consumer]", ep)
	}
	cmd, err := final.execForm("CMD")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := flagValue(cmd, configInDockerfile)
	if !ok {
		t.Fatalf("CMD %q has no %s", cmd, configInDockerfile)
	}
	mounts, err := c.service(t, kprofilerService).mounts(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(mounts, func(m mount) bool { return m.target == p }) {
		t.Errorf("the Dockerfile's CMD reads %s, but service %s mounts %+v", p, kprofilerService, mounts)
	}
	if copyLine, ok := final.last("COPY"); !ok || !strings.HasSuffix(copyLine, " /consumer") {
		t.Errorf("final stage: last COPY %q does not install /consumer", copyLine)
	}
	if u, _ := final.last("USER"); u == "" || u == "root" || strings.HasPrefix(u, "0") {
		if !strings.Contains(final.from, "nonroot") {
			t.Errorf("final stage runs as root (USER %q, base %s)", u, final.from)
		}
	}
}

// TestComposeImagesPinned requires every image, in the compose file and in
// the Dockerfile, to name a version.
func TestComposeImagesPinned(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		img, err := interpolate(s.Image, nil)
		if err != nil {
			t.Errorf("service %s: %v", name, err)
			continue
		}
		if s.Build != nil {
			// Built here: the tag only names the local build.
			if img != "" && (!strings.Contains(path.Base(img), ":") || strings.HasSuffix(img, ":latest")) {
				t.Errorf("service %s: built image %q needs an explicit tag other than latest", name, img)
			}
			continue
		}
		if err := checkPinned(img); err != nil {
			t.Errorf("service %s: %v", name, err)
		}
	}
	stages := loadDockerfile(t)
	for i, st := range stages {
		from := st.from
		if slices.ContainsFunc(stages[:i], func(d dockerStage) bool { return d.name != "" && d.name == from }) {
			continue // an earlier stage, not an image
		}
		// A distroless tag names the variant ("nonroot"); the version is in
		// the repository name (static-debian12).
		if strings.HasPrefix(from, "gcr.io/distroless/") {
			if !regexp.MustCompile(`^gcr\.io/distroless/[a-z]+-debian\d+:[a-z0-9-]+$`).MatchString(from) || strings.HasSuffix(from, ":latest") {
				t.Errorf("%s stage %d: %s must name its Debian release and a variant tag other than latest", dockerfile, i, from)
			}
			continue
		}
		if err := checkPinned(from); err != nil {
			t.Errorf("%s stage %d: %v", dockerfile, i, err)
		}
	}
}

// TestComposePortsLoopback requires every published port to bind to
// 127.0.0.1 on the host, and no service to use the host network.
func TestComposePortsLoopback(t *testing.T) {
	c := loadCompose(t)
	n := 0
	for name, s := range c.Services {
		if s.NetworkMode == "host" {
			t.Errorf("service %s: network_mode host publishes every port", name)
		}
		for _, p := range s.Ports {
			n++
			if err := checkLoopback(p); err != nil {
				t.Errorf("service %s: %v", name, err)
			}
		}
	}
	if n == 0 {
		t.Errorf("%s publishes no port at all", composeFile)
	}
}

// TestComposeDependencies checks depends_on: every dependency exists, a
// service_healthy dependency has a healthcheck, a
// service_completed_successfully dependency is a one-shot, and every
// long-running service that others wait on is healthy-checked.
func TestComposeDependencies(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		deps, err := s.dependencies()
		if err != nil {
			t.Errorf("service %s: %v", name, err)
			continue
		}
		for dep, cond := range deps {
			d, ok := c.Services[dep]
			if !ok {
				t.Errorf("service %s depends on unknown service %s", name, dep)
				continue
			}
			switch cond {
			case "service_healthy":
				if !d.hasHealthcheck() {
					t.Errorf("service %s waits for %s to be healthy, but %s has no healthcheck test", name, dep, dep)
				}
			case "service_completed_successfully":
				if d.Restart != "no" {
					t.Errorf("service %s waits for %s to complete, but %s restarts (%q)", name, dep, dep, d.Restart)
				}
			case "service_started":
				if d.hasHealthcheck() {
					t.Errorf("service %s: depends on %s with service_started although it has a healthcheck; use service_healthy", name, dep)
				}
			default:
				t.Errorf("service %s: unknown depends_on condition %q", name, cond)
			}
		}
	}
	// The consumer must start after its topics and bucket exist.
	deps, _ := c.service(t, kprofilerService).dependencies()
	for _, dep := range []string{kafkaInitService, minioInitService} {
		if deps[dep] != "service_completed_successfully" {
			t.Errorf("service %s: depends_on %s is %q, want service_completed_successfully", kprofilerService, dep, deps[dep])
		}
	}
}

// The helpers above must reject what they are there to reject.
func TestComposeHelpers(t *testing.T) {
	env := map[string]string{"SET": "v", "EMPTY": ""}
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"$$HOME", "$HOME"},
		{"${SET}", "v"},
		{"$SET/x", "v/x"},
		{"${UNSET}", ""},
		{"${UNSET:-d}", "d"},
		{"${EMPTY:-d}", "d"},
		{"${EMPTY-d}", ""},
		{"${UNSET-d}", "d"},
		{"${SET:-d}", "v"},
		{"a${SET}b$$c", "avb$c"},
	} {
		got, err := interpolate(tc.in, env)
		if err != nil || got != tc.want {
			t.Errorf("interpolate(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"${UNSET:?need it}", "${EMPTY:?x}", "${", "${SET:+x}", "$", "a$ b"} {
		if got, err := interpolate(bad, env); err == nil {
			t.Errorf("interpolate(%q) = %q, want an error", bad, got)
		}
	}

	for _, ok := range []any{"127.0.0.1:9000:9000", "127.0.0.1:9464:9464/tcp", map[string]any{"target": 80, "published": 8080, "host_ip": "127.0.0.1"}} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("checkLoopback(%v) = %v", ok, err)
		}
	}
	for _, bad := range []any{"9000:9000", "9000", 9000, "0.0.0.0:9000:9000", "[::]:9000:9000", map[string]any{"target": 80, "published": 8080}} {
		if err := checkLoopback(bad); err == nil {
			t.Errorf("checkLoopback(%v) = nil, want an error", bad)
		}
	}

	for _, ok := range []string{"apache/kafka:4.1.1", "quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z", "registry:5000/x:1.2", "x@sha256:0123"} {
		if err := checkPinned(ok); err != nil {
			t.Errorf("checkPinned(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"apache/kafka", "apache/kafka:latest", "registry:5000/x", "minio/minio:stable", ""} {
		if err := checkPinned(bad); err == nil {
			t.Errorf("checkPinned(%q) = nil, want an error", bad)
		}
	}

	stages, err := parseDockerfile("# syntax=docker/dockerfile:1\nARG V=1.26\nFROM golang:${V} AS b\nRUN a \\\n  b\nFROM scratch\nCMD [\"run\", \"--config\", \"/x.yaml\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 || stages[0].from != "golang:1.26" || stages[0].instructions[0] != "RUN a    b" {
		t.Errorf("parseDockerfile: %+v", stages)
	}
	if cmd, err := stages[1].execForm("CMD"); err != nil || !slices.Equal(cmd, []string{"run", "--config", "/x.yaml"}) {
		t.Errorf("CMD = %q, %v", cmd, err)
	}
	if stages[0].name != "b" || stages[1].name != "" {
		t.Errorf("stage names %q %q, want b and none", stages[0].name, stages[1].name)
	}
	shell, err := parseDockerfile("FROM scratch\nCMD run --config /x.yaml\n")
	if err != nil {
		t.Fatal(err)
	}
	if cmd, err := shell[0].execForm("CMD"); err == nil {
		t.Errorf("shell-form CMD accepted as exec form: %q", cmd)
	}
	for _, bad := range []string{"RUN x\n", "", "# only a comment\n", "FROM\n"} {
		if _, err := parseDockerfile(bad); err == nil {
			t.Errorf("parseDockerfile(%q) = nil error", bad)
		}
	}
}
