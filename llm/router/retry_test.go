package router

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
)

func TestRetryWithBackoffOnSingleDeployment(t *testing.T) {
	clk := newFakeClock()
	m := script("a", httpErr(llm.ErrInternalServer, 500), httpErr(llm.ErrServiceUnavailable, 503), nil)
	log := &attemptLog{}
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", m)}, Callbacks: []llm.Callback{log.callback()},
		DisableCooldowns: true}, clk, WithRand(seqRand(0.5)))
	resp, err := r.Complete(context.Background(), userReq("g", "hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 3 || resp.Deployment != "a" || resp.Message.Content != "ok from a" {
		t.Fatalf("resp = %+v", resp)
	}
	// 0.5s*2^n with equal jitter at rand 0.5: 375ms, then 750ms
	if got, want := clk.Sleeps(), []time.Duration{375 * time.Millisecond, 750 * time.Millisecond}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sleeps = %v, want %v", got, want)
	}
	if resp.Latency != 1125*time.Millisecond {
		t.Fatalf("latency = %v", resp.Latency)
	}
	want := []attemptRow{
		{"g", "a", 1, 0, 0, llm.ErrInternalServer},
		{"g", "a", 2, 0, 375 * time.Millisecond, llm.ErrServiceUnavailable},
		{"g", "a", 3, 0, 750 * time.Millisecond, ""},
	}
	if !reflect.DeepEqual(log.rows, want) {
		t.Fatalf("attempts = %+v\nwant %+v", log.rows, want)
	}
}

func TestRetriesExhausted(t *testing.T) {
	clk := newFakeClock()
	m := script("a", httpErr(llm.ErrInternalServer, 500))
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", m)}, NumRetries: Int(3), DisableCooldowns: true}, clk)
	_, err := r.Complete(context.Background(), userReq("g", "hi"))
	if !errors.Is(err, llm.ErrInternalServer) {
		t.Fatalf("err = %v", err)
	}
	if m.Calls() != 4 {
		t.Fatalf("calls = %d, want 1 + 3 retries", m.Calls())
	}
	var e *llm.Error
	errors.As(err, &e)
	if e.Deployment != "a" || e.StatusCode != 500 {
		t.Fatalf("error fields: %+v", e)
	}
}

func TestFailoverDoesNotSleepWhenAHealthyDeploymentExists(t *testing.T) {
	clk := newFakeClock()
	bad := script("a", httpErr(llm.ErrInternalServer, 500))
	good := okModel("b", "fine")
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", bad), dep("g", "b", good)}, Strategy: LeastBusy},
		clk, WithRand(seqRand(0.99))) // ties keep the first: a
	resp, err := r.Complete(context.Background(), userReq("g", "hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Deployment != "b" || resp.Attempts != 2 || len(clk.Sleeps()) != 0 {
		t.Fatalf("deployment %s attempts %d sleeps %v", resp.Deployment, resp.Attempts, clk.Sleeps())
	}
}

func TestRetryPolicyPerKind(t *testing.T) {
	clk := newFakeClock()
	rl := script("a", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429})
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", rl)}, DisableCooldowns: true,
		RetryPolicy: map[llm.Kind]int{llm.ErrRateLimit: 4, llm.ErrBadRequest: 1}}, clk)
	r.Complete(context.Background(), userReq("g", "hi"))
	if rl.Calls() != 5 {
		t.Fatalf("rate limit calls = %d, want 5", rl.Calls())
	}
	// ContextWindowExceeded has no entry: its parent BadRequest's applies
	cw := script("b", httpErr(llm.ErrContextWindowExceeded, 400))
	r = newRouter(t, Config{Deployments: []Deployment{dep("g", "b", cw)}, RetryPolicy: map[llm.Kind]int{llm.ErrBadRequest: 1}}, clk)
	r.Complete(context.Background(), userReq("g", "hi"))
	if cw.Calls() != 2 {
		t.Fatalf("context window calls = %d, want 2", cw.Calls())
	}
	// a deployment's num_retries beats the policy
	rl2 := script("c", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429})
	d := dep("g", "c", rl2)
	d.NumRetries = Int(1)
	r = newRouter(t, Config{Deployments: []Deployment{d}, DisableCooldowns: true, RetryPolicy: map[llm.Kind]int{llm.ErrRateLimit: 4}}, clk)
	r.Complete(context.Background(), userReq("g", "hi"))
	if rl2.Calls() != 2 {
		t.Fatalf("deployment num_retries calls = %d, want 2", rl2.Calls())
	}
	// per call
	rl3 := script("d", httpErr(llm.ErrInternalServer, 500))
	r = newRouter(t, Config{Deployments: []Deployment{dep("g", "d", rl3)}, DisableCooldowns: true}, clk)
	r.Complete(WithCallOptions(context.Background(), CallOptions{NumRetries: Int(0)}), userReq("g", "hi"))
	if rl3.Calls() != 1 {
		t.Fatalf("per-call num_retries calls = %d, want 1", rl3.Calls())
	}
}

func TestNonRetryableErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   *llm.Error
		deps  int
		calls int
	}{
		{"bad request", httpErr(llm.ErrBadRequest, 400), 1, 1},
		{"permission denied", httpErr(llm.ErrPermissionDenied, 403), 1, 1},
		{"unprocessable", httpErr(llm.ErrUnprocessableEntity, 422), 1, 1},
		{"not found", httpErr(llm.ErrNotFound, 404), 2, 1},
		{"auth single deployment", httpErr(llm.ErrAuthentication, 401), 1, 1},
		{"conflict 409 is retried", &llm.Error{Kind: llm.ErrAPI, StatusCode: 409}, 1, 3},
		{"request timeout 408 is retried", httpErr(llm.ErrTimeout, 408), 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			var deps []Deployment
			var fakes []*fake
			for i := 0; i < tc.deps; i++ {
				f := script("x", tc.err)
				fakes = append(fakes, f)
				deps = append(deps, dep("g", string(rune('a'+i)), f))
			}
			r := newRouter(t, Config{Deployments: deps, DisableCooldowns: true}, clk)
			_, err := r.Complete(context.Background(), userReq("g", "hi"))
			if errKind(err) != tc.err.Kind {
				t.Fatalf("err = %v", err)
			}
			total := 0
			for _, f := range fakes {
				total += f.Calls()
			}
			if total != tc.calls {
				t.Fatalf("calls = %d, want %d", total, tc.calls)
			}
		})
	}
}

func TestAuthFailureInMultiDeploymentGroupCoolsDownAndMovesOn(t *testing.T) {
	clk := newFakeClock()
	a := script("a", httpErr(llm.ErrAuthentication, 401))
	b := okModel("b", "fine")
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a), dep("g", "b", b)}, Strategy: LeastBusy}, clk,
		WithRand(seqRand(0.99)))
	resp, err := r.Complete(context.Background(), userReq("g", "hi"))
	if err != nil || resp.Deployment != "b" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	if !cooling(r, "a") || cooling(r, "b") {
		t.Fatalf("status %+v", r.Status())
	}
	if len(clk.Sleeps()) != 0 {
		t.Fatalf("slept %v", clk.Sleeps())
	}
}

// LiteLLM #34399 skips the wait whenever the group has more than one
// healthy deployment, hammering a throttled shared upstream. Here the
// deployment that sent Retry-After is cooled down for that long, and the
// Router moves on at once only to a deployment that is really healthy.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Run("multi deployment: cool the sender down, move on at once", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 7 * time.Second}, nil)
		b := okModel("b", "fine")
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a), dep("g", "b", b)}, Strategy: LeastBusy}, clk,
			WithRand(seqRand(0.99)))
		resp, err := r.Complete(context.Background(), userReq("g", "hi"))
		if err != nil || resp.Deployment != "b" || len(clk.Sleeps()) != 0 {
			t.Fatalf("resp %+v err %v sleeps %v", resp, err, clk.Sleeps())
		}
		st := r.Status()
		if want := clk.Now().Add(7 * time.Second); !st[0].CooldownUntil.Equal(want) {
			t.Fatalf("cooldown until %v, want %v", st[0].CooldownUntil, want)
		}
	})
	t.Run("both throttled: wait for Retry-After, never hammer", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 3 * time.Second}, nil)
		b := script("b", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 5 * time.Second}, nil)
		log := &attemptLog{}
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a), dep("g", "b", b)}, Strategy: LeastBusy,
			WaitForCooldown: true, Callbacks: []llm.Callback{log.callback()}}, clk, WithRand(seqRand(0.99)))
		resp, err := r.Complete(context.Background(), userReq("g", "hi"))
		if err != nil {
			t.Fatal(err)
		}
		// a fails (cooled 3s), b is fresh: no wait; b fails (cooled 5s): wait 5s
		// (its Retry-After, which also covers a's 3s), then a answers.
		if got := clk.Sleeps(); !reflect.DeepEqual(got, []time.Duration{5 * time.Second}) {
			t.Fatalf("sleeps %v", got)
		}
		if resp.Deployment != "a" || !reflect.DeepEqual(log.deployments(), []string{"a", "b", "a"}) {
			t.Fatalf("served by %s after %v", resp.Deployment, log.deployments())
		}
	})
	t.Run("single deployment: wait Retry-After", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 4 * time.Second}, nil)
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}}, clk)
		resp, err := r.Complete(context.Background(), userReq("g", "hi"))
		if err != nil || resp.Attempts != 2 {
			t.Fatalf("resp %+v err %v", resp, err)
		}
		if got := clk.Sleeps(); !reflect.DeepEqual(got, []time.Duration{4 * time.Second}) {
			t.Fatalf("sleeps %v", got)
		}
		if cooling(r, "a") {
			t.Fatal("a single deployment is not cooled down on 429")
		}
	})
	t.Run("Retry-After over 60s ends the group's retries", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 2 * time.Minute})
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}}, clk)
		_, err := r.Complete(context.Background(), userReq("g", "hi"))
		var e *llm.Error
		if !errors.As(err, &e) || e.Kind != llm.ErrRateLimit || e.RetryAfter != MaxRetryAfter || a.Calls() != 1 ||
			!strings.Contains(e.Message, "Retry-After 2m0s exceeds the Router's cap of 1m0s") {
			t.Fatalf("err %v calls %d", err, a.Calls())
		}
	})
	t.Run("a wait past the deadline ends the group's retries", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 20 * time.Second})
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}, Timeout: 10 * time.Second}, clk)
		_, err := r.Complete(context.Background(), userReq("g", "hi"))
		if errKind(err) != llm.ErrRateLimit || a.Calls() != 1 || len(clk.Sleeps()) != 0 {
			t.Fatalf("err %v calls %d sleeps %v", err, a.Calls(), clk.Sleeps())
		}
		// the throttled deployment is left alone for the 20s it asked for
		clk.Advance(5 * time.Second)
		_, err = r.Complete(context.Background(), userReq("g", "hi"))
		var e *llm.Error
		if !errors.As(err, &e) || !errors.Is(err, ErrNoDeployments) || e.RetryAfter != 15*time.Second || a.Calls() != 1 {
			t.Fatalf("second call: err %v calls %d", err, a.Calls())
		}
	})
	t.Run("retry_after is the minimum wait", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: time.Second}, nil)
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}, RetryAfter: 5 * time.Second}, clk)
		if _, err := r.Complete(context.Background(), userReq("g", "hi")); err != nil {
			t.Fatal(err)
		}
		if got := clk.Sleeps(); !reflect.DeepEqual(got, []time.Duration{5 * time.Second}) {
			t.Fatalf("sleeps %v", got)
		}
	})
}

func TestRateLimitEverywhereGoesStraightToFallbacks(t *testing.T) {
	clk := newFakeClock()
	a := script("a", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 2 * time.Second})
	fb := okModel("fb", "from fallback")
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a), dep("fb", "fb", fb)},
		Fallbacks: map[string][]string{"g": {"fb"}}}, clk)
	resp, err := r.Complete(context.Background(), userReq("g", "hi"))
	if err != nil || resp.Deployment != "fb" || a.Calls() != 1 || len(clk.Sleeps()) != 0 {
		t.Fatalf("resp %+v err %v calls %d sleeps %v", resp, err, a.Calls(), clk.Sleeps())
	}
}

func TestCallTimeoutStopsEverything(t *testing.T) {
	a := &fake{fn: func(ctx context.Context, _ *llm.Request, _ int) (*llm.Response, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	fb := okModel("fb", "never")
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a), dep("fb", "fb", fb)},
		Fallbacks: map[string][]string{"g": {"fb"}}}, nil)
	req := userReq("g", "hi")
	req.Timeout = 30 * time.Millisecond
	_, err := r.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrTimeout || !strings.Contains(e.Message, "call timed out after 30ms") {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("a call timeout is a context.DeadlineExceeded too")
	}
	if fb.Calls() != 0 || a.Calls() != 1 {
		t.Fatalf("calls a=%d fb=%d", a.Calls(), fb.Calls())
	}
}

func TestDeploymentTimeoutIsRetriedElsewhere(t *testing.T) {
	slow := &fake{fn: func(ctx context.Context, _ *llm.Request, _ int) (*llm.Response, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	fast := okModel("b", "fast")
	ds := []Deployment{dep("g", "a", slow), dep("g", "b", fast)}
	ds[0].Timeout = 20 * time.Millisecond
	log := &attemptLog{}
	r := newRouter(t, Config{Deployments: ds, Strategy: LeastBusy, Callbacks: []llm.Callback{log.callback()}}, nil,
		WithRand(seqRand(0.99)))
	resp, err := r.Complete(context.Background(), userReq("g", "hi"))
	if err != nil || resp.Deployment != "b" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	if log.rows[0].Kind != llm.ErrTimeout || log.rows[0].Deployment != "a" {
		t.Fatalf("first attempt %+v", log.rows[0])
	}
}

func TestCallerCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a := &fake{fn: func(ctx context.Context, _ *llm.Request, _ int) (*llm.Response, error) {
		cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	b := okModel("b", "never")
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a), dep("g2", "b", b)},
		Fallbacks: map[string][]string{"g": {"g2"}}}, nil)
	_, err := r.Complete(ctx, userReq("g", "hi"))
	if !errors.Is(err, context.Canceled) || b.Calls() != 0 || a.Calls() != 1 {
		t.Fatalf("err %v calls %d/%d", err, a.Calls(), b.Calls())
	}
	if cooling(r, "a") {
		t.Fatal("a caller's cancellation must not count against the deployment")
	}
}

// Inside a fallback chain, a throttled group moves on to the rest of the
// chain instead of retrying.
func TestRateLimitInsideTheFallbackChain(t *testing.T) {
	clk := newFakeClock()
	p := script("p", httpErr(llm.ErrInternalServer, 500))
	f1 := script("f1", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 20 * time.Second})
	f2 := okModel("f2", "from f2")
	r := newRouter(t, Config{Deployments: []Deployment{dep("p", "p", p), dep("f1", "f1", f1), dep("f2", "f2", f2)},
		NumRetries: Int(0), Fallbacks: map[string][]string{"p": {"f1", "f2"}}}, clk)
	resp, err := r.Complete(context.Background(), userReq("p", "hi"))
	if err != nil || resp.Deployment != "f2" || f1.Calls() != 1 || len(clk.Sleeps()) != 0 {
		t.Fatalf("resp %+v err %v f1 calls %d sleeps %v", resp, err, f1.Calls(), clk.Sleeps())
	}
	// the last group of the chain has nowhere to go: it waits Retry-After
	f1b := script("f1", &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 20 * time.Second}, nil)
	dp := dep("p", "p", p)
	dp.NumRetries = Int(0)
	r = newRouter(t, Config{Deployments: []Deployment{dp, dep("f1", "f1", f1b)},
		NumRetries: Int(1), Fallbacks: map[string][]string{"p": {"f1"}}}, clk)
	resp, err = r.Complete(context.Background(), userReq("p", "hi"))
	if err != nil || resp.Deployment != "f1" || f1b.Calls() != 2 || !reflect.DeepEqual(clk.Sleeps(), []time.Duration{20 * time.Second}) {
		t.Fatalf("resp %+v err %v calls %d sleeps %v", resp, err, f1b.Calls(), clk.Sleeps())
	}
}

// A deployment over its rpm limit is not "healthy": the retry goes back to
// the failed deployment after a backoff instead of at once.
func TestRetryBacksOffWhenOthersAreAtTheirLimit(t *testing.T) {
	clk := newFakeClock()
	a := script("a", httpErr(llm.ErrInternalServer, 500), nil)
	b := okModel("b", "b")
	ds := []Deployment{dep("g", "a", a), dep("g", "b", b)}
	ds[1].RPM = 1
	r := newRouter(t, Config{Deployments: ds, Strategy: LeastBusy, DisableCooldowns: true}, clk, WithRand(seqRand(0, 0.5)))
	r.Complete(context.Background(), userReq("g", "hi")) // the tie goes to b, using its rpm
	resp, err := r.Complete(context.Background(), userReq("g", "hi"))
	if err != nil || resp.Deployment != "a" || resp.Attempts != 2 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	if got := clk.Sleeps(); !reflect.DeepEqual(got, []time.Duration{375 * time.Millisecond}) {
		t.Fatalf("sleeps %v", got)
	}
}

// Issue 17.9: Retry-After: 100000 cooled a deployment for 27 hours, even
// with WaitForCooldown. The cooldown is capped (RetryAfterCap, default 60s)
// and the error says so.
func TestRetryAfterCap(t *testing.T) {
	huge := func() *llm.Error {
		return &llm.Error{Kind: llm.ErrRateLimit, StatusCode: 429, RetryAfter: 100000 * time.Second, Message: "slow down"}
	}
	t.Run("the error reports the cap and the cooldown is capped", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", huge(), nil)
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}}, clk)
		_, err := r.Complete(context.Background(), userReq("g", "hi"))
		var e *llm.Error
		if !errors.As(err, &e) || e.RetryAfter != 60*time.Second ||
			!strings.Contains(err.Error(), "Retry-After 27h46m40s exceeds the Router's cap of 1m0s (RetryAfterCap)") {
			t.Fatalf("err %v", err)
		}
		st := r.Status()
		if want := clk.Now().Add(60 * time.Second); !st[0].CooldownUntil.Equal(want) {
			t.Fatalf("cooled down until %v, want %v (60s)", st[0].CooldownUntil, want)
		}
		clk.Advance(61 * time.Second)
		if resp, err := r.Complete(context.Background(), userReq("g", "hi")); err != nil || resp.Deployment != "a" {
			t.Fatalf("after the cap: %+v %v", resp, err)
		}
	})
	t.Run("WaitForCooldown waits the cap, not the asked time", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", huge(), nil)
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}, WaitForCooldown: true}, clk)
		resp, err := r.Complete(context.Background(), userReq("g", "hi"))
		if err != nil || resp.Attempts != 2 {
			t.Fatalf("resp %+v err %v", resp, err)
		}
		if got := clk.Sleeps(); !reflect.DeepEqual(got, []time.Duration{60 * time.Second}) {
			t.Fatalf("sleeps %v, want [1m0s]", got)
		}
	})
	t.Run("configured cap", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", huge(), nil)
		b := okModel("b", "fine")
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a), dep("g", "b", b)}, RetryAfterCap: 10 * time.Second,
			Strategy: LeastBusy}, clk, WithRand(seqRand(0.99)))
		resp, err := r.Complete(context.Background(), userReq("g", "hi"))
		if err != nil || resp.Deployment != "b" {
			t.Fatalf("resp %+v err %v", resp, err)
		}
		if want := clk.Now().Add(10 * time.Second); !r.Status()[0].CooldownUntil.Equal(want) {
			t.Fatalf("cooled down until %v, want %v", r.Status()[0].CooldownUntil, want)
		}
	})
	t.Run("yaml", func(t *testing.T) {
		cfg, err := ParseConfig("c.yaml", []byte("model_list:\n- model_name: g\n  litellm_params: {model: gpt-4o, api_key: k}\nrouter_settings:\n  retry_after_cap: 90\n"))
		if err != nil || cfg.RetryAfterCap != 90*time.Second {
			t.Fatalf("cfg %v err %v", cfg.RetryAfterCap, err)
		}
	})
}
