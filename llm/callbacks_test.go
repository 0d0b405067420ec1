package llm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.events = append(r.events, s)
	r.mu.Unlock()
}

func (r *recorder) cb(name string) llm.Callback {
	return llm.CallbackFuncs{
		Input: func(_ context.Context, info *llm.CallInfo) error {
			r.add(name + ":input:" + info.Model)
			return nil
		},
		Success: func(_ context.Context, info *llm.CallInfo, resp *llm.Response) {
			r.add(name + ":success:" + resp.Message.Content)
		},
		Failure: func(_ context.Context, info *llm.CallInfo, err error) {
			r.add(name + ":failure:" + string(err.(*llm.Error).Kind))
		},
		Stream: func(_ context.Context, info *llm.CallInfo, c llm.Chunk) { r.add(name + ":stream:" + c.Text) },
	}
}

func TestCallbacksOrderAndPayload(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "hello", ChunkSize: 5, Usage: llmtest.Usage{Prompt: 100, Completion: 20}})
	var r recorder
	var success *llm.CallInfo
	var gotResp *llm.Response
	panicky := llm.CallbackFuncs{
		Input:   func(context.Context, *llm.CallInfo) error { panic("input boom") },
		Success: func(context.Context, *llm.CallInfo, *llm.Response) { panic("success boom") },
		Stream:  func(context.Context, *llm.CallInfo, llm.Chunk) { panic("stream boom") },
	}
	capture := llm.CallbackFuncs{Success: func(_ context.Context, info *llm.CallInfo, resp *llm.Response) {
		success, gotResp = info, resp
	}}
	m := newModel(t, "gpt-4o", srv, llm.WithCallbacks(r.cb("a"), panicky, r.cb("b"), capture))
	req := userReq("hi")
	req.Stream = func(context.Context, llm.Chunk) error { return nil }
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a:input:gpt-4o", "b:input:gpt-4o", "a:stream:hello", "b:stream:hello", "a:stream:", "b:stream:",
		"a:success:hello", "b:success:hello"}
	if strings.Join(r.events, ",") != strings.Join(want, ",") {
		t.Fatalf("events\n got %v\nwant %v", r.events, want)
	}
	if success.Provider != "openai" || success.Attempt != 1 || success.Start.IsZero() || success.End.Before(success.Start) ||
		success.Request == nil || len(success.Request.Messages) != 2 {
		t.Fatalf("info %+v", success)
	}
	if gotResp != resp || gotResp.Usage.PromptTokens != 100 || gotResp.Cost == 0 {
		t.Fatalf("resp %+v", gotResp)
	}
}

func TestInputCallbackModifiesAndRejects(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	sentinel := errors.New("request too large")
	var failures []error
	modify := llm.CallbackFuncs{Input: func(_ context.Context, info *llm.CallInfo) error {
		info.Request.MaxTokens = 77
		if len(info.Request.Messages) > 3 {
			return sentinel
		}
		return nil
	}, Failure: func(_ context.Context, _ *llm.CallInfo, err error) { failures = append(failures, err) }}
	m := newModel(t, "gpt-4o", srv, llm.WithCallbacks(modify))
	req := userReq("hi")
	if _, err := m.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.Last()
	if got.JSON["max_tokens"] != float64(77) {
		t.Fatalf("modified request not sent: %s", got.Body)
	}
	if req.MaxTokens != 0 {
		t.Fatal("caller's request mutated")
	}
	big := &llm.Request{Messages: []llm.Message{llm.User("1"), llm.User("2"), llm.User("3"), llm.User("4")}}
	_, err := m.Complete(context.Background(), big)
	if !errors.Is(err, sentinel) || !errors.Is(err, llm.ErrRejected) || !errors.Is(err, llm.ErrBadRequest) {
		t.Fatalf("rejection err = %v", err)
	}
	if srv.Count() != 1 {
		t.Fatal("rejected call reached the server")
	}
	if len(failures) != 1 || failures[0] != err {
		t.Fatalf("failure callbacks %v", failures)
	}
}

func TestLogCallback(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	srv.Enqueue(llmtest.Reply{Text: "ok", Usage: llmtest.Usage{Prompt: 10, Completion: 2}})
	srv.Enqueue(llmtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "3"}, ErrorType: "rate_limit_error", ErrorMessage: "slow down"})
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := newModel(t, "claude-sonnet-4-5", srv, llm.WithCallbacks(llm.LogCallback(logger)))
	if _, err := m.Complete(context.Background(), userReq("secret user text")); err != nil {
		t.Fatal(err)
	}
	_, _ = m.Complete(context.Background(), userReq("secret user text"))
	out := buf.String()
	for _, want := range []string{"msg=\"llm success\"", "model=claude-sonnet-4-5", "provider=anthropic", "prompt_tokens=10",
		"completion_tokens=2", "cost=", "msg=\"llm failure\"", "kind=RateLimitError", "status=429"} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret user text") || strings.Contains(out, testKey) {
		t.Fatalf("log leaks content or key:\n%s", out)
	}
}

func TestBadRequestsNamed(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	m := newModel(t, "gpt-4o", srv)
	cases := map[string]*llm.Request{
		"nil request":                       nil,
		"no messages":                       {},
		"message 1: unknown role \"robot\"": {Messages: []llm.Message{llm.User("a"), {Role: "robot"}}},
		"message 0: tool message without tool_call_id": {Messages: []llm.Message{{Role: llm.RoleTool, Content: "x"}}},
		"message 0: tool call 0 has no name":           {Messages: []llm.Message{{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "1"}}}}},
	}
	for want, req := range cases {
		_, err := m.Complete(context.Background(), req)
		if !errors.Is(err, llm.ErrBadRequest) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: err = %v", want, err)
		}
	}
	if srv.Count() != 0 {
		t.Fatal("bad requests reached the server")
	}
}
