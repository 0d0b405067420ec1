package state

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"unsafe"
)

var (
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// EncodingProblems lists, with the path of each, the parts of S that cannot
// be saved in a checkpoint and read back (channels, functions, complex
// numbers, interfaces, unexported fields, maps with unusable keys). Types that
// implement json.Marshaler and json.Unmarshaler are trusted.
func (p *Plan[S]) EncodingProblems() []string {
	var out []string
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) {
			return
		}
		switch t.Kind() {
		case reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
			out = append(out, fmt.Sprintf("%s: type %s cannot be encoded", path, t))
		case reflect.Interface:
			out = append(out, fmt.Sprintf("%s: interface type %s cannot be decoded back (use a concrete type or implement json.Unmarshaler)", path, t))
		case reflect.Pointer:
			walk(t.Elem(), path)
		case reflect.Slice, reflect.Array:
			walk(t.Elem(), path+"[]")
		case reflect.Map:
			k := t.Key()
			switch {
			case k.Kind() == reflect.String, isInteger(k.Kind()), k.Implements(textMarshaler) && reflect.PointerTo(k).Implements(textUnmarshaler):
			default:
				out = append(out, fmt.Sprintf("%s: map key type %s cannot be encoded", path, k))
			}
			walk(t.Elem(), path+"[key]")
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
						walk(f.Type, path)
						continue
					}
					out = append(out, fmt.Sprintf("%s.%s: unexported field would be lost by a checkpoint", path, f.Name))
					continue
				}
				walk(f.Type, path+"."+f.Name)
			}
		}
	}
	walk(p.typ, p.typ.Name())
	return out
}

func isInteger(k reflect.Kind) bool {
	return isNumeric(k) && k != reflect.Float32 && k != reflect.Float64
}

// EncodeState encodes a full state.
func (p *Plan[S]) EncodeState(s *S) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("state: encode %s: %w", p.typ, err)
	}
	return b, nil
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
	var doc writesDoc
	for i := range p.fields {
		f := &p.fields[i]
		if !p.WroteOrMarked(i, in, out, marked) {
			continue
		}
		vin, vout := f.value(unsafe.Pointer(in)), f.value(unsafe.Pointer(out))
		if f.Type.Kind() == reflect.Slice && !vout.IsNil() && vout.Len() >= vin.Len() && vin.Len() > 0 && samePrefix(vin, vout) {
			b, err := json.Marshal(vout.Slice(vin.Len(), vout.Len()).Interface())
			if err != nil {
				return nil, fmt.Errorf("state: encode field %s: %w", f.Name, err)
			}
			if doc.Append == nil {
				doc.Append = map[string]json.RawMessage{}
			}
			doc.Append[f.Name] = b
			continue
		}
		b, err := json.Marshal(vout.Interface())
		if err != nil {
			return nil, fmt.Errorf("state: encode field %s: %w", f.Name, err)
		}
		if doc.Set == nil {
			doc.Set = map[string]json.RawMessage{}
		}
		doc.Set[f.Name] = b
	}
	return json.Marshal(doc)
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
