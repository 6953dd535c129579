//go:build !kprofiler_noazure

package sink

// Registers the azblob:// URL scheme for OpenBlob. Build with -tags
// kprofiler_noazure to leave the Azure SDK out of the binary.
import _ "gocloud.dev/blob/azureblob"
