package profilefile

import (
	"bytes"
	"fmt"
	"io"

	"github.com/kprofiler/kprofiler/schemas/whylogsv0pb"
)

// ParseV0 decodes a whylogs v0 profile file: varint(n) followed by an n-byte
// DatasetProfileMessage, which must end the input. This is what the v0
// Python writer (DatasetProfile.serialize_delimited / write_protobuf) and
// whylogs-java (writeDelimitedTo) produce.
//
// Empty input and input starting with the v1 magic "WHY1" give ErrNotProfile;
// a bad length prefix, trailing bytes or a malformed message give ErrCorrupt
// (ErrTruncated when the input is too short), naming the offset. whylogs'
// fallback of re-parsing a failed delimited read as an undelimited message is
// not implemented: every v0 writer delimits. ParseV0 never panics, does not
// retain data, and allocates in proportion to len(data).
func ParseV0(data []byte) (*whylogsv0pb.DatasetProfileMessage, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("offset 0: empty input: %w", ErrNotProfile)
	}
	if bytes.HasPrefix(data, []byte(Magic)) {
		return nil, fmt.Errorf("offset 0: %q magic of a v1 profile, want a v0 delimited message: %w", Magic, ErrNotProfile)
	}
	body, end, err := readDelimited(data, 0, 0, "DatasetProfileMessage")
	if err != nil {
		return nil, err
	}
	if end != len(data) {
		return nil, fmt.Errorf("offset %d: %d trailing bytes after the DatasetProfileMessage: %w", end, len(data)-end, ErrCorrupt)
	}
	msg := &whylogsv0pb.DatasetProfileMessage{}
	if err := unmarshalOpts.Unmarshal(body, msg); err != nil {
		return nil, fmt.Errorf("DatasetProfileMessage at offset %d: %w: %v", end-len(body), ErrCorrupt, err)
	}
	return msg, nil
}

// ReadV0 reads r to EOF and parses the bytes with ParseV0.
func ReadV0(r io.Reader) (*whylogsv0pb.DatasetProfileMessage, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return ParseV0(data)
}

// AppendV0 appends m as a v0 profile file: varint(size) followed by the
// deterministic encoding (map entries in ascending key order), as whylogs'
// Python serialize_delimited does. On error b is returned unchanged with an
// error wrapping ErrInvalidFile.
func AppendV0(b []byte, m *whylogsv0pb.DatasetProfileMessage) ([]byte, error) {
	if m == nil {
		m = &whylogsv0pb.DatasetProfileMessage{}
	}
	out, err := appendDelimited(b, m)
	if err != nil {
		return b, fmt.Errorf("v0 DatasetProfileMessage: %w", err)
	}
	return out, nil
}
