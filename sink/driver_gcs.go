//go:build !kprofiler_nogcs

package sink

// Registers the gs:// URL scheme for OpenBlob. Build with -tags kprofiler_nogcs
// to leave the Google Cloud SDK out of the binary.
import _ "gocloud.dev/blob/gcsblob"
