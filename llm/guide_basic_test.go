package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

func agFloat(f float64) *float64 { return &f }

// A plain completion (guide 2.1): system + user messages, temperature,
// max_tokens and timeout reach the wire; text, model and total tokens come
// back.
func TestGuideSyncCompletion(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "Quantum computers use qubits.", Usage: llmtest.Usage{Prompt: 25, Completion: 7}})
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Complete(context.Background(), &llm.Request{
		Messages: []llm.Message{
			llm.System("You are a helpful assistant."),
			llm.User("Explain quantum computing in 2 sentences."),
		},
		Temperature: agFloat(0.7), MaxTokens: 200, Timeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "Quantum computers use qubits." || resp.Model != "gpt-4" || resp.Usage.TotalTokens != 32 ||
		resp.Usage.PromptTokens != 25 || resp.Usage.CompletionTokens != 7 {
		t.Fatalf("resp %+v", resp)
	}
	last, _ := srv.Last()
	if last.JSON["model"] != "gpt-4" || last.JSON["temperature"] != 0.7 || last.JSON["max_tokens"] != 200.0 {
		t.Fatalf("body %v", last.JSON)
	}
	msgs, _ := last.JSON["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["role"] != "system" || msgs[1].(map[string]any)["role"] != "user" {
		t.Fatalf("messages %v", msgs)
	}
	if got := last.Header.Get("Authorization"); got != "Bearer sk-test-123" {
		t.Fatalf("auth header %q", got)
	}
}

// Parameters left unset (guide 2.3: temperature, top_p default to the
// provider's) are not sent; top_p and stop are sent when set; the default
// timeout is LiteLLM's 600 s.
func TestGuideParameterDefaults(t *testing.T) {
	if llm.DefaultTimeout != 600*time.Second {
		t.Fatalf("DefaultTimeout %v", llm.DefaultTimeout)
	}
	srv := llmtest.NewOpenAI(t)
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}}); err != nil {
		t.Fatal(err)
	}
	last, _ := srv.Last()
	for _, k := range []string{"temperature", "top_p", "max_tokens", "stop", "tools", "tool_choice", "stream"} {
		if v, ok := last.JSON[k]; ok {
			t.Errorf("%s sent unset: %v", k, v)
		}
	}
	if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")},
		TopP: agFloat(0.9), Stop: []string{"\n\n", "END"}}); err != nil {
		t.Fatal(err)
	}
	last, _ = srv.Last()
	stop, _ := last.JSON["stop"].([]any)
	if last.JSON["top_p"] != 0.9 || len(stop) != 2 || stop[1] != "END" {
		t.Fatalf("body %v", last.JSON)
	}
}

// The guide's fallback loop (2.4, Quick Reference): every provider failure
// is caught by "except litellm.APIError" and the next model is tried.
func TestGuideFallbackLoopCatchesAPIError(t *testing.T) {
	anthropic, openai, gemini, ollama := llmtest.NewAnthropic(t), llmtest.NewOpenAI(t), llmtest.NewGemini(t), llmtest.NewOllama(t)
	env := map[string]string{
		"ANTHROPIC_API_KEY": "sk-ant-test-1", "ANTHROPIC_API_BASE": anthropic.APIBase(),
		"OPENAI_API_KEY": "sk-test-123", "OPENAI_API_BASE": openai.APIBase(),
		"GEMINI_API_KEY": "gemini-test-key", "GEMINI_API_BASE": gemini.APIBase(),
		"OLLAMA_API_BASE": ollama.APIBase(),
	}
	getenv := func(k string) string { return env[k] }
	anthropic.SetDefault(llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"})
	openai.SetDefault(llmtest.Reply{Delay: 2 * time.Second})
	gemini.SetDefault(llmtest.Reply{Status: 503, ErrorType: "UNAVAILABLE", ErrorMessage: "The model is overloaded."})
	ollama.SetDefault(llmtest.Reply{Text: "Hello from llama4"})

	var failed []string
	var kinds []llm.Kind
	var resp *llm.Response
	for _, model := range []string{"claude-sonnet-5-20260203", "gpt-5.2", "gemini/gemini-3-flash", "ollama/llama4"} {
		m, err := llm.New(model, llm.WithGetenv(getenv))
		if err == nil {
			resp, err = m.Complete(context.Background(), &llm.Request{
				Messages: []llm.Message{llm.User("Hello")}, Timeout: 100 * time.Millisecond})
		}
		if errors.Is(err, llm.ErrAPI) {
			var e *llm.Error
			errors.As(err, &e)
			failed = append(failed, model)
			kinds = append(kinds, e.Kind)
			continue
		}
		if err != nil {
			t.Fatalf("%s: error not an APIError: %v", model, err)
		}
		break
	}
	if resp == nil || resp.Message.Content != "Hello from llama4" || resp.Model != "ollama/llama4" {
		t.Fatalf("resp %+v", resp)
	}
	want := []llm.Kind{llm.ErrRateLimit, llm.ErrTimeout, llm.ErrServiceUnavailable}
	if strings.Join(failed, ",") != "claude-sonnet-5-20260203,gpt-5.2,gemini/gemini-3-flash" || len(kinds) != 3 ||
		kinds[0] != want[0] || kinds[1] != want[1] || kinds[2] != want[2] {
		t.Fatalf("failed %v kinds %v", failed, kinds)
	}
}

// Model name prefixes (guide 3.1): each example string resolves to its
// provider and the name sent to it.
func TestGuideModelPrefixes(t *testing.T) {
	for _, tc := range []struct{ model, provider, name string }{
		{"gpt-4", "openai", "gpt-4"},
		{"gpt-3.5-turbo", "openai", "gpt-3.5-turbo"},
		{"claude-3-opus-20240229", "anthropic", "claude-3-opus-20240229"},
		{"claude-sonnet-5-20260203", "anthropic", "claude-sonnet-5-20260203"},
		{"gpt-5.2", "openai", "gpt-5.2"},
		{"gemini/gemini-pro", "gemini", "gemini-pro"},
		{"gemini/gemini-3-flash", "gemini", "gemini-3-flash"},
		{"groq/mixtral-8x7b-32768", "groq", "mixtral-8x7b-32768"},
		{"ollama/llama2", "ollama", "llama2"},
		{"ollama/llama4", "ollama", "llama4"},
		{"azure/gpt-4-deployment", "azure", "gpt-4-deployment"},
		{"bedrock/anthropic.claude-3-sonnet", "bedrock", "anthropic.claude-3-sonnet"},
		{"huggingface/meta-llama/Llama-2-7b", "huggingface", "meta-llama/Llama-2-7b"},
		{"cohere/command-r-plus", "cohere", "command-r-plus"},
		{"together_ai/meta-llama/Llama-2-70b", "together_ai", "meta-llama/Llama-2-70b"},
		{"vertex_ai/gemini-pro", "vertex_ai", "gemini-pro"},
	} {
		p, n, err := llm.ResolveModel(tc.model)
		if err != nil || p != tc.provider || n != tc.name {
			t.Errorf("ResolveModel(%q) = %q, %q, %v; want %q, %q", tc.model, p, n, err, tc.provider, tc.name)
		}
	}
	// An unknown provider prefix is a bad request naming the accepted ones.
	_, _, err := llm.ResolveModel("nosuchprovider/model-x")
	if !errors.Is(err, llm.ErrBadRequest) {
		t.Fatalf("unknown prefix: %v", err)
	}
}

// Prefixed OpenAI-compatible providers (groq/, together_ai/, cohere/,
// huggingface/) read their own key variable and send the bare model name.
func TestGuidePrefixedProvidersOnTheWire(t *testing.T) {
	for _, tc := range []struct{ model, keyEnv, baseEnv, sent string }{
		{"groq/mixtral-8x7b-32768", "GROQ_API_KEY", "GROQ_API_BASE", "mixtral-8x7b-32768"},
		{"together_ai/meta-llama/Llama-2-70b", "TOGETHERAI_API_KEY", "TOGETHERAI_API_BASE", "meta-llama/Llama-2-70b"},
		{"cohere/command-r-plus", "COHERE_API_KEY", "COHERE_API_BASE", "command-r-plus"},
		{"huggingface/meta-llama/Llama-2-7b", "HUGGINGFACE_API_KEY", "HUGGINGFACE_API_BASE", "meta-llama/Llama-2-7b"},
	} {
		srv := llmtest.NewOpenAI(t)
		env := map[string]string{tc.keyEnv: "sk-test-" + tc.keyEnv, tc.baseEnv: srv.APIBase()}
		m, err := llm.New(tc.model, llm.WithGetenv(func(k string) string { return env[k] }))
		if err != nil {
			t.Errorf("%s: %v", tc.model, err)
			continue
		}
		if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}}); err != nil {
			t.Errorf("%s: %v", tc.model, err)
			continue
		}
		last, _ := srv.Last()
		if last.JSON["model"] != tc.sent || last.Header.Get("Authorization") != "Bearer sk-test-"+tc.keyEnv {
			t.Errorf("%s: model %v auth %q", tc.model, last.JSON["model"], last.Header.Get("Authorization"))
		}
	}
}

// Azure (guide 3.1, 12.1): the deployment name goes in the path, the
// api_version in the query and the key in the api-key header.
func TestGuideAzure(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	env := map[string]string{"AZURE_API_KEY": "azure-test-key", "AZURE_API_BASE": srv.URL, "AZURE_API_VERSION": "2024-10-21"}
	m, err := llm.New("azure/gpt-4-deployment", llm.WithGetenv(func(k string) string { return env[k] }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}}); err != nil {
		t.Fatal(err)
	}
	last, _ := srv.Last()
	if last.Path != "/openai/deployments/gpt-4-deployment/chat/completions" || last.Query != "api-version=2024-10-21" ||
		last.Header.Get("api-key") != "azure-test-key" {
		t.Fatalf("path %q query %q header %v", last.Path, last.Query, last.Header)
	}
}

// Environment keys (guide 3.3): GOOGLE_API_KEY alone serves gemini/ models;
// a missing key is an AuthenticationError naming the variable, before any
// request.
func TestGuideEnvironmentKeys(t *testing.T) {
	gem := llmtest.NewGemini(t)
	gem.RequireKey("google-test-key")
	env := map[string]string{"GOOGLE_API_KEY": "google-test-key", "GEMINI_API_BASE": gem.APIBase()}
	m, err := llm.New("gemini/gemini-pro", llm.WithGetenv(func(k string) string { return env[k] }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ model, env string }{
		{"gpt-4", "OPENAI_API_KEY"},
		{"claude-3-opus-20240229", "ANTHROPIC_API_KEY"},
		{"gemini/gemini-pro", "GEMINI_API_KEY"},
		{"groq/mixtral-8x7b-32768", "GROQ_API_KEY"},
	} {
		_, err := llm.New(tc.model, llm.WithGetenv(func(string) string { return "" }))
		if !errors.Is(err, llm.ErrAuthentication) || !strings.Contains(err.Error(), tc.env) {
			t.Errorf("%s without key: %v", tc.model, err)
		}
	}
}

// Ollama (guide 12.4): base_url given with the /v1 suffix, as the guide
// writes it, and a dummy key; or OLLAMA_API_BASE with /v1. Local models
// cost nothing and the cost is known.
func TestGuideOllamaBaseWithV1(t *testing.T) {
	srv := llmtest.NewOllama(t)
	srv.SetDefault(llmtest.Reply{Text: "Hello from llama2", Usage: llmtest.Usage{Prompt: 3, Completion: 4}})
	m, err := llm.New("ollama/llama2", llm.WithAPIBase(srv.URL+"/v1"), llm.WithAPIKey("sk-local"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if err != nil {
		t.Fatalf("base_url with /v1: %v", err)
	}
	if resp.Message.Content != "Hello from llama2" || !resp.CostKnown || resp.Cost != 0 || resp.Usage.TotalTokens != 7 {
		t.Fatalf("resp %+v", resp)
	}
	last, _ := srv.Last()
	if last.Path != "/v1/chat/completions" || last.JSON["model"] != "llama2" {
		t.Fatalf("path %q model %v", last.Path, last.JSON["model"])
	}
	env := map[string]string{"OLLAMA_API_BASE": srv.URL + "/v1"}
	m2, err := llm.New("ollama/llama2", llm.WithGetenv(func(k string) string { return env[k] }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}}); err != nil {
		t.Fatalf("OLLAMA_API_BASE with /v1: %v", err)
	}
	last, _ = srv.Last()
	if last.Path != "/v1/chat/completions" {
		t.Fatalf("path %q", last.Path)
	}
}

// max_tokens vs max_completion_tokens (guide 12.2): max_tokens is the one
// name the caller uses; gpt-4 receives max_tokens, OpenAI's gpt-5 family
// (gpt-5.2 in the guide's chain) max_completion_tokens, Anthropic
// max_tokens (and a default when unset, which its API requires).
func TestGuideMaxTokensNaming(t *testing.T) {
	oa := llmtest.NewOpenAI(t)
	for _, tc := range []struct{ model, field, other string }{
		{"gpt-4", "max_tokens", "max_completion_tokens"},
		{"gpt-5.2", "max_completion_tokens", "max_tokens"},
		{"o3-mini", "max_completion_tokens", "max_tokens"},
	} {
		m, err := llm.New(tc.model, llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(oa.APIBase()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}, MaxTokens: 500}); err != nil {
			t.Fatal(err)
		}
		last, _ := oa.Last()
		if last.JSON[tc.field] != 500.0 || last.JSON[tc.other] != nil {
			t.Errorf("%s: body %v", tc.model, last.JSON)
		}
	}
	an := llmtest.NewAnthropic(t)
	m, err := llm.New("claude-3-opus-20240229", llm.WithAPIKey("sk-ant-test-1"), llm.WithAPIBase(an.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{500, 0} {
		if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}, MaxTokens: n}); err != nil {
			t.Fatal(err)
		}
		last, _ := an.Last()
		want := float64(n)
		if n == 0 {
			want = 4096 // claude-3-opus's max output
		}
		if last.JSON["max_tokens"] != want {
			t.Errorf("anthropic max_tokens %d: body %v", n, last.JSON["max_tokens"])
		}
	}
}

// Response structure (guide 10.1, 10.2, 10.4): id, model, created,
// finish_reason, role and usage; finish reasons stop / length / tool_calls
// normalised across providers.
func TestGuideResponseFields(t *testing.T) {
	oa := llmtest.NewOpenAI(t)
	oa.Enqueue(llmtest.Reply{Text: "Hi", Usage: llmtest.Usage{Prompt: 5, Completion: 1}})
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(oa.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.ID, "chatcmpl-") || resp.Created.Unix() < 1700000000 || resp.Created.Unix() > 1700000100 ||
		resp.Message.Role != llm.RoleAssistant || resp.FinishReason != llm.FinishStop || resp.Provider != "openai" ||
		resp.Attempts != 1 || resp.Latency <= 0 || resp.CacheHit {
		t.Fatalf("resp %+v", resp)
	}
	for _, tc := range []struct {
		flavor llmtest.Flavor
		model  string
		finish string
		want   llm.FinishReason
	}{
		{llmtest.OpenAI, "gpt-4", "length", llm.FinishLength},
		{llmtest.Anthropic, "claude-3-opus-20240229", "max_tokens", llm.FinishLength},
		{llmtest.Gemini, "gemini/gemini-2.0-flash", "MAX_TOKENS", llm.FinishLength},
		{llmtest.Anthropic, "claude-3-opus-20240229", "end_turn", llm.FinishStop},
		{llmtest.Gemini, "gemini/gemini-2.0-flash", "STOP", llm.FinishStop},
	} {
		srv := map[llmtest.Flavor]func(testing.TB) *llmtest.Server{llmtest.OpenAI: llmtest.NewOpenAI,
			llmtest.Anthropic: llmtest.NewAnthropic, llmtest.Gemini: llmtest.NewGemini}[tc.flavor](t)
		srv.Enqueue(llmtest.Reply{Text: "cut", Finish: tc.finish})
		m, err := llm.New(tc.model, llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.FinishReason != tc.want {
			t.Errorf("%s %s: finish %q, want %q", tc.flavor, tc.finish, resp.FinishReason, tc.want)
		}
	}
}

// reasoning_content (guide 10.2) comes back in Message.ReasoningContent,
// from Anthropic's thinking and OpenAI-compatible reasoning fields.
func TestGuideReasoningContent(t *testing.T) {
	for _, tc := range []struct {
		srv   *llmtest.Server
		model string
	}{
		{llmtest.NewAnthropic(t), "claude-3-opus-20240229"},
		{llmtest.NewOpenAI(t), "o3-mini"},
		{llmtest.NewGemini(t), "gemini/gemini-2.0-flash"},
	} {
		tc.srv.Enqueue(llmtest.Reply{Text: "42", Reasoning: "6 times 7"})
		m, err := llm.New(tc.model, llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(tc.srv.APIBase()))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("6*7?")}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Message.Content != "42" || resp.Message.ReasoningContent != "6 times 7" {
			t.Errorf("%s: content %q reasoning %q", tc.model, resp.Message.Content, resp.Message.ReasoningContent)
		}
	}
}

// Concurrent calls (guide 2.2, acompletion): one model serves many
// goroutines at once.
func TestGuideConcurrentCalls(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.SetDefault(llmtest.Reply{Text: "I'm fine", Usage: llmtest.Usage{Prompt: 4, Completion: 2}})
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello, how are you?")},
				Temperature: agFloat(0.7), MaxTokens: 100, Timeout: 30 * time.Second})
			if err == nil && resp.Message.Content != "I'm fine" {
				err = errors.New("wrong content " + resp.Message.Content)
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if srv.Count() != 8 {
		t.Fatalf("requests %d", srv.Count())
	}
}
