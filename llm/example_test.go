package llm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/tmc/langchaingo/llms"
)

// A completion against a local server speaking OpenAI's wire format.
func ExampleNew() {
	srv := llmtest.Start(llmtest.OpenAI)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Text: "Paris.", Usage: llmtest.Usage{Prompt: 24, Completion: 2}})

	m, err := llm.New("gpt-4o", llm.WithAPIKey("sk-example"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{
		llm.System("Answer in one word."),
		llm.User("What is the capital of France?"),
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Message.Content, resp.FinishReason)
	fmt.Printf("%s via %s: %d tokens, $%.6f\n", resp.Model, resp.Provider, resp.Usage.TotalTokens, resp.Cost)
	// Output:
	// Paris. stop
	// gpt-4o via openai: 26 tokens, $0.000080
}

// Streaming text and tool calls from Anthropic's wire format.
func ExampleModel_Complete_streaming() {
	srv := llmtest.Start(llmtest.Anthropic)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Text: "Let me look that up.", ChunkSize: 7,
		ToolCalls: []llmtest.ToolCall{{ID: "toolu_1", Name: "get_weather", Arguments: `{"city":"Seoul"}`}},
		Usage:     llmtest.Usage{Prompt: 300, Completion: 40}})

	m, _ := llm.New("claude-sonnet-4-5", llm.WithAPIKey("sk-ant-example"), llm.WithAPIBase(srv.APIBase()))
	req := &llm.Request{
		Messages: []llm.Message{llm.User("Weather in Seoul?")},
		Tools: []llms.Tool{{Type: "function", Function: &llms.FunctionDefinition{Name: "get_weather",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}},
		Stream: func(_ context.Context, c llm.Chunk) error {
			switch {
			case c.Text != "":
				fmt.Printf("text %q\n", c.Text)
			case c.ToolCall != nil:
				fmt.Printf("tool call #%d name=%q args=%q\n", c.ToolCall.Index, c.ToolCall.Name, c.ToolCall.Arguments)
			case c.FinishReason != "":
				fmt.Printf("finish %s, %d tokens\n", c.FinishReason, c.Usage.TotalTokens)
			}
			return nil
		},
	}
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	tc := resp.Message.ToolCalls[0]
	fmt.Println(tc.ID, tc.Name, tc.Arguments)
	// Output:
	// text "Let me "
	// text "look th"
	// text "at up."
	// tool call #0 name="get_weather" args=""
	// tool call #0 name="" args="{\"city\""
	// tool call #0 name="" args=":\"Seoul"
	// tool call #0 name="" args="\"}"
	// finish tool_calls, 340 tokens
	// toolu_1 get_weather {"city":"Seoul"}
}

// Failures are one error type: errors.Is with a kind, errors.As for details.
func ExampleClassify() {
	srv := llmtest.Start(llmtest.Gemini)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "30"},
		ErrorType: "RESOURCE_EXHAUSTED", ErrorMessage: "Quota exceeded for requests per minute."})

	m, _ := llm.New("gemini/gemini-2.0-flash", llm.WithAPIKey("AIza-example-key"), llm.WithAPIBase(srv.APIBase()))
	_, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("hi")}})

	var e *llm.Error
	if errors.Is(err, llm.ErrRateLimit) && errors.As(err, &e) {
		fmt.Println(e.Kind, e.Provider, e.StatusCode, e.RetryAfter)
		fmt.Println(e.Message)
	}
	// Any error can be classified, e.g. a status hidden in a string.
	c := llm.Classify(context.Background(), errors.New("API returned unexpected status code: 400: prompt is too long"), "anthropic", "claude-sonnet-4-5")
	fmt.Println(c.Kind, errors.Is(c, llm.ErrBadRequest))
	// Output:
	// RateLimitError gemini 429 30s
	// Quota exceeded for requests per minute.
	// ContextWindowExceededError true
}

// Cost and model information from the embedded LiteLLM price table.
func ExampleCost() {
	cost, _ := llm.Cost("claude-sonnet-4-5", llm.Usage{
		PromptTokens: 11000, CompletionTokens: 500, CacheReadTokens: 10000,
	})
	fmt.Printf("$%.4f\n", cost)

	byTokens, _ := llm.CostByTokens("gpt-4", 50, 100)
	fmt.Printf("$%.4f\n", byTokens)

	mi, _ := llm.LookupModel("gemini/gemini-2.0-flash")
	fmt.Println(mi.MaxInputTokens, mi.MaxOutputTokens, mi.SupportsTools, mi.SupportsVision)

	_, err := llm.Cost("my-private-model", llm.Usage{PromptTokens: 1})
	fmt.Println(errors.Is(err, llm.ErrNotFound))
	// Output:
	// $0.0135
	// $0.0075
	// 1048576 8192 true true
	// true
}

// Prices registered at run time override or extend the table.
func ExampleRegisterModel() {
	llm.RegisterModel("ollama/company-llm", llm.ModelInfo{
		Provider: "ollama", InputCostPerToken: 0.1e-6, OutputCostPerToken: 0.2e-6, MaxInputTokens: 32768,
	})
	cost, _ := llm.Cost("ollama/company-llm", llm.Usage{PromptTokens: 10000, CompletionTokens: 1000})
	mi, _ := llm.LookupModel("ollama/company-llm")
	fmt.Printf("$%.4f, context %d\n", cost, mi.MaxInputTokens)
	// Output:
	// $0.0012, context 32768
}

// Model strings choose the provider, as in LiteLLM.
func ExampleResolveModel() {
	for _, s := range []string{"gpt-4o", "o3-mini", "claude-3-opus-20240229", "gemini/gemini-pro", "ollama/llama3",
		"together_ai/meta-llama/Llama-2-70b", "bedrock/anthropic.claude-3-sonnet-20240229-v1:0"} {
		p, name, _ := llm.ResolveModel(s)
		fmt.Println(p, name)
	}
	// Output:
	// openai gpt-4o
	// openai o3-mini
	// anthropic claude-3-opus-20240229
	// gemini gemini-pro
	// ollama llama3
	// together_ai meta-llama/Llama-2-70b
	// bedrock anthropic.claude-3-sonnet-20240229-v1:0
}

// A missing key is reported before any network call, naming the variable.
func ExampleNew_missingKey() {
	_, err := llm.New("claude-sonnet-4-5", llm.WithGetenv(func(string) string { return "" }))
	fmt.Println(err)
	// Output:
	// AuthenticationError (anthropic claude-sonnet-4-5): missing API key: set ANTHROPIC_API_KEY or pass an API key
}

// Callbacks observe every call; an input callback may change or reject it.
func ExampleCallbackFuncs() {
	srv := llmtest.Start(llmtest.OpenAI)
	defer srv.Close()

	guard := llm.CallbackFuncs{
		Input: func(_ context.Context, info *llm.CallInfo) error {
			if len(info.Request.Messages) > 20 {
				return errors.New("conversation too long")
			}
			info.Request.MaxTokens = 256 // enforce a cap
			return nil
		},
		Success: func(_ context.Context, info *llm.CallInfo, resp *llm.Response) {
			fmt.Printf("[success] %s %d tokens $%.6f\n", info.Model, resp.Usage.TotalTokens, resp.Cost)
		},
		Failure: func(_ context.Context, info *llm.CallInfo, err error) {
			fmt.Printf("[failure] %s: %v\n", info.Model, err)
		},
	}
	m, _ := llm.New("gpt-4o-mini", llm.WithAPIKey("sk-example"), llm.WithAPIBase(srv.APIBase()), llm.WithCallbacks(guard))
	_, _ = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("hi")}})
	sent, _ := srv.Last()
	fmt.Println("max_tokens sent:", sent.JSON["max_tokens"])

	long := make([]llm.Message, 21)
	for i := range long {
		long[i] = llm.User("again")
	}
	_, err := m.Complete(context.Background(), &llm.Request{Messages: long})
	fmt.Println(errors.Is(err, llm.ErrRejected))
	// Output:
	// [success] gpt-4o-mini 18 tokens $0.000006
	// max_tokens sent: 256
	// [failure] gpt-4o-mini: BadRequestError (openai gpt-4o-mini): rejected by an input callback: conversation too long
	// true
}

// The slog logging callback.
func ExampleLogCallback() {
	srv := llmtest.Start(llmtest.OpenAI)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Status: http.StatusServiceUnavailable, ErrorMessage: "upstream busy"})

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "latency" {
				return slog.Attr{} // keep the example's output stable
			}
			return a
		}}))
	m, _ := llm.New("gpt-4o", llm.WithAPIKey("sk-example"), llm.WithAPIBase(srv.APIBase()), llm.WithCallbacks(llm.LogCallback(logger)))
	_, _ = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("hi")}})
	_, _ = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("hi")}})
	// Output:
	// level=WARN msg="llm failure" model=gpt-4o provider=openai kind=ServiceUnavailableError status=503 error="ServiceUnavailableError (openai gpt-4o): status 503: upstream busy"
	// level=INFO msg="llm success" model=gpt-4o provider=openai prompt_tokens=10 completion_tokens=8 total_tokens=18 cost=0.000105 cost_known=true finish_reason=stop
}

// Any langchaingo model gets the same conversion, usage, cost and errors.
func ExampleFromLangchain() {
	var fake llms.Model = &fakeModel{resp: &llms.ContentResponse{Choices: []*llms.ContentChoice{{
		Content: "Hello!", StopReason: "end_turn",
		GenerationInfo: map[string]any{"InputTokens": 12, "OutputTokens": 3},
	}}}}
	c := llm.FromLangchain(fake, "anthropic", "claude-haiku-4-5", llm.WithTimeout(10*time.Second))
	resp, err := c.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("hi")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %s %d $%.7f\n", resp.Message.Content, resp.FinishReason, resp.Usage.TotalTokens, resp.Cost)
	// Output:
	// Hello! stop 15 $0.0000270
}

// The guide's tool_choice dict, read into a typed ToolChoice and sent to
// Anthropic in its own shape.
func ExampleParseToolChoice() {
	srv := llmtest.Start(llmtest.Anthropic)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{ToolCalls: []llmtest.ToolCall{{Name: "get_weather", Arguments: `{"location":"Seoul"}`}}})

	tc, err := llm.ParseToolChoice(map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := llm.New("claude-sonnet-4-5", llm.WithAPIKey("sk-ant-example"), llm.WithAPIBase(srv.APIBase()))
	resp, err := m.Complete(context.Background(), &llm.Request{
		Messages: []llm.Message{llm.User("서울 날씨는?")},
		Tools: []llms.Tool{{Type: "function", Function: &llms.FunctionDefinition{Name: "get_weather",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"location": map[string]any{"type": "string"}}}}}},
		ToolChoice: tc,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	sent, _ := srv.Last()
	fmt.Println("choice:", tc)
	fmt.Println("sent:", sent.JSON["tool_choice"])
	fmt.Println("call:", resp.Message.ToolCalls[0].Name, resp.Message.ToolCalls[0].Arguments)

	_, err = llm.ParseToolChoice("get_weather")
	fmt.Println(errors.Is(err, llm.ErrUnsupportedParams))
	// Output:
	// choice: function:get_weather
	// sent: map[name:get_weather type:tool]
	// call: get_weather {"location":"Seoul"}
	// true
}

// A model missing from the price table says so (this one is registered
// here, not in the guide's chain, so the tests keep it unknown): CostKnown is false until
// its price is registered. Local models are free and known.
func ExampleResponse_costKnown() {
	srv := llmtest.Start(llmtest.Anthropic)
	defer srv.Close()
	ask := func(model, base string) {
		m, _ := llm.New(model, llm.WithAPIKey("sk-example"), llm.WithAPIBase(base))
		resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: $%.6f known=%v\n", model, resp.Cost, resp.CostKnown)
	}
	ask("claude-haiku-5-20260301", srv.APIBase())
	llm.RegisterModel("claude-haiku-5-20260301", llm.ModelInfo{Provider: "anthropic",
		InputCostPerToken: 3e-6, OutputCostPerToken: 15e-6})
	ask("claude-haiku-5-20260301", srv.APIBase())

	local := llmtest.Start(llmtest.Ollama)
	defer local.Close()
	ask("ollama/llama4", local.APIBase())
	// Output:
	// claude-haiku-5-20260301: $0.000000 known=false
	// claude-haiku-5-20260301: $0.000150 known=true
	// ollama/llama4: $0.000000 known=true
}

// Streaming as an iterator; breaking out of the loop stops the stream and
// closes the connection, and callbacks see a success with the partial text.
func ExampleModel_Stream() {
	srv := llmtest.Start(llmtest.OpenAI)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Text: "1, 2, 3, 4, 5, 6, 7, 8, 9, 10", ChunkSize: 3})
	logged := llm.CallbackFuncs{Success: func(_ context.Context, _ *llm.CallInfo, r *llm.Response) {
		fmt.Printf("success: %q (%s)\n", r.Message.Content, r.FinishReason)
	}}
	m, _ := llm.New("gpt-4o", llm.WithAPIKey("sk-example"), llm.WithAPIBase(srv.APIBase()), llm.WithCallbacks(logged))

	req := &llm.Request{Messages: []llm.Message{llm.User("1부터 10까지 세어줘")}}
	for c, err := range m.Stream(context.Background(), req) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Print(c.Text)
		if c.Text == "4, " {
			fmt.Println("| enough")
			break
		}
	}
	// Output:
	// 1, 2, 3, 4, | enough
	// success: "1, 2, 3, 4, " (stopped)
}

// Retries on one model, as completion(max_retries=3): the rate limit's
// Retry-After is honoured, then the call succeeds.
func ExampleWithRetries() {
	srv := llmtest.Start(llmtest.OpenAI)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Status: 429, ErrorMessage: "Rate limit reached", Header: map[string]string{"Retry-After": "1"}},
		llmtest.Reply{Text: "Hello!"})
	waits := llm.CallbackFuncs{Failure: func(_ context.Context, info *llm.CallInfo, err error) {
		fmt.Printf("attempt %d: %v\n", info.Attempt, errors.Is(err, llm.ErrRateLimit))
	}}
	m, _ := llm.New("gpt-4o", llm.WithAPIKey("sk-example"), llm.WithAPIBase(srv.APIBase()),
		llm.WithRetries(3), llm.WithCallbacks(waits))
	resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Message.Content, "after", resp.Attempts, "attempts")
	// Output:
	// attempt 1: true
	// Hello! after 2 attempts
}

// Pass-through parameters: top_p 0 is sent, a JSON Schema response
// format, a seed, and an extra field the type has no name for.
func ExampleRequest_passThrough() {
	srv := llmtest.Start(llmtest.OpenAI)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Text: `{"city":"Seoul"}`, Logprobs: true, ChunkSize: 100})
	m, _ := llm.New("gpt-4o", llm.WithAPIKey("sk-example"), llm.WithAPIBase(srv.APIBase()))
	topP, seed := 0.0, 42
	resp, err := m.Complete(context.Background(), &llm.Request{
		Messages: []llm.Message{llm.User("Which city? Answer in JSON.")},
		TopP:     &topP, Seed: &seed, Stop: []string{"END"}, Logprobs: true,
		ResponseFormat: llm.JSONSchemaFormat("city", map[string]any{"type": "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}}),
		Extra: map[string]any{"service_tier": "flex"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	sent, _ := srv.Last()
	fmt.Println("top_p:", sent.JSON["top_p"], "seed:", sent.JSON["seed"], "service_tier:", sent.JSON["service_tier"])
	fmt.Println(resp.Message.Content, resp.Created.Unix(), resp.Logprobs[0].Logprob)
	// Output:
	// top_p: 0 seed: 42 service_tier: flex
	// {"city":"Seoul"} 1700000001 -0.1
}

// JEDISOS_LOG=debug, or WithDebugLog, logs each request and response with
// the keys redacted.
func ExampleWithDebugLog() {
	srv := llmtest.Start(llmtest.Gemini)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Text: "Hi.", Usage: llmtest.Usage{Prompt: 3, Completion: 2}})
	brief := func(groups []string, a slog.Attr) slog.Attr {
		switch {
		case len(groups) > 0 && a.Key != "Authorization", a.Key == slog.TimeKey, a.Key == "elapsed", a.Key == "body":
			return slog.Attr{} // keep the example's output short and stable
		case a.Key == "url":
			return slog.String("url", strings.Replace(a.Value.String(), srv.URL, "http://HOST", 1))
		}
		return a
	}
	l := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: brief}))
	m, _ := llm.New("gemini/gemini-2.0-flash", llm.WithAPIKey("AIza-secret-key"), llm.WithAPIBase(srv.APIBase()), llm.WithDebugLog(l))
	m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	// Output:
	// level=DEBUG msg="llm debug request" provider=gemini model=gemini/gemini-2.0-flash method=POST url="http://HOST/v1beta/models/gemini-2.0-flash:generateContent?key=[REDACTED]"
	// level=DEBUG msg="llm debug response" provider=gemini model=gemini/gemini-2.0-flash status=200
}
