package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kprofiler/kprofiler/profiler"
)

// LoggerOption configures a Logger (and NewProfile / ProfileRecords).
type LoggerOption func(*loggerConfig) error

type loggerConfig struct {
	name        string
	datasetTime time.Time
	sessionTime time.Time
	tags        map[string]string
	metadata    map[string]string
	segCols     []string
	segExplicit [][]profiler.SegmentTag
	full        bool
	rotation    time.Duration
	rotationSet bool
	cacheSize   int
	cacheSet    bool
	constraints []any
	eventField  string
	eventUnit   time.Duration
	lateness    time.Duration
	maxSegments int
	profile     profiler.Config
	partition   string
	// raw is the configuration as the options set it, before session
	// defaults (the clock) were filled in; Session.Logger compares it.
	raw *loggerConfig
}

func (c *loggerConfig) equal(o *loggerConfig) bool {
	return reflect.DeepEqual(*c.raw, *o.raw)
}

// allMetadata returns the metadata every profile of the logger carries:
// the user metadata, the tags (TagPrefix + key), the Pipeline tag and the
// dataset name.
func (c *loggerConfig) allMetadata(s *Session) map[string]string {
	md := maps.Clone(c.metadata)
	if md == nil {
		md = map[string]string{}
	}
	if s.pipeline != "" {
		md[profiler.TagPrefix+TagPipeline] = s.pipeline
	}
	for k, v := range c.tags {
		md[profiler.TagPrefix+k] = v
	}
	md[profiler.MetadataName] = c.name
	return md
}

// WithDatasetTimestamp sets the dataset timestamp (default: the session
// clock when the logger is made). With rotation, each window's profile gets
// its window start instead (as whylogs overwrites it at rotation), and the
// dataset timestamp is the event time of records when no event-time field is
// set.
func WithDatasetTimestamp(t time.Time) LoggerOption {
	return func(c *loggerConfig) error {
		if t.IsZero() {
			return fmt.Errorf("session: dataset_timestamp is zero: %w", ErrInvalidConfig)
		}
		c.datasetTime = t.UTC().Round(0)
		return nil
	}
}

// WithSessionTimestamp sets the session timestamp, written as each profile's
// creation timestamp (whylogs v0's session_timestamp becomes v1's
// creation_timestamp); default: the session's timestamp.
func WithSessionTimestamp(t time.Time) LoggerOption {
	return func(c *loggerConfig) error {
		if t.IsZero() {
			return fmt.Errorf("session: session_timestamp is zero: %w", ErrInvalidConfig)
		}
		c.sessionTime = t.UTC().Round(0)
		return nil
	}
}

// WithTags adds dataset tags (written with the "whylogs.tag." prefix).
func WithTags(tags map[string]string) LoggerOption {
	return func(c *loggerConfig) error {
		if c.tags == nil {
			c.tags = map[string]string{}
		}
		maps.Copy(c.tags, tags)
		return nil
	}
}

// WithMetadata adds metadata entries.
func WithMetadata(md map[string]string) LoggerOption {
	return func(c *loggerConfig) error {
		if c.metadata == nil {
			c.metadata = map[string]string{}
		}
		maps.Copy(c.metadata, md)
		return nil
	}
}

// WithSegmentColumns segments by the values of these fields (whylogs
// segments=["k1", "k2"]); see profiler.Segmentation.Columns.
func WithSegmentColumns(cols ...string) LoggerOption {
	return func(c *loggerConfig) error {
		if len(cols) == 0 {
			return fmt.Errorf("session: segments: no columns: %w", ErrInvalidConfig)
		}
		c.segCols = slices.Clone(cols)
		return nil
	}
}

// WithSegments profiles explicit key-value segments (whylogs segments=
// [[{"key": k, "value": v}, …], …]); a record matching none goes into no
// segment (counted); see profiler.Segmentation.Explicit.
func WithSegments(segments ...[]profiler.SegmentTag) LoggerOption {
	return func(c *loggerConfig) error {
		if len(segments) == 0 {
			return fmt.Errorf("session: segments: empty list: %w", ErrInvalidConfig)
		}
		c.segExplicit = make([][]profiler.SegmentTag, len(segments))
		for i, s := range segments {
			c.segExplicit[i] = slices.Clone(s)
		}
		return nil
	}
}

// WithFullDataset also keeps the unsegmented profile of a segmented logger
// (whylogs profile_full_dataset=True).
func WithFullDataset(full bool) LoggerOption {
	return func(c *loggerConfig) error { c.full = full; return nil }
}

// WithRotationTime sets the rotation ("30s", "5m", "1h", "1d", "90m" …; see
// profiler.ParseRotation); "" turns rotation off even when the session has
// a default.
func WithRotationTime(rotation string) LoggerOption {
	return func(c *loggerConfig) error {
		d, err := parseRotation("with_rotation_time", rotation)
		c.rotation, c.rotationSet = d, true
		return err
	}
}

// WithCacheSize sets how many written profiles Logger.Recent keeps (whylogs
// cache_size; default the session's, 1).
func WithCacheSize(n int) LoggerOption {
	return func(c *loggerConfig) error {
		if n < 0 {
			return fmt.Errorf("session: cache_size %d: must be ≥ 0: %w", n, ErrInvalidConfig)
		}
		c.cacheSize, c.cacheSet = n, true
		return nil
	}
}

// WithConstraints stores constraints with the logger (whylogs constraints=).
// They are opaque here and returned by Logger.Constraints; a later stage
// evaluates them.
func WithConstraints(constraints ...any) LoggerOption {
	return func(c *loggerConfig) error {
		c.constraints = append(c.constraints, constraints...)
		return nil
	}
}

// WithEventTime names the record field holding the event time that picks
// each record's window. The field may hold a time.Time, an RFC 3339 string,
// or a number (int and uint kinds, floats, json.Number) of units since the
// Unix epoch; a string of digits is not a number here. unit 0 means
// time.Millisecond; it must divide a second or be whole seconds. Without
// this option, the event time is the dataset timestamp.
func WithEventTime(field string, unit time.Duration) LoggerOption {
	return func(c *loggerConfig) error {
		if field == "" {
			return fmt.Errorf("session: event time field is empty: %w", ErrInvalidConfig)
		}
		if unit == 0 {
			unit = time.Millisecond
		}
		if unit < 0 || unit >= time.Second && unit%time.Second != 0 || unit < time.Second && time.Second%unit != 0 {
			return fmt.Errorf("session: event time unit %v: must divide a second or be whole seconds: %w", unit, ErrInvalidConfig)
		}
		c.eventField, c.eventUnit = field, unit
		return nil
	}
}

// WithAllowedLateness keeps windows open that long after their end.
func WithAllowedLateness(d time.Duration) LoggerOption {
	return func(c *loggerConfig) error {
		if d < 0 {
			return fmt.Errorf("session: allowed lateness %v: must be ≥ 0: %w", d, ErrInvalidConfig)
		}
		c.lateness = d
		return nil
	}
}

// WithMaxSegments caps the segments per window (0: profiler.DefaultMaxSegments).
func WithMaxSegments(n int) LoggerOption {
	return func(c *loggerConfig) error {
		if n < 0 {
			return fmt.Errorf("session: max segments %d: must be ≥ 0: %w", n, ErrInvalidConfig)
		}
		c.maxSegments = n
		return nil
	}
}

// WithProfileConfig sets the sketch parameters (its Seed is replaced by the
// window identity).
func WithProfileConfig(cfg profiler.Config) LoggerOption {
	return func(c *loggerConfig) error { c.profile = cfg; return nil }
}

// WithPartition names the source partition (profiler.WindowConfig.Partition).
func WithPartition(p string) LoggerOption {
	return func(c *loggerConfig) error { c.partition = p; return nil }
}

func (s *Session) loggerConfig(name string, opts []LoggerOption) (*loggerConfig, error) {
	c := &loggerConfig{name: name}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("session: logger %q: %w", name, err)
		}
	}
	raw := *c
	c.raw = &raw
	if !c.rotationSet {
		c.rotation = s.rotation
	}
	if !c.cacheSet {
		c.cacheSize = s.cacheSize
	}
	if c.sessionTime.IsZero() {
		c.sessionTime = s.created
	}
	if c.datasetTime.IsZero() {
		c.datasetTime = s.now().UTC().Round(0)
	}
	if len(c.segCols) > 0 && len(c.segExplicit) > 0 {
		return nil, fmt.Errorf("session: logger %q: segment columns and explicit segments at once: %w", name, ErrInvalidConfig)
	}
	return c, nil
}

// Logger profiles records of one dataset into windows and writes each
// finished profile through the session's writers (whylogs v0 Logger). It is
// safe for concurrent use: calls are serialised by a mutex, and a profile is
// written while the lock is held, so profiles leave in a deterministic order.
//
// Without rotation all records go into one profile (per segment) with the
// dataset timestamp, written by Close. With rotation, records go into
// event-time windows aligned to the UTC epoch (profiler.WindowSet); each
// call that moves the watermark past a window's end + allowed lateness
// writes that window's profiles, and Close writes what is left as partials.
// Records are numbered from 0 in the order they are logged; the numbers are
// the offsets of profiler.WindowSet (first offsets tell partials apart).
type Logger struct {
	s   *Session
	cfg *loggerConfig

	mu      sync.Mutex
	ws      *profiler.WindowSet
	next    int64
	recent  []*profiler.DatasetProfile
	written int64
	closed  bool
	routeB  []*profiler.DatasetProfile
}

func newLogger(s *Session, cfg *loggerConfig) (*Logger, error) {
	wc := profiler.WindowConfig{
		Dataset:         cfg.name,
		Partition:       cfg.partition,
		Rotation:        cfg.rotation,
		Start:           cfg.datasetTime,
		AllowedLateness: cfg.lateness,
		Segments:        profiler.Segmentation{Columns: cfg.segCols, Explicit: cfg.segExplicit},
		FullDataset:     cfg.full,
		MaxSegments:     cfg.maxSegments,
		Creation:        cfg.sessionTime,
		Metadata:        cfg.allMetadata(s),
		Profile:         cfg.profile,
	}
	ws, err := profiler.NewWindowSet(wc)
	if err != nil {
		return nil, fmt.Errorf("session: logger %q: %w (%w)", cfg.name, ErrInvalidConfig, err)
	}
	return &Logger{s: s, cfg: cfg, ws: ws}, nil
}

// Name returns the dataset name.
func (l *Logger) Name() string { return l.cfg.name }

// Rotation returns the rotation (0: none).
func (l *Logger) Rotation() time.Duration { return l.cfg.rotation }

// Constraints returns the stored constraints.
func (l *Logger) Constraints() []any { return slices.Clone(l.cfg.constraints) }

// LoggerStats are a logger's counters.
type LoggerStats struct {
	profiler.WindowStats
	// Written counts profiles written to every writer.
	Written int64
	// OpenProfiles is the number of profiles held in open windows.
	OpenProfiles int
}

// Stats returns the counters.
func (l *Logger) Stats() LoggerStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LoggerStats{WindowStats: l.ws.Stats(), Written: l.written, OpenProfiles: l.ws.OpenProfiles()}
}

// Recent returns copies of the last profiles written (at most the cache
// size), oldest first.
func (l *Logger) Recent() []*profiler.DatasetProfile {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*profiler.DatasetProfile, len(l.recent))
	for i, p := range l.recent {
		out[i] = p.Clone()
	}
	return out
}

// Log logs one record (whylogs log(features=…)) and writes the windows it
// closes. A record whose event time cannot be read is not logged; the
// error wraps ErrEventTime. Write errors are returned joined (the profile
// is not retried).
func (l *Logger) Log(rec map[string]any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("session: logger %q: %w", l.cfg.name, ErrClosed)
	}
	t, err := l.eventTime(rec)
	if err != nil {
		return err
	}
	l.ws.Add(t, l.next, rec)
	l.next++
	return l.write(l.ws.Advance())
}

// LogRecords logs a batch (whylogs log_dataframe) and then writes the
// windows it closed. Records whose event time cannot be read are skipped;
// the error names how many and the first one (wrapping ErrEventTime); the
// others are logged.
func (l *Logger) LogRecords(batch []map[string]any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("session: logger %q: %w", l.cfg.name, ErrClosed)
	}
	var first error
	bad := 0
	for i, rec := range batch {
		t, err := l.eventTime(rec)
		if err != nil {
			if bad == 0 {
				first = fmt.Errorf("record %d: %w", i, err)
			}
			bad++
			continue
		}
		l.ws.Add(t, l.next, rec)
		l.next++
	}
	werr := l.write(l.ws.Advance())
	if bad > 0 {
		return errors.Join(fmt.Errorf("session: logger %q: %d of %d records not logged, first: %w", l.cfg.name, bad, len(batch), first), werr)
	}
	return werr
}

// LogFunc is the typed fast path: it places one record with the given event
// time (zero: the dataset timestamp) and segment fields (nil without
// segmentation) and calls update with each profile it belongs to (the
// full-dataset profile and/or its segment's), so the caller can use the
// typed Column methods; then it writes the windows that closed. update must
// not keep the profile.
func (l *Logger) LogFunc(eventTime time.Time, fields profiler.Fields, update func(p *profiler.DatasetProfile)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("session: logger %q: %w", l.cfg.name, ErrClosed)
	}
	if eventTime.IsZero() {
		eventTime = l.cfg.datasetTime
	}
	var pl profiler.Placement
	l.routeB, pl = l.ws.Route(eventTime, l.next, fields, l.routeB[:0])
	_ = pl
	l.next++
	for _, p := range l.routeB {
		update(p)
	}
	clear(l.routeB)
	return l.write(l.ws.Advance())
}

// ProfileRecords profiles a batch into one new unsegmented profile with the
// logger's dataset name, tags, metadata and timestamps, without windows and
// without writing (whylogs profile_dataframe); the logger's state is not
// touched.
func (l *Logger) ProfileRecords(batch []map[string]any) (*profiler.DatasetProfile, error) {
	p, err := profiler.NewDatasetProfile(l.cfg.datasetTime, l.cfg.sessionTime, withSeed(l.cfg.profile,
		profiler.Seed(l.cfg.name, strconv.FormatInt(l.cfg.datasetTime.UnixMilli(), 10))))
	if err != nil {
		return nil, fmt.Errorf("session: logger %q: %w", l.cfg.name, err)
	}
	for k, v := range l.cfg.allMetadata(l.s) {
		p.SetMetadata(k, v)
	}
	for _, r := range batch {
		p.Track(r)
	}
	return p, nil
}

// Flush writes every open window's profiles now, as partials (for
// checkpoints); the logger stays open.
func (l *Logger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	return l.write(l.ws.Flush())
}

// Close writes every held profile (open windows as partials, late
// partials) through the writers, removes the logger from its session and
// closes it. Calling it again does nothing and returns nil.
func (l *Logger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	err := l.write(l.ws.Flush())
	l.closed = true
	l.mu.Unlock()
	l.s.removeLogger(l)
	return err
}

// write sends finished profiles to every writer, in order. Called with mu held.
func (l *Logger) write(fs []profiler.Finished) error {
	var errs []error
	ctx := context.Background()
	for _, f := range fs {
		ok := true
		for i, w := range l.s.writers {
			if err := w.Write(ctx, f.Profile); err != nil {
				ok = false
				errs = append(errs, fmt.Errorf("session: logger %q: writer %d: window %v segment %q: %w", l.cfg.name, i, f.Window.Start.Format(time.RFC3339), f.SegmentKey, err))
			}
		}
		if ok {
			l.written++
		}
		if l.s.verbose {
			fmt.Fprintf(l.s.log, "kprofiler: logger %q: %s profile window %s segment %q records %d written=%v\n",
				l.cfg.name, f.Kind, f.Window.Start.Format(time.RFC3339), f.SegmentKey, f.Records, ok)
		}
		if l.cfg.cacheSize > 0 {
			l.recent = append(l.recent, f.Profile)
			if n := len(l.recent) - l.cfg.cacheSize; n > 0 {
				clear(l.recent[:n])
				l.recent = slices.Delete(l.recent, 0, n)
			}
		}
	}
	return errors.Join(errs...)
}

// eventTime returns the record's event time.
func (l *Logger) eventTime(rec map[string]any) (time.Time, error) {
	if l.cfg.eventField == "" {
		return l.cfg.datasetTime, nil
	}
	v, ok := rec[l.cfg.eventField]
	if !ok || v == nil {
		return time.Time{}, fmt.Errorf("session: logger %q: event time field %q missing: %w", l.cfg.name, l.cfg.eventField, ErrEventTime)
	}
	t, err := parseEventTime(v, l.cfg.eventUnit)
	if err != nil {
		return time.Time{}, fmt.Errorf("session: logger %q: event time field %q: %w", l.cfg.name, l.cfg.eventField, err)
	}
	return t, nil
}

func parseEventTime(v any, unit time.Duration) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return time.Time{}, fmt.Errorf("zero time: %w", ErrEventTime)
		}
		return x, nil
	case *time.Time:
		if x != nil && !x.IsZero() {
			return *x, nil
		}
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not RFC 3339: %w", x, ErrEventTime)
		}
		return t, nil
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return epochInt(i, unit)
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return epochFloat(f, unit)
		}
	case float64:
		return epochFloat(x, unit)
	case float32:
		return epochFloat(float64(x), unit)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return epochInt(rv.Int(), unit)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return epochInt(int64(u), unit)
		}
	}
	return time.Time{}, fmt.Errorf("value %v of type %T is not a time: %w", v, v, ErrEventTime)
}

func epochInt(n int64, unit time.Duration) (time.Time, error) {
	u := int64(unit)
	if u >= int64(time.Second) && u%int64(time.Second) == 0 {
		k := u / int64(time.Second)
		if n > math.MaxInt64/k || n < math.MinInt64/k {
			return time.Time{}, fmt.Errorf("epoch %d × %v out of range: %w", n, unit, ErrEventTime)
		}
		return time.Unix(n*k, 0).UTC(), nil
	}
	per := int64(time.Second) / u // units per second (unit divides a second or not)
	if per*u != int64(time.Second) {
		return time.Time{}, fmt.Errorf("event time unit %v must divide or be a multiple of a second: %w", unit, ErrEventTime)
	}
	sec, rem := n/per, n%per
	if rem < 0 {
		sec--
		rem += per
	}
	return time.Unix(sec, rem*u).UTC(), nil
}

func epochFloat(f float64, unit time.Duration) (time.Time, error) {
	ns := f * float64(unit)
	if math.IsNaN(ns) || math.IsInf(ns, 0) || math.Abs(ns) > 9e18 {
		return time.Time{}, fmt.Errorf("epoch %v × %v out of range: %w", f, unit, ErrEventTime)
	}
	return time.Unix(0, int64(ns)).UTC(), nil
}
