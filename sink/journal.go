package sink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Reconciler is implemented by sinks that can undo what a crashed run
// published beyond the offset a partition resumes from. The pipeline calls
// Reconcile when it starts a partition, before it publishes anything for it,
// with resumeOffset = the offset of the first record it will process.
// Afterwards the sink holds no profile with a record of that partition at or
// beyond resumeOffset, so the replay rewrites them exactly once. Reconcile
// is idempotent; an error means it must be retried before publishing.
type Reconciler interface {
	Reconcile(ctx context.Context, topic string, partition int32, resumeOffset int64) error
}

// JournalDir is the key prefix, below a Blob sink's Prefix, of its journal:
// JournalDir + <topic> + "/" + <partition> + "/" + <entry>. Readers of
// profiles skip it (its objects end in ".json", never ".bin").
const JournalDir = "_kprofiler/journal/"

// journalVersion is the "version" of the journal entries written.
const journalVersion = 1

// JournalEntry is the content of one journal object: the profiles of one
// Publish batch that came from one source partition, written before any of
// them. FirstOffset is the lowest first offset, LastOffset the highest last
// offset of the batch's profiles of that partition.
type JournalEntry struct {
	Version     int             `json:"version"`
	Topic       string          `json:"topic"`
	Partition   int32           `json:"partition"`
	FirstOffset int64           `json:"first_offset"`
	LastOffset  int64           `json:"last_offset"`
	Objects     []JournalObject `json:"objects"`
}

// JournalObject is one profile of a journal entry: its object key (with the
// sink's prefix) and its source offsets.
type JournalObject struct {
	Key         string `json:"key"`
	FirstOffset int64  `json:"first_offset"`
	LastOffset  int64  `json:"last_offset"`
}

// journalPartitionDir returns the journal directory of one partition (with
// the sink's prefix, ending in "/").
func (s *Blob) journalPartitionDir(topic string, partition int32) string {
	return s.prefix + JournalDir + shorten(Escape(topic), maxTopicElem) + "/" + strconv.FormatInt(int64(partition), 10) + "/"
}

// journalName returns the entry's object name:
//
//	<dir><first offset, 20 digits>-<last offset, 20 digits>-<16 hex digits>.json
//
// The hex digits are the start of the SHA-256 of the sorted object keys, so
// the name depends only on the batch: a replay of the same batch overwrites
// its entry, and two batches with the same offsets but different profiles
// (two datasets of one topic) get distinct entries. Names sort by first
// offset.
func (s *Blob) journalName(e *JournalEntry) string {
	h := sha256.New()
	for _, o := range e.Objects {
		h.Write([]byte(o.Key))
		h.Write([]byte{'\n'})
	}
	sum := h.Sum(nil)
	return fmt.Sprintf("%s%020d-%020d-%s.json", s.journalPartitionDir(e.Topic, e.Partition),
		e.FirstOffset, e.LastOffset, hex.EncodeToString(sum[:8]))
}

// parseJournalName returns the offsets encoded in an entry's base name.
func parseJournalName(base string) (first, last int64, ok bool) {
	if len(base) != 20+1+20+1+16+len(".json") || !strings.HasSuffix(base, ".json") || base[20] != '-' || base[41] != '-' {
		return 0, 0, false
	}
	f, err1 := strconv.ParseInt(base[:20], 10, 64)
	l, err2 := strconv.ParseInt(base[21:41], 10, 64)
	if err1 != nil || err2 != nil || f < 0 || l < f {
		return 0, 0, false
	}
	return f, l, true
}

// journalEntries groups a validated batch by source partition, in (topic,
// partition) order, objects sorted by key.
func (s *Blob) journalEntries(profiles []Profile) []*JournalEntry {
	var out []*JournalEntry
	byTP := map[tpKey]*JournalEntry{}
	for i := range profiles {
		p := &profiles[i]
		k := tpKey{p.Topic, p.Partition}
		e := byTP[k]
		if e == nil {
			e = &JournalEntry{Version: journalVersion, Topic: p.Topic, Partition: p.Partition,
				FirstOffset: p.FirstOffset, LastOffset: p.LastOffset}
			byTP[k] = e
			out = append(out, e)
		}
		e.FirstOffset = min(e.FirstOffset, p.FirstOffset)
		e.LastOffset = max(e.LastOffset, p.LastOffset)
		e.Objects = append(e.Objects, JournalObject{Key: s.prefix + p.Key, FirstOffset: p.FirstOffset, LastOffset: p.LastOffset})
	}
	for _, e := range out {
		slices.SortFunc(e.Objects, func(a, b JournalObject) int { return strings.Compare(a.Key, b.Key) })
	}
	slices.SortFunc(out, func(a, b *JournalEntry) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition) - int(b.Partition)
	})
	return out
}

type tpKey struct {
	topic     string
	partition int32
}

// writeJournal writes the entries of a batch (before its objects), at most
// Concurrency at a time. A failed entry sets a KeyError for each of its
// profiles in errs, so that none of them is written.
func (s *Blob) writeJournal(ctx context.Context, profiles []Profile, errs []error) {
	entries := s.journalEntries(profiles)
	failed := make([]error, len(entries))
	sem := make(chan struct{}, s.conc)
	var wg sync.WaitGroup
	for j, e := range entries {
		name := s.journalName(e)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			failed[j] = fmt.Errorf("writing journal entry %q: %w", name, ctxErr(ctx, s.name))
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			b, err := json.Marshal(e)
			if err == nil {
				err = s.retry.do(ctx, func(err error) bool { return transientBlob(ctx, err) }, func(int) error {
					return s.put(ctx, name, b, "application/json", nil)
				})
			}
			if err != nil {
				failed[j] = fmt.Errorf("writing journal entry %q: %w", name, err)
			}
		})
	}
	wg.Wait()
	for j, e := range entries {
		if failed[j] == nil {
			continue
		}
		for i := range profiles {
			if profiles[i].Topic == e.Topic && profiles[i].Partition == e.Partition {
				errs[i] = &KeyError{Sink: s.name, Key: profiles[i].Key, Err: failed[j]}
			}
		}
	}
}

// Journal returns the journal entries of one partition, sorted by name
// (first offset). Objects in the journal directory whose names are not
// entry names are ignored (here, by Reconcile and by Prune). For tests and
// operators.
func (s *Blob) Journal(ctx context.Context, topic string, partition int32) ([]JournalEntry, error) {
	names, err := s.listJournal(ctx, topic, partition)
	if err != nil {
		return nil, err
	}
	out := make([]JournalEntry, 0, len(names))
	for _, n := range names {
		e, err := s.readEntry(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Blob) listJournal(ctx context.Context, topic string, partition int32) ([]string, error) {
	dir := s.journalPartitionDir(topic, partition)
	it := s.bucket.List(&blob.ListOptions{Prefix: dir})
	var names []string
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("sink %s: listing journal %q: %w", s.name, dir, err)
		}
		if obj.IsDir {
			continue
		}
		if _, _, ok := parseJournalName(obj.Key[strings.LastIndexByte(obj.Key, '/')+1:]); !ok {
			continue // not an entry (a driver's stray temporary file, say)
		}
		names = append(names, obj.Key)
	}
	slices.Sort(names)
	return names, nil
}

func (s *Blob) readEntry(ctx context.Context, name string) (JournalEntry, error) {
	var e JournalEntry
	b, err := s.bucket.ReadAll(ctx, name)
	if err != nil {
		return e, fmt.Errorf("sink %s: reading journal entry %q: %w", s.name, name, err)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("sink %s: journal entry %q: %w", s.name, name, err)
	}
	if e.Version != journalVersion {
		return e, fmt.Errorf("sink %s: journal entry %q: version %d, want %d", s.name, name, e.Version, journalVersion)
	}
	return e, nil
}

// Reconcile makes the sink's objects for topic/partition agree with a
// replay that starts at resumeOffset (see Reconciler). For every journal
// entry of the partition whose batch holds a record at or beyond
// resumeOffset it deletes each listed object that holds such a record (an
// object never written, because the crash came between the entry and the
// object, is fine), then the entry. Entries wholly below resumeOffset
// describe committed output and are deleted (their objects stay). Objects
// are deleted before their entry, so a crash inside Reconcile leaves the
// entry for the next Reconcile. Only the journal is consulted: profiles
// written by a run without a journal are not touched.
func (s *Blob) Reconcile(ctx context.Context, topic string, partition int32, resumeOffset int64) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	names, err := s.listJournal(ctx, topic, partition)
	if err != nil {
		return err
	}
	for _, name := range names {
		_, last, _ := parseJournalName(name[strings.LastIndexByte(name, '/')+1:])
		if last < resumeOffset {
			if err := s.remove(ctx, name); err != nil {
				return err
			}
			continue
		}
		e, err := s.readEntry(ctx, name)
		if err != nil {
			if gcerrors.Code(err) == gcerrors.NotFound { // deleted by a concurrent Reconcile
				continue
			}
			return err
		}
		var doomed []string
		for _, o := range e.Objects {
			if o.LastOffset >= resumeOffset {
				doomed = append(doomed, o.Key)
			}
		}
		if err := s.removeAll(ctx, doomed); err != nil {
			return err
		}
		// On a file sink the deletions must be durable before the entry
		// that lists them goes: otherwise a power loss could bring an object
		// back with nothing left to remove it (a duplicate after the replay).
		if err := s.syncRemoved(doomed); err != nil {
			return err
		}
		if err := s.remove(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// syncRemoved fsyncs the directories that held keys (file sinks only).
func (s *Blob) syncRemoved(keys []string) error {
	if s.fileRoot == "" {
		return nil
	}
	dirs := map[string]bool{}
	for _, k := range keys {
		dirs[path.Dir(k)] = true
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		err := syncDir(filepath.Join(s.fileRoot, filepath.FromSlash(d)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sink %s: syncing %q after deletes: %w", s.name, d, err)
		}
	}
	return nil
}

// removeAll deletes keys, at most Concurrency at a time.
func (s *Blob) removeAll(ctx context.Context, keys []string) error {
	errs := make([]error, len(keys))
	sem := make(chan struct{}, s.conc)
	var wg sync.WaitGroup
	for i, k := range keys {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctxErr(ctx, s.name)
		}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = s.remove(ctx, k)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// remove deletes one object, retried on transient errors; a missing object
// is not an error.
func (s *Blob) remove(ctx context.Context, key string) error {
	err := s.retry.do(ctx, func(err error) bool { return transientBlob(ctx, err) }, func(int) error {
		err := s.bucket.Delete(ctx, key)
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sink %s: deleting %q: %w", s.name, key, err)
	}
	return nil
}

// Pruner is implemented by sinks that keep a journal: Prune removes the
// journal entries of topic/partition that only describe output below
// committedOffset (which no replay can reach any more). It never deletes
// profiles. Best effort: Reconcile removes what Prune left.
type Pruner interface {
	Prune(ctx context.Context, topic string, partition int32, committedOffset int64) error
}

// Prune removes the partition's journal entries whose last offset is below
// committedOffset, without reading them or touching their objects. The
// pipeline calls it at checkpoints with the partition's committed offset,
// so that the journal stays small between restarts.
func (s *Blob) Prune(ctx context.Context, topic string, partition int32, committedOffset int64) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	names, err := s.listJournal(ctx, topic, partition)
	if err != nil {
		return err
	}
	var old []string
	for _, name := range names {
		if _, last, _ := parseJournalName(name[strings.LastIndexByte(name, '/')+1:]); last < committedOffset {
			old = append(old, name)
		}
	}
	return s.removeAll(ctx, old)
}

// Interface checks.
var (
	_ Reconciler = (*Blob)(nil)
	_ Reconciler = (*Multi)(nil)
	_ Reconciler = (*Retrying)(nil)
	_ Reconciler = (*Instrumented)(nil)
	_ Pruner     = (*Blob)(nil)
	_ Pruner     = (*Multi)(nil)
	_ Pruner     = (*Retrying)(nil)
	_ Pruner     = (*Instrumented)(nil)
)
