package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/invopop/jsonschema"
)

var update = flag.Bool("update", false, "rewrite the golden schema files")

// Shapes for the golden schema tests.

type weatherIn struct {
	Location string `json:"location" jsonschema:"description=City and country\\, e.g. Seoul\\, South Korea"`
	Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit,description=Temperature unit"`
}

type address struct {
	Street string `json:"street"`
	City   string `json:"city" jsonschema_description:"City name"`
	Zip    string `json:"zip,omitempty"`
}

type nestedIn struct {
	Name    string   `json:"name"`
	Home    address  `json:"home"`
	Work    *address `json:"work"`
	Friends []struct {
		Name string `json:"name"`
		Age  int    `json:"age,omitzero"`
	} `json:"friends,omitempty"`
}

type enumIn struct {
	Mode     string  `json:"mode" jsonschema:"enum=fast,enum=slow"`
	Level    int     `json:"level" jsonschema:"enum=1,enum=2,enum=3"`
	Ratio    float64 `json:"ratio" jsonschema:"minimum=0,maximum=1"`
	Code     string  `json:"code" jsonschema:"minLength=2,maxLength=4,pattern=^[A-Z]+$"`
	Priority *int    `json:"priority,omitempty" jsonschema:"minimum=1"`
}

type optionalIn struct {
	Required  string    `json:"required"`
	Omit      string    `json:"omit,omitempty"`
	Zero      int       `json:"zero,omitzero"`
	Pointer   *bool     `json:"pointer"`
	Forced    *string   `json:"forced" jsonschema:"required"`
	Nullable  string    `json:"nullable" jsonschema:"nullable"`
	Ignored   string    `json:"-"`
	Skipped   string    `json:"skipped" jsonschema:"-"`
	unexposed string    //nolint:unused // checks unexported fields are left out
	NoTag     float32   // named by its Go name
	Opt       *[]string `json:"opt"`
}

type collectionsIn struct {
	Tags     []string          `json:"tags"`
	Matrix   [][]int           `json:"matrix,omitempty"`
	Pair     [2]string         `json:"pair"`
	Labels   map[string]string `json:"labels"`
	Scores   map[int]float64   `json:"scores,omitempty"`
	Anything any               `json:"anything,omitempty"`
	Raw      json.RawMessage   `json:"raw,omitempty"`
	Data     []byte            `json:"data,omitempty"`
	Items    []item            `json:"items" jsonschema:"minItems=1,maxItems=5"`
}

type item struct {
	SKU   string `json:"sku"`
	Count uint   `json:"count"`
}

type timeIn struct {
	At       time.Time     `json:"at"`
	Until    *time.Time    `json:"until"`
	Every    time.Duration `json:"every_ns,omitempty"`
	Calendar []time.Time   `json:"calendar,omitempty"`
}

type Base struct {
	ID    string `json:"id"`
	Owner string `json:"owner,omitempty"`
}

type embeddedIn struct {
	Base
	*Extra
	Title string `json:"title"`
}

// Extra is embedded through a pointer.
type Extra struct {
	Note *string `json:"note"`
}

func echo[In any](_ context.Context, in In) (In, error) { return in, nil }

func TestSchemaGolden(t *testing.T) {
	cases := []struct {
		name string
		tool func() (*Tool, error)
	}{
		{"weather", func() (*Tool, error) { return New("get_weather", "", echo[weatherIn]) }},
		{"nested", func() (*Tool, error) { return New("nested", "", echo[nestedIn]) }},
		{"enum", func() (*Tool, error) { return New("enum", "", echo[enumIn]) }},
		{"optional", func() (*Tool, error) { return New("optional", "", echo[optionalIn]) }},
		{"collections", func() (*Tool, error) { return New("collections", "", echo[collectionsIn]) }},
		{"time", func() (*Tool, error) { return New("time", "", echo[timeIn]) }},
		{"embedded", func() (*Tool, error) { return New("embedded", "", echo[embeddedIn]) }},
		{"noargs", func() (*Tool, error) {
			return NewNoArgs("noargs", "", func(context.Context) (string, error) { return "", nil })
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tool, err := c.tool()
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, tool.Schema(), "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')
			golden := filepath.Join("testdata", "schema", c.name+".json")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestSchemaGolden -update to create it)", err)
			}
			if got.String() != string(want) {
				t.Errorf("schema differs from %s\n got: %s\nwant: %s", golden, got.String(), want)
			}
			if strings.Contains(got.String(), "$ref") || strings.Contains(got.String(), "$defs") {
				t.Errorf("schema has $ref/$defs:\n%s", got.String())
			}
		})
	}
}

// requiredOf returns the "required" list of the schema node at the given
// property path.
func requiredOf(t *testing.T, tool *Tool, path ...string) []string {
	t.Helper()
	var node map[string]any
	if err := json.Unmarshal(tool.Schema(), &node); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		props, _ := node["properties"].(map[string]any)
		next, ok := props[p].(map[string]any)
		if !ok {
			if items, ok := node["items"].(map[string]any); ok && p == "[]" {
				node = items
				continue
			}
			t.Fatalf("no property %q in %v", p, node)
		}
		node = next
	}
	var out []string
	for _, r := range node["required"].([]any) {
		out = append(out, r.(string))
	}
	return out
}

func TestSchemaRequiredFollowsGo(t *testing.T) {
	opt, err := New("optional", "", echo[optionalIn])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(requiredOf(t, opt), ","), "required,forced,nullable,NoTag"; got != want {
		t.Errorf("required = %s, want %s", got, want)
	}
	nested, err := New("nested", "", echo[nestedIn])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(requiredOf(t, nested), ","), "name,home"; got != want {
		t.Errorf("required = %s, want %s", got, want)
	}
	if got, want := strings.Join(requiredOf(t, nested, "work"), ","), "street,city"; got != want {
		t.Errorf("work required = %s, want %s", got, want)
	}
	if got, want := strings.Join(requiredOf(t, nested, "friends", "[]"), ","), "name"; got != want {
		t.Errorf("friends[] required = %s, want %s", got, want)
	}
	emb, err := New("embedded", "", echo[embeddedIn])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(requiredOf(t, emb), ","), "id,title"; got != want {
		t.Errorf("embedded required = %s, want %s", got, want)
	}
}

type recursiveIn struct {
	Name     string        `json:"name"`
	Children []recursiveIn `json:"children"`
}

type chanIn struct {
	Events chan int `json:"events"`
}

type funcIn struct {
	Inner struct {
		Callback func() `json:"callback"`
	} `json:"inner"`
}

type complexIn struct {
	Z complex128 `json:"z"`
}

type stringerIn struct {
	Names []fmt.Stringer `json:"names"`
}

type structKeyIn struct {
	M map[item]string `json:"m"`
}

func TestDeclarationErrors(t *testing.T) {
	noop := func(context.Context) (string, error) { return "", nil }
	cases := []struct {
		name string
		make func() (*Tool, error)
		want string
	}{
		{"recursive", func() (*Tool, error) { return New("r", "", echo[recursiveIn]) },
			"field recursiveIn.children[]: recursive type tools.recursiveIn cannot be described without $ref"},
		{"chan", func() (*Tool, error) { return New("c", "", echo[chanIn]) },
			"field chanIn.events: type chan int has no JSON representation"},
		{"func", func() (*Tool, error) { return New("f", "", echo[funcIn]) },
			"field funcIn.inner.callback: type func() has no JSON representation"},
		{"complex", func() (*Tool, error) { return New("z", "", echo[complexIn]) },
			"field complexIn.z: type complex128 has no JSON representation"},
		{"map key", func() (*Tool, error) { return New("m", "", echo[structKeyIn]) },
			"field structKeyIn.m: map key type tools.item cannot be a JSON object key"},
		{"interface", func() (*Tool, error) { return New("i", "", echo[stringerIn]) },
			"field stringerIn.names[]: JSON cannot be decoded into interface type fmt.Stringer; use a concrete type or any"},
		{"not a struct", func() (*Tool, error) { return New("s", "", echo[[]string]) },
			"input type []string must be a struct"},
		{"empty name", func() (*Tool, error) { return NewNoArgs("", "", noop) }, "the name must be"},
		{"bad name", func() (*Tool, error) { return NewNoArgs("get weather", "", noop) }, "the name must be"},
		{"long name", func() (*Tool, error) { return NewNoArgs(strings.Repeat("a", 65), "", noop) }, "the name must be"},
		{"digit first", func() (*Tool, error) { return NewNoArgs("1tool", "", noop) }, "the name must be"},
		{"nil func", func() (*Tool, error) { return New[weatherIn, string]("w", "", nil) }, "the function is nil"},
		{"nil noargs", func() (*Tool, error) { return NewNoArgs[string]("w", "", nil) }, "the function is nil"},
		{"bad timeout", func() (*Tool, error) { return NewNoArgs("w", "", noop, WithTimeout(-time.Second)) },
			"WithTimeout(-1s): the timeout must be positive"},
		{"bad output limit", func() (*Tool, error) { return NewNoArgs("w", "", noop, WithMaxOutputBytes(10)) },
			"WithMaxOutputBytes(10): the limit must be at least 64 bytes"},
		{"raw not json", func() (*Tool, error) { return NewRaw("raw", "", []byte(`{"type":`), rawEcho) },
			"the schema is not valid JSON"},
		{"raw not object", func() (*Tool, error) { return NewRaw("raw", "", []byte(`{"type":"string"}`), rawEcho) },
			`schema must have "type": "object"`},
		{"raw array", func() (*Tool, error) { return NewRaw("raw", "", []byte(`[1]`), rawEcho) },
			"schema must be a JSON object, got array"},
		{"raw bad keyword", func() (*Tool, error) {
			return NewRaw("raw", "", []byte(`{"type":"object","properties":{"a":{"type":"strin"}}}`), rawEcho)
		}, "schema does not compile"},
		{"raw external ref", func() (*Tool, error) {
			return NewRaw("raw", "", []byte(`{"type":"object","properties":{"a":{"$ref":"https://example.invalid/a.json"}}}`), rawEcho)
		}, "external schema references are not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tool, err := c.make()
			if err == nil {
				t.Fatalf("declared %q, want an error containing %q", tool.Name(), c.want)
			}
			if !errors.Is(err, ErrInvalidTool) {
				t.Errorf("error %v does not match ErrInvalidTool", err)
			}
			var de *DeclarationError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DeclarationError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func rawEcho(_ context.Context, args json.RawMessage) (json.RawMessage, error) { return args, nil }

// colour describes its own schema.
type colour string

func (colour) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Enum: []any{"red", "green"}, Description: "A colour"}
}

type paintIn struct {
	Colour colour   `json:"colour"`
	Others []colour `json:"others,omitempty"`
}

func TestSchemaFromTypeMethod(t *testing.T) {
	tool, err := New("paint", "", echo[paintIn])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"properties":{"colour":{"type":"string","enum":["red","green"],"description":"A colour"},` +
		`"others":{"items":{"type":"string","enum":["red","green"],"description":"A colour"},"type":"array"}},` +
		`"additionalProperties":false,"type":"object","required":["colour"]}`
	if got := string(tool.Schema()); got != want {
		t.Errorf("schema\n got %s\nwant %s", got, want)
	}
	res := tool.Execute(context.Background(), call("paint", `{"colour":"blue"}`))
	var ve *ValidationError
	if !errors.As(res.Err, &ve) || ve.Violations[0].String() != `/colour: value must be one of "red", "green"; got "blue"` {
		t.Errorf("Err = %v", res.Err)
	}
}
