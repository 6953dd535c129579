package event

import (
	"math"
	"unsafe"
)

// ValueKind is the kind of one buffered column update.
type ValueKind uint8

const (
	NullValue ValueKind = iota + 1
	BoolValue
	IntValue
	FloatValue
	StringValue
	ObjectValue
)

// Value is one buffered column update. Str aliases the Record's arena and is
// valid until the Record is reset.
type Value struct {
	Col   string
	Kind  ValueKind
	Bool  bool
	Int   int64
	Float float64
	Str   []byte
}

// Record is a Visitor that buffers the updates of one record so the caller
// can look at some fields (segment tags) before deciding where the record
// goes, then replay it into the right profile. Reuse one Record per worker:
// after the first records it allocates nothing. Not safe for concurrent use.
//
// Layout: the updates are pointer-free slots (kind and 64 value bits), so
// buffering one costs no GC write barrier and the GC never scans them. The
// column names live in a parallel table indexed by position that survives
// Reset: records of one stream report the same (interned) names in the same
// order, so a name is checked against the one stored at its position by the
// previous record by identity (same string data and length, through
// unsafe.StringData: a pointer comparison, no pointer arithmetic) and only
// stored when it is another string. The JSON decoder's Record loop
// (json_record.go) appends slots and names itself, stores names without
// the check, and makes strings spans of a copy of the whole input that it
// appends to the arena once per record; the arena is only valid until
// Reset either way.
type Record struct {
	vals []slot
	// cols[i] is the column of vals[i] for i < len(vals); entries beyond
	// are names left by earlier records (reused when they match).
	cols  []string
	arena []byte
}

// slot is one buffered update: bits holds the integer, the float's bits,
// the boolean (0 or 1), or a string's arena span (start<<32 | end).
type slot struct {
	bits uint64
	kind ValueKind
}

// Reset empties the record, keeping its memory.
func (r *Record) Reset() {
	r.vals = r.vals[:0]
	r.arena = r.arena[:0]
}

// Len returns the number of buffered updates.
func (r *Record) Len() int { return len(r.vals) }

// At returns the i-th update in record order.
func (r *Record) At(i int) Value {
	x := r.vals[i]
	v := Value{Col: r.cols[i], Kind: x.kind}
	switch x.kind {
	case BoolValue:
		v.Bool = x.bits != 0
	case IntValue:
		v.Int = int64(x.bits)
	case FloatValue:
		v.Float = math.Float64frombits(x.bits)
	case StringValue:
		v.Str = r.str(x.bits)
	}
	return v
}

// The accessors below read the i-th update (0 <= i < Len()) without
// building a Value or going through a Visitor: callers that replay records
// in a hot loop switch on KindAt and call the accessor of that kind. An
// accessor of another kind than the update's returns a meaningless value.

// KindAt returns the kind of the i-th update.
func (r *Record) KindAt(i int) ValueKind { return r.vals[i].kind }

// ColAt returns the column of the i-th update.
func (r *Record) ColAt(i int) string { return r.cols[:len(r.vals)][i] }

// BoolAt returns the value of the i-th update, a BoolValue.
func (r *Record) BoolAt(i int) bool { return r.vals[i].bits != 0 }

// IntAt returns the value of the i-th update, an IntValue.
func (r *Record) IntAt(i int) int64 { return int64(r.vals[i].bits) }

// FloatAt returns the value of the i-th update, a FloatValue.
func (r *Record) FloatAt(i int) float64 { return math.Float64frombits(r.vals[i].bits) }

// BytesAt returns the value of the i-th update, a StringValue; it aliases
// the record's arena and is valid until the record is reset.
func (r *Record) BytesAt(i int) []byte { return r.str(r.vals[i].bits) }

// str returns the arena bytes of a string span.
func (r *Record) str(span uint64) []byte {
	start, end := span>>32, span&(1<<32-1)
	return r.arena[start:end:end]
}

// Lookup returns the last update of column col (linear scan; records are
// small).
func (r *Record) Lookup(col string) (Value, bool) {
	if i := r.LastIndex(col); i >= 0 {
		return r.At(i), true
	}
	return Value{}, false
}

// LastIndex returns the position of the last update of column col, -1 when
// there is none.
func (r *Record) LastIndex(col string) int {
	cols := r.cols[:len(r.vals)]
	i := len(cols) - 1
	for i >= 0 && cols[i] != col {
		i--
	}
	return i
}

// Replay calls v for every buffered update in record order.
func (r *Record) Replay(v Visitor) {
	cols := r.cols[:len(r.vals)]
	for i, x := range r.vals {
		col := cols[i]
		switch x.kind {
		case NullValue:
			v.Null(col)
		case BoolValue:
			v.Bool(col, x.bits != 0)
		case IntValue:
			v.Int(col, int64(x.bits))
		case FloatValue:
			v.Float(col, math.Float64frombits(x.bits))
		case StringValue:
			v.String(col, r.str(x.bits))
		case ObjectValue:
			v.Object(col)
		}
	}
}

// add buffers one update.
func (r *Record) add(col string, kind ValueKind, bits uint64) {
	i := len(r.vals)
	r.vals = append(r.vals, slot{bits: bits, kind: kind})
	if i < len(r.cols) {
		// Interned names are the same string (pointer and length) as
		// the one stored by the previous record: an identity check, no
		// byte compare and no pointer write (no write barrier).
		if c := r.cols[i]; unsafe.StringData(c) != unsafe.StringData(col) || len(c) != len(col) {
			r.cols[i] = col
		}
		return
	}
	r.cols = append(r.cols, col)
}

func (r *Record) Null(col string) { r.add(col, NullValue, 0) }
func (r *Record) Bool(col string, v bool) {
	var b uint64
	if v {
		b = 1
	}
	r.add(col, BoolValue, b)
}
func (r *Record) Int(col string, v int64)     { r.add(col, IntValue, uint64(v)) }
func (r *Record) Float(col string, v float64) { r.add(col, FloatValue, math.Float64bits(v)) }
func (r *Record) Object(col string)           { r.add(col, ObjectValue, 0) }

// String copies v into the record's arena.
func (r *Record) String(col string, v []byte) {
	start := uint64(len(r.arena))
	r.arena = append(r.arena, v...)
	r.add(col, StringValue, start<<32|uint64(len(r.arena)))
}

var _ Visitor = (*Record)(nil)
