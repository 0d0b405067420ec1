package routerredis_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/jedisos/jedisos/internal/redistest"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/llm/router/routerredis"
)

func TestMain(m *testing.M) {
	if runChild() {
		return
	}
	goleak.VerifyTestMain(m)
}

func client(t *testing.T) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redistest.Addr(t)})
	t.Cleanup(func() { c.Close() })
	return c
}

// Two Routers (two app replicas) on one Redis cache: what one answered the
// other serves from the cache, on the real wire.
func TestRedisCacheSharedByTwoRouters(t *testing.T) {
	c := client(t)
	prefix := redistest.Prefix(t)
	srv := llmtest.NewOpenAI(t)
	srv.SetDefault(llmtest.Reply{Text: "cached answer", ToolCalls: []llmtest.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"location":"Seoul"}`}},
		Usage: llmtest.Usage{Prompt: 20, Completion: 5}})
	newRouter := func() *router.Router {
		r, err := router.New(router.Config{
			Cache:       routerredis.NewCache(c, routerredis.CacheOptions{Prefix: prefix, TTL: time.Minute}),
			Deployments: []router.Deployment{{Group: "chat", Params: llm.Params{Model: "gpt-4o", APIKey: "sk-test-1", APIBase: srv.APIBase()}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := newRouter(), newRouter()
	ctx := context.Background()
	req := func() *llm.Request {
		return &llm.Request{Model: "chat", Messages: []llm.Message{llm.User("Weather in Seoul?")}}
	}
	first, err := a.Complete(ctx, req())
	if err != nil || first.CacheHit {
		t.Fatalf("first %+v %v", first, err)
	}
	hit, err := b.Complete(ctx, req())
	if err != nil || !hit.CacheHit || hit.Message.Content != "cached answer" || len(hit.Message.ToolCalls) != 1 ||
		hit.Message.ToolCalls[0].Arguments != `{"location":"Seoul"}` || hit.Usage != first.Usage || hit.Cost != 0 || srv.Count() != 1 {
		t.Fatalf("hit %+v %v (server saw %d requests)", hit, err, srv.Count())
	}
	// streamed from the cache
	var text strings.Builder
	var calls int
	s := req()
	s.Stream = func(_ context.Context, ch llm.Chunk) error {
		text.WriteString(ch.Text)
		if ch.ToolCall != nil {
			calls++
		}
		return nil
	}
	if resp, err := b.Complete(ctx, s); err != nil || !resp.CacheHit || text.String() != "cached answer" || calls != 1 || srv.Count() != 1 {
		t.Fatalf("stream from the cache: %+v %v text %q calls %d", resp, err, text.String(), calls)
	}
	// the entry carries the TTL
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v %v", keys, err)
	}
	if ttl := c.TTL(ctx, keys[0]).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("ttl %s", ttl)
	}
	// an error is never stored
	srv.Enqueue(llmtest.Reply{Status: 500, ErrorMessage: "boom"})
	e := req()
	e.Messages[0].Content = "fails"
	r := newRouter()
	if _, err := r.Complete(router.WithCallOptions(ctx, router.CallOptions{NumRetries: router.Int(0)}), e); !errors.Is(err, llm.ErrInternalServer) {
		t.Fatalf("err %v", err)
	}
	if n := len(c.Keys(ctx, prefix+"*").Val()); n != 1 {
		t.Fatalf("an error was cached: %d keys", n)
	}
}

// A cache that cannot be reached never fails a call: the model answers.
func TestRedisCacheDownIsAMiss(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: strings.TrimPrefix(llmtest.ClosedURL(t), "http://"), MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	var calls atomic.Int32
	r, err := router.New(router.Config{Cache: routerredis.NewCache(c, routerredis.CacheOptions{}),
		Deployments: []router.Deployment{{Group: "g", Params: llm.Params{Model: "test/m"},
			Model: completer(func(context.Context, *llm.Request) (*llm.Response, error) {
				calls.Add(1)
				return &llm.Response{Message: llm.Assistant("fresh")}, nil
			})}}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Complete(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}})
	if err != nil || resp.CacheHit || resp.Message.Content != "fresh" || calls.Load() != 1 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
}

type completer func(context.Context, *llm.Request) (*llm.Response, error)

func (f completer) Complete(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	return f(ctx, req)
}
