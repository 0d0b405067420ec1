package llm_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/llm"
)

func TestLookupModelForms(t *testing.T) {
	cases := []struct {
		model, key, provider string
		maxIn                int
	}{
		{"gpt-4o", "gpt-4o", "openai", 128000},
		{"openai/gpt-4o", "gpt-4o", "openai", 128000},
		{"GPT-4o", "gpt-4o", "openai", 128000},
		{"claude-sonnet-4-5", "claude-sonnet-4-5", "anthropic", 200000},
		{"anthropic/claude-sonnet-4-5", "claude-sonnet-4-5", "anthropic", 200000},
		{"gemini/gemini-2.0-flash", "gemini/gemini-2.0-flash", "gemini", 1048576},
		{"vertex_ai/gemini-2.0-flash", "gemini-2.0-flash", "vertex_ai-language-models", 1048576},
		{"ollama/llama3", "ollama/llama3", "ollama", 8192},
		{"groq/llama-3.3-70b-versatile", "groq/llama-3.3-70b-versatile", "groq", 128000},
		{"azure/gpt-4o", "azure/gpt-4o", "azure", 128000},
		{"bedrock/anthropic.claude-3-sonnet-20240229-v1:0", "anthropic.claude-3-sonnet-20240229-v1:0", "bedrock", 200000},
		{"mistral/mistral-large-latest", "mistral/mistral-large-latest", "mistral", 0},
		{"together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "together_ai", 0},
		{"cohere/command-r-plus", "command-r-plus", "cohere_chat", 0},
	}
	for _, c := range cases {
		mi, ok := llm.LookupModel(c.model)
		if !ok {
			t.Fatalf("LookupModel(%q) not found", c.model)
		}
		if mi.Key != c.key || mi.Provider != c.provider {
			t.Fatalf("LookupModel(%q) = key %q provider %q, want %q %q", c.model, mi.Key, mi.Provider, c.key, c.provider)
		}
		if c.maxIn != 0 && mi.MaxInputTokens != c.maxIn {
			t.Fatalf("%s: max input %d, want %d", c.model, mi.MaxInputTokens, c.maxIn)
		}
	}
	for _, unknown := range []string{"", "azure/my-deployment", "not-a-model", "gemini/none-such"} {
		if _, ok := llm.LookupModel(unknown); ok {
			t.Fatalf("LookupModel(%q) found", unknown)
		}
	}
	mi, _ := llm.LookupModel("gpt-4o")
	if !mi.SupportsTools || !mi.SupportsParallelTools || !mi.SupportsVision || mi.MaxOutputTokens != 16384 || mi.Mode != "chat" {
		t.Fatalf("gpt-4o info %+v", mi)
	}
	if n := len(llm.DefaultPrices().Keys()); n < 2500 {
		t.Fatalf("only %d models in the embedded table", n)
	}
}

func TestCostHandComputed(t *testing.T) {
	cases := []struct {
		model string
		u     llm.Usage
		want  float64
	}{
		// gpt-4: 3e-5 in, 6e-5 out.
		{"gpt-4", llm.Usage{PromptTokens: 50, CompletionTokens: 100}, 50*3e-5 + 100*6e-5},
		// gpt-4o with cache reads: cached 1.25e-6.
		{"gpt-4o", llm.Usage{PromptTokens: 2000, CompletionTokens: 10, CacheReadTokens: 1000}, 1000*2.5e-6 + 1000*1.25e-6 + 10*1e-5},
		// claude-sonnet-4-5 with cache read and write.
		{"claude-sonnet-4-5", llm.Usage{PromptTokens: 1300, CompletionTokens: 50, CacheReadTokens: 1000, CacheWriteTokens: 200},
			100*3e-6 + 1000*3e-7 + 200*3.75e-6 + 50*1.5e-5},
		// claude-sonnet-4-5 above 200k prompt tokens: 6e-6 in, 2.25e-5 out.
		{"claude-sonnet-4-5", llm.Usage{PromptTokens: 250_000, CompletionTokens: 1000}, 250_000*6e-6 + 1000*2.25e-5},
		// dashscope/qwen-turbo has its own reasoning price: 5e-7 (output 2e-7).
		{"dashscope/qwen-turbo", llm.Usage{PromptTokens: 100, CompletionTokens: 300, ReasoningTokens: 200}, 100*5e-8 + 100*2e-7 + 200*5e-7},
		// o3-mini: reasoning priced as output.
		{"o3-mini", llm.Usage{PromptTokens: 100, CompletionTokens: 300, ReasoningTokens: 200}, 100*1.1e-6 + 300*4.4e-6},
		// groq/llama-3.3-70b-versatile: 5.9e-7 / 7.9e-7.
		{"groq/llama-3.3-70b-versatile", llm.Usage{PromptTokens: 1000, CompletionTokens: 1000}, 1000*5.9e-7 + 1000*7.9e-7},
		{"ollama/llama3", llm.Usage{PromptTokens: 1000, CompletionTokens: 1000}, 0},
	}
	for _, c := range cases {
		got, err := llm.Cost(c.model, c.u)
		if err != nil {
			t.Fatal(err)
		}
		approx(t, c.model, got, c.want)
	}
	byTokens, err := llm.CostByTokens("gpt-4", 50, 100)
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "CostByTokens", byTokens, 50*3e-5+100*6e-5)
}

func TestCostUnknownModelIsError(t *testing.T) {
	_, err := llm.Cost("my-private-model", llm.Usage{PromptTokens: 1})
	if !errors.Is(err, llm.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	var e *llm.Error
	if !errors.As(err, &e) || e.Model != "my-private-model" {
		t.Fatalf("err = %#v", err)
	}
}

func TestRegisterModelConcurrent(t *testing.T) {
	p := llm.NewPrices(nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				name := fmt.Sprintf("m%d-%d", i, j)
				p.Register(name, llm.ModelInfo{InputCostPerToken: float64(j), OutputCostPerToken: 1})
				if _, ok := p.Lookup(name); !ok {
					t.Errorf("%s not found after Register", name)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(p.Keys()); n != 800 {
		t.Fatalf("%d keys", n)
	}
	c, err := p.Cost("m3-7", llm.Usage{PromptTokens: 2, CompletionTokens: 3})
	if err != nil || c != 2*7+3 {
		t.Fatalf("cost %v %v", c, err)
	}

	// The default registry: an override wins over the table, and a new
	// model becomes priceable.
	llm.RegisterModel("ollama/my-finetune", llm.ModelInfo{Provider: "ollama", InputCostPerToken: 1e-7, OutputCostPerToken: 2e-7, MaxInputTokens: 32000})
	got, err := llm.Cost("ollama/my-finetune", llm.Usage{PromptTokens: 10, CompletionTokens: 10})
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "registered", got, 10*1e-7+10*2e-7)
	mi, _ := llm.LookupModel("ollama/my-finetune")
	if mi.Key != "ollama/my-finetune" || mi.MaxInputTokens != 32000 {
		t.Fatalf("info %+v", mi)
	}
}

func TestParsePriceTableBadInput(t *testing.T) {
	if _, err := llm.ParsePriceTable([]byte(`{"a": `)); err == nil {
		t.Fatal("no error for truncated JSON")
	}
	tab, err := llm.ParsePriceTable([]byte(`{"sample_spec": {"max_tokens": "prose"}, "x": {"input_cost_per_token": 1e-6, "max_tokens": "n/a", "litellm_provider": "openai"}, "y": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(tab) != 1 || tab["x"].InputCostPerToken != 1e-6 || tab["x"].MaxInputTokens != 0 {
		t.Fatalf("table %+v", tab)
	}
}
