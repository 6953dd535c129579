//go:build !kprofiler_nos3

package sink

// Registers the s3:// URL scheme for OpenBlob. Build with -tags kprofiler_nos3
// to leave the AWS SDK out of the binary.
import _ "gocloud.dev/blob/s3blob"
