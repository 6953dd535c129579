package event

import "context"

// Decoder is the format-independent view of JSONDecoder and AvroDecoder, for
// callers (the pipeline) that pick the format from configuration. Like the
// decoders themselves, a Decoder is not safe for concurrent use.
type Decoder interface {
	// DecodeValue decodes one Kafka record value into v and returns the
	// raw event-time value; see JSONDecoder.Decode and AvroDecoder.Decode.
	DecodeValue(ctx context.Context, value []byte, v Visitor) (RawTime, error)
}

// DecodeValue calls Decode; ctx is unused (JSON needs no schema lookup).
func (d *JSONDecoder) DecodeValue(_ context.Context, value []byte, v Visitor) (RawTime, error) {
	return d.Decode(value, v)
}

// DecodeValue calls Decode.
func (d *AvroDecoder) DecodeValue(ctx context.Context, value []byte, v Visitor) (RawTime, error) {
	return d.Decode(ctx, value, v)
}

var (
	_ Decoder = (*JSONDecoder)(nil)
	_ Decoder = (*AvroDecoder)(nil)
)
