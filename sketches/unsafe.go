package sketches

import "unsafe"

// stringBytes returns the bytes of s without copying. The result must never be
// written to.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
