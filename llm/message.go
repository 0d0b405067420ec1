package llm

import "time"

// Role is the author of a Message.
type Role string

// The message roles, as in OpenAI's chat format.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// ToolCall is one function call requested by the model.
type ToolCall struct {
	// ID identifies the call; the tool's answer quotes it in ToolCallID.
	ID string `json:"id"`
	// Type is always "function" today.
	Type string `json:"type,omitempty"`
	// Name is the tool's name.
	Name string `json:"name"`
	// Arguments is the JSON text of the call's arguments, as the model wrote it.
	Arguments string `json:"arguments"`
}

// Message is one turn of a conversation, shaped like an OpenAI chat message.
// It is JSON-serialisable so checkpoints can hold it.
type Message struct {
	Role    Role   `json:"role"`
	Content string `json:"content,omitempty"`
	// Name optionally names the author (a tool's name for RoleTool).
	Name string `json:"name,omitempty"`
	// ToolCalls are the calls an assistant message asks for.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID links a RoleTool message to the call it answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// ReasoningContent holds a reasoning model's thinking, when the provider returns it.
	ReasoningContent string `json:"reasoning_content,omitempty"`
	// Meta records who produced an assistant message and at what cost.
	Meta *ResponseMeta `json:"meta,omitempty"`
}

// ResponseMeta records where an assistant message came from.
type ResponseMeta struct {
	Model      string  `json:"model,omitempty"`
	Provider   string  `json:"provider,omitempty"`
	Deployment string  `json:"deployment,omitempty"`
	Usage      Usage   `json:"usage"`
	Cost       float64 `json:"cost,omitempty"`
	// CostKnown is Response.CostKnown.
	CostKnown bool          `json:"cost_known,omitempty"`
	Latency   time.Duration `json:"latency,omitempty"`
}

// System returns a system message.
func System(text string) Message { return Message{Role: RoleSystem, Content: text} }

// User returns a user message.
func User(text string) Message { return Message{Role: RoleUser, Content: text} }

// Assistant returns an assistant text message.
func Assistant(text string) Message { return Message{Role: RoleAssistant, Content: text} }

// ToolResult returns a tool message answering the call with id callID.
func ToolResult(callID, name, content string) Message {
	return Message{Role: RoleTool, ToolCallID: callID, Name: name, Content: content}
}

// FinishReason is a normalised stop reason.
type FinishReason string

// The normalised stop reasons.
const (
	FinishStop          FinishReason = "stop"
	FinishToolCalls     FinishReason = "tool_calls"
	FinishLength        FinishReason = "length"
	FinishContentFilter FinishReason = "content_filter"
	// FinishStopped: the caller stopped reading a stream (broke out of
	// Stream's loop, or its StreamFunc returned ErrStopStream) before the
	// provider finished; the response holds what had arrived.
	FinishStopped FinishReason = "stopped"
)

// Usage is token usage normalised across providers.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	// CacheReadTokens are prompt tokens served from the provider's cache.
	CacheReadTokens int `json:"cache_read_tokens,omitempty"`
	// CacheWriteTokens are prompt tokens written to the provider's cache.
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
	// ReasoningTokens are completion tokens spent on reasoning.
	ReasoningTokens int `json:"reasoning_tokens,omitempty"`
}

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{
		PromptTokens:     u.PromptTokens + o.PromptTokens,
		CompletionTokens: u.CompletionTokens + o.CompletionTokens,
		TotalTokens:      u.TotalTokens + o.TotalTokens,
		CacheReadTokens:  u.CacheReadTokens + o.CacheReadTokens,
		CacheWriteTokens: u.CacheWriteTokens + o.CacheWriteTokens,
		ReasoningTokens:  u.ReasoningTokens + o.ReasoningTokens,
	}
}
