package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
)

type eventLog struct {
	mu sync.Mutex
	ev []Event
}

func (l *eventLog) add(_ context.Context, e Event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

func (l *eventLog) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.ev {
		out = append(out, e.EventName())
	}
	return out
}

// Service events (LiteLLM's service_callback) with typed payloads.
func TestServiceEvents(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "")
	clk := newFakeClock()
	log := &eventLog{}
	a := script("a", httpErr(llm.ErrAuthentication, 401))
	f := dep("f", "f", okModel("f", "from f"))
	f.Params.InputCostPerToken = 0.01
	r := newRouter(t, Config{
		Deployments: []Deployment{dep("p", "a", a), f,
			{Group: "nokey", ID: "claude", Params: llm.Params{Model: "claude-sonnet-4-5"}}},
		Fallbacks:        map[string][]string{"p": {"f"}},
		Budget:           &Budget{MaxBudget: 0.05, Period: time.Hour},
		ServiceCallbacks: []ServiceCallback{log.add},
	}, clk, WithLogger(slog.New(slog.DiscardHandler)))
	start := clk.Now()
	if got := log.names(); fmt.Sprint(got) != "[deployment_unavailable]" {
		t.Fatalf("after New: %v", got)
	}
	resp, err := r.Complete(context.Background(), userReq("p", "hi"))
	if err != nil || resp.Deployment != "f" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	clk.Advance(DefaultCooldownTime)
	want := "[deployment_unavailable cooldown_started fallback_taken budget_reached cooldown_ended]"
	if got := log.names(); fmt.Sprint(got) != want {
		t.Fatalf("events %v, want %s", got, want)
	}
	ev := log.ev
	if u := ev[0].(*DeploymentUnavailable); u.Group != "nokey" || u.Deployment != "claude" || !errors.Is(u.Err, llm.ErrAuthentication) {
		t.Errorf("unavailable %+v", u)
	}
	if c := ev[1].(*CooldownStarted); c.Deployment != "a" || c.Group != "p" || !c.At.Equal(start) ||
		!c.Until.Equal(start.Add(DefaultCooldownTime)) || !errors.Is(c.Cause, llm.ErrAuthentication) {
		t.Errorf("cooldown started %+v", c)
	}
	if fb := ev[2].(*FallbackTaken); fb.From != "p" || fb.To != "f" || fb.Depth != 1 || !errors.Is(fb.Err, llm.ErrAuthentication) {
		t.Errorf("fallback %+v", fb)
	}
	if b := ev[3].(*BudgetReached); b.Scope != "router" || b.Limit != 0.05 || b.Spent < 0.05 || b.ResetIn != time.Hour {
		t.Errorf("budget %+v", b)
	}
	if e := ev[4].(*CooldownEnded); e.Deployment != "a" || !e.At.Equal(start.Add(DefaultCooldownTime)) {
		t.Errorf("cooldown ended %+v", e)
	}

	// the budget is reported once per window, not on every later spend
	r.Complete(context.Background(), userReq("f", "hi"))
	if n := len(log.names()); n != 5 {
		t.Fatalf("events after a second call over budget: %v", log.names())
	}
}

// A cooldown extended before it ended ends once, at its new end.
func TestCooldownEndedOnceWhenExtended(t *testing.T) {
	clk := newFakeClock()
	log := &eventLog{}
	a := script("a", httpErr(llm.ErrRateLimit, 429))
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", a), dep("g", "b", okModel("b", "x"))},
		NumRetries: Int(0), Strategy: LeastBusy, ServiceCallbacks: []ServiceCallback{log.add}}, clk, WithRand(seqRand(0.99)))
	r.Complete(context.Background(), userReq("g", "hi"))
	clk.Advance(3 * time.Second)
	// a is cooling; cool it again directly as another failure would
	r.failed(context.Background(), r.groups["g"], r.groups["g"].deps[0], nil, httpErr(llm.ErrRateLimit, 429), clk.Now(), false)
	clk.Advance(3 * time.Second) // the first cooldown's end: extended, no event
	if got := fmt.Sprint(log.names()); got != "[cooldown_started cooldown_started]" {
		t.Fatalf("events %s", got)
	}
	clk.Advance(3 * time.Second)
	if got := fmt.Sprint(log.names()); got != "[cooldown_started cooldown_started cooldown_ended]" {
		t.Fatalf("events %s", got)
	}
}
