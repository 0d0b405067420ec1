package tools

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// plainIn covers every kind the fast decoder handles.
type plainIn struct {
	Name    string             `json:"name"`
	Count   int                `json:"count,omitempty"`
	Small   int8               `json:"small"`
	Big     uint64             `json:"big"`
	Ratio   float32            `json:"ratio"`
	Score   float64            `json:"score"`
	On      bool               `json:"on"`
	Opt     *int               `json:"opt"`
	Tags    []string           `json:"tags"`
	Nested  *plainNested       `json:"nested"`
	Extra   map[string]any     `json:"extra"`
	Any     any                `json:"any"`
	Weights map[string]float64 `json:"weights"`
	Deep    [][]int16          `json:"deep"`
	NoTag   string
	Dash    string `json:"-,"`
	Skipped string `json:"-"`
}

type plainNested struct {
	City string   `json:"city"`
	Zips []uint16 `json:"zips"`
}

var argSeeds = []string{
	`{}`, `[]`, `null`, `true`, `"x"`, `0`, `-0`, `-0.0`, `1e3`, `999999`, `1000000`, `-999999`, `12.5`, `1e400`,
	`{"name":"a","count":3,"small":-128,"big":18446744073709551615,"ratio":0.5,"score":1.25,"on":true}`,
	`{"small":128}`, `{"small":1.0}`, `{"count":1e2}`, `{"big":-1}`, `{"ratio":0.1}`, `{"ratio":16777217}`,
	`{"opt":null,"tags":null,"nested":null,"extra":null,"any":null}`, `{"opt":7,"tags":[],"nested":{}}`,
	`{"tags":["a",null,"b"],"nested":{"city":"x","zips":[1,65535,65536]}}`,
	`{"extra":{"a":[1,2.5,{"b":null}],"c":true},"any":[1,"x"],"weights":{"k":3}}`,
	`{"deep":[[1,2],[],null,[32767]]}`, `{"NoTag":"x","-":"y","Skipped":"z"}`, `{"notag":"x"}`, `{"NAME":"x"}`,
	`{"name":"a","name":"b"}`, `{"name":"a\u00e9\n\"","tags":["\ud800","\udc00x"]}`, "{\"name\":\"\xff\xfe\"}",
	"{\"name\":\"\u00e9\"}", `{"name":"a" , "on" : false }`, ` { "name" : "a" } `, `{"name":1}`, `{"on":"true"}`,
	`{"a":}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a":tru}`, `01`, `1.`, `.5`, `1e`, `-`, `+1`, `"\x"`, "\"\t\"",
	`{"score":-0}`, `{"score":1E+2}`, `{"count":-0}`, `{"any":-0}`, `{"any":{"x":[[[3]]]}}`,
}

// FuzzFastArguments checks the fast path against encoding/json: a parse it
// accepts gives the tree encoding/json gives (numbers aside, which must be
// equal), and a decode it accepts gives the struct encoding/json gives.
func FuzzFastArguments(f *testing.F) {
	for _, s := range argSeeds {
		f.Add(s)
	}
	dec := newTreeDecoder(reflect.TypeFor[plainIn]())
	if dec == nil {
		f.Fatal("plainIn has no fast decoder")
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFastArguments(t, dec, s)
	})
}

func TestFastArgumentsSeeds(t *testing.T) {
	dec := newTreeDecoder(reflect.TypeFor[plainIn]())
	for _, s := range argSeeds {
		checkFastArguments(t, dec, s)
	}
}

func checkFastArguments(t *testing.T, dec treeDecoder, s string) {
	t.Helper()
	doc, ok := parseArguments(s)
	var want any
	err := json.Unmarshal([]byte(s), &want)
	if !ok {
		if err == nil && !hasDuplicateKey(s) && depth(want) <= maxFastDepth {
			t.Fatalf("%q: the fast parser refused JSON that encoding/json takes", s)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: the fast parser took text encoding/json refuses: %v", s, err)
	}
	checkIntegers(t, s, doc)
	if got := floatNumbers(clone(doc)); !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: fast parse %#v, encoding/json %#v", s, got, want)
	}
	var fast, slow plainIn
	if !dec(reflect.ValueOf(&fast).Elem(), doc) {
		return
	}
	if err := json.Unmarshal([]byte(s), &slow); err != nil {
		t.Fatalf("%q: fast decode succeeded, encoding/json failed: %v", s, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: fast decode %+v, encoding/json %+v", s, fast, slow)
	}
}

// checkIntegers checks that int64 leaves stay below 10^6, where the
// validator reads them as it reads the float64 encoding/json gives.
func checkIntegers(t *testing.T, s string, x any) {
	switch x := x.(type) {
	case int64:
		if x <= -1e6 || x >= 1e6 {
			t.Fatalf("%q: int64 leaf %d out of the exact-print range", s, x)
		}
	case map[string]any:
		for _, e := range x {
			checkIntegers(t, s, e)
		}
	case []any:
		for _, e := range x {
			checkIntegers(t, s, e)
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatalf("%q: leaf %v", s, x)
		}
	}
}

func clone(x any) any {
	switch x := x.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = clone(e)
		}
		return a
	}
	return x
}

func depth(x any) int {
	d := 0
	switch x := x.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, depth(e))
		}
		return d + 1
	case []any:
		for _, e := range x {
			d = max(d, depth(e))
		}
		return d + 1
	}
	return 0
}

// hasDuplicateKey reports whether some object of the JSON text s repeats
// a key.
func hasDuplicateKey(s string) bool {
	dec := json.NewDecoder(strings.NewReader(s))
	type frame struct {
		object bool
		key    bool
		seen   map[string]bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if k, isKey := tok.(string); isKey && len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].key {
			n := len(stack)
			if stack[n-1].seen[k] {
				return true
			}
			stack[n-1].seen[k] = true
			stack[n-1].key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, key: true, seen: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].key = true
		}
	}
}

func TestTreeDecoderRefusesOwnUnmarshaling(t *testing.T) {
	type withTime struct {
		At orderIn `json:"at"`
	}
	type embedded struct {
		plainNested
	}
	type stringOpt struct {
		N int `json:"n,string"`
	}
	type bytesField struct {
		B []byte `json:"b"`
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[withTime](), reflect.TypeFor[embedded](), reflect.TypeFor[stringOpt](),
		reflect.TypeFor[bytesField](), reflect.TypeFor[map[int]string](), reflect.TypeFor[[2]int](),
	} {
		if newTreeDecoder(typ) != nil {
			t.Errorf("%v: got a fast decoder, want none", typ)
		}
	}
	if newTreeDecoder(reflect.TypeFor[benchIn]()) == nil {
		t.Error("benchIn: no fast decoder")
	}
}

// checkedIn is a plain input type with schema constraints, for comparing
// the fast path with encoding/json end to end.
type checkedIn struct {
	City   string            `json:"city" jsonschema:"minLength=2,enum=Seoul,enum=Busan,enum=Jeju"`
	Days   int               `json:"days" jsonschema:"minimum=1,maximum=14"`
	Level  int8              `json:"level,omitempty"`
	Port   uint16            `json:"port,omitempty"`
	Ratio  float32           `json:"ratio,omitempty" jsonschema:"exclusiveMinimum=0"`
	Score  *float64          `json:"score,omitempty" jsonschema:"maximum=100"`
	Tags   []string          `json:"tags,omitempty" jsonschema:"maxItems=3"`
	Stops  []checkedStop     `json:"stops,omitempty"`
	Labels map[string]int32  `json:"labels,omitempty"`
	Extra  map[string]any    `json:"extra,omitempty"`
	Flags  map[string]bool   `json:"flags,omitempty"`
	Mode   string            `json:"mode,omitempty" jsonschema:"enum=fast,enum=slow"`
	Window *checkedStopRange `json:"window,omitempty"`
}

type checkedStop struct {
	Name  string `json:"name"`
	Order uint8  `json:"order"`
}

type checkedStopRange struct {
	From int64 `json:"from"`
	To   int64 `json:"to" jsonschema:"multipleOf=5"`
}

// FuzzPrepareMatchesSlowPath checks that a call's outcome (the decoded
// input, or the error and its violations) is the one encoding/json alone
// gives: parse into any, validate, decode the text.
func FuzzPrepareMatchesSlowPath(f *testing.F) {
	for _, s := range argSeeds {
		f.Add(s)
	}
	for _, s := range []string{
		`{"city":"Seoul","days":3}`, `{"city":"Seoul","days":15}`, `{"city":"Seoul","days":0}`, `{"city":"Seoul","days":3.0}`,
		`{"city":"Seoul","days":1e1}`, `{"city":"Paris","days":1000000}`, `{"city":"Seoul","days":999999,"level":-129}`,
		`{"city":"Seoul","days":2,"port":65536,"ratio":0,"score":100.5,"tags":["a","b","c","d"]}`,
		`{"city":"Jeju","days":2,"stops":[{"name":"a","order":256},{"name":"b","order":-1}],"labels":{"x":2147483648}}`,
		`{"city":"Busan","days":2,"extra":{"n":[1,2.5,-0]},"flags":{"a":true},"mode":"slow","window":{"from":-5,"to":12}}`,
		`{"city":"Busan","days":2,"mode":"medium","window":{"from":1,"to":10},"score":null,"tags":null}`,
		`{"city":"Busan","days":-0}`, `{"city":"Busan","days":2,"ratio":1e-50}`, `{"city":"Busan","days":2,"ratio":3.4e39}`,
		`{"City":"Busan","days":2}`, `{"city":"Busan","days":2,"unknown":1}`,
	} {
		f.Add(s)
	}
	var got checkedIn
	tool, err := New("checked", "", func(_ context.Context, in checkedIn) (string, error) {
		got = in
		return "ok", nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got = checkedIn{}
		res := tool.Execute(context.Background(), call("checked", s))
		want, wantErr := slowPrepare(tool, s)
		if (res.Err == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, slow path %v", s, res.Err, wantErr)
		}
		if wantErr != nil {
			if res.Err.Error() != wantErr.Error() {
				t.Fatalf("%q:\n got  %v\n want %v", s, res.Err, wantErr)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decoded %+v, slow path %+v", s, got, want)
		}
	})
}

// slowPrepare is argument handling with encoding/json alone.
func slowPrepare(tool *Tool, s string) (checkedIn, error) {
	var in checkedIn
	text := argumentText(s)
	doc, err := tool.parseSlow([]byte(text))
	if err != nil {
		return in, err
	}
	if err := tool.validator.Validate(doc); err != nil {
		return in, &ValidationError{Tool: tool.name, Violations: violations(err, tool.schemaDoc)}
	}
	if err := json.Unmarshal([]byte(text), &in); err != nil {
		return in, &ValidationError{Tool: tool.name, Violations: decodeViolations([]byte(text), err)}
	}
	return in, nil
}
