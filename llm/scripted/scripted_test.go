package scripted

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
)

func user(s string) llms.MessageContent { return llms.TextParts(llms.ChatMessageTypeHuman, s) }

func TestRepliesInOrderThenExhausted(t *testing.T) {
	m := New([]Reply{
		{ToolCalls: []llm.ToolCall{{Name: "get_weather", Arguments: `{"location":"Seoul"}`}}},
		{Text: "It is sunny.", Usage: llm.Usage{PromptTokens: 10, CompletionTokens: 3, TotalTokens: 13}},
	})
	ctx := context.Background()
	r1, err := m.GenerateContent(ctx, []llms.MessageContent{user("weather?")})
	if err != nil {
		t.Fatal(err)
	}
	c := r1.Choices[0]
	if c.StopReason != "tool_calls" || len(c.ToolCalls) != 1 || c.ToolCalls[0].ID != "call_1_0" ||
		c.ToolCalls[0].FunctionCall.Name != "get_weather" || c.ToolCalls[0].FunctionCall.Arguments != `{"location":"Seoul"}` {
		t.Fatalf("first reply = %+v", c)
	}
	r2, err := m.GenerateContent(ctx, []llms.MessageContent{user("weather?")})
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.Choices[0]; got.Content != "It is sunny." || got.StopReason != "stop" || got.GenerationInfo["TotalTokens"] != 13 {
		t.Fatalf("second reply = %+v", got)
	}
	if _, err := m.GenerateContent(ctx, nil); !errors.Is(err, ErrScriptExhausted) {
		t.Fatalf("third call err = %v, want ErrScriptExhausted", err)
	}
	if n := len(m.Calls()); n != 3 {
		t.Fatalf("recorded %d calls, want 3", n)
	}
}

func TestLoopAndFailure(t *testing.T) {
	boom := errors.New("boom")
	m := New([]Reply{{Err: boom}, {Text: "ok"}}, Loop(), NoRecord())
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		r, err := m.GenerateContent(ctx, []llms.MessageContent{user("x")})
		if i%2 == 0 {
			if !errors.Is(err, boom) {
				t.Fatalf("call %d: err = %v, want boom", i, err)
			}
			continue
		}
		if err != nil || r.Choices[0].Content != "ok" {
			t.Fatalf("call %d: %v %v", i, r, err)
		}
	}
	if len(m.Calls()) != 0 {
		t.Fatal("NoRecord model recorded calls")
	}
}

func TestFuncSeesConversationAndStreams(t *testing.T) {
	m := NewFunc(func(msgs []llm.Message) Reply {
		last := msgs[len(msgs)-1]
		if last.Role == llm.RoleTool {
			return Reply{Text: "The tool said " + last.Content}
		}
		return Reply{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "t", Arguments: "{}"}}}
	})
	msgs := []llms.MessageContent{
		user("go"),
		{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{llms.ToolCall{ID: "c1", Type: "function", FunctionCall: &llms.FunctionCall{Name: "t", Arguments: "{}"}}}},
		{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{llms.ToolCallResponse{ToolCallID: "c1", Name: "t", Content: "42 degrees"}}},
	}
	var chunks []string
	r, err := m.GenerateContent(context.Background(), msgs, llms.WithStreamingFunc(func(_ context.Context, b []byte) error {
		chunks = append(chunks, string(b))
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if r.Choices[0].Content != "The tool said 42 degrees" {
		t.Fatalf("content = %q", r.Choices[0].Content)
	}
	if strings.Join(chunks, "") != r.Choices[0].Content || len(chunks) != 5 {
		t.Fatalf("chunks = %q", chunks)
	}
	got := m.Calls()[0].Messages
	if got[1].ToolCalls[0].Name != "t" || got[2].Role != llm.RoleTool || got[2].ToolCallID != "c1" {
		t.Fatalf("converted messages = %+v", got)
	}
}

func TestDelayHonoursContext(t *testing.T) {
	m := New([]Reply{{Text: "late", Delay: time.Hour}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := m.GenerateContent(ctx, []llms.MessageContent{user("x")}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}
