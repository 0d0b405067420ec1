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
	MaxTokens int `json:"max_tokens,omitempty"`
	// TopP is nucleus sampling, sent only when set (so 0 can be sent).
	TopP *float64 `json:"top_p,omitempty"`
	// Stop lists sequences that end the completion.
	Stop []string `json:"stop,omitempty"`
	// ResponseFormat asks for JSON, optionally matching a JSON Schema
	// (JSONSchemaFormat); it takes precedence over JSONMode (below).
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	// Seed asks for deterministic sampling (OpenAI, Gemini).
	Seed *int `json:"seed,omitempty"`
	// N asks for that many choices (OpenAI n, Gemini candidateCount); 0
	// and 1 are one. With N > 1, Response.Choices holds them all; streams
	// support one choice only.
	N int `json:"n,omitempty"`
	// User identifies the end user to the provider (OpenAI user,
	// Anthropic metadata.user_id).
	User string `json:"user,omitempty"`
	// TopLogprobs asks for that many alternatives per output token (and
	// implies Logprobs).
	TopLogprobs int `json:"top_logprobs,omitempty"`
	// JSONMode asks for a JSON object (response_format json_object).
	JSONMode bool `json:"json_mode,omitempty"`
	// Logprobs asks for the log probability of each output token (OpenAI,
	// Gemini). They come back in Response.Logprobs.
	Logprobs bool `json:"logprobs,omitempty"`
	// DropParams drops the parameters the provider does not support
	// instead of failing with ErrUnsupportedParams (LiteLLM's
	// drop_params); Params.DropParams sets it for every call of a model.
	DropParams bool `json:"drop_params,omitempty"`
	// Extra fields are merged into the provider's request body as they
	// are, last, so they can set what this type has no field for
	// (LiteLLM's extra_body); a key already in the body is replaced.
	Extra map[string]any `json:"extra,omitempty"`
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
	// Logprobs are the log probabilities of this chunk's tokens, when asked
	// for.
	Logprobs []TokenLogprob `json:"logprobs,omitempty"`
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
	// CacheHit is true when a Router answered from its response cache
	// (LiteLLM's cache_hit): no provider was called, Attempts is 0 and
	// Cost is 0, while Usage is the original answer's.
	CacheHit bool `json:"cache_hit,omitempty"`
	// Created is when the provider says it created the reply (OpenAI's
	// created), else when the reply arrived.
	Created time.Time `json:"created,omitzero"`
	// Logprobs are the output tokens' log probabilities, when the request
	// asked for them (Request.Logprobs) and the provider gave them.
	Logprobs []TokenLogprob `json:"logprobs,omitempty"`
	// Choices holds every choice when the request asked for N > 1; Message,
	// FinishReason and Logprobs are then those of the first.
	Choices []Choice `json:"choices,omitempty"`
}

// Choice is one of several choices (Request.N > 1).
type Choice struct {
	Index        int            `json:"index"`
	Message      Message        `json:"message"`
	FinishReason FinishReason   `json:"finish_reason"`
	Logprobs     []TokenLogprob `json:"logprobs,omitempty"`
}

// TokenLogprob is one output token with its log probability and, when
// asked for (Request.TopLogprobs), the most likely alternatives.
type TokenLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	// Bytes are the token's UTF-8 bytes, when the provider gives them.
	Bytes       []int        `json:"bytes,omitempty"`
	TopLogprobs []TopLogprob `json:"top_logprobs,omitempty"`
}

// TopLogprob is an alternative token at one position.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes,omitempty"`
}

// ResponseFormat is OpenAI's response_format: Type "text", "json_object"
// or "json_schema" (with JSONSchema). Anthropic, which has no JSON mode,
// gets json_object as an instruction and json_schema as a forced tool call
// whose input becomes the reply's content, as LiteLLM does; Gemini gets
// responseMimeType application/json and the schema as responseSchema.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema names a schema the reply must match.
type JSONSchema struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Schema is the JSON Schema (a map, a struct that marshals to one, or
	// json.RawMessage).
	Schema any   `json:"schema"`
	Strict *bool `json:"strict,omitempty"`
}

// JSONSchemaFormat returns a strict json_schema response format.
func JSONSchemaFormat(name string, schema any) *ResponseFormat {
	strict := true
	return &ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchema{Name: name, Schema: schema, Strict: &strict}}
}

// Completer is anything that completes a Request: a provider Model, a Router,
// a scripted test model.
//
// Complete must not keep req, or change it, once it has returned: a Router
// passes each attempt its own copy of the caller's request and reuses that
// copy for a later call. A Completer that wants the request later (a test
// model recording what it was sent) keeps a copy (*req); the slices and
// maps in it are the caller's and are never reused.
type Completer interface {
	Complete(ctx context.Context, req *Request) (*Response, error)
}
