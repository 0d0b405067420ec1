package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"
)

type encWritesState struct {
	Zeta     string
	Alpha    int `reduce:"sum"`
	Messages []string
	Tags     map[string]string `reduce:"merge"`
	Note     string
	Level    level
	Ratio    float64
	Done     bool
	Big      uint64
	At       time.Time
	Small    int8
	I16      int16
	I32      int32
	U8       uint8
	U16      uint16
	U32      uint32
	Kind     plainKind
	Num      json.Number
	Nums     []json.Number
	Temp     tempC
	Box      tempBox
}

// tempC has its JSON form on its pointer: encoding/json uses it for a
// field of a state, which it reaches by address.
type tempC struct{ C float64 }

func (t *tempC) MarshalJSON() ([]byte, error) { return json.Marshal(fmt.Sprintf("%gC", t.C)) }

func (t *tempC) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	_, err := fmt.Sscanf(s, "%gC", &t.C)
	return err
}

// tempBox holds a tempC one level down.
type tempBox struct {
	T tempC
}

// plainKind is a named integer without an encoding of its own: written as
// an integer.
type plainKind int32

// level has its own JSON form: written through MarshalJSON, never as an
// integer.
type level int

func (l level) MarshalJSON() ([]byte, error) { return json.Marshal(fmt.Sprintf("L%d", int(l))) }

func (l *level) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	_, err := fmt.Sscanf(s, "L%d", (*int)(l))
	return err
}

// The writes document is written directly; it must be byte for byte what
// encoding/json writes for the same document, and decode back.
func TestEncodeWritesMatchesEncodingJSON(t *testing.T) {
	p, err := NewPlan[encWritesState]()
	if err != nil {
		t.Fatal(err)
	}
	in := encWritesState{Zeta: "z", Messages: []string{"a"}, Note: "n"}
	cases := []struct {
		name string
		out  encWritesState
		mark []int
	}{
		{"nothing", in, nil},
		{"set only", encWritesState{Zeta: "<&>", Alpha: 3, Messages: []string{"a"}, Note: "n"}, nil},
		{"append only", encWritesState{Zeta: "z", Messages: []string{"a", "b", "c"}, Note: "n"}, nil},
		{"both", encWritesState{Zeta: "y", Alpha: 1, Messages: []string{"a", "é"}, Tags: map[string]string{"k": "v"}, Note: "m"}, nil},
		{"replaced slice", encWritesState{Zeta: "z", Messages: []string{"x"}, Note: "n"}, nil},
		{"marked unchanged", in, []int{p.FieldIndex("Note")}},
		{"scalars", encWritesState{Zeta: "z", Messages: []string{"a"}, Note: "n", Level: 3, Ratio: 1e21, Done: true, Big: 1 << 63, Small: -5,
			At: time.Date(2026, 12, 3, 8, 0, 0, 5, time.UTC)}, nil},
		{"every integer size", encWritesState{Zeta: "z", Messages: []string{"a"}, Note: "n", Small: -128, I16: -32768, I32: -1 << 31, U8: 255, U16: 65535, U32: 1<<32 - 1, Kind: -7, Big: 1<<64 - 1}, nil},
		{"slice set to nil", encWritesState{Zeta: "z", Note: "n"}, nil},
		{"pointer-receiver encodings", encWritesState{Zeta: "z", Messages: []string{"a"}, Note: "n", Temp: tempC{2.5}, Box: tempBox{tempC{-4}}}, nil},
		{"json numbers", encWritesState{Zeta: "z", Messages: []string{"a"}, Note: "n", Num: "12.5", Nums: []json.Number{"1", "-2e3"}}, nil},
		{"slice set to empty", encWritesState{Zeta: "z", Messages: []string{}, Note: "n"}, nil},
		{"strings that need escapes", encWritesState{Zeta: "tab\there \"q\" \\ \u2028 한국어 \x01", Messages: []string{"a", "<b>", "ok"}, Note: "n"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.EncodeWritesMarked(&in, &tc.out, tc.mark)
			if err != nil {
				t.Fatal(err)
			}
			want := referenceWrites(t, p, &in, &tc.out, tc.mark)
			if !bytes.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
			back, err := p.ApplyWrites(in, got)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := p.EncodeWritesMarked(&in, &back, tc.mark)
			if !bytes.Equal(again, got) {
				t.Fatalf("applied writes encode to %s, want %s", again, got)
			}
		})
	}
}

// referenceWrites builds the document with maps and encoding/json.
func referenceWrites(t *testing.T, p *Plan[encWritesState], in, out *encWritesState, marked []int) []byte {
	var doc writesDoc
	for i := range p.fields {
		f := &p.fields[i]
		if !p.WroteOrMarked(i, in, out, marked) {
			continue
		}
		vin, vout := f.value(unsafe.Pointer(in)), f.value(unsafe.Pointer(out))
		if f.Type.Kind() == reflect.Slice && !vout.IsNil() && vout.Len() >= vin.Len() && vin.Len() > 0 && samePrefix(vin, vout) {
			b, _ := json.Marshal(vout.Slice(vin.Len(), vout.Len()).Interface())
			if doc.Append == nil {
				doc.Append = map[string]json.RawMessage{}
			}
			doc.Append[f.Name] = b
			continue
		}
		b, _ := json.Marshal(vout.Addr().Interface()) // as the state's own encoding reaches it
		if doc.Set == nil {
			doc.Set = map[string]json.RawMessage{}
		}
		doc.Set[f.Name] = b
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A string that is not valid UTF-8 is still refused, naming the field.
func TestEncodeWritesRefusesInvalidUTF8(t *testing.T) {
	p, err := NewPlan[encWritesState]()
	if err != nil {
		t.Fatal(err)
	}
	in := encWritesState{Messages: []string{"a"}}
	for _, out := range []encWritesState{{Zeta: "ok\xff"}, {Messages: []string{"a", "b\xfe"}}} {
		_, err := p.EncodeWritesMarked(&in, &out, nil)
		if !errors.Is(err, ErrInvalidUTF8) {
			t.Fatalf("%+v: err %v, want ErrInvalidUTF8", out, err)
		}
	}
}

type (
	// withHidden has fields the state's encoding leaves out: tagged "-",
	// unexported, and the fields of a struct embedded with "-"; and the
	// promoted fields of an embedded unexported struct, which it keeps.
	withHidden struct {
		N       int
		Hook    func() `json:"-"`
		Note    string `json:"-"`
		secret  string
		Skipped hiddenPart `json:"-"`
		shown
	}
	hiddenPart struct{ Inner string }
	shown      struct{ Visible string }
)

// Encoded writes hold what a snapshot holds: a node that changes a field
// the state's encoding leaves out (a func, a json:"-" string, an
// unexported field) writes nothing for it, and its other writes are
// saved (a func used to fail the encoding).
func TestEncodeWritesLeaveOutHiddenFields(t *testing.T) {
	p, err := NewPlan[withHidden]()
	if err != nil {
		t.Fatal(err)
	}
	in := withHidden{}
	out := withHidden{N: 2, Hook: func() {}, Note: "n", secret: "s", Skipped: hiddenPart{"i"}, shown: shown{"v"}}
	b, err := p.EncodeWrites(&in, &out)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"set":{"N":2,"Visible":"v"}}`; string(b) != want {
		t.Fatalf("writes %s, want %s", b, want)
	}
	back, err := p.ApplyWrites(in, b)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := p.EncodeState(&out)
	if err != nil {
		t.Fatal(err)
	}
	fromSnap, err := p.DecodeState(snap)
	if err != nil {
		t.Fatal(err)
	}
	if back.N != fromSnap.N || back.Visible != fromSnap.Visible || back.Note != fromSnap.Note || back.secret != fromSnap.secret || back.Skipped != fromSnap.Skipped || back.Hook != nil {
		t.Fatalf("from writes %+v, from a snapshot %+v: want the same", back, fromSnap)
	}
	// Changing only hidden fields writes nothing.
	if b, err := p.EncodeWrites(&in, &withHidden{Note: "n", secret: "s"}); err != nil || string(b) != noWrites {
		t.Fatalf("hidden only: %s, %v", b, err)
	}
}

// A value whose MarshalJSON is on its pointer cannot be saved inside a
// map value, where encoding/json does not take its address: the plan says
// so, with where and what to do, and accepts it everywhere else.
func TestEncodingProblemsPointerMethodInMap(t *testing.T) {
	type item struct {
		Name string
		Temp tempC
	}
	type S struct {
		Direct  tempC
		List    []tempC
		ByName  map[string]tempC
		Items   map[string]item
		Ptrs    map[string]*tempC
		Lists   map[string][]tempC
		Fixed   map[string][2]tempC
		ItemPtr map[string]*item
	}
	p, err := NewPlan[S]()
	if err != nil {
		t.Fatal(err)
	}
	got := p.EncodingProblems()
	want := []string{
		"S.ByName[key]: type state.tempC has its MarshalJSON on *state.tempC, which encoding/json does not call inside a map value, so the value would be saved without it and not read back (keep a *state.tempC there, or give state.tempC the method itself)",
		"S.Items[key].Temp: type state.tempC has its MarshalJSON on *state.tempC, which encoding/json does not call inside a map value, so the value would be saved without it and not read back (keep a *state.tempC there, or give state.tempC the method itself)",
		"S.Fixed[key][]: type state.tempC has its MarshalJSON on *state.tempC, which encoding/json does not call inside a map value, so the value would be saved without it and not read back (keep a *state.tempC there, or give state.tempC the method itself)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// What it accepts does come back.
	type OK struct {
		Direct tempC
		List   []tempC
		Ptrs   map[string]*tempC
		Lists  map[string][]tempC
	}
	po, _ := NewPlan[OK]()
	if pr := po.EncodingProblems(); len(pr) != 0 {
		t.Fatalf("problems %v, want none", pr)
	}
	in := OK{Direct: tempC{1}, List: []tempC{{2}}, Ptrs: map[string]*tempC{"a": {3}}, Lists: map[string][]tempC{"b": {{4}}}}
	b, err := po.EncodeState(&in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := po.DecodeState(b)
	if err != nil || back.Direct != in.Direct || back.List[0] != in.List[0] || *back.Ptrs["a"] != *in.Ptrs["a"] || back.Lists["b"][0] != in.Lists["b"][0] {
		t.Fatalf("%s decoded to %+v, %v", b, back, err)
	}
}

// EncodeValue writes a value as encoding/json writes it in a field of a
// state: a MarshalJSON on the pointer of its type, or of a field's type,
// is used, and what it writes decodes back.
func TestEncodeValueUsesPointerMethods(t *testing.T) {
	type item struct {
		Name string
		Temp tempC
	}
	cases := []struct {
		v    any
		want string
	}{
		{tempC{2.5}, `"2.5C"`},
		{item{"a", tempC{-1}}, `{"Name":"a","Temp":"-1C"}`},
		{[2]tempC{{1}, {2}}, `["1C","2C"]`},
		{[]tempC{{3}}, `["3C"]`},
		{&tempC{4}, `"4C"`},
		{42, `42`},
		{"text", `"text"`},
		{[]string{"x"}, `["x"]`},
	}
	for _, tc := range cases {
		b, err := EncodeValue("a value", tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("%#v: %s, %v; want %s", tc.v, b, err, tc.want)
		}
	}
	b, _ := EncodeValue("an item", item{"b", tempC{7}})
	var back item
	if err := json.Unmarshal(b, &back); err != nil || back != (item{"b", tempC{7}}) {
		t.Fatalf("%s decoded to %+v, %v", b, back, err)
	}
}
