package profiler

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kprofiler/kprofiler/sketches"
)

// Metadata keys a WindowSet writes into every profile it emits. They make a
// partial profile's identity visible to writers, which name files and object
// keys after them (invariant 5).
const (
	// MetaPartition holds WindowConfig.Partition (omitted when empty).
	MetaPartition = "kprofiler.partition"
	// MetaFirstOffset holds the smallest offset of the records in the profile
	// (decimal). It tells the partials of one window and segment apart.
	MetaFirstOffset = "kprofiler.first_offset"
	// MetaWindowEnd holds the window end, epoch milliseconds (omitted when the
	// WindowSet does not rotate). The window start is the dataset timestamp.
	MetaWindowEnd = "kprofiler.window_end"
	// MetaLate is "true" on a late partial profile.
	MetaLate = "kprofiler.late"
)

// OverflowValue is the value of every segment tag of the overflow segment.
const OverflowValue = "__overflow__"

// OverflowSegmentKey is the segment key of the overflow segment. Real segment
// keys always contain '=', so it cannot collide with one.
const OverflowSegmentKey = OverflowValue

// DefaultMaxSegments is the per-window segment cap when
// WindowConfig.MaxSegments is 0 (whylogs warns at 200 and errors at 2000
// segments per partition).
const DefaultMaxSegments = 1000

// Segmentation says how records are split into segments. The zero value means
// no segmentation. Set Columns or Explicit, not both.
type Segmentation struct {
	// Columns splits by the values of these fields (whylogs segments=[k1, k2],
	// segment_on_column): one segment per distinct combination of values,
	// formatted with SegmentValue. A field that is missing from a record counts
	// as nil and gives the value "None" (str(None), whylogs' row path; its
	// pandas path would drop such rows, we never drop a record).
	Columns []string
	// Name is the partition name; "" means Columns joined with ",".
	Name string
	// Explicit lists explicit key-value segments (whylogs v0's "set" form,
	// segments=[[{key, value}, …], …]). A record goes into every listed
	// segment whose tags all match (SegmentValue(field) == tag value, a missing
	// field matching "None"), as whylogs v0 profiles each listed group. A record
	// that matches none goes into no segment profile, as in whylogs; it is
	// counted (WindowStats.Unmatched) and still reaches the full-dataset profile
	// when WindowConfig.FullDataset is set. Each explicit segment is a
	// partition on its keys (sorted), so its partition id is whylogs'.
	Explicit [][]SegmentTag
}

// IsZero reports whether s configures no segmentation.
func (s Segmentation) IsZero() bool { return len(s.Columns) == 0 && len(s.Explicit) == 0 }

// WindowConfig configures a WindowSet.
type WindowConfig struct {
	// Dataset is the dataset name (profile metadata "name"; part of every seed).
	Dataset string
	// Partition identifies the source the records come from (for example
	// "orders/3"). It is part of every seed and written as MetaPartition, so
	// partials of one window from different partitions never share a key.
	Partition string
	// Rotation is the window length; it must pass ValidateRotation. 0 means no
	// rotation: every record goes into one window that starts at Start, has no
	// end, and is emitted only by Flush.
	Rotation time.Duration
	// Start is the dataset timestamp of the single window when Rotation is 0
	// (required then, ignored otherwise).
	Start time.Time
	// AllowedLateness keeps a window open that long after its end: it closes
	// when the watermark reaches End + AllowedLateness. ≥ 0.
	AllowedLateness time.Duration
	// Segments configures segmentation; the zero value means none.
	Segments Segmentation
	// FullDataset also keeps the unsegmented profile when Segments is set
	// (whylogs profile_full_dataset). Without segmentation the full-dataset
	// profile is always kept.
	FullDataset bool
	// MaxSegments caps the number of distinct column segments per window; a
	// record of a further segment goes into the overflow segment (every tag
	// value OverflowValue) and is counted. 0 means DefaultMaxSegments; < 0 is
	// invalid. Explicit segments are bounded by their list and not capped.
	MaxSegments int
	// Creation is the creation timestamp of every profile; the zero value
	// means the window start, so that replays give identical bytes.
	Creation time.Time
	// Metadata is copied into every profile (keys with TagPrefix are tags).
	Metadata map[string]string
	// Profile holds the sketch parameters. Its Seed is ignored: each profile
	// gets Seed(Dataset, window start, segment key, Partition, first offset).
	Profile Config
}

// EmitKind says why a WindowSet emitted a profile.
type EmitKind uint8

// Emit kinds.
const (
	// Closed: the watermark reached the window's End + AllowedLateness.
	Closed EmitKind = iota + 1
	// Late: a late partial profile (records that arrived after their window
	// had closed), emitted once the watermark has moved one rotation plus
	// the allowed lateness past the first of them, or by Flush.
	Late
	// Flushed: a partial profile of a still-open window, emitted by Flush.
	Flushed
)

// String returns "closed", "late" or "flushed".
func (k EmitKind) String() string {
	switch k {
	case Closed:
		return "closed"
	case Late:
		return "late"
	case Flushed:
		return "flushed"
	}
	return fmt.Sprintf("EmitKind(%d)", uint8(k))
}

// Finished is a profile a WindowSet emitted.
type Finished struct {
	// Window is the profile's window (End is zero without rotation).
	Window Window
	// SegmentKey is "" for the full-dataset profile, OverflowSegmentKey for
	// the overflow segment, else the segment's tags as "k1=v1,k2=v2" with
	// '\\', ',' and '=' escaped by a backslash.
	SegmentKey string
	// Profile is the profile; the WindowSet no longer references it.
	Profile *DatasetProfile
	// Kind says why it was emitted.
	Kind EmitKind
	// FirstOffset and LastOffset are the smallest and largest offsets of
	// the records in the profile; Records is how many records it holds.
	FirstOffset, LastOffset int64
	Records                 int64
}

// WindowStats are the running counters of a WindowSet.
type WindowStats struct {
	// Records is the number of records added.
	Records int64
	// Late counts records that went into a late partial profile.
	Late int64
	// Overflow counts records routed into the overflow segment.
	Overflow int64
	// Unmatched counts records that matched no explicit segment.
	Unmatched int64
}

// Placement says where Add or Route put one record.
type Placement struct {
	// Window is the record's window.
	Window Window
	// Late is set when the window had already closed: the record went into
	// a late partial profile of that window.
	Late bool
	// Overflow is set when the record's segment went into the overflow
	// segment.
	Overflow bool
	// Profiles is how many profiles the record updates (full dataset and
	// segments); 0 only for an unmatched record without a full profile.
	Profiles int
}

// Fields looks a record's fields up by name; Route uses it to find segment
// values. Record adapts a map. A Fields that also implements ScalarFields
// hands its scalar values to Route unboxed.
type Fields interface {
	Field(name string) (any, bool)
}

// Record is a record as a map of column name to value.
type Record map[string]any

// Field returns the named value.
func (r Record) Field(name string) (any, bool) {
	v, ok := r[name]
	return v, ok
}

// WindowSet holds the open profiles of one stream (one partition), keyed by
// window and segment, and decides when they are finished. It is pure: the
// caller supplies event times and offsets, and it reads no clock.
//
// Event time: every record has an event time t; its window is WindowOf(t,
// Rotation), half-open [start, end) and aligned to the UTC epoch. The
// watermark is the largest event time added; it only moves forward. A record
// whose window's End + AllowedLateness is at or before the watermark (before
// the record itself is counted) is late: it goes into a late partial profile
// of its own window (same dataset timestamp, the window start) and is
// counted. Whether a record is late thus depends only on the order of the
// records, not on when Advance is called. A late partial collects the late
// records of its window for one more rotation (plus the allowed lateness) of
// watermark progress, then it is due: late data is batched instead of giving
// one tiny profile per late record, and the partial's contents still depend
// only on the record order.
//
// Advance emits every window whose End + AllowedLateness ≤ watermark, and
// every late partial that is due; Flush emits everything (partials of open
// windows, for shutdown or checkpoints). Both return profiles sorted by window start, then
// segment key, then first offset. The open windows are bounded by
// (Rotation + AllowedLateness) / Rotation + 1 when Advance is called
// regularly; segments per window by MaxSegments (+ the overflow and full
// profiles).
//
// Derived full-dataset profile: with column segments, FullDataset and
// Config.NullDefersType, every record lands in exactly one segment profile of
// its window (a column segment or the overflow segment), so Route updates
// only that one and keeps the full profile's offsets and record count; the
// full profile is built when it is emitted (Advance, Flush), by merging the
// window's segment profiles column by column in sorted segment-key order.
// Its counts, types, null counts and ints are exactly those of a profile
// updated record by record, its KLL, HLL and frequent items are merged
// sketches of the same values (within their error bounds), and its identity
// (metadata, timestamps, seed, offsets) is the same. Route then returns only
// the segment profile, and Placement.Profiles still counts the full one.
// Explicit segments and whylogs' null rule keep updating the full profile
// directly.
//
// Determinism: each profile's KLL seed is Seed(Dataset, window start in Unix
// seconds, segment key, Partition, offset of the profile's first record: the
// partial's identity, which unlike a counter cannot repeat when another
// consumer takes the partition over), and its creation timestamp
// is Creation or the window start, so the same records with the same offsets
// in the same order give byte-identical profiles, whatever the map order of
// the records.
//
// Routing cost: a record in the window of the previous on-time record
// (w.last, always an open window) needs no window lookup; column segment
// values are looked up in a cache of the last eight decisions, keyed by
// the values as scalars (ScalarFields, or plain Fields of type nil, bool,
// int, int64, float64, string), so a repeated value is neither formatted
// nor hashed; other values and misses go through the formatted segment
// key. The caches change speed only: emission clears them, and a decision
// (admitted or overflow) holds for the window's life.
//
// A WindowSet is not safe for concurrent use; it belongs to one goroutine
// (one partition worker, or a Logger under its lock).
type WindowSet struct {
	cfg      WindowConfig
	set      *settings
	rotSec   int64
	lateness time.Duration
	maxSegs  int
	derive   bool // the full-dataset profile is derived from column segments
	explicit []explicitSegment
	ovfSeg   Segment

	wm    time.Time
	hasWM bool

	open map[int64]*window
	late map[int64]*window
	// sealed holds late partials that became due while records were routed
	// (the watermark reached their due time); the next Advance emits them.
	// A late record for such a window starts a new partial, so what a late
	// partial holds depends only on the records, not on when Advance runs:
	// a replay cut into other batches writes the same objects.
	sealed []*window
	last   *window // the window of the previous on-time record, open (fast path; see setWatermark)
	stats  WindowStats

	keyBuf []byte
	valBuf []string
	rawBuf []byte                     // the record's segment values (window_route.go)
	rcache [routeCacheSize]routeSlot  // recent routing decisions
	rnext  int                        // the slot to replace next
	skeys  [maxScalarCols]scalarKey   // the record's segment values as scalar keys
	stail  []byte                     // and the bytes of long strings beyond the 8th
	scache [routeCacheSize]scalarSlot // recent routing decisions by scalar keys
	stags  [routeCacheSize]uint64     // the tag of each (scalarTag)
	stag   uint64                     // the tag of the current record
	snext  int                        // the scalar slot to replace next
	winID  uint64                     // the id of the last window created

	// mergeScratch holds the KLL merge scratch space of deriveFull between
	// columns and windows (never a sketch: only its scratch is used).
	mergeScratch sketches.KLLDoubles
}

type explicitSegment struct {
	seg Segment
	key string
}

type window struct {
	id       uint64 // distinct per window of a WindowSet (routing cache tags)
	start    int64  // Unix seconds
	end      int64  // Unix seconds (start + rotation)
	win      Window
	isLate   bool
	due      time.Time // late windows: emitted when the watermark reaches it
	full     *entry
	segs     map[string]*entry
	admitted map[string]struct{} // column-segment keys admitted under the cap
}

type entry struct {
	key         string
	prof        *DatasetProfile // nil for a derived full profile until emitted
	first, last int64
	records     int64
	seedOff     int64 // derived full profile: offset of its first record (seed)
}

// NewWindowSet validates cfg and returns an empty WindowSet.
func NewWindowSet(cfg WindowConfig) (*WindowSet, error) {
	s, err := cfg.Profile.settings()
	if err != nil {
		return nil, err
	}
	w := &WindowSet{cfg: cfg, set: s, open: map[int64]*window{}, late: map[int64]*window{}}
	w.cfg.Metadata = cloneStringMap(cfg.Metadata)
	w.cfg.Segments.Columns = slices.Clone(cfg.Segments.Columns)
	switch {
	case cfg.Rotation == 0:
		if cfg.Start.IsZero() {
			return nil, fmt.Errorf("profiler: window set without rotation needs a start (dataset timestamp): %w", ErrInvalidArgument)
		}
		w.cfg.Start = cfg.Start.UTC()
	default:
		if err := ValidateRotation(cfg.Rotation); err != nil {
			return nil, err
		}
		w.rotSec = int64(cfg.Rotation / time.Second)
	}
	if cfg.AllowedLateness < 0 {
		return nil, fmt.Errorf("profiler: allowed lateness %v < 0: %w", cfg.AllowedLateness, ErrInvalidArgument)
	}
	w.lateness = cfg.AllowedLateness
	switch {
	case cfg.MaxSegments < 0:
		return nil, fmt.Errorf("profiler: max segments %d < 0: %w", cfg.MaxSegments, ErrInvalidArgument)
	case cfg.MaxSegments == 0:
		w.maxSegs = DefaultMaxSegments
	default:
		w.maxSegs = cfg.MaxSegments
	}
	seg := cfg.Segments
	if len(seg.Columns) > 0 && len(seg.Explicit) > 0 {
		return nil, fmt.Errorf("profiler: segmentation by columns %q and by explicit segments at once: %w", seg.Columns, ErrInvalidArgument)
	}
	if len(seg.Columns) > 0 {
		vals := make([]string, len(seg.Columns))
		for i := range vals {
			vals[i] = OverflowValue
		}
		ovf, err := NewSegment(seg.Name, seg.Columns, "", vals)
		if err != nil {
			return nil, err
		}
		w.ovfSeg = ovf
		w.valBuf = make([]string, len(seg.Columns))
		// With whylogs' null rule (NullDefersType unset) a segment whose
		// column starts with a null keeps no sketches for it, so its values
		// could not reach a derived full profile: derive only when nulls
		// defer the type.
		w.derive = cfg.FullDataset && s.nullDefersType
	}
	seen := map[string]bool{}
	for i, tags := range seg.Explicit {
		if len(tags) == 0 {
			return nil, fmt.Errorf("profiler: explicit segment %d has no key-value pairs: %w", i, ErrInvalidArgument)
		}
		sorted := slices.Clone(tags)
		slices.SortStableFunc(sorted, func(a, b SegmentTag) int { return strings.Compare(a.Key, b.Key) })
		cols := make([]string, len(sorted))
		vals := make([]string, len(sorted))
		for j, t := range sorted {
			if t.Key == "" {
				return nil, fmt.Errorf("profiler: explicit segment %d has an empty key: %w", i, ErrInvalidArgument)
			}
			cols[j], vals[j] = t.Key, t.Value
		}
		sg, err := NewSegment(seg.Name, cols, "", vals)
		if err != nil {
			return nil, fmt.Errorf("profiler: explicit segment %d: %w", i, err)
		}
		if seg.Name == "" {
			sg.PartitionName = strings.Join(cols, ",")
		}
		key := string(appendSegmentKey(nil, sg.Tags))
		if seen[key] {
			return nil, fmt.Errorf("profiler: explicit segment %d (%s) is listed twice: %w", i, key, ErrInvalidArgument)
		}
		seen[key] = true
		w.explicit = append(w.explicit, explicitSegment{seg: sg, key: key})
	}
	return w, nil
}

// Config returns the configuration (Metadata is a copy).
func (w *WindowSet) Config() WindowConfig {
	c := w.cfg
	c.Metadata = cloneStringMap(c.Metadata)
	return c
}

// Watermark returns the largest event time added (or set by AdvanceTo), and
// false before the first record.
func (w *WindowSet) Watermark() (time.Time, bool) { return w.wm, w.hasWM }

// Stats returns the counters.
func (w *WindowSet) Stats() WindowStats { return w.stats }

// OpenWindows returns how many windows (on-time and late) hold profiles or
// segment bookkeeping.
func (w *WindowSet) OpenWindows() int { return len(w.open) + len(w.late) + len(w.sealed) }

// OpenProfiles returns how many profiles are held (a derived full-dataset
// profile counts once its window has a record, though it is built only
// when emitted).
func (w *WindowSet) OpenProfiles() int {
	n := 0
	w.eachHeld(func(win *window) {
		if win.full != nil {
			n++
		}
		n += len(win.segs)
	})
	return n
}

// eachHeld calls f for every window holding profiles: open, late and sealed.
func (w *WindowSet) eachHeld(f func(*window)) {
	for _, m := range []map[int64]*window{w.open, w.late} {
		for _, win := range m {
			f(win)
		}
	}
	for _, win := range w.sealed {
		f(win)
	}
}

// MinOffset returns the smallest first offset of the profiles held (open
// windows and late partials), and false when none is held. A partition's
// commit point must not pass it (invariant 1): the records from there on
// are not yet in a published profile.
func (w *WindowSet) MinOffset() (int64, bool) {
	var m int64
	found := false
	w.eachHeld(func(win *window) {
		if win.full != nil && (!found || win.full.first < m) {
			m, found = win.full.first, true
		}
		for _, e := range win.segs {
			if !found || e.first < m {
				m, found = e.first, true
			}
		}
	})
	return m, found
}

// Add logs one record with event time t and offset (a Kafka offset, or any
// increasing position) into the profiles of its window and segments, routing
// each value with Column.Update. Keys absent from the record update nothing.
func (w *WindowSet) Add(t time.Time, offset int64, rec map[string]any) Placement {
	var buf [4]*DatasetProfile
	ps, pl := w.Route(t, offset, Record(rec), buf[:0])
	for _, p := range ps {
		p.Track(rec)
	}
	return pl
}

// Route places one record as Add does, but instead of updating the profiles
// appends them to dst and returns it: the caller then updates their columns
// with the typed Column methods (the decoder fast path). A derived
// full-dataset profile (see WindowSet) is not among them. fields supplies the
// segment values; it may be nil when there is no segmentation. The record
// counts as added (watermark, counters, offsets) whether or not the caller
// updates anything.
func (w *WindowSet) Route(t time.Time, offset int64, fields Fields, dst []*DatasetProfile) ([]*DatasetProfile, Placement) {
	dst, win, late, ovf, derived := w.route(t, offset, fields, dst)
	// One composite literal: the Placement is written field by field
	// into the result once (no copy of a partly written local).
	return dst, Placement{Window: win.win, Late: late, Overflow: ovf, Profiles: len(dst) + derived}
}

// RouteInto is Route with the placement written into *pl. A hot loop
// that keeps the placement calls it: a Placement result is returned in
// memory, and a caller assigning it to a variable copies it right after
// Route wrote it field by field, a copy the processor cannot forward from
// its store buffer (a stall of some 15 cycles per record).
func (w *WindowSet) RouteInto(t time.Time, offset int64, fields Fields, dst []*DatasetProfile, pl *Placement) []*DatasetProfile {
	dst, win, late, ovf, derived := w.route(t, offset, fields, dst)
	*pl = Placement{Window: win.win, Late: late, Overflow: ovf, Profiles: len(dst) + derived}
	return dst
}

// route does the work of Route and returns the pieces of the Placement:
// the window, whether the record is late and went into the overflow
// segment, and the number of derived profiles it counts toward (not in
// dst).
func (w *WindowSet) route(t time.Time, offset int64, fields Fields, dst []*DatasetProfile) (_ []*DatasetProfile, win *window, late, ovf bool, derived int) {
	w.stats.Records++
	// Fast path: the window of the previous on-time record. w.last is
	// always a window that is still open (see setWatermark), and windows
	// are whole seconds, so t is in [Start, End) exactly when its Unix
	// second is.
	sec := t.Unix()
	win = w.last
	if win == nil || w.rotSec == 0 || sec < win.start || sec >= win.end {
		win, late = w.windowFor(t)
		if late {
			w.stats.Late++
		}
	}
	if !w.hasWM || t.After(w.wm) {
		w.setWatermark(t)
	}
	seg := &w.cfg.Segments
	switch {
	case w.derive:
		// The full profile is built from the segment profiles when the
		// window is emitted; only its bookkeeping is kept here.
		if win.full == nil {
			win.full = &entry{first: offset, last: offset, seedOff: offset}
		}
		win.full.touch(offset)
		derived = 1
	case seg.IsZero() || w.cfg.FullDataset:
		if win.full == nil {
			win.full = w.newEntry(win, "", Segment{}, offset)
		}
		dst = append(dst, win.full.touch(offset))
	}
	switch {
	case len(seg.Columns) > 0:
		var e *entry
		e, ovf = w.columnSegment(win, fields, offset)
		if ovf {
			w.stats.Overflow++
		}
		dst = append(dst, e.touch(offset))
	case len(seg.Explicit) > 0:
		matched := false
		for i := range w.explicit {
			x := &w.explicit[i]
			if !w.matches(fields, x.seg.Tags) {
				continue
			}
			matched = true
			e := win.segs[x.key]
			if e == nil {
				e = w.newEntry(win, x.key, x.seg, offset)
			}
			dst = append(dst, e.touch(offset))
		}
		if !matched {
			w.stats.Unmatched++
		}
	}
	return dst, win, late, ovf, derived
}

// setWatermark moves the watermark to t (after the current one).
//
// Invariant (Route's fast path relies on it): with rotation, w.last is nil
// or an open window, End + AllowedLateness after the watermark. windowFor
// makes a window w.last only for a record that is not late, whose time is
// before End, so moving the watermark to it keeps the window open; a later
// record moves the watermark past the window's end only if it lies in
// another window, which windowFor then makes w.last (or, if that record is
// late, it does not move the watermark); and AdvanceTo moves the
// watermark, then Advance emits every closed window, clearing w.last.
func (w *WindowSet) setWatermark(t time.Time) {
	w.wm, w.hasWM = t, true
}

func (w *WindowSet) matches(fields Fields, tags []SegmentTag) bool {
	sf, _ := fields.(ScalarFields)
	for _, t := range tags {
		w.rawBuf = appendFieldValue(w.rawBuf[:0], fields, sf, t.Key)
		if string(w.rawBuf) != t.Value {
			return false
		}
	}
	return true
}

// windowFor returns the window a record at t goes into, creating it, and
// whether it is late.
func (w *WindowSet) windowFor(t time.Time) (*window, bool) {
	if w.rotSec == 0 {
		win := w.last
		if win == nil {
			w.winID++
			win = &window{id: w.winID, start: w.cfg.Start.Unix(), win: Window{Start: w.cfg.Start}}
			w.open[win.start] = win
			w.last = win
		}
		return win, false
	}
	// (Route tried w.last.)
	start := windowStartSec(t, w.cfg.Rotation)
	wn := Window{Start: time.Unix(start, 0).UTC(), End: time.Unix(start+w.rotSec, 0).UTC()}
	if w.closedAt(wn.End) {
		win := w.late[start]
		if win != nil && !w.wm.Before(win.due) {
			w.sealed = append(w.sealed, win) // due: Advance emits it as it is
			win = nil
		}
		if win == nil {
			w.winID++
			win = &window{id: w.winID, start: start, win: wn, isLate: true, due: w.wm.Add(w.cfg.Rotation + w.lateness)}
			w.late[start] = win
		}
		return win, true
	}
	win := w.open[start]
	if win == nil {
		w.winID++
		win = &window{id: w.winID, start: start, end: start + w.rotSec, win: wn}
		w.open[start] = win
	}
	w.last = win
	return win, false
}

// closed reports whether the watermark has reached End + AllowedLateness.
func (w *WindowSet) closed(win *window) bool { return w.closedAt(win.win.End) }

func (w *WindowSet) closedAt(end time.Time) bool {
	if w.rotSec == 0 || !w.hasWM {
		return false
	}
	return !w.wm.Before(end.Add(w.lateness))
}

func (w *WindowSet) newEntry(win *window, key string, seg Segment, offset int64) *entry {
	e := &entry{key: key, prof: w.newProfile(win, key, seg, offset), first: offset, last: offset}
	if key == "" {
		return e
	}
	if win.segs == nil {
		win.segs = map[string]*entry{}
	}
	win.segs[key] = e
	return e
}

// newProfile returns the empty profile of segment seg of win whose first
// record has the given offset.
func (w *WindowSet) newProfile(win *window, key string, seg Segment, offset int64) *DatasetProfile {
	s := *w.set
	s.seed = Seed(w.cfg.Dataset, strconv.FormatInt(win.start, 10), key, w.cfg.Partition, strconv.FormatInt(offset, 10))
	creation := w.cfg.Creation
	if creation.IsZero() {
		creation = win.win.Start
	}
	p := &DatasetProfile{
		datasetTime:  win.win.Start,
		creationTime: creation.UTC(),
		metadata:     make(map[string]string, len(w.cfg.Metadata)+4),
		segment:      seg,
		columns:      map[string]*Column{},
		set:          &s,
	}
	for k, v := range w.cfg.Metadata {
		p.metadata[k] = v
	}
	if w.cfg.Dataset != "" {
		p.metadata[MetadataName] = w.cfg.Dataset
	}
	if w.cfg.Partition != "" {
		p.metadata[MetaPartition] = w.cfg.Partition
	}
	if w.rotSec != 0 {
		p.metadata[MetaWindowEnd] = strconv.FormatInt(win.win.End.UnixMilli(), 10)
	}
	if win.isLate {
		p.metadata[MetaLate] = "true"
	}
	return p
}

func (e *entry) touch(offset int64) *DatasetProfile {
	e.records++
	e.first = min(e.first, offset)
	e.last = max(e.last, offset)
	return e.prof
}

// Advance emits every window whose End + AllowedLateness is at or before the
// watermark, and every late partial that is due, sorted by window start, segment key and
// first offset. It never emits anything without rotation.
func (w *WindowSet) Advance() []Finished {
	var out []Finished
	for start, win := range w.open {
		if !w.closed(win) {
			continue
		}
		out = w.emit(win, out, Closed)
		delete(w.open, start)
		if w.last == win {
			w.last = nil
		}
	}
	for _, win := range w.sealed {
		out = w.emit(win, out, Late)
	}
	clear(w.sealed)
	w.sealed = w.sealed[:0]
	for start, win := range w.late {
		if w.wm.Before(win.due) {
			continue
		}
		out = w.emit(win, out, Late)
		delete(w.late, start)
	}
	sortFinished(out)
	return out
}

// AdvanceTo moves the watermark forward to t (it never moves back) and then
// calls Advance. It is for an explicit idle policy driven by a clock the
// caller owns; ordinary operation never needs it.
func (w *WindowSet) AdvanceTo(t time.Time) []Finished {
	if !w.hasWM || t.After(w.wm) {
		w.setWatermark(t)
	}
	return w.Advance()
}

// Flush emits every held profile: late partials (Kind Late), windows that are
// due (Closed) and partials of open windows (Flushed), for shutdown and
// checkpoints, sorted as Advance sorts. Open windows stay open: later records
// go into new partial profiles, and the segments admitted under the cap stay
// admitted.
func (w *WindowSet) Flush() []Finished {
	out := w.Advance()
	for start, win := range w.late {
		out = w.emit(win, out, Late)
		delete(w.late, start)
	}
	for _, win := range w.open {
		out = w.emit(win, out, Flushed)
		win.full, win.segs = nil, nil
	}
	sortFinished(out)
	return out
}

func (w *WindowSet) emit(win *window, out []Finished, kind EmitKind) []Finished {
	w.forgetRoutes()
	add := func(e *entry) {
		e.prof.metadata[MetaFirstOffset] = strconv.FormatInt(e.first, 10)
		out = append(out, Finished{Window: win.win, SegmentKey: e.key, Profile: e.prof, Kind: kind,
			FirstOffset: e.first, LastOffset: e.last, Records: e.records})
	}
	if win.full != nil {
		if win.full.prof == nil {
			win.full.prof = w.deriveFull(win)
		}
		add(win.full)
	}
	for _, e := range win.segs {
		add(e)
	}
	return out
}

func sortFinished(out []Finished) {
	slices.SortFunc(out, func(a, b Finished) int {
		return cmp.Or(a.Window.Start.Compare(b.Window.Start), strings.Compare(a.SegmentKey, b.SegmentKey),
			cmp.Compare(a.FirstOffset, b.FirstOffset), cmp.Compare(a.Kind, b.Kind))
	})
}

// SegmentKey returns the canonical key of segment tags: "k1=v1,k2=v2" with
// '\\', ',' and '=' escaped by a backslash ("" for no tags).
func SegmentKey(tags []SegmentTag) string { return string(appendSegmentKey(nil, tags)) }

func appendSegmentKey(b []byte, tags []SegmentTag) []byte {
	for i, t := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEscaped(b, t.Key)
		b = append(b, '=')
		b = appendEscaped(b, t.Value)
	}
	return b
}

func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ',', '=':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return b
}

func cloneStringMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
