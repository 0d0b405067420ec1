package router_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
)

// Two Routers (replicas) on one MemoryState respect one RPM limit together
// and skip a deployment the other cooled down.
func TestMemoryStateSharedByTwoRouters(t *testing.T) {
	state := router.NewMemoryState()
	var calls [2]atomic.Int32
	var fail atomic.Bool
	mk := func() *router.Router {
		r, err := router.New(router.Config{SharedState: state, NumRetries: router.Int(0),
			Deployments: []router.Deployment{
				{Group: "g", ID: "a", Order: 1, RPM: 10, Params: llm.Params{Model: "test/a"},
					Model: model(func(context.Context, *llm.Request) (*llm.Response, error) {
						calls[0].Add(1)
						if fail.Load() {
							return nil, &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, Message: "slow down"}
						}
						return &llm.Response{Message: llm.Assistant("a")}, nil
					})},
				{Group: "g", ID: "b", Order: 2, Params: llm.Params{Model: "test/b"},
					Model: model(func(context.Context, *llm.Request) (*llm.Response, error) {
						calls[1].Add(1)
						return &llm.Response{Message: llm.Assistant("b")}, nil
					})},
			}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r1, r2 := mk(), mk()
	ctx := context.Background()
	var wg sync.WaitGroup
	var served [2]atomic.Int32
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(r *router.Router) {
			defer wg.Done()
			resp, err := r.Complete(ctx, &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}})
			if err != nil {
				t.Error(err)
				return
			}
			served[resp.Message.Content[0]-'a'].Add(1)
		}([]*router.Router{r1, r2}[i%2])
	}
	wg.Wait()
	if served[0].Load() != 10 || served[1].Load() != 30 || calls[0].Load() != 10 {
		t.Fatalf("a served %d (called %d), b %d: want a at its rpm of 10 across both routers", served[0].Load(), calls[0].Load(), served[1].Load())
	}

	// a cooldown started by one Router is seen by the other
	state2 := router.NewMemoryState()
	state = state2
	fail.Store(true)
	calls[0].Store(0)
	r1, r2 = mk(), mk()
	if resp, err := r1.Complete(ctx, &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}}); err == nil {
		// a failed with 429 and r1 went on to b
		if resp.Message.Content != "b" {
			t.Fatalf("r1 answered by %q", resp.Message.Content)
		}
	} else if !errors.Is(err, llm.ErrRateLimit) {
		t.Fatal(err)
	}
	fail.Store(false)
	resp, err := r2.Complete(ctx, &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}})
	if err != nil || resp.Message.Content != "b" || calls[0].Load() != 1 {
		t.Fatalf("r2: %+v %v; a called %d times, want r2 to skip a cooled down by r1", resp, err, calls[0].Load())
	}
}
