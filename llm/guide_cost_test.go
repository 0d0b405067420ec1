package llm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

func agClose(a, b float64) bool { return math.Abs(a-b) <= 1e-12+1e-9*math.Abs(b) }

// Automatic cost (guide 7.1, 10.5): gpt-4 at $0.03/1k in and $0.06/1k
// out; the response carries cost, usage and latency.
func TestGuideResponseCost(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "Hello!", Usage: llmtest.Usage{Prompt: 50, Completion: 100}})
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.CostKnown || !agClose(resp.Cost, 0.0075) || resp.Usage.PromptTokens != 50 || resp.Usage.CompletionTokens != 100 ||
		resp.Usage.TotalTokens != 150 || resp.Latency <= 0 {
		t.Fatalf("resp cost %v known %v usage %+v latency %v", resp.Cost, resp.CostKnown, resp.Usage, resp.Latency)
	}
	// completion_cost(completion_response=response, model="gpt-4")
	c, err := llm.Cost("gpt-4", resp.Usage)
	if err != nil || !agClose(c, 0.0075) {
		t.Fatalf("Cost %v %v", c, err)
	}
	// completion_cost(model="gpt-4", completion_tokens=100, prompt_tokens=50)
	c, err = llm.CostByTokens("gpt-4", 50, 100)
	if err != nil || !agClose(c, 0.0075) {
		t.Fatalf("CostByTokens %v %v", c, err)
	}
	// A model missing from the table is an error, never a silent 0.
	if _, err := llm.CostByTokens("claude-sonnet-5-20260203", 50, 100); !errors.Is(err, llm.ErrNotFound) {
		t.Fatalf("unknown model cost: %v", err)
	}
}

// Streaming responses are priced too, including cache reads.
func TestGuideStreamCost(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "streamed answer", Usage: llmtest.Usage{Prompt: 1000, CacheRead: 400, Completion: 100}})
	m, err := llm.New("gpt-4o", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	var final *llm.Response
	for c, err := range m.Stream(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}}) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Response != nil {
			final = c.Response
		}
	}
	want := 600*2.5e-6 + 400*1.25e-6 + 100*1e-5
	if final == nil || !agClose(final.Cost, want) || final.Usage.CacheReadTokens != 400 {
		t.Fatalf("final %+v, want cost %v", final, want)
	}
}

// Long prompts (over 200k tokens) use the table's above-200k prices for
// every prompt token, cache reads and cache writes included
// (claude-sonnet-4-5: cache_read_input_token_cost_above_200k_tokens 6e-7,
// cache_creation_input_token_cost_above_200k_tokens 7.5e-6).
func TestGuideCostAbove200kCachePrices(t *testing.T) {
	u := llm.Usage{PromptTokens: 250_000, CacheReadTokens: 100_000, CacheWriteTokens: 10_000, CompletionTokens: 1000, TotalTokens: 251_000}
	got, err := llm.Cost("claude-sonnet-4-5", u)
	if err != nil {
		t.Fatal(err)
	}
	want := 140_000*6e-6 + 100_000*6e-7 + 10_000*7.5e-6 + 1000*2.25e-5
	if !agClose(got, want) {
		t.Fatalf("cost %.6f, want %.6f", got, want)
	}
}

// model_cost.get("gpt-4") (guide 7.4) and iterating every model.
func TestGuideModelCostTable(t *testing.T) {
	info, ok := llm.LookupModel("gpt-4")
	if !ok || info.InputCostPerToken != 3e-5 || info.OutputCostPerToken != 6e-5 || info.Provider != "openai" || info.MaxInputTokens != 8192 {
		t.Fatalf("gpt-4 %+v %v", info, ok)
	}
	keys := llm.DefaultPrices().Keys()
	if len(keys) < 2000 {
		t.Fatalf("only %d models", len(keys))
	}
	for _, k := range keys[:50] {
		if _, ok := llm.DefaultPrices().Lookup(k); !ok {
			t.Fatalf("key %q not found", k)
		}
	}
}

// Success and failure callbacks (guide 7.3, 8.2, 8.4, 11.4): the success
// callback sees the model, the usage, the cost and start/end times; the
// failure callback the error; several callbacks run in order.
func TestGuideSuccessAndFailureCallbacks(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "Hi", Usage: llmtest.Usage{Prompt: 50, Completion: 100}},
		llmtest.Reply{Status: 429, ErrorType: "rate_limit_error"})
	var order []string
	type row struct {
		model      string
		cost       float64
		prompt     int
		completion int
		total      int
		dur        time.Duration
	}
	var rows []row
	var failures []error
	logCost := llm.CallbackFuncs{Success: func(_ context.Context, info *llm.CallInfo, r *llm.Response) {
		order = append(order, "log_cost")
		rows = append(rows, row{info.Model, r.Cost, r.Usage.PromptTokens, r.Usage.CompletionTokens, r.Usage.TotalTokens, info.End.Sub(info.Start)})
	}}
	structured := llm.CallbackFuncs{Success: func(context.Context, *llm.CallInfo, *llm.Response) { order = append(order, "structured") }}
	mine := llm.CallbackFuncs{
		Success: func(context.Context, *llm.CallInfo, *llm.Response) { order = append(order, "mine") },
		Failure: func(_ context.Context, info *llm.CallInfo, err error) {
			order = append(order, "failure:"+info.Model)
			failures = append(failures, err)
		},
	}
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()), llm.WithCallbacks(logCost, structured, mine))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}}); err != nil {
		t.Fatal(err)
	}
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if !errors.Is(err, llm.ErrRateLimit) {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "log_cost,structured,mine,failure:gpt-4" {
		t.Fatalf("order %v", order)
	}
	if len(rows) != 1 || rows[0].model != "gpt-4" || !agClose(rows[0].cost, 0.0075) || rows[0].prompt != 50 ||
		rows[0].completion != 100 || rows[0].total != 150 || rows[0].dur <= 0 {
		t.Fatalf("rows %+v", rows)
	}
	if len(failures) != 1 || !errors.Is(failures[0], llm.ErrRateLimit) {
		t.Fatalf("failures %v", failures)
	}
}

// The input callback (guide 8.3) may change the request (timeout, ...)
// before it is sent, or reject it (ValueError "요청이 너무 큽니다") so that
// nothing is sent and the caller gets the callback's error.
func TestGuideInputCallback(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	tooBig := errors.New("요청이 너무 큽니다")
	var failed []error
	validate := llm.CallbackFuncs{
		Input: func(_ context.Context, info *llm.CallInfo) error {
			tokens := len(info.Request.Messages) * 100
			if tokens > 1000 {
				return tooBig
			}
			info.Request.Timeout = 30 * time.Second
			info.Request.Temperature = agFloat(0.2)
			return nil
		},
		Failure: func(_ context.Context, _ *llm.CallInfo, err error) { failed = append(failed, err) },
	}
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()), llm.WithCallbacks(validate))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}}); err != nil {
		t.Fatal(err)
	}
	last, _ := srv.Last()
	if last.JSON["temperature"] != 0.2 {
		t.Fatalf("modified request not sent: %v", last.JSON)
	}
	many := make([]llm.Message, 11)
	for i := range many {
		many[i] = llm.User("x")
	}
	_, err = m.Complete(context.Background(), &llm.Request{Messages: many})
	if !errors.Is(err, tooBig) || !errors.Is(err, llm.ErrRejected) || srv.Count() != 1 || len(failed) != 1 {
		t.Fatalf("err %v requests %d failures %d", err, srv.Count(), len(failed))
	}
}

// Debug logging (guide 12.6, LITELLM_LOG): requests and responses are
// logged with the key redacted.
func TestGuideDebugLogRedactsKey(t *testing.T) {
	const key = "sk-test-123abcDEF456ghiJKL789"
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "logged answer"})
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := llm.New("gpt-4", llm.WithAPIKey(key), llm.WithAPIBase(srv.APIBase()), llm.WithDebugLog(logger))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello debug")}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "Hello debug") || !strings.Contains(out, "logged answer") || strings.Contains(out, key) ||
		strings.Contains(out, "123abcDEF456") {
		t.Fatalf("log:\n%s", out)
	}
}

// Long-context tiers other than 200k are priced too: gpt-5.4 charges
// input_cost_per_token_above_272k_tokens (5e-6) and
// output_cost_per_token_above_272k_tokens (2.25e-5) for prompts over 272k
// tokens.
func TestGuideCostAbove272kTier(t *testing.T) {
	u := llm.Usage{PromptTokens: 300_000, CompletionTokens: 1000, TotalTokens: 301_000}
	got, err := llm.Cost("gpt-5.4", u)
	if err != nil {
		t.Fatal(err)
	}
	want := 300_000*5e-6 + 1000*2.25e-5
	if !agClose(got, want) {
		t.Fatalf("cost %.6f, want %.6f", got, want)
	}
}
