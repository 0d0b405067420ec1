package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/tmc/langchaingo/llms"
)

const testKey = "sk-test-SECRET-0123456789"

func approx(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Fatalf("%s = %.12g, want %.12g", what, got, want)
	}
}

func newModel(t *testing.T, model string, srv *llmtest.Server, opts ...llm.Option) *llm.Model {
	t.Helper()
	opts = append([]llm.Option{llm.WithAPIKey(testKey), llm.WithAPIBase(srv.APIBase())}, opts...)
	m, err := llm.New(model, opts...)
	if err != nil {
		t.Fatalf("New(%q): %v", model, err)
	}
	return m
}

var weatherTool = llms.Tool{Type: "function", Function: &llms.FunctionDefinition{
	Name: "get_weather", Description: "Weather for a city",
	Parameters: map[string]any{"type": "object", "$schema": "https://json-schema.org/draft/2020-12/schema",
		"additionalProperties": false,
		"properties":           map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
}}

func userReq(text string) *llm.Request {
	return &llm.Request{Messages: []llm.Message{llm.System("be brief"), llm.User(text)}}
}

// collect gathers streamed chunks.
type collect struct {
	chunks []llm.Chunk
	text   strings.Builder
}

func (c *collect) fn(_ context.Context, ch llm.Chunk) error {
	c.chunks = append(c.chunks, ch)
	c.text.WriteString(ch.Text)
	return nil
}

func (c *collect) last() llm.Chunk { return c.chunks[len(c.chunks)-1] }

func TestOpenAITextUsageCost(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.RequireKey(testKey)
	srv.Enqueue(llmtest.Reply{Text: "Paris.", Usage: llmtest.Usage{Prompt: 1000, Completion: 200, CacheRead: 400, Reasoning: 0}})
	m := newModel(t, "gpt-4o", srv)
	resp, err := m.Complete(context.Background(), userReq("capital of France?"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "Paris." || resp.Message.Role != llm.RoleAssistant || resp.FinishReason != llm.FinishStop {
		t.Fatalf("resp = %+v", resp)
	}
	want := llm.Usage{PromptTokens: 1000, CompletionTokens: 200, TotalTokens: 1200, CacheReadTokens: 400}
	if resp.Usage != want {
		t.Fatalf("usage = %+v, want %+v", resp.Usage, want)
	}
	// gpt-4o: input 2.5e-6, cached 1.25e-6, output 1e-5.
	approx(t, "cost", resp.Cost, 600*2.5e-6+400*1.25e-6+200*1e-5)
	if resp.Model != "gpt-4o" || resp.Provider != "openai" || resp.ID != "chatcmpl-1" || resp.Latency <= 0 {
		t.Fatalf("meta: %+v", resp)
	}
	if resp.Message.Meta == nil || resp.Message.Meta.Cost != resp.Cost || resp.Message.Meta.Usage != want {
		t.Fatalf("message meta = %+v", resp.Message.Meta)
	}
	got, _ := srv.Last()
	if got.Path != "/v1/chat/completions" || got.Header.Get("Authorization") != "Bearer "+testKey {
		t.Fatalf("request path %q auth %q", got.Path, got.Header.Get("Authorization"))
	}
	if _, has := got.JSON["temperature"]; has {
		t.Fatal("temperature sent although unset")
	}
	msgs := got.JSON["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["role"] != "system" || msgs[1].(map[string]any)["content"] != "capital of France?" {
		t.Fatalf("messages sent: %v", msgs)
	}
}

func TestOpenAIRequestShape(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	temp := 0.2
	req := &llm.Request{
		Messages: []llm.Message{
			llm.User("weather?"),
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Seoul"}`}}},
			llm.ToolResult("call_1", "get_weather", "sunny"),
		},
		Tools: []llms.Tool{weatherTool}, ToolChoice: llm.ToolChoice{Mode: llm.ToolRequired}, Temperature: &temp, MaxTokens: 50, Stop: []string{"END"},
	}
	for _, tc := range []struct {
		model, maxField string
	}{{"gpt-4o", "max_tokens"}, {"o3-mini", "max_completion_tokens"}, {"groq/llama-3.3-70b-versatile", "max_tokens"}} {
		m := newModel(t, tc.model, srv, llm.WithAPIBase(srv.APIBase()))
		if _, err := m.Complete(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		got, _ := srv.Last()
		j := got.JSON
		if j[tc.maxField] != float64(50) {
			t.Fatalf("%s: %s = %v in %s", tc.model, tc.maxField, j[tc.maxField], got.Body)
		}
		if j["temperature"] != 0.2 || j["tool_choice"] != "required" || j["stop"].([]any)[0] != "END" {
			t.Fatalf("%s: body %s", tc.model, got.Body)
		}
		if want := strings.SplitN(tc.model, "/", 2); j["model"] != want[len(want)-1] {
			t.Fatalf("model sent %v", j["model"])
		}
		msgs := j["messages"].([]any)
		asst := msgs[1].(map[string]any)
		if asst["content"] != nil {
			t.Fatalf("assistant tool-call content = %v, want null", asst["content"])
		}
		call := asst["tool_calls"].([]any)[0].(map[string]any)
		if call["id"] != "call_1" || call["function"].(map[string]any)["arguments"] != `{"city":"Seoul"}` {
			t.Fatalf("tool call sent: %v", call)
		}
		tool := msgs[2].(map[string]any)
		if tool["role"] != "tool" || tool["tool_call_id"] != "call_1" || tool["content"] != "sunny" {
			t.Fatalf("tool message sent: %v", tool)
		}
		fn := j["tools"].([]any)[0].(map[string]any)["function"].(map[string]any)
		if fn["name"] != "get_weather" {
			t.Fatalf("tools sent: %v", j["tools"])
		}
	}
}

func TestOpenAIParallelToolCalls(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	calls := []llmtest.ToolCall{{ID: "call_a", Name: "get_weather", Arguments: `{"city":"Seoul"}`},
		{ID: "call_b", Name: "get_weather", Arguments: `{"city":"Busan"}`}}
	srv.Enqueue(llmtest.Reply{ToolCalls: calls, Usage: llmtest.Usage{Prompt: 50, Completion: 30}})
	srv.Enqueue(llmtest.Reply{ToolCalls: calls, Interleave: true, ChunkSize: 3, Usage: llmtest.Usage{Prompt: 50, Completion: 30}})
	m := newModel(t, "gpt-4o", srv)
	req := userReq("weather in Seoul and Busan")
	req.Tools = []llms.Tool{weatherTool}
	check := func(resp *llm.Response) {
		t.Helper()
		if resp.FinishReason != llm.FinishToolCalls || len(resp.Message.ToolCalls) != 2 {
			t.Fatalf("resp = %+v", resp.Message)
		}
		for i, want := range calls {
			got := resp.Message.ToolCalls[i]
			if got.ID != want.ID || got.Name != want.Name || got.Arguments != want.Arguments {
				t.Fatalf("call %d = %+v, want %+v", i, got, want)
			}
		}
	}
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	check(resp)
	// Streamed with interleaved argument fragments.
	var c collect
	req.Stream = c.fn
	resp, err = m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	check(resp)
	var idx []int
	for _, ch := range c.chunks {
		if ch.ToolCall != nil {
			idx = append(idx, ch.ToolCall.Index)
		}
	}
	// heads 0,1 then fragments alternate 0,1,0,1...
	if len(idx) < 6 || idx[0] != 0 || idx[1] != 1 || idx[2] != 0 || idx[3] != 1 {
		t.Fatalf("delta indexes = %v", idx)
	}
	fin := c.last()
	if fin.FinishReason != llm.FinishToolCalls || fin.Usage == nil || fin.Usage.TotalTokens != 80 {
		t.Fatalf("final chunk = %+v", fin)
	}
	got, _ := srv.Last()
	if !got.Stream || got.JSON["stream_options"].(map[string]any)["include_usage"] != true {
		t.Fatalf("stream request body: %s", got.Body)
	}
}

func TestOpenAIStreamText(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "Hello, streaming world!", ChunkSize: 5, Usage: llmtest.Usage{Prompt: 12, Completion: 6, Reasoning: 2}})
	m := newModel(t, "o3-mini", srv)
	var c collect
	req := userReq("hi")
	req.Stream = c.fn
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if c.text.String() != "Hello, streaming world!" || resp.Message.Content != "Hello, streaming world!" {
		t.Fatalf("streamed %q, message %q", c.text.String(), resp.Message.Content)
	}
	if n := len(c.chunks); n != 6 { // 5 text chunks + final
		t.Fatalf("%d chunks", n)
	}
	want := llm.Usage{PromptTokens: 12, CompletionTokens: 6, TotalTokens: 18, ReasoningTokens: 2}
	if resp.Usage != want || *c.last().Usage != want {
		t.Fatalf("usage %+v", resp.Usage)
	}
	// o3-mini: input 1.1e-6, output 4.4e-6 (reasoning priced as output).
	approx(t, "cost", resp.Cost, 12*1.1e-6+6*4.4e-6)
}

func TestOpenAIStreamFailures(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	m := newModel(t, "gpt-4o", srv)
	cases := []struct {
		name    string
		reply   llmtest.Reply
		kind    llm.Kind
		partial string
	}{
		{"in-band error", llmtest.Reply{Text: "abcdefgh", StreamError: "server_error", ErrorMessage: "The server had an error"}, llm.ErrInternalServer, "abcdefgh"},
		{"in-band rate limit before output", llmtest.Reply{Text: "abcdefgh", CutAfter: 1, StreamError: "rate_limit_exceeded", ErrorMessage: "slow down"}, llm.ErrRateLimit, ""},
		{"cut", llmtest.Reply{Text: "abcdefgh", CutAfter: 2}, llm.ErrAPIConnection, "abcd"},
		{"malformed", llmtest.Reply{Text: "abcdefgh", Malformed: 3}, llm.ErrAPI, "abcd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.Enqueue(tc.reply)
			var c collect
			req := userReq("x")
			req.Stream = c.fn
			_, err := m.Complete(context.Background(), req)
			var e *llm.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v", err)
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want kind %s", err, tc.kind)
			}
			if tc.partial == "" {
				if e.Kind != tc.kind || e.Partial != nil {
					t.Fatalf("before output: %+v", e)
				}
				return
			}
			if e.Kind != llm.ErrStreamInterrupted || e.Partial == nil || e.Partial.Message.Content != tc.partial {
				t.Fatalf("err = %+v partial %+v", e, e.Partial)
			}
			if c.text.String() != tc.partial {
				t.Fatalf("caller saw %q", c.text.String())
			}
		})
	}
}

func TestAnthropicJSONToolsUsageCost(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	srv.RequireKey(testKey)
	srv.Enqueue(llmtest.Reply{Text: "Let me check.", ToolCalls: []llmtest.ToolCall{
		{Name: "get_weather", Arguments: `{"city":"Seoul"}`}, {Name: "get_weather", Arguments: `{"city":"Busan"}`}},
		Usage: llmtest.Usage{Prompt: 100, Completion: 50, CacheRead: 1000, CacheWrite: 200}})
	m := newModel(t, "claude-sonnet-4-5", srv)
	req := &llm.Request{Messages: []llm.Message{
		llm.System("sys A"), llm.System("sys B"), llm.User("weather?"),
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "t1", Name: "get_weather", Arguments: `{"city":"Seoul"}`},
			{ID: "t2", Name: "get_weather", Arguments: `{"city":"Busan"}`}}},
		llm.ToolResult("t1", "get_weather", "sunny"), llm.ToolResult("t2", "get_weather", "rain"),
	}, Tools: []llms.Tool{weatherTool}, ToolChoice: llm.ToolChoice{Mode: llm.ToolRequired}, JSONMode: true}
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "Let me check." || len(resp.Message.ToolCalls) != 2 || resp.FinishReason != llm.FinishToolCalls {
		t.Fatalf("resp = %+v", resp)
	}
	if tc := resp.Message.ToolCalls[1]; tc.ID != "toolu_1_1" || tc.Arguments != `{"city":"Busan"}` {
		t.Fatalf("call = %+v", tc)
	}
	want := llm.Usage{PromptTokens: 1300, CompletionTokens: 50, TotalTokens: 1350, CacheReadTokens: 1000, CacheWriteTokens: 200}
	if resp.Usage != want {
		t.Fatalf("usage = %+v, want %+v", resp.Usage, want)
	}
	// claude-sonnet-4-5: input 3e-6, cache read 3e-7, cache write 3.75e-6, output 1.5e-5.
	approx(t, "cost", resp.Cost, 100*3e-6+1000*3e-7+200*3.75e-6+50*1.5e-5)
	got, _ := srv.Last()
	j := got.JSON
	if got.Path != "/v1/messages" || got.Header.Get("anthropic-version") != "2023-06-01" {
		t.Fatalf("path %s version %q", got.Path, got.Header.Get("anthropic-version"))
	}
	if j["system"] != "sys A\n\nsys B\n\nRespond with a single valid JSON object and nothing else." || j["max_tokens"] != float64(4096) {
		t.Fatalf("system %v max_tokens %v", j["system"], j["max_tokens"])
	}
	if tc := j["tool_choice"].(map[string]any); tc["type"] != "any" {
		t.Fatalf("tool_choice %v", tc)
	}
	msgs := j["messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("messages: %s", got.Body)
	}
	results := msgs[2].(map[string]any)["content"].([]any)
	if msgs[2].(map[string]any)["role"] != "user" || len(results) != 2 ||
		results[1].(map[string]any)["tool_use_id"] != "t2" || results[1].(map[string]any)["content"] != "rain" {
		t.Fatalf("tool results: %v", msgs[2])
	}
	use := msgs[1].(map[string]any)["content"].([]any)[0].(map[string]any)
	if use["type"] != "tool_use" || use["input"].(map[string]any)["city"] != "Seoul" {
		t.Fatalf("tool_use: %v", use)
	}
	schema := j["tools"].([]any)[0].(map[string]any)["input_schema"].(map[string]any)
	if schema["type"] != "object" {
		t.Fatalf("input_schema %v", schema)
	}
}

func TestAnthropicStream(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	srv.Enqueue(llmtest.Reply{Text: "Checking both.", Reasoning: "two cities", ChunkSize: 4, ToolCalls: []llmtest.ToolCall{
		{ID: "toolu_A", Name: "get_weather", Arguments: `{"city":"Seoul"}`}, {ID: "toolu_B", Name: "get_weather", Arguments: `{"city":"Busan"}`}},
		Usage: llmtest.Usage{Prompt: 20, Completion: 40, CacheRead: 5}})
	m := newModel(t, "claude-sonnet-4-5", srv)
	var c collect
	req := userReq("weather?")
	req.Stream = c.fn
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if c.text.String() != "Checking both." || resp.Message.ReasoningContent != "two cities" {
		t.Fatalf("text %q reasoning %q", c.text.String(), resp.Message.ReasoningContent)
	}
	if len(resp.Message.ToolCalls) != 2 || resp.Message.ToolCalls[0].Arguments != `{"city":"Seoul"}` ||
		resp.Message.ToolCalls[1].ID != "toolu_B" || resp.Message.ToolCalls[1].Arguments != `{"city":"Busan"}` {
		t.Fatalf("tool calls %+v", resp.Message.ToolCalls)
	}
	// Tool JSON reaches the stream function, indexed by tool ordinal.
	var args [2]strings.Builder
	for _, ch := range c.chunks {
		if ch.ToolCall != nil {
			args[ch.ToolCall.Index].WriteString(ch.ToolCall.Arguments)
		}
	}
	if args[0].String() != `{"city":"Seoul"}` || args[1].String() != `{"city":"Busan"}` {
		t.Fatalf("streamed args %q %q", args[0].String(), args[1].String())
	}
	want := llm.Usage{PromptTokens: 25, CompletionTokens: 40, TotalTokens: 65, CacheReadTokens: 5}
	if resp.Usage != want || resp.FinishReason != llm.FinishToolCalls {
		t.Fatalf("usage %+v finish %s", resp.Usage, resp.FinishReason)
	}
}

func TestAnthropicOverloadedInStream(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	m := newModel(t, "claude-sonnet-4-5", srv)
	// Before any text: a plain RateLimit failure the Router may fall back from.
	srv.Enqueue(llmtest.Reply{Text: "partial answer", CutAfter: 2, StreamError: "overloaded_error", ErrorMessage: "Overloaded"})
	var c collect
	req := userReq("hi")
	req.Stream = c.fn
	_, err := m.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrRateLimit || e.Partial != nil {
		t.Fatalf("err = %#v", err)
	}
	// After text reached the caller: interrupted, carrying the partial text,
	// and still recognisable as the overload.
	srv.Enqueue(llmtest.Reply{Text: "partial answer", ChunkSize: 8, CutAfter: 4, StreamError: "overloaded_error", ErrorMessage: "Overloaded"})
	c = collect{}
	_, err = m.Complete(context.Background(), req)
	if !errors.As(err, &e) || e.Kind != llm.ErrStreamInterrupted || !errors.Is(err, llm.ErrRateLimit) {
		t.Fatalf("err = %v", err)
	}
	if e.Partial == nil || e.Partial.Message.Content != "partial " || c.text.String() != "partial " {
		t.Fatalf("partial %+v, caller saw %q", e.Partial, c.text.String())
	}
}

func TestGeminiJSONAndStream(t *testing.T) {
	srv := llmtest.NewGemini(t)
	srv.RequireKey(testKey)
	srv.Enqueue(llmtest.Reply{Text: "It is sunny.", ToolCalls: []llmtest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Seoul"}`}},
		Usage: llmtest.Usage{Prompt: 1000, Completion: 100, CacheRead: 200, Reasoning: 50}})
	m := newModel(t, "gemini/gemini-2.5-flash", srv)
	req := &llm.Request{Messages: []llm.Message{
		llm.System("be brief"), llm.User("weather?"),
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city":"Seoul"}`}}},
		{Role: llm.RoleTool, ToolCallID: "c1", Content: "sunny"},
	}, Tools: []llms.Tool{weatherTool}, JSONMode: true}
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "It is sunny." || len(resp.Message.ToolCalls) != 1 || resp.FinishReason != llm.FinishToolCalls {
		t.Fatalf("resp %+v", resp)
	}
	tc := resp.Message.ToolCalls[0]
	if !strings.HasPrefix(tc.ID, "call_") || tc.Name != "get_weather" || tc.Arguments != `{"city":"Seoul"}` {
		t.Fatalf("tool call %+v", tc)
	}
	want := llm.Usage{PromptTokens: 1000, CompletionTokens: 150, TotalTokens: 1150, CacheReadTokens: 200, ReasoningTokens: 50}
	if resp.Usage != want {
		t.Fatalf("usage %+v want %+v", resp.Usage, want)
	}
	// gemini/gemini-2.5-flash: input 3e-7, cache read 3e-8, output and reasoning 2.5e-6.
	approx(t, "cost", resp.Cost, 800*3e-7+200*3e-8+100*2.5e-6+50*2.5e-6)
	got, _ := srv.Last()
	if got.Path != "/v1beta/models/gemini-2.5-flash:generateContent" || got.Query != "key="+testKey {
		t.Fatalf("path %s query %s", got.Path, got.Query)
	}
	var body struct {
		Contents []struct {
			Role  string           `json:"role"`
			Parts []map[string]any `json:"parts"`
		} `json:"contents"`
		SystemInstruction struct{ Parts []map[string]any } `json:"systemInstruction"`
		Tools             []struct {
			FunctionDeclarations []map[string]any `json:"functionDeclarations"`
		} `json:"tools"`
		GenerationConfig map[string]any `json:"generationConfig"`
	}
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Contents) != 3 || body.Contents[1].Role != "model" || body.Contents[2].Role != "user" {
		t.Fatalf("contents %s", got.Body)
	}
	fr := body.Contents[2].Parts[0]["functionResponse"].(map[string]any)
	if fr["name"] != "get_weather" || fr["response"].(map[string]any)["content"] != "sunny" {
		t.Fatalf("functionResponse %v", fr)
	}
	params := body.Tools[0].FunctionDeclarations[0]["parameters"].(map[string]any)
	if _, bad := params["additionalProperties"]; bad || params["$schema"] != nil {
		t.Fatalf("schema not cleaned: %v", params)
	}
	if body.SystemInstruction.Parts[0]["text"] != "be brief" || body.GenerationConfig["responseMimeType"] != "application/json" {
		t.Fatalf("system/generation config: %s", got.Body)
	}

	srv.Enqueue(llmtest.Reply{Text: "Streaming from Gemini.", ChunkSize: 6, Usage: llmtest.Usage{Prompt: 7, Completion: 5}})
	var c collect
	sreq := userReq("hi")
	sreq.Stream = c.fn
	resp, err = m.Complete(context.Background(), sreq)
	if err != nil {
		t.Fatal(err)
	}
	if c.text.String() != "Streaming from Gemini." || resp.Usage.TotalTokens != 12 || resp.FinishReason != llm.FinishStop {
		t.Fatalf("stream %q resp %+v", c.text.String(), resp)
	}
	got, _ = srv.Last()
	if got.Path != "/v1beta/models/gemini-2.5-flash:streamGenerateContent" || got.Query != "alt=sse&key="+testKey {
		t.Fatalf("stream path %s?%s", got.Path, got.Query)
	}

	// An in-stream error event after output.
	srv.Enqueue(llmtest.Reply{Text: "abcdefgh", ChunkSize: 4, StreamError: "UNAVAILABLE", ErrorMessage: "The model is overloaded."})
	c = collect{}
	_, err = m.Complete(context.Background(), sreq)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrStreamInterrupted || !errors.Is(err, llm.ErrServiceUnavailable) || e.Partial.Message.Content != "abcdefgh" {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Fatal("key leaked")
	}
}

func TestOllamaToolsThroughOpenAIEndpoint(t *testing.T) {
	srv := llmtest.NewOllama(t)
	srv.Enqueue(llmtest.Reply{ToolCalls: []llmtest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Seoul"}`},
		{Name: "get_weather", Arguments: `{"city":"Jeju"}`}}, Usage: llmtest.Usage{Prompt: 30, Completion: 10}})
	// No key needed; the base comes from OLLAMA_API_BASE.
	m, err := llm.New("ollama/llama3.1", llm.WithGetenv(func(k string) string {
		if k == "OLLAMA_API_BASE" {
			return srv.URL
		}
		return ""
	}))
	if err != nil {
		t.Fatal(err)
	}
	var c collect
	req := userReq("weather?")
	req.Tools = []llms.Tool{weatherTool}
	req.Stream = c.fn
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Message.ToolCalls) != 2 || resp.Message.ToolCalls[1].Arguments != `{"city":"Jeju"}` || resp.Message.ToolCalls[0].ID != "call_ollama1_0" {
		t.Fatalf("tool calls %+v", resp.Message.ToolCalls)
	}
	if resp.Usage.TotalTokens != 40 || resp.Cost != 0 || resp.Provider != "ollama" {
		t.Fatalf("resp %+v", resp)
	}
	got, _ := srv.Last()
	if got.Path != "/v1/chat/completions" || got.JSON["model"] != "llama3.1" || got.Header.Get("Authorization") != "" {
		t.Fatalf("request %s %v auth %q", got.Path, got.JSON["model"], got.Header.Get("Authorization"))
	}
}

func TestAzureRequest(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.RequireKey(testKey)
	m, err := llm.New("azure/my-gpt4o", llm.WithAPIKey(testKey), llm.WithAPIBase(srv.URL), llm.WithAPIVersion("2024-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Complete(context.Background(), userReq("hi")); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.Last()
	if got.Path != "/openai/deployments/my-gpt4o/chat/completions" || got.Query != "api-version=2024-06-01" ||
		got.Header.Get("api-key") != testKey || got.Header.Get("Authorization") != "" {
		t.Fatalf("azure request %s?%s headers %v", got.Path, got.Query, got.Header)
	}
}

func TestHTTPErrorsPerProvider(t *testing.T) {
	type tc struct {
		flavor string
		reply  llmtest.Reply
		kind   llm.Kind
		retry  string
	}
	cases := []tc{
		{"openai", llmtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "7"}, ErrorType: "requests", ErrorCode: "rate_limit_exceeded", ErrorMessage: "Rate limit reached"}, llm.ErrRateLimit, "7s"},
		{"openai", llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "context_length_exceeded", ErrorMessage: "This model's maximum context length is 128000 tokens."}, llm.ErrContextWindowExceeded, ""},
		{"openai", llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "content_filter", ErrorMessage: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy."}, llm.ErrContentPolicyViolation, ""},
		{"openai", llmtest.Reply{Status: 404, ErrorCode: "model_not_found", ErrorMessage: "The model `gpt-9` does not exist"}, llm.ErrNotFound, ""},
		{"anthropic", llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"}, llm.ErrRateLimit, ""},
		{"anthropic", llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "prompt is too long: 210000 tokens > 200000 maximum"}, llm.ErrContextWindowExceeded, ""},
		{"anthropic", llmtest.Reply{Status: 403, ErrorType: "permission_error", ErrorMessage: "no access"}, llm.ErrPermissionDenied, ""},
		{"gemini", llmtest.Reply{Status: 429, ErrorType: "RESOURCE_EXHAUSTED", ErrorMessage: "Resource has been exhausted (e.g. check quota).", RetryDelay: "31s"}, llm.ErrRateLimit, "31s"},
		{"gemini", llmtest.Reply{Status: 400, ErrorType: "INVALID_ARGUMENT", ErrorMessage: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."}, llm.ErrContextWindowExceeded, ""},
		{"gemini", llmtest.Reply{Status: 400, ErrorType: "INVALID_ARGUMENT", ErrorMessage: "API key not valid. Please pass a valid API key."}, llm.ErrAuthentication, ""},
		{"gemini", llmtest.Reply{Status: 503, ErrorType: "UNAVAILABLE", ErrorMessage: "The model is overloaded. Please try again later."}, llm.ErrServiceUnavailable, ""},
		{"ollama", llmtest.Reply{Status: 404, ErrorMessage: `model "llama9" not found, try pulling it first`}, llm.ErrNotFound, ""},
		{"ollama", llmtest.Reply{Status: 500, Body: `{"error":"llama runner process has terminated"}`}, llm.ErrInternalServer, ""},
	}
	for _, c := range cases {
		t.Run(c.flavor+"/"+string(c.kind), func(t *testing.T) {
			var srv *llmtest.Server
			model := map[string]string{"openai": "gpt-4o", "anthropic": "claude-sonnet-4-5", "gemini": "gemini/gemini-2.0-flash", "ollama": "ollama/llama3"}[c.flavor]
			switch c.flavor {
			case "openai":
				srv = llmtest.NewOpenAI(t)
			case "anthropic":
				srv = llmtest.NewAnthropic(t)
			case "gemini":
				srv = llmtest.NewGemini(t)
			default:
				srv = llmtest.NewOllama(t)
			}
			srv.Enqueue(c.reply)
			m := newModel(t, model, srv)
			_, err := m.Complete(context.Background(), userReq("x"))
			var e *llm.Error
			if !errors.As(err, &e) {
				t.Fatalf("err %T %v", err, err)
			}
			if e.Kind != c.kind || e.StatusCode != c.reply.Status || e.Model != model || e.Provider != m.Provider() {
				t.Fatalf("err = %+v (%v)", e, err)
			}
			if c.retry != "" && e.RetryAfter.String() != c.retry {
				t.Fatalf("retry after %v, want %s", e.RetryAfter, c.retry)
			}
			if c.reply.ErrorMessage != "" && !strings.Contains(e.Message, c.reply.ErrorMessage) {
				t.Fatalf("message %q lacks provider message %q", e.Message, c.reply.ErrorMessage)
			}
			if srv.Count() != 1 {
				t.Fatalf("%d requests: the layer must not retry", srv.Count())
			}
		})
	}
}

var _ = http.StatusOK

func TestModelConcurrentUse(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.SetDefault(llmtest.Reply{Text: "ok", ChunkSize: 1, Usage: llmtest.Usage{Prompt: 3, Completion: 2}})
	m := newModel(t, "gpt-4o", srv)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := userReq("hi")
			var c collect
			if i%2 == 0 {
				req.Stream = c.fn
			}
			resp, err := m.Complete(context.Background(), req)
			if err != nil {
				errs <- err
				return
			}
			if resp.Message.Content != "ok" || resp.Usage.TotalTokens != 5 || (i%2 == 0 && c.text.String() != "ok") {
				errs <- fmt.Errorf("call %d: %+v", i, resp)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if srv.Count() != 40 {
		t.Fatalf("%d requests", srv.Count())
	}
}

func TestGeminiSafety(t *testing.T) {
	srv := llmtest.NewGemini(t)
	m := newModel(t, "gemini/gemini-2.0-flash", srv)
	srv.Enqueue(llmtest.Reply{Body: `{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":5}}`})
	_, err := m.Complete(context.Background(), userReq("x"))
	if !errors.Is(err, llm.ErrContentPolicyViolation) || !errors.Is(err, llm.ErrBadRequest) {
		t.Fatalf("blocked prompt -> %v", err)
	}
	srv.Enqueue(llmtest.Reply{Text: "partial", Finish: "SAFETY"})
	resp, err := m.Complete(context.Background(), userReq("x"))
	if err != nil || resp.FinishReason != llm.FinishContentFilter {
		t.Fatalf("safety finish -> %+v %v", resp, err)
	}
	srv.Enqueue(llmtest.Reply{Text: "long", Finish: "MAX_TOKENS"})
	resp, err = m.Complete(context.Background(), userReq("x"))
	if err != nil || resp.FinishReason != llm.FinishLength {
		t.Fatalf("max tokens finish -> %+v %v", resp, err)
	}
}

func TestGeminiParallelToolCalls(t *testing.T) {
	srv := llmtest.NewGemini(t)
	m := newModel(t, "gemini/gemini-2.0-flash", srv)
	calls := []llmtest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Seoul"}`}, {Name: "get_weather", Arguments: `{"city":"Busan"}`}}
	for _, stream := range []bool{false, true} {
		srv.Enqueue(llmtest.Reply{Text: "Checking.", ToolCalls: calls, Usage: llmtest.Usage{Prompt: 40, Completion: 12}})
		req := userReq("weather?")
		req.Tools = []llms.Tool{weatherTool}
		var c collect
		if stream {
			req.Stream = c.fn
		}
		resp, err := m.Complete(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		tcs := resp.Message.ToolCalls
		if len(tcs) != 2 || tcs[0].Arguments != `{"city":"Seoul"}` || tcs[1].Arguments != `{"city":"Busan"}` || tcs[0].ID == tcs[1].ID ||
			resp.FinishReason != llm.FinishToolCalls || resp.Usage.TotalTokens != 52 {
			t.Fatalf("stream=%v resp %+v", stream, resp)
		}
		if stream {
			var idx []int
			for _, ch := range c.chunks {
				if ch.ToolCall != nil {
					idx = append(idx, ch.ToolCall.Index)
				}
			}
			if len(idx) != 2 || idx[0] != 0 || idx[1] != 1 || c.text.String() != "Checking." {
				t.Fatalf("deltas %v text %q", idx, c.text.String())
			}
		}
	}
}
