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

// streamer streams words, then fails with err after failAfter chunks when
// err is set (failAfter < 0: never).
func streamer(words []string, failAfter int, err error) *fake {
	return &fake{fn: func(ctx context.Context, req *llm.Request, _ int) (*llm.Response, error) {
		for i, w := range words {
			if i == failAfter {
				return nil, err
			}
			if req.Stream != nil {
				if e := req.Stream(ctx, llm.Chunk{Text: w}); e != nil {
					return nil, e
				}
			}
		}
		if failAfter >= len(words) {
			return nil, err
		}
		u := llm.Usage{PromptTokens: 4, CompletionTokens: len(words), TotalTokens: 4 + len(words)}
		if req.Stream != nil {
			req.Stream(ctx, llm.Chunk{Usage: &u, FinishReason: llm.FinishStop})
		}
		return &llm.Response{Message: llm.Assistant(strings.Join(words, "")), Usage: u, FinishReason: llm.FinishStop}, nil
	}}
}

type collector struct{ chunks []string }

func (c *collector) fn(_ context.Context, ch llm.Chunk) error {
	if ch.Text != "" {
		c.chunks = append(c.chunks, ch.Text)
	}
	return nil
}

func TestStreamFallsBackBeforeTheFirstChunk(t *testing.T) {
	a := streamer([]string{"never"}, 0, &llm.Error{Kind: llm.ErrServiceUnavailable, StatusCode: 503})
	b := streamer([]string{"Hel", "lo"}, -1, nil)
	r := newRouter(t, Config{Deployments: []Deployment{dep("p", "a", a), dep("f", "b", b)}, NumRetries: Int(0),
		Fallbacks: map[string][]string{"p": {"f"}}}, newFakeClock())
	var c collector
	req := userReq("p", "hi")
	req.Stream = c.fn
	resp, err := r.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.chunks, []string{"Hel", "lo"}) || resp.Deployment != "b" || resp.Message.Content != "Hello" || resp.Attempts != 2 {
		t.Fatalf("chunks %v resp %+v", c.chunks, resp)
	}
}

func TestStreamFailureAfterFirstChunkCarriesPartialOutput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cause error
		kind  llm.Kind
	}{
		{"connection cut", &llm.Error{Kind: llm.ErrAPIConnection, Message: "unexpected EOF"}, llm.ErrAPIConnection},
		{"in-band error event", &llm.StreamError{Type: "overloaded_error", Message: "Overloaded"}, llm.ErrRateLimit},
		{"malformed chunk", &llm.Error{Kind: llm.ErrAPI, Message: "malformed chunk: invalid character"}, llm.ErrAPI},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := streamer([]string{"The ", "answer ", "is"}, 2, tc.cause)
			b := streamer([]string{"never"}, -1, nil)
			log := &attemptLog{}
			r := newRouter(t, Config{Deployments: []Deployment{dep("p", "a", a), dep("p", "a2", b), dep("f", "b", b)},
				Strategy: LeastBusy, Fallbacks: map[string][]string{"p": {"f"}}, Callbacks: []llm.Callback{log.callback()}},
				newFakeClock(), WithRand(seqRand(0.99)))
			var c collector
			req := userReq("p", "hi")
			req.Stream = c.fn
			_, err := r.Complete(context.Background(), req)
			var e *llm.Error
			if !errors.As(err, &e) || e.Kind != llm.ErrStreamInterrupted {
				t.Fatalf("err = %v", err)
			}
			if e.Partial == nil || e.Partial.Message.Content != "The answer " || e.Partial.Deployment != "a" {
				t.Fatalf("partial %+v", e.Partial)
			}
			if !reflect.DeepEqual(c.chunks, []string{"The ", "answer "}) || b.Calls() != 0 {
				t.Fatalf("chunks %v, other calls %d", c.chunks, b.Calls())
			}
			var cause *llm.Error
			if !errors.As(e.Err, &cause) || cause.Kind != tc.kind {
				t.Fatalf("cause %v", e.Err)
			}
			if len(log.rows) != 1 || log.rows[0].Kind != llm.ErrStreamInterrupted {
				t.Fatalf("attempts %+v", log.rows)
			}
		})
	}
}

func TestStreamCallerErrorEndsTheCall(t *testing.T) {
	a := streamer([]string{"a", "b", "c"}, -1, nil)
	other := streamer([]string{"x"}, -1, nil)
	r := newRouter(t, Config{Deployments: []Deployment{dep("p", "a", a), dep("f", "b", other)},
		Fallbacks: map[string][]string{"p": {"f"}}}, newFakeClock())
	stop := errors.New("enough")
	req := userReq("p", "hi")
	n := 0
	req.Stream = func(context.Context, llm.Chunk) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	}
	_, err := r.Complete(context.Background(), req)
	if !errors.Is(err, stop) || other.Calls() != 0 || a.Calls() != 1 {
		t.Fatalf("err %v calls %d/%d", err, a.Calls(), other.Calls())
	}
	if cooling(r, "a") {
		t.Fatal("the caller's error is not the deployment's")
	}
}

func TestStreamFirstChunkTimeoutRetriesElsewhere(t *testing.T) {
	stall := &fake{fn: func(ctx context.Context, req *llm.Request, _ int) (*llm.Response, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	ok := streamer([]string{"fast"}, -1, nil)
	ds := []Deployment{dep("g", "slow", stall), dep("g", "ok", ok)}
	ds[0].StreamTimeout = 20 * time.Millisecond
	log := &attemptLog{}
	r := newRouter(t, Config{Deployments: ds, Strategy: LeastBusy, Callbacks: []llm.Callback{log.callback()}}, nil,
		WithRand(seqRand(0.99)))
	var c collector
	req := userReq("g", "hi")
	req.Stream = c.fn
	resp, err := r.Complete(context.Background(), req)
	if err != nil || resp.Deployment != "ok" || !reflect.DeepEqual(c.chunks, []string{"fast"}) {
		t.Fatalf("resp %+v err %v chunks %v", resp, err, c.chunks)
	}
	if log.rows[0].Kind != llm.ErrTimeout || log.rows[0].Deployment != "slow" {
		t.Fatalf("attempts %+v", log.rows)
	}
}

func TestStreamStallAfterFirstChunk(t *testing.T) {
	stall := &fake{fn: func(ctx context.Context, req *llm.Request, _ int) (*llm.Response, error) {
		if err := req.Stream(ctx, llm.Chunk{Text: "partial"}); err != nil {
			return nil, err
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	d := dep("g", "s", stall)
	d.StreamTimeout = 20 * time.Millisecond
	r := newRouter(t, Config{Deployments: []Deployment{d}}, nil)
	var c collector
	req := userReq("g", "hi")
	req.Stream = c.fn
	_, err := r.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrStreamInterrupted || e.Partial.Message.Content != "partial" {
		t.Fatalf("err %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stream stalled") {
		t.Fatalf("cause: %v", err)
	}
}

func TestStreamWatchdogWithManualClock(t *testing.T) {
	clk := newFakeClock()
	// chunks every 3s with a 5s stream timeout: no stall
	m := &fake{fn: func(ctx context.Context, req *llm.Request, _ int) (*llm.Response, error) {
		for _, w := range []string{"a", "b", "c"} {
			clk.Advance(3 * time.Second)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			req.Stream(ctx, llm.Chunk{Text: w})
		}
		return reply("abc"), nil
	}}
	d := dep("g", "m", m)
	d.StreamTimeout = 5 * time.Second
	r := newRouter(t, Config{Deployments: []Deployment{d}}, clk)
	var c collector
	req := userReq("g", "hi")
	req.Stream = c.fn
	if _, err := r.Complete(context.Background(), req); err != nil || len(c.chunks) != 3 {
		t.Fatalf("err %v chunks %v", err, c.chunks)
	}
}

func TestStreamFromANonStreamingDeployment(t *testing.T) {
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", okModel("a", "whole answer"))}}, newFakeClock())
	var got []llm.Chunk
	req := userReq("g", "hi")
	req.Stream = func(_ context.Context, ch llm.Chunk) error { got = append(got, ch); return nil }
	if _, err := r.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Text != "whole answer" || got[0].Usage.TotalTokens != 15 || got[0].FinishReason != llm.FinishStop {
		t.Fatalf("chunks %+v", got)
	}
}

func TestStreamPartialToolCalls(t *testing.T) {
	m := &fake{fn: func(ctx context.Context, req *llm.Request, _ int) (*llm.Response, error) {
		req.Stream(ctx, llm.Chunk{ToolCall: &llm.ToolCallDelta{Index: 0, ID: "call_1", Name: "search", Arguments: `{"q":`}})
		req.Stream(ctx, llm.Chunk{ToolCall: &llm.ToolCallDelta{Index: 1, ID: "call_2", Name: "time"}})
		req.Stream(ctx, llm.Chunk{ToolCall: &llm.ToolCallDelta{Index: 0, Arguments: `"go"`}})
		return nil, &llm.Error{Kind: llm.ErrAPIConnection, Message: "reset"}
	}}
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", m)}}, newFakeClock())
	req := userReq("g", "hi")
	req.Stream = func(context.Context, llm.Chunk) error { return nil }
	_, err := r.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrStreamInterrupted {
		t.Fatal(err)
	}
	want := []llm.ToolCall{{ID: "call_1", Type: "function", Name: "search", Arguments: `{"q":"go"`}, {ID: "call_2", Type: "function", Name: "time"}}
	if !reflect.DeepEqual(e.Partial.Message.ToolCalls, want) {
		t.Fatalf("partial tool calls %+v", e.Partial.Message.ToolCalls)
	}
}
