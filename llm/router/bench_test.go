package router

import (
	"context"
	"fmt"
	"testing"

	"github.com/jedisos/jedisos/llm"
)

// benchModel answers at once with a fresh response, as a provider would.
type benchModel struct{ fail *llm.Error }

//go:noinline
func (m benchModel) Complete(context.Context, *llm.Request) (*llm.Response, error) {
	if m.fail != nil {
		return nil, m.fail
	}
	return &llm.Response{Model: "bench", Message: llm.Message{Role: llm.RoleAssistant, Content: "ok"},
		FinishReason: llm.FinishStop, Usage: llm.Usage{PromptTokens: 10, CompletionTokens: 2, TotalTokens: 12}}, nil
}

func benchRequest() *llm.Request {
	return &llm.Request{Model: "g1", Messages: []llm.Message{llm.System("You are terse."), llm.User("Say ok.")}}
}

// BenchmarkRouterOverhead: one call through a Router with 3 groups x 4
// deployments of in-process models, per strategy, against calling one
// model directly in the same run.
func BenchmarkRouterOverhead(b *testing.B) {
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		var m llm.Completer = benchModel{}
		req := benchRequest()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Complete(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, st := range []Strategy{SimpleShuffle, LeastBusy, UsageBased, LatencyBased, CostBased} {
		b.Run(string(st), func(b *testing.B) {
			var ds []Deployment
			for g := 1; g <= 3; g++ {
				for i := 1; i <= 4; i++ {
					d := Deployment{Group: fmt.Sprintf("g%d", g), ID: fmt.Sprintf("g%d-d%d", g, i), Model: benchModel{},
						Params: llm.Params{Model: "bench/model", InputCostPerToken: float64(i) * 1e-6, OutputCostPerToken: 2e-6}}
					if st == UsageBased {
						d.TPM, d.RPM = 1<<40, 1<<40
					}
					ds = append(ds, d)
				}
			}
			r, err := New(Config{Deployments: ds, Strategy: st,
				Fallbacks: map[string][]string{"g1": {"g2", "g3"}}})
			if err != nil {
				b.Fatal(err)
			}
			req := benchRequest()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Complete(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFailover: the first deployment returns 500 and the second
// answers; the Router must move on without sleeping.
func BenchmarkFailover(b *testing.B) {
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		var m llm.Completer = benchModel{}
		req := benchRequest()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Complete(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("router", func(b *testing.B) {
		bad := Deployment{Group: "g1", ID: "bad", Model: benchModel{fail: &llm.Error{Kind: llm.ErrInternalServer, StatusCode: 500, Message: "boom"}},
			Params: llm.Params{Model: "bench/model"}, DisableCooldowns: true, Order: 1}
		good := Deployment{Group: "g1", ID: "good", Model: benchModel{}, Params: llm.Params{Model: "bench/model"}, Order: 2}
		r, err := New(Config{Deployments: []Deployment{bad, good}})
		if err != nil {
			b.Fatal(err)
		}
		req := benchRequest()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := r.Complete(ctx, req)
			if err != nil || resp.Deployment != "good" || resp.Attempts != 2 {
				b.Fatalf("resp %+v err %v", resp, err)
			}
		}
	})
}

// BenchmarkCacheHit: a routed call answered from the in-memory response
// cache (the key computed from the request, the stored answer copied),
// against calling the model directly in the same run.
func BenchmarkCacheHit(b *testing.B) {
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		var m llm.Completer = benchModel{}
		req := benchRequest()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Complete(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memory", func(b *testing.B) {
		r, err := New(Config{Cache: NewMemoryCache(MemoryCacheConfig{}),
			Deployments: []Deployment{{Group: "g1", ID: "d", Model: benchModel{}, Params: llm.Params{Model: "bench/model"}}}})
		if err != nil {
			b.Fatal(err)
		}
		req := benchRequest()
		if _, err := r.Complete(ctx, req); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := r.Complete(ctx, req)
			if err != nil || !resp.CacheHit {
				b.Fatalf("resp %+v err %v", resp, err)
			}
		}
	})
}
