package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// directState is written by EncodeState without encoding/json: every
// field is an integer, a boolean, a string or a slice of strings, under its
// Go name or a plain json name, some left out when empty.
type directState struct {
	Counter int `reduce:"sum"`
	Small   int8
	I16     int16
	I32     int32
	I64     int64
	U       uint
	U8      uint8
	U16     uint16
	U32     uint32
	U64     uint64
	Ptr     uintptr
	Done    bool
	Name    string
	Kind    plainKind
	Role    plainRole
	Msgs    []string    `json:"messages" reduce:"append"`
	Roles   []plainRole `json:"roles,omitempty"`
	Note    string      `json:"note,omitempty"`
	Hits    int         `json:",omitempty"`
	Flag    bool        `json:"flag,omitempty"`
	Dash    string      `json:"-,"`
	Hyphen  uint16      `json:"the-hyphen,omitempty"`
}

// plainRole is a named string without an encoding of its own.
type plainRole string

// Encoding a state directly must give, byte for byte, what encoding/json
// gives, for every value: plain ones (written directly) and ones with
// strings that need escapes or are not UTF-8 (handed to encoding/json,
// with its errors).
func TestEncodeStateMatchesEncodingJSON(t *testing.T) {
	p, err := NewPlan[directState]()
	if err != nil {
		t.Fatal(err)
	}
	if p.keys == nil {
		t.Fatal("directState is not written directly")
	}
	cases := []struct {
		name   string
		s      directState
		direct bool
	}{
		{"zero", directState{}, true},
		{"empty slices", directState{Msgs: []string{}, Roles: []plainRole{}}, true},
		{"plain values", directState{Counter: -3, Name: "agent", Msgs: []string{"hello", "", "a b"}, Roles: []plainRole{"user"}, Note: "n", Hits: 2, Flag: true, Dash: "d", Hyphen: 9, Role: "tool", Kind: -7}, true},
		{"extremes", directState{Counter: math.MinInt, Small: -128, I16: math.MinInt16, I32: math.MinInt32, I64: math.MaxInt64, U: math.MaxUint, U8: 255, U16: math.MaxUint16, U32: math.MaxUint32, U64: math.MaxUint64, Ptr: ^uintptr(0), Done: true}, true},
		{"html characters", directState{Name: "<b>&</b>"}, false},
		{"escapes", directState{Msgs: []string{"ok", "tab\tquote\" back\\ \u2028 \x01"}}, false},
		{"non-ASCII", directState{Note: "한국어 é"}, false},
		{"role needs escapes", directState{Roles: []plainRole{"a", "\"b\""}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.EncodeState(&tc.s)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(&tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
			if _, ok := p.appendState(nil, unsafe.Pointer(&tc.s)); ok != tc.direct {
				t.Fatalf("written directly: %v, want %v", ok, tc.direct)
			}
			back, err := p.DecodeState(got)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.s) && tc.name != "empty slices" {
				t.Fatalf("decoded %+v, want %+v", back, tc.s)
			}
		})
	}
	// Random values, with strings drawn from characters that need escapes
	// and ones that do not.
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "0", " ", "-", "\"", "\\", "<", ">", "&", "\n", "\x7f", "é", "\u2028", "~"}
	str := func() string {
		var b []byte
		for range rng.IntN(4) {
			b = append(b, alphabet[rng.IntN(len(alphabet))]...)
		}
		return string(b)
	}
	for i := range 3000 {
		s := directState{Counter: int(rng.Int64()), Small: int8(rng.Uint32()), U64: rng.Uint64(), Done: rng.IntN(2) == 0,
			Name: str(), Note: str(), Dash: str(), Role: plainRole(str()), Hits: rng.IntN(2), Flag: rng.IntN(2) == 0, Hyphen: uint16(rng.IntN(2))}
		if rng.IntN(3) > 0 {
			s.Msgs = make([]string, rng.IntN(3))
			for j := range s.Msgs {
				s.Msgs[j] = str()
			}
		}
		if rng.IntN(2) == 0 {
			s.Roles = []plainRole{plainRole(str())}
		}
		got, err := p.EncodeState(&s)
		want, werr := json.Marshal(&s)
		if err != nil || werr != nil || !bytes.Equal(got, want) {
			t.Fatalf("value %d %+v:\ngot  %s (%v)\nwant %s (%v)", i, s, got, err, want, werr)
		}
	}
	// A string that is not UTF-8 is refused as encoding/json's path
	// refuses it, naming the field.
	for _, s := range []directState{{Name: "ok\xff"}, {Msgs: []string{"a", "b\xfe"}}} {
		_, err := p.EncodeState(&s)
		if !errors.Is(err, ErrInvalidUTF8) {
			t.Fatalf("%+v: err %v, want ErrInvalidUTF8", s, err)
		}
	}
}

// A state written directly takes one allocation, of its size, however
// long its strings.
func TestEncodeStateAllocatesOnce(t *testing.T) {
	p, err := NewPlan[directState]()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []directState{{}, {Name: strings.Repeat("x", 10000), Msgs: []string{strings.Repeat("y", 5000), "", "z"}, Counter: math.MinInt, U64: math.MaxUint64}} {
		var b []byte
		if n := testing.AllocsPerRun(20, func() { b, _ = p.EncodeState(&s) }); n != 1 {
			t.Fatalf("%d allocations, want 1", int(n))
		}
		want, _ := json.Marshal(&s)
		if !bytes.Equal(b, want) {
			t.Fatalf("got %.80s…, want %.80s…", b, want)
		}
	}
}

type (
	withEmbedded struct {
		Inner
		N int
	}
	Inner struct{ A int }

	withSkipped struct {
		N int
		S string `json:"-"`
	}
	withStringOpt struct {
		N int `json:"n,string"`
	}
	withOmitZero struct {
		M []string `json:"m,omitzero"`
	}
	withMarshaler struct {
		N int
		L level
	}
	withFloat struct {
		N int
		F float64
	}
	withStruct struct {
		N  int
		In Inner
	}
	withDuplicate struct {
		A int `json:"X"`
		X int
	}
	withOddTag struct {
		A int `json:"a.b"`
	}
	ownEncoding struct{ N int }
	// json.Number is a string that encoding/json writes as a number.
	withNumber struct {
		N  json.Number
		Ns []json.Number
	}
	withNumbers struct {
		Ns []json.Number
	}
)

func (o ownEncoding) MarshalJSON() ([]byte, error) { return []byte(`"own"`), nil }

func (o *ownEncoding) UnmarshalJSON([]byte) error { return nil }

// States whose encoding needs encoding/json's rules (embedding, skipped or
// renamed fields with options, values with encodings of their own, floats,
// structs) are not written directly, and still encode as encoding/json
// writes them.
func TestEncodeStateFallsBackToEncodingJSON(t *testing.T) {
	checkFallback(t, "embedded", withEmbedded{Inner{1}, 2})
	checkFallback(t, "skipped", withSkipped{1, "x"})
	checkFallback(t, "string option", withStringOpt{5})
	checkFallback(t, "omitzero", withOmitZero{M: []string{}})
	checkFallback(t, "marshaler field", withMarshaler{1, 2})
	checkFallback(t, "float", withFloat{1, 0.1})
	checkFallback(t, "struct field", withStruct{1, Inner{2}})
	checkFallback(t, "duplicate names", withDuplicate{1, 2})
	checkFallback(t, "tag with a dot", withOddTag{1})
	checkFallback(t, "own encoding", ownEncoding{1})
	checkFallback(t, "json.Number", withNumber{N: "12", Ns: []json.Number{"1.5", "-2e3"}})
	checkFallback(t, "slice of json.Number", withNumbers{Ns: []json.Number{"7"}})
}

// checkFallback checks that T's plan does not write a T directly and that
// EncodeState gives encoding/json's bytes for s.
func checkFallback[T any](t *testing.T, name string, s T) {
	t.Helper()
	p, err := NewPlan[T]()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if p.keys != nil {
		t.Errorf("%s: written directly, want encoding/json", name)
	}
	got, err := p.EncodeState(&s)
	want, werr := json.Marshal(&s)
	if err != nil || werr != nil || !bytes.Equal(got, want) {
		t.Errorf("%s: got %s (%v), want %s (%v)", name, got, err, want, werr)
	}
}

// plainASCII, eight bytes at a time, agrees with a byte-by-byte check for
// every byte value at every position of strings of 0 to 24 bytes, and
// for random strings.
func TestPlainASCII(t *testing.T) {
	ref := plainASCIIBytes
	for n := range 25 {
		base := bytes.Repeat([]byte("a"), n)
		if !plainASCII(string(base)) {
			t.Fatalf("%q: not plain", base)
		}
		for pos := range n {
			for c := range 256 {
				b := bytes.Clone(base)
				b[pos] = byte(c)
				if got, want := plainASCII(string(b)), ref(string(b)); got != want {
					t.Fatalf("%q: plainASCII %v, want %v", b, got, want)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(0x1c + rng.IntN(0x66)) // mostly plain, some not
			if rng.IntN(50) == 0 {
				b[i] = byte(rng.IntN(256))
			}
		}
		if got, want := plainASCII(string(b)), ref(string(b)); got != want {
			t.Fatalf("%q: plainASCII %v, want %v", b, got, want)
		}
	}
}

// plainASCIIBytes is plainASCII one byte at a time: the reference.
func plainASCIIBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

var plainSink bool

// BenchmarkPlainASCII10KB checks a 10 KB plain string eight bytes at a
// time (words) and one byte at a time (bytes), in one run.
func BenchmarkPlainASCII10KB(b *testing.B) {
	s := strings.Repeat("the quick brown fox jumps over the lazy dog. ", 230)
	for _, bc := range []struct {
		name string
		fn   func(string) bool
	}{{"words", plainASCII}, {"bytes", plainASCIIBytes}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				plainSink = bc.fn(s)
			}
			if !plainSink {
				b.Fatal("not plain")
			}
		})
	}
}
