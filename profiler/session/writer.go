package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/whylogs"
)

// Writer is where a Logger sends each finished profile. Write returns nil
// only when the profile is durably stored; writing the same profile again
// (same dataset, window, segment, partition and first offset) must replace
// the earlier copy, not add a second one. Implementations must be safe for
// concurrent use: every Logger of a Session shares the Session's writers.
// The sinks (package sink) implement it too.
type Writer interface {
	Write(ctx context.Context, p *profiler.DatasetProfile) error
}

// Encoder turns a profile into file bytes.
type Encoder func(*profiler.DatasetProfile) ([]byte, error)

// Default templates of the local writer. whylogs v0 defaults the path to
// "$name/$session_id"; ours leaves the session id out so that a replay writes
// to the same files (invariant 5).
const (
	DefaultPathTemplate     = "$name"
	DefaultFilenameTemplate = "dataset_profile"
)

// LocalWriterConfig configures a LocalWriter.
type LocalWriterConfig struct {
	// Dir is the output directory (whylogs output_path); required.
	Dir string
	// PathTemplate and FilenameTemplate are whylogs v0's path_template and
	// filename_template ("" means the defaults). Variables, as $var or
	// ${var}: name (dataset name, "" → "default"), session_id,
	// session_timestamp (the profile's creation timestamp, epoch ms),
	// dataset_timestamp (epoch ms); "$$" is a literal "$". Values are escaped
	// so that they cannot leave the directory (see escapeName).
	PathTemplate, FilenameTemplate string
	// SessionID is the value of $session_id.
	SessionID string
	// Encoder writes the file bytes; nil means whylogs v1 (whylogs.MarshalV1).
	Encoder Encoder
}

// LocalWriter writes whylogs v1 profile files into a directory tree. It keeps
// no state between calls and is safe for concurrent use.
//
// File layout (whylogs v0's local writer layout with whylogs v1's rolling
// logger file names, made deterministic):
//
//	Dir/<path>/protobuf/<filename>.<start>[_<partition id>_<v1>_<v2>…][.p<partition>][.o<first offset>].bin
//
// where <start> is the dataset timestamp (the window start) in UTC as
// 2006-01-02_15-04-05, the segment part is whylogs' "_{partition_id}_{'_'.join(key)}"
// (replaced by the hex SHA-256 of the segment key when the name would exceed
// 240 bytes), <partition> is profile metadata kprofiler.partition and <first
// offset> kprofiler.first_offset (written by profiler.WindowSet), which tell
// partial profiles of one window apart. Every name part comes from the
// profile, never from the clock, so writing the same profile again replaces
// the file. Files are written to a temporary name, synced and renamed.
type LocalWriter struct {
	dir, pathTmpl, fileTmpl, sessionID string
	encode                             Encoder
}

// NewLocalWriter validates cfg and returns a writer.
func NewLocalWriter(cfg LocalWriterConfig) (*LocalWriter, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("session: local writer: output path is empty: %w", ErrInvalidConfig)
	}
	w := &LocalWriter{dir: cfg.Dir, pathTmpl: cfg.PathTemplate, fileTmpl: cfg.FilenameTemplate, sessionID: cfg.SessionID, encode: cfg.Encoder}
	if w.pathTmpl == "" {
		w.pathTmpl = DefaultPathTemplate
	}
	if w.fileTmpl == "" {
		w.fileTmpl = DefaultFilenameTemplate
	}
	if w.encode == nil {
		w.encode = whylogs.MarshalV1
	}
	for what, t := range map[string]string{"path_template": w.pathTmpl, "filename_template": w.fileTmpl} {
		if _, err := expand(t, func(k string) (string, bool) {
			_, ok := templateVars[k]
			return "x", ok
		}); err != nil {
			return nil, fmt.Errorf("session: local writer %s %q: %w", what, t, err)
		}
	}
	return w, nil
}

var templateVars = map[string]struct{}{"name": {}, "session_id": {}, "session_timestamp": {}, "dataset_timestamp": {}}

// Path returns the file p is written to.
func (w *LocalWriter) Path(p *profiler.DatasetProfile) (string, error) {
	name := p.Name()
	if name == "" {
		name = "default"
	}
	vals := map[string]string{
		"name":              name,
		"session_id":        w.sessionID,
		"session_timestamp": strconv.FormatInt(p.CreationTimestamp().UnixMilli(), 10),
		"dataset_timestamp": strconv.FormatInt(p.DatasetTimestamp().UnixMilli(), 10),
	}
	lookup := func(k string) (string, bool) {
		v, ok := vals[k]
		return escapeName(v), ok
	}
	dir, err := expand(w.pathTmpl, lookup)
	if err != nil {
		return "", err
	}
	base, err := expand(w.fileTmpl, lookup)
	if err != nil {
		return "", err
	}
	md := p.Metadata()
	var b strings.Builder
	b.WriteString(base) // variables are escaped; the template text is the user's
	b.WriteByte('.')
	b.WriteString(p.DatasetTimestamp().UTC().Format(windowStartLayout))
	if seg := p.Segment(); !seg.IsZero() {
		var s strings.Builder
		s.WriteByte('_')
		s.WriteString(escapeName(seg.PartitionID))
		for _, t := range seg.Tags {
			s.WriteByte('_')
			s.WriteString(escapeName(t.Value))
		}
		if s.Len() > 240-b.Len()-60 {
			sum := sha256.Sum256([]byte(profiler.SegmentKey(seg.Tags)))
			s.Reset()
			s.WriteByte('_')
			s.WriteString(hex.EncodeToString(sum[:]))
		}
		b.WriteString(s.String())
	}
	if v, ok := md[profiler.MetaPartition]; ok {
		b.WriteString(".p")
		b.WriteString(escapeName(v))
	}
	if v, ok := md[profiler.MetaFirstOffset]; ok {
		b.WriteString(".o")
		b.WriteString(escapeName(v))
	}
	b.WriteString(".bin")
	return filepath.Join(w.dir, filepath.FromSlash(dir), "protobuf", b.String()), nil
}

// Write encodes p and writes it to Path(p), replacing an earlier file.
func (w *LocalWriter) Write(ctx context.Context, p *profiler.DatasetProfile) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := w.Path(p)
	if err != nil {
		return fmt.Errorf("session: local writer: %w", err)
	}
	data, err := w.encode(p)
	if err != nil {
		return fmt.Errorf("session: local writer: encoding %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("session: local writer: %w", err)
	}
	if err := WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("session: local writer: %w", err)
	}
	return nil
}

// WriteFileAtomic writes data to path so that readers never see a partial
// file: it writes a temporary file beside path (the folder must exist),
// syncs it, makes it world-readable (0644) and renames it over path. On error
// the temporary file is removed and path is untouched.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// escapeName makes s safe as one path element: bytes other than ASCII
// letters, digits, '-', '_' and '.' become %XX, and "", "." and ".." are
// escaped whole, so a value can never name a parent directory or contain a
// separator.
func escapeName(s string) string {
	switch s {
	case "":
		return ""
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// expand substitutes $var and ${var} like Python's string.Template; "$$" is
// "$". An unknown variable or a stray "$" is an error.
func expand(t string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(t) && t[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		var name string
		if i+1 < len(t) && t[i+1] == '{' {
			end := strings.IndexByte(t[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ at %d: %w", i, ErrInvalidConfig)
			}
			name = t[i+2 : i+2+end]
			i += 2 + end
		} else {
			j := i + 1
			for j < len(t) && (t[j] == '_' || t[j] >= 'a' && t[j] <= 'z' || t[j] >= 'A' && t[j] <= 'Z' || j > i+1 && t[j] >= '0' && t[j] <= '9') {
				j++
			}
			name = t[i+1 : j]
			i = j - 1
		}
		if name == "" {
			return "", fmt.Errorf("stray $ at %d: %w", i, ErrInvalidConfig)
		}
		v, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("unknown template variable $%s (want name, session_id, session_timestamp, dataset_timestamp): %w", name, ErrInvalidConfig)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// windowStartLayout is the layout of the window start in file names.
const windowStartLayout = "2006-01-02_15-04-05"
