package router

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/jedisos/jedisos/llm"
)

// When a deployment's stream breaks after output reached the caller, the
// usage the provider layer counted for the partial reply survives into the
// Router's Partial, priced, and the spend counts against the budgets.
func TestInterruptedStreamKeepsProviderUsage(t *testing.T) {
	u := llm.Usage{PromptTokens: 1000, CompletionTokens: 1, TotalTokens: 1001}
	broken := &fake{fn: func(ctx context.Context, req *llm.Request, _ int) (*llm.Response, error) {
		if err := req.Stream(ctx, llm.Chunk{Text: "Hel"}); err != nil {
			return nil, err
		}
		partial := &llm.Response{Message: llm.Assistant("Hel"), Usage: u}
		return nil, &llm.Error{Kind: llm.ErrStreamInterrupted, Partial: partial,
			Err: &llm.Error{Kind: llm.ErrAPIConnection, Message: "connection cut"}}
	}}
	d := dep("g", "a", broken)
	d.Params.InputCostPerToken, d.Params.OutputCostPerToken = 1e-6, 2e-6
	r := newRouter(t, Config{Deployments: []Deployment{d}, Budget: &Budget{MaxBudget: 10}}, newFakeClock())
	req := userReq("g", "hi")
	req.Stream = func(context.Context, llm.Chunk) error { return nil }
	_, err := r.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrStreamInterrupted || e.Partial == nil {
		t.Fatalf("err = %v", err)
	}
	want := 1000*1e-6 + 1*2e-6
	if e.Partial.Usage != u || math.Abs(e.Partial.Cost-want) > 1e-12 || e.Partial.Message.Content != "Hel" {
		t.Fatalf("partial %+v", e.Partial)
	}
	if spent, _ := r.Spend(); math.Abs(spent-want) > 1e-12 {
		t.Fatalf("spend %v, want %v", spent, want)
	}
}
