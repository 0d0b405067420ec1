package llm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// An Anthropic stream cut after output reached the caller keeps the usage
// message_start already reported (input and cache tokens, the output so
// far) in its partial response, and prices it.
func TestAnthropicInterruptedStreamKeepsUsage(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	srv.Enqueue(llmtest.Reply{Text: "partial answer", ChunkSize: 8, CutAfter: 4,
		Usage: llmtest.Usage{Prompt: 1000, Completion: 50, CacheRead: 200}})
	m := newModel(t, "claude-sonnet-4-5", srv)
	var c collect
	req := userReq("hi")
	req.Stream = c.fn
	_, err := m.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrStreamInterrupted || e.Partial == nil {
		t.Fatalf("err = %v", err)
	}
	want := llm.Usage{PromptTokens: 1200, CompletionTokens: 1, TotalTokens: 1201, CacheReadTokens: 200}
	if e.Partial.Usage != want {
		t.Fatalf("partial usage %+v, want %+v", e.Partial.Usage, want)
	}
	if e.Partial.Cost <= 0 {
		t.Fatalf("partial cost %v", e.Partial.Cost)
	}
}
