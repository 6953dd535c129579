package profiler

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
)

// Update logs one value of any Go type, routed as whylogs routes the Python
// value it corresponds to (core/preprocessing.py); the package documentation
// has the table. The common types are switched on directly; named types,
// pointers, slices, arrays, maps and structs go through reflection.
func (c *Column) Update(v any) {
	switch x := v.(type) {
	case nil:
		c.UpdateNull()
	case bool:
		c.UpdateBool(x)
	case int:
		c.UpdateInt64(int64(x))
	case int64:
		c.UpdateInt64(x)
	case int32:
		c.UpdateInt64(int64(x))
	case int16:
		c.UpdateInt64(int64(x))
	case int8:
		c.UpdateInt64(int64(x))
	case uint:
		c.UpdateUint64(uint64(x))
	case uint64:
		c.UpdateUint64(x)
	case uint32:
		c.UpdateInt64(int64(x))
	case uint16:
		c.UpdateInt64(int64(x))
	case uint8:
		c.UpdateInt64(int64(x))
	case uintptr:
		c.UpdateUint64(uint64(x))
	case float64:
		c.UpdateFloat64(x)
	case float32:
		c.UpdateFloat64(float64(x))
	case string:
		c.UpdateString(x)
	case []byte:
		c.UpdateObject() // Python bytes are objects
	case time.Time:
		c.UpdateObject() // Python datetime is an object
	case json.Number:
		c.updateJSONNumber(x)
	case *big.Int:
		c.updateBigInt(x)
	case *big.Float:
		if x == nil {
			c.UpdateNull()
			return
		}
		f, _ := x.Float64()
		c.UpdateFloat64(f) // like Python's Decimal: a fractional value
	case *big.Rat:
		if x == nil {
			c.UpdateNull()
			return
		}
		f, _ := x.Float64()
		c.UpdateFloat64(f)
	default:
		c.updateReflect(reflect.ValueOf(v), 0)
	}
}

// updateJSONNumber logs a JSON number the way Python's json module would have
// decoded it: an int when it is an integer literal, else a float.
func (c *Column) updateJSONNumber(n json.Number) {
	s := string(n)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		c.UpdateInt64(i)
		return
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		c.UpdateUint64(u)
		return
	}
	if b, ok := new(big.Int).SetString(s, 10); ok {
		c.updateBigInt(b)
		return
	}
	f, err := strconv.ParseFloat(s, 64)
	if err == nil || errors.Is(err, strconv.ErrRange) {
		c.UpdateFloat64(f) // out of range parses to ±Inf, as Python's float()
		return
	}
	c.UpdateString(s)
}

// updateBigInt logs an arbitrary-precision integer: exact when it fits int64 or
// uint64, else as a huge integer (float64 for the sketches, ints saturated).
func (c *Column) updateBigInt(b *big.Int) {
	switch {
	case b == nil:
		c.UpdateNull()
	case b.IsInt64():
		c.UpdateInt64(b.Int64())
	case b.IsUint64():
		c.UpdateUint64(b.Uint64())
	default:
		if c.typ == TypeUnknown {
			c.resolve(TypeIntegral)
		}
		f, _ := new(big.Float).SetInt(b).Float64()
		c.m.updateHugeInt(f, b.String())
	}
}

const maxReflectDepth = 16

var jsonNumberType = reflect.TypeFor[json.Number]()

func (c *Column) updateReflect(rv reflect.Value, depth int) {
	switch rv.Kind() {
	case reflect.Invalid:
		c.UpdateNull()
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			c.UpdateNull()
			return
		}
		if depth >= maxReflectDepth {
			c.UpdateObject()
			return
		}
		e := rv.Elem()
		if e.CanInterface() {
			switch x := e.Interface().(type) {
			case time.Time:
				c.UpdateObject()
				return
			case json.Number:
				c.updateJSONNumber(x)
				return
			}
			if e.CanAddr() {
				switch x := e.Addr().Interface().(type) {
				case *big.Int:
					c.updateBigInt(x)
					return
				case *big.Float, *big.Rat:
					c.Update(x)
					return
				}
			}
		}
		c.updateReflect(e, depth+1)
	case reflect.Bool:
		c.UpdateBool(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.UpdateInt64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		c.UpdateUint64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		c.UpdateFloat64(rv.Float())
	case reflect.String:
		c.UpdateString(rv.String())
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			c.UpdateNull()
			return
		}
		if isTensor(rv) {
			c.UpdateTensor()
		} else {
			c.UpdateObject()
		}
	case reflect.Map:
		if rv.IsNil() {
			c.UpdateNull()
			return
		}
		c.UpdateObject()
	default:
		// Complex numbers (Python complex is neither int nor float), structs,
		// channels, functions.
		c.UpdateObject()
	}
}

// isTensor reports whether v is what whylogs' _is_tensorable accepts:
// np.asarray(v) has at least one dimension, every dimension > 0 and a numeric
// dtype. That is a rectangular nested list whose leaves are numbers (ints,
// floats or complex, possibly mixed with bools, which numpy upcasts). Byte
// slices are bytes objects, not lists, so they are never tensors.
func isTensor(v reflect.Value) bool {
	shape, numeric, ok := tensorShape(v, 0)
	if !ok || !numeric || len(shape) == 0 {
		return false
	}
	for _, d := range shape {
		if d <= 0 {
			return false
		}
	}
	return true
}

// tensorShape returns the shape of v if it is a rectangular nested list of
// numbers or bools; numeric reports whether any leaf is a non-bool number.
func tensorShape(v reflect.Value, depth int) (shape []int, numeric, ok bool) {
	if depth > maxReflectDepth {
		return nil, false, false
	}
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, false, false // None in a list makes an object array
		}
		v = v.Elem()
	}
	if v.Type() == jsonNumberType {
		// A JSON list of numbers decodes to a Python list of int/float.
		_, err := strconv.ParseFloat(v.String(), 64)
		return nil, err == nil, err == nil
	}
	switch v.Kind() {
	case reflect.Bool:
		return nil, false, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return nil, true, true
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil, false, false // bytes
		}
		n := v.Len()
		if n == 0 {
			return []int{0}, false, true
		}
		var inner []int
		for i := 0; i < n; i++ {
			s, num, ok := tensorShape(v.Index(i), depth+1)
			if !ok {
				return nil, false, false
			}
			if i == 0 {
				inner = s
			} else if !equalInts(inner, s) {
				return nil, false, false // ragged
			}
			numeric = numeric || num
		}
		return append([]int{n}, inner...), numeric, true
	}
	return nil, false, false
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// updateHugeInt handles an integer outside int64: an integer for the counters,
// f for the distribution and cardinality, its exact decimal string for the
// frequent items, and ints/max (or ints/min) saturated.
func (m *metricSet) updateHugeInt(f float64, dec string) {
	m.counts.n++
	m.types.integral++
	if m.has&hasDist != 0 {
		m.dist.add(f)
	}
	if m.has&hasInts != 0 {
		if f > 0 {
			m.ints.max = math.MaxInt64
			m.ints.min = min(m.ints.min, math.MaxInt64)
		} else {
			m.ints.min = math.MinInt64
			m.ints.max = max(m.ints.max, math.MinInt64)
		}
	}
	if m.card != nil {
		m.card.UpdateFloat64(f)
	}
	if m.fi.fs != nil {
		m.fi.fs.Update(dec)
	}
}
