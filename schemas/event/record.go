package event

import "math"

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
type Record struct {
	vals  []slot
	arena []byte
}

// slot is one buffered update, half the size of a Value: bits holds the
// integer, the float's bits, or a string's arena span (start<<32 | end).
type slot struct {
	col  string
	kind ValueKind
	b    bool
	bits uint64
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
	x := &r.vals[i]
	v := Value{Col: x.col, Kind: x.kind}
	switch x.kind {
	case BoolValue:
		v.Bool = x.b
	case IntValue:
		v.Int = int64(x.bits)
	case FloatValue:
		v.Float = math.Float64frombits(x.bits)
	case StringValue:
		v.Str = r.str(x.bits)
	}
	return v
}

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
	i := len(r.vals) - 1
	for i >= 0 && r.vals[i].col != col {
		i--
	}
	return i
}

// Replay calls v for every buffered update in record order.
func (r *Record) Replay(v Visitor) {
	for i := range r.vals {
		x := &r.vals[i]
		switch x.kind {
		case NullValue:
			v.Null(x.col)
		case BoolValue:
			v.Bool(x.col, x.b)
		case IntValue:
			v.Int(x.col, int64(x.bits))
		case FloatValue:
			v.Float(x.col, math.Float64frombits(x.bits))
		case StringValue:
			v.String(x.col, r.str(x.bits))
		case ObjectValue:
			v.Object(x.col)
		}
	}
}

func (r *Record) Null(col string) { r.vals = append(r.vals, slot{col: col, kind: NullValue}) }
func (r *Record) Bool(col string, v bool) {
	r.vals = append(r.vals, slot{col: col, kind: BoolValue, b: v})
}
func (r *Record) Int(col string, v int64) {
	r.vals = append(r.vals, slot{col: col, kind: IntValue, bits: uint64(v)})
}
func (r *Record) Float(col string, v float64) {
	r.vals = append(r.vals, slot{col: col, kind: FloatValue, bits: math.Float64bits(v)})
}
func (r *Record) Object(col string) { r.vals = append(r.vals, slot{col: col, kind: ObjectValue}) }

// String copies v into the record's arena.
func (r *Record) String(col string, v []byte) {
	start := uint64(len(r.arena))
	r.arena = append(r.arena, v...)
	r.vals = append(r.vals, slot{col: col, kind: StringValue, bits: start<<32 | uint64(len(r.arena))})
}

var _ Visitor = (*Record)(nil)
