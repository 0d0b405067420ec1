package tools

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
)

type orderIn struct {
	Customer string    `json:"customer" jsonschema:"minLength=2,maxLength=10"`
	Code     string    `json:"code,omitempty" jsonschema:"pattern=^[A-Z]{3}$"`
	Items    []item    `json:"items" jsonschema:"minItems=1,maxItems=2"`
	Express  bool      `json:"express,omitempty"`
	Priority int8      `json:"priority,omitempty" jsonschema:"minimum=1,maximum=5"`
	Ship     *address  `json:"ship,omitempty"`
	At       time.Time `json:"at"`
	Unit     string    `json:"unit,omitempty" jsonschema:"enum=kg,enum=lb"`
	Weight   int8      `json:"weight,omitempty"`
}

func orderTool(t *testing.T) (*Tool, *orderIn) {
	t.Helper()
	var got orderIn
	tool, err := New("order", "Places an order", func(_ context.Context, in orderIn) (string, error) {
		got = in
		return "ok", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tool, &got
}

func call(name, args string) llm.ToolCall {
	return llm.ToolCall{ID: "call_1", Type: "function", Name: name, Arguments: args}
}

func TestValidationViolations(t *testing.T) {
	tool, _ := orderTool(t)
	const at = `"at":"2025-03-01T09:30:00Z"`
	cases := []struct {
		name, args string
		want       []Violation
	}{
		{"missing required", `{"items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/customer", "required property is missing"}}},
		{"unknown property", `{"customer":"bob","items":[{"sku":"a","count":1}],` + at + `,"colour":"red"}`,
			[]Violation{{"/colour", "unknown property; the allowed properties are at, code, customer, express, items, priority, ship, unit, weight"}}},
		{"unknown nested property", `{"customer":"bob","items":[{"sku":"a","count":1,"colour":"red"}],"ship":{"street":"x","city":"y","floor":3},` + at + `}`,
			[]Violation{
				{"/items/0/colour", "unknown property; the allowed properties are count, sku"},
				{"/ship/floor", "unknown property; the allowed properties are city, street, zip"},
			}},
		{"wrong type", `{"customer":42,"items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/customer", "expected string, got number"}}},
		{"enum", `{"customer":"bob","unit":"stone","items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/unit", `value must be one of "kg", "lb"; got "stone"`}}},
		{"too short", `{"customer":"b","items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/customer", "must be at least 2 characters long; got 1"}}},
		{"too long", `{"customer":"bobbobbobbob","items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/customer", "must be at most 10 characters long; got 12"}}},
		{"pattern", `{"customer":"bob","code":"ab","items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/code", `must match the pattern ^[A-Z]{3}$; got "ab"`}}},
		{"min items", `{"customer":"bob","items":[],` + at + `}`,
			[]Violation{{"/items", "must have at least 1 items; got 0"}}},
		{"max items", `{"customer":"bob","items":[{"sku":"a","count":1},{"sku":"b","count":1},{"sku":"c","count":1}],` + at + `}`,
			[]Violation{{"/items", "must have at most 2 items; got 3"}}},
		{"minimum", `{"customer":"bob","priority":0,"items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/priority", "must be >= 1; got 0"}}},
		{"maximum", `{"customer":"bob","priority":9,"items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/priority", "must be <= 5; got 9"}}},
		{"not an integer", `{"customer":"bob","priority":2.5,"items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/priority", "expected integer, got number"}}},
		{"date-time", `{"customer":"bob","items":[{"sku":"a","count":1}],"at":"tomorrow"}`,
			[]Violation{{"/at", `"tomorrow" is not a valid date-time; use RFC 3339, e.g. "2025-03-01T09:30:00Z"`}}},
		{"nested in array", `{"customer":"bob","items":[{"sku":"a","count":1},{"sku":7}],` + at + `}`,
			[]Violation{{"/items/1/count", "required property is missing"}, {"/items/1/sku", "expected string, got number"}}},
		{"nested object", `{"customer":"bob","items":[{"sku":"a","count":1}],"ship":{"street":"x"},` + at + `}`,
			[]Violation{{"/ship/city", "required property is missing"}}},
		{"root not object", `[1,2]`,
			[]Violation{{"", "expected object, got array"}}},
		{"null for required", `{"customer":null,"items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/customer", "expected string, got null"}}},
		{"decode overflow", `{"customer":"bob","weight":300,"items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/weight", "must be <= 127; got 300"}}},
		{"negative unsigned", `{"customer":"bob","items":[{"sku":"a","count":-1}],` + at + `}`,
			[]Violation{{"/items/0/count", "must be >= 0; got -1"}}},
		{"fraction for an integer", `{"customer":"bob","priority":2.0,"items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/priority", "number 2.0 does not fit the field's Go type int8; send a whole number without a fraction or exponent"}}},
		{"fraction in an array", `{"customer":"bob","items":[{"sku":"a","count":1},{"sku":"b","count":1e1}],` + at + `}`,
			[]Violation{{"/items/1/count", "number 1e1 does not fit the field's Go type uint; send a whole number without a fraction or exponent"}}},
		{"number beyond float64", `{"customer":"bob","priority":1e400,"items":[{"sku":"a","count":1}],` + at + `}`,
			[]Violation{{"/priority", "1e400 is out of range: numbers must fit a 64-bit float"}}},
		{"several at once", `{"customer":1,"unit":"oz","extra":true,"items":[]}`,
			[]Violation{
				{"/at", "required property is missing"},
				{"/customer", "expected string, got number"},
				{"/extra", "unknown property; the allowed properties are at, code, customer, express, items, priority, ship, unit, weight"},
				{"/items", "must have at least 1 items; got 0"},
				{"/unit", `value must be one of "kg", "lb"; got "oz"`},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := tool.Execute(context.Background(), call("order", c.args))
			if !errors.Is(res.Err, ErrInvalidArguments) {
				t.Fatalf("Err = %v, want ErrInvalidArguments", res.Err)
			}
			var ve *ValidationError
			if !errors.As(res.Err, &ve) {
				t.Fatalf("Err is %T, want *ValidationError", res.Err)
			}
			if !reflect.DeepEqual(ve.Violations, c.want) {
				t.Errorf("violations:\n got %q\nwant %q", ve.Violations, c.want)
			}
			if ve.Tool != "order" {
				t.Errorf("Tool = %q", ve.Tool)
			}
			for _, v := range c.want {
				if !strings.Contains(res.Content, "\n- "+v.String()) {
					t.Errorf("content does not list %q:\n%s", v.String(), res.Content)
				}
			}
			if !strings.HasPrefix(res.Content, `Error: the arguments for tool "order" do not match its parameter schema:`) {
				t.Errorf("content = %q", res.Content)
			}
		})
	}
}

func TestValidArgumentsDecoded(t *testing.T) {
	tool, got := orderTool(t)
	args := `{"customer":"bob","code":"ABC","items":[{"sku":"a","count":2}],"express":true,"priority":3,
		"ship":{"street":"1 Main","city":"Seoul"},"at":"2025-03-01T09:30:00+09:00","unit":"kg","weight":-5}`
	res := tool.Execute(context.Background(), call("order", args))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Content != "ok" || res.CallID != "call_1" || res.Name != "order" {
		t.Errorf("result = %+v", res)
	}
	want := orderIn{
		Customer: "bob", Code: "ABC", Items: []item{{SKU: "a", Count: 2}}, Express: true, Priority: 3,
		Ship: &address{Street: "1 Main", City: "Seoul"},
		At:   time.Date(2025, 3, 1, 0, 30, 0, 0, time.UTC), Unit: "kg", Weight: -5,
	}
	if !got.At.Equal(want.At) {
		t.Errorf("At = %v, want %v", got.At, want.At)
	}
	got.At, want.At = time.Time{}, time.Time{}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("decoded\n got %+v\nwant %+v", *got, want)
	}
}

func TestNullForOptionalMeansAbsent(t *testing.T) {
	tool, got := orderTool(t)
	res := tool.Execute(context.Background(), call("order",
		`{"customer":"bob","code":null,"ship":null,"unit":null,"items":[{"sku":"a","count":1}],"at":"2025-03-01T09:30:00Z"}`))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got.Code != "" || got.Ship != nil || got.Unit != "" {
		t.Errorf("null optionals decoded as %+v", *got)
	}
}

func TestMalformedArguments(t *testing.T) {
	tool, _ := orderTool(t)
	cases := []struct {
		args   string
		offset int64
	}{
		{`{"customer":"bob",`, 18},
		{`{"customer":'bob'}`, 13},
		{`{"customer":"bob"} trailing`, 20},
		{`customer=bob`, 1},
		{"{\"customer\":\"bob\"", 17},
	}
	for _, c := range cases {
		res := tool.Execute(context.Background(), call("order", c.args))
		var se *SyntaxError
		if !errors.As(res.Err, &se) || !errors.Is(res.Err, ErrMalformedArguments) {
			t.Errorf("%s: Err = %v, want *SyntaxError", c.args, res.Err)
			continue
		}
		if se.Offset != c.offset {
			t.Errorf("%s: offset %d, want %d", c.args, se.Offset, c.offset)
		}
		if !strings.HasPrefix(res.Content, `Error: the arguments for tool "order" are not valid JSON (`) {
			t.Errorf("content = %q", res.Content)
		}
	}
}

func TestEmptyArguments(t *testing.T) {
	calls := 0
	noargs, err := NewNoArgs("now", "Current time", func(context.Context) (string, error) {
		calls++
		return "12:00", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range []string{"", "  ", "{}", "null"} {
		if res := noargs.Execute(context.Background(), call("now", args)); res.Err != nil || res.Content != "12:00" {
			t.Errorf("args %q: %+v", args, res)
		}
	}
	if calls != 4 {
		t.Errorf("called %d times, want 4", calls)
	}
	res := noargs.Execute(context.Background(), call("now", `{"tz":"UTC"}`))
	var ve *ValidationError
	if !errors.As(res.Err, &ve) || ve.Violations[0] != (Violation{"/tz", "unknown property: the schema does not define it"}) {
		t.Errorf("extra argument: %v", res.Err)
	}
	tool, _ := orderTool(t)
	res = tool.Execute(context.Background(), call("order", ""))
	if !errors.As(res.Err, &ve) || len(ve.Violations) != 3 {
		t.Errorf("empty arguments for a tool with required fields: %v", res.Err)
	}
}

func TestRawSchemaTool(t *testing.T) {
	schema := `{
		"type": "object",
		"properties": {
			"sql": {"type": "string", "minLength": 1},
			"limit": {"type": "integer", "minimum": 1, "maximum": 100}
		},
		"required": ["sql"],
		"additionalProperties": false
	}`
	var seen json.RawMessage
	tool, err := NewRaw("query", "Runs a read-only query", []byte(schema),
		func(_ context.Context, args json.RawMessage) (map[string]any, error) {
			seen = args
			return map[string]any{"rows": 3}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	res := tool.Execute(context.Background(), call("query", ` {"sql":"select 1","limit":5} `))
	if res.Err != nil || res.Content != `{"rows":3}` {
		t.Fatalf("result = %+v", res)
	}
	if string(seen) != `{"sql":"select 1","limit":5}` {
		t.Errorf("args passed = %s", seen)
	}
	res = tool.Execute(context.Background(), call("query", `{"limit":500}`))
	var ve *ValidationError
	if !errors.As(res.Err, &ve) {
		t.Fatalf("Err = %v", res.Err)
	}
	want := []Violation{{"/limit", "must be <= 100; got 500"}, {"/sql", "required property is missing"}}
	if !reflect.DeepEqual(ve.Violations, want) {
		t.Errorf("violations %q, want %q", ve.Violations, want)
	}
	if string(tool.Schema()) != `{"type":"object","properties":{"sql":{"type":"string","minLength":1},"limit":{"type":"integer","minimum":1,"maximum":100}},"required":["sql"],"additionalProperties":false}` {
		t.Errorf("schema = %s", tool.Schema())
	}
}

func TestRawSchemaWithDefsAndOneOf(t *testing.T) {
	schema := `{
		"type": "object",
		"$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}},
		"properties": {
			"shape": {"oneOf": [
				{"type": "object", "properties": {"circle": {"$ref": "#/$defs/point"}}, "required": ["circle"], "additionalProperties": false},
				{"type": "string", "enum": ["none"]}
			]}
		},
		"required": ["shape"]
	}`
	tool, err := NewRaw("draw", "", []byte(schema), rawEcho)
	if err != nil {
		t.Fatal(err)
	}
	if res := tool.Execute(context.Background(), call("draw", `{"shape":{"circle":{"x":1,"y":2}}}`)); res.Err != nil {
		t.Fatalf("valid call failed: %v", res.Err)
	}
	res := tool.Execute(context.Background(), call("draw", `{"shape":{"circle":{"x":1}}}`))
	var ve *ValidationError
	if !errors.As(res.Err, &ve) {
		t.Fatalf("Err = %v", res.Err)
	}
	want := []Violation{{"/shape", "expected string, got object"}, {"/shape/circle/y", "required property is missing"}}
	if !reflect.DeepEqual(ve.Violations, want) {
		t.Errorf("violations %q, want %q", ve.Violations, want)
	}
}

func TestManyViolationsListedBriefly(t *testing.T) {
	tool, _ := orderTool(t)
	args := `{"customer":"bob","at":"2025-03-01T09:30:00Z","items":[` + strings.Repeat(`{"sku":1,"count":1},`, 99) + `{"sku":1,"count":1}]}`
	res := tool.Execute(context.Background(), call("order", args))
	var ve *ValidationError
	if !errors.As(res.Err, &ve) {
		t.Fatalf("Err = %v", res.Err)
	}
	// 100 wrong skus and the maxItems violation.
	if len(ve.Violations) != 101 {
		t.Errorf("%d violations, want 101", len(ve.Violations))
	}
	if !strings.Contains(res.Content, "\n- and 71 more violations\nFix the arguments") || strings.Count(res.Content, "\n- /") != 30 {
		t.Errorf("content = %s", res.Content)
	}
	if !strings.HasSuffix(ve.Error(), "; and 71 more") {
		t.Errorf("Error() = %s", ve.Error())
	}
}
