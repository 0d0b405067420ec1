package llm_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test.
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

// debugCalls makes, on each wire, a plain call, a streamed call and a
// failing call whose error body echoes the key.
func debugCalls(t *testing.T, opts ...llm.Option) {
	t.Helper()
	for _, c := range []struct {
		flavor llmtest.Flavor
		model  string
	}{{llmtest.OpenAI, "gpt-4o"}, {llmtest.Anthropic, "claude-sonnet-4-5"}, {llmtest.Gemini, "gemini/gemini-2.0-flash"},
		{llmtest.OpenAI, "azure/my-deployment"}} {
		srv := llmtest.New(t, c.flavor)
		srv.RequireKey(testKey)
		srv.Enqueue(llmtest.Reply{Text: "plain answer"}, llmtest.Reply{Text: "streamed answer", ChunkSize: 5},
			llmtest.Reply{Status: 401, ErrorType: "invalid_request_error", ErrorMessage: "Incorrect API key provided: " + testKey})
		base := srv.APIBase()
		if strings.HasPrefix(c.model, "azure/") {
			base = srv.URL
		}
		m, err := llm.New(c.model, append([]llm.Option{llm.WithAPIKey(testKey), llm.WithAPIBase(base)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		req := userReq("what is the secret word?")
		if _, err := m.Complete(context.Background(), req); err != nil && !strings.HasPrefix(c.model, "azure/") {
			t.Fatalf("%s: %v", c.model, err)
		}
		for _, err := range m.Stream(context.Background(), req) {
			if err != nil && !strings.HasPrefix(c.model, "azure/") {
				t.Fatalf("%s stream: %v", c.model, err)
			}
		}
		m.Complete(context.Background(), req)
	}
}

// TestDebugLogRedactsKeys: WithDebugLog logs requests and responses of
// every wire, and the key never appears in them.
func TestDebugLogRedactsKeys(t *testing.T) {
	var buf syncBuffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	debugCalls(t, llm.WithDebugLog(l))
	out := buf.String()
	if strings.Contains(out, testKey) || strings.Contains(out, "SECRET-0123") {
		t.Fatalf("the key leaked into the debug log:\n%s", out)
	}
	for _, want := range []string{
		`msg="llm debug request" provider=openai model=gpt-4o method=POST`,
		`msg="llm debug request" provider=anthropic model=claude-sonnet-4-5`,
		`msg="llm debug request" provider=gemini model=gemini/gemini-2.0-flash`,
		`provider=azure model=azure/my-deployment`,
		`headers.Authorization=[REDACTED]`, `headers.X-Api-Key=[REDACTED]`, `headers.Api-Key=[REDACTED]`,
		`key=[REDACTED]`,           // Gemini's key in the URL
		`what is the secret word?`, // the request body
		`plain answer`,             // a response body
		`msg="llm debug response"`, `status=200`, `status=401`,
		`Incorrect API key provided: [REDACTED]`,
		`streamed answer`[:5], // stream events are logged
	} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q", want)
		}
	}
	if n := strings.Count(out, `msg="llm debug request"`); n != 12 {
		t.Errorf("%d requests logged, want 12", n)
	}
	if n := strings.Count(out, `msg="llm debug response"`); n != 12 {
		t.Errorf("%d responses logged, want 12", n)
	}
}

// TestDebugFromEnvironment: JEDISOS_LOG=debug turns logging on, to
// standard error, for models built afterwards; without it nothing is
// logged.
func TestDebugFromEnvironment(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		read <- string(b)
	}()
	stderr := os.Stderr
	os.Stderr = w
	t.Setenv(llm.DebugEnv, "debug")
	srv := llmtest.NewAnthropic(t)
	on, err := llm.New("claude-sonnet-4-5", llm.WithAPIKey(testKey), llm.WithAPIBase(srv.APIBase()))
	os.Stderr = stderr
	if err != nil {
		t.Fatal(err)
	}
	os.Setenv(llm.DebugEnv, "")
	off, _ := llm.New("claude-sonnet-4-5", llm.WithAPIKey(testKey), llm.WithAPIBase(srv.APIBase()))
	if _, err := off.Complete(context.Background(), userReq("not logged")); err != nil {
		t.Fatal(err)
	}
	if _, err := on.Complete(context.Background(), userReq("logged to stderr")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out := <-read
	if !strings.Contains(out, `msg="llm debug request"`) || !strings.Contains(out, "logged to stderr") ||
		strings.Contains(out, "not logged") || strings.Contains(out, testKey) || !strings.Contains(out, "headers.X-Api-Key=[REDACTED]") {
		t.Fatalf("stderr:\n%s", out)
	}
}
