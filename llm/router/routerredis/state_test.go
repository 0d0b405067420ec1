package routerredis_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jedisos/jedisos/internal/redistest"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/llm/router/routerredis"
)

// Two Routers in one process on one Redis respect one RPM limit together
// (40 concurrent calls, deployment a limited to 10 per minute).
func TestStateTwoRoutersOneLimit(t *testing.T) {
	c := client(t)
	prefix := redistest.Prefix(t)
	var served [2]atomic.Int32
	r1, err := replicaRouter(routerredis.NewState(c, routerredis.StateOptions{Prefix: prefix}), 10, &served)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := replicaRouter(routerredis.NewState(c, routerredis.StateOptions{Prefix: prefix}), 10, &served)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() { done <- callConcurrently(r1, 20) }()
	errs := callConcurrently(r2, 20) + <-done
	if errs != 0 || served[0].Load() != 10 || served[1].Load() != 30 {
		t.Fatalf("a served %d, b %d, errors %d: want a at exactly its rpm of 10 across both Routers", served[0].Load(), served[1].Load(), errs)
	}
	for _, r := range []*router.Router{r1, r2} {
		if err := r.FlushState(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// the usage in Redis: 10 requests on a, tokens of every call counted
	minute := time.Now().Unix() / 60
	for _, m := range []int64{minute, minute - 1} {
		if v := c.HGetAll(context.Background(), fmt.Sprintf("%su:a:%d", prefix, m)).Val(); len(v) > 0 {
			if v["r"] != "10" {
				t.Fatalf("shared usage of a %v", v)
			}
			return
		}
	}
	t.Fatal("no usage of a in Redis")
}

// A cooldown one Router starts is respected by the other at once.
func TestStateCooldownShared(t *testing.T) {
	c := client(t)
	prefix := redistest.Prefix(t)
	var aCalls atomic.Int32
	mk := func() *router.Router {
		r, err := router.New(router.Config{SharedState: routerredis.NewState(c, routerredis.StateOptions{Prefix: prefix}),
			NumRetries: router.Int(1), CooldownTime: time.Minute,
			Deployments: []router.Deployment{
				{Group: "g", ID: "a", Order: 1, Params: llm.Params{Model: "test/a"},
					Model: completer(func(context.Context, *llm.Request) (*llm.Response, error) {
						aCalls.Add(1)
						return nil, &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, Message: "slow down"}
					})},
				{Group: "g", ID: "b", Order: 2, Params: llm.Params{Model: "test/b"},
					Model: completer(func(context.Context, *llm.Request) (*llm.Response, error) {
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
	req := func() *llm.Request { return &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}} }
	if resp, err := r1.Complete(ctx, req()); err != nil || resp.Message.Content != "b" || aCalls.Load() != 1 {
		t.Fatalf("r1: %+v %v (a called %d)", resp, err, aCalls.Load())
	}
	resp, err := r2.Complete(ctx, req())
	if err != nil || resp.Message.Content != "b" || aCalls.Load() != 1 {
		t.Fatalf("r2: %+v %v; a called %d times, want r2 to skip a, cooled down by r1", resp, err, aCalls.Load())
	}
	if ttl := c.PTTL(ctx, prefix+"cd:a").Val(); ttl <= 50*time.Second || ttl > time.Minute {
		t.Fatalf("cooldown key ttl %s", ttl)
	}
	var cooling bool
	for _, s := range r2.Status() {
		cooling = cooling || s.ID == "a" && !s.CooldownUntil.IsZero()
	}
	if !cooling {
		t.Fatal("r2's status does not show a's shared cooldown")
	}
}

// Two OS processes (this test binary re-executed) on one Redis respect one
// RPM limit together.
func TestStateTwoProcesses(t *testing.T) {
	addr := redistest.Addr(t)
	prefix := redistest.Prefix(t)
	var outs [2][]byte
	var errs [2]error
	cmds := make([]*exec.Cmd, 2)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^$")
		cmds[i].Env = append(os.Environ(), envChild+"=1", envAddr+"="+addr, envPrefix+"="+prefix, envCalls+"=15")
	}
	done := make(chan int)
	for i, cmd := range cmds {
		go func() {
			outs[i], errs[i] = cmd.CombinedOutput()
			done <- i
		}()
	}
	<-done
	<-done
	var a, b, e int
	for i := range cmds {
		if errs[i] != nil {
			t.Fatalf("child %d: %v\n%s", i, errs[i], outs[i])
		}
		var ca, cb, ce int
		if _, err := fmt.Sscanf(string(outs[i]), "a=%d b=%d errors=%d", &ca, &cb, &ce); err != nil {
			t.Fatalf("child %d printed %q", i, outs[i])
		}
		a, b, e = a+ca, b+cb, e+ce
	}
	if a != 10 || b != 20 || e != 0 {
		t.Fatalf("two processes: a served %d, b %d, errors %d; want a at exactly its rpm of 10", a, b, e)
	}
}

// roundTrips counts the commands and pipelines the client sends.
type roundTrips struct{ n atomic.Int64 }

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

// BenchmarkSharedState: a routed call with its RPM/TPM reservation in
// Redis (one EVALSHA carrying the previous call's token update), with the
// round trips per call reported.
func BenchmarkSharedState(b *testing.B) {
	c := redis.NewClient(&redis.Options{Addr: redistest.Addr(b)})
	defer c.Close()
	rt := &roundTrips{}
	c.AddHook(rt)
	r, err := router.New(router.Config{SharedState: routerredis.NewState(c, routerredis.StateOptions{Prefix: redistest.Prefix(b)}),
		Deployments: []router.Deployment{{Group: "g", ID: "a", RPM: 1 << 40, TPM: 1 << 40, Params: llm.Params{Model: "test/a"},
			Model: completer(func(context.Context, *llm.Request) (*llm.Response, error) {
				return &llm.Response{Message: llm.Assistant("ok"), Usage: llm.Usage{PromptTokens: 10, CompletionTokens: 2}}, nil
			})}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := &llm.Request{Model: "g", Messages: []llm.Message{llm.System("You are terse."), llm.User("Say ok.")}}
	if _, err := r.Complete(ctx, req); err != nil { // loads the script
		b.Fatal(err)
	}
	rt.n.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Complete(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(rt.n.Load())/float64(b.N), "roundtrips/op")
}
