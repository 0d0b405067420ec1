package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"
)

// fakeModel is an in-process langchaingo model returning a canned reply.
type fakeModel struct {
	resp *llms.ContentResponse
	err  error
	got  []llms.MessageContent
	opts llms.CallOptions
}

func (f *fakeModel) GenerateContent(ctx context.Context, msgs []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	f.got = msgs
	f.opts = llms.CallOptions{}
	for _, o := range options {
		o(&f.opts)
	}
	if f.opts.StreamingFunc != nil && f.resp != nil {
		for _, c := range f.resp.Choices {
			if c.Content != "" {
				if err := f.opts.StreamingFunc(ctx, []byte(c.Content)); err != nil {
					return nil, err
				}
			}
		}
	}
	return f.resp, f.err
}

func (f *fakeModel) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, f, prompt, options...)
}

// anthropicStyle is how langchaingo's anthropic provider returns text plus
// two tool calls: three choices, each carrying the full usage.
func anthropicStyle() *llms.ContentResponse {
	gi := map[string]any{"InputTokens": 100, "OutputTokens": 40, "CacheCreationInputTokens": 0, "CacheReadInputTokens": 900}
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{
		{Content: "Checking.", StopReason: "tool_use", GenerationInfo: gi},
		{StopReason: "tool_use", GenerationInfo: gi, ToolCalls: []llms.ToolCall{{ID: "toolu_1", Type: "function",
			FunctionCall: &llms.FunctionCall{Name: "get_weather", Arguments: `{"city":"Seoul"}`}}}},
		{StopReason: "tool_use", GenerationInfo: gi, ToolCalls: []llms.ToolCall{{ID: "toolu_2", Type: "function",
			FunctionCall: &llms.FunctionCall{Name: "get_weather", Arguments: `{"city":"Busan"}`}}}},
	}}
}

func TestLangchainMessagesRoundTrip(t *testing.T) {
	msgs := []llm.Message{
		llm.System("sys"), llm.User("hi"),
		{Role: llm.RoleAssistant, Content: "calling", ToolCalls: []llm.ToolCall{{ID: "c1", Type: "function", Name: "f", Arguments: `{"a":1}`}}},
		llm.ToolResult("c1", "f", "42"), llm.Assistant("done"),
	}
	lc := llm.ToLangchain(msgs)
	roles := []llms.ChatMessageType{llms.ChatMessageTypeSystem, llms.ChatMessageTypeHuman, llms.ChatMessageTypeAI, llms.ChatMessageTypeTool, llms.ChatMessageTypeAI}
	for i, r := range roles {
		if lc[i].Role != r {
			t.Fatalf("message %d role %s, want %s", i, lc[i].Role, r)
		}
	}
	if tc, ok := lc[2].Parts[1].(llms.ToolCall); !ok || tc.ID != "c1" || tc.FunctionCall.Arguments != `{"a":1}` {
		t.Fatalf("tool call part %#v", lc[2].Parts)
	}
	back, err := llm.FromLangchainMessages(lc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, msgs) {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, msgs)
	}
	// JSON-serialisable, as checkpoints need.
	b, _ := json.Marshal(msgs[2])
	if string(b) != `{"role":"assistant","content":"calling","tool_calls":[{"id":"c1","type":"function","name":"f","arguments":"{\"a\":1}"}]}` {
		t.Fatalf("json %s", b)
	}
	_, err = llm.FromLangchainMessages([]llms.MessageContent{{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{llms.ImageURLContent{URL: "x"}}}})
	if !errors.Is(err, llm.ErrUnsupportedParams) || !strings.Contains(err.Error(), "message 0") {
		t.Fatalf("image part err = %v", err)
	}
}

func TestFromContentResponseMergesChoices(t *testing.T) {
	msg, finish, usage := llm.FromContentResponse(anthropicStyle())
	if msg.Role != llm.RoleAssistant || msg.Content != "Checking." || len(msg.ToolCalls) != 2 || msg.ToolCalls[1].ID != "toolu_2" {
		t.Fatalf("msg %+v", msg)
	}
	if finish != llm.FinishToolCalls {
		t.Fatalf("finish %s", finish)
	}
	// Usage taken once, Anthropic's input normalised to include cache reads.
	want := llm.Usage{PromptTokens: 1000, CompletionTokens: 40, TotalTokens: 1040, CacheReadTokens: 900}
	if usage != want {
		t.Fatalf("usage %+v want %+v", usage, want)
	}
	for raw, want := range map[string]llm.FinishReason{"end_turn": llm.FinishStop, "max_tokens": llm.FinishLength, "MAX_TOKENS": llm.FinishLength,
		"SAFETY": llm.FinishContentFilter, "content_filter": llm.FinishContentFilter, "tool_use": llm.FinishToolCalls, "": ""} {
		if got := llm.NormalizeFinishReason(raw); got != want {
			t.Fatalf("%q -> %q want %q", raw, got, want)
		}
	}
	for _, gi := range []map[string]any{
		{"PromptTokens": 10, "CompletionTokens": 5, "TotalTokens": 15, "ReasoningTokens": 2, "PromptCachedTokens": 4},
		{"input_tokens": int32(10), "output_tokens": int32(5), "total_tokens": int32(15), "PromptCachedTokens": 4, "ThinkingTokens": 2},
	} {
		u, ok := llm.UsageFromGenerationInfo(gi)
		if !ok || u != (llm.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, ReasoningTokens: 2, CacheReadTokens: 4}) {
			t.Fatalf("%v -> %+v", gi, u)
		}
	}
}

func TestFromLangchainFake(t *testing.T) {
	f := &fakeModel{resp: anthropicStyle()}
	c := llm.FromLangchain(f, "anthropic", "claude-sonnet-4-5")
	temp := 0.5
	req := &llm.Request{Messages: []llm.Message{llm.User("weather?")}, Tools: []llms.Tool{weatherTool}, Temperature: &temp, MaxTokens: 99}
	resp, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Message.ToolCalls) != 2 || resp.Usage.PromptTokens != 1000 || resp.Provider != "anthropic" {
		t.Fatalf("resp %+v", resp)
	}
	approx(t, "cost", resp.Cost, 100*3e-6+900*3e-7+40*1.5e-5)
	if f.opts.Temperature != 0.5 || f.opts.MaxTokens != 99 || len(f.opts.Tools) != 1 || f.got[0].Role != llms.ChatMessageTypeHuman {
		t.Fatalf("options %+v", f.opts)
	}
	f.err = errors.New("API returned unexpected status code: 503: upstream unavailable")
	_, err = c.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrServiceUnavailable || e.StatusCode != 503 || e.Provider != "anthropic" {
		t.Fatalf("err %+v", err)
	}
	// Streaming text through the adapter; a stream function error stops it.
	f.err = nil
	var c2 collect
	req.Stream = c2.fn
	if _, err := c.Complete(context.Background(), req); err != nil || c2.text.String() != "Checking." || c2.last().FinishReason != llm.FinishToolCalls {
		t.Fatalf("stream %q %v", c2.text.String(), err)
	}
	// Tool calls, which langchaingo does not stream, arrive as deltas before the final chunk.
	if n := len(c2.chunks); n != 4 || c2.chunks[1].ToolCall == nil || c2.chunks[2].ToolCall.Index != 1 || c2.chunks[2].ToolCall.ID != "toolu_2" {
		t.Fatalf("chunks %+v", c2.chunks)
	}
	stop := errors.New("enough")
	req.Stream = func(context.Context, llm.Chunk) error { return stop }
	_, err = c.Complete(context.Background(), req)
	if !errors.Is(err, stop) || !errors.Is(err, llm.ErrStreamInterrupted) {
		t.Fatalf("stop err = %v", err)
	}
}

func TestFromLangchainOpenAIClientCapturesStatus(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	lm, err := openai.New(openai.WithBaseURL(srv.APIBase()), openai.WithToken(testKey), openai.WithModel("gpt-4o"),
		openai.WithHTTPClient(llm.CaptureClient(nil)))
	if err != nil {
		t.Fatal(err)
	}
	c := llm.FromLangchain(lm, "openai", "gpt-4o", llm.WithAPIKey(testKey))
	srv.Enqueue(llmtest.Reply{Text: "via langchaingo", Usage: llmtest.Usage{Prompt: 30, Completion: 3, CacheRead: 10}})
	resp, err := c.Complete(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "via langchaingo" || resp.Usage != (llm.Usage{PromptTokens: 30, CompletionTokens: 3, TotalTokens: 33, CacheReadTokens: 10}) {
		t.Fatalf("resp %+v", resp)
	}
	srv.Enqueue(llmtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "5"}, ErrorCode: "rate_limit_exceeded",
		ErrorMessage: "Rate limit reached for key " + testKey})
	_, err = c.Complete(context.Background(), userReq("hi"))
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrRateLimit || e.StatusCode != 429 || e.RetryAfter != 5*time.Second {
		t.Fatalf("err %+v", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Fatalf("key leaked: %v", err)
	}
}

func TestModelIsLangchainModel(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "streamed via llms.Model", ChunkSize: 8, Usage: llmtest.Usage{Prompt: 5, Completion: 4}})
	srv.Enqueue(llmtest.Reply{ToolCalls: []llmtest.ToolCall{{ID: "c9", Name: "get_weather", Arguments: `{"city":"Seoul"}`}}})
	srv.Enqueue(llmtest.Reply{Text: "plain"})
	m := newModel(t, "gpt-4o", srv)
	var lm llms.Model = m
	var streamed strings.Builder
	cr, err := lm.GenerateContent(context.Background(), []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "hi")},
		llms.WithStreamingFunc(func(_ context.Context, b []byte) error { streamed.Write(b); return nil }), llms.WithTemperature(0.3))
	if err != nil {
		t.Fatal(err)
	}
	if streamed.String() != "streamed via llms.Model" || cr.Choices[0].Content != "streamed via llms.Model" ||
		cr.Choices[0].GenerationInfo["TotalTokens"] != 9 || cr.Choices[0].StopReason != "stop" {
		t.Fatalf("cr %+v", cr.Choices[0])
	}
	got, _ := srv.Last()
	if got.JSON["temperature"] != 0.3 {
		t.Fatalf("temperature %v", got.JSON["temperature"])
	}
	cr, err = lm.GenerateContent(context.Background(), []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "weather")},
		llms.WithTools([]llms.Tool{weatherTool}))
	if err != nil {
		t.Fatal(err)
	}
	if tc := cr.Choices[0].ToolCalls; len(tc) != 1 || tc[0].ID != "c9" || cr.Choices[0].StopReason != "tool_calls" {
		t.Fatalf("tool calls %+v", cr.Choices[0])
	}
	text, err := lm.Call(context.Background(), "hello")
	if err != nil || text != "plain" {
		t.Fatalf("Call = %q, %v", text, err)
	}
}

func TestFromLangchainOllamaNative(t *testing.T) {
	srv := llmtest.NewOllama(t)
	lm, err := ollama.New(ollama.WithServerURL(srv.URL), ollama.WithModel("llama3"), ollama.WithHTTPClient(llm.CaptureClient(nil)))
	if err != nil {
		t.Fatal(err)
	}
	c := llm.FromLangchain(lm, "ollama", "ollama/llama3")
	srv.Enqueue(llmtest.Reply{Text: "native ollama", Usage: llmtest.Usage{Prompt: 11, Completion: 4}})
	resp, err := c.Complete(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "native ollama" || resp.Usage != (llm.Usage{PromptTokens: 11, CompletionTokens: 4, TotalTokens: 15}) {
		t.Fatalf("resp %+v", resp)
	}
	got, _ := srv.Last()
	if got.Path != "/api/chat" || got.JSON["model"] != "llama3" {
		t.Fatalf("request %s %s", got.Path, got.Body)
	}
	// Streamed as NDJSON.
	srv.Enqueue(llmtest.Reply{Text: "one two three", ChunkSize: 4, Usage: llmtest.Usage{Prompt: 5, Completion: 3}})
	var cl collect
	req := userReq("count")
	req.Stream = cl.fn
	resp, err = c.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if cl.text.String() != "one two three" || resp.Usage.TotalTokens != 8 || cl.last().Usage.TotalTokens != 8 {
		t.Fatalf("stream %q usage %+v", cl.text.String(), resp.Usage)
	}
	// A missing model: Ollama's 404 body, classified from the captured status.
	srv.Enqueue(llmtest.Reply{Status: 404, ErrorMessage: `model "llama3" not found, try pulling it first`})
	_, err = c.Complete(context.Background(), userReq("hi"))
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrNotFound || e.StatusCode != 404 || !strings.Contains(e.Message, "try pulling it first") {
		t.Fatalf("err %+v", err)
	}
}

// The captured status of each call belongs to that call, even when many
// calls share one CaptureClient.
func TestCaptureClientConcurrent(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.SetResponder(func(r llmtest.Request) (llmtest.Reply, bool) {
		msgs, _ := r.JSON["messages"].([]any)
		n := 0
		if len(msgs) > 0 {
			fmt.Sscan(msgs[len(msgs)-1].(map[string]any)["content"].(string), &n)
		}
		if n%2 == 1 {
			return llmtest.Reply{Status: 429, Header: map[string]string{"Retry-After": fmt.Sprint(n)}}, true
		}
		return llmtest.Reply{Text: fmt.Sprint("ok ", n)}, true
	})
	lm, err := openai.New(openai.WithBaseURL(srv.APIBase()), openai.WithToken(testKey), openai.WithHTTPClient(llm.CaptureClient(nil)))
	if err != nil {
		t.Fatal(err)
	}
	c := llm.FromLangchain(lm, "openai", "gpt-4o")
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for n := 1; n <= 30; n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User(fmt.Sprint(n))}})
			if n%2 == 0 {
				if err != nil || resp.Message.Content != fmt.Sprint("ok ", n) {
					errs <- fmt.Errorf("call %d: %v %v", n, resp, err)
				}
				return
			}
			var e *llm.Error
			if !errors.As(err, &e) || e.Kind != llm.ErrRateLimit || e.RetryAfter != time.Duration(n)*time.Second {
				errs <- fmt.Errorf("call %d: %v", n, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
