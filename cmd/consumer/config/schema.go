package config

import (
	"reflect"
	"strconv"
	"strings"
)

// This file walks the configuration types by reflection. The struct tags
// (see types.go) are the one description of every field; the decoder, the
// environment and flag overrides, the defaults, Reference and Example all
// derive from them.

// EnvPrefix starts every environment variable that overrides a field.
const EnvPrefix = "KPROFILER_"

// EnvConfig names the configuration file when no --config flag is given.
const EnvConfig = EnvPrefix + "CONFIG"

type leafKind int

const (
	kindNode    leafKind = iota // a struct or a list of structs: not a leaf
	kindScalar                  // string, bool, integer, Duration, ByteSize, StartPosition, Secret
	kindList                    // []string
	kindMap                     // map[string]string
	kindMapList                 // []map[string]string
)

var (
	durationType = reflect.TypeFor[Duration]()
	byteSizeType = reflect.TypeFor[ByteSize]()
	startType    = reflect.TypeFor[StartPosition]()
	secretType   = reflect.TypeFor[Secret]()
	stringsType  = reflect.TypeFor[[]string]()
	mapType      = reflect.TypeFor[map[string]string]()
	mapListType  = reflect.TypeFor[[]map[string]string]()
)

func kindOf(t reflect.Type) leafKind {
	switch t {
	case durationType, byteSizeType, startType, secretType:
		return kindScalar
	case stringsType:
		return kindList
	case mapType:
		return kindMap
	case mapListType:
		return kindMapList
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
		return kindScalar
	}
	return kindNode
}

// field is one YAML key of a struct, with inline structs flattened.
type field struct {
	name  string
	index []int
	typ   reflect.Type
	tag   reflect.StructTag
}

func (f field) kind() leafKind { return kindOf(f.typ) }

// hasDefault reports whether the field has a constant default.
func (f field) hasDefault() bool {
	_, ok := f.tag.Lookup("default")
	return ok
}

// enum returns the allowed values, or nil.
func (f field) enum() []string {
	e := f.tag.Get("enum")
	if e == "" {
		return nil
	}
	return strings.Split(e, "|")
}

// fields lists the YAML keys of struct type t in declaration order.
func fields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if opts == "inline" {
			for _, sub := range fields(sf.Type) {
				sub.index = append([]int{i}, sub.index...)
				out = append(out, sub)
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		out = append(out, field{name: name, index: []int{i}, typ: sf.Type, tag: sf.Tag})
	}
	return out
}

func fieldByName(t reflect.Type, name string) (field, bool) {
	for _, f := range fields(t) {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// envName derives the environment variable of a display path:
// "datasets[1].rotation" → "KPROFILER_DATASETS_1_ROTATION". In the reference
// the list index is written "<i>".
func envName(path string) string {
	r := strings.NewReplacer(".", "_", "[", "_", "]", "")
	return EnvPrefix + strings.ToUpper(r.Replace(path))
}

// leaf is one leaf field found by walkLeaves.
type leaf struct {
	path  string // display path; list elements as "[]" ("datasets[].rotation")
	env   string // KPROFILER_… with "<i>" for list indices
	f     field
	index []int // from the Config root; nil inside lists
}

// walkLeaves lists every leaf of t, depth first in declaration order.
func walkLeaves(t reflect.Type) []leaf {
	var out []leaf
	var walk func(t reflect.Type, path, env string, index []int)
	walk = func(t reflect.Type, path, env string, index []int) {
		for _, f := range fields(t) {
			p := joinPath(path, f.name)
			e := env + "_" + strings.ToUpper(f.name)
			if env == "" {
				e = EnvPrefix + strings.ToUpper(f.name)
			}
			var idx []int
			if index != nil {
				idx = append(append([]int{}, index...), f.index...)
			}
			switch {
			case f.kind() != kindNode:
				out = append(out, leaf{path: p, env: e, f: f, index: idx})
			case f.typ.Kind() == reflect.Struct:
				walk(f.typ, p, e, idx)
			case f.typ.Kind() == reflect.Slice && f.typ.Elem().Kind() == reflect.Struct:
				walk(f.typ.Elem(), p+"[]", e+"_<i>", nil)
			}
		}
	}
	walk(t, "", "", []int{})
	return out
}
