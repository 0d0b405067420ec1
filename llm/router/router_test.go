package router

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
)

// gauge counts a deployment's concurrent calls and its peak.
type gauge struct{ cur, peak, total atomic.Int32 }

func (g *gauge) model(delay time.Duration) *fake {
	return &fake{fn: func(ctx context.Context, _ *llm.Request, _ int) (*llm.Response, error) {
		n := g.cur.Add(1)
		g.total.Add(1)
		for {
			p := g.peak.Load()
			if n <= p || g.peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(delay)
		g.cur.Add(-1)
		return reply("x"), nil
	}}
}

func TestConcurrentCallsRespectLimits(t *testing.T) {
	for _, st := range []Strategy{LeastBusy, UsageBased} {
		t.Run(string(st), func(t *testing.T) {
			clk := newFakeClock() // frozen: one rpm window for the whole test
			gs := make([]*gauge, 4)
			var ds []Deployment
			for i := range gs {
				gs[i] = &gauge{}
				d := dep("g", string(rune('a'+i)), gs[i].model(time.Millisecond))
				d.MaxParallelRequests = 3
				d.RPM = 45
				ds = append(ds, d)
			}
			r := newRouter(t, Config{Deployments: ds, Strategy: st}, clk)
			var wg sync.WaitGroup
			var ok, limited atomic.Int32
			for i := 0; i < 200; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := r.Complete(context.Background(), userReq("g", "hi"))
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, ErrNoDeployments) && errKind(err) == llm.ErrRateLimit:
						limited.Add(1)
					default:
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			// 4 deployments x 45 rpm: exactly 180 calls fit this minute
			if ok.Load() != 180 || limited.Load() != 20 {
				t.Fatalf("ok %d limited %d", ok.Load(), limited.Load())
			}
			for i, g := range gs {
				if g.peak.Load() > 3 || g.total.Load() != 45 {
					t.Fatalf("deployment %d: peak %d total %d", i, g.peak.Load(), g.total.Load())
				}
			}
			for _, s := range r.Status() {
				if s.InFlight != 0 || s.RPM != 45 {
					t.Fatalf("status %+v", s)
				}
			}
		})
	}
}

func TestBudgets(t *testing.T) {
	clk := newFakeClock()
	a := okModel("a", "x")
	d := dep("g", "a", a)
	d.Params.InputCostPerToken, d.Params.OutputCostPerToken = 0.01, 0.02 // 10*0.01 + 5*0.02 = $0.20 per call
	r := newRouter(t, Config{Deployments: []Deployment{d}, Budget: &Budget{MaxBudget: 0.5, Period: time.Hour}}, clk)
	for i := 0; i < 3; i++ {
		if _, err := r.Complete(context.Background(), userReq("g", "hi")); err != nil {
			t.Fatal(err)
		}
	}
	_, err := r.Complete(context.Background(), userReq("g", "hi"))
	var be *BudgetError
	if errKind(err) != llm.ErrBudgetExceeded || !errors.As(err, &be) || a.Calls() != 3 {
		t.Fatalf("err %v calls %d", err, a.Calls())
	}
	if be.Scope != "router" || be.Limit != 0.5 || be.Spent < 0.5999 || be.Spent > 0.6001 || be.ResetIn != time.Hour {
		t.Fatalf("budget error %+v", be)
	}
	clk.Advance(time.Hour)
	if _, err := r.Complete(context.Background(), userReq("g", "hi")); err != nil {
		t.Fatalf("after the period: %v", err)
	}

	// provider budgets exclude that provider's deployments only
	oa := okModel("oa", "x")
	an := okModel("an", "x")
	d1 := Deployment{Group: "g", ID: "oa", Provider: "openai", Model: oa, Params: llm.Params{Model: "x", InputCostPerToken: 0.01}}
	d2 := Deployment{Group: "g", ID: "an", Provider: "anthropic", Model: an, Params: llm.Params{Model: "y"}, Order: 2}
	r = newRouter(t, Config{Deployments: []Deployment{d1, d2}, ProviderBudgets: map[string]Budget{"openai": {MaxBudget: 0.1, Period: 24 * time.Hour}}}, clk)
	for _, want := range []string{"oa", "an", "an"} {
		resp, err := r.Complete(context.Background(), userReq("g", "hi"))
		if err != nil || resp.Deployment != want {
			t.Fatalf("resp %+v err %v, want %s", resp, err, want)
		}
	}
	total, by := r.Spend()
	if by["openai"] < 0.0999 || total < 0.0999 {
		t.Fatalf("spend %v %v", total, by)
	}
	// every deployment over budget
	r = newRouter(t, Config{Deployments: []Deployment{d1}, ProviderBudgets: map[string]Budget{"openai": {MaxBudget: 0.1}}}, clk)
	r.Complete(context.Background(), userReq("g", "hi"))
	_, err = r.Complete(context.Background(), userReq("g", "hi"))
	if errKind(err) != llm.ErrBudgetExceeded || !errors.As(err, &be) || be.Scope != "provider openai" {
		t.Fatalf("err %v", err)
	}
}

func TestCallbacks(t *testing.T) {
	clk := newFakeClock()
	a := script("a", httpErr(llm.ErrInternalServer, 500))
	b := &fake{fn: func(_ context.Context, req *llm.Request, _ int) (*llm.Response, error) {
		return reply("model saw: " + req.Messages[len(req.Messages)-1].Content), nil
	}}
	var seen []string
	cb := llm.CallbackFuncs{
		Input: func(_ context.Context, info *llm.CallInfo) error {
			seen = append(seen, "input "+info.Deployment+" "+info.Model)
			info.Request.Messages = append(info.Request.Messages, llm.User("added by callback"))
			return nil
		},
		Success: func(_ context.Context, info *llm.CallInfo, resp *llm.Response) {
			seen = append(seen, "success "+info.Deployment+" "+resp.Message.Content)
		},
		Failure: func(_ context.Context, info *llm.CallInfo, err error) {
			seen = append(seen, "failure "+info.Deployment+" "+string(errKind(err)))
		},
	}
	panicky := llm.CallbackFuncs{
		Input:   func(context.Context, *llm.CallInfo) error { panic("boom") },
		Success: func(context.Context, *llm.CallInfo, *llm.Response) { panic("boom") },
		Failure: func(context.Context, *llm.CallInfo, error) { panic("boom") },
	}
	r := newRouter(t, Config{Deployments: []Deployment{dep("p", "a", a), dep("f", "b", b)}, NumRetries: Int(0),
		Fallbacks: map[string][]string{"p": {"f"}}, Callbacks: []llm.Callback{panicky, cb}}, clk)
	req := userReq("p", "hi")
	resp, err := r.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"input a test/a", "failure a InternalServerError", "input b test/b", "success b model saw: added by callback"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("seen %q", seen)
	}
	if len(req.Messages) != 1 {
		t.Fatal("the caller's request was modified")
	}
	if resp.Message.Meta == nil || resp.Message.Meta.Deployment != "b" {
		t.Fatalf("meta %+v", resp.Message.Meta)
	}

	// an input callback rejects the call
	reject := errors.New("blocked by policy")
	r = newRouter(t, Config{Deployments: []Deployment{dep("p", "a", okModel("a", "x")), dep("f", "b", b)},
		Fallbacks: map[string][]string{"p": {"f"}},
		Callbacks: []llm.Callback{llm.CallbackFuncs{Input: func(context.Context, *llm.CallInfo) error { return reject }}}}, clk)
	_, err = r.Complete(context.Background(), userReq("p", "hi"))
	if !errors.Is(err, reject) || !strings.Contains(err.Error(), "input callback rejected") {
		t.Fatalf("err %v", err)
	}
	if st := r.Status(); st[0].InFlight != 0 || st[0].RPM != 0 {
		t.Fatalf("a rejected call holds no reservation: %+v", st[0])
	}
}

func TestDefaultsFromSettings(t *testing.T) {
	m := okModel("a", "x")
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", m)}, Temperature: Float(0.7), MaxTokens: 2000}, newFakeClock())
	r.Complete(context.Background(), userReq("", "hi"))
	got := m.reqs[0]
	if got.Temperature == nil || *got.Temperature != 0.7 || got.MaxTokens != 2000 || got.Model != "test/a" {
		t.Fatalf("request %+v", got)
	}
	own := 0.1
	req := userReq("g", "hi")
	req.Temperature = &own
	r.Complete(context.Background(), req)
	if *m.reqs[1].Temperature != 0.1 {
		t.Fatal("the request's own temperature wins")
	}
}

func TestNewValidation(t *testing.T) {
	_, err := New(Config{})
	if err == nil || !strings.Contains(err.Error(), "Deployments: no deployments") {
		t.Fatalf("err %v", err)
	}
	_, err = New(Config{
		Strategy:     "fastest",
		NumRetries:   Int(-1),
		Deployments:  []Deployment{{Group: "", Params: llm.Params{Model: "x"}, Source: "cfg.yaml:3"}, {Group: "g", RPM: -2, Model: okModel("a", "")}, dep("g", "a", okModel("a", "")), dep("g", "a", okModel("a", ""))},
		Fallbacks:    map[string][]string{"g": {"missing"}},
		DefaultGroup: "g",
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`Strategy: unknown routing strategy "fastest"`,
		"NumRetries: must be >= 0, got -1",
		"Deployments[0].Group: empty model group name (declared at cfg.yaml:3)",
		"Deployments[1].RPM: must be >= 0, got -2",
		`Deployments[3].ID: duplicate deployment id "a" (also Deployments[2])`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatal("not a *ConfigError")
	}
	_, err = New(Config{Deployments: []Deployment{dep("g", "a", okModel("a", ""))}, Fallbacks: map[string][]string{"g": {"missing"}}})
	if err == nil || !strings.Contains(err.Error(), `Fallbacks[g]: fallback to unknown model group "missing" (known: g)`) {
		t.Fatalf("err %v", err)
	}
	// ids derived from params are stable and never show the key
	d1 := Deployment{Group: "g", Params: llm.Params{Model: "m", APIKey: "sk-secret-1"}, Model: okModel("a", "")}
	d2 := d1
	r := newRouter(t, Config{Deployments: []Deployment{d1, d2}}, nil)
	st := r.Status()
	if st[0].ID == "" || st[1].ID != st[0].ID+"-2" || strings.Contains(st[0].ID, "secret") {
		t.Fatalf("ids %q %q", st[0].ID, st[1].ID)
	}
	if deploymentID(d1) != st[0].ID {
		t.Fatal("id not deterministic")
	}
}

func TestBuildsModelsFromParams(t *testing.T) {
	r, err := New(Config{Deployments: []Deployment{{Group: "g", Params: llm.Params{Model: "ollama/llama3", APIBase: "http://127.0.0.1:1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Status(); st[0].Provider != "ollama" || st[0].Model != "ollama/llama3" {
		t.Fatalf("status %+v", st)
	}
	_, err = New(Config{Deployments: []Deployment{{Group: "g", Params: llm.Params{Model: "nosuchprovider/x"}}}})
	if err == nil || !strings.Contains(err.Error(), `Deployments[0].Params: cannot build model "nosuchprovider/x"`) {
		t.Fatalf("err %v", err)
	}
}

func TestLangchainModel(t *testing.T) {
	m := &fake{fn: func(_ context.Context, req *llm.Request, _ int) (*llm.Response, error) {
		if req.MaxTokens != 50 || len(req.Messages) != 2 || req.Messages[0].Role != llm.RoleSystem {
			return nil, errors.New("unexpected request")
		}
		if req.Stream != nil {
			req.Stream(context.Background(), llm.Chunk{Text: "strea"})
			req.Stream(context.Background(), llm.Chunk{Text: "med"})
		}
		return &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, Content: "streamed",
			ToolCalls: []llm.ToolCall{{ID: "c1", Name: "f", Arguments: "{}"}}}, FinishReason: llm.FinishToolCalls,
			Usage: llm.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}}, nil
	}}
	r := newRouter(t, Config{Deployments: []Deployment{dep("primary", "a", m), dep("other", "b", okModel("b", "other"))}}, newFakeClock())
	var model llms.Model = r
	var streamed []byte
	cr, err := model.GenerateContent(context.Background(), []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, "be brief"), llms.TextParts(llms.ChatMessageTypeHuman, "hi")},
		llms.WithMaxTokens(50), llms.WithStreamingFunc(func(_ context.Context, b []byte) error { streamed = append(streamed, b...); return nil }))
	if err != nil {
		t.Fatal(err)
	}
	ch := cr.Choices[0]
	if ch.Content != "streamed" || string(streamed) != "streamed" || ch.ToolCalls[0].FunctionCall.Name != "f" ||
		ch.GenerationInfo["Deployment"] != "a" || ch.GenerationInfo["TotalTokens"] != 5 || ch.StopReason != "tool_calls" {
		t.Fatalf("choice %+v streamed %q", ch, streamed)
	}
	out, err := r.Call(context.Background(), "hello", llms.WithModel("other"))
	if err != nil || out != "other" {
		t.Fatalf("Call: %q %v", out, err)
	}
}
