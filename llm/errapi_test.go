package llm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// allKinds is every kind of the taxonomy.
var allKinds = []llm.Kind{
	llm.ErrBadRequest, llm.ErrContextWindowExceeded, llm.ErrContentPolicyViolation, llm.ErrUnsupportedParams,
	llm.ErrAuthentication, llm.ErrPermissionDenied, llm.ErrNotFound, llm.ErrUnprocessableEntity,
	llm.ErrRateLimit, llm.ErrTimeout, llm.ErrInternalServer, llm.ErrBadGateway, llm.ErrServiceUnavailable,
	llm.ErrAPIConnection, llm.ErrBudgetExceeded, llm.ErrStreamInterrupted, llm.ErrAPI,
}

// TestErrAPIMatchesEveryKind: every *Error, whatever its kind, matches
// ErrAPI (LiteLLM's APIError catch-all), still matches its own kind and
// parents, and matches no unrelated kind; wrapping keeps all of that.
func TestErrAPIMatchesEveryKind(t *testing.T) {
	for _, k := range allKinds {
		t.Run(string(k), func(t *testing.T) {
			var err error = &llm.Error{Kind: k, Provider: "openai", Model: "gpt-4o"}
			wrapped := fmt.Errorf("calling the model: %w", err)
			for _, e := range []error{err, wrapped, k} {
				if !errors.Is(e, llm.ErrAPI) {
					t.Errorf("errors.Is(%v, ErrAPI) = false", e)
				}
				if !errors.Is(e, k) {
					t.Errorf("errors.Is(%v, %s) = false", e, k)
				}
				if p := k.Parent(); p != "" && !errors.Is(e, p) {
					t.Errorf("errors.Is(%v, parent %s) = false", e, p)
				}
				for _, other := range allKinds {
					if other == k || other == llm.ErrAPI || other == k.Parent() {
						continue
					}
					if errors.Is(e, other) {
						t.Errorf("errors.Is(%v, %s) = true, want false", e, other)
					}
				}
			}
		})
	}
	// ErrAPI is not a parent: sub-kind matching is unchanged.
	if errors.Is(&llm.Error{Kind: llm.ErrAPI}, llm.ErrRateLimit) || errors.Is(llm.ErrAPI, llm.ErrBadRequest) {
		t.Fatal("ErrAPI must not match the specific kinds")
	}
	if errors.Is(errors.New("plain"), llm.ErrAPI) {
		t.Fatal("a non-llm error must not match ErrAPI")
	}
}

// TestErrAPIFromProviders: real provider failures of each family, over the
// wire, are caught by errors.Is(err, llm.ErrAPI) as well as by their kind.
func TestErrAPIFromProviders(t *testing.T) {
	cases := []struct {
		name  string
		reply llmtest.Reply
		kind  llm.Kind
	}{
		{"rate limit", llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", ErrorMessage: "slow down", Header: map[string]string{"Retry-After": "3"}}, llm.ErrRateLimit},
		{"internal", llmtest.Reply{Status: 500, ErrorMessage: "boom"}, llm.ErrInternalServer},
		{"bad gateway", llmtest.Reply{Status: 502, Body: "<html>bad gateway</html>"}, llm.ErrBadGateway},
		{"unavailable", llmtest.Reply{Status: 503, ErrorMessage: "unavailable"}, llm.ErrServiceUnavailable},
		{"overloaded", llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"}, llm.ErrRateLimit},
		{"auth", llmtest.Reply{Status: 401, ErrorType: "authentication_error", ErrorMessage: "invalid x-api-key"}, llm.ErrAuthentication},
		{"context window", llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "prompt is too long: 300000 tokens > 200000 maximum"}, llm.ErrContextWindowExceeded},
		{"not found", llmtest.Reply{Status: 404, ErrorType: "not_found_error", ErrorMessage: "model: nope"}, llm.ErrNotFound},
		{"mid-stream", llmtest.Reply{Text: "partial answer here", CutAfter: 5}, llm.ErrStreamInterrupted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := llmtest.NewAnthropic(t)
			srv.Enqueue(c.reply)
			req := userReq("hi")
			if c.kind == llm.ErrStreamInterrupted {
				req.Stream = func(context.Context, llm.Chunk) error { return nil }
			}
			_, err := newModel(t, "claude-sonnet-4-5", srv).Complete(context.Background(), req)
			if !errors.Is(err, c.kind) {
				t.Fatalf("err %v, want kind %s", err, c.kind)
			}
			if !errors.Is(err, llm.ErrAPI) {
				t.Fatalf("errors.Is(%v, ErrAPI) = false", err)
			}
		})
	}
	// No HTTP response at all: a connection error.
	m, err := llm.New("gpt-4o", llm.WithAPIKey(testKey), llm.WithAPIBase(llmtest.ClosedURL(t)+"/v1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Complete(context.Background(), userReq("hi"))
	if !errors.Is(err, llm.ErrAPIConnection) || !errors.Is(err, llm.ErrAPI) {
		t.Fatalf("connection refused: %v", err)
	}
	// A timeout.
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "late", Delay: 2e9})
	req := userReq("hi")
	req.Timeout = 50e6
	_, err = newModel(t, "gpt-4o", srv).Complete(context.Background(), req)
	if !errors.Is(err, llm.ErrTimeout) || !errors.Is(err, llm.ErrAPI) {
		t.Fatalf("timeout: %v", err)
	}
}
