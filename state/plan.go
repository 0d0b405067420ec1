package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unsafe"
)

// Reducer names how parallel writes to one field are combined.
type Reducer uint8

const (
	// Overwrite is the default: a field may be written by at most one node
	// per step; two writers are a *ConflictError.
	Overwrite Reducer = iota
	// Append concatenates what each writer appended to a slice field, in
	// declaration order (tag `reduce:"append"`).
	Append
	// Merge applies each writer's added, changed and deleted keys of a map
	// field in declaration order (tag `reduce:"merge"`).
	Merge
	// Sum adds each writer's change of a numeric field (tag `reduce:"sum"`).
	Sum
	// Custom calls a function registered with WithReducer.
	Custom
)

// String returns the tag spelling of r.
func (r Reducer) String() string {
	switch r {
	case Overwrite:
		return "overwrite"
	case Append:
		return "append"
	case Merge:
		return "merge"
	case Sum:
		return "sum"
	case Custom:
		return "custom"
	}
	return fmt.Sprintf("Reducer(%d)", uint8(r))
}

// Option configures NewPlan.
type Option func(*planConfig)

type planConfig struct {
	custom map[string]customReducer
	order  []string
}

type customReducer struct {
	typ   reflect.Type
	fn    func(acc, w unsafe.Pointer)
	isNil bool
}

// WithReducer registers fn as the reducer of the field named field (its Go
// name; a field of an embedded struct by its promoted name). When several
// nodes of one step write the field, the merged value starts as the step's
// input value and becomes fn(acc, write) for each writer's new value, in
// declaration order. It is applied whenever the field is written, by one
// node or several, so a delta reducer works: a node writes only what is
// new (a suffix, an item to insert) and fn combines it with acc, which
// starts as the step's input value. T must be the field's type and fn not
// nil.
func WithReducer[T any](field string, fn func(acc, write T) T) Option {
	return func(c *planConfig) {
		if c.custom == nil {
			c.custom = map[string]customReducer{}
		}
		if _, dup := c.custom[field]; !dup {
			c.order = append(c.order, field)
		}
		c.custom[field] = customReducer{
			typ:   reflect.TypeFor[T](),
			isNil: fn == nil,
			fn: func(acc, w unsafe.Pointer) {
				*(*T)(acc) = fn(*(*T)(acc), *(*T)(w))
			},
		}
	}
}

// FieldInfo describes one field of a plan.
type FieldInfo struct {
	Name    string
	Type    reflect.Type
	Reducer Reducer
}

type field struct {
	FieldInfo
	index  int
	offset uintptr
	size   uintptr
	cmp    cmpKind
	custom func(acc, w unsafe.Pointer)
	// key is the field's name as a JSON string.
	key string
	// path names the field in encoding errors (Type.Field).
	path string
	// kind is Type.Kind(), and enc how the field's value is written
	// without reflection (encReflect: through it, as for a type with its
	// own JSON or text encoding).
	kind reflect.Kind
	enc  encKind
	// hidden is set for a field encoding/json leaves out of S (tagged
	// json:"-", itself or an embedding of it, or unexported): a snapshot
	// does not hold it, so encoded writes leave it out too.
	hidden bool
}

// encKind is how a field's value is written into encoded writes without
// going through reflection: as encoding/json writes an integer, a boolean
// or a string, read straight from the state.
type encKind uint8

const (
	encReflect encKind = iota
	encInt
	encUint
	encBool
	encString
	// encStrings: a slice of strings (of a string kind without its own
	// encoding), written element by element.
	encStrings
)

// encOf is the encKind of a field of type t: encReflect when encoding/json
// writes t in a form of its own (see ownForm).
func encOf(t reflect.Type) encKind {
	if ownForm(t) {
		return encReflect
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return encInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return encUint
	case reflect.Bool:
		return encBool
	case reflect.String:
		return encString
	case reflect.Slice:
		if e := t.Elem(); e.Kind() == reflect.String && !ownForm(e) {
			return encStrings
		}
	}
	return encReflect
}

// ownForm reports whether encoding/json writes a t otherwise than by its
// kind: t or *t has its own JSON or text encoding, or t is json.Number (a
// string written as a number).
func ownForm(t reflect.Type) bool { return marshals(t) || t == jsonNumber }

// cmpKind is how a field's old and new values are compared once their
// bytes differ.
type cmpKind uint8

const (
	// cmpBytes: the bytes are the value (integers, booleans).
	cmpBytes cmpKind = iota
	cmpFloat32
	cmpFloat64
	cmpString
	cmpSlice
	cmpMap
	// cmpDeep: reflect.DeepEqual of the two values (structs, arrays,
	// pointers, interfaces, and anything holding them).
	cmpDeep
)

func cmpOf(t reflect.Type) cmpKind {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return cmpBytes
	case reflect.Float32:
		return cmpFloat32
	case reflect.Float64:
		return cmpFloat64
	case reflect.String:
		return cmpString
	case reflect.Slice:
		return cmpSlice
	case reflect.Map:
		return cmpMap
	}
	return cmpDeep
}

// Plan is the merge plan of a state type S, worked out once by NewPlan.
// It is safe for concurrent use.
type Plan[S any] struct {
	typ    reflect.Type
	fields []field
	// sorted lists the fields' indexes in the order of their names.
	sorted []int
	byName map[string]int
	custom bool
	// keys, when not nil, are the fields' keys as encoding/json writes S
	// (see directKeys), so EncodeState writes a state without reflection
	// when its values allow it.
	keys []stateKey
}

// PlanError lists every problem NewPlan found in a state type.
type PlanError struct {
	Type     string
	Problems []string
}

// Error lists the problems, one per line.
func (e *PlanError) Error() string {
	return fmt.Sprintf("state: type %s: %s", e.Type, strings.Join(e.Problems, "; "))
}

// NewPlan inspects S (a struct) and its reducer tags and returns its merge
// plan. Every problem (unknown tag, reducer on a field of the wrong kind,
// custom reducer for an unknown field or of the wrong type) is reported at
// once in a *PlanError.
func NewPlan[S any](opts ...Option) (*Plan[S], error) {
	var cfg planConfig
	for _, o := range opts {
		o(&cfg)
	}
	t := reflect.TypeFor[S]()
	if t.Kind() != reflect.Struct {
		return nil, &PlanError{Type: t.String(), Problems: []string{"state must be a struct, got " + t.Kind().String()}}
	}
	p := &Plan[S]{typ: t, byName: make(map[string]int, t.NumField())}
	var problems []string
	leaves := leafFields(t)
	for _, lf := range leaves {
		sf := lf.sf
		f := field{FieldInfo: FieldInfo{Name: lf.name, Type: sf.Type}, index: len(p.fields), offset: lf.offset, size: sf.Type.Size(), cmp: cmpOf(sf.Type),
			path: t.Name() + "." + lf.name, kind: sf.Type.Kind(), enc: encOf(sf.Type), hidden: lf.hidden}
		tag, hasTag := sf.Tag.Lookup("reduce")
		if hasTag {
			switch tag {
			case "append":
				f.Reducer = Append
				if sf.Type.Kind() != reflect.Slice {
					problems = append(problems, fmt.Sprintf("field %s: reduce:\"append\" needs a slice, got %s", lf.name, sf.Type))
				}
			case "merge":
				f.Reducer = Merge
				if sf.Type.Kind() != reflect.Map {
					problems = append(problems, fmt.Sprintf("field %s: reduce:\"merge\" needs a map, got %s", lf.name, sf.Type))
				}
			case "sum":
				f.Reducer = Sum
				if !isNumeric(sf.Type.Kind()) {
					problems = append(problems, fmt.Sprintf("field %s: reduce:\"sum\" needs a number, got %s", lf.name, sf.Type))
				}
			case "", "overwrite":
				f.Reducer = Overwrite
			default:
				problems = append(problems, fmt.Sprintf("field %s: unknown reducer %q (want append, merge, sum or a function registered with WithReducer)", lf.name, tag))
			}
		}
		if cr, ok := cfg.custom[lf.name]; ok {
			if hasTag && tag != "" {
				problems = append(problems, fmt.Sprintf("field %s: has both tag reduce:%q and a registered reducer", lf.name, tag))
			}
			if cr.isNil {
				problems = append(problems, fmt.Sprintf("field %s: registered reducer is nil", lf.name))
			}
			if cr.typ != sf.Type {
				problems = append(problems, fmt.Sprintf("field %s: registered reducer takes %s, field is %s", lf.name, cr.typ, sf.Type))
			}
			f.Reducer = Custom
			f.custom = cr.fn
			p.custom = true
		}
		p.byName[lf.name] = len(p.fields)
		p.fields = append(p.fields, f)
	}
	for _, name := range cfg.order {
		if _, ok := p.byName[name]; !ok {
			problems = append(problems, fmt.Sprintf("reducer registered for unknown field %q", name))
		}
	}
	if len(problems) > 0 {
		return nil, &PlanError{Type: t.String(), Problems: problems}
	}
	for i := range p.fields {
		k, _ := json.Marshal(p.fields[i].Name)
		p.fields[i].key = string(k)
		p.sorted = append(p.sorted, i)
	}
	sort.SliceStable(p.sorted, func(a, b int) bool { return p.fields[p.sorted[a]].Name < p.fields[p.sorted[b]].Name })
	p.keys = directKeys(t, leaves, p.fields)
	return p, nil
}

// leafField is a field of the plan: a top-level field of S, or a field of a
// struct embedded in S (recursively), at its offset from the start of S.
type leafField struct {
	sf     reflect.StructField
	name   string
	offset uintptr
	depth  int
	hidden bool // left out of S's JSON (see field.hidden)
}

// leafFields lists the plan's fields of t. A struct embedded by value
// without a reduce tag of its own is not one field but its fields, so an
// embedded state type (such as an agent state) keeps its reducers and the
// isolation of its slices. Each field is named as Go promotes it ("Messages");
// a name that is ambiguous or shadowed is named by its path
// ("AgentState.Messages").
func leafFields(t reflect.Type) []leafField {
	var out []leafField
	var walk func(t reflect.Type, base uintptr, path string, depth int, hidden bool)
	walk = func(t reflect.Type, base uintptr, path string, depth int, hidden bool) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			_, tagged := sf.Tag.Lookup("reduce")
			// encoding/json leaves out a field tagged "-" and an
			// unexported one, except an embedded struct, whose exported
			// fields it promotes.
			h := hidden || sf.Tag.Get("json") == "-" || !sf.IsExported() && !(sf.Anonymous && isStructOrPtr(sf.Type))
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct && !tagged && depth < 8 {
				walk(sf.Type, base+sf.Offset, path+sf.Name+".", depth+1, h)
				continue
			}
			out = append(out, leafField{sf: sf, name: path + sf.Name, offset: base + sf.Offset, depth: depth, hidden: h})
		}
	}
	walk(t, 0, "", 0, false)
	// Promote names as Go does: a field is reachable by its own name when
	// no other field of that name is at its depth or shallower.
	for i := range out {
		if out[i].depth == 0 {
			continue
		}
		short := out[i].sf.Name
		promoted := true
		for j := range out {
			if j != i && out[j].sf.Name == short && out[j].depth <= out[i].depth {
				promoted = false
				break
			}
		}
		if promoted {
			out[i].name = short
		}
	}
	return out
}

// isStructOrPtr reports whether t is a struct or a pointer to one.
func isStructOrPtr(t reflect.Type) bool {
	return t.Kind() == reflect.Struct || t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct
}

func isNumeric(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// Fields describes the plan's fields in declaration order.
func (p *Plan[S]) Fields() []FieldInfo {
	out := make([]FieldInfo, len(p.fields))
	for i, f := range p.fields {
		out[i] = f.FieldInfo
	}
	return out
}

// NumFields returns the number of the plan's fields (see Fields): the
// fields of S, with a struct embedded without a reduce tag counted as its
// fields.
func (p *Plan[S]) NumFields() int { return len(p.fields) }

// FieldIndex returns the position of the field named name, or -1.
func (p *Plan[S]) FieldIndex(name string) int {
	if i, ok := p.byName[name]; ok {
		return i
	}
	return -1
}

func (f *field) value(s unsafe.Pointer) reflect.Value {
	return reflect.NewAt(f.Type, unsafe.Add(s, f.offset)).Elem()
}

// Wrote reports whether node output out wrote field i, given the node's
// input in. The rule is by value and the same for every kind of field: a
// field is written when its value in out differs from its value in in.
// Numbers and booleans compare by value (a float NaN counts as unchanged
// only when its bits are), strings by content, slices and arrays element by
// element (a nil slice and an empty one differ), maps by their keys and
// values (a nil map and an empty one differ), structs field by field,
// pointers and interfaces by what they point to (reflect.DeepEqual).
// Setting a field to the value it already has is not a write; a node that
// means it as one says so with a mark (see Write.Marked). Values mutated in
// place (a map or a pointed-to value of the input changed instead of
// replaced) look unchanged; nodes replace them instead.
//
// Comparing costs no allocation for numbers, booleans, strings and slices
// or maps whose length or identity changed, and nothing at all for a field
// whose bytes are unchanged.
func (p *Plan[S]) Wrote(i int, in, out *S) bool {
	return p.fields[i].wrote(unsafe.Pointer(in), unsafe.Pointer(out))
}

func (f *field) wrote(in, out unsafe.Pointer) bool {
	a, b := unsafe.Add(in, f.offset), unsafe.Add(out, f.offset)
	if bytes.Equal(unsafe.Slice((*byte)(a), f.size), unsafe.Slice((*byte)(b), f.size)) {
		return false
	}
	switch f.cmp {
	case cmpBytes:
		return true
	case cmpFloat32:
		return *(*float32)(a) != *(*float32)(b)
	case cmpFloat64:
		return *(*float64)(a) != *(*float64)(b)
	case cmpString:
		return *(*string)(a) != *(*string)(b)
	case cmpSlice:
		ha, hb := (*sliceHeader)(a), (*sliceHeader)(b)
		if ha.len != hb.len || (ha.data == nil) != (hb.data == nil) {
			return true
		}
		if ha.data == hb.data || ha.len == 0 {
			// Same elements (only the capacity differs), or both empty
			// and both non-nil.
			return false
		}
	case cmpMap:
		ma, mb := *(*unsafe.Pointer)(a), *(*unsafe.Pointer)(b)
		if (ma == nil) != (mb == nil) {
			return true
		}
		va, vb := reflect.NewAt(f.Type, a).Elem(), reflect.NewAt(f.Type, b).Elem()
		if va.Len() != vb.Len() {
			return true
		}
	}
	// Pointers to the two fields: boxing a pointer allocates nothing, and
	// DeepEqual compares what they point to.
	return !reflect.DeepEqual(reflect.NewAt(f.Type, a).Interface(), reflect.NewAt(f.Type, b).Interface())
}

// WroteOrMarked reports whether field i was written (Wrote) or is listed in
// marked, a node's explicit marks.
func (p *Plan[S]) WroteOrMarked(i int, in, out *S, marked []int) bool {
	return p.fields[i].wroteOrMarked(unsafe.Pointer(in), unsafe.Pointer(out), marked)
}

// wroteOrMarked is WroteOrMarked for field f, of the states at in and out.
func (f *field) wroteOrMarked(in, out unsafe.Pointer, marked []int) bool {
	return (len(marked) > 0 && slices.Contains(marked, f.index)) || f.wrote(in, out)
}

// Written appends to dst the indexes of the fields out changed relative to in.
func (p *Plan[S]) Written(dst []int, in, out *S) []int {
	for i := range p.fields {
		if p.Wrote(i, in, out) {
			dst = append(dst, i)
		}
	}
	return dst
}

// WrittenNames returns the names of the fields out changed relative to in,
// and of the fields in marked (indexes, as a Write's Marked), in field
// order.
func (p *Plan[S]) WrittenNames(in, out *S, marked ...int) []string {
	var names []string
	for i := range p.fields {
		if p.WroteOrMarked(i, in, out, marked) {
			names = append(names, p.fields[i].Name)
		}
	}
	return names
}

// HasCustom reports whether any field has a reducer registered with
// WithReducer. Without one, a step with a single writer takes the
// writer's result as it is.
func (p *Plan[S]) HasCustom() bool { return p.custom }

// ReduceOne applies the custom reducers (WithReducer) of the fields the
// single writer of a step wrote: for each such field, out's value becomes
// fn(in's value, out's value). Other fields are left as out has them. It is
// what Merge does with one write, for the fields that differ.
func (p *Plan[S]) ReduceOne(in, out *S, marked []int) {
	if !p.custom {
		return
	}
	for i := range p.fields {
		f := &p.fields[i]
		if f.Reducer != Custom || !p.WroteOrMarked(i, in, out, marked) {
			continue
		}
		// acc starts as the input's value; the write is out's.
		acc := reflect.New(f.Type)
		acc.Elem().Set(f.value(unsafe.Pointer(in)))
		f.custom(acc.UnsafePointer(), unsafe.Add(unsafe.Pointer(out), f.offset))
		f.value(unsafe.Pointer(out)).Set(acc.Elem())
	}
}

// Isolate prepares a snapshot that several nodes will read at once: every
// slice field is clipped to its length so that an append by one node can
// never write into memory another node sees.
func (p *Plan[S]) Isolate(s *S) {
	for i := range p.fields {
		f := &p.fields[i]
		if f.Type.Kind() == reflect.Slice {
			h := (*sliceHeader)(unsafe.Add(unsafe.Pointer(s), f.offset))
			h.cap = h.len
		}
	}
}

type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// Write is one node's contribution to a step: the node's name, the state it
// was given and the state it returned.
type Write[S any] struct {
	Node string
	In   *S
	Out  *S
	// Marked lists fields (by index, see FieldIndex) the node wrote even
	// where their value did not change, so an equal write still counts: it
	// conflicts with another writer of a field without reducer and goes
	// through the field's reducer.
	Marked []int
}

// ConflictError reports a field written by several nodes of one step when the
// field has no reducer.
type ConflictError struct {
	Field string
	Nodes []string
}

// Error names the field and the nodes.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("state: field %s written by %s in the same step and it has no reducer (add a reduce tag such as reduce:\"append\" or register one with WithReducer)",
		e.Field, strings.Join(quoteAll(e.Nodes), " and "))
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// Merge combines the writes of one step onto base, field by field, in the
// order of writes (declaration order). A field without reducer written by
// one node takes that node's value, and is a *ConflictError when several
// wrote it; a field with a reducer goes through it (a custom reducer even
// for one writer). Which fields a write wrote is decided by Wrote, plus its
// Marked fields. Base is not modified.
func (p *Plan[S]) Merge(base S, writes []Write[S]) (S, error) {
	result := base
	rp := unsafe.Pointer(&result)
	var wbuf [16]int
	writers := wbuf[:0]
	for fi := range p.fields {
		f := &p.fields[fi]
		writers = writers[:0]
		for wi := range writes {
			if p.WroteOrMarked(fi, writes[wi].In, writes[wi].Out, writes[wi].Marked) {
				writers = append(writers, wi)
			}
		}
		if len(writers) == 0 {
			continue
		}
		switch f.Reducer {
		case Overwrite:
			if len(writers) > 1 {
				nodes := make([]string, len(writers))
				for i, w := range writers {
					nodes[i] = writes[w].Node
				}
				return base, &ConflictError{Field: f.Name, Nodes: nodes}
			}
			w := writes[writers[0]]
			// A typed copy, so the garbage collector sees the pointers.
			f.value(rp).Set(f.value(unsafe.Pointer(w.Out)))
		case Custom:
			// Applied for one writer too: the value starts as base's (the
			// step's input) and takes each write in order.
			for _, wi := range writers {
				f.custom(unsafe.Add(rp, f.offset), unsafe.Add(unsafe.Pointer(writes[wi].Out), f.offset))
			}
		case Append:
			acc := f.value(rp)
			total := acc.Len()
			for _, wi := range writers {
				in, out := f.value(unsafe.Pointer(writes[wi].In)), f.value(unsafe.Pointer(writes[wi].Out))
				if out.Len() > in.Len() {
					total += out.Len() - in.Len()
				}
			}
			merged := reflect.MakeSlice(f.Type, 0, total)
			merged = reflect.AppendSlice(merged, acc)
			for _, wi := range writers {
				in, out := f.value(unsafe.Pointer(writes[wi].In)), f.value(unsafe.Pointer(writes[wi].Out))
				if out.Len() > in.Len() {
					merged = reflect.AppendSlice(merged, out.Slice(in.Len(), out.Len()))
				}
			}
			acc.Set(merged)
		case Sum:
			if f.Type.Kind() == reflect.Int {
				acc := (*int)(unsafe.Add(rp, f.offset))
				for _, wi := range writers {
					*acc += *(*int)(unsafe.Add(unsafe.Pointer(writes[wi].Out), f.offset)) - *(*int)(unsafe.Add(unsafe.Pointer(writes[wi].In), f.offset))
				}
				continue
			}
			acc := f.value(rp)
			for _, wi := range writers {
				in, out := f.value(unsafe.Pointer(writes[wi].In)), f.value(unsafe.Pointer(writes[wi].Out))
				switch {
				case acc.CanInt():
					acc.SetInt(acc.Int() + out.Int() - in.Int())
				case acc.CanUint():
					acc.SetUint(acc.Uint() + out.Uint() - in.Uint())
				default:
					acc.SetFloat(acc.Float() + out.Float() - in.Float())
				}
			}
		case Merge:
			acc := f.value(rp)
			merged := reflect.MakeMapWithSize(f.Type, acc.Len())
			iter := acc.MapRange()
			for iter.Next() {
				merged.SetMapIndex(iter.Key(), iter.Value())
			}
			for _, wi := range writers {
				in, out := f.value(unsafe.Pointer(writes[wi].In)), f.value(unsafe.Pointer(writes[wi].Out))
				// Keys added or changed. A writer's keys are distinct, so
				// the order they are set in does not matter.
				iter := out.MapRange()
				for iter.Next() {
					k, nv := iter.Key(), iter.Value()
					if ov := in.MapIndex(k); ov.IsValid() && reflect.DeepEqual(ov.Interface(), nv.Interface()) {
						continue
					}
					merged.SetMapIndex(k, nv)
				}
				for _, k := range in.MapKeys() {
					if !out.MapIndex(k).IsValid() {
						merged.SetMapIndex(k, reflect.Value{})
					}
				}
			}
			acc.Set(merged)
		}
	}
	return result, nil
}

// CopyFields sets the fields listed in idx (indexes, see FieldIndex) of dst
// to their values in src.
func (p *Plan[S]) CopyFields(dst, src *S, idx []int) {
	for _, i := range idx {
		f := &p.fields[i]
		f.value(unsafe.Pointer(dst)).Set(f.value(unsafe.Pointer(src)))
	}
}

// FieldIndexes returns the indexes of the named fields, or an error naming
// the first name that is not a field.
func (p *Plan[S]) FieldIndexes(names []string) ([]int, error) {
	out := make([]int, 0, len(names))
	for _, n := range names {
		i, ok := p.byName[n]
		if !ok {
			return nil, fmt.Errorf("state: %s has no field %q", p.typ, n)
		}
		if !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out, nil
}
