package llm

import (
	"context"
	"time"

	"github.com/tmc/langchaingo/llms"
)

// Request is one completion request in jedisos's own types.
type Request struct {
	// Model is a model string ("gpt-4o", "claude-sonnet-4-5", "gemini/...") or,
	// for a Router, a model group name.
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	// Tools offered to the model, in langchaingo's shape.
	Tools []llms.Tool `json:"tools,omitempty"`
	// ToolChoice is auto, required, none or one named function (UseTool);
	// the zero value is the provider's default. ParseToolChoice reads the
	// OpenAI and Anthropic shapes (strings, maps, JSON).
	ToolChoice ToolChoice `json:"tool_choice,omitzero"`
	// Temperature is sent only when set.
	Temperature *float64 `json:"temperature,omitempty"`
	// MaxTokens limits the completion; 0 means the provider's default.
	MaxTokens int      `json:"max_tokens,omitempty"`
	TopP      float64  `json:"top_p,omitempty"`
	Stop      []string `json:"stop,omitempty"`
	JSONMode  bool     `json:"json_mode,omitempty"`
	// Timeout bounds the whole call when non-zero.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Stream, when set, receives chunks as they arrive. Returning
	// ErrStopStream (or an error wrapping it) stops the stream as a success:
	// the call returns the partial response, FinishReason FinishStopped
	// unless the provider had finished. Returning any other error stops the
	// stream and fails the call with ErrStreamInterrupted (carrying the
	// partial response) once output reached the caller.
	Stream StreamFunc `json:"-"`
	// Metadata is passed to callbacks and provider options untouched.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// StreamFunc receives streamed chunks.
type StreamFunc func(ctx context.Context, c Chunk) error

// Chunk is one streamed piece of a response.
type Chunk struct {
	// Text is a content delta.
	Text string `json:"text,omitempty"`
	// Reasoning is a reasoning-content delta.
	Reasoning string `json:"reasoning,omitempty"`
	// ToolCall is a tool-call delta, when the chunk carries one.
	ToolCall *ToolCallDelta `json:"tool_call,omitempty"`
	// Usage is set on the final chunk when the provider reports it.
	Usage *Usage `json:"usage,omitempty"`
	// FinishReason is set on the final chunk.
	FinishReason FinishReason `json:"finish_reason,omitempty"`
	// Response is set only on the last item of Stream's sequence: the
	// whole reply with usage, cost and latency.
	Response *Response `json:"response,omitempty"`
}

// ToolCallDelta is a fragment of a streamed tool call; fragments with the
// same Index belong to the same call.
type ToolCallDelta struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

// Response is a completed model reply.
type Response struct {
	// ID is the provider's response id, when it gives one.
	ID string `json:"id,omitempty"`
	// Model is the model string that answered.
	Model string `json:"model"`
	// Provider is the provider name ("openai", "anthropic", ...).
	Provider string `json:"provider,omitempty"`
	// Deployment is the Router deployment id that answered, if any.
	Deployment string `json:"deployment,omitempty"`
	// Message is the single assistant message (choices merged).
	Message      Message      `json:"message"`
	FinishReason FinishReason `json:"finish_reason"`
	Usage        Usage        `json:"usage"`
	// Cost is in US dollars, from the price table (or the prices given with
	// WithCost, a Router deployment's own prices, llm.RegisterModel).
	Cost float64 `json:"cost"`
	// CostKnown reports whether the model's price is known, so that Cost is
	// the real cost: false means the model is in no price table and Cost is
	// 0 for that reason only (register it with RegisterModel). Local models
	// (ollama/...) are free: CostKnown is true and Cost 0.
	CostKnown bool `json:"cost_known"`
	// Latency is the wall time of the call that answered (for a Router,
	// of the whole routed call).
	Latency time.Duration `json:"latency"`
	// Attempts is how many provider calls this response took (1 without retries).
	Attempts int `json:"attempts,omitempty"`
}

// Completer is anything that completes a Request: a provider Model, a Router,
// a scripted test model.
type Completer interface {
	Complete(ctx context.Context, req *Request) (*Response, error)
}
