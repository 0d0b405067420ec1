package tools

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/openai"
)

type searchIn struct {
	Query string `json:"query" jsonschema:"description=Search query"`
	Limit *int   `json:"limit" jsonschema:"minimum=1,maximum=10"`
}

func weatherAndSearch(t *testing.T) (*Tool, *Tool) {
	t.Helper()
	w, err := New("get_weather", "Look up the current weather",
		func(_ context.Context, in weatherIn) (report, error) { return report{City: in.Location, Temp: 15}, nil })
	if err != nil {
		t.Fatal(err)
	}
	s, err := New("search_web", "Search the web",
		func(_ context.Context, in searchIn) ([]string, error) { return []string{"result for " + in.Query}, nil })
	if err != nil {
		t.Fatal(err)
	}
	return w, s
}

func TestRegistryDuplicates(t *testing.T) {
	w, s := weatherAndSearch(t)
	w2, _ := New("get_weather", "another", echo[weatherIn])
	if _, err := NewRegistry(Config{}, w, s, w2); !errors.Is(err, ErrDuplicateTool) {
		t.Fatalf("NewRegistry with a duplicate: %v", err)
	}
	reg, err := NewRegistry(Config{}, w)
	if err != nil {
		t.Fatal(err)
	}
	err = reg.Register(s, w2)
	var de *DuplicateToolError
	if !errors.As(err, &de) || de.Name != "get_weather" {
		t.Fatalf("Register duplicate: %v", err)
	}
	if err.Error() != `tools: a tool named "get_weather" is already registered` {
		t.Errorf("message = %q", err)
	}
	// Nothing of the failed batch was registered; what was there is intact.
	if got := reg.Names(); !reflect.DeepEqual(got, []string{"get_weather"}) {
		t.Errorf("names after failed Register = %v", got)
	}
	if got, _ := reg.Lookup("get_weather"); got != w {
		t.Errorf("original tool replaced")
	}
	if err := reg.Register(s, s); !errors.Is(err, ErrDuplicateTool) {
		t.Errorf("same tool twice in one batch: %v", err)
	}
	if err := reg.Register(nil); !errors.Is(err, ErrInvalidTool) {
		t.Errorf("nil tool: %v", err)
	}
	if err := reg.Register(s); err != nil {
		t.Fatal(err)
	}
	if got := reg.Names(); !reflect.DeepEqual(got, []string{"get_weather", "search_web"}) || reg.Len() != 2 {
		t.Errorf("names = %v", got)
	}
}

func TestRegistryLookupSelect(t *testing.T) {
	w, s := weatherAndSearch(t)
	n, _ := NewNoArgs("now", "", func(context.Context) (string, error) { return "noon", nil })
	reg, err := NewRegistry(Config{MaxConcurrency: 3}, w, s, n)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := reg.Lookup("search_web"); !ok || got != s || got.Description() != "Search the web" {
		t.Errorf("Lookup = %v %v", got, ok)
	}
	if _, ok := reg.Lookup("missing"); ok {
		t.Errorf("Lookup found a missing tool")
	}
	sub, err := reg.Select("now", "get_weather")
	if err != nil {
		t.Fatal(err)
	}
	if got := sub.Names(); !reflect.DeepEqual(got, []string{"now", "get_weather"}) {
		t.Errorf("selected names = %v", got)
	}
	if sub.cfg != reg.cfg {
		t.Errorf("selection lost the limits: %+v", sub.cfg)
	}
	if got := sub.Tools(); got[1] != w {
		t.Errorf("selection does not share the tools")
	}
	if res := sub.Execute(context.Background(), call("search_web", `{"query":"x"}`)); !errors.Is(res.Err, ErrUnknownTool) ||
		!strings.Contains(res.Content, "Available tools: now, get_weather.") {
		t.Errorf("selection executes unselected tools: %+v", res)
	}
	_, err = reg.Select("now", "nope", "gone")
	var ue *UnknownToolError
	if !errors.As(err, &ue) || !reflect.DeepEqual(ue.Names, []string{"nope", "gone"}) {
		t.Fatalf("Select unknown: %v", err)
	}
	if want := `tools: unknown tool "nope", "gone" (available: get_weather, search_web, now)`; err.Error() != want {
		t.Errorf("message = %q", err)
	}
	if _, err := reg.Select("now", "now"); !errors.Is(err, ErrDuplicateTool) {
		t.Errorf("Select twice: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{MaxConcurrency: -1}, "Config.MaxConcurrency is -1"},
		{Config{Timeout: -1}, "Config.Timeout is -1ns"},
		{Config{MaxOutputBytes: 10}, "Config.MaxOutputBytes is 10"},
		{Config{MaxArgumentBytes: -5}, "Config.MaxArgumentBytes is -5"},
		{Config{MaxArgumentBytes: 1}, "Config.MaxArgumentBytes is 1"},
	} {
		if _, err := NewRegistry(c.cfg); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
	reg, err := NewRegistry(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if reg.cfg != (Config{MaxConcurrency: DefaultMaxConcurrency, Timeout: DefaultTimeout, MaxOutputBytes: DefaultMaxOutputBytes, MaxArgumentBytes: DefaultMaxArgumentBytes}) {
		t.Errorf("defaults = %+v", reg.cfg)
	}
}

func TestLLMToolsExport(t *testing.T) {
	w, s := weatherAndSearch(t)
	reg, err := NewRegistry(Config{}, w, s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := reg.LLMTools()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Type != "function" || got[0].Function.Name != "get_weather" ||
		got[0].Function.Description != "Look up the current weather" || got[0].Function.Strict {
		t.Fatalf("export = %+v", got)
	}
	params, ok := got[0].Function.Parameters.(map[string]any)
	if !ok {
		t.Fatalf("Parameters is %T, want map[string]any", got[0].Function.Parameters)
	}
	props, ok := params["properties"].(map[string]any)
	if !ok {
		t.Fatalf("properties is %T", params["properties"])
	}
	loc, ok := props["location"].(map[string]any)
	if !ok || loc["type"] != "string" || loc["description"] != "City and country, e.g. Seoul, South Korea" {
		t.Errorf("location = %#v", props["location"])
	}
	if unit := props["unit"].(map[string]any); !reflect.DeepEqual(unit["enum"], []any{"celsius", "fahrenheit"}) {
		t.Errorf("unit enum = %#v", unit["enum"])
	}
	if !reflect.DeepEqual(params["required"], []any{"location"}) || params["type"] != "object" {
		t.Errorf("params = %#v", params)
	}
	if _, ok := params["$schema"]; ok {
		t.Errorf("$schema exported")
	}
	// Each export is a fresh map: changing it does not change the tool.
	props["location"].(map[string]any)["type"] = "number"
	again, _ := w.LLMTool()
	if again.Function.Parameters.(map[string]any)["properties"].(map[string]any)["location"].(map[string]any)["type"] != "string" {
		t.Errorf("export shares state with the tool")
	}
}

func TestLLMToolsStrict(t *testing.T) {
	w, s := weatherAndSearch(t)
	reg, err := NewRegistry(Config{}, w, s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := reg.LLMTools(Strict())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"function","function":{"name":"get_weather","description":"Look up the current weather",` +
		`"parameters":{"additionalProperties":false,"properties":{"location":{"description":"City and country, e.g. Seoul, South Korea","type":"string"},` +
		`"unit":{"description":"Temperature unit","enum":["celsius","fahrenheit",null],"type":["string","null"]}},"required":["location","unit"],"type":"object"},"strict":true}},` +
		`{"type":"function","function":{"name":"search_web","description":"Search the web",` +
		`"parameters":{"additionalProperties":false,"properties":{"limit":{"maximum":10,"minimum":1,"type":["integer","null"]},` +
		`"query":{"description":"Search query","type":"string"}},"required":["query","limit"],"type":"object"},"strict":true}}]`
	if string(b) != want {
		t.Errorf("strict export:\n got %s\nwant %s", b, want)
	}
	// What a strict-mode model sends for the optional fields is accepted.
	if res := reg.Execute(context.Background(), call("get_weather", `{"location":"Seoul","unit":null}`)); res.Err != nil {
		t.Errorf("null optional in strict mode: %v", res.Err)
	}
	if res := reg.Execute(context.Background(), call("search_web", `{"query":"go","limit":null}`)); res.Err != nil {
		t.Errorf("null optional in strict mode: %v", res.Err)
	}
}

func TestStrictNested(t *testing.T) {
	n, err := New("nested", "", echo[nestedIn])
	if err != nil {
		t.Fatal(err)
	}
	lt, err := n.LLMTool(Strict())
	if err != nil {
		t.Fatal(err)
	}
	params := lt.Function.Parameters.(map[string]any)
	props := params["properties"].(map[string]any)
	// An optional object becomes nullable with its own properties all required.
	work := props["work"].(map[string]any)
	if !reflect.DeepEqual(work["type"], []any{"object", "null"}) || !reflect.DeepEqual(work["required"], []any{"street", "city", "zip"}) {
		t.Errorf("work = %#v", work)
	}
	friend := props["friends"].(map[string]any)["items"].(map[string]any)
	if !reflect.DeepEqual(friend["required"], []any{"name", "age"}) || friend["additionalProperties"] != false {
		t.Errorf("friends items = %#v", friend)
	}
	if !reflect.DeepEqual(params["required"], []any{"name", "home", "friends", "work"}) {
		t.Errorf("required = %#v", params["required"])
	}
}

func TestStrictRejectsMaps(t *testing.T) {
	c, err := New("collections", "", echo[collectionsIn])
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.LLMTool(Strict())
	var se *StrictError
	if !errors.As(err, &se) || !errors.Is(err, ErrStrictUnsupported) {
		t.Fatalf("err = %v", err)
	}
	if se.Path != "/properties/labels" {
		t.Errorf("path = %q (%v)", se.Path, err)
	}
	reg, _ := NewRegistry(Config{}, c)
	if _, err := reg.LLMTools(Strict()); !errors.Is(err, ErrStrictUnsupported) {
		t.Errorf("registry strict export: %v", err)
	}
	if _, err := reg.LLMTools(); err != nil {
		t.Errorf("non-strict export of maps failed: %v", err)
	}
}

// TestExportOnTheWire sends the exported tools through langchaingo's
// OpenAI provider to a local server and checks the request body, then
// executes the tool call that server returns.
func TestExportOnTheWire(t *testing.T) {
	var body map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("request body: %v", err)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o",
			"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
			"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Seoul\",\"unit\":\"celsius\"}"}},
			{"id":"call_b","type":"function","function":{"name":"get_weather","arguments":"{\"unit\":\"kelvin\"}"}}]}}],
			"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`)
	}))
	defer srv.Close()
	w, s := weatherAndSearch(t)
	reg, _ := NewRegistry(Config{}, w, s)
	exported, err := reg.LLMTools(Strict())
	if err != nil {
		t.Fatal(err)
	}
	model, err := openai.New(openai.WithBaseURL(srv.URL+"/v1"), openai.WithToken("test-key"), openai.WithModel("gpt-4o"),
		openai.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := model.GenerateContent(context.Background(),
		[]llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "Weather in Seoul?")}, llms.WithTools(exported))
	if err != nil {
		t.Fatal(err)
	}
	sent := body["tools"].([]any)
	fn := sent[0].(map[string]any)["function"].(map[string]any)
	if fn["name"] != "get_weather" || fn["strict"] != true {
		t.Errorf("sent function = %#v", fn)
	}
	params := fn["parameters"].(map[string]any)
	if params["additionalProperties"] != false || !reflect.DeepEqual(params["required"], []any{"location", "unit"}) {
		t.Errorf("sent parameters = %#v", params)
	}
	var calls []llm.ToolCall
	for _, ch := range resp.Choices {
		for _, tc := range ch.ToolCalls {
			calls = append(calls, llm.ToolCall{ID: tc.ID, Type: tc.Type, Name: tc.FunctionCall.Name, Arguments: tc.FunctionCall.Arguments})
		}
	}
	results, err := reg.RunTurn(context.Background(), calls)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Content != `{"city":"Seoul","temp":15}` || results[0].CallID != "call_a" {
		t.Errorf("first result = %+v", results[0])
	}
	want := "Error: the arguments for tool \"get_weather\" do not match its parameter schema:\n" +
		"- /location: required property is missing\n" +
		"- /unit: value must be one of \"celsius\", \"fahrenheit\"; got \"kelvin\"\n" +
		"Fix the arguments and call the tool again."
	if results[1].CallID != "call_b" || results[1].Content != want {
		t.Errorf("second result = %q", results[1].Content)
	}
}

type looseIn struct {
	Name  string `json:"name"`
	Extra any    `json:"extra,omitempty"`
}

func TestStrictRejectsAny(t *testing.T) {
	loose, err := New("loose", "", echo[looseIn])
	if err != nil {
		t.Fatal(err)
	}
	_, err = loose.LLMTool(Strict())
	var se *StrictError
	if !errors.As(err, &se) || se.Path != "/properties/extra" {
		t.Fatalf("err = %v", err)
	}
	if want := `tools: tool "loose": strict mode: schema at /properties/extra: a property accepting any value (a Go interface or json.RawMessage) is not allowed`; err.Error() != want {
		t.Errorf("message = %q", err)
	}
}

// everySchemaIsAMap checks what langchaingo's Gemini converter needs: each
// property and items schema is an object.
func everySchemaIsAMap(t *testing.T, m map[string]any, path string) {
	t.Helper()
	if props, ok := m["properties"].(map[string]any); ok {
		for name, p := range props {
			pm, ok := p.(map[string]any)
			if !ok {
				t.Errorf("%s/properties/%s is %T", path, name, p)
				continue
			}
			everySchemaIsAMap(t, pm, path+"/properties/"+name)
		}
	}
	if items, ok := m["items"]; ok {
		im, ok := items.(map[string]any)
		if !ok {
			t.Errorf("%s/items is %T", path, items)
			return
		}
		everySchemaIsAMap(t, im, path+"/items")
	}
}

func TestExportShapeForGemini(t *testing.T) {
	for _, tool := range []func() (*Tool, error){
		func() (*Tool, error) { return New("collections", "", echo[collectionsIn]) },
		func() (*Tool, error) { return New("nested", "", echo[nestedIn]) },
		func() (*Tool, error) { return New("loose", "", echo[looseIn]) },
	} {
		tl, err := tool()
		if err != nil {
			t.Fatal(err)
		}
		lt, err := tl.LLMTool()
		if err != nil {
			t.Fatal(err)
		}
		params := lt.Function.Parameters.(map[string]any)
		if _, ok := params["properties"].(map[string]any); !ok {
			t.Errorf("%s: no properties map", tl.Name())
		}
		everySchemaIsAMap(t, params, tl.Name())
	}
	// The schema a tool validates with is unchanged: "anything" accepts any value.
	c, _ := New("collections", "", echo[collectionsIn])
	if !strings.Contains(string(c.Schema()), `"anything":true`) {
		t.Errorf("schema changed: %s", c.Schema())
	}
}

func TestErrorMessages(t *testing.T) {
	cause := errors.New("boom")
	cases := []struct {
		err  error
		want string
		is   error
	}{
		{&SyntaxError{Tool: "t", Offset: 4, Err: cause}, `tools: tool "t": arguments are not valid JSON at byte 4: boom`, ErrMalformedArguments},
		{&ExecError{Tool: "t", Err: cause}, `tools: tool "t" failed: boom`, ErrToolFailed},
		{&PanicError{Tool: "t", Value: "oops"}, `tools: tool "t" panicked: oops`, ErrPanic},
		{&TimeoutError{Tool: "t", Timeout: time.Second}, `tools: tool "t" did not finish within 1s`, ErrTimeout},
		{&CanceledError{Tool: "t", Err: context.Canceled}, `tools: tool "t": call canceled: context canceled`, ErrCanceled},
		{&StrictError{Tool: "t", Reason: "no"}, `tools: tool "t": strict mode: schema at (root): no`, ErrStrictUnsupported},
		{&DeclarationError{Tool: "t", Reason: "bad", Err: cause}, `tools: tool "t": bad: boom`, ErrInvalidTool},
		{&DuplicateToolError{Name: "t"}, `tools: a tool named "t" is already registered`, ErrDuplicateTool},
		{&UnknownToolError{Names: []string{"x"}}, `tools: unknown tool "x" (available: none)`, ErrUnknownTool},
		{&ValidationError{Tool: "t", Violations: []Violation{{"", "expected object, got array"}}},
			`tools: tool "t": invalid arguments: (root): expected object, got array`, ErrInvalidArguments},
		{&ArgumentsTooLargeError{Tool: "t", Size: 11, Limit: 10},
			`tools: tool "t": arguments of 11 bytes exceed the limit of 10 bytes (Config.MaxArgumentBytes or WithMaxArgumentBytes)`, ErrArgumentsTooLarge},
	}
	for _, c := range cases {
		if c.err.Error() != c.want {
			t.Errorf("%T: %q, want %q", c.err, c.err.Error(), c.want)
		}
		if !errors.Is(c.err, c.is) {
			t.Errorf("%T does not match %v", c.err, c.is)
		}
		for _, other := range []error{ErrMalformedArguments, ErrToolFailed, ErrPanic, ErrTimeout, ErrCanceled, ErrStrictUnsupported,
			ErrInvalidTool, ErrDuplicateTool, ErrUnknownTool, ErrInvalidArguments, ErrInvalidConfig, ErrArgumentsTooLarge} {
			if other != c.is && errors.Is(c.err, other) {
				t.Errorf("%T also matches %v", c.err, other)
			}
		}
	}
	if !errors.Is(&DeclarationError{Tool: "t", Reason: "bad", Err: cause}, cause) {
		t.Errorf("DeclarationError does not unwrap")
	}
	if errors.Unwrap(&PanicError{Value: "not an error"}) != nil {
		t.Errorf("PanicError unwraps a non-error value")
	}
}
