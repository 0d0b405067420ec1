// Package scripted provides a deterministic model for tests and offline
// demos: an llms.Model that replays scripted replies — text, tool calls,
// usage and failures — instead of calling a provider.
//
// It is not a language model. It never reads the network, and what it says
// is exactly what its script says, so graphs and agents built on it run the
// same way every time.
package scripted

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
)

// Reply is one scripted answer.
type Reply struct {
	// Text is the assistant's text. When the call streams, it is delivered
	// word by word.
	Text string
	// ToolCalls are the calls the assistant asks for. A call without an ID
	// gets "call_<n>_<i>".
	ToolCalls []llm.ToolCall
	// Usage is reported as the call's token usage. When zero, usage is
	// estimated as one token per four bytes of prompt and completion.
	Usage llm.Usage
	// StopReason overrides the stop reason ("stop", or "tool_calls" when the
	// reply has tool calls).
	StopReason string
	// Err, when set, is returned instead of a reply.
	Err error
	// Delay is waited (honouring the context) before answering.
	Delay time.Duration
}

// ErrScriptExhausted is returned when a Model has replayed every reply and
// does not loop.
var ErrScriptExhausted = errors.New("scripted: script exhausted")

// Func computes a reply from the conversation so far. It lets a script react
// to what the graph sent, for example to answer from a tool's result.
type Func func(msgs []llm.Message) Reply

// Model replays a script. It is safe for concurrent use; concurrent calls take
// replies in the order they arrive.
type Model struct {
	mu      sync.Mutex
	replies []Reply
	fn      Func
	loop    bool
	next    int
	calls   []Call
	record  bool
	// count numbers the requests received, recorded or not.
	count int
}

// Call is one request the Model received.
type Call struct {
	Messages []llm.Message
	Tools    []llms.Tool
}

// Option configures a Model.
type Option func(*Model)

// Loop makes the Model start over after its last reply instead of failing
// with ErrScriptExhausted.
func Loop() Option { return func(m *Model) { m.loop = true } }

// NoRecord stops the Model from keeping the requests it receives (for
// benchmarks and long runs).
func NoRecord() Option { return func(m *Model) { m.record = false } }

// New returns a Model that answers with replies in order.
func New(replies []Reply, opts ...Option) *Model {
	m := &Model{replies: replies, record: true}
	for _, o := range opts {
		o(m)
	}
	return m
}

// NewFunc returns a Model whose every reply is computed by f.
func NewFunc(f Func, opts ...Option) *Model {
	m := &Model{fn: f, record: true}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Calls returns the requests received so far, oldest first.
func (m *Model) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls...)
}

// Remaining reports how many scripted replies are left (0 for a Func
// model); for a looping Model, how many are left before it starts over.
func (m *Model) Remaining() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fn != nil {
		return 0
	}
	return len(m.replies) - m.next
}

// Call implements llms.Model for a single text prompt.
func (m *Model) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, options...)
}

// GenerateContent implements llms.Model.
func (m *Model) GenerateContent(ctx context.Context, messages []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	var opts llms.CallOptions
	for _, o := range options {
		o(&opts)
	}
	msgs := fromLangchain(messages)

	m.mu.Lock()
	n := m.count
	m.count++
	if m.record {
		m.calls = append(m.calls, Call{Messages: msgs, Tools: opts.Tools})
	}
	var r Reply
	switch {
	case m.fn != nil:
		m.mu.Unlock()
		r = m.fn(msgs)
		m.mu.Lock()
	case m.next < len(m.replies):
		r = m.replies[m.next]
		m.next++
		if m.loop && m.next == len(m.replies) {
			m.next = 0
		}
	default:
		m.mu.Unlock()
		return nil, fmt.Errorf("%w after %d replies", ErrScriptExhausted, len(m.replies))
	}
	m.mu.Unlock()

	if r.Delay > 0 {
		t := time.NewTimer(r.Delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Err != nil {
		return nil, r.Err
	}

	choice := &llms.ContentChoice{Content: r.Text, StopReason: r.StopReason}
	for i, tc := range r.ToolCalls {
		id := tc.ID
		if id == "" {
			id = fmt.Sprintf("call_%d_%d", n+1, i)
		}
		choice.ToolCalls = append(choice.ToolCalls, llms.ToolCall{
			ID: id, Type: "function",
			FunctionCall: &llms.FunctionCall{Name: tc.Name, Arguments: tc.Arguments},
		})
	}
	if choice.StopReason == "" {
		choice.StopReason = "stop"
		if len(choice.ToolCalls) > 0 {
			choice.StopReason = "tool_calls"
		}
	}
	u := r.Usage
	if u == (llm.Usage{}) {
		u = estimate(msgs, r)
	}
	choice.GenerationInfo = map[string]any{
		"PromptTokens":     u.PromptTokens,
		"CompletionTokens": u.CompletionTokens,
		"TotalTokens":      u.TotalTokens,
	}
	if opts.StreamingFunc != nil && r.Text != "" {
		for _, w := range splitWords(r.Text) {
			if err := opts.StreamingFunc(ctx, []byte(w)); err != nil {
				return nil, err
			}
		}
	}
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{choice}}, nil
}

func estimate(msgs []llm.Message, r Reply) llm.Usage {
	in := 0
	for _, m := range msgs {
		in += len(m.Content)
		for _, tc := range m.ToolCalls {
			in += len(tc.Name) + len(tc.Arguments)
		}
	}
	out := len(r.Text)
	for _, tc := range r.ToolCalls {
		out += len(tc.Name) + len(tc.Arguments)
	}
	u := llm.Usage{PromptTokens: (in + 3) / 4, CompletionTokens: (out + 3) / 4}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// splitWords cuts s into pieces that keep their trailing spaces, so the
// pieces concatenate back to s.
func splitWords(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// fromLangchain converts the request's messages to jedisos messages so
// scripts can read them.
func fromLangchain(in []llms.MessageContent) []llm.Message {
	out := make([]llm.Message, 0, len(in))
	for _, mc := range in {
		var m llm.Message
		switch mc.Role {
		case llms.ChatMessageTypeSystem:
			m.Role = llm.RoleSystem
		case llms.ChatMessageTypeAI:
			m.Role = llm.RoleAssistant
		case llms.ChatMessageTypeTool:
			m.Role = llm.RoleTool
		default:
			m.Role = llm.RoleUser
		}
		var text strings.Builder
		for _, p := range mc.Parts {
			switch p := p.(type) {
			case llms.TextContent:
				text.WriteString(p.Text)
			case llms.ToolCall:
				tc := llm.ToolCall{ID: p.ID, Type: p.Type}
				if p.FunctionCall != nil {
					tc.Name, tc.Arguments = p.FunctionCall.Name, p.FunctionCall.Arguments
				}
				m.ToolCalls = append(m.ToolCalls, tc)
			case llms.ToolCallResponse:
				m.ToolCallID, m.Name = p.ToolCallID, p.Name
				text.WriteString(p.Content)
			}
		}
		m.Content = text.String()
		out = append(out, m)
	}
	return out
}
