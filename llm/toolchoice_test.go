package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/tmc/langchaingo/llms"
)

var searchTool = llms.Tool{Type: "function", Function: &llms.FunctionDefinition{
	Name: "search_web", Description: "Search the web",
	Parameters: map[string]any{"type": "object", "properties": map[string]any{"query": map[string]any{"type": "string"}}},
}}

// TestToolChoiceOnEveryWire: each accepted input shape of tool_choice
// reaches each wire server in that provider's own shape.
func TestToolChoiceOnEveryWire(t *testing.T) {
	named := llms.ToolChoice{Type: "function", Function: &llms.FunctionReference{Name: "get_weather"}}
	oa, an, gm := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t), llmtest.NewGemini(t)
	models := []*llm.Model{newModel(t, "gpt-4o", oa), newModel(t, "claude-sonnet-4-5", an), newModel(t, "gemini/gemini-2.0-flash", gm)}
	servers := []*llmtest.Server{oa, an, gm}
	const (
		oaFn = `{"function":{"name":"get_weather"},"type":"function"}`
		anFn = `{"name":"get_weather","type":"tool"}`
		gmFn = `{"functionCallingConfig":{"allowedFunctionNames":["get_weather"],"mode":"ANY"}}`
	)
	auto := [3]string{`"auto"`, `{"type":"auto"}`, `{"functionCallingConfig":{"mode":"AUTO"}}`}
	none := [3]string{`"none"`, `{"type":"none"}`, `{"functionCallingConfig":{"mode":"NONE"}}`}
	required := [3]string{`"required"`, `{"type":"any"}`, `{"functionCallingConfig":{"mode":"ANY"}}`}
	fn := [3]string{oaFn, anFn, gmFn}
	cases := []struct {
		in   any
		want [3]string // JSON of what each wire sends
	}{
		{"auto", auto}, {"none", none}, {"required", required}, {"any", required}, {"ANY", required},
		{llm.ToolChoice{Mode: llm.ToolAuto}, auto},
		{llm.ToolChoice{Mode: llm.ToolNone}, none},
		{llm.ToolChoice{Mode: llm.ToolRequired}, required},
		{llm.UseTool("get_weather"), fn},
		// the guide's dict
		{map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}}, fn},
		{map[string]any{"type": "function", "function": map[string]string{"name": "get_weather"}}, fn},
		// Anthropic's shapes
		{map[string]any{"type": "tool", "name": "get_weather"}, fn},
		{map[string]any{"type": "any"}, required},
		{map[string]string{"type": "auto"}, auto},
		// JSON text of those
		{`{"type":"function","function":{"name":"get_weather"}}`, fn},
		{json.RawMessage(`{"type":"function","function":{"name":"get_weather"}}`), fn},
		{[]byte(`"required"`), required},
		{json.RawMessage(`"none"`), none},
		// langchaingo's
		{named, fn}, {&named, fn}, {llms.ToolChoice{Type: "auto"}, auto},
	}
	field := [3]string{"tool_choice", "tool_choice", "toolConfig"}
	for _, c := range cases {
		tc, err := llm.ParseToolChoice(c.in)
		if err != nil {
			t.Fatalf("ParseToolChoice(%#v): %v", c.in, err)
		}
		for i, m := range models {
			req := userReq("x")
			req.Tools = []llms.Tool{weatherTool, searchTool}
			req.ToolChoice = tc
			if _, err := m.Complete(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			got, _ := servers[i].Last()
			b, _ := json.Marshal(got.JSON[field[i]])
			if string(b) != c.want[i] {
				t.Fatalf("%s %#v: sent %s, want %s", m.Provider(), c.in, b, c.want[i])
			}
		}
	}
}

// TestToolChoiceThroughLangchain: the guide's dict given to a Model used as
// a langchaingo llms.Model reaches Anthropic and Gemini as their own
// shapes, not as null.
func TestToolChoiceThroughLangchain(t *testing.T) {
	an, gm := llmtest.NewAnthropic(t), llmtest.NewGemini(t)
	dict := map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}}
	msgs := []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "weather in Seoul?")}
	for _, c := range []struct {
		m     *llm.Model
		srv   *llmtest.Server
		field string
		want  string
	}{
		{newModel(t, "claude-sonnet-4-5", an), an, "tool_choice", `{"name":"get_weather","type":"tool"}`},
		{newModel(t, "gemini/gemini-2.0-flash", gm), gm, "toolConfig", `{"functionCallingConfig":{"allowedFunctionNames":["get_weather"],"mode":"ANY"}}`},
	} {
		if _, err := c.m.GenerateContent(context.Background(), msgs, llms.WithTools([]llms.Tool{weatherTool}), llms.WithToolChoice(dict)); err != nil {
			t.Fatal(err)
		}
		got, _ := c.srv.Last()
		if b, _ := json.Marshal(got.JSON[c.field]); string(b) != c.want {
			t.Fatalf("%s: %s = %s, want %s", c.m.Provider(), c.field, b, c.want)
		}
	}
	// An unrecognised choice is refused before anything is sent.
	before := an.Count()
	_, err := newModel(t, "claude-sonnet-4-5", an).GenerateContent(context.Background(), msgs,
		llms.WithTools([]llms.Tool{weatherTool}), llms.WithToolChoice(map[string]any{"type": "function"}))
	if !errors.Is(err, llm.ErrUnsupportedParams) || an.Count() != before {
		t.Fatalf("err %v, %d requests sent", err, an.Count()-before)
	}
}

// TestToolChoiceUnrecognised: anything that is not a known shape is
// ErrUnsupportedParams naming what was given, and no request is sent.
func TestToolChoiceUnrecognised(t *testing.T) {
	bad := []struct {
		in   any
		says string
	}{
		{"get_weather", `llm.UseTool("get_weather")`},
		{"sometimes", `"sometimes"`},
		{map[string]any{"type": "function"}, "no name"},
		{map[string]any{"type": "function", "function": map[string]any{"name": "x"}, "strict": true}, `"strict"`},
		{map[string]any{"type": "validated"}, `unknown type "validated"`},
		{map[string]any{"name": "x"}, `no "type"`},
		{`{"type":`, "not valid JSON"},
		{json.RawMessage(`[1,2]`), "neither a string nor an object"},
		{42, "type int"},
		{llms.ToolChoice{Type: "function"}, "names no function"},
		{llm.ToolChoice{Mode: "sometimes"}, `unknown tool_choice mode "sometimes"`},
		{llm.ToolChoice{Mode: llm.ToolFunction}, "needs the function's name"},
		{llm.ToolChoice{Name: "get_weather"}, "Mode is unset"},
	}
	for _, c := range bad {
		_, err := llm.ParseToolChoice(c.in)
		if !errors.Is(err, llm.ErrUnsupportedParams) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ParseToolChoice(%#v) = %v, want ErrUnsupportedParams saying %s", c.in, err, c.says)
		}
	}
	var tc llm.ToolChoice
	if err := json.Unmarshal([]byte(`{"type":"function"}`), &tc); !errors.Is(err, llm.ErrUnsupportedParams) {
		t.Fatalf("UnmarshalJSON: %v", err)
	}

	// Set directly on a Request: refused by every wire before sending.
	for _, mk := range []func(*testing.T) (*llm.Model, *llmtest.Server){
		func(t *testing.T) (*llm.Model, *llmtest.Server) {
			s := llmtest.NewOpenAI(t)
			return newModel(t, "gpt-4o", s), s
		},
		func(t *testing.T) (*llm.Model, *llmtest.Server) {
			s := llmtest.NewAnthropic(t)
			return newModel(t, "claude-sonnet-4-5", s), s
		},
		func(t *testing.T) (*llm.Model, *llmtest.Server) {
			s := llmtest.NewGemini(t)
			return newModel(t, "gemini/gemini-2.0-flash", s), s
		},
	} {
		m, srv := mk(t)
		for _, c := range []struct {
			tc    llm.ToolChoice
			tools []llms.Tool
			says  string
		}{
			{llm.ToolChoice{Mode: "sometimes"}, []llms.Tool{weatherTool}, "unknown tool_choice mode"},
			{llm.UseTool("send_email"), []llms.Tool{weatherTool, searchTool}, `"send_email", which is not among the request's tools (get_weather, search_web)`},
			{llm.UseTool("get_weather"), nil, "offers no tools"},
			{llm.ToolChoice{Mode: llm.ToolRequired}, nil, "offers no tools"},
		} {
			req := userReq("x")
			req.Tools, req.ToolChoice = c.tools, c.tc
			_, err := m.Complete(context.Background(), req)
			var e *llm.Error
			if !errors.As(err, &e) || e.Kind != llm.ErrUnsupportedParams || !strings.Contains(e.Message, c.says) || e.Provider != m.Provider() {
				t.Errorf("%s %v: err %v, want ErrUnsupportedParams saying %s", m.Provider(), c.tc, err, c.says)
			}
		}
		if srv.Count() != 0 {
			t.Fatalf("%s: %d requests sent for refused tool choices", m.Provider(), srv.Count())
		}
	}
}

// TestToolChoiceJSON: a Request round-trips its choice in OpenAI's shape.
func TestToolChoiceJSON(t *testing.T) {
	req := llm.Request{Model: "gpt-4o", ToolChoice: llm.UseTool("get_weather")}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"tool_choice":{"function":{"name":"get_weather"},"type":"function"}`) {
		t.Fatalf("json %s", b)
	}
	var back llm.Request
	if err := json.Unmarshal(b, &back); err != nil || back.ToolChoice != llm.UseTool("get_weather") {
		t.Fatalf("back %+v %v", back.ToolChoice, err)
	}
	if b, _ := json.Marshal(llm.Request{Model: "x"}); strings.Contains(string(b), "tool_choice") {
		t.Fatalf("unset choice marshalled: %s", b)
	}
	if err := json.Unmarshal([]byte(`{"tool_choice":"any"}`), &back); err != nil || back.ToolChoice.Mode != llm.ToolRequired {
		t.Fatalf("any -> %+v %v", back.ToolChoice, err)
	}
}

// TestToolChoiceNoneWithoutTools: "none" or "auto" without tools is not
// an error and sends no tool_choice (there is nothing to choose from).
func TestToolChoiceNoneWithoutTools(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	m := newModel(t, "gpt-4o", srv)
	for _, tc := range []llm.ToolChoice{{Mode: llm.ToolNone}, {Mode: llm.ToolAuto}} {
		req := userReq("x")
		req.ToolChoice = tc
		if _, err := m.Complete(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		got, _ := srv.Last()
		if _, ok := got.JSON["tool_choice"]; ok {
			t.Fatalf("%v: tool_choice sent without tools: %s", tc, got.Body)
		}
	}
}
