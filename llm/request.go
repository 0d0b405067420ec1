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
	// ToolChoice is "auto", "none", "required" or an llms.ToolChoice.
	ToolChoice any `json:"tool_choice,omitempty"`
	// Temperature is sent only when set.
	Temperature *float64 `json:"temperature,omitempty"`
	// MaxTokens limits the completion; 0 means the provider's default.
	MaxTokens int      `json:"max_tokens,omitempty"`
	TopP      float64  `json:"top_p,omitempty"`
	Stop      []string `json:"stop,omitempty"`
	JSONMode  bool     `json:"json_mode,omitempty"`
	// Timeout bounds the whole call when non-zero.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Stream, when set, receives chunks as they arrive; returning an error
	// stops the stream.
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
	// Cost is in US dollars, from the price table.
	Cost float64 `json:"cost"`
	// Latency is the wall time of the call that answered (for a Router,
	// of the whole routed call).
	Latency time.Duration `json:"latency"`
	// Attempts is how many provider calls this response took (1 without retries).
	Attempts int `json:"attempts,omitempty"`
	// CacheHit is true when a Router answered from its response cache
	// (LiteLLM's cache_hit): no provider was called, Attempts is 0 and
	// Cost is 0, while Usage is the original answer's.
	CacheHit bool `json:"cache_hit,omitempty"`
}

// Completer is anything that completes a Request: a provider Model, a Router,
// a scripted test model.
type Completer interface {
	Complete(ctx context.Context, req *Request) (*Response, error)
}
