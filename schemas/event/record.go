package event

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
	vals  []Value
	arena []byte
	spans [][2]int // arena spans of string values, by index in vals
}

// Reset empties the record, keeping its memory.
func (r *Record) Reset() {
	r.vals = r.vals[:0]
	r.arena = r.arena[:0]
	r.spans = r.spans[:0]
}

// Len returns the number of buffered updates.
func (r *Record) Len() int { return len(r.vals) }

// At returns the i-th update in record order.
func (r *Record) At(i int) Value {
	v := r.vals[i]
	if v.Kind == StringValue {
		sp := r.spans[v.Int]
		v.Str, v.Int = r.arena[sp[0]:sp[1]:sp[1]], 0
	}
	return v
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
	for i >= 0 && r.vals[i].Col != col {
		i--
	}
	return i
}

// Replay calls v for every buffered update in record order.
func (r *Record) Replay(v Visitor) {
	for i := range r.vals {
		x := &r.vals[i]
		switch x.Kind {
		case NullValue:
			v.Null(x.Col)
		case BoolValue:
			v.Bool(x.Col, x.Bool)
		case IntValue:
			v.Int(x.Col, x.Int)
		case FloatValue:
			v.Float(x.Col, x.Float)
		case StringValue:
			sp := r.spans[x.Int]
			v.String(x.Col, r.arena[sp[0]:sp[1]:sp[1]])
		case ObjectValue:
			v.Object(x.Col)
		}
	}
}

func (r *Record) Null(col string) { r.vals = append(r.vals, Value{Col: col, Kind: NullValue}) }
func (r *Record) Bool(col string, v bool) {
	r.vals = append(r.vals, Value{Col: col, Kind: BoolValue, Bool: v})
}
func (r *Record) Int(col string, v int64) {
	r.vals = append(r.vals, Value{Col: col, Kind: IntValue, Int: v})
}
func (r *Record) Float(col string, v float64) {
	r.vals = append(r.vals, Value{Col: col, Kind: FloatValue, Float: v})
}
func (r *Record) Object(col string) { r.vals = append(r.vals, Value{Col: col, Kind: ObjectValue}) }

// String copies v into the record's arena.
func (r *Record) String(col string, v []byte) {
	start := len(r.arena)
	r.arena = append(r.arena, v...)
	r.spans = append(r.spans, [2]int{start, len(r.arena)})
	r.vals = append(r.vals, Value{Col: col, Kind: StringValue, Int: int64(len(r.spans) - 1)})
}

var _ Visitor = (*Record)(nil)
