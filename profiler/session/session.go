package session

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// Sentinel errors; functions wrap them with context, test with errors.Is.
var (
	// ErrInvalidConfig: a bad session, writer or logger setting (the message
	// names the field, the value and the rule).
	ErrInvalidConfig = errors.New("session: invalid configuration")
	// ErrClosed: the session or logger is closed.
	ErrClosed = errors.New("session: closed")
	// ErrLoggerExists: Session.Logger was asked for an open logger's name
	// with different options.
	ErrLoggerExists = errors.New("session: logger exists with other options")
	// ErrEventTime: a record's event-time field is missing or not a time.
	ErrEventTime = errors.New("session: bad event time")
	// ErrNoSession: GetSession or GetLogger before GetOrCreateSession.
	ErrNoSession = errors.New("session: no default session")
)

// TagPipeline is the tag NewProfile and loggers add when the session has a
// pipeline (whylogs v0 adds "Pipeline").
const TagPipeline = "Pipeline"

// Option configures a Session.
type Option func(*Session) error

// WithWriters adds writers; every logger writes every finished profile to
// each of them, in order.
func WithWriters(ws ...Writer) Option {
	return func(s *Session) error {
		for i, w := range ws {
			if w == nil {
				return fmt.Errorf("session: writer %d is nil: %w", i, ErrInvalidConfig)
			}
		}
		s.writers = append(s.writers, ws...)
		return nil
	}
}

// WithVerbose turns verbose output on: one line per written profile goes to
// out (nil means io.Discard).
func WithVerbose(out io.Writer) Option {
	return func(s *Session) error {
		s.verbose = true
		if out == nil {
			out = io.Discard
		}
		s.log = out
		return nil
	}
}

// WithDefaultRotation sets the rotation loggers use when they set none
// (whylogs with_rotation_time on the session); see profiler.ParseRotation.
func WithDefaultRotation(rotation string) Option {
	return func(s *Session) error {
		d, err := parseRotation("with_rotation_time", rotation)
		s.rotation = d
		return err
	}
}

// WithDefaultCacheSize sets the cache size loggers use when they set none.
func WithDefaultCacheSize(n int) Option {
	return func(s *Session) error {
		if n < 0 {
			return fmt.Errorf("session: cache_size %d: must be ≥ 0: %w", n, ErrInvalidConfig)
		}
		s.cacheSize = n
		return nil
	}
}

// WithClock sets the clock the session reads for its own timestamp and for
// the default dataset timestamp of loggers and profiles (nil means
// time.Now). Nothing else reads a clock: windows follow event time.
func WithClock(now func() time.Time) Option {
	return func(s *Session) error {
		if now == nil {
			now = time.Now
		}
		s.now = now
		return nil
	}
}

// Session is the Go counterpart of the whylogs v0 Session: a project, a
// pipeline, writers and a registry of loggers by dataset name. It is safe
// for concurrent use.
type Session struct {
	project, pipeline string
	writers           []Writer
	verbose           bool
	log               io.Writer
	rotation          time.Duration
	cacheSize         int
	now               func() time.Time
	created           time.Time
	id                string

	mu      sync.Mutex
	loggers map[string]*Logger
	closed  bool
}

// New returns a session. The session timestamp is read from the clock
// (WithClock) once, here. The session id is derived from the project,
// pipeline and session timestamp (whylogs uses a random uuid4; ours is
// reproducible).
func New(project, pipeline string, opts ...Option) (*Session, error) {
	s := &Session{project: project, pipeline: pipeline, now: time.Now, log: io.Discard, cacheSize: 1, loggers: map[string]*Logger{}}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.created = s.now().UTC()
	s.id = fmt.Sprintf("%016x", profiler.Seed("session", project, pipeline, s.created.Format(time.RFC3339Nano)))
	return s, nil
}

// Project returns the project name.
func (s *Session) Project() string { return s.project }

// Pipeline returns the pipeline name.
func (s *Session) Pipeline() string { return s.pipeline }

// ID returns the session id.
func (s *Session) ID() string { return s.id }

// Timestamp returns the session timestamp (UTC).
func (s *Session) Timestamp() time.Time { return s.created }

// Verbose reports whether verbose output is on.
func (s *Session) Verbose() bool { return s.verbose }

// Writers returns the session's writers.
func (s *Session) Writers() []Writer { return slices.Clone(s.writers) }

// Logger returns the open logger of the dataset name, creating it with opts
// (whylogs session.logger(dataset_name, …)). name "" means the project name.
// Asking again with the same name and equal options returns the same logger;
// with different options it fails with ErrLoggerExists (whylogs keeps both,
// and both would write the same files).
func (s *Session) Logger(name string, opts ...LoggerOption) (*Logger, error) {
	if name == "" {
		name = s.project
	}
	cfg, err := s.loggerConfig(name, opts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("session: logger %q: %w", name, ErrClosed)
	}
	if l, ok := s.loggers[name]; ok {
		if !l.cfg.equal(cfg) {
			return nil, fmt.Errorf("session: logger %q: %w", name, ErrLoggerExists)
		}
		return l, nil
	}
	l, err := newLogger(s, cfg)
	if err != nil {
		return nil, err
	}
	s.loggers[name] = l
	return l, nil
}

// RemoveLogger removes the named logger from the session's registry without
// closing it (whylogs remove_logger; Logger.Close calls it). The logger stays
// usable; the next Logger call with that name creates a new one.
func (s *Session) RemoveLogger(name string) {
	s.mu.Lock()
	delete(s.loggers, name)
	s.mu.Unlock()
}

func (s *Session) removeLogger(l *Logger) {
	s.mu.Lock()
	if s.loggers[l.cfg.name] == l {
		delete(s.loggers, l.cfg.name)
	}
	s.mu.Unlock()
}

// Loggers returns the names of the open loggers, sorted.
func (s *Session) Loggers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.loggers))
}

// Close closes every logger in name order, which flushes their windows
// through the writers, and closes the session. It returns the loggers'
// errors joined. Calling Close again does nothing and returns nil.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	names := slices.Sorted(maps.Keys(s.loggers))
	ls := make([]*Logger, len(names))
	for i, n := range names {
		ls[i] = s.loggers[n]
	}
	s.mu.Unlock()
	var errs []error
	for _, l := range ls {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// IsActive reports whether the session is open.
func (s *Session) IsActive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed
}

// NewProfile returns an empty profile for the dataset name with the
// options' dataset timestamp (default: the clock), session timestamp
// (creation timestamp; default: the session timestamp), tags, metadata and
// the Pipeline tag (whylogs new_profile). Segment, rotation and writer
// options do not apply.
func (s *Session) NewProfile(name string, opts ...LoggerOption) (*profiler.DatasetProfile, error) {
	if name == "" {
		name = s.project
	}
	cfg, err := s.loggerConfig(name, opts)
	if err != nil {
		return nil, err
	}
	p, err := profiler.NewDatasetProfile(cfg.datasetTime, cfg.sessionTime, withSeed(cfg.profile,
		profiler.Seed(name, strconv.FormatInt(cfg.datasetTime.UnixMilli(), 10))))
	if err != nil {
		return nil, fmt.Errorf("session: new profile %q: %w", name, err)
	}
	for k, v := range cfg.allMetadata(s) {
		p.SetMetadata(k, v)
	}
	return p, nil
}

// ProfileRecords profiles a batch into one unsegmented profile without
// writing it (whylogs profile_dataframe). Keys absent from a record are not
// nulls; values are routed with Column.Update.
func (s *Session) ProfileRecords(name string, batch []map[string]any, opts ...LoggerOption) (*profiler.DatasetProfile, error) {
	p, err := s.NewProfile(name, opts...)
	if err != nil {
		return nil, err
	}
	for _, r := range batch {
		p.Track(r)
	}
	return p, nil
}

func withSeed(c profiler.Config, seed uint64) profiler.Config {
	c.Seed = seed
	return c
}

func parseRotation(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := profiler.ParseRotation(v)
	if err != nil {
		return 0, fmt.Errorf("session: %s %q: %w (%w)", field, v, ErrInvalidConfig, err)
	}
	return d, nil
}
