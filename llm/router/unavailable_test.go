package router_test

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
	"github.com/jedisos/jedisos/llm/router"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clearProviderEnv makes sure no provider key or base of the test
// machine leaks into a test.
func clearProviderEnv(t *testing.T) {
	for _, k := range []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY",
		"ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL", "OPENAI_API_BASE", "OPENAI_BASE_URL", "GEMINI_API_BASE",
		"OLLAMA_API_BASE", "OLLAMA_HOST"} {
		t.Setenv(k, "")
	}
}

// The guide's llm_config.yaml (claude -> gpt -> gemini -> ollama) with only
// GEMINI_API_KEY set: the Router starts, reports the two deployments it
// could not build once, and answers from gemini.
func TestGuideConfigWithOneKey(t *testing.T) {
	clearProviderEnv(t)
	gem := llmtest.NewGemini(t)
	gem.SetDefault(llmtest.Reply{Text: "hello from gemini", Usage: llmtest.Usage{Prompt: 5, Completion: 3}})
	gem.RequireKey("gm-test-key-1")
	t.Setenv("GEMINI_API_KEY", "gm-test-key-1")
	t.Setenv("GEMINI_API_BASE", gem.APIBase())
	t.Setenv("OLLAMA_API_BASE", llmtest.ClosedURL(t))

	var logs syncBuffer
	r, err := router.NewFromFile("testdata/llm_config.yaml", router.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatalf("NewFromFile with one key: %v", err)
	}
	want := map[string]string{"primary": "ANTHROPIC_API_KEY", "fallback1": "OPENAI_API_KEY"}
	for _, s := range r.Status() {
		envVar, bad := want[s.Group]
		switch {
		case bad && s.Unavailable == nil:
			t.Errorf("%s: not marked unavailable", s.Group)
		case bad && (!errors.Is(s.Unavailable, llm.ErrAuthentication) || !strings.Contains(s.Unavailable.Error(), envVar)):
			t.Errorf("%s: unavailable with %v, want ErrAuthentication naming %s", s.Group, s.Unavailable, envVar)
		case !bad && s.Unavailable != nil:
			t.Errorf("%s: unexpectedly unavailable: %v", s.Group, s.Unavailable)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "ANTHROPIC_API_KEY") || !strings.Contains(lines[1], "OPENAI_API_KEY") {
		t.Fatalf("log at New = %q, want one line per unavailable deployment", logs.String())
	}

	ctx := context.Background()
	for i := 0; i < 2; i++ {
		resp, err := r.Complete(ctx, &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if resp.Message.Content != "hello from gemini" || resp.Model != "gemini-3-flash" && resp.Model != "gemini/gemini-3-flash" || resp.Attempts != 1 {
			t.Fatalf("call %d: answered %q by %q in %d attempts", i, resp.Message.Content, resp.Model, resp.Attempts)
		}
	}
	if n := gem.Count(); n != 2 {
		t.Fatalf("gemini got %d requests, want 2", n)
	}
	if got := strings.Count(logs.String(), "\n"); got != 2 {
		t.Fatalf("calls logged again: %q", logs.String())
	}

	// Without fallbacks the primary group fails at call time with the
	// build error: ErrAuthentication naming the variable.
	_, err = r.Complete(router.WithCallOptions(ctx, router.CallOptions{DisableFallbacks: true}),
		&llm.Request{Model: "primary", Messages: []llm.Message{llm.User("Hello")}})
	if !errors.Is(err, llm.ErrAuthentication) || !errors.Is(err, router.ErrDeploymentUnavailable) ||
		!strings.Contains(err.Error(), "ANTHROPIC_API_KEY") {
		t.Fatalf("primary without fallbacks: %v, want ErrAuthentication naming ANTHROPIC_API_KEY", err)
	}
	if strings.Contains(err.Error(), "gm-test-key-1") || strings.Contains(logs.String(), "gm-test-key-1") {
		t.Fatal("a key leaked into an error or a log line")
	}
}

// A group with an unbuildable deployment and a working one never spends
// an attempt on the first.
func TestUnavailableDeploymentSkippedInGroup(t *testing.T) {
	clearProviderEnv(t)
	r, err := router.New(router.Config{Deployments: []router.Deployment{
		{Group: "g", ID: "claude", Params: llm.Params{Model: "claude-sonnet-4-5"}},
		{Group: "g", ID: "local", Params: llm.Params{Model: "test/local"}, Model: answer("local answer")},
	}}, router.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		resp, err := r.Complete(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}})
		if err != nil || resp.Deployment != "local" || resp.Attempts != 1 {
			t.Fatalf("call %d: %+v %v", i, resp, err)
		}
	}
}

// Only a Router with no usable deployment at all fails New, naming every
// missing variable.
func TestNoUsableDeploymentFailsNew(t *testing.T) {
	clearProviderEnv(t)
	_, err := router.New(router.Config{Deployments: []router.Deployment{
		{Group: "primary", Params: llm.Params{Model: "claude-sonnet-4-5"}},
		{Group: "fallback1", Params: llm.Params{Model: "gpt-4o"}},
	}})
	var ce *router.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no usable deployment") ||
		!strings.Contains(err.Error(), "ANTHROPIC_API_KEY") || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Fatalf("New = %v, want a ConfigError naming both variables", err)
	}
	// an unknown model string is still a configuration error
	_, err = router.New(router.Config{Deployments: []router.Deployment{
		{Group: "a", Params: llm.Params{Model: "nosuchprovider/x"}},
		{Group: "b", Params: llm.Params{Model: "test/b"}, Model: answer("b")},
	}})
	if err == nil || !strings.Contains(err.Error(), "nosuchprovider/x") {
		t.Fatalf("unknown model string: New = %v, want a ConfigError", err)
	}
}
