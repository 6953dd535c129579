package event_test

import (
	"context"
	"fmt"

	"github.com/kprofiler/kprofiler/schemas/event"
)

// printer is a Visitor that prints every column update.
type printer struct{}

func (printer) Null(col string)             { fmt.Printf("%s: null\n", col) }
func (printer) Bool(col string, v bool)     { fmt.Printf("%s: bool %v\n", col, v) }
func (printer) Int(col string, v int64)     { fmt.Printf("%s: int %d\n", col, v) }
func (printer) Float(col string, v float64) { fmt.Printf("%s: float %g\n", col, v) }
func (printer) String(col string, v []byte) { fmt.Printf("%s: string %q\n", col, v) }
func (printer) Object(col string)           { fmt.Printf("%s: object\n", col) }

func ExampleJSONDecoder() {
	dec, err := event.NewJSONDecoder(event.JSONOptions{EventTimeField: "ts", Exclude: []string{"debug"}})
	if err != nil {
		panic(err)
	}
	raw, err := dec.Decode([]byte(`{"ts":"2026-11-26T07:40:00Z","user":{"id":7,"tags":["a"]},"price":9.5,"debug":true}`), printer{})
	if err != nil {
		panic(err)
	}
	t, err := event.ParseEventTime(raw, event.TimeAuto)
	fmt.Println(t, err)
	// Output:
	// ts: string "2026-11-26T07:40:00Z"
	// user.id: int 7
	// user.tags: object
	// price: float 9.5
	// 2026-11-26 07:40:00 +0000 UTC <nil>
}

func ExampleAvroDecoder() {
	src, err := event.NewFixedSchema(`{"type":"record","name":"E","fields":[
		{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"country","type":["null","string"]}]}`)
	if err != nil {
		panic(err)
	}
	dec, err := event.NewAvroDecoder(src, event.AvroOptions{EventTimeField: "ts"})
	if err != nil {
		panic(err)
	}
	// ts = 1764142800000 (zig-zag varint), country = union branch 1, "DE".
	payload := []byte{0x80, 0xf2, 0xd6, 0xf1, 0xd7, 0x66, 0x02, 0x04, 'D', 'E'}
	raw, err := dec.Decode(context.Background(), payload, printer{})
	if err != nil {
		panic(err)
	}
	t, err := event.ParseEventTime(raw, event.TimeAuto)
	fmt.Println(t, err)
	// Output:
	// ts: int 1764142800000
	// country: string "DE"
	// 2025-11-26 07:40:00 +0000 UTC <nil>
}
