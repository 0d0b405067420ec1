package state

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

var (
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonNumber      = reflect.TypeFor[json.Number]()
)

// EncodingProblems lists, with the path of each, the parts of S that cannot
// be saved in a checkpoint and read back (channels, functions, complex
// numbers, interfaces, unexported fields, maps with unusable keys). Types that
// implement json.Marshaler and json.Unmarshaler are trusted.
func (p *Plan[S]) EncodingProblems() []string {
	var out []string
	seen := map[reflect.Type]bool{}
	// addressable is whether encoding/json reaches a value of t by its
	// address (a field of the state, an element of a slice, what a pointer
	// points to), so that a method of *t is called: not inside a map value.
	var walk func(t reflect.Type, path string, addressable bool)
	walk = func(t reflect.Type, path string, addressable bool) {
		if m := pointerEncoding(t); !addressable && m != "" {
			out = append(out, fmt.Sprintf("%s: type %s has its %s on *%s, which encoding/json does not call inside a map value, so the value would be saved without it and not read back (keep a *%s there, or give %s the method itself)",
				path, t, m, t, t, t))
			return
		}
		if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) {
			return
		}
		switch t.Kind() {
		case reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
			out = append(out, fmt.Sprintf("%s: type %s cannot be encoded", path, t))
		case reflect.Interface:
			out = append(out, fmt.Sprintf("%s: interface type %s cannot be decoded back (use a concrete type or implement json.Unmarshaler)", path, t))
		case reflect.Pointer:
			walk(t.Elem(), path, true)
		case reflect.Slice:
			walk(t.Elem(), path+"[]", true)
		case reflect.Array:
			walk(t.Elem(), path+"[]", addressable)
		case reflect.Map:
			k := t.Key()
			switch {
			case k.Kind() == reflect.String, isInteger(k.Kind()), k.Implements(textMarshaler) && reflect.PointerTo(k).Implements(textUnmarshaler):
			default:
				out = append(out, fmt.Sprintf("%s: map key type %s cannot be encoded", path, k))
			}
			walk(t.Elem(), path+"[key]", false)
		case reflect.Struct:
			if seen[t] {
				return
			}
			seen[t] = true
			defer delete(seen, t)
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				if f.Tag.Get("json") == "-" {
					continue
				}
				if !f.IsExported() {
					if f.Anonymous {
						walk(f.Type, path, addressable)
						continue
					}
					out = append(out, fmt.Sprintf("%s.%s: unexported field would be lost by a checkpoint", path, f.Name))
					continue
				}
				walk(f.Type, path+"."+f.Name, addressable)
			}
		}
	}
	walk(p.typ, p.typ.Name(), true)
	return out
}

func isInteger(k reflect.Kind) bool {
	return isNumeric(k) && k != reflect.Float32 && k != reflect.Float64
}

// ErrInvalidUTF8 is matched (errors.Is) by the error of an encoding that
// met a string that is not valid UTF-8. Checkpoints hold states as JSON,
// which carries text as UTF-8 only: encoding/json would silently replace
// each bad byte with U+FFFD, so a state read back would differ from the one
// saved. The encoders refuse such a state instead, naming the field; keep
// binary data in a []byte field (saved exactly, as base64) or make the text
// valid (strings.ToValidUTF8) before it enters the state.
var ErrInvalidUTF8 = errors.New("state: string is not valid UTF-8 and would not survive a checkpoint unchanged")

// marshalExact encodes v as JSON, refusing a value that JSON cannot carry
// unchanged: a string (or map key) that is not valid UTF-8, or a
// json.Marshaler whose output is not valid UTF-8. path names v in errors.
//
// When v is the tail of a slice field (the elements a node appended), off is
// the index of its first element in the field, so errors name the index in
// the state.
func marshalExact(v reflect.Value, path string, off int) ([]byte, error) {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return nil, err
	}
	// encoding/json writes a bad byte of a string as the escape \ufffd;
	// only then is the value walked to find the string.
	if bytes.Contains(b, replacement) {
		where := ""
		if v.Kind() == reflect.Slice && off > 0 {
			for i := 0; i < v.Len() && where == ""; i++ {
				where = findInvalid(v.Index(i), fmt.Sprintf("%s[%d]", path, off+i), 1)
			}
		} else {
			where = findInvalid(v, path, 0)
		}
		if where != "" {
			return nil, fmt.Errorf("%w: %s", ErrInvalidUTF8, where)
		}
	}
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, fmt.Errorf("%w: %s: a json.Marshaler wrote byte %#x at offset %d of its output", ErrInvalidUTF8, path, b[i], i)
	}
	return b, nil
}

var replacement = []byte(`\ufffd`)

// findInvalid returns the path and position of the first string in v that
// is not valid UTF-8, or "".
func findInvalid(v reflect.Value, path string, depth int) string {
	if depth > 64 {
		return ""
	}
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) {
			return describeInvalid(path, s)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return findInvalid(v.Elem(), path, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return "" // []byte is base64: exact
		}
		for i := range v.Len() {
			if w := findInvalid(v.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1); w != "" {
				return w
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if k.Kind() == reflect.String && !utf8.ValidString(k.String()) {
				return describeInvalid(path+" (a map key)", k.String())
			}
			if w := findInvalid(it.Value(), fmt.Sprintf("%s[%q]", path, fmt.Sprint(k.Interface())), depth+1); w != "" {
				return w
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous || f.Tag.Get("json") == "-" {
				continue
			}
			p := path + "." + f.Name
			if f.Anonymous {
				p = path
			}
			if w := findInvalid(v.Field(i), p, depth+1); w != "" {
				return w
			}
		}
	}
	return ""
}

func describeInvalid(path, s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	return fmt.Sprintf("%s has byte %#x at offset %d of %d", path, s[i], i, len(s))
}

// EncodeValue encodes v as JSON for a checkpoint (an interrupt payload, a
// resume value, a side effect's result) exactly as EncodeState does a
// state: a string that is not valid UTF-8 is an error matching
// ErrInvalidUTF8 naming where it is (what names v), never silently
// rewritten.
func EncodeValue(what string, v any) ([]byte, error) {
	if v == nil {
		return []byte("null"), nil
	}
	rv := reflect.ValueOf(v)
	if needsAddress(rv.Type()) {
		// Through the address of a copy, as encoding/json reaches a field
		// of a state: a MarshalJSON of *T (of v's type or of a field of
		// it) is then used, and decoding into a *T reads what it wrote.
		p := reflect.New(rv.Type())
		p.Elem().Set(rv)
		rv = p
	}
	b, err := marshalExact(rv, what, 0)
	if err != nil {
		return nil, fmt.Errorf("state: encode %s: %w", what, err)
	}
	return b, nil
}

// EncodeState encodes a full state. A string anywhere in it that is not
// valid UTF-8 is an error matching ErrInvalidUTF8 that names the field
// (e.g. "Chat.Messages[3].Content has byte 0xff at offset 5 of 9").
func (p *Plan[S]) EncodeState(s *S) ([]byte, error) {
	// A state whose fields are all integers, booleans, strings and slices
	// of strings, with no encoding of their own and json tags that at most
	// rename them or add omitempty, is written directly, byte for byte as
	// encoding/json writes it, into one buffer of its size; any other
	// state, or one with a string that needs escapes, goes through
	// encoding/json.
	if p.keys != nil {
		if b, ok := p.appendState(make([]byte, 0, p.stateSize(unsafe.Pointer(s))), unsafe.Pointer(s)); ok {
			return b, nil
		}
	}
	b, err := marshalExact(reflect.ValueOf(s), p.typ.Name(), 0)
	if err != nil {
		return nil, fmt.Errorf("state: encode %s: %w", p.typ, err)
	}
	return b, nil
}

// stateKey is a field's key as encoding/json writes it in S's object,
// with its colon, and whether the field is left out when empty
// (omitempty).
type stateKey struct {
	key       string
	omitEmpty bool
}

// directKeys returns the keys of fields, the plan's fields of t (from
// leaves), when EncodeState can write a t as encoding/json would without
// going through it: t has no encoding of its own, every field is exported,
// none is embedded, each is written directly (an integer, a boolean, a
// string, a slice of strings; see encKind), and its json tag, if any,
// only renames it with a plain name or adds omitempty. Otherwise it
// returns nil, and EncodeState uses encoding/json.
func directKeys(t reflect.Type, leaves []leafField, fields []field) []stateKey {
	if marshals(t) {
		return nil
	}
	keys := make([]stateKey, len(fields))
	seen := make(map[string]bool, len(fields))
	for i, lf := range leaves {
		sf := lf.sf
		if lf.depth > 0 || sf.Anonymous || fields[i].hidden || fields[i].enc == encReflect {
			return nil
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if opts != "" && opts != "omitempty" {
			return nil
		}
		if name == "" {
			name = sf.Name
		}
		if !plainKey(name) || seen[name] {
			return nil
		}
		seen[name] = true
		keys[i] = stateKey{key: `"` + name + `":`, omitEmpty: opts == "omitempty"}
	}
	return keys
}

// plainKey reports whether encoding/json writes name, as a field's key,
// as it is: ASCII letters, digits, '_' and '-'.
func plainKey(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return name != ""
}

// appendState appends the state at s as encoding/json writes it, when
// every value can be written directly (a string needs no escapes), and
// reports whether it did; p.keys must not be nil.
func (p *Plan[S]) appendState(b []byte, s unsafe.Pointer) ([]byte, bool) {
	b = append(b, '{')
	first := true
	for i := range p.fields {
		f, k := &p.fields[i], &p.keys[i]
		v := unsafe.Add(s, f.offset)
		if k.omitEmpty && f.empty(v) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, k.key...)
		var ok bool
		if b, ok = f.appendDirect(b, v); !ok {
			return nil, false
		}
	}
	return append(b, '}'), true
}

// stateSize is at least the length appendState writes for the state at
// s: its keys, the strings' bytes and quotes, and 20 bytes for a number
// or a boolean.
func (p *Plan[S]) stateSize(s unsafe.Pointer) int {
	n := 2
	for i := range p.fields {
		f := &p.fields[i]
		v := unsafe.Add(s, f.offset)
		n += len(p.keys[i].key) + 1
		switch f.enc {
		case encString:
			n += len(*(*string)(v)) + 2
		case encStrings:
			h := (*sliceHeader)(v)
			n += 4
			for _, str := range unsafe.Slice((*string)(h.data), h.len) {
				n += len(str) + 3
			}
		default:
			n += 20
		}
	}
	return n
}

// empty reports whether the value at v of a field written directly is
// one omitempty leaves out: zero, false, or of length 0.
func (f *field) empty(v unsafe.Pointer) bool {
	switch f.enc {
	case encString, encStrings:
		// A string's length and a slice's are the word after the pointer.
		return *(*int)(unsafe.Add(v, unsafe.Sizeof(uintptr(0)))) == 0
	}
	for _, c := range unsafe.Slice((*byte)(v), f.size) {
		if c != 0 {
			return false
		}
	}
	return true
}

// needsAddress reports whether encoding a value of t by itself could miss
// a method of a pointer that encoding/json calls for an addressable value:
// t is a struct or an array (whose fields or elements would then not be
// addressable), or has its JSON or text encoding only on *t.
func needsAddress(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Array:
		return true
	case reflect.Pointer, reflect.Interface:
		return false
	}
	return pointerEncoding(t) != ""
}

// pointerEncoding names the method (MarshalJSON or MarshalText) that *t
// has and t has not, which encoding/json calls only for a value it can
// address; "" for none.
func pointerEncoding(t reflect.Type) string {
	for _, m := range [...]reflect.Type{jsonMarshaler, textMarshaler} {
		if !t.Implements(m) && reflect.PointerTo(t).Implements(m) {
			return m.Method(0).Name
		}
	}
	return ""
}

// DecodeState decodes a state encoded by EncodeState.
func (p *Plan[S]) DecodeState(b []byte) (S, error) {
	var s S
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("state: decode %s: %w", p.typ, err)
	}
	return s, nil
}

type writesDoc struct {
	Set    map[string]json.RawMessage `json:"set,omitempty"`
	Append map[string]json.RawMessage `json:"append,omitempty"`
}

// EncodeWrites encodes what out changed relative to in: for a slice field
// that only grew, just the new elements; for other written fields, the new
// value. Unchanged fields are left out, so a long conversation's writes stay
// the size of its newest messages.
func (p *Plan[S]) EncodeWrites(in, out *S) ([]byte, error) {
	return p.EncodeWritesMarked(in, out, nil)
}

// EncodeWritesMarked is EncodeWrites that also encodes the fields in marked
// (indexes, as Write.Marked) when their value did not change.
func (p *Plan[S]) EncodeWritesMarked(in, out *S, marked []int) ([]byte, error) {
	return p.AppendWritesMarked(nil, in, out, marked)
}

// AppendWritesMarked is EncodeWritesMarked that appends the document to
// dst (which may be nil) and returns the extended buffer.
func (p *Plan[S]) AppendWritesMarked(dst []byte, in, out *S, marked []int) ([]byte, error) {
	// The document is {"set":{...},"append":{...}}, each object's keys in
	// sorted order (as encoding/json writes a map), written directly.
	var kindsBuf [32]uint8
	kinds := kindsBuf[:0]
	if len(p.fields) > len(kindsBuf) {
		kinds = make([]uint8, 0, len(p.fields))
	}
	const (
		unwritten = iota
		set
		appended
	)
	nset, napp := 0, 0
	for _, i := range p.sorted {
		f := &p.fields[i]
		k := uint8(unwritten)
		// A field the state's encoding leaves out (json:"-", unexported)
		// is left out of the writes too, as a snapshot leaves it out.
		if !f.hidden && f.wroteOrMarked(unsafe.Pointer(in), unsafe.Pointer(out), marked) {
			k = set
			if f.kind == reflect.Slice {
				vin, vout := f.value(unsafe.Pointer(in)), f.value(unsafe.Pointer(out))
				if !vout.IsNil() && vout.Len() >= vin.Len() && vin.Len() > 0 && samePrefix(vin, vout) {
					k = appended
				}
			}
			if k == set {
				nset++
			} else {
				napp++
			}
		}
		kinds = append(kinds, k)
	}
	if nset == 0 && napp == 0 {
		return append(dst, noWrites...), nil
	}
	b := dst
	if b == nil {
		b = make([]byte, 0, 64)
	}
	b = append(b, '{')
	for _, want := range [2]uint8{set, appended} {
		if (want == set && nset == 0) || (want == appended && napp == 0) {
			continue
		}
		if want == set {
			b = append(b, `"set":{`...)
		} else {
			if nset > 0 {
				b = append(b, ',')
			}
			b = append(b, `"append":{`...)
		}
		first := true
		for j, i := range p.sorted {
			if kinds[j] != want {
				continue
			}
			f := &p.fields[i]
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, f.key...)
			b = append(b, ':')
			if want == set {
				if nb, ok := f.appendDirect(b, unsafe.Add(unsafe.Pointer(out), f.offset)); ok {
					b = nb
					continue
				}
			} else if f.enc == encStrings {
				// Only the new elements: out's slice past in's length.
				n := (*sliceHeader)(unsafe.Add(unsafe.Pointer(in), f.offset)).len
				h := (*sliceHeader)(unsafe.Add(unsafe.Pointer(out), f.offset))
				if nb, ok := appendStrings(b, unsafe.Slice((*string)(h.data), h.len)[n:]); ok {
					b = nb
					continue
				}
			}
			vout := f.value(unsafe.Pointer(out))
			var err error
			if want == appended {
				n := f.value(unsafe.Pointer(in)).Len()
				b, err = appendMarshaled(b, vout.Slice(n, vout.Len()), f.path, n)
			} else {
				// Through a pointer, as encoding/json reaches a field of
				// the state: a MarshalJSON of *T is then used.
				b, err = appendMarshaled(b, vout.Addr(), f.path, 0)
			}
			if err != nil {
				return nil, fmt.Errorf("state: encode field %s: %w", f.Name, err)
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendDirect appends the field's value at v as encoding/json writes it,
// when the field is an integer, a boolean or a string of plain ASCII
// without its own encoding, and reports whether it did.
func (f *field) appendDirect(b []byte, v unsafe.Pointer) ([]byte, bool) {
	switch f.enc {
	case encInt:
		var x int64
		switch f.size {
		case 1:
			x = int64(*(*int8)(v))
		case 2:
			x = int64(*(*int16)(v))
		case 4:
			x = int64(*(*int32)(v))
		default:
			x = *(*int64)(v)
		}
		return strconv.AppendInt(b, x, 10), true
	case encUint:
		var x uint64
		switch f.size {
		case 1:
			x = uint64(*(*uint8)(v))
		case 2:
			x = uint64(*(*uint16)(v))
		case 4:
			x = uint64(*(*uint32)(v))
		default:
			x = *(*uint64)(v)
		}
		return strconv.AppendUint(b, x, 10), true
	case encBool:
		return strconv.AppendBool(b, *(*bool)(v)), true
	case encString:
		str := *(*string)(v)
		if !plainASCII(str) {
			return b, false
		}
		b = append(b, '"')
		b = append(b, str...)
		return append(b, '"'), true
	case encStrings:
		h := (*sliceHeader)(v)
		if h.data == nil {
			return append(b, "null"...), true
		}
		return appendStrings(b, unsafe.Slice((*string)(h.data), h.len))
	}
	return b, false
}

// appendStrings appends ss as encoding/json writes a slice of strings,
// when none needs escapes, and reports whether it did (b unchanged when
// not).
func appendStrings(b []byte, ss []string) ([]byte, bool) {
	start := len(b)
	b = append(b, '[')
	for i, str := range ss {
		if !plainASCII(str) {
			return b[:start], false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, str...)
		b = append(b, '"')
	}
	return append(b, ']'), true
}

// plainASCII reports whether encoding/json writes str as it is between
// quotes (no escapes, no HTML characters, nothing beyond ASCII).
func plainASCII(str string) bool {
	// Eight bytes at a time (see plainWord), then the rest.
	const hi = 0x8080808080808080
	b := unsafe.Slice(unsafe.StringData(str), len(str))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if plainWord(binary.LittleEndian.Uint64(b[i:]))&hi != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// plainWord returns a word with some byte's 0x80 bit set exactly when a
// byte of v is one plainASCII refuses: one with its own high bit set, one
// below 0x20 (subtracting 0x20 from it borrows), or one of the five
// characters (v xor that character has a zero byte there). A borrow only
// marks bytes above a refused one, so the test is exact for the word;
// callers mask the result with 0x80 in every byte.
func plainWord(v uint64) uint64 {
	const lo = 0x0101010101010101
	q, bs, lt, gt, am := v^(lo*'"'), v^(lo*'\\'), v^(lo*'<'), v^(lo*'>'), v^(lo*'&')
	return v | (v-lo*0x20)&^v | (q-lo)&^q | (bs-lo)&^bs | (lt-lo)&^lt | (gt-lo)&^gt | (am-lo)&^am
}

// noWrites is the encoding of a task that wrote nothing.
const noWrites = "{}"

// marshals reports whether t or a pointer to t has its own JSON or text
// encoding.
func marshals(t reflect.Type) bool {
	return t.Implements(jsonMarshaler) || t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler)
}

// appendMarshaled appends what marshalExact returns for v: a value
// appendDirect does not write (a slice, a map, a struct, a type with its
// own encoding, a string that needs escapes).
func appendMarshaled(b []byte, v reflect.Value, path string, off int) ([]byte, error) {
	j, err := marshalExact(v, path, off)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

func samePrefix(in, out reflect.Value) bool {
	if in.Pointer() == out.Pointer() {
		return true
	}
	return reflect.DeepEqual(in.Interface(), out.Slice(0, in.Len()).Interface())
}

// ApplyWrites returns in with the writes encoded by EncodeWrites applied: the
// state the writing node returned.
func (p *Plan[S]) ApplyWrites(in S, b []byte) (S, error) {
	var doc writesDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return in, fmt.Errorf("state: decode writes: %w", err)
	}
	out := in
	op := unsafe.Pointer(&out)
	for name, raw := range doc.Set {
		i, ok := p.byName[name]
		if !ok {
			return in, fmt.Errorf("state: writes name field %q, which %s does not have", name, p.typ)
		}
		f := &p.fields[i]
		nv := reflect.New(f.Type)
		if err := json.Unmarshal(raw, nv.Interface()); err != nil {
			return in, fmt.Errorf("state: decode field %s: %w", name, err)
		}
		f.value(op).Set(nv.Elem())
	}
	for name, raw := range doc.Append {
		i, ok := p.byName[name]
		if !ok {
			return in, fmt.Errorf("state: writes name field %q, which %s does not have", name, p.typ)
		}
		f := &p.fields[i]
		if f.Type.Kind() != reflect.Slice {
			return in, fmt.Errorf("state: writes append to field %s, which is not a slice", name)
		}
		tail := reflect.New(f.Type)
		if err := json.Unmarshal(raw, tail.Interface()); err != nil {
			return in, fmt.Errorf("state: decode field %s: %w", name, err)
		}
		cur := f.value(op)
		merged := reflect.MakeSlice(f.Type, 0, cur.Len()+tail.Elem().Len())
		merged = reflect.AppendSlice(merged, cur)
		merged = reflect.AppendSlice(merged, tail.Elem())
		cur.Set(merged)
	}
	return out, nil
}

// WriteFields lists the field names present in encoded writes.
func WriteFields(b []byte) ([]string, error) {
	var doc writesDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("state: decode writes: %w", err)
	}
	var names []string
	for n := range doc.Set {
		names = append(names, n)
	}
	for n := range doc.Append {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}
