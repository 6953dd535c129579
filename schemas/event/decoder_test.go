package event

import (
	"context"
	"strings"
	"testing"
)

func TestDecoderInterface(t *testing.T) {
	jd, _ := NewJSONDecoder(JSONOptions{EventTimeField: "ts"})
	src, _ := NewFixedSchema(OrderFlatSchema)
	ad, _ := NewAvroDecoder(src, AvroOptions{EventTimeField: "ts"})
	inputs := map[string][]byte{"json": []byte(benchJSON), "avro": encode(t, OrderFlatSchema, flatOrder())}
	for name, d := range map[string]Decoder{"json": jd, "avro": ad} {
		var r rec
		raw, err := d.DecodeValue(context.Background(), inputs[name], &r)
		if err != nil || raw.Int != 1764142800123 || len(r.out) != 12 || !strings.HasPrefix(r.out[0], "event_id=str:") {
			t.Errorf("%s: %v %+v %v", name, r.out, raw, err)
		}
	}
}
