package router

import (
	"context"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// TestCostKnownThroughRouter: the guide's chain, each group answering in
// turn; the response and the router's success callback say whether each
// deployment's price is known.
func TestCostKnownThroughRouter(t *testing.T) {
	an, oa, gm, ol := llmtest.NewAnthropic(t), llmtest.NewOpenAI(t), llmtest.NewGemini(t), llmtest.NewOllama(t)
	var got []bool
	cb := llm.CallbackFuncs{Success: func(_ context.Context, _ *llm.CallInfo, r *llm.Response) { got = append(got, r.CostKnown) }}
	p := func(model string, s *llmtest.Server) llm.Params {
		return llm.Params{Model: model, APIKey: "sk-test", APIBase: s.APIBase()}
	}
	r := newRouter(t, Config{Callbacks: []llm.Callback{cb}, Deployments: []Deployment{
		{Group: "primary", Params: p("claude-sonnet-5-20260203", an)},
		{Group: "fallback1", Params: p("gpt-5.2", oa)},
		{Group: "fallback2", Params: p("gemini/gemini-3-flash", gm)},
		{Group: "local", Params: p("ollama/llama4", ol)},
		{Group: "priced", Params: llm.Params{Model: "gemini/gemini-3-flash", APIKey: "sk-test", APIBase: gm.APIBase(),
			InputCostPerToken: 1e-7, OutputCostPerToken: 4e-7}},
		{Group: "fake", Params: llm.Params{Model: "test/unpriced"}, Model: okModel("f", "hi")},
	}}, nil)
	want := map[string]bool{"primary": false, "fallback1": true, "fallback2": false, "local": true, "priced": true, "fake": false}
	for _, g := range []string{"primary", "fallback1", "fallback2", "local", "priced", "fake"} {
		for _, stream := range []bool{false, true} {
			req := userReq(g, "hi")
			if stream {
				req.Stream = func(context.Context, llm.Chunk) error { return nil }
			}
			resp, err := r.Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.CostKnown != want[g] || resp.Message.Meta.CostKnown != want[g] || got[len(got)-1] != want[g] {
				t.Fatalf("%s stream=%v: CostKnown %v meta %v callback %v, want %v", g, stream, resp.CostKnown,
					resp.Message.Meta.CostKnown, got[len(got)-1], want[g])
			}
			if !want[g] && resp.Cost != 0 || g == "priced" && resp.Cost == 0 || g == "local" && resp.Cost != 0 {
				t.Fatalf("%s: cost %g", g, resp.Cost)
			}
		}
	}
}
