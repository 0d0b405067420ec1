package router_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/jedisos/jedisos/llm/router"
)

// agClock is the manual clock of llmtest. With real set, timers run on
// the wall clock so that deadlines cut real HTTP calls; otherwise they
// fire when the clock passes them.
type agClock struct {
	*llmtest.Clock
	real bool
}

func newAgClock() *agClock {
	return &agClock{Clock: llmtest.NewClock(time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC))}
}

// AfterFunc runs f after d on the wall clock when c.real, else on c.
func (c *agClock) AfterFunc(d time.Duration, f func()) func() bool {
	if c.real {
		return time.AfterFunc(d, f).Stop
	}
	return c.Clock.AfterFunc(d, f)
}

// agLog records every attempt the callbacks see.
type agLog struct {
	mu   sync.Mutex
	rows []string
}

func (l *agLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows = append(l.rows, s)
}

func (l *agLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.rows...)
}

func (l *agLog) callback() llm.Callback {
	return llm.CallbackFuncs{
		Success: func(_ context.Context, info *llm.CallInfo, _ *llm.Response) {
			l.add(fmt.Sprintf("%s/%s#%d ok", info.Group, info.Model, info.Attempt))
		},
		Failure: func(_ context.Context, info *llm.CallInfo, err error) {
			var e *llm.Error
			errors.As(err, &e)
			kind := llm.Kind("?")
			if e != nil {
				kind = e.Kind
			}
			l.add(fmt.Sprintf("%s/%s#%d %s", info.Group, info.Model, info.Attempt, kind))
		},
	}
}

func agUser(group, text string) *llm.Request {
	return &llm.Request{Model: group, Messages: []llm.Message{llm.User(text)}}
}

func agDep(group, model string, srv *llmtest.Server) router.Deployment {
	return router.Deployment{Group: group, ID: group + ":" + model,
		Params: llm.Params{Model: model, APIKey: "sk-test-123", APIBase: srv.APIBase()}}
}

// The guide's model_list (6.1) and fallbacks (6.4) in YAML, with the
// limits and timeout written next to model_name as the guide does, and the
// fallbacks in the guide's [{model_name, fallbacks}] shape.
func guideModelList(oa, an *llmtest.Server) string {
	return fmt.Sprintf(`
model_list:
  - model_name: gpt4-prod
    litellm_params:
      model: gpt-4
      api_key: sk-test-123
      api_base: %[1]s
    tpm_limit: 10000
    rpm_limit: 500
    timeout: 30
  - model_name: gpt35-backup
    litellm_params:
      model: gpt-3.5-turbo
      api_key: sk-test-123
      api_base: %[1]s
    tpm_limit: 90000
    timeout: 30
  - model_name: claude-prod
    litellm_params:
      model: claude-3-opus-20240229
      api_key: sk-ant-test-1
      api_base: %[2]s
    timeout: 30
router_settings:
  routing_strategy: least-busy
  fallbacks:
    - model_name: gpt4-prod
      fallbacks: [gpt35-backup, claude-prod]
  context_window_fallbacks:
    - model_name: gpt4-prod
      fallbacks: [gpt35-backup]
  allowed_fails: 3
  cooldown_time: 60
`, oa.APIBase(), an.APIBase())
}

func TestGuideRouterModelListYAML(t *testing.T) {
	oa, an := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t)
	cfg, err := router.ParseConfig("router.yaml", []byte(guideModelList(oa, an)))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Deployments
	if len(d) != 3 || d[0].TPM != 10000 || d[0].RPM != 500 || d[0].Timeout != 30*time.Second || d[1].TPM != 90000 ||
		d[1].Timeout != 30*time.Second || d[2].Timeout != 30*time.Second || d[2].Params.Model != "claude-3-opus-20240229" {
		t.Fatalf("deployments %+v", d)
	}
	if cfg.Strategy != router.LeastBusy || *cfg.AllowedFails != 3 || cfg.CooldownTime != 60*time.Second ||
		!reflect.DeepEqual(cfg.Fallbacks, map[string][]string{"gpt4-prod": {"gpt35-backup", "claude-prod"}}) ||
		!reflect.DeepEqual(cfg.ContextWindowFallbacks, map[string][]string{"gpt4-prod": {"gpt35-backup"}}) {
		t.Fatalf("cfg %+v", cfg)
	}
	// LiteLLM's own fallbacks shape reads the same.
	alt := strings.Replace(guideModelList(oa, an), `    - model_name: gpt4-prod
      fallbacks: [gpt35-backup, claude-prod]`, `    - gpt4-prod: [gpt35-backup, claude-prod]`, 1)
	cfg2, err := router.ParseConfig("router.yaml", []byte(alt))
	if err != nil || !reflect.DeepEqual(cfg2.Fallbacks, cfg.Fallbacks) {
		t.Fatalf("litellm shape: %v %v", cfg2.Fallbacks, err)
	}
}

// The fallback chain (6.4): gpt4-prod fails with 500s (retried in its
// group), then gpt35-backup, then claude-prod answers; in that order.
func TestGuideRouterFallbackOrder(t *testing.T) {
	oa, an := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t)
	oa.SetDefault(llmtest.Reply{Status: 500})
	an.SetDefault(llmtest.Reply{Text: "Claude here", Usage: llmtest.Usage{Prompt: 10, Completion: 3}})
	cfg, err := router.ParseConfig("router.yaml", []byte(guideModelList(oa, an)))
	if err != nil {
		t.Fatal(err)
	}
	log := &agLog{}
	cfg.Callbacks = append(cfg.Callbacks, log.callback())
	clk := newAgClock()
	r, err := router.New(cfg, router.WithClock(clk), router.WithRand(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Complete(context.Background(), &llm.Request{Model: "gpt4-prod", Messages: []llm.Message{llm.User("Hello")},
		Temperature: router.Float(0.7), MaxTokens: 500})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "Claude here" || resp.Model != "claude-3-opus-20240229" || resp.Attempts != 7 {
		t.Fatalf("resp %+v", resp)
	}
	want := []string{
		"gpt4-prod/gpt-4#1 InternalServerError", "gpt4-prod/gpt-4#2 InternalServerError", "gpt4-prod/gpt-4#3 InternalServerError",
		"gpt35-backup/gpt-3.5-turbo#4 InternalServerError", "gpt35-backup/gpt-3.5-turbo#5 InternalServerError", "gpt35-backup/gpt-3.5-turbo#6 InternalServerError",
		"claude-prod/claude-3-opus-20240229#7 ok",
	}
	if got := log.get(); !reflect.DeepEqual(got, want) {
		t.Fatalf("attempts\n%v\nwant\n%v", got, want)
	}
	// temperature and max_tokens reached the provider that answered
	last, _ := an.Last()
	if last.JSON["temperature"] != 0.7 || last.JSON["max_tokens"] != 500.0 {
		t.Fatalf("anthropic body %v", last.JSON)
	}
}

// Context window fallbacks (6.4): a context-window error on gpt4-prod goes
// to gpt35-backup only, without a retry; when gpt35-backup is also too
// small the call fails with ContextWindowExceededError, claude-prod is not
// tried.
func TestGuideRouterContextWindowFallbacks(t *testing.T) {
	oa, an := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t)
	cwErr := llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "context_length_exceeded",
		ErrorMessage: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens."}
	oa.SetResponder(func(req llmtest.Request) (llmtest.Reply, bool) {
		if req.JSON["model"] == "gpt-4" {
			return cwErr, true
		}
		return llmtest.Reply{Text: "gpt-3.5 answers"}, true
	})
	cfg, err := router.ParseConfig("router.yaml", []byte(guideModelList(oa, an)))
	if err != nil {
		t.Fatal(err)
	}
	log := &agLog{}
	cfg.Callbacks = append(cfg.Callbacks, log.callback())
	r, err := router.New(cfg, router.WithClock(newAgClock()), router.WithRand(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Complete(context.Background(), agUser("gpt4-prod", "a long prompt"))
	if err != nil || resp.Message.Content != "gpt-3.5 answers" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	if got := log.get(); !reflect.DeepEqual(got, []string{"gpt4-prod/gpt-4#1 ContextWindowExceededError", "gpt35-backup/gpt-3.5-turbo#2 ok"}) {
		t.Fatalf("attempts %v", got)
	}
	oa.SetResponder(func(llmtest.Request) (llmtest.Reply, bool) { return cwErr, true })
	_, err = r.Complete(context.Background(), agUser("gpt4-prod", "a long prompt"))
	if !errors.Is(err, llm.ErrContextWindowExceeded) || an.Count() != 0 {
		t.Fatalf("err %v, claude requests %d", err, an.Count())
	}
}

// allowed_fails 3, cooldown_time 60 (6.4: "3번 실패 후 쿨다운", "60초 대기"):
// a deployment that keeps failing is cooled down once its failures exceed
// allowed_fails, skipped for 60 s, and takes calls again after.
func TestGuideRouterCooldownExpires(t *testing.T) {
	oa := llmtest.NewOpenAI(t)
	oa.SetDefault(llmtest.Reply{Status: 500})
	clk := newAgClock()
	var events []string
	r, err := router.New(router.Config{
		Deployments:  []router.Deployment{agDep("gpt4-prod", "gpt-4", oa)},
		AllowedFails: router.Int(3), CooldownTime: 60 * time.Second, NumRetries: router.Int(0),
		ServiceCallbacks: []router.ServiceCallback{func(_ context.Context, e router.Event) { events = append(events, e.EventName()) }},
	}, router.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	cooled := func() bool {
		return !r.Status()[0].CooldownUntil.IsZero() && r.Status()[0].CooldownUntil.After(clk.Now())
	}
	for i := 1; i <= 3; i++ {
		if _, err := r.Complete(context.Background(), agUser("gpt4-prod", "Hello")); !errors.Is(err, llm.ErrInternalServer) {
			t.Fatalf("call %d: %v", i, err)
		}
		if cooled() {
			t.Fatalf("cooled down after %d failures (allowed_fails 3)", i)
		}
	}
	if _, err := r.Complete(context.Background(), agUser("gpt4-prod", "Hello")); !errors.Is(err, llm.ErrInternalServer) {
		t.Fatal(err)
	}
	if !cooled() || !r.Status()[0].CooldownUntil.Equal(clk.Now().Add(60*time.Second)) {
		t.Fatalf("after 4 failures: status %+v", r.Status()[0])
	}
	n := oa.Count()
	_, err = r.Complete(context.Background(), agUser("gpt4-prod", "Hello"))
	var e *llm.Error
	if !errors.Is(err, router.ErrNoDeployments) || !errors.Is(err, llm.ErrRateLimit) || !errors.As(err, &e) ||
		e.RetryAfter != 60*time.Second || oa.Count() != n {
		t.Fatalf("during cooldown: %v (requests %d -> %d)", err, n, oa.Count())
	}
	clk.Advance(59 * time.Second)
	if _, err := r.Complete(context.Background(), agUser("gpt4-prod", "Hello")); !errors.Is(err, router.ErrNoDeployments) {
		t.Fatalf("at 59s: %v", err)
	}
	clk.Advance(time.Second)
	oa.SetDefault(llmtest.Reply{Text: "back"})
	resp, err := r.Complete(context.Background(), agUser("gpt4-prod", "Hello"))
	if err != nil || resp.Message.Content != "back" {
		t.Fatalf("after 60s: %+v %v", resp, err)
	}
	if strings.Join(events, ",") != "cooldown_started,cooldown_ended" {
		t.Fatalf("events %v", events)
	}
}

// get_available_deployment (6.2): Pick names the deployment and its model
// string without calling it.
func TestGuideRouterPick(t *testing.T) {
	oa, an := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t)
	cfg, err := router.ParseConfig("router.yaml", []byte(guideModelList(oa, an)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := router.New(cfg, router.WithClock(newAgClock()), router.WithRand(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Pick(context.Background(), agUser("gpt4-prod", "Hello"))
	if err != nil || st.Model != "gpt-4" || st.Group != "gpt4-prod" || oa.Count() != 0 {
		t.Fatalf("pick %+v %v", st, err)
	}
}

// Routing strategy names as the guide writes them (6.3).
func TestGuideRouterStrategyNames(t *testing.T) {
	for name, want := range map[string]router.Strategy{
		"simple-shuffle": router.SimpleShuffle, "least-busy": router.LeastBusy, "cost-based": router.CostBased,
		"latency-based": router.LatencyBased, "usage-based": router.UsageBased, "usage-based-v2": router.UsageBased,
		"latency-based-routing": router.LatencyBased, "": router.SimpleShuffle,
	} {
		got, err := router.ParseStrategy(name)
		if err != nil || got != want {
			t.Errorf("ParseStrategy(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	cfg, err := router.ParseConfig("r.yaml", []byte(`
model_list:
  - model_name: g
    litellm_params: {model: gpt-4, api_key: sk-test-123}
router_settings:
  routing_strategy: latency-based-routing
  routing_strategy_args: {window_size: 100}
`))
	if err != nil || cfg.Strategy != router.LatencyBased || cfg.StrategyArgs.LatencyWindow != 100 {
		t.Fatalf("cfg %+v %v", cfg.StrategyArgs, err)
	}
}

// cost-based: the cheaper deployment of a group answers (gpt-3.5-turbo
// over gpt-4).
func TestGuideRouterCostBased(t *testing.T) {
	oa := llmtest.NewOpenAI(t)
	r, err := router.New(router.Config{Strategy: router.CostBased, Deployments: []router.Deployment{
		agDep("chat", "gpt-4", oa), agDep("chat", "gpt-3.5-turbo", oa)}}, router.WithClock(newAgClock()), router.WithRand(func() float64 { return 0.1 }))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		resp, err := r.Complete(context.Background(), agUser("chat", "Hello"))
		if err != nil || resp.Model != "gpt-3.5-turbo" {
			t.Fatalf("resp %+v %v", resp, err)
		}
	}
}

// rpm_limit (6.1): a deployment at its requests-per-minute limit is
// skipped; when every deployment is at its limit the call is a rate limit
// naming the wait, and the next minute takes calls again.
func TestGuideRouterRPMLimit(t *testing.T) {
	oa := llmtest.NewOpenAI(t)
	a, b := agDep("chat", "gpt-4", oa), agDep("chat", "gpt-4o", oa)
	a.RPM, b.RPM = 1, 1
	clk := newAgClock()
	r, err := router.New(router.Config{Strategy: router.UsageBased, Deployments: []router.Deployment{a, b}},
		router.WithClock(clk), router.WithRand(func() float64 { return 0.1 }))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 2 {
		resp, err := r.Complete(context.Background(), agUser("chat", "Hello"))
		if err != nil {
			t.Fatal(err)
		}
		seen[resp.Model] = true
	}
	if !seen["gpt-4"] || !seen["gpt-4o"] {
		t.Fatalf("seen %v", seen)
	}
	_, err = r.Complete(context.Background(), agUser("chat", "Hello"))
	var e *llm.Error
	if !errors.Is(err, llm.ErrRateLimit) || !errors.As(err, &e) || e.RetryAfter != 30*time.Second || oa.Count() != 2 {
		t.Fatalf("third call: %v (requests %d)", err, oa.Count())
	}
	clk.Advance(30 * time.Second)
	if _, err := r.Complete(context.Background(), agUser("chat", "Hello")); err != nil {
		t.Fatalf("next minute: %v", err)
	}
}

// latency-based: after one sample each, the faster deployment answers.
func TestGuideRouterLatencyBased(t *testing.T) {
	fast, slow := llmtest.NewOpenAI(t), llmtest.NewOpenAI(t)
	fast.SetDefault(llmtest.Reply{Text: "fast", Usage: llmtest.Usage{Prompt: 5, Completion: 10}})
	slow.SetDefault(llmtest.Reply{Text: "slow", Delay: 150 * time.Millisecond, Usage: llmtest.Usage{Prompt: 5, Completion: 10}})
	r, err := router.New(router.Config{Strategy: router.LatencyBased, Deployments: []router.Deployment{
		agDep("chat", "gpt-4", slow), agDep("chat", "gpt-4o", fast)}}, router.WithRand(func() float64 { return 0.1 }))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for range 6 {
		resp, err := r.Complete(context.Background(), agUser("chat", "Hello"))
		if err != nil {
			t.Fatal(err)
		}
		got[resp.Message.Content]++
	}
	if slow.Count() > 1 || got["fast"] < 5 {
		t.Fatalf("answers %v (slow requests %d)", got, slow.Count())
	}
}

// least-busy: with one request in flight on a deployment, the next goes to
// the idle one.
func TestGuideRouterLeastBusy(t *testing.T) {
	a, b := llmtest.NewOpenAI(t), llmtest.NewOpenAI(t)
	a.SetDefault(llmtest.Reply{Text: "a", Delay: 300 * time.Millisecond})
	b.SetDefault(llmtest.Reply{Text: "b", Delay: 300 * time.Millisecond})
	r, err := router.New(router.Config{Strategy: router.LeastBusy, Deployments: []router.Deployment{
		agDep("chat", "gpt-4", a), agDep("chat", "gpt-4o", b)}}, router.WithRand(func() float64 { return 0.1 }))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	go func() {
		resp, err := r.Complete(context.Background(), agUser("chat", "Hello"))
		if err != nil {
			done <- err.Error()
			return
		}
		done <- resp.Message.Content
	}()
	deadline := time.Now().Add(2 * time.Second)
	for a.Count()+b.Count() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	st := r.Status()
	if st[0].InFlight+st[1].InFlight != 1 {
		t.Fatalf("in flight %d %d", st[0].InFlight, st[1].InFlight)
	}
	resp, err := r.Complete(context.Background(), agUser("chat", "Hello"))
	if err != nil {
		t.Fatal(err)
	}
	first := <-done
	if first == resp.Message.Content {
		t.Fatalf("both calls went to %q", first)
	}
}
