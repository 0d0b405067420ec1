package llm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

func TestClassifyHTTPTable(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   llm.Kind
	}{
		{400, `{"error":{"message":"Invalid value for 'temperature'","type":"invalid_request_error"}}`, llm.ErrBadRequest},
		{400, `{"error":{"message":"This model's maximum context length is 8192 tokens","code":"context_length_exceeded"}}`, llm.ErrContextWindowExceeded},
		{400, `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 201000 tokens > 200000 maximum"}}`, llm.ErrContextWindowExceeded},
		{400, `{"error":{"code":400,"message":"input tokens exceed the configured limit of 272000 tokens","status":"INVALID_ARGUMENT"}}`, llm.ErrContextWindowExceeded},
		{400, `{"error":"the request exceeds the available context size, try increasing it"}`, llm.ErrContextWindowExceeded},
		{400, `{"error":{"message":"content_policy_violation: Your request was rejected by our safety system"}}`, llm.ErrContentPolicyViolation},
		{400, `{"error":{"message":"ResponsibleAIPolicyViolation","code":"content_filter"}}`, llm.ErrContentPolicyViolation},
		{400, `{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model."}}`, llm.ErrUnsupportedParams},
		{400, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`, llm.ErrAuthentication},
		{401, `{"error":{"message":"Incorrect API key provided"}}`, llm.ErrAuthentication},
		{403, `{"type":"error","error":{"type":"permission_error","message":"forbidden"}}`, llm.ErrPermissionDenied},
		{404, `{"error":{"message":"model not found"}}`, llm.ErrNotFound},
		{408, `request timeout`, llm.ErrTimeout},
		{413, `{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum size"}}`, llm.ErrBadRequest},
		{422, `{"detail":"unprocessable"}`, llm.ErrUnprocessableEntity},
		{429, `{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}`, llm.ErrRateLimit},
		{429, `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`, llm.ErrRateLimit},
		{500, `{"error":{"message":"The server had an error"}}`, llm.ErrInternalServer},
		{502, `<html>Bad Gateway</html>`, llm.ErrBadGateway},
		{503, `{"error":{"message":"Service Unavailable"}}`, llm.ErrServiceUnavailable},
		{504, `gateway timeout`, llm.ErrTimeout},
		{529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, llm.ErrRateLimit},
		{500, `{"error":{"message":"model overloaded, retry later"}}`, llm.ErrRateLimit},
		{409, `conflict`, llm.ErrAPI},
		{418, `teapot`, llm.ErrBadRequest},
	}
	for _, c := range cases {
		e := llm.ClassifyHTTP(c.status, nil, []byte(c.body), "p", "m")
		if e.Kind != c.kind || e.StatusCode != c.status {
			t.Errorf("%d %s -> %s, want %s", c.status, c.body, e.Kind, c.kind)
		}
		if e.Message == "" || e.Provider != "p" || e.Model != "m" {
			t.Errorf("%d: error %+v", c.status, e)
		}
	}
	// Sub-kinds are also their parent kind.
	e := llm.ClassifyHTTP(400, nil, []byte(`{"error":{"code":"context_length_exceeded","message":"too long"}}`), "openai", "gpt-4o")
	if !errors.Is(e, llm.ErrContextWindowExceeded) || !errors.Is(e, llm.ErrBadRequest) || errors.Is(e, llm.ErrRateLimit) {
		t.Fatalf("errors.Is chain wrong for %v", e)
	}
	if e.Message != "too long" {
		t.Fatalf("message %q", e.Message)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	cases := []struct {
		h    http.Header
		want time.Duration
	}{
		{h("Retry-After", "20"), 20 * time.Second},
		{h("Retry-After", "1.5"), 1500 * time.Millisecond},
		{h("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), 90 * time.Second},
		{h("Retry-After", now.Add(-time.Minute).Format(http.TimeFormat)), 0},
		{h("Retry-After", "soon"), 0},
		{h("Retry-After", "-3"), 0},
		{h("Retry-After-Ms", "250", "Retry-After", "9"), 250 * time.Millisecond},
		{h(), 0},
		{nil, 0},
	}
	for i, c := range cases {
		if got := llm.ParseRetryAfter(c.h, now); got != c.want {
			t.Errorf("case %d %v: %v, want %v", i, c.h, got, c.want)
		}
	}
	// Through a real 429, in both formats.
	srv := llmtest.NewOpenAI(t)
	m := newModel(t, "gpt-4o", srv)
	srv.Enqueue(llmtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "12"}})
	_, err := m.Complete(context.Background(), userReq("x"))
	var e *llm.Error
	if !errors.As(err, &e) || e.RetryAfter != 12*time.Second || e.Kind != llm.ErrRateLimit {
		t.Fatalf("err %+v", err)
	}
	srv.Enqueue(llmtest.Reply{Status: 429, Header: map[string]string{"Retry-After": time.Now().Add(1 * time.Hour).UTC().Format(http.TimeFormat)}})
	_, err = m.Complete(context.Background(), userReq("x"))
	if !errors.As(err, &e) || e.RetryAfter < 58*time.Minute || e.RetryAfter > time.Hour {
		t.Fatalf("date retry-after: %v", e.RetryAfter)
	}
}

func TestClassifyNonHTTP(t *testing.T) {
	ctx := context.Background()
	// *Error passes through, empty provider/model filled.
	orig := &llm.Error{Kind: llm.ErrBudgetExceeded, Message: "over budget"}
	if got := llm.Classify(ctx, fmt.Errorf("wrapped: %w", orig), "openai", "gpt-4o"); got != orig || got.Provider != "openai" || got.Model != "gpt-4o" {
		t.Fatalf("passthrough %+v", got)
	}
	keep := &llm.Error{Kind: llm.ErrNotFound, Provider: "x", Model: "y"}
	if got := llm.Classify(ctx, keep, "openai", "gpt-4o"); got.Provider != "x" || got.Model != "y" {
		t.Fatalf("overwrote provider/model: %+v", got)
	}
	if llm.Classify(ctx, nil, "p", "m") != nil {
		t.Fatal("nil error classified")
	}
	// A bare kind sentinel.
	if got := llm.Classify(ctx, llm.ErrRateLimit, "p", "m"); got.Kind != llm.ErrRateLimit {
		t.Fatalf("kind %v", got.Kind)
	}
	// Deadline hidden in a string, as some clients do.
	dctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	if got := llm.Classify(dctx, errors.New("request failed: context deadline exceeded"), "openai", "m"); got.Kind != llm.ErrTimeout {
		t.Fatalf("hidden deadline -> %s", got.Kind)
	}
	if got := llm.Classify(ctx, fmt.Errorf("x: %w", context.DeadlineExceeded), "p", "m"); got.Kind != llm.ErrTimeout || !errors.Is(got, context.DeadlineExceeded) {
		t.Fatalf("deadline -> %v", got)
	}
	// langchaingo-style status strings.
	if got := llm.Classify(ctx, errors.New("API returned unexpected status code: 429: Rate limit reached"), "openai", "m"); got.Kind != llm.ErrRateLimit || got.StatusCode != 429 {
		t.Fatalf("status text -> %+v", got)
	}
	if got := llm.Classify(ctx, errors.New("API returned unexpected status code: 400: This model's maximum context length is 4097 tokens"), "openai", "m"); got.Kind != llm.ErrContextWindowExceeded {
		t.Fatalf("context text -> %+v", got)
	}
	if got := llm.Classify(ctx, errors.New("something odd"), "p", "m"); got.Kind != llm.ErrAPI {
		t.Fatalf("generic -> %s", got.Kind)
	}
	if got := llm.Classify(ctx, &llm.StreamError{Type: "overloaded_error", Message: "Overloaded"}, "anthropic", "m"); got.Kind != llm.ErrRateLimit {
		t.Fatalf("stream overload -> %s", got.Kind)
	}
}

func TestConnectionRefusedAndDeadline(t *testing.T) {
	m, err := llm.New("gpt-4o", llm.WithAPIKey(testKey), llm.WithAPIBase(llmtest.ClosedURL(t)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Complete(context.Background(), userReq("x"))
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrAPIConnection || e.StatusCode != 0 {
		t.Fatalf("refused -> %v", err)
	}

	srv := llmtest.NewAnthropic(t)
	srv.SetDefault(llmtest.Reply{Text: "late", Delay: 2 * time.Second})
	am := newModel(t, "claude-sonnet-4-5", srv, llm.WithTimeout(50*time.Millisecond))
	start := time.Now()
	_, err = am.Complete(context.Background(), userReq("x"))
	if !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("timeout -> %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("timeout not enforced")
	}
	// The request's own timeout and the caller's deadline work the same way.
	req := userReq("x")
	req.Timeout = 30 * time.Millisecond
	if _, err = newModel(t, "claude-sonnet-4-5", srv).Complete(context.Background(), req); !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("request timeout -> %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err = newModel(t, "claude-sonnet-4-5", srv).Complete(ctx, userReq("x")); !errors.Is(err, llm.ErrTimeout) || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("ctx deadline -> %v", err)
	}
}
