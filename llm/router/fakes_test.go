package router

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is the manual clock of llmtest, started at 12:00 on
// 2026-03-01.
type fakeClock = llmtest.Clock

func newFakeClock() *fakeClock {
	return llmtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

// seqRand returns the given values in turn, repeating the last.
func seqRand(vals ...float64) func() float64 {
	i := 0
	return func() float64 {
		v := vals[min(i, len(vals)-1)]
		i++
		return v
	}
}

// fake is a scripted in-process Completer.
type fake struct {
	name string
	mu   sync.Mutex
	n    int
	fn   func(ctx context.Context, req *llm.Request, n int) (*llm.Response, error)
	reqs []llm.Request
}

func (f *fake) Complete(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.reqs = append(f.reqs, *req)
	f.mu.Unlock()
	return f.fn(ctx, req, n)
}

func (f *fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func reply(text string) *llm.Response {
	return &llm.Response{Message: llm.Assistant(text), FinishReason: llm.FinishStop,
		Usage: llm.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}}
}

// okModel always answers text.
func okModel(name, text string) *fake {
	return &fake{name: name, fn: func(context.Context, *llm.Request, int) (*llm.Response, error) {
		return reply(text), nil
	}}
}

// script answers the n-th call with steps[n-1] (the last step repeats);
// a nil error step answers "ok from <name>".
func script(name string, steps ...error) *fake {
	return &fake{name: name, fn: func(_ context.Context, _ *llm.Request, n int) (*llm.Response, error) {
		err := steps[min(n, len(steps))-1]
		if err != nil {
			return nil, err
		}
		return reply("ok from " + name), nil
	}}
}

func httpErr(kind llm.Kind, status int) *llm.Error {
	return &llm.Error{Kind: kind, StatusCode: status, Message: "scripted failure"}
}

func dep(group, id string, m llm.Completer) Deployment {
	return Deployment{Group: group, ID: id, Params: llm.Params{Model: "test/" + id}, Model: m}
}

func newRouter(t *testing.T, cfg Config, clk Clock, opts ...Option) *Router {
	t.Helper()
	if clk != nil {
		opts = append(opts, WithClock(clk))
	}
	r, err := New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func userReq(group, text string) *llm.Request {
	return &llm.Request{Model: group, Messages: []llm.Message{llm.User(text)}}
}

// attemptLog records every attempt seen by callbacks.
type attemptLog struct {
	mu   sync.Mutex
	rows []attemptRow
}

type attemptRow struct {
	Group, Deployment string
	Attempt, Depth    int
	Wait              time.Duration
	Kind              llm.Kind // "" on success
}

func (l *attemptLog) callback() llm.Callback {
	return llm.CallbackFuncs{
		Success: func(_ context.Context, info *llm.CallInfo, _ *llm.Response) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.rows = append(l.rows, attemptRow{info.Group, info.Deployment, info.Attempt, info.FallbackDepth, info.Wait, ""})
		},
		Failure: func(_ context.Context, info *llm.CallInfo, err error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			var e *llm.Error
			k := llm.Kind("?")
			if errors.As(err, &e) {
				k = e.Kind
			}
			l.rows = append(l.rows, attemptRow{info.Group, info.Deployment, info.Attempt, info.FallbackDepth, info.Wait, k})
		},
	}
}

func (l *attemptLog) deployments() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.rows {
		out = append(out, r.Deployment)
	}
	return out
}

func errKind(err error) llm.Kind {
	var e *llm.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func cooling(r *Router, id string) bool {
	for _, s := range r.Status() {
		if s.ID == id {
			return !s.CooldownUntil.IsZero()
		}
	}
	return false
}
