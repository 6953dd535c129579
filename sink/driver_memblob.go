package sink

// Registers the mem:// URL scheme with gocloud.dev/blob for OpenBlob.
import _ "gocloud.dev/blob/memblob"
