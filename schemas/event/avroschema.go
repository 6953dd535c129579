package event

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/linkedin/goavro/v2"
)

type avroKind uint8

const (
	akNull avroKind = iota + 1
	akBoolean
	akInt
	akLong
	akFloat
	akDouble
	akBytes
	akString
	akRecord
	akEnum
	akArray
	akMap
	akUnion
	akFixed
)

// avroType is the parsed form of an Avro schema. Named types are shared by
// pointer, so recursive schemas form cycles.
type avroType struct {
	kind     avroKind
	name     string // full name of records, enums and fixed
	fields   []avroField
	symbols  []string
	size     int
	items    *avroType // array items, map values
	branches []*avroType
	logical  string
	scale    int
}

type avroField struct {
	name string
	typ  *avroType
}

// AvroSchema is a writer schema: validated by goavro (which also serves as
// the reference decoder in tests), then parsed into the form the
// schema-driven walker is compiled from. The walker is compiled from the
// schema as written, not from its Parsing Canonical Form, because the
// canonical form drops logicalType (timestamp units, decimal scale); the
// binary layout is the same either way. It is immutable and safe for
// concurrent use.
type AvroSchema struct {
	id    uint32
	text  string
	codec *goavro.Codec
	root  *avroType
}

// ID is the schema registry id (0 for a fixed schema).
func (s *AvroSchema) ID() uint32 { return s.id }

// Text is the schema text as given.
func (s *AvroSchema) Text() string { return s.text }

// Codec is the goavro codec that validated the schema.
func (s *AvroSchema) Codec() *goavro.Codec { return s.codec }

// maxSchemaTypes bounds the parsed size of a schema (defence against
// pathological registry content).
const maxSchemaTypes = 1 << 16

// ParseAvroSchema validates text with goavro and parses it. Errors are
// *Error of KindUnknownSchema (an unusable schema cannot be retried into
// usefulness).
func ParseAvroSchema(text string) (*AvroSchema, error) {
	return parseAvroSchema(0, text)
}

func parseAvroSchema(id uint32, text string) (*AvroSchema, error) {
	codec, err := goavro.NewCodec(text)
	if err != nil {
		return nil, &Error{Kind: KindUnknownSchema, Format: "avro", Offset: -1,
			Msg: fmt.Sprintf("schema id %d: invalid Avro schema", id), Err: err}
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, &Error{Kind: KindUnknownSchema, Format: "avro", Offset: -1,
			Msg: fmt.Sprintf("schema id %d: schema is not JSON", id), Err: err}
	}
	p := schemaParser{named: map[string]*avroType{}}
	root, err := p.parse(v, "")
	if err != nil {
		return nil, &Error{Kind: KindUnknownSchema, Format: "avro", Offset: -1,
			Msg: fmt.Sprintf("schema id %d: %v", id, err)}
	}
	return &AvroSchema{id: id, text: text, codec: codec, root: root}, nil
}

type schemaParser struct {
	named map[string]*avroType
	count int
}

var primitives = map[string]avroKind{
	"null": akNull, "boolean": akBoolean, "int": akInt, "long": akLong,
	"float": akFloat, "double": akDouble, "bytes": akBytes, "string": akString,
}

func fullName(name, ns string) string {
	if strings.Contains(name, ".") || ns == "" {
		return name
	}
	return ns + "." + name
}

func (p *schemaParser) lookup(name, ns string) (*avroType, error) {
	if t, ok := p.named[fullName(name, ns)]; ok {
		return t, nil
	}
	if t, ok := p.named[name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("unknown type name %q", name)
}

func (p *schemaParser) parse(v any, ns string) (*avroType, error) {
	p.count++
	if p.count > maxSchemaTypes {
		return nil, fmt.Errorf("schema too large")
	}
	switch s := v.(type) {
	case string:
		if k, ok := primitives[s]; ok {
			return &avroType{kind: k}, nil
		}
		return p.lookup(s, ns)
	case []any:
		t := &avroType{kind: akUnion}
		for _, b := range s {
			bt, err := p.parse(b, ns)
			if err != nil {
				return nil, err
			}
			t.branches = append(t.branches, bt)
		}
		if len(t.branches) == 0 {
			return nil, fmt.Errorf("empty union")
		}
		return t, nil
	case map[string]any:
		return p.parseMap(s, ns)
	}
	return nil, fmt.Errorf("unexpected schema JSON %T", v)
}

func (p *schemaParser) parseMap(m map[string]any, ns string) (*avroType, error) {
	typ := m["type"]
	ts, ok := typ.(string)
	if !ok {
		// {"type": {...}} or {"type": [...]}: the inner schema.
		return p.parse(typ, ns)
	}
	logical, _ := m["logicalType"].(string)
	if k, ok := primitives[ts]; ok {
		t := &avroType{kind: k, logical: logical}
		if logical == "decimal" && k == akBytes {
			t.scale = intAttr(m, "scale")
		}
		return t, nil
	}
	named := func(k avroKind) (*avroType, string, error) {
		name, _ := m["name"].(string)
		if name == "" {
			return nil, "", fmt.Errorf("%s without a name", ts)
		}
		space := ns
		if nsv, ok := m["namespace"].(string); ok {
			space = nsv
		}
		full := fullName(name, space)
		if i := strings.LastIndexByte(full, '.'); i >= 0 {
			space = full[:i]
		} else {
			space = ""
		}
		t := &avroType{kind: k, name: full, logical: logical}
		p.named[full] = t
		return t, space, nil
	}
	switch ts {
	case "record", "error":
		t, space, err := named(akRecord)
		if err != nil {
			return nil, err
		}
		fields, _ := m["fields"].([]any)
		for _, f := range fields {
			fm, ok := f.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("record %s: field is not an object", t.name)
			}
			fname, _ := fm["name"].(string)
			ft, err := p.parse(fm["type"], space)
			if err != nil {
				return nil, fmt.Errorf("record %s field %s: %w", t.name, fname, err)
			}
			t.fields = append(t.fields, avroField{name: fname, typ: ft})
		}
		return t, nil
	case "enum":
		t, _, err := named(akEnum)
		if err != nil {
			return nil, err
		}
		syms, _ := m["symbols"].([]any)
		for _, s := range syms {
			str, _ := s.(string)
			t.symbols = append(t.symbols, str)
		}
		return t, nil
	case "fixed":
		t, _, err := named(akFixed)
		if err != nil {
			return nil, err
		}
		t.size = intAttr(m, "size")
		if t.size < 0 {
			return nil, fmt.Errorf("fixed %s: negative size", t.name)
		}
		if logical == "decimal" {
			t.scale = intAttr(m, "scale")
		}
		return t, nil
	case "array", "map":
		k, key := akArray, "items"
		if ts == "map" {
			k, key = akMap, "values"
		}
		it, err := p.parse(m[key], ns)
		if err != nil {
			return nil, err
		}
		return &avroType{kind: k, items: it}, nil
	}
	// A reference to a named type, written as {"type": "Name"}.
	return p.lookup(ts, ns)
}

func intAttr(m map[string]any, k string) int {
	f, _ := m[k].(float64)
	if f < 0 || f > 1<<30 {
		return -1
	}
	return int(f)
}
