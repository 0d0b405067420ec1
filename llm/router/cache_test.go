package router_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
)

// counting answers with a numbered text and counts its calls.
type counting struct {
	n    atomic.Int32
	fail atomic.Bool
}

func (m *counting) Complete(_ context.Context, req *llm.Request) (*llm.Response, error) {
	n := m.n.Add(1)
	if m.fail.Load() {
		return nil, &llm.Error{Kind: llm.ErrInternalServer, StatusCode: 500, Message: "down"}
	}
	if req.Stream != nil {
		for _, part := range []string{"answer ", string(rune('0' + n))} {
			if err := req.Stream(context.Background(), llm.Chunk{Text: part}); err != nil {
				return nil, err
			}
		}
	}
	return &llm.Response{Message: llm.Assistant("answer " + string(rune('0'+n))), FinishReason: llm.FinishStop,
		Usage: llm.Usage{PromptTokens: 10, CompletionTokens: 2, TotalTokens: 12}}, nil
}

func cachedRouter(t *testing.T, m llm.Completer, cache router.Cache) *router.Router {
	t.Helper()
	r, err := router.New(router.Config{Cache: cache, NumRetries: router.Int(0), DisableCooldowns: true,
		Deployments: []router.Deployment{{Group: "g", ID: "m",
			Params: llm.Params{Model: "test/m", InputCostPerToken: 1e-3, OutputCostPerToken: 1e-3}, Model: m}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ask(text string) *llm.Request {
	return &llm.Request{Model: "g", Messages: []llm.Message{llm.System("Be terse."), llm.User(text)}}
}

// Response caching (LiteLLM caching, cache_hit): keyed on the normalised
// request, Response.CacheHit, no provider call, cost 0.
func TestMemoryCache(t *testing.T) {
	ctx := context.Background()
	m := &counting{}
	r := cachedRouter(t, m, router.NewMemoryCache(router.MemoryCacheConfig{}))

	first, err := r.Complete(ctx, ask("hi"))
	if err != nil || first.CacheHit || first.Message.Content != "answer 1" || first.Cost == 0 {
		t.Fatalf("first %+v %v", first, err)
	}
	// the same request, with fields that do not change the answer set differently
	again := ask("hi")
	again.Timeout = time.Minute
	again.Metadata = map[string]any{"trace": "x"}
	hit, err := r.Complete(ctx, again)
	if err != nil || !hit.CacheHit || hit.Message.Content != "answer 1" || hit.Cost != 0 || hit.Attempts != 0 ||
		hit.Usage != first.Usage || m.n.Load() != 1 {
		t.Fatalf("hit %+v %v calls %d", hit, err, m.n.Load())
	}
	// the caller may change what it got without changing the cache
	hit.Message.Content = "mutated"
	if h, _ := r.Complete(ctx, ask("hi")); h.Message.Content != "answer 1" {
		t.Fatalf("cache shares the caller's response: %q", h.Message.Content)
	}
	// anything that changes the answer is another key
	temp := ask("hi")
	temp.Temperature = router.Float(0.2)
	for _, req := range []*llm.Request{ask("hello"), temp, {Model: "g", Messages: []llm.Message{llm.User("hi")}}} {
		if resp, err := r.Complete(ctx, req); err != nil || resp.CacheHit {
			t.Fatalf("different request answered from the cache: %+v %v", resp, err)
		}
	}
	if m.n.Load() != 4 {
		t.Fatalf("calls %d, want 4", m.n.Load())
	}

	// streaming is answered from the cache too
	var got strings.Builder
	s := ask("hi")
	s.Stream = func(_ context.Context, c llm.Chunk) error { got.WriteString(c.Text); return nil }
	resp, err := r.Complete(ctx, s)
	if err != nil || !resp.CacheHit || got.String() != "answer 1" || m.n.Load() != 4 {
		t.Fatalf("stream from cache: %+v %v streamed %q calls %d", resp, err, got.String(), m.n.Load())
	}

	// per-call bypass: NoCache answers fresh (and stores it), NoStore keeps it out
	fresh, err := r.Complete(router.WithCallOptions(ctx, router.CallOptions{NoCache: true}), ask("hi"))
	if err != nil || fresh.CacheHit || fresh.Message.Content != "answer 5" {
		t.Fatalf("NoCache: %+v %v", fresh, err)
	}
	if h, _ := r.Complete(ctx, ask("hi")); !h.CacheHit || h.Message.Content != "answer 5" {
		t.Fatalf("NoCache did not refresh the entry: %+v", h)
	}
	if resp, _ := r.Complete(router.WithCallOptions(ctx, router.CallOptions{NoStore: true}), ask("new")); resp.CacheHit {
		t.Fatal("NoStore read a missing entry")
	}
	if resp, _ := r.Complete(ctx, ask("new")); resp.CacheHit {
		t.Fatal("NoStore stored the answer")
	}
}

// Errors and interrupted streams are never cached.
func TestCacheNeverStoresErrors(t *testing.T) {
	ctx := context.Background()
	m := &counting{}
	m.fail.Store(true)
	cache := router.NewMemoryCache(router.MemoryCacheConfig{})
	r := cachedRouter(t, m, cache)
	for i := 0; i < 2; i++ {
		if _, err := r.Complete(ctx, ask("hi")); !errors.Is(err, llm.ErrInternalServer) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if m.n.Load() != 2 || cache.Len() != 0 {
		t.Fatalf("an error was cached: calls %d, entries %d", m.n.Load(), cache.Len())
	}
	// a stream cut after its first chunk
	cut := model(func(_ context.Context, req *llm.Request) (*llm.Response, error) {
		req.Stream(context.Background(), llm.Chunk{Text: "par"})
		return nil, &llm.Error{Kind: llm.ErrAPIConnection, Message: "reset"}
	})
	r = cachedRouter(t, cut, cache)
	s := ask("hi")
	s.Stream = func(context.Context, llm.Chunk) error { return nil }
	if _, err := r.Complete(ctx, s); !errors.Is(err, llm.ErrStreamInterrupted) {
		t.Fatalf("cut stream: %v", err)
	}
	if cache.Len() != 0 {
		t.Fatal("a partial answer was cached")
	}
}

// The memory cache is an LRU with a TTL.
func TestMemoryCacheLRUAndTTL(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c := router.NewMemoryCache(router.MemoryCacheConfig{MaxEntries: 2, TTL: time.Minute, Now: func() time.Time { return now }})
	put := func(k string) { c.Set(ctx, k, &llm.Response{Message: llm.Assistant(k)}) }
	has := func(k string) bool { _, ok, _ := c.Get(ctx, k); return ok }
	put("a")
	put("b")
	has("a") // a is now the most recent
	put("c") // evicts b
	if !has("a") || has("b") || !has("c") || c.Len() != 2 {
		t.Fatalf("LRU: a %v b %v c %v len %d", has("a"), has("b"), has("c"), c.Len())
	}
	now = now.Add(time.Minute)
	if has("a") || has("c") {
		t.Fatal("entries outlived their TTL")
	}
}

// LiteLLM's litellm_settings cache: true builds the in-memory cache.
func TestYAMLCache(t *testing.T) {
	cfg, err := router.ParseConfig("c.yaml", []byte(`model_list:
- model_name: g
  litellm_params: {model: gpt-4o, api_key: k}
litellm_settings:
  cache: true
  cache_params: {type: local, ttl: 600, max_entries: 10}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Cache.(*router.MemoryCache); !ok {
		t.Fatalf("cache %T", cfg.Cache)
	}
	_, err = router.ParseConfig("c.yaml", []byte("model_list:\n- model_name: g\n  litellm_params: {model: gpt-4o, api_key: k}\nrouter_settings:\n  cache: true\n  cache_params: {type: redis, host: localhost}\n"))
	if err == nil || !strings.Contains(err.Error(), `cache type "redis" is set up in Go`) {
		t.Fatalf("redis in YAML: %v", err)
	}
}

// A stream the caller stopped early is a success with a partial answer:
// never stored; and a cached answer streamed to a caller that stops is
// still a success.
func TestCacheStoppedStream(t *testing.T) {
	ctx := context.Background()
	m := &counting{}
	cache := router.NewMemoryCache(router.MemoryCacheConfig{})
	r := cachedRouter(t, m, cache)
	s := ask("hi")
	s.Stream = func(context.Context, llm.Chunk) error { return llm.ErrStopStream }
	resp, err := r.Complete(ctx, s)
	if err != nil || resp.FinishReason != llm.FinishStopped || cache.Len() != 0 {
		t.Fatalf("stopped stream: %+v %v, %d cached", resp, err, cache.Len())
	}
	if _, err := r.Complete(ctx, ask("hi")); err != nil || cache.Len() != 1 {
		t.Fatalf("whole answer: %v, %d cached", err, cache.Len())
	}
	resp, err = r.Complete(ctx, s)
	if err != nil || !resp.CacheHit {
		t.Fatalf("stopped stream from the cache: %+v %v", resp, err)
	}
}
