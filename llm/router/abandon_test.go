package router_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
)

// stuck is a Completer that ignores its context: it returns only when
// release is closed, optionally streaming a chunk first.
type stuck struct {
	release chan struct{}
	entered chan struct{}
	once    sync.Once
	late    atomic.Int32 // chunks it tried to stream after release
}

func newStuck() *stuck { return &stuck{release: make(chan struct{}), entered: make(chan struct{})} }

func (s *stuck) Complete(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	if req.Stream != nil {
		if err := req.Stream(ctx, llm.Chunk{Text: "too late"}); err == nil {
			s.late.Add(1)
		}
	}
	return &llm.Response{Message: llm.Assistant("late answer"), Usage: llm.Usage{PromptTokens: 1, CompletionTokens: 1}}, nil
}

func drain(t *testing.T, r *router.Router) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if total, running := r.Abandoned(); running != 0 || total == 0 {
		t.Fatalf("after Drain: abandoned %d, running %d", total, running)
	}
}

// Issue 17.11: a Completer that ignores its context hung the Router past
// the caller's deadline and Config.Timeout. The call returns at the
// deadline; the abandoned call finishes in the background, its result
// dropped and counted.
func TestAbandonCompleterIgnoringContext(t *testing.T) {
	cases := []struct {
		name string
		cfg  func(*router.Config)
		ctx  func() (context.Context, context.CancelFunc)
		req  func(*llm.Request)
	}{
		{name: "caller deadline", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}},
		{name: "Request.Timeout", req: func(r *llm.Request) { r.Timeout = 20 * time.Millisecond }},
		{name: "Config.Timeout", cfg: func(c *router.Config) { c.Timeout = 20 * time.Millisecond }},
		{name: "caller cancels", ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			return ctx, cancel
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newStuck()
			cfg := router.Config{Deployments: []router.Deployment{{Group: "g", ID: "stuck",
				Params: llm.Params{Model: "test/stuck", InputCostPerToken: 0.5, OutputCostPerToken: 0.5}, Model: m}}}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r, err := router.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			req := &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}}
			if tc.req != nil {
				tc.req(req)
			}
			var chunks atomic.Int32
			req.Stream = func(context.Context, llm.Chunk) error { chunks.Add(1); return nil }
			start := time.Now()
			_, err = r.Complete(ctx, req)
			elapsed := time.Since(start)
			if err == nil || (!errors.Is(err, llm.ErrTimeout) && !errors.Is(err, llm.ErrAPI)) {
				t.Fatalf("err %v, want the call's timeout or cancellation", err)
			}
			// the Completer is still blocked: Complete returned without it
			if total, running := r.Abandoned(); total != 1 || running != 1 {
				t.Fatalf("abandoned %d running %d, want 1 and 1 (returned after %s)", total, running, elapsed)
			}
			if st := r.Status(); st[0].InFlight != 1 {
				t.Fatalf("the abandoned call holds its slot until it returns: in flight %d", st[0].InFlight)
			}
			close(m.release)
			drain(t, r)
			if n := chunks.Load(); n != 0 || m.late.Load() != 0 {
				t.Fatalf("a chunk streamed after the call returned reached the caller (%d, accepted %d)", n, m.late.Load())
			}
			if st := r.Status(); st[0].InFlight != 0 {
				t.Fatalf("slot not released: %+v", st[0])
			}
			if total, _ := r.Spend(); total != 1 {
				t.Fatalf("the late answer's cost is not counted: spend %g, want 1", total)
			}
		})
	}
}

// A deployment past its own Timeout that ignores the cancellation is
// abandoned and the call falls back to a healthy deployment at once.
func TestAbandonDeploymentTimeoutFallsBack(t *testing.T) {
	m := newStuck()
	r, err := router.New(router.Config{Deployments: []router.Deployment{
		{Group: "g", ID: "stuck", Params: llm.Params{Model: "test/stuck"}, Model: m, Timeout: 10 * time.Millisecond, Order: 1},
		{Group: "g", ID: "ok", Params: llm.Params{Model: "test/ok"}, Model: answer("from ok"), Order: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Complete(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}})
	if err != nil || resp.Deployment != "ok" || resp.Attempts != 2 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	if total, running := r.Abandoned(); total != 1 || running != 1 {
		t.Fatalf("abandoned %d running %d", total, running)
	}
	close(m.release)
	drain(t, r)
}

// A Completer that honours its context is never abandoned: its own error
// comes back.
func TestNoAbandonWhenContextHonoured(t *testing.T) {
	r, err := router.New(router.Config{Deployments: []router.Deployment{{Group: "g", Params: llm.Params{Model: "test/m"},
		Model: model(func(ctx context.Context, _ *llm.Request) (*llm.Response, error) { <-ctx.Done(); return nil, ctx.Err() })}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Complete(context.Background(), &llm.Request{Model: "g", Timeout: 10 * time.Millisecond, Messages: []llm.Message{llm.User("hi")}})
	if !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("err %v", err)
	}
	if total, running := r.Abandoned(); total != 0 || running != 0 {
		t.Fatalf("abandoned %d running %d", total, running)
	}
}
