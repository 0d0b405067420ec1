package router

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
)

// chainRouter: groups p (fails with err), and ok groups a, b, c, big, safe.
func chainRouter(t *testing.T, err error, cfg Config) (*Router, *attemptLog, map[string]*fake) {
	t.Helper()
	fakes := map[string]*fake{"p": script("p", err)}
	cfg.Deployments = append(cfg.Deployments, dep("p", "p", fakes["p"]))
	for _, g := range []string{"a", "b", "c", "big", "safe"} {
		fakes[g] = okModel(g, "answer from "+g)
		cfg.Deployments = append(cfg.Deployments, dep(g, g, fakes[g]))
	}
	log := &attemptLog{}
	cfg.Callbacks = append(cfg.Callbacks, log.callback())
	return newRouter(t, cfg, newFakeClock()), log, fakes
}

func TestFallbackPrecedence(t *testing.T) {
	cw := httpErr(llm.ErrContextWindowExceeded, 400)
	cp := httpErr(llm.ErrContentPolicyViolation, 400)
	for _, tc := range []struct {
		name    string
		err     error
		cfg     Config
		served  string // "" when the call fails
		errKind llm.Kind
	}{
		{"general fallbacks", httpErr(llm.ErrNotFound, 404), Config{Fallbacks: map[string][]string{"p": {"a"}}}, "a", ""},
		{"context window uses its own list", cw, Config{Fallbacks: map[string][]string{"p": {"a"}},
			ContextWindowFallbacks: map[string][]string{"p": {"big"}}}, "big", ""},
		{"context window list without the group raises the original", cw, Config{Fallbacks: map[string][]string{"p": {"a"}},
			ContextWindowFallbacks: map[string][]string{"b": {"big"}}}, "", llm.ErrContextWindowExceeded},
		{"context window without a list uses general fallbacks", cw, Config{Fallbacks: map[string][]string{"p": {"a"}}}, "a", ""},
		{"content policy uses its own list", cp, Config{Fallbacks: map[string][]string{"p": {"a"}},
			ContentPolicyFallbacks: map[string][]string{"p": {"safe"}}}, "safe", ""},
		{"content policy list without the group raises the original", cp, Config{
			ContentPolicyFallbacks: map[string][]string{"b": {"safe"}}, Fallbacks: map[string][]string{"p": {"a"}}}, "", llm.ErrContentPolicyViolation},
		{"star entry is the default", httpErr(llm.ErrInternalServer, 500), Config{Fallbacks: map[string][]string{"*": {"c"}}}, "c", ""},
		{"default fallbacks", httpErr(llm.ErrInternalServer, 500), Config{DefaultFallbacks: []string{"b"}}, "b", ""},
		{"the group's own entry beats defaults", httpErr(llm.ErrInternalServer, 500), Config{
			Fallbacks: map[string][]string{"p": {"a"}}, DefaultFallbacks: []string{"b"}}, "a", ""},
		{"no fallbacks", httpErr(llm.ErrInternalServer, 500), Config{}, "", llm.ErrInternalServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.DisableCooldowns = true
			tc.cfg.NumRetries = Int(0)
			r, _, _ := chainRouter(t, tc.err, tc.cfg)
			resp, err := r.Complete(context.Background(), userReq("p", "hi"))
			if tc.served == "" {
				if errKind(err) != tc.errKind {
					t.Fatalf("err = %v, want %s", err, tc.errKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Deployment != tc.served || resp.Attempts != 2 {
				t.Fatalf("served by %s in %d attempts", resp.Deployment, resp.Attempts)
			}
		})
	}
}

func TestContextWindowFallbackIsNotRetried(t *testing.T) {
	r, log, fakes := chainRouter(t, httpErr(llm.ErrContextWindowExceeded, 400), Config{
		ContextWindowFallbacks: map[string][]string{"p": {"big"}}, RetryPolicy: map[llm.Kind]int{llm.ErrBadRequest: 3}})
	resp, err := r.Complete(context.Background(), userReq("p", "hi"))
	if err != nil || resp.Deployment != "big" || fakes["p"].Calls() != 1 {
		t.Fatalf("resp %+v err %v p calls %d", resp, err, fakes["p"].Calls())
	}
	if log.rows[1].Depth != 1 || log.rows[1].Group != "big" {
		t.Fatalf("attempts %+v", log.rows)
	}
}

func TestFallbacksInOrderWithMaxFallbacks(t *testing.T) {
	clk := newFakeClock()
	mk := func(n string) *fake { return script(n, httpErr(llm.ErrInternalServer, 500)) }
	fs := map[string]*fake{"p": mk("p"), "f1": mk("f1"), "f2": mk("f2"), "f3": okModel("f3", "third")}
	cfg := Config{NumRetries: Int(0), DisableCooldowns: true, Fallbacks: map[string][]string{"p": {"f1", "f2", "f3"}}}
	for _, n := range []string{"p", "f1", "f2", "f3"} {
		cfg.Deployments = append(cfg.Deployments, dep(n, n, fs[n]))
	}
	log := &attemptLog{}
	cfg.Callbacks = []llm.Callback{log.callback()}
	r := newRouter(t, cfg, clk)
	resp, err := r.Complete(context.Background(), userReq("p", "hi"))
	if err != nil || resp.Deployment != "f3" || resp.Attempts != 4 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	var depths []int
	for _, row := range log.rows {
		depths = append(depths, row.Depth)
	}
	if !reflect.DeepEqual(depths, []int{0, 1, 2, 3}) {
		t.Fatalf("depths %v", depths)
	}

	cfg.MaxFallbacks = 2
	r = newRouter(t, cfg, clk)
	_, err = r.Complete(context.Background(), userReq("p", "hi"))
	if errKind(err) != llm.ErrInternalServer || fs["f3"].Calls() != 1 {
		t.Fatalf("max fallbacks: err %v, f3 calls %d", err, fs["f3"].Calls())
	}
	var e *llm.Error
	errors.As(err, &e)
	if e.Deployment != "p" || !strings.Contains(e.Message, "fallbacks tried: f1: InternalServerError; f2: InternalServerError") {
		t.Fatalf("the original error names the fallbacks: %v", err)
	}
}

// LiteLLM #19985: a fallback restarts the whole retry cycle and re-runs the
// same fallback again and again. Here every group runs once.
func TestFallbackNeverRestartsTriedGroups(t *testing.T) {
	clk := newFakeClock()
	a := script("a", httpErr(llm.ErrInternalServer, 500))
	b := script("b", httpErr(llm.ErrInternalServer, 500))
	c := script("c", httpErr(llm.ErrInternalServer, 500))
	r := newRouter(t, Config{
		Deployments: []Deployment{dep("a", "a", a), dep("b", "b", b), dep("c", "c", c)},
		NumRetries:  Int(1), DisableCooldowns: true,
		Fallbacks: map[string][]string{"a": {"b", "c", "a", "b"}, "b": {"a"}, "c": {"a", "b"}},
	}, clk)
	_, err := r.Complete(context.Background(), userReq("a", "hi"))
	if errKind(err) != llm.ErrInternalServer {
		t.Fatal(err)
	}
	if a.Calls() != 2 || b.Calls() != 2 || c.Calls() != 2 {
		t.Fatalf("calls a=%d b=%d c=%d, want 2 each (1 + 1 retry)", a.Calls(), b.Calls(), c.Calls())
	}
}

func TestDisableFallbacksPerCall(t *testing.T) {
	r, _, fakes := chainRouter(t, httpErr(llm.ErrNotFound, 404), Config{Fallbacks: map[string][]string{"p": {"a"}}, DisableCooldowns: true})
	_, err := r.Complete(WithCallOptions(context.Background(), CallOptions{DisableFallbacks: true}), userReq("p", "hi"))
	if errKind(err) != llm.ErrNotFound || fakes["a"].Calls() != 0 {
		t.Fatalf("err %v", err)
	}
	req := userReq("p", "hi")
	req.Metadata = map[string]any{"disable_fallbacks": true}
	_, err = r.Complete(context.Background(), req)
	if errKind(err) != llm.ErrNotFound || fakes["a"].Calls() != 0 {
		t.Fatalf("metadata: err %v", err)
	}
}

func TestUnknownGroup(t *testing.T) {
	r, _, _ := chainRouter(t, nil, Config{})
	_, err := r.Complete(context.Background(), userReq("nope", "hi"))
	if !errors.Is(err, ErrUnknownGroup) || errKind(err) != llm.ErrNotFound || !strings.Contains(err.Error(), `"nope" does not exist`) {
		t.Fatalf("err = %v", err)
	}
	r, _, _ = chainRouter(t, nil, Config{DefaultFallbacks: []string{"b"}})
	resp, err := r.Complete(context.Background(), userReq("nope", "hi"))
	if err != nil || resp.Deployment != "b" {
		t.Fatalf("default fallbacks for an unknown group: %+v %v", resp, err)
	}
}

func TestCooldownRules(t *testing.T) {
	t.Run("allowed fails within the cooldown window", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", httpErr(llm.ErrInternalServer, 500))
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}, NumRetries: Int(0), AllowedFails: Int(2),
			CooldownTime: 30 * time.Second}, clk)
		for i := 1; i <= 3; i++ {
			r.Complete(context.Background(), userReq("g", "hi"))
			if got, want := cooling(r, "a"), i == 3; got != want {
				t.Fatalf("after %d failures cooling = %v", i, got)
			}
		}
		_, err := r.Complete(context.Background(), userReq("g", "hi"))
		var e *llm.Error
		if !errors.As(err, &e) || e.Kind != llm.ErrRateLimit || !errors.Is(err, ErrNoDeployments) || e.RetryAfter != 30*time.Second {
			t.Fatalf("err %v", err)
		}
		if !strings.Contains(e.Message, `no deployments available for model group "g": 1 cooling down; try again in 30s`) {
			t.Fatalf("message %q", e.Message)
		}
		clk.Advance(30 * time.Second)
		if cooling(r, "a") {
			t.Fatal("cooldown ends after cooldown_time")
		}
	})
	t.Run("failures outside the window do not add up", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", httpErr(llm.ErrInternalServer, 500))
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}, NumRetries: Int(0), AllowedFails: Int(1),
			CooldownTime: 10 * time.Second}, clk)
		r.Complete(context.Background(), userReq("g", "hi"))
		clk.Advance(11 * time.Second)
		r.Complete(context.Background(), userReq("g", "hi"))
		if cooling(r, "a") {
			t.Fatal("two failures 11s apart with a 10s window")
		}
	})
	t.Run("allowed fails policy per kind", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", httpErr(llm.ErrTimeout, 408))
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}, NumRetries: Int(0), AllowedFails: Int(5),
			AllowedFailsPolicy: map[llm.Kind]int{llm.ErrTimeout: 0}}, clk)
		r.Complete(context.Background(), userReq("g", "hi"))
		if !cooling(r, "a") {
			t.Fatal("TimeoutErrorAllowedFails 0 cools down on the first timeout")
		}
	})
	t.Run("failure rate over 50% with 5 requests in a multi-deployment group", func(t *testing.T) {
		clk := newFakeClock()
		// a: ok, ok, fail, fail, fail -> 3/5 failed at the 5th request
		a := script("a", nil, nil, httpErr(llm.ErrInternalServer, 500), httpErr(llm.ErrInternalServer, 500), httpErr(llm.ErrInternalServer, 500))
		b := okModel("b", "b")
		ds := []Deployment{dep("g", "a", a), dep("g", "b", b)}
		ds[1].Order = 2 // b only when a is unavailable
		r := newRouter(t, Config{Deployments: ds, NumRetries: Int(0), AllowedFails: Int(100)}, clk)
		for i := 1; i <= 5; i++ {
			r.Complete(context.Background(), userReq("g", "hi"))
			if got, want := cooling(r, "a"), i == 5; got != want {
				t.Fatalf("after request %d cooling = %v", i, got)
			}
		}
	})
	t.Run("other 4xx never cool down", func(t *testing.T) {
		clk := newFakeClock()
		a := script("a", httpErr(llm.ErrBadRequest, 400))
		r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}, AllowedFails: Int(0)}, clk)
		r.Complete(context.Background(), userReq("g", "hi"))
		if cooling(r, "a") {
			t.Fatal("400 cooled the deployment")
		}
	})
	t.Run("per-deployment cooldown time and disabling", func(t *testing.T) {
		clk := newFakeClock()
		ds := []Deployment{dep("g", "a", script("a", httpErr(llm.ErrNotFound, 404))), dep("g", "b", script("b", httpErr(llm.ErrNotFound, 404)))}
		ds[0].CooldownTime = 90 * time.Second
		ds[1].DisableCooldowns = true
		r := newRouter(t, Config{Deployments: ds}, clk, WithRand(seqRand(0)))
		r.Complete(context.Background(), userReq("g", "hi"))
		r.Complete(context.Background(), userReq("g", "hi"))
		st := r.Status()
		if !st[0].CooldownUntil.Equal(clk.Now().Add(90*time.Second)) || !st[1].CooldownUntil.IsZero() {
			t.Fatalf("status %+v", st)
		}
	})
}

// LiteLLM #3646: users want to wait for a deployment instead of failing
// when every deployment is cooling down.
func TestWaitForCooldown(t *testing.T) {
	clk := newFakeClock()
	a := script("a", httpErr(llm.ErrNotFound, 404), nil)
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a)}, CooldownTime: 12 * time.Second}, clk)
	r.Complete(context.Background(), userReq("g", "hi")) // 404: cooled 12s
	clk.Advance(2 * time.Second)
	// per call: wait instead of failing
	wait := true
	resp, err := r.Complete(WithCallOptions(context.Background(), CallOptions{WaitForCooldown: &wait}), userReq("g", "hi"))
	if err != nil || resp.Message.Content != "ok from a" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	if got := clk.Sleeps(); !reflect.DeepEqual(got, []time.Duration{10 * time.Second}) {
		t.Fatalf("sleeps %v", got)
	}
	if resp.Latency != 10*time.Second {
		t.Fatalf("latency %v", resp.Latency)
	}

	// not within the deadline: fail at once with the time to wait
	a2 := script("a", httpErr(llm.ErrNotFound, 404), nil)
	r = newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a2)}, CooldownTime: 12 * time.Second,
		WaitForCooldown: true}, clk)
	r.Complete(context.Background(), userReq("g", "hi"))
	req := userReq("g", "hi")
	req.Timeout = 5 * time.Second
	_, err = r.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || !errors.Is(err, ErrNoDeployments) || e.RetryAfter != 12*time.Second {
		t.Fatalf("err %v", err)
	}
}

func TestPreCallChecks(t *testing.T) {
	clk := newFakeClock()
	small := okModel("small", "small")
	large := okModel("large", "large")
	huge := okModel("huge", "huge")
	ds := []Deployment{dep("g", "small", small), dep("g", "large", large), dep("big", "huge", huge)}
	ds[0].MaxInputTokens = 20
	ds[1].MaxInputTokens = 200
	ds[2].MaxInputTokens = 100000
	r := newRouter(t, Config{Deployments: ds, EnablePreCallChecks: true,
		ContextWindowFallbacks: map[string][]string{"g": {"big"}}}, clk)
	long := strings.Repeat("hello world ", 50) // ~100 tokens
	for i := 0; i < 5; i++ {
		resp, err := r.Complete(context.Background(), userReq("g", long))
		if err != nil || resp.Deployment != "large" {
			t.Fatalf("resp %+v err %v", resp, err)
		}
	}
	if small.Calls() != 0 {
		t.Fatal("the small deployment was called")
	}
	longer := strings.Repeat("hello world ", 200) // ~400 tokens
	resp, err := r.Complete(context.Background(), userReq("g", longer))
	if err != nil || resp.Deployment != "huge" || resp.Attempts != 1 {
		t.Fatalf("context-window fallback: resp %+v err %v", resp, err)
	}
	_, err = r.Complete(WithCallOptions(context.Background(), CallOptions{DisableFallbacks: true}), userReq("g", longer))
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrContextWindowExceeded || !strings.Contains(e.Message, "largest context window in model group \"g\" is 200") {
		t.Fatalf("err %v", err)
	}
}

func TestTokenCount(t *testing.T) {
	req := &llm.Request{Messages: []llm.Message{llm.System("You are helpful."), llm.User("hello world")}}
	// cl100k: "You are helpful." = 4, "hello world" = 2, roles 1 each, 3 per message, 3 priming
	if got := countTokens("cl100k_base", req); got != 3+(3+1+4)+(3+1+2) {
		t.Fatalf("tokens = %d", got)
	}
	if encodingFor("gpt-4o-mini") != "o200k_base" || encodingFor("azure/gpt-5") != "o200k_base" || encodingFor("claude-sonnet-4-5") != "cl100k_base" {
		t.Fatal("encoding choice")
	}
}

func TestTokenCountWithTools(t *testing.T) {
	req := &llm.Request{Messages: []llm.Message{llm.User("hello world")}}
	base := countTokens("cl100k_base", req)
	req.Tools = []llms.Tool{{Type: "function", Function: &llms.FunctionDefinition{Name: "get_weather", Description: "Weather for a city",
		Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}}}
	withTools := countTokens("cl100k_base", req)
	if withTools <= base+8 {
		t.Fatalf("tools not counted: %d vs %d", withTools, base)
	}
}

func TestLatencyWindow(t *testing.T) {
	d := &deployment{}
	for _, v := range []float64{1, 2, 3, 5} {
		d.addLatency(v, 3)
	}
	if d.latency() != (2+3+5)/3.0 {
		t.Fatalf("latency %v", d.latency())
	}
	for _, tc := range []struct{ model, provider string }{{"claude-3-opus", "anthropic"}, {"gpt-4o", "openai"}, {"o3-mini", "openai"},
		{"groq/llama3", "groq"}, {"gemini-pro", "gemini"}, {"command-r", "cohere"}, {"mistral-large", "mistral"}, {"unknown", ""}} {
		if got := providerOf(tc.model); got != tc.provider {
			t.Errorf("providerOf(%q) = %q", tc.model, got)
		}
	}
}

func TestCoolingGroupFallsBackAtOnce(t *testing.T) {
	clk := newFakeClock()
	a := script("a", httpErr(llm.ErrAuthentication, 401))
	r := newRouter(t, Config{Deployments: []Deployment{dep("p", "a", a), dep("f", "b", okModel("b", "from b"))},
		Fallbacks: map[string][]string{"p": {"f"}}}, clk)
	r.Complete(context.Background(), userReq("p", "hi")) // 401: a cools down
	log := &attemptLog{}
	r.callbacks = append(r.callbacks, log.callback())
	resp, err := r.Complete(context.Background(), userReq("p", "hi"))
	if err != nil || resp.Deployment != "b" || a.Calls() != 1 || len(clk.Sleeps()) != 0 {
		t.Fatalf("resp %+v err %v calls %d sleeps %v", resp, err, a.Calls(), clk.Sleeps())
	}
	if len(log.rows) != 1 || log.rows[0].Depth != 1 {
		t.Fatalf("attempts %+v", log.rows)
	}
}

// Without MaxFallbacks, at most DefaultMaxFallbacks (5) fallback groups are tried.
func TestDefaultMaxFallbacksIsFive(t *testing.T) {
	clk := newFakeClock()
	names := []string{"p", "f1", "f2", "f3", "f4", "f5", "f6"}
	fs := map[string]*fake{}
	cfg := Config{NumRetries: Int(0), DisableCooldowns: true, Fallbacks: map[string][]string{"p": names[1:]}}
	for _, n := range names {
		fs[n] = script(n, httpErr(llm.ErrInternalServer, 500))
		if n == "f6" {
			fs[n] = okModel(n, "sixth")
		}
		cfg.Deployments = append(cfg.Deployments, dep(n, n, fs[n]))
	}
	r := newRouter(t, cfg, clk)
	_, err := r.Complete(context.Background(), userReq("p", "hi"))
	if errKind(err) != llm.ErrInternalServer || fs["f5"].Calls() != 1 || fs["f6"].Calls() != 0 {
		t.Fatalf("err %v; f5 calls %d, f6 calls %d: want five fallbacks tried and the sixth not", err, fs["f5"].Calls(), fs["f6"].Calls())
	}
}
