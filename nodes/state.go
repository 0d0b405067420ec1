package nodes

import (
	"github.com/jedisos/jedisos/llm"
)

// AgentState is the conversation state the prebuilt nodes read and write.
// Use it as a graph's state or embed it in your own state struct.
type AgentState struct {
	// Messages is the conversation, oldest first.
	Messages []llm.Message `json:"messages" reduce:"append"`
	// Bank is the memory bank (a user, an agent, a project) to recall from
	// and retain into; the node's configured bank is used when empty.
	Bank string `json:"bank,omitempty"`
	// Memories are the memories recalled for the latest user message.
	Memories []Recalled `json:"memories,omitempty"`
	// Iterations counts the model calls made by llm_reason in this turn;
	// llm_reason starts it again when the conversation ends with a user
	// message.
	Iterations int `json:"iterations,omitempty"`
	// Usage totals the token usage of every model call.
	Usage llm.Usage `json:"usage"`
	// Cost totals the cost of every model call, in US dollars.
	Cost float64 `json:"cost,omitempty"`
}

// Agent returns a. Embedding AgentState promotes it, which is what lets the
// prebuilt nodes work on the embedding state.
func (a *AgentState) Agent() *AgentState { return a }

// Agent is implemented by a pointer to any state that embeds AgentState.
type Agent interface {
	Agent() *AgentState
}

// Recalled is one memory recalled into the state.
type Recalled struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	Kind string `json:"kind,omitempty"`
	// Score is the recall score (higher is better).
	Score float64 `json:"score"`
	// FoundBy names the arms that found it with their ranks, e.g.
	// "semantic#1 keyword#3".
	FoundBy string `json:"found_by,omitempty"`
}

// LastUser returns the content of the latest user message, or "".
func (a *AgentState) LastUser() string {
	for i := len(a.Messages) - 1; i >= 0; i-- {
		if a.Messages[i].Role == llm.RoleUser {
			return a.Messages[i].Content
		}
	}
	return ""
}

// Last returns the latest message and true, or false when there is none.
func (a *AgentState) Last() (llm.Message, bool) {
	if len(a.Messages) == 0 {
		return llm.Message{}, false
	}
	return a.Messages[len(a.Messages)-1], true
}

// Answer returns the content of the latest assistant message without tool
// calls: the agent's answer to the turn, or "" if it has not answered.
func (a *AgentState) Answer() string {
	for i := len(a.Messages) - 1; i >= 0; i-- {
		m := a.Messages[i]
		if m.Role == llm.RoleUser {
			return ""
		}
		if m.Role == llm.RoleAssistant && len(m.ToolCalls) == 0 {
			return m.Content
		}
	}
	return ""
}

// appendMessages appends ms to the conversation. The graph clips the
// slices of a snapshot that parallel nodes share, so appending never writes
// into memory another node reads.
func (a *AgentState) appendMessages(ms ...llm.Message) {
	a.Messages = append(a.Messages, ms...)
}
