package router_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/jedisos/jedisos/llm/router"
)

// The guide's RetryPolicy (9.3): RateLimitError=5, APIConnectionError=2,
// ContextWindowExceededError=0, retry_after=5 (the minimum wait), in a
// group of one deployment without fallbacks.
func TestGuideRouterRetryPolicy(t *testing.T) {
	policy := map[llm.Kind]int{llm.ErrRateLimit: 5, llm.ErrAPIConnection: 2, llm.ErrContextWindowExceeded: 0}

	rl := llmtest.NewOpenAI(t)
	rl.SetDefault(llmtest.Reply{Status: 429, ErrorType: "rate_limit_error"})
	clk := newAgClock()
	r, err := router.New(router.Config{Deployments: []router.Deployment{agDep("gpt4-prod", "gpt-4", rl)},
		RetryPolicy: policy, RetryAfter: 5 * time.Second}, router.WithClock(clk), router.WithRand(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Complete(context.Background(), agUser("gpt4-prod", "Hello"))
	if !errors.Is(err, llm.ErrRateLimit) || rl.Count() != 6 {
		t.Fatalf("rate limit: %v, requests %d (want 1 + 5 retries)", err, rl.Count())
	}
	for i, w := range clk.Sleeps() {
		if w < 5*time.Second {
			t.Fatalf("wait %d = %v, below retry_after 5s (all %v)", i, w, clk.Sleeps())
		}
	}
	if len(clk.Sleeps()) != 5 {
		t.Fatalf("waits %v", clk.Sleeps())
	}

	log := &agLog{}
	r, err = router.New(router.Config{Deployments: []router.Deployment{{Group: "g", ID: "refused",
		Params: llm.Params{Model: "gpt-4", APIKey: "sk-test-123", APIBase: llmtest.ClosedURL(t) + "/v1"}}},
		RetryPolicy: policy, Callbacks: []llm.Callback{log.callback()}}, router.WithClock(newAgClock()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Complete(context.Background(), agUser("g", "Hello"))
	if !errors.Is(err, llm.ErrAPIConnection) || len(log.get()) != 3 {
		t.Fatalf("connection: %v, attempts %v (want 1 + 2 retries)", err, log.get())
	}

	cw := llmtest.NewOpenAI(t)
	cw.SetDefault(llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "context_length_exceeded",
		ErrorMessage: "This model's maximum context length is 8192 tokens."})
	r, err = router.New(router.Config{Deployments: []router.Deployment{agDep("g", "gpt-4", cw)}, RetryPolicy: policy},
		router.WithClock(newAgClock()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err = r.Complete(context.Background(), agUser("g", "Hello")); !errors.Is(err, llm.ErrContextWindowExceeded) || cw.Count() != 1 {
		t.Fatalf("context window: %v, requests %d", err, cw.Count())
	}
}

// The same policy written in YAML with the guide's exception names.
func TestGuideRouterRetryPolicyYAML(t *testing.T) {
	cfg, err := router.ParseConfig("r.yaml", []byte(`
model_list:
  - model_name: gpt4-prod
    litellm_params: {model: gpt-4, api_key: sk-test-123}
router_settings:
  retry_policy:
    RateLimitError: 5
    APIConnectionError: 2
    ContextWindowExceededError: 0
  retry_after: 5
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[llm.Kind]int{llm.ErrRateLimit: 5, llm.ErrAPIConnection: 2, llm.ErrContextWindowExceeded: 0}
	if !reflect.DeepEqual(cfg.RetryPolicy, want) || cfg.RetryAfter != 5*time.Second {
		t.Fatalf("policy %v retry_after %v", cfg.RetryPolicy, cfg.RetryAfter)
	}
	// LiteLLM's own field names read the same.
	cfg, err = router.ParseConfig("r.yaml", []byte(`
model_list:
  - model_name: gpt4-prod
    litellm_params: {model: gpt-4, api_key: sk-test-123}
router_settings:
  retry_policy: {RateLimitErrorRetries: 5, TimeoutErrorRetries: 1}
`))
	if err != nil || !reflect.DeepEqual(cfg.RetryPolicy, map[llm.Kind]int{llm.ErrRateLimit: 5, llm.ErrTimeout: 1}) {
		t.Fatalf("policy %v %v", cfg.RetryPolicy, err)
	}
}

// BudgetExceededError (9.1, "비용 예산 초과 (Router)"): once the spend
// reaches max_budget, calls fail before any request, naming spend and
// limit.
func TestGuideRouterBudget(t *testing.T) {
	oa := llmtest.NewOpenAI(t)
	oa.SetDefault(llmtest.Reply{Text: "paid", Usage: llmtest.Usage{Prompt: 50, Completion: 100}})
	clk := newAgClock()
	r, err := router.New(router.Config{Deployments: []router.Deployment{agDep("gpt4-prod", "gpt-4", oa)},
		Budget: &router.Budget{MaxBudget: 0.01, Period: 24 * time.Hour}}, router.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	var last error
	for calls = 0; calls < 5; calls++ {
		if _, last = r.Complete(context.Background(), agUser("gpt4-prod", "Hello")); last != nil {
			break
		}
	}
	var be *router.BudgetError
	if !errors.Is(last, llm.ErrBudgetExceeded) || !errors.Is(last, llm.ErrAPI) || !errors.As(last, &be) {
		t.Fatalf("after %d calls: %v", calls, last)
	}
	if calls != 2 || oa.Count() != 2 || math.Abs(be.Spent-0.015) > 1e-9 || be.Limit != 0.01 || be.ResetIn != 24*time.Hour {
		t.Fatalf("calls %d requests %d budget %+v", calls, oa.Count(), be)
	}
	total, _ := r.Spend()
	if math.Abs(total-0.015) > 1e-9 {
		t.Fatalf("spend %v", total)
	}
	clk.Advance(24 * time.Hour)
	if _, err := r.Complete(context.Background(), agUser("gpt4-prod", "Hello")); err != nil {
		t.Fatalf("after the period: %v", err)
	}
}

// The JediSOS Router pattern (6.5): primary -> fallback1 -> fallback2 ->
// local with per-deployment timeouts. A primary that does not answer in
// its timeout fails with Timeout and the chain moves on; fallback1's 500s
// are retried, fallback2 answers.
func TestGuideRouterJediSOSPattern(t *testing.T) {
	an, oa, gem, ol := llmtest.NewAnthropic(t), llmtest.NewOpenAI(t), llmtest.NewGemini(t), llmtest.NewOllama(t)
	an.SetDefault(llmtest.Reply{Text: "too late", Delay: 2 * time.Second})
	oa.SetDefault(llmtest.Reply{Status: 500})
	gem.SetDefault(llmtest.Reply{Text: "Gemini answers", Usage: llmtest.Usage{Prompt: 8, Completion: 2}})
	ol.SetDefault(llmtest.Reply{Text: "local answers"})
	deps := []router.Deployment{
		agDep("primary", "claude-sonnet-5-20260203", an),
		agDep("fallback1", "gpt-5.2", oa),
		agDep("fallback2", "gemini/gemini-3-flash", gem),
		{Group: "local", ID: "local", Params: llm.Params{Model: "ollama/llama4", APIBase: ol.APIBase()}},
	}
	deps[0].Timeout, deps[1].Timeout, deps[2].Timeout, deps[3].Timeout = 80*time.Millisecond, 80*time.Millisecond, 80*time.Millisecond, 40*time.Millisecond
	log := &agLog{}
	clk := newAgClock()
	clk.real = true
	r, err := router.New(router.Config{Deployments: deps,
		Fallbacks: map[string][]string{"primary": {"fallback1", "fallback2", "local"}},
		Strategy:  router.LeastBusy, AllowedFails: router.Int(2), CooldownTime: 30 * time.Second,
		Callbacks: []llm.Callback{log.callback()}}, router.WithClock(clk), router.WithRand(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Complete(context.Background(), &llm.Request{Model: "primary", Messages: []llm.Message{llm.User("query")},
		Temperature: router.Float(0.7)})
	if err != nil || resp.Message.Content != "Gemini answers" || resp.Model != "gemini/gemini-3-flash" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	got := log.get()
	if len(got) < 3 || !strings.HasPrefix(got[0], "primary/claude-sonnet-5-20260203#1 Timeout") ||
		got[len(got)-1] != fmt.Sprintf("fallback2/gemini/gemini-3-flash#%d ok", len(got)) {
		t.Fatalf("attempts %v", got)
	}
	for _, row := range got {
		if strings.HasPrefix(row, "fallback1/") && !strings.Contains(row, "InternalServerError") {
			t.Fatalf("attempts %v", got)
		}
	}
	if ol.Count() != 0 {
		t.Fatalf("local called %d times", ol.Count())
	}
}

// A context-window error on the chain's primary with only general
// fallbacks configured (the llm_config.yaml chain, guide 11.2: "컨텍스트
// 초과 → 다음 모델로") moves on to the next group.
func TestGuideRouterContextWindowUsesGeneralFallbacks(t *testing.T) {
	an, oa := llmtest.NewAnthropic(t), llmtest.NewOpenAI(t)
	an.SetDefault(llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "prompt is too long: 210000 tokens > 200000 maximum"})
	oa.SetDefault(llmtest.Reply{Text: "gpt answers"})
	log := &agLog{}
	r, err := router.New(router.Config{Deployments: []router.Deployment{agDep("primary", "claude-sonnet-5-20260203", an), agDep("fallback1", "gpt-5.2", oa)},
		Fallbacks: map[string][]string{"primary": {"fallback1"}}, Callbacks: []llm.Callback{log.callback()}}, router.WithClock(newAgClock()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Complete(context.Background(), agUser("primary", "a very long query"))
	if err != nil || resp.Message.Content != "gpt answers" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	if got := log.get(); !reflect.DeepEqual(got, []string{"primary/claude-sonnet-5-20260203#1 ContextWindowExceededError", "fallback1/gpt-5.2#2 ok"}) {
		t.Fatalf("attempts %v", got)
	}
}

// llm_config.yaml (11.1): the models keep the file's order whatever their
// names, the first falls back to the others, and the settings reach the
// wire.
func TestGuideLLMConfigOrderAndSettings(t *testing.T) {
	a, b := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t)
	a.SetDefault(llmtest.Reply{Status: 503})
	t.Setenv("OPENAI_API_KEY", "sk-test-123")
	t.Setenv("OPENAI_API_BASE", a.APIBase())
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-test-1")
	t.Setenv("ANTHROPIC_API_BASE", b.APIBase())
	cfg, err := router.ParseConfig("llm_config.yaml", []byte(`
models:
  local: gpt-4o-mini
  primary: claude-3-opus-20240229
settings:
  temperature: 0.3
  max_tokens: 123
  timeout: 30
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultGroup != "local" || !reflect.DeepEqual(cfg.Fallbacks, map[string][]string{"local": {"primary"}}) ||
		cfg.DeploymentTimeout != 30*time.Second {
		t.Fatalf("cfg default %q fallbacks %v timeout %v", cfg.DefaultGroup, cfg.Fallbacks, cfg.DeploymentTimeout)
	}
	r, err := router.New(cfg, router.WithClock(newAgClock()), router.WithRand(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if err != nil || resp.Model != "claude-3-opus-20240229" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	first, _ := a.Last()
	last, _ := b.Last()
	if first.JSON["temperature"] != 0.3 || first.JSON["max_tokens"] != 123.0 || last.JSON["temperature"] != 0.3 || last.JSON["max_tokens"] != 123.0 {
		t.Fatalf("bodies %v / %v", first.JSON, last.JSON)
	}
	// A request's own values win over the settings.
	if _, err := r.Complete(context.Background(), &llm.Request{Model: "primary", Messages: []llm.Message{llm.User("Hello")},
		Temperature: router.Float(0.9), MaxTokens: 7}); err != nil {
		t.Fatal(err)
	}
	last, _ = b.Last()
	if last.JSON["temperature"] != 0.9 || last.JSON["max_tokens"] != 7.0 {
		t.Fatalf("body %v", last.JSON)
	}
}

// Streaming through the Router (Quick Reference streaming with the chain):
// a primary that fails before the first chunk falls back, and the stream
// comes from the fallback with its usage.
func TestGuideRouterStreamFallsBack(t *testing.T) {
	an, oa := llmtest.NewAnthropic(t), llmtest.NewOpenAI(t)
	an.SetDefault(llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"})
	oa.SetDefault(llmtest.Reply{Text: "1, 2, 3", Usage: llmtest.Usage{Prompt: 4, Completion: 6}})
	r, err := router.New(router.Config{Deployments: []router.Deployment{agDep("primary", "claude-sonnet-5-20260203", an), agDep("fallback1", "gpt-5.2", oa)},
		Fallbacks: map[string][]string{"primary": {"fallback1"}}}, router.WithClock(newAgClock()))
	if err != nil {
		t.Fatal(err)
	}
	var text string
	var final *llm.Response
	for c, err := range r.Stream(context.Background(), agUser("primary", "1부터 10까지 세어줘")) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Response != nil {
			final = c.Response
			continue
		}
		text += c.Text
	}
	if text != "1, 2, 3" || final == nil || final.Usage.TotalTokens != 10 || final.Model != "gpt-5.2" {
		t.Fatalf("text %q final %+v", text, final)
	}
}

// Router responses are priced like single calls: gpt-5.2 is in the price
// table ($1.75/M in, $14/M out); claude-sonnet-5-20260203 is not, so its
// cost is reported unknown rather than free.
func TestGuideRouterCostKnown(t *testing.T) {
	an, oa := llmtest.NewAnthropic(t), llmtest.NewOpenAI(t)
	an.SetDefault(llmtest.Reply{Text: "claude", Usage: llmtest.Usage{Prompt: 1000, Completion: 100}})
	oa.SetDefault(llmtest.Reply{Text: "gpt", Usage: llmtest.Usage{Prompt: 1000, Completion: 100}})
	r, err := router.New(router.Config{Deployments: []router.Deployment{agDep("primary", "claude-sonnet-5-20260203", an), agDep("fallback1", "gpt-5.2", oa)}},
		router.WithClock(newAgClock()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Complete(context.Background(), agUser("fallback1", "Hello"))
	if err != nil || !resp.CostKnown || math.Abs(resp.Cost-(1000*1.75e-6+100*1.4e-5)) > 1e-12 {
		t.Fatalf("gpt-5.2 resp %+v err %v", resp, err)
	}
	resp, err = r.Complete(context.Background(), agUser("primary", "Hello"))
	if err != nil || resp.CostKnown || resp.Cost != 0 {
		t.Fatalf("claude resp %+v err %v", resp, err)
	}
}

// When context_window_fallbacks are configured but name no entry for the
// failing group, the context-window error is raised as is: the general
// fallbacks do not apply, as in LiteLLM.
func TestGuideRouterContextWindowListWithoutEntry(t *testing.T) {
	oa, an := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t)
	oa.SetDefault(llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "context_length_exceeded",
		ErrorMessage: "This model's maximum context length is 8192 tokens."})
	r, err := router.New(router.Config{
		Deployments:            []router.Deployment{agDep("gpt4-prod", "gpt-4", oa), agDep("gpt35-backup", "gpt-3.5-turbo", oa), agDep("claude-prod", "claude-3-opus-20240229", an)},
		Fallbacks:              map[string][]string{"gpt4-prod": {"claude-prod"}},
		ContextWindowFallbacks: map[string][]string{"gpt35-backup": {"claude-prod"}},
	}, router.WithClock(newAgClock()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Complete(context.Background(), agUser("gpt4-prod", "long"))
	if !errors.Is(err, llm.ErrContextWindowExceeded) || an.Count() != 0 || oa.Count() != 1 {
		t.Fatalf("err %v, openai requests %d, claude requests %d", err, oa.Count(), an.Count())
	}
}
