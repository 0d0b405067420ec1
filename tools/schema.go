package tools

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
)

var (
	timeType          = reflect.TypeFor[time.Time]()
	urlType           = reflect.TypeFor[url.URL]()
	ipType            = reflect.TypeFor[net.IP]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	schemaSelfType    = reflect.TypeFor[interface{ JSONSchema() *jsonschema.Schema }]()
	schemaAliasType   = reflect.TypeFor[interface{ JSONSchemaAlias() any }]()
)

// reflectSchema generates the JSON Schema of the struct type t and returns
// it as JSON text. Nested types are expanded in place, pointers and
// omitempty/omitzero fields are optional, and the schema carries no $id.
func reflectSchema(t reflect.Type) (doc []byte, err error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("input type %s must be a struct: tool parameters are a JSON object", t)
	}
	if err := checkType(t, t.Name(), nil); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, fmt.Errorf("reflecting %s: %v", t, p)
		}
	}()
	r := &jsonschema.Reflector{
		DoNotReference: true,
		ExpandedStruct: true,
		Anonymous:      true,
	}
	s := r.ReflectFromType(t)
	s.Definitions = nil
	s.Version = ""
	relaxPointers(t, s)
	doc, err = json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding the schema of %s: %w", t, err)
	}
	return doc, nil
}

// checkType rejects types that have no JSON Schema or that cannot be
// expanded without $ref. path names the field being checked, for the error;
// stack holds the struct types being expanded, to catch recursion.
func checkType(t reflect.Type, path string, stack []reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType || t == urlType || t == ipType || t == rawMessageType {
		return nil
	}
	// Types describing themselves are taken at their word.
	if t.Implements(schemaSelfType) || reflect.PointerTo(t).Implements(schemaSelfType) ||
		t.Implements(schemaAliasType) || reflect.PointerTo(t).Implements(schemaAliasType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return fmt.Errorf("field %s: JSON cannot be decoded into interface type %s; use a concrete type or any", path, t)
		}
		return nil
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return nil
	case reflect.Slice, reflect.Array:
		return checkType(t.Elem(), path+"[]", stack)
	case reflect.Map:
		switch t.Key().Kind() {
		case reflect.String,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		default:
			if !reflect.PointerTo(t.Key()).Implements(textMarshalerType) && !t.Key().Implements(textMarshalerType) {
				return fmt.Errorf("field %s: map key type %s cannot be a JSON object key", path, t.Key())
			}
		}
		return checkType(t.Elem(), path+"[key]", stack)
	case reflect.Struct:
		if slices.Contains(stack, t) {
			return fmt.Errorf("field %s: recursive type %s cannot be described without $ref", path, t)
		}
		stack = append(stack, t)
		for i := range t.NumField() {
			f := t.Field(i)
			name, embedded, ok := jsonFieldName(f)
			if !ok {
				continue
			}
			p := path + "." + name
			if embedded {
				p = path
			}
			if err := checkType(f.Type, p, stack); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("field %s: type %s has no JSON representation", path, t)
	}
}

// jsonFieldName returns the JSON name of struct field f as encoding/json
// sees it, whether the field is an embedded struct whose fields are
// promoted, and whether the field takes part in JSON at all.
func jsonFieldName(f reflect.StructField) (name string, embedded, ok bool) {
	tag := f.Tag.Get("json")
	if tag == "-" || strings.HasPrefix(f.Tag.Get("jsonschema"), "-") {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if f.Anonymous && name == "" {
		t := f.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Struct {
			return "", true, true
		}
	}
	if slices.Contains(strings.Split(opts, ","), "inline") {
		return "", true, true
	}
	if !f.IsExported() {
		return "", false, false
	}
	if name == "" {
		name = f.Name
	}
	return name, false, true
}

// relaxPointers walks the Go type next to its generated schema. It removes
// pointer fields from the required lists (in Go a nil pointer is an absent
// value, so the model may leave such a field out) and bounds sized and
// unsigned integers to their Go range.
func relaxPointers(t reflect.Type, s *jsonschema.Schema) {
	if s == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType || t == urlType || t == ipType || t == rawMessageType ||
		t.Implements(schemaSelfType) || reflect.PointerTo(t).Implements(schemaSelfType) ||
		t.Implements(schemaAliasType) || reflect.PointerTo(t).Implements(schemaAliasType) {
		return
	}
	switch t.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if s.Type == "integer" {
			boundInteger(t, s)
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && s.Type == "string" {
			return // []byte is base64 text
		}
		relaxPointers(t.Elem(), s.Items)
	case reflect.Map:
		if s.AdditionalProperties != nil {
			relaxPointers(t.Elem(), s.AdditionalProperties)
		}
		for _, ps := range s.PatternProperties {
			relaxPointers(t.Elem(), ps)
		}
	case reflect.Struct:
		relaxStructFields(t, s)
	}
}

// boundInteger adds the range of a sized or unsigned Go integer type to its
// schema, unless a bound is already given, so that out-of-range numbers are
// reported by validation with their exact path.
func boundInteger(t reflect.Type, s *jsonschema.Schema) {
	var lo, hi string
	switch t.Kind() {
	case reflect.Int8:
		lo, hi = strconv.Itoa(math.MinInt8), strconv.Itoa(math.MaxInt8)
	case reflect.Int16:
		lo, hi = strconv.Itoa(math.MinInt16), strconv.Itoa(math.MaxInt16)
	case reflect.Int32:
		lo, hi = strconv.Itoa(math.MinInt32), strconv.Itoa(math.MaxInt32)
	case reflect.Uint8:
		lo, hi = "0", strconv.Itoa(math.MaxUint8)
	case reflect.Uint16:
		lo, hi = "0", strconv.Itoa(math.MaxUint16)
	case reflect.Uint32:
		lo, hi = "0", strconv.FormatUint(math.MaxUint32, 10)
	default:
		lo = "0"
	}
	if s.Minimum == "" && s.ExclusiveMinimum == "" {
		s.Minimum = json.Number(lo)
	}
	if hi != "" && s.Maximum == "" && s.ExclusiveMaximum == "" {
		s.Maximum = json.Number(hi)
	}
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func relaxStructFields(t reflect.Type, s *jsonschema.Schema) {
	if s.Properties == nil {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, embedded, ok := jsonFieldName(f)
		if !ok {
			continue
		}
		if embedded {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			relaxStructFields(et, s)
			continue
		}
		if f.Type.Kind() == reflect.Pointer && !slices.Contains(strings.Split(f.Tag.Get("jsonschema"), ","), "required") {
			s.Required = slices.DeleteFunc(s.Required, func(r string) bool { return r == name })
		}
		prop, ok := s.Properties.Get(name)
		if !ok {
			continue
		}
		// A nullable field is wrapped in oneOf [field, null].
		if len(prop.OneOf) == 2 && prop.OneOf[1].Type == "null" {
			prop = prop.OneOf[0]
		}
		// The reflector clears the description a type gives itself through
		// JSONSchema(); restore it unless the field has its own.
		if ft := derefType(f.Type); prop.Description == "" && ft.Implements(schemaSelfType) {
			if self, ok := reflect.New(ft).Interface().(interface{ JSONSchema() *jsonschema.Schema }); ok {
				if own := self.JSONSchema(); own != nil {
					prop.Description = own.Description
				}
			}
		}
		relaxPointers(f.Type, prop)
	}
	if len(s.Required) == 0 {
		s.Required = nil
	}
}
