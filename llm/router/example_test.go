package router_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
)

// model adapts a function to llm.Completer (in-process stand-ins for
// providers).
type model func(ctx context.Context, req *llm.Request) (*llm.Response, error)

func (m model) Complete(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	return m(ctx, req)
}

func answer(text string) model {
	return func(context.Context, *llm.Request) (*llm.Response, error) {
		return &llm.Response{Message: llm.Assistant(text), FinishReason: llm.FinishStop,
			Usage: llm.Usage{PromptTokens: 12, CompletionTokens: 4, TotalTokens: 16}}, nil
	}
}

func failing(kind llm.Kind, status int) model {
	return func(context.Context, *llm.Request) (*llm.Response, error) {
		return nil, &llm.Error{Kind: kind, StatusCode: status, Message: "scripted"}
	}
}

// A group with two deployments and a fallback group: the first deployment
// is overloaded, the second answers without any wait.
func Example() {
	r, err := router.New(router.Config{
		Deployments: []router.Deployment{
			{Group: "primary", ID: "claude-east", Params: llm.Params{Model: "claude-sonnet-4-5"}, Model: failing(llm.ErrInternalServer, 500), Order: 1},
			{Group: "primary", ID: "claude-west", Params: llm.Params{Model: "claude-sonnet-4-5"}, Model: answer("Hello from the west."), Order: 2},
			{Group: "backup", ID: "gpt", Params: llm.Params{Model: "gpt-4o"}, Model: answer("Hello from gpt.")},
		},
		Fallbacks: map[string][]string{"primary": {"backup"}},
		Callbacks: []llm.Callback{llm.CallbackFuncs{
			Failure: func(_ context.Context, info *llm.CallInfo, err error) {
				fmt.Printf("attempt %d on %s failed: %v\n", info.Attempt, info.Deployment, errors.Unwrap(err) == nil)
			},
		}},
	})
	if err != nil {
		panic(err)
	}
	resp, err := r.Complete(context.Background(), &llm.Request{Model: "primary", Messages: []llm.Message{llm.User("Hi")}})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Deployment, resp.Attempts, resp.Message.Content)
	fmt.Printf("cost $%.6f for %d tokens\n", resp.Cost, resp.Usage.TotalTokens)
	// Output:
	// attempt 1 on claude-east failed: true
	// claude-west 2 Hello from the west.
	// cost $0.000096 for 16 tokens
}

// The user's llm_config.yaml: a chain of models and call settings. Each
// model becomes a group; the first falls back to the others in order.
func ExampleParseConfig() {
	cfg, err := router.ParseConfig("llm_config.yaml", []byte(`
models:
  primary: claude-sonnet-5-20260203
  fallback1: gpt-5.2
  fallback2: gemini/gemini-3-flash
  local: ollama/llama4
settings:
  temperature: 0.7
  max_tokens: 2000
  timeout: 30
`))
	if err != nil {
		panic(err)
	}
	for _, d := range cfg.Deployments {
		fmt.Println(d.Group, d.Params.Model)
	}
	fmt.Println("fallbacks:", cfg.Fallbacks["primary"])
	fmt.Println(cfg.Strategy, *cfg.AllowedFails, cfg.CooldownTime, *cfg.Temperature, cfg.MaxTokens, cfg.DeploymentTimeout)
	// Output:
	// primary claude-sonnet-5-20260203
	// fallback1 gpt-5.2
	// fallback2 gemini/gemini-3-flash
	// local ollama/llama4
	// fallbacks: [fallback1 fallback2 local]
	// least-busy 2 30s 0.7 2000 30s
}

// Configuration errors name the file, line, column and field.
func ExampleParseConfig_errors() {
	_, err := router.ParseConfig("router.yaml", []byte(`
model_list:
  - model_name: gpt
    litellm_params:
      model: gpt-4o
      rpm: many
router_settings:
  fallbacks: [{gpt: [claude]}]
`))
	fmt.Println(err)
	// Output:
	// router config: router.yaml:6:12: model_list[0].litellm_params.rpm: expected an integer, got "many"
	// router config: router.yaml:8:22: router_settings.fallbacks[0].gpt[0]: unknown model group "claude" (known: gpt)
}

// A stream falls back freely until its first chunk reaches the caller;
// after that a failure ends the call with the partial output.
func ExampleRouter_Complete_stream() {
	cut := model(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
		req.Stream(ctx, llm.Chunk{Text: "The answer "})
		req.Stream(ctx, llm.Chunk{Text: "is "})
		return nil, &llm.Error{Kind: llm.ErrAPIConnection, Message: "connection reset"}
	})
	r, _ := router.New(router.Config{
		Deployments: []router.Deployment{
			{Group: "g", ID: "flaky", Params: llm.Params{Model: "gpt-4o"}, Model: cut},
			{Group: "backup", ID: "other", Params: llm.Params{Model: "gpt-4o-mini"}, Model: answer("never used")},
		},
		Fallbacks: map[string][]string{"g": {"backup"}},
	})
	req := &llm.Request{Model: "g", Messages: []llm.Message{llm.User("What is the answer?")},
		Stream: func(_ context.Context, c llm.Chunk) error { fmt.Printf("chunk %q\n", c.Text); return nil }}
	_, err := r.Complete(context.Background(), req)
	var e *llm.Error
	if errors.As(err, &e) && e.Kind == llm.ErrStreamInterrupted {
		fmt.Printf("interrupted on %s; partial %q\n", e.Deployment, e.Partial.Message.Content)
	}
	// Output:
	// chunk "The answer "
	// chunk "is "
	// interrupted on flaky; partial "The answer is "
}

// When every deployment is cooling down the call fails with the time to
// wait, or waits when asked to (here on a clock that does not really sleep).
func ExampleCallOptions_waitForCooldown() {
	calls := 0
	flaky := model(func(context.Context, *llm.Request) (*llm.Response, error) {
		calls++
		if calls == 1 {
			return nil, &llm.Error{Kind: llm.ErrAuthentication, StatusCode: 401, Message: "key rotated"}
		}
		return answer("back again")(context.Background(), nil)
	})
	clk := &manualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r, _ := router.New(router.Config{
		Deployments:  []router.Deployment{{Group: "g", ID: "only", Params: llm.Params{Model: "gpt-4o"}, Model: flaky}},
		CooldownTime: 20 * time.Second,
	}, router.WithClock(clk))
	req := &llm.Request{Model: "g", Messages: []llm.Message{llm.User("Hi")}}
	_, err := r.Complete(context.Background(), req)
	fmt.Println(err)
	_, err = r.Complete(context.Background(), req)
	fmt.Println(errors.Is(err, router.ErrNoDeployments), err)
	wait := true
	resp, _ := r.Complete(router.WithCallOptions(context.Background(), router.CallOptions{WaitForCooldown: &wait}), req)
	fmt.Println(resp.Message.Content, "after", resp.Latency)
	// Output:
	// AuthenticationError (openai gpt-4o, deployment only): status 401: key rotated
	// true RateLimitError (g): no deployments available for model group "g": 1 cooling down; try again in 20s (retry after 20s)
	// back again after 20s
}

type manualClock struct{ now time.Time }

func (c *manualClock) Now() time.Time { return c.now }
func (c *manualClock) Sleep(_ context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return nil
}
func (c *manualClock) AfterFunc(time.Duration, func()) func() bool {
	return func() bool { return true }
}

// Budgets stop spending before the call is made.
func ExampleBudget() {
	r, _ := router.New(router.Config{
		Deployments: []router.Deployment{{Group: "g", ID: "gpt", Model: answer("ok"),
			Params: llm.Params{Model: "gpt-4o", InputCostPerToken: 0.001, OutputCostPerToken: 0.002}}},
		Budget: &router.Budget{MaxBudget: 0.05, Period: 24 * time.Hour},
	})
	req := &llm.Request{Model: "g", Messages: []llm.Message{llm.User("Hi")}}
	for i := 0; i < 4; i++ {
		resp, err := r.Complete(context.Background(), req)
		if err != nil {
			var be *router.BudgetError
			errors.As(err, &be)
			fmt.Printf("call %d: %s (spent $%.3f of $%.2f)\n", i+1, llm.ErrBudgetExceeded, be.Spent, be.Limit)
			continue
		}
		fmt.Printf("call %d: $%.3f\n", i+1, resp.Cost)
	}
	// Output:
	// call 1: $0.020
	// call 2: $0.020
	// call 3: $0.020
	// call 4: BudgetExceededError (spent $0.060 of $0.05)
}

// The Router is a langchaingo llms.Model.
func ExampleRouter_GenerateContent() {
	r, _ := router.New(router.Config{Deployments: []router.Deployment{
		{Group: "primary", ID: "a", Params: llm.Params{Model: "gpt-4o"}, Model: answer("Hi there.")},
	}})
	var m llms.Model = r
	out, err := llms.GenerateFromSinglePrompt(context.Background(), m, "Hello")
	fmt.Println(out, err)
	// Output:
	// Hi there. <nil>
}

// Routing strategies pick among a group's healthy deployments. Cost-based
// routing takes the cheapest deployment that is under its rpm/tpm limits;
// WithRand makes the random strategies reproducible.
func ExampleStrategy() {
	dep := func(id string, in, out float64, rpm int) router.Deployment {
		return router.Deployment{Group: "chat", ID: id, RPM: rpm, Model: answer("from " + id),
			Params: llm.Params{Model: "gpt-4o", InputCostPerToken: in, OutputCostPerToken: out}}
	}
	r, _ := router.New(router.Config{
		Strategy: router.CostBased,
		Deployments: []router.Deployment{
			dep("premium", 5e-6, 15e-6, 0),
			dep("budget", 0.15e-6, 0.6e-6, 2), // two requests a minute
			dep("standard", 2.5e-6, 10e-6, 0),
		},
	}, router.WithRand(func() float64 { return 0 }))
	for i := 0; i < 4; i++ {
		resp, _ := r.Complete(context.Background(), &llm.Request{Model: "chat", Messages: []llm.Message{llm.User("Hi")}})
		fmt.Println(resp.Message.Content)
	}
	// Output:
	// from budget
	// from budget
	// from standard
	// from standard
}

// Pick tells which deployment would answer now, without calling it.
func ExampleRouter_Pick() {
	r, err := router.New(router.Config{
		Deployments: []router.Deployment{
			{Group: "chat", ID: "primary", Order: 1, Params: llm.Params{Model: "gpt-4o"}, Model: answer("hi")},
			{Group: "chat", ID: "backup", Order: 2, Params: llm.Params{Model: "claude-sonnet-4-5"}, Model: answer("hi")},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := r.Pick(context.Background(), &llm.Request{Model: "chat", Messages: []llm.Message{llm.User("Hello")}})
	fmt.Println(st.ID, st.Model, err)
	// Output: primary gpt-4o <nil>
}

// Service callbacks see cooldowns, unavailable deployments, budgets and
// fallbacks as typed events.
func ExampleServiceCallback() {
	r, err := router.New(router.Config{
		Deployments: []router.Deployment{
			{Group: "primary", ID: "claude", Params: llm.Params{Model: "claude-sonnet-4-5"}, Model: failing(llm.ErrAuthentication, 401)},
			{Group: "local", ID: "ollama", Params: llm.Params{Model: "ollama/llama4"}, Model: answer("hello")},
		},
		Fallbacks: map[string][]string{"primary": {"local"}},
		ServiceCallbacks: []router.ServiceCallback{func(_ context.Context, e router.Event) {
			switch e := e.(type) {
			case *router.CooldownStarted:
				fmt.Println("cooldown:", e.Deployment, "for", e.Until.Sub(e.At), "after", e.Cause.(*llm.Error).Kind)
			case *router.FallbackTaken:
				fmt.Println("fallback:", e.From, "->", e.To)
			}
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := r.Complete(context.Background(), &llm.Request{Model: "primary", Messages: []llm.Message{llm.User("Hi")}})
	fmt.Println(resp.Message.Content, err)
	// Output:
	// cooldown: claude for 5s after AuthenticationError
	// fallback: primary -> local
	// hello <nil>
}

// Streaming as an iterator: the first group fails before any chunk, so the
// fallback answers; the loop reads the chunks, then the whole response.
func ExampleRouter_Stream() {
	words := model(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
		for _, w := range []string{"1, ", "2, ", "3"} {
			if err := req.Stream(ctx, llm.Chunk{Text: w}); err != nil {
				return nil, err
			}
		}
		return &llm.Response{Message: llm.Assistant("1, 2, 3"), FinishReason: llm.FinishStop,
			Usage: llm.Usage{PromptTokens: 9, CompletionTokens: 5, TotalTokens: 14}}, nil
	})
	r, _ := router.New(router.Config{
		Deployments: []router.Deployment{
			{Group: "primary", ID: "claude", Params: llm.Params{Model: "claude-sonnet-4-5"}, Model: failing(llm.ErrServiceUnavailable, 503)},
			{Group: "fallback1", ID: "gpt", Params: llm.Params{Model: "gpt-4o"}, Model: words},
		},
		Fallbacks:  map[string][]string{"primary": {"fallback1"}},
		NumRetries: router.Int(0),
	})
	req := &llm.Request{Model: "primary", Messages: []llm.Message{llm.User("1부터 3까지 세어줘")}}
	for c, err := range r.Stream(context.Background(), req) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		if c.Response != nil {
			fmt.Printf("\n[done] %s, %d tokens\n", c.Response.Deployment, c.Response.Usage.TotalTokens)
			continue
		}
		fmt.Print(c.Text)
	}
	// Output:
	// 1, 2, 3
	// [done] gpt, 14 tokens
}
