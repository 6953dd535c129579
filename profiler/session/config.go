package session

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Config is a session configuration, the YAML form of whylogs v0's
// SessionConfig:
//
//	project: my-project
//	pipeline: my-pipeline
//	verbose: false
//	with_rotation_time: 1h        # optional default rotation of loggers
//	cache_size: 1                 # optional
//	report_progress: false        # accepted, ignored
//	writers:
//	  - type: local
//	    output_path: /data/profiles
//	    formats: [protobuf]
//	    path_template: $name      # optional
//	    filename_template: dataset_profile   # optional
//
// Unknown fields are errors naming the field and its line. Not supported
// (whylogs fields that have no counterpart here): the metadata writer
// (metadata:, only used by segments="auto"), writer types s3, whylabs and
// mlflow (use the sinks), and the json and flat output formats.
type Config struct {
	Project          string         `yaml:"project"`
	Pipeline         string         `yaml:"pipeline"`
	Writers          []WriterConfig `yaml:"writers"`
	Verbose          bool           `yaml:"verbose"`
	WithRotationTime string         `yaml:"with_rotation_time"`
	CacheSize        *int           `yaml:"cache_size"`
	ReportProgress   bool           `yaml:"report_progress"`
}

// WriterConfig is one writer of a Config (whylogs v0 WriterConfig).
type WriterConfig struct {
	// Type must be "local".
	Type string `yaml:"type"`
	// OutputPath is the output directory.
	OutputPath string `yaml:"output_path"`
	// Formats lists output formats; only "protobuf" (whylogs v1 files) is
	// written. "all" means every supported format; empty means protobuf.
	Formats []string `yaml:"formats"`
	// PathTemplate and FilenameTemplate: see LocalWriterConfig.
	PathTemplate     string `yaml:"path_template"`
	FilenameTemplate string `yaml:"filename_template"`
}

// DefaultConfig is the configuration used when no config file exists
// (whylogs v0's defaults, with protobuf as the only format).
func DefaultConfig() Config {
	return Config{
		Project:  "default-project",
		Pipeline: "default-pipeline",
		Writers:  []WriterConfig{{Type: "local", OutputPath: "output", Formats: []string{"protobuf"}}},
	}
}

// ParseConfig reads a YAML session config. Unknown fields, a second YAML
// document and invalid values are errors wrapping ErrInvalidConfig.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("session: config: %w (%w)", ErrInvalidConfig, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("session: config: more than one YAML document: %w", ErrInvalidConfig)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadConfig reads and parses a YAML session config file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("session: config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Validate checks the values: rotation, cache size, writer types and
// formats. Errors name the field and the value and wrap ErrInvalidConfig.
func (c Config) Validate() error {
	if _, err := parseRotation("with_rotation_time", c.WithRotationTime); err != nil {
		return err
	}
	if c.CacheSize != nil && *c.CacheSize < 0 {
		return fmt.Errorf("session: config: cache_size %d: must be ≥ 0: %w", *c.CacheSize, ErrInvalidConfig)
	}
	for i, w := range c.Writers {
		if w.Type != "local" {
			return fmt.Errorf("session: config: writers[%d].type %q: only \"local\" is supported (use a sink for object stores): %w", i, w.Type, ErrInvalidConfig)
		}
		if w.OutputPath == "" {
			return fmt.Errorf("session: config: writers[%d].output_path: required: %w", i, ErrInvalidConfig)
		}
		for _, f := range w.Formats {
			if f != "protobuf" && f != "all" {
				return fmt.Errorf("session: config: writers[%d].formats: %q is not supported (only protobuf): %w", i, f, ErrInvalidConfig)
			}
		}
	}
	return nil
}

// SessionFromConfig builds a session from a config (whylogs
// session_from_config): its local writers come first, then writers from opts.
func SessionFromConfig(cfg Config, opts ...Option) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base := []Option{WithDefaultRotation(cfg.WithRotationTime)}
	if cfg.CacheSize != nil {
		base = append(base, WithDefaultCacheSize(*cfg.CacheSize))
	}
	if cfg.Verbose {
		base = append(base, WithVerbose(os.Stderr))
	}
	s, err := New(cfg.Project, cfg.Pipeline, slices.Concat(base, opts)...)
	if err != nil {
		return nil, err
	}
	var ws []Writer
	for _, wc := range cfg.Writers {
		w, err := NewLocalWriter(LocalWriterConfig{Dir: wc.OutputPath, PathTemplate: wc.PathTemplate,
			FilenameTemplate: wc.FilenameTemplate, SessionID: s.id})
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	s.writers = append(ws, s.writers...)
	return s, nil
}

// ConfigPaths lists where GetOrCreateSession("") looks for a config, in
// order (whylogs v0's search): $WHYLOGS_CONFIG, ./.whylogs.yaml,
// ~/.whylogs.yaml, /opt/whylogs/.whylogs.yaml.
func ConfigPaths() []string {
	var ps []string
	if p := os.Getenv("WHYLOGS_CONFIG"); strings.TrimSpace(p) != "" {
		ps = append(ps, p)
	}
	ps = append(ps, ".whylogs.yaml")
	if home, err := os.UserHomeDir(); err == nil {
		ps = append(ps, filepath.Join(home, ".whylogs.yaml"))
	}
	return append(ps, "/opt/whylogs/.whylogs.yaml")
}

// findConfig loads the first config of ConfigPaths that exists, or
// DefaultConfig.
func findConfig() (Config, error) {
	for _, p := range ConfigPaths() {
		if _, err := os.Stat(p); err == nil {
			return LoadConfig(p)
		}
	}
	return DefaultConfig(), nil
}

// The default session (whylogs' module-level _session).
var (
	defaultMu      sync.Mutex
	defaultSession *Session
	defaultOpts    []Option
)

// GetOrCreateSession returns the default session if one is open; otherwise
// it creates one from the config file at path ("" searches ConfigPaths and
// falls back to DefaultConfig) and opts, and makes it the default.
func GetOrCreateSession(path string, opts ...Option) (*Session, error) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultSession != nil && defaultSession.IsActive() {
		return defaultSession, nil
	}
	var cfg Config
	var err error
	if path == "" {
		cfg, err = findConfig()
	} else {
		cfg, err = LoadConfig(path)
	}
	if err != nil {
		return nil, err
	}
	s, err := SessionFromConfig(cfg, opts...)
	if err != nil {
		return nil, err
	}
	defaultSession, defaultOpts = s, slices.Clone(opts)
	return s, nil
}

// GetSession returns the default session, or ErrNoSession.
func GetSession() (*Session, error) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultSession == nil {
		return nil, ErrNoSession
	}
	return defaultSession, nil
}

// GetLogger returns a logger of the default session (whylogs get_logger).
func GetLogger(name string, opts ...LoggerOption) (*Logger, error) {
	s, err := GetSession()
	if err != nil {
		return nil, err
	}
	return s.Logger(name, opts...)
}

// ResetDefaultSession closes the default session (flushing its loggers) and
// replaces it with a new one built from the config found on ConfigPaths (or
// DefaultConfig), with the options the previous default was created with
// (whylogs reset_default_session). It returns the close error, if any,
// joined with the creation error.
func ResetDefaultSession() error {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	old, opts := defaultSession, defaultOpts
	defaultSession = nil
	var cerr error
	if old != nil {
		cerr = old.Close()
	}
	cfg, err := findConfig()
	if err != nil {
		return errors.Join(cerr, err)
	}
	s, err := SessionFromConfig(cfg, opts...)
	if err != nil {
		return errors.Join(cerr, err)
	}
	defaultSession = s
	return cerr
}
