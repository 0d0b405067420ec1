package llm_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// TestCostKnown: a priced model reports CostKnown with its cost; one missing
// from the price table reports CostKnown false (cost 0) in the response, its
// message metadata and the callback payload; a local model is free and
// known; a registered price makes it known.
func TestCostKnown(t *testing.T) {
	oa, an, ol := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t), llmtest.NewOllama(t)
	var seen []*llm.Response
	cb := llm.CallbackFuncs{Success: func(_ context.Context, _ *llm.CallInfo, r *llm.Response) { seen = append(seen, r) }}
	prices := llm.NewPrices(nil) // empty: nothing is priced but what is registered below
	prices.Register("gpt-4o", llm.ModelInfo{InputCostPerToken: 2.5e-6, OutputCostPerToken: 1e-5})
	cases := []struct {
		m     *llm.Model
		known bool
		cost  float64
	}{
		{newModel(t, "gpt-4o", oa, llm.WithCallbacks(cb), llm.WithPrices(prices)), true, 10*2.5e-6 + 8*1e-5},
		{newModel(t, "claude-sonnet-5-20260203", an, llm.WithCallbacks(cb), llm.WithPrices(prices)), false, 0},
		{newModel(t, "ollama/llama4", ol, llm.WithCallbacks(cb), llm.WithPrices(prices)), true, 0},
		// explicit per-token prices are a known price
		{newModel(t, "claude-sonnet-5-20260203", an, llm.WithCallbacks(cb), llm.WithPrices(prices), llm.WithCost(3e-6, 1.5e-5)), true, 10*3e-6 + 8*1.5e-5},
	}
	for i, c := range cases {
		for _, stream := range []bool{false, true} {
			req := userReq("hi")
			if stream {
				req.Stream = func(context.Context, llm.Chunk) error { return nil }
			}
			resp, err := c.m.Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			approx(t, c.m.Name()+" cost", resp.Cost, c.cost)
			if resp.CostKnown != c.known || resp.Message.Meta.CostKnown != c.known {
				t.Fatalf("case %d %s stream=%v: CostKnown %v (meta %v), want %v", i, c.m.Name(), stream, resp.CostKnown, resp.Message.Meta.CostKnown, c.known)
			}
			if last := seen[len(seen)-1]; last.CostKnown != c.known {
				t.Fatalf("callback payload CostKnown %v, want %v", last.CostKnown, c.known)
			}
		}
	}
	// Registering the price makes the same model known.
	prices.Register("claude-sonnet-5-20260203", llm.ModelInfo{InputCostPerToken: 3e-6, OutputCostPerToken: 1.5e-5})
	resp, err := newModel(t, "claude-sonnet-5-20260203", an, llm.WithPrices(prices)).Complete(context.Background(), userReq("hi"))
	if err != nil || !resp.CostKnown {
		t.Fatalf("after Register: %+v %v", resp, err)
	}
	approx(t, "registered cost", resp.Cost, 10*3e-6+8*1.5e-5)
}

// TestCostKnownInterruptedStream: the partial reply of a broken stream
// says whether its cost is known too.
func TestCostKnownInterruptedStream(t *testing.T) {
	an := llmtest.NewAnthropic(t)
	an.Enqueue(llmtest.Reply{Text: "a long partial answer", CutAfter: 5})
	req := userReq("hi")
	req.Stream = func(context.Context, llm.Chunk) error { return nil }
	_, err := newModel(t, "claude-sonnet-4-5", an).Complete(context.Background(), req)
	e, ok := err.(*llm.Error)
	if !ok || e.Kind != llm.ErrStreamInterrupted || e.Partial == nil || !e.Partial.CostKnown {
		t.Fatalf("err %#v", err)
	}
}

// TestLogCallbackWarnsOncePerUnknownModel: LogCallback warns the first time
// a model without a price answers, and only once per model.
func TestLogCallbackWarnsOncePerUnknownModel(t *testing.T) {
	an, gm, ol := llmtest.NewAnthropic(t), llmtest.NewGemini(t), llmtest.NewOllama(t)
	var buf bytes.Buffer
	lc := llm.LogCallback(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	ms := []*llm.Model{
		newModel(t, "claude-sonnet-5-20260203", an, llm.WithCallbacks(lc)),
		newModel(t, "gemini/gemini-3-flash", gm, llm.WithCallbacks(lc)),
		newModel(t, "ollama/llama4", ol, llm.WithCallbacks(lc)),
		newModel(t, "claude-sonnet-4-5", an, llm.WithCallbacks(lc)),
	}
	for range 3 {
		for _, m := range ms {
			if _, err := m.Complete(context.Background(), userReq("hi")); err != nil {
				t.Fatal(err)
			}
		}
	}
	var warns []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, `msg="llm cost unknown"`) {
			warns = append(warns, line)
		}
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "model=claude-sonnet-5-20260203 provider=anthropic") ||
		!strings.Contains(warns[1], "model=gemini/gemini-3-flash provider=gemini") || !strings.Contains(warns[0], "llm.RegisterModel") {
		t.Fatalf("warnings:\n%s\nlog:\n%s", strings.Join(warns, "\n"), buf.String())
	}
	if !strings.Contains(buf.String(), "model=ollama/llama4 provider=ollama prompt_tokens=10 completion_tokens=8 total_tokens=18 cost=0 cost_known=true") {
		t.Fatalf("ollama success line missing or not free:\n%s", buf.String())
	}
	if n := strings.Count(buf.String(), "cost_known=false"); n != 6 {
		t.Fatalf("%d success lines with cost_known=false, want 6:\n%s", n, buf.String())
	}
}
