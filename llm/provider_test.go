package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

func envOf(kv map[string]string) llm.Option {
	return llm.WithGetenv(func(k string) string { return kv[k] })
}

func TestResolveEveryPrefix(t *testing.T) {
	env := map[string]string{
		"OPENAI_API_KEY": "k1", "ANTHROPIC_API_KEY": "k2", "GEMINI_API_KEY": "k3", "GROQ_API_KEY": "k4",
		"AZURE_API_KEY": "k5", "AZURE_API_BASE": "https://res.example.test", "HUGGINGFACE_API_KEY": "k6",
		"COHERE_API_KEY": "k7", "TOGETHERAI_API_KEY": "k8", "MISTRAL_API_KEY": "k9",
		"VERTEXAI_ACCESS_TOKEN": "tok", "VERTEXAI_PROJECT": "proj", "VERTEXAI_LOCATION": "europe-west4",
		"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secretexample", "AWS_REGION": "eu-central-1",
	}
	cases := []struct {
		model, provider, name, base string
		wire                        llm.Wire
	}{
		{"gpt-4o", "openai", "gpt-4o", "https://api.openai.com/v1", llm.WireOpenAI},
		{"gpt-3.5-turbo", "openai", "gpt-3.5-turbo", "https://api.openai.com/v1", llm.WireOpenAI},
		{"o1", "openai", "o1", "https://api.openai.com/v1", llm.WireOpenAI},
		{"o3-mini", "openai", "o3-mini", "https://api.openai.com/v1", llm.WireOpenAI},
		{"o4-mini", "openai", "o4-mini", "https://api.openai.com/v1", llm.WireOpenAI},
		{"claude-3-opus-20240229", "anthropic", "claude-3-opus-20240229", "https://api.anthropic.com", llm.WireAnthropic},
		{"claude-sonnet-5-20260203", "anthropic", "claude-sonnet-5-20260203", "https://api.anthropic.com", llm.WireAnthropic},
		{"anthropic/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5", "https://api.anthropic.com", llm.WireAnthropic},
		{"gemini/gemini-3-flash", "gemini", "gemini-3-flash", "https://generativelanguage.googleapis.com", llm.WireGemini},
		{"groq/mixtral-8x7b-32768", "groq", "mixtral-8x7b-32768", "https://api.groq.com/openai/v1", llm.WireOpenAI},
		{"ollama/llama4", "ollama", "llama4", "http://localhost:11434/v1", llm.WireOpenAI},
		{"azure/gpt-4-deployment", "azure", "gpt-4-deployment", "https://res.example.test", llm.WireOpenAI},
		{"bedrock/anthropic.claude-3-sonnet-20240229-v1:0", "bedrock", "anthropic.claude-3-sonnet-20240229-v1:0", "", llm.WireBedrock},
		{"huggingface/meta-llama/Llama-2-7b", "huggingface", "meta-llama/Llama-2-7b", "https://router.huggingface.co/v1", llm.WireOpenAI},
		{"cohere/command-r-plus", "cohere", "command-r-plus", "https://api.cohere.ai/compatibility/v1", llm.WireOpenAI},
		{"together_ai/meta-llama/Llama-2-70b", "together_ai", "meta-llama/Llama-2-70b", "https://api.together.xyz/v1", llm.WireOpenAI},
		{"vertex_ai/gemini-pro", "vertex_ai", "gemini-pro", "https://europe-west4-aiplatform.googleapis.com", llm.WireGemini},
		{"mistral/mistral-large-latest", "mistral", "mistral-large-latest", "https://api.mistral.ai/v1", llm.WireOpenAI},
		{"openai/gpt-4o", "openai", "gpt-4o", "https://api.openai.com/v1", llm.WireOpenAI},
	}
	for _, c := range cases {
		m, err := llm.New(c.model, envOf(env))
		if err != nil {
			t.Fatalf("New(%q): %v", c.model, err)
		}
		if m.Provider() != c.provider || m.ProviderModel() != c.name || m.APIBase() != c.base || m.Wire() != c.wire || m.Name() != c.model {
			t.Fatalf("%s: provider %q name %q base %q wire %q", c.model, m.Provider(), m.ProviderModel(), m.APIBase(), m.Wire())
		}
	}
	// Unresolvable strings name the prefixes.
	for _, bad := range []string{"", "llama3", "unknown/llama3", "gemini/"} {
		_, _, err := llm.ResolveModel(bad)
		if !errors.Is(err, llm.ErrBadRequest) {
			t.Fatalf("ResolveModel(%q) err = %v", bad, err)
		}
	}
	if _, _, err := llm.ResolveModel("llama3"); !strings.Contains(err.Error(), "ollama/") {
		t.Fatalf("message does not list prefixes: %v", err)
	}
	// Bare names the price table knows resolve through it.
	if p, n, err := llm.ResolveModel("command-r-plus"); err != nil || p != "cohere" || n != "command-r-plus" {
		t.Fatalf("command-r-plus -> %q %q %v", p, n, err)
	}
	// Bases given with the version path work too.
	if m, _ := llm.New("claude-sonnet-4-5", llm.WithAPIKey("k"), llm.WithAPIBase("https://proxy.example.test/v1/")); m.APIBase() != "https://proxy.example.test" {
		t.Fatalf("anthropic base %q", m.APIBase())
	}
	if m, _ := llm.New("gemini/gemini-pro", llm.WithAPIKey("k"), llm.WithAPIBase("https://g.example.test/v1beta")); m.APIBase() != "https://g.example.test" {
		t.Fatalf("gemini base %q", m.APIBase())
	}
	// OLLAMA_HOST holds host:port without a scheme.
	if m, err := llm.New("ollama/llama3", envOf(map[string]string{"OLLAMA_HOST": "10.0.0.5:11434"})); err != nil || m.APIBase() != "http://10.0.0.5:11434/v1" {
		t.Fatalf("OLLAMA_HOST base: %v", err)
	}
	// An OpenAI-compatible server behind openai/ with an API base needs no key.
	if _, err := llm.New("openai/local-model", llm.WithAPIBase("http://127.0.0.1:9/v1"), envOf(nil)); err != nil {
		t.Fatalf("openai-compatible without key: %v", err)
	}
}

func TestMissingKeyBeforeNetwork(t *testing.T) {
	cases := map[string]string{
		"gpt-4o":                     "OPENAI_API_KEY",
		"claude-sonnet-4-5":          "ANTHROPIC_API_KEY",
		"gemini/gemini-2.0-flash":    "GEMINI_API_KEY or GOOGLE_API_KEY",
		"groq/llama3-8b-8192":        "GROQ_API_KEY",
		"mistral/mistral-small":      "MISTRAL_API_KEY",
		"together_ai/x/y":            "TOGETHERAI_API_KEY",
		"cohere/command-r":           "COHERE_API_KEY",
		"huggingface/x/y":            "HUGGINGFACE_API_KEY",
		"bedrock/anthropic.claude-3": "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
	}
	srv := llmtest.NewOpenAI(t)
	for model, variable := range cases {
		_, err := llm.New(model, envOf(nil), llm.WithAPIBase(srv.APIBase()))
		var e *llm.Error
		if !errors.As(err, &e) || e.Kind != llm.ErrAuthentication || !strings.Contains(e.Message, variable) || e.Model != model {
			t.Fatalf("%s: err = %v, want AuthenticationError naming %s", model, err, variable)
		}
	}
	if srv.Count() != 0 {
		t.Fatal("a request was sent without a key")
	}
	// Azure needs a base, Vertex AI a project; both said plainly.
	if _, err := llm.New("azure/dep", envOf(map[string]string{"AZURE_API_KEY": "k"})); err == nil || !strings.Contains(err.Error(), "AZURE_API_BASE") {
		t.Fatalf("azure without base: %v", err)
	}
	if _, err := llm.New("vertex_ai/gemini-pro", envOf(nil)); err == nil || !strings.Contains(err.Error(), "VERTEXAI_PROJECT") {
		t.Fatalf("vertex without project: %v", err)
	}
	_, err := llm.New("vertex_ai/gemini-pro", envOf(map[string]string{"VERTEXAI_PROJECT": "p", "HOME": "/nonexistent"}))
	if !errors.Is(err, llm.ErrAuthentication) || !strings.Contains(err.Error(), "GOOGLE_APPLICATION_CREDENTIALS") {
		t.Fatalf("vertex without credentials: %v", err)
	}
}

func TestEnvKeysAndBases(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.RequireKey("groq-key-123456")
	m, err := llm.New("groq/llama-3.3-70b-versatile", envOf(map[string]string{"GROQ_API_KEY": "groq-key-123456", "GROQ_API_BASE": srv.APIBase()}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Complete(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Provider != "groq" || resp.Model != "groq/llama-3.3-70b-versatile" {
		t.Fatalf("resp %+v", resp)
	}
	// Params (LiteLLM's litellm_params) override the environment.
	m, err = llm.NewFromParams(llm.Params{Model: "gpt-4o", APIKey: "param-key-123456", APIBase: srv.APIBase(),
		Organization: "org-1", Headers: map[string]string{"X-Trace": "t1"}, InputCostPerToken: 1e-6, OutputCostPerToken: 2e-6},
		envOf(map[string]string{"OPENAI_API_KEY": "env-key"}))
	if err != nil {
		t.Fatal(err)
	}
	srv.RequireKey("param-key-123456")
	resp, err = m.Complete(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "param cost", resp.Cost, 10*1e-6+8*2e-6) // default reply usage 10/8
	got, _ := srv.Last()
	if got.Header.Get("OpenAI-Organization") != "org-1" || got.Header.Get("X-Trace") != "t1" {
		t.Fatalf("headers %v", got.Header)
	}
	if mi, ok := m.Info(); !ok || mi.InputCostPerToken != 1e-6 || mi.MaxInputTokens != 128000 {
		t.Fatalf("info %+v", mi)
	}
}

func TestVertexAIRequest(t *testing.T) {
	srv := llmtest.NewGemini(t)
	srv.RequireKey("ya29.vertex-token")
	m, err := llm.New("vertex_ai/gemini-2.0-flash", envOf(map[string]string{
		"VERTEXAI_PROJECT": "my-proj", "VERTEXAI_LOCATION": "us-east5", "VERTEXAI_ACCESS_TOKEN": "ya29.vertex-token",
		"VERTEXAI_API_BASE": srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	srv.Enqueue(llmtest.Reply{Text: "hi", Usage: llmtest.Usage{Prompt: 100, Completion: 10}})
	resp, err := m.Complete(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "vertex cost", resp.Cost, 100*1e-7+10*4e-7)
	got, _ := srv.Last()
	if got.Path != "/v1/projects/my-proj/locations/us-east5/publishers/google/models/gemini-2.0-flash:generateContent" ||
		got.Query != "" || got.Header.Get("Authorization") != "Bearer ya29.vertex-token" {
		t.Fatalf("vertex request %s?%s auth %q", got.Path, got.Query, got.Header.Get("Authorization"))
	}
}

func TestBedrockThroughLangchaingo(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	srv.Enqueue(llmtest.Reply{Text: "Hello from Bedrock.", Usage: llmtest.Usage{Prompt: 20, Completion: 5}})
	m, err := llm.New("bedrock/anthropic.claude-3-sonnet-20240229-v1:0", envOf(map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIATESTKEY", "AWS_SECRET_ACCESS_KEY": "bedrock-secret-value", "AWS_REGION": "us-west-2",
		"AWS_BEDROCK_RUNTIME_ENDPOINT": srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Complete(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "Hello from Bedrock." || resp.Usage.PromptTokens != 20 || resp.Usage.CompletionTokens != 5 {
		t.Fatalf("resp %+v", resp)
	}
	approx(t, "bedrock cost", resp.Cost, 20*3e-6+5*1.5e-5)
	got, _ := srv.Last()
	if !strings.HasPrefix(got.Path, "/model/anthropic.claude-3-sonnet-20240229-v1") || !strings.HasSuffix(got.Path, "/invoke") ||
		!strings.Contains(got.Header.Get("Authorization"), "AKIATESTKEY") {
		t.Fatalf("bedrock request %s auth %q", got.Path, got.Header.Get("Authorization"))
	}
	// Errors come back classified, with no retries by the SDK.
	srv.Enqueue(llmtest.Reply{Status: 429, Body: `{"message":"Too many requests, please wait before trying again."}`})
	_, err = m.Complete(context.Background(), userReq("hi"))
	if !errors.Is(err, llm.ErrRateLimit) || srv.Count() != 2 {
		t.Fatalf("bedrock 429 -> %v after %d requests", err, srv.Count())
	}
	if strings.Contains(err.Error(), "bedrock-secret-value") {
		t.Fatal("secret leaked")
	}
}

func TestVertexAIClaude(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	srv.RequireKey("ya29.vertex-token")
	m, err := llm.New("vertex_ai/claude-sonnet-4-5@20250929", envOf(map[string]string{
		"VERTEXAI_PROJECT": "my-proj", "VERTEXAI_LOCATION": "us-east5", "VERTEXAI_ACCESS_TOKEN": "ya29.vertex-token",
		"VERTEXAI_API_BASE": srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	if m.Wire() != llm.WireAnthropic {
		t.Fatalf("wire %s", m.Wire())
	}
	srv.Enqueue(llmtest.Reply{Text: "hello from Claude on Vertex", ChunkSize: 6})
	var c collect
	req := userReq("hi")
	req.Stream = c.fn
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "hello from Claude on Vertex" || c.text.String() != resp.Message.Content {
		t.Fatalf("resp %+v", resp)
	}
	got, _ := srv.Last()
	if got.Path != "/v1/projects/my-proj/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict" ||
		got.JSON["anthropic_version"] != "vertex-2023-10-16" || got.JSON["model"] != nil || got.Header.Get("x-api-key") != "" {
		t.Fatalf("request %s %s", got.Path, got.Body)
	}
}

// Every OpenAI-wire prefix reaches an OpenAI-format server with its own key
// variable, base variable and the model name without the prefix.
func TestOpenAICompatiblePrefixesEndToEnd(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	cases := []struct{ model, keyVar, baseVar, sent string }{
		{"groq/llama-3.3-70b-versatile", "GROQ_API_KEY", "GROQ_API_BASE", "llama-3.3-70b-versatile"},
		{"mistral/mistral-large-latest", "MISTRAL_API_KEY", "MISTRAL_API_BASE", "mistral-large-latest"},
		{"together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "TOGETHERAI_API_KEY", "TOGETHERAI_API_BASE", "meta-llama/Llama-3.3-70B-Instruct-Turbo"},
		{"huggingface/meta-llama/Llama-3.3-70B-Instruct", "HF_TOKEN", "HUGGINGFACE_API_BASE", "meta-llama/Llama-3.3-70B-Instruct"},
		{"cohere/command-r-plus", "CO_API_KEY", "COHERE_API_BASE", "command-r-plus"},
		{"openai/gpt-4o-mini", "OPENAI_API_KEY", "OPENAI_BASE_URL", "gpt-4o-mini"},
	}
	for _, c := range cases {
		key := "key-for-" + c.keyVar
		m, err := llm.New(c.model, envOf(map[string]string{c.keyVar: key, c.baseVar: srv.APIBase()}))
		if err != nil {
			t.Fatalf("%s: %v", c.model, err)
		}
		srv.RequireKey(key)
		if _, err := m.Complete(context.Background(), userReq("hi")); err != nil {
			t.Fatalf("%s: %v", c.model, err)
		}
		got, _ := srv.Last()
		if got.JSON["model"] != c.sent {
			t.Fatalf("%s: model sent %v", c.model, got.JSON["model"])
		}
	}
}
