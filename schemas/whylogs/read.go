package whylogs

import (
	"bytes"
	"fmt"
	"os"

	"github.com/kprofiler/kprofiler/profiler"
	"github.com/kprofiler/kprofiler/schemas/profilefile"
)

// Read decodes a whylogs profile file of either format, detected with
// profilefile.DetectFormat: v1 ("WHY1", plain or segmented) with ParseV1 and
// Decode, v0 (a delimited DatasetProfileMessage) with ParseV0 and DecodeV0.
// It returns the profile and the format read. Input that is neither gives an
// error wrapping profilefile.ErrNotProfile, ErrUnsupportedVersion or
// ErrCorrupt that says what was found.
func Read(data []byte) (*profiler.DatasetProfile, profilefile.Format, error) {
	switch profilefile.DetectFormat(data) {
	case profilefile.FormatV1:
		f, err := profilefile.ParseV1(data)
		if err != nil {
			return nil, profilefile.FormatV1, err
		}
		p, err := Decode(f)
		return p, profilefile.FormatV1, err
	case profilefile.FormatV0:
		m, err := profilefile.ParseV0(data)
		if err != nil {
			return nil, profilefile.FormatV0, err
		}
		p, err := DecodeV0(m)
		return p, profilefile.FormatV0, err
	}
	if bytes.HasPrefix(data, []byte("WHY")) {
		_, err := profilefile.ParseV1(data)
		if err == nil {
			err = fmt.Errorf("whylogs: unrecognised profile: %w", profilefile.ErrNotProfile)
		}
		return nil, profilefile.FormatUnknown, err
	}
	if len(data) == 0 {
		return nil, profilefile.FormatUnknown, fmt.Errorf("whylogs: empty input: %w", profilefile.ErrNotProfile)
	}
	if _, err := profilefile.ParseV0(data); err != nil {
		return nil, profilefile.FormatUnknown, fmt.Errorf("whylogs: no %q magic (not v1) and not a v0 profile: %w", profilefile.Magic, err)
	}
	return nil, profilefile.FormatUnknown, fmt.Errorf("whylogs: no %q magic (not v1) and no v0 profile fields: %w", profilefile.Magic, profilefile.ErrNotProfile)
}

// ReadFile reads the named file with Read. Errors start with the path.
func ReadFile(path string) (*profiler.DatasetProfile, profilefile.Format, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, profilefile.FormatUnknown, err // *PathError names the file
	}
	p, f, err := Read(data)
	if err != nil {
		return nil, f, fmt.Errorf("%s: %w", path, err)
	}
	return p, f, nil
}
