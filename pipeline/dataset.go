package pipeline

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/event"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

// Format is a record value format.
type Format uint8

// Formats.
const (
	FormatJSON Format = iota // one JSON object per record
	FormatAvro               // Avro through Dataset.Schemas
)

// Dataset configures one profiled stream.
type Dataset struct {
	// Name is the dataset name (profile name, part of every identity).
	Name string
	// Topics are the topics whose records feed the dataset.
	Topics []string
	// Format is the record value format.
	Format Format
	// JSON configures JSON decoding (format json). EventTimeField is set
	// from Dataset.EventTimeField.
	JSON event.JSONOptions
	// Avro configures Avro decoding (format avro), with Schemas resolving
	// the writer schema (event.Registry or event.FixedSchema).
	Avro    event.AvroOptions
	Schemas event.SchemaSource
	// EventTimeField is the flattened name of the event-time field; ""
	// means the Kafka record timestamp.
	EventTimeField string
	// TimeFormat says how the event-time field is read.
	TimeFormat event.TimeFormat
	// Window configures windows, segments and sketches. Dataset and
	// Partition are filled in per partition ("<topic>/<partition>").
	Window profiler.WindowConfig
}

var datasetName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

func (d *Dataset) validate() error {
	if !datasetName.MatchString(d.Name) {
		return fmt.Errorf("pipeline: dataset name %q: want 1–128 characters of A–Z a–z 0–9 . _ -: %w", d.Name, ErrInvalidConfig)
	}
	if len(d.Topics) == 0 {
		return fmt.Errorf("pipeline: dataset %s: no topics: %w", d.Name, ErrInvalidConfig)
	}
	if d.Format == FormatAvro && d.Schemas == nil {
		return fmt.Errorf("pipeline: dataset %s: avro without a schema source: %w", d.Name, ErrInvalidConfig)
	}
	if _, err := d.newState("t", 0); err != nil {
		return fmt.Errorf("pipeline: dataset %s: %w", d.Name, err)
	}
	return nil
}

// dsState is one dataset's state inside one partition worker.
type dsState struct {
	ds   *Dataset
	jdec *event.JSONDecoder
	adec *event.AvroDecoder
	ws   *profiler.WindowSet
	// held maps each unpublished window (on-time or late partial) to the
	// lowest offset of a record in it.
	held map[winKey]int64
	last winKey // cache of the previous record's window
	hasL bool

	mLate, mOverflow prometheus.Counter

	rec     event.Record
	strs    stringCache
	fields  recordFields
	upd     columnUpdater
	profBuf []*profiler.DatasetProfile
}

type winKey struct {
	start int64 // Unix seconds
	late  bool
}

func (d *Dataset) newState(topic string, partition int32) (*dsState, error) {
	s := &dsState{ds: d, held: map[winKey]int64{}}
	switch d.Format {
	case FormatJSON:
		o := d.JSON
		o.EventTimeField = d.EventTimeField
		dec, err := event.NewJSONDecoder(o)
		if err != nil {
			return nil, err
		}
		s.jdec = dec
	case FormatAvro:
		o := d.Avro
		o.EventTimeField = d.EventTimeField
		dec, err := event.NewAvroDecoder(d.Schemas, o)
		if err != nil {
			return nil, err
		}
		s.adec = dec
	default:
		return nil, fmt.Errorf("format %d: %w", d.Format, ErrInvalidConfig)
	}
	wc := d.Window
	wc.Dataset = d.Name
	wc.Partition = topic + "/" + strconv.Itoa(int(partition))
	// A stream is cut into partials at arbitrary points (partition, window,
	// segment, checkpoint), so a column's metric set must not depend on
	// whether one partial happened to start with a null: with whylogs' rule
	// (first value nil → "any", no sketches) merged partials would undercount
	// nullable columns. A null leaves the type open until the first value.
	wc.Profile.NullDefersType = true
	ws, err := profiler.NewWindowSet(wc)
	if err != nil {
		return nil, err
	}
	s.ws = ws
	s.fields.rec, s.fields.strs = &s.rec, &s.strs
	return s, nil
}

// errBadTime marks an event-time failure (a malformed record).
var errBadTime = errors.New("pipeline: bad event time")

// add decodes one record into the dataset's windows. It returns a decoding
// error (event.*Error, or one wrapping errBadTime) without touching any
// window; a nil error means the record was profiled.
func (s *dsState) add(ctx context.Context, r *kgo.Record) (profiler.Placement, error) {
	s.rec.Reset()
	var raw event.RawTime
	var err error
	if s.jdec != nil {
		raw, err = s.jdec.Decode(r.Value, &s.rec)
	} else {
		raw, err = s.adec.Decode(ctx, r.Value, &s.rec)
	}
	if err != nil {
		return profiler.Placement{}, err
	}
	t := r.Timestamp
	if s.ds.EventTimeField != "" {
		t, err = event.ParseEventTime(raw, s.ds.TimeFormat)
		if err != nil {
			return profiler.Placement{}, fmt.Errorf("%w: %w", errBadTime, err)
		}
	}
	// RouteInto, not Route: a Placement result would be copied into pl
	// right after Route wrote it (a store-forwarding stall per record).
	var pl profiler.Placement
	ps := s.ws.RouteInto(t, r.Offset, &s.fields, s.profBuf[:0], &pl)
	s.profBuf = ps[:0]
	if len(ps) > 0 {
		s.upd.ps = ps
		s.upd.replay(&s.rec)
		s.upd.ps = nil
	}
	if pl.Profiles > 0 {
		k := winKey{start: pl.Window.Start.Unix(), late: pl.Late}
		if !s.hasL || k != s.last {
			if o, ok := s.held[k]; !ok || r.Offset < o {
				s.held[k] = r.Offset
			}
			s.last, s.hasL = k, true
		}
	}
	return pl, nil
}

// release forgets the windows of published profiles.
func (s *dsState) release(fs []profiler.Finished) {
	for _, f := range fs {
		k := winKey{start: f.Window.Start.Unix(), late: f.Kind == profiler.Late}
		delete(s.held, k)
	}
	s.hasL = false
}

// lowestHeld returns the lowest offset held by an unpublished window.
func (s *dsState) lowestHeld() (int64, bool) {
	lo, ok := int64(0), false
	for _, o := range s.held {
		if !ok || o < lo {
			lo, ok = o, true
		}
	}
	return lo, ok
}

// sortedTopics returns the distinct topics of the datasets, sorted.
func sortedTopics(ds []Dataset) []string {
	var ts []string
	for _, d := range ds {
		ts = append(ts, d.Topics...)
	}
	slices.Sort(ts)
	return slices.Compact(ts)
}

// timeNow is the wall clock, used only for backoff and log sampling.
var timeNow = time.Now

// appendProfiles encodes the profiles a WindowSet emitted for topic and
// partition (live workers and backfill publish the same form).
func (s *dsState) appendProfiles(out []Profile, fins []profiler.Finished, topic string, partition int32) ([]Profile, error) {
	for _, f := range fins {
		b, err := whylogs.MarshalV1(f.Profile)
		if err != nil { // cannot happen for profiles the profiler built
			return out, fmt.Errorf("encoding profile of %s window %v: %w", s.ds.Name, f.Window, err)
		}
		out = append(out, Profile{
			Dataset: s.ds.Name, Topic: topic, Partition: partition, Window: f.Window,
			SegmentKey: f.SegmentKey, Segment: f.Profile.Segment().Tags, Kind: f.Kind,
			FirstOffset: f.FirstOffset, LastOffset: f.LastOffset, Records: f.Records, Value: b,
		})
	}
	return out, nil
}
