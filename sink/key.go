package sink

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/ksuid"
)

// Identity is what makes a profile unique. Two publishes of the same identity
// get the same Key, so a replay overwrites instead of duplicating.
type Identity struct {
	Dataset     string
	WindowStart time.Time // millisecond precision is used
	Segment     []Tag     // in canonical order; nil for the unsegmented profile
	Topic       string
	Partition   int32
	FirstOffset int64
	// Sequence distinguishes checkpoints that start at the same first offset.
	// Leave it 0 unless flush boundaries are deterministic: with 0, a later
	// flush that starts at the same offset (a superset after a replay)
	// replaces the earlier object, which is what deduplication needs.
	Sequence uint64
}

// Limits on one escaped path element before it is shortened with a hash.
const (
	maxDatasetElem = 160
	maxSegmentElem = 200
	maxTopicElem   = 120
)

// Key returns the deterministic object key / record key of a profile:
//
//	<dataset>/<yyyy>/<mm>/<dd>/<HH>/<window-start-ms>/<segment>/<topic>-<partition>-<first-offset>[-s<sequence>]-<ksuid>.bin
//
// Date parts are the UTC window start. <dataset> and <topic> are Escape'd.
// <segment> is SegmentSlug(id.Segment): "_all" for the unsegmented profile,
// otherwise "k1=v1,k2=v2" with every key and value Escape'd. An element
// longer than its limit (dataset 160, segment 200, topic 120 bytes) is cut at
// an escape boundary and suffixed with "~" and 16 hex digits of the SHA-256
// of the whole element; "~" never appears otherwise because Escape escapes it.
//
// The ksuid is ksuid.FromParts(window start, first 16 bytes of the SHA-256 of
// the identity's canonical encoding), so it is stable across runs and hosts
// and sorts by window time (the ksuid timestamp is seconds since 2014-05-13
// modulo 2^32; it wraps, still deterministically, outside 2014–2150). Key
// uses no clock, randomness or map order. The dataset must be non-empty and
// the offset and partition non-negative; errors wrap ErrInvalidArgument.
func Key(id Identity) (string, error) {
	if id.Dataset == "" {
		return "", fmt.Errorf("sink: key: empty dataset: %w", ErrInvalidArgument)
	}
	if id.Topic == "" {
		return "", fmt.Errorf("sink: key: empty topic: %w", ErrInvalidArgument)
	}
	if id.Partition < 0 || id.FirstOffset < 0 {
		return "", fmt.Errorf("sink: key: negative partition %d or offset %d: %w", id.Partition, id.FirstOffset, ErrInvalidArgument)
	}
	ws := id.WindowStart.UTC()
	ms := ws.UnixMilli()
	if ws.Year() < 0 || ws.Year() > 9999 {
		return "", fmt.Errorf("sink: key: window start %v out of range: %w", ws, ErrInvalidArgument)
	}
	sum := identityHash(id)
	k, err := ksuid.FromParts(time.UnixMilli(ms), sum[:16])
	if err != nil { // only for a wrong payload size: cannot happen
		return "", fmt.Errorf("sink: key: %w", err)
	}
	var b strings.Builder
	b.Grow(128)
	b.WriteString(shorten(Escape(id.Dataset), maxDatasetElem))
	fmt.Fprintf(&b, "/%04d/%02d/%02d/%02d/%d/", ws.Year(), int(ws.Month()), ws.Day(), ws.Hour(), ms)
	b.WriteString(SegmentSlug(id.Segment))
	b.WriteByte('/')
	b.WriteString(shorten(Escape(id.Topic), maxTopicElem))
	b.WriteByte('-')
	b.WriteString(strconv.FormatInt(int64(id.Partition), 10))
	b.WriteByte('-')
	b.WriteString(strconv.FormatInt(id.FirstOffset, 10))
	if id.Sequence != 0 {
		b.WriteString("-s")
		b.WriteString(strconv.FormatUint(id.Sequence, 10))
	}
	b.WriteByte('-')
	b.WriteString(k.String())
	b.WriteString(".bin")
	return b.String(), nil
}

// identityHash is SHA-256 over a length-prefixed encoding of the identity,
// so that no two identities share an encoding:
//
//	"kprofiler/key/v1" | str(dataset) | i64(window start ms) | u32(len segment) |
//	{str(key) str(value)}... | str(topic) | i32(partition) | i64(first offset) | u64(sequence)
//
// where str(s) = u32 length + bytes, integers big-endian.
func identityHash(id Identity) [32]byte {
	h := sha256.New()
	var buf [8]byte
	str := func(s string) {
		binary.BigEndian.PutUint32(buf[:4], uint32(len(s)))
		h.Write(buf[:4])
		h.Write([]byte(s))
	}
	u64 := func(v uint64) {
		binary.BigEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	h.Write([]byte("kprofiler/key/v1"))
	str(id.Dataset)
	u64(uint64(id.WindowStart.UnixMilli()))
	binary.BigEndian.PutUint32(buf[:4], uint32(len(id.Segment)))
	h.Write(buf[:4])
	for _, t := range id.Segment {
		str(t.Key)
		str(t.Value)
	}
	str(id.Topic)
	binary.BigEndian.PutUint32(buf[:4], uint32(id.Partition))
	h.Write(buf[:4])
	u64(uint64(id.FirstOffset))
	u64(id.Sequence)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Escape makes s safe as (part of) one path element of an object key:
// ASCII letters, digits, '-', '_' and '.' are kept, every other byte
// (including '/', '%', '=', ',', '~', spaces and each byte of a multi-byte
// UTF-8 sequence) becomes "%XX" with upper-case hex. A leading '.' is escaped
// too, so no element is "." or "..". Escape("") is "". The output is
// printable ASCII, valid in object keys, Kafka headers and metadata values of
// every supported store. Unescape inverts it.
func Escape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !keep(s[i]) || (i == 0 && s[i] == '.') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexd = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c) && !(i == 0 && c == '.') {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexd[c>>4], hexd[c&15])
	}
	return string(b)
}

func keep(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// Unescape inverts Escape. It fails (wrapping ErrInvalidArgument) on a
// malformed escape.
func Unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("sink: unescape %q: truncated escape: %w", s, ErrInvalidArgument)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("sink: unescape %q: bad escape at %d: %w", s, i, ErrInvalidArgument)
		}
		b = append(b, byte(v))
		i += 2
	}
	return string(b), nil
}

// AllSegment is the slug of the unsegmented (full dataset) profile. It cannot
// collide with a segmented slug, which always contains '='.
const AllSegment = "_all"

// SegmentSlug returns the path element of a segment: AllSegment for an empty
// segment, otherwise the Escape'd "key=value" pairs joined by ',' in the
// given order, shortened with a hash past 200 bytes (see Key).
func SegmentSlug(seg []Tag) string {
	if len(seg) == 0 {
		return AllSegment
	}
	return shorten(segmentString(seg), maxSegmentElem)
}

// segmentString is the unshortened escaped form used in metadata and headers.
func segmentString(seg []Tag) string {
	var b strings.Builder
	for i, t := range seg {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(Escape(t.Key))
		b.WriteByte('=')
		b.WriteString(Escape(t.Value))
	}
	return b.String()
}

// ParseSegment inverts the unshortened segment form written to metadata and
// headers ("" or AllSegment → nil).
func ParseSegment(s string) ([]Tag, error) {
	if s == "" || s == AllSegment {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	seg := make([]Tag, 0, len(parts))
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("sink: parse segment %q: pair %q has no '=': %w", s, p, ErrInvalidArgument)
		}
		uk, err := Unescape(k)
		if err != nil {
			return nil, err
		}
		uv, err := Unescape(v)
		if err != nil {
			return nil, err
		}
		seg = append(seg, Tag{Key: uk, Value: uv})
	}
	return seg, nil
}

// shorten cuts an escaped element longer than max bytes to at most max bytes:
// a prefix (never splitting a "%XX" escape) + "~" + 16 hex digits of the
// SHA-256 of the whole element.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	cut := max - 17
	// Do not split an escape: if one of the two bytes before cut is '%', cut
	// before it.
	for i := cut - 1; i >= 0 && i >= cut-2; i-- {
		if s[i] == '%' {
			cut = i
			break
		}
	}
	return s[:cut] + "~" + hex.EncodeToString(sum[:8])
}
