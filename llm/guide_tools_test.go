package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// The guide's two tools (4.1), in OpenAI's shape.
var agTools = []llms.Tool{
	{Type: "function", Function: &llms.FunctionDefinition{
		Name: "get_weather", Description: "특정 위치의 날씨를 조회한다",
		Parameters: map[string]any{"type": "object", "properties": map[string]any{
			"location": map[string]any{"type": "string", "description": "도시, 국가 (예: 'Seoul, South Korea')"},
			"unit":     map[string]any{"type": "string", "enum": []any{"celsius", "fahrenheit"}, "description": "온도 단위"},
		}, "required": []any{"location"}},
	}},
	{Type: "function", Function: &llms.FunctionDefinition{
		Name: "search_web", Description: "웹에서 정보를 검색한다",
		Parameters: map[string]any{"type": "object", "properties": map[string]any{
			"query": map[string]any{"type": "string", "description": "검색 쿼리"},
		}, "required": []any{"query"}},
	}},
}

// Tool choice options (guide 4.2): "auto", "required", a named function and
// "none", each as the guide writes it, reach each provider in its own shape.
func TestGuideToolChoiceOnTheWire(t *testing.T) {
	named := map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}}
	for _, tc := range []struct {
		given                      any
		openai, anthropic, gemMode any
		gemNames                   []any
	}{
		{"auto", "auto", map[string]any{"type": "auto"}, "AUTO", nil},
		{"required", "required", map[string]any{"type": "any"}, "ANY", nil},
		{named, named, map[string]any{"type": "tool", "name": "get_weather"}, "ANY", []any{"get_weather"}},
		{"none", "none", map[string]any{"type": "none"}, "NONE", nil},
	} {
		choice, err := llm.ParseToolChoice(tc.given)
		if err != nil {
			t.Fatalf("%v: %v", tc.given, err)
		}
		oa, an, gem := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t), llmtest.NewGemini(t)
		for _, c := range []struct {
			srv   *llmtest.Server
			model string
		}{{oa, "gpt-4"}, {an, "claude-3-opus-20240229"}, {gem, "gemini/gemini-2.0-flash"}} {
			m, err := llm.New(c.model, llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(c.srv.APIBase()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("서울 날씨는?")},
				Tools: agTools, ToolChoice: choice}); err != nil {
				t.Fatalf("%s %v: %v", c.model, tc.given, err)
			}
		}
		o, _ := oa.Last()
		if !reflect.DeepEqual(o.JSON["tool_choice"], tc.openai) {
			t.Errorf("openai %v: tool_choice %v", tc.given, o.JSON["tool_choice"])
		}
		if tools, _ := o.JSON["tools"].([]any); len(tools) != 2 {
			t.Errorf("openai %v: tools %v", tc.given, o.JSON["tools"])
		}
		a, _ := an.Last()
		if !reflect.DeepEqual(a.JSON["tool_choice"], tc.anthropic) {
			t.Errorf("anthropic %v: tool_choice %v", tc.given, a.JSON["tool_choice"])
		}
		g, _ := gem.Last()
		tcfg, _ := g.JSON["toolConfig"].(map[string]any)
		fcc, _ := tcfg["functionCallingConfig"].(map[string]any)
		if fcc["mode"] != tc.gemMode || !reflect.DeepEqual(fcc["allowedFunctionNames"], anyOrNil(tc.gemNames)) {
			t.Errorf("gemini %v: toolConfig %v", tc.given, g.JSON["toolConfig"])
		}
	}
}

func anyOrNil(v []any) any {
	if v == nil {
		return nil
	}
	return v
}

// A choice naming a function that is not among the tools is refused
// before any request.
func TestGuideToolChoiceUnknownFunction(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("hi")},
		Tools: agTools, ToolChoice: llm.UseTool("get_stock_price")})
	if !errors.Is(err, llm.ErrUnsupportedParams) || srv.Count() != 0 {
		t.Fatalf("err %v, requests %d", err, srv.Count())
	}
}

// Tool call responses (guide 4.3, 10.3): two parallel calls with ids,
// type "function", names and JSON arguments that parse; finish_reason
// tool_calls. On each provider.
func TestGuideToolCallResponse(t *testing.T) {
	for _, tc := range []struct {
		srv   *llmtest.Server
		model string
	}{
		{llmtest.NewOpenAI(t), "gpt-4"},
		{llmtest.NewAnthropic(t), "claude-3-opus-20240229"},
		{llmtest.NewGemini(t), "gemini/gemini-2.0-flash"},
		{llmtest.NewOllama(t), "ollama/llama3"},
	} {
		tc.srv.Enqueue(llmtest.Reply{ToolCalls: []llmtest.ToolCall{
			{ID: "call_seoul", Name: "get_weather", Arguments: `{"location":"Seoul, South Korea","unit":"celsius"}`},
			{ID: "call_busan", Name: "get_weather", Arguments: `{"location":"Busan, South Korea"}`},
		}})
		m, err := llm.New(tc.model, llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(tc.srv.APIBase()))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("서울과 부산 날씨는?")},
			Tools: agTools, ToolChoice: llm.ToolChoice{Mode: llm.ToolAuto}})
		if err != nil {
			t.Fatalf("%s: %v", tc.model, err)
		}
		calls := resp.Message.ToolCalls
		if len(calls) != 2 || resp.FinishReason != llm.FinishToolCalls {
			t.Fatalf("%s: calls %+v finish %q", tc.model, calls, resp.FinishReason)
		}
		locs := []string{"Seoul, South Korea", "Busan, South Korea"}
		for i, c := range calls {
			var args map[string]any
			if err := json.Unmarshal([]byte(c.Arguments), &args); err != nil {
				t.Errorf("%s call %d: arguments %q: %v", tc.model, i, c.Arguments, err)
			}
			if c.ID == "" || c.Type != "function" || c.Name != "get_weather" || args["location"] != locs[i] {
				t.Errorf("%s call %d: %+v", tc.model, i, c)
			}
		}
		if tc.model == "gpt-4" && (calls[0].ID != "call_seoul" || calls[1].ID != "call_busan") {
			t.Errorf("openai ids %q %q", calls[0].ID, calls[1].ID)
		}
	}
}

// The ReAct loop (guide 4.4): the assistant turn with its tool calls and the
// tool results (tool_call_id, JSON content) go back to the provider in its
// own shape, and the loop ends when no tool call is asked for.
func TestGuideReActLoop(t *testing.T) {
	for _, tc := range []struct {
		srv   *llmtest.Server
		model string
	}{
		{llmtest.NewOpenAI(t), "gpt-4"},
		{llmtest.NewAnthropic(t), "claude-3-opus-20240229"},
		{llmtest.NewGemini(t), "gemini/gemini-2.0-flash"},
	} {
		tc.srv.Enqueue(
			llmtest.Reply{ToolCalls: []llmtest.ToolCall{
				{ID: "call_1", Name: "get_weather", Arguments: `{"location":"Seoul"}`},
				{ID: "call_2", Name: "get_weather", Arguments: `{"location":"Busan"}`}}},
			llmtest.Reply{Text: "서울과 부산 모두 맑고 15도입니다."},
		)
		m, err := llm.New(tc.model, llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(tc.srv.APIBase()))
		if err != nil {
			t.Fatal(err)
		}
		messages := []llm.Message{llm.User("서울과 부산 날씨를 비교해줘")}
		var final string
		for turn := 0; turn < 5; turn++ {
			resp, err := m.Complete(context.Background(), &llm.Request{Messages: messages, Tools: agTools,
				ToolChoice: llm.ToolChoice{Mode: llm.ToolAuto}})
			if err != nil {
				t.Fatalf("%s turn %d: %v", tc.model, turn, err)
			}
			messages = append(messages, resp.Message)
			if len(resp.Message.ToolCalls) == 0 {
				final = resp.Message.Content
				break
			}
			for _, call := range resp.Message.ToolCalls {
				var args map[string]any
				if err := json.Unmarshal([]byte(call.Arguments), &args); err != nil {
					t.Fatal(err)
				}
				result, _ := json.Marshal(map[string]any{"weather": "sunny", "temp": 15})
				messages = append(messages, llm.ToolResult(call.ID, call.Name, string(result)))
			}
		}
		if final != "서울과 부산 모두 맑고 15도입니다." || tc.srv.Count() != 2 {
			t.Fatalf("%s: final %q after %d requests", tc.model, final, tc.srv.Count())
		}
		reqs := tc.srv.Requests()
		body := string(reqs[1].Body)
		ids := []string{}
		for _, c := range messages[1].ToolCalls {
			ids = append(ids, c.ID)
		}
		switch tc.model {
		case "gpt-4":
			msgs := reqs[1].JSON["messages"].([]any)
			if len(msgs) != 4 {
				t.Fatalf("openai messages %v", msgs)
			}
			asst := msgs[1].(map[string]any)
			tcs, _ := asst["tool_calls"].([]any)
			tool := msgs[2].(map[string]any)
			if asst["role"] != "assistant" || len(tcs) != 2 || tool["role"] != "tool" || tool["tool_call_id"] != "call_1" ||
				tool["content"] != `{"temp":15,"weather":"sunny"}` || msgs[3].(map[string]any)["tool_call_id"] != "call_2" {
				t.Fatalf("openai messages %v", msgs)
			}
		case "claude-3-opus-20240229":
			if !strings.Contains(body, `"tool_use"`) || !strings.Contains(body, `"tool_result"`) ||
				!strings.Contains(body, `"tool_use_id":"`+ids[0]+`"`) || !strings.Contains(body, `"tool_use_id":"`+ids[1]+`"`) {
				t.Fatalf("anthropic body %s", body)
			}
		default:
			if !strings.Contains(body, `"functionCall"`) || !strings.Contains(body, `"functionResponse"`) {
				t.Fatalf("gemini body %s", body)
			}
		}
	}
}

// Tool calling support (guide 12.7): the price table says which models
// take tools.
func TestGuideToolSupportLookup(t *testing.T) {
	for _, model := range []string{"gpt-4", "gpt-3.5-turbo", "claude-3-opus-20240229"} {
		info, ok := llm.LookupModel(model)
		if !ok || !info.SupportsTools {
			t.Errorf("%s: ok %v supports tools %v", model, ok, info.SupportsTools)
		}
	}
}
