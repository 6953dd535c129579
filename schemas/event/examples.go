package event

import _ "embed"

// OrderSchema is the Avro schema of the example e-commerce order event
// (examples/order.avsc): event_id, ts (timestamp-millis), country, device
// (enum), price, quantity, nullable discount/coupon/express/comment, is_gift,
// a nested customer record with a nullable nested address, an array of line
// items and a map of attributes.
//
//go:embed examples/order.avsc
var OrderSchema string

// OrderFlatSchema is the flat 12-field order event (examples/order_flat.avsc)
// used by the benchmarks.
//
//go:embed examples/order_flat.avsc
var OrderFlatSchema string
