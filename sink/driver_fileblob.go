package sink

// Registers the file:// URL scheme with gocloud.dev/blob for OpenBlob.
import _ "gocloud.dev/blob/fileblob"
