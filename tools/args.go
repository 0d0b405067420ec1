package tools

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the fast path of argument handling: one parse of the
// argument text into the tree the validator reads, and decoding of that
// same tree into the tool's input struct. Both report false, never an
// error, on anything they do not handle exactly as encoding/json would;
// the caller then takes the slow path (encoding/json on the text), which
// also words every error. A fast-path result is therefore always the one
// the slow path would have given.

// maxFastDepth bounds the nesting the fast parser follows; deeper
// documents take the slow path.
const maxFastDepth = 256

// parseArguments parses JSON text into the values encoding/json gives for
// an any (map[string]any, []any, string, bool, nil, float64), except that
// a whole number written without fraction or exponent and below 10^6 in
// magnitude is an int64. The validator reads both kinds alike (it compares
// numbers through their decimal text, which is the same for such a number
// in either type), and the int64 tells the decoder that the number is an
// exact integer literal. Strings are shared with text.
//
// It reports false for invalid JSON, numbers beyond float64, duplicate
// object keys and nesting deeper than maxFastDepth.
func parseArguments(text string) (any, bool) {
	p := argParser{s: text}
	p.space()
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.s)
}

type argParser struct {
	s string
	i int
}

func (p *argParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *argParser) value(depth int) (any, bool) {
	if p.i >= len(p.s) || depth > maxFastDepth {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, ok := p.str()
		return s, ok
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, false
}

func (p *argParser) literal(word string) bool {
	if strings.HasPrefix(p.s[p.i:], word) {
		p.i += len(word)
		return true
	}
	return false
}

func (p *argParser) object(depth int) (any, bool) {
	p.i++ // '{'
	m := make(map[string]any, 4)
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return m, true
	}
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, false
		}
		key, ok := p.str()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.space()
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		n := len(m)
		if m[key] = v; len(m) == n {
			return nil, false // a duplicate key
		}
		p.space()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.space()
		case '}':
			p.i++
			return m, true
		default:
			return nil, false
		}
	}
}

func (p *argParser) array(depth int) (any, bool) {
	p.i++ // '['
	a := []any{}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		p.space()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.space()
		case ']':
			p.i++
			return a, true
		default:
			return nil, false
		}
	}
}

// str parses a string. Plain strings are shared with the text; strings
// with escapes or invalid UTF-8 are decoded by encoding/json, which
// replaces bad sequences as it always does.
func (p *argParser) str() (string, bool) {
	start := p.i
	p.i++ // '"'
	escaped, ascii := false, true
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			raw := p.s[start+1 : p.i-1]
			if !escaped && (ascii || utf8.ValidString(raw)) {
				return raw, true
			}
			var out string
			if err := json.Unmarshal([]byte(p.s[start:p.i]), &out); err != nil {
				return "", false
			}
			return out, true
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return "", false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			p.i++
		}
	}
	return "", false
}

func (p *argParser) number() (any, bool) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		p.digits()
	default:
		return nil, false
	}
	whole := true
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return nil, false
		}
		whole = false
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return nil, false
		}
		whole = false
	}
	lit := p.s[start:p.i]
	// Six digits at most keeps the number below 10^6, where fmt prints a
	// float64 the same way as an int64; "-0" stays a float64 (it prints
	// as "-0").
	if digits := len(lit) - len("-")*b2i(lit[0] == '-'); whole && digits <= 6 && lit != "-0" {
		n, err := strconv.ParseInt(lit, 10, 64)
		return n, err == nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	return f, err == nil
}

func (p *argParser) digits() int {
	n := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// treeDecoder sets v, which is settable and holds its zero value or what
// earlier keys set, from x, a value of a tree from parseArguments. It
// reports false where encoding/json would fail or might act otherwise on
// the same JSON; v may then be partly set.
type treeDecoder func(v reflect.Value, x any) bool

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// newTreeDecoder returns the decoder of type t, or nil when t holds
// anything the fast path does not decode: types with their own
// unmarshaling (time.Time among them), embedded fields, the ",string"
// option, arrays, []byte, non-string map keys, interfaces with methods.
func newTreeDecoder(t reflect.Type) treeDecoder {
	return compileDecoder(t, map[reflect.Type]bool{})
}

func ownUnmarshaling(t reflect.Type) bool {
	return t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) ||
		t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)
}

func compileDecoder(t reflect.Type, busy map[reflect.Type]bool) treeDecoder {
	if busy[t] || ownUnmarshaling(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return decodeBool
	case reflect.String:
		return decodeString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return decodeInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return decodeUint
	case reflect.Float32:
		return decodeFloat32
	case reflect.Float64:
		return decodeFloat64
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return nil
		}
		return decodeAny
	case reflect.Pointer:
		busy[t] = true
		defer delete(busy, t)
		return pointerDecoder(t, compileDecoder(t.Elem(), busy))
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // []byte is base64 text
		}
		busy[t] = true
		defer delete(busy, t)
		return sliceDecoder(t, compileDecoder(t.Elem(), busy))
	case reflect.Map:
		if t.Key().Kind() != reflect.String || ownUnmarshaling(t.Key()) {
			return nil
		}
		busy[t] = true
		defer delete(busy, t)
		return mapDecoder(t, compileDecoder(t.Elem(), busy))
	case reflect.Struct:
		busy[t] = true
		defer delete(busy, t)
		return structDecoder(t, busy)
	}
	return nil
}

func decodeBool(v reflect.Value, x any) bool {
	switch x := x.(type) {
	case nil:
		return true
	case bool:
		v.SetBool(x)
		return true
	}
	return false
}

func decodeString(v reflect.Value, x any) bool {
	switch x := x.(type) {
	case nil:
		return true
	case string:
		v.SetString(x)
		return true
	}
	return false
}

// decodeInt takes exact integer literals only (int64 in the tree); a
// float64 may have been written with a fraction or exponent, which
// encoding/json refuses for integer fields, so it goes the slow way.
func decodeInt(v reflect.Value, x any) bool {
	switch x := x.(type) {
	case nil:
		return true
	case int64:
		if v.OverflowInt(x) {
			return false
		}
		v.SetInt(x)
		return true
	}
	return false
}

func decodeUint(v reflect.Value, x any) bool {
	switch x := x.(type) {
	case nil:
		return true
	case int64:
		if x < 0 || v.OverflowUint(uint64(x)) {
			return false
		}
		v.SetUint(uint64(x))
		return true
	}
	return false
}

func decodeFloat64(v reflect.Value, x any) bool {
	switch x := x.(type) {
	case nil:
		return true
	case int64:
		v.SetFloat(float64(x))
		return true
	case float64:
		v.SetFloat(x)
		return true
	}
	return false
}

// decodeFloat32 takes numbers a float32 holds exactly; encoding/json
// rounds the literal to float32 directly, which for those is the same.
func decodeFloat32(v reflect.Value, x any) bool {
	switch x := x.(type) {
	case nil:
		return true
	case int64:
		v.SetFloat(float64(x)) // below 10^6: exact in a float32
		return true
	case float64:
		if float64(float32(x)) != x {
			return false
		}
		v.SetFloat(x)
		return true
	}
	return false
}

// decodeAny gives an empty interface what encoding/json gives it: the
// tree with every number a float64. It converts the tree in place; the
// tree is not used after decoding.
func decodeAny(v reflect.Value, x any) bool {
	if x == nil {
		v.SetZero()
		return true
	}
	v.Set(reflect.ValueOf(floatNumbers(x)))
	return true
}

func floatNumbers(x any) any {
	switch x := x.(type) {
	case int64:
		return float64(x)
	case map[string]any:
		for k, e := range x {
			switch e.(type) {
			case int64, map[string]any, []any:
				x[k] = floatNumbers(e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = floatNumbers(e)
		}
	}
	return x
}

func pointerDecoder(t reflect.Type, elem treeDecoder) treeDecoder {
	if elem == nil {
		return nil
	}
	et := t.Elem()
	return func(v reflect.Value, x any) bool {
		if x == nil {
			v.SetZero()
			return true
		}
		if v.IsNil() {
			v.Set(reflect.New(et))
		}
		return elem(v.Elem(), x)
	}
}

func sliceDecoder(t reflect.Type, elem treeDecoder) treeDecoder {
	if elem == nil {
		return nil
	}
	return func(v reflect.Value, x any) bool {
		switch x := x.(type) {
		case nil:
			v.SetZero()
			return true
		case []any:
			s := reflect.MakeSlice(t, len(x), len(x))
			for i, e := range x {
				if !elem(s.Index(i), e) {
					return false
				}
			}
			v.Set(s)
			return true
		}
		return false
	}
}

func mapDecoder(t reflect.Type, elem treeDecoder) treeDecoder {
	if elem == nil {
		return nil
	}
	kt, et := t.Key(), t.Elem()
	return func(v reflect.Value, x any) bool {
		switch x := x.(type) {
		case nil:
			v.SetZero()
			return true
		case map[string]any:
			if v.IsNil() {
				v.Set(reflect.MakeMapWithSize(t, len(x)))
			}
			for k, e := range x {
				ev := reflect.New(et).Elem()
				if !elem(ev, e) {
					return false
				}
				v.SetMapIndex(reflect.ValueOf(k).Convert(kt), ev)
			}
			return true
		}
		return false
	}
}

type fieldDecoder struct {
	name   string
	index  int
	decode treeDecoder
}

// structDecoder matches object keys to fields by their exact JSON name; a
// key that names no field (encoding/json would try a case-insensitive
// match, or skip it) sends the call the slow way.
func structDecoder(t reflect.Type, busy map[reflect.Type]bool) treeDecoder {
	var fields []fieldDecoder
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !plainTagName(name) {
			return nil
		}
		if name == "" {
			name = f.Name
		}
		for opts != "" {
			var opt string
			opt, opts, _ = strings.Cut(opts, ",")
			if opt != "omitempty" && opt != "omitzero" {
				return nil
			}
		}
		for _, g := range fields {
			if g.name == name {
				return nil // encoding/json drops both
			}
		}
		dec := compileDecoder(f.Type, busy)
		if dec == nil {
			return nil
		}
		fields = append(fields, fieldDecoder{name: name, index: i, decode: dec})
	}
	return func(v reflect.Value, x any) bool {
		switch x := x.(type) {
		case nil:
			return true
		case map[string]any:
			for k, e := range x {
				j := 0
				for j < len(fields) && fields[j].name != k {
					j++
				}
				if j == len(fields) || !fields[j].decode(v.Field(fields[j].index), e) {
					return false
				}
			}
			return true
		}
		return false
	}
}

// plainTagName accepts the JSON names made of letters, digits, '_' and
// '-' (or none); encoding/json ignores some other names, so those types
// go the slow way.
func plainTagName(name string) bool {
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
