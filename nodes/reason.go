package nodes

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/tools"
)

// The prebuilt nodes' names, as the ReAct agent declares them.
const (
	NodeMemoryRecall = "memory_recall"
	NodeLLMReason    = "llm_reason"
	NodeToolExec     = "tool_exec"
	NodeMemoryRetain = "memory_retain"
)

// DefaultMaxIterations is the number of model calls per turn after which
// llm_reason withholds the tools so the model answers.
const DefaultMaxIterations = 10

// ReasonConfig configures LLMReason.
type ReasonConfig struct {
	// Model answers: the llm Router, a provider model, or any llm.Completer.
	// Required.
	Model llm.Completer
	// ModelName is sent as the request's model: a Router group name or a
	// model string. Optional when the Completer needs none.
	ModelName string
	// Tools offered to the model; nil offers none.
	Tools *tools.Registry
	// StrictTools exports the tools' schemas in strict mode.
	StrictTools bool
	// SystemPrompt opens every request when set.
	SystemPrompt string
	// MemoryPrompt formats recalled memories into a system message; nil
	// uses FormatMemories. Memories are added only when the state has some.
	MemoryPrompt func([]Recalled) string
	// MaxIterations bounds the model calls of one turn (default
	// DefaultMaxIterations). The last allowed call is made without tools
	// and with an instruction to answer, so the agent answers instead of
	// running out of steps.
	MaxIterations int
	// ReserveSteps is how many graph steps a tool round needs after this
	// node (default 3: tool_exec, llm_reason again, memory_retain). When
	// the run has fewer steps left before its step limit, the call is made
	// as the last one — without tools — so the agent answers instead of
	// failing with a step-limit error.
	ReserveSteps int
	// Temperature and MaxTokens are passed to the model when set.
	Temperature *float64
	MaxTokens   int
}

// ErrNoModel is returned by LLMReason when its config has no Model.
var ErrNoModel = errors.New("nodes: llm_reason needs a Model")

// finalInstruction is added to the last allowed model call of a turn.
const finalInstruction = "You have used every tool call allowed for this turn. Answer the user now with what you know; do not call tools."

// LLMReason returns the llm_reason node: it sends the conversation (after
// the system prompt and the recalled memories) to the model, streams the
// reply's text as token events when the graph is streamed, and appends the
// assistant message with its ResponseMeta. It counts the call in
// Iterations (starting again at a new turn, when the conversation ends with
// a user message) and adds its usage and cost to the state's totals.
func LLMReason[S any, P interface {
	*S
	Agent
}](cfg ReasonConfig) (graph.NodeFunc[S], error) {
	if cfg.Model == nil {
		return nil, ErrNoModel
	}
	if cfg.MaxIterations <= 0 {
		cfg.MaxIterations = DefaultMaxIterations
	}
	if cfg.ReserveSteps <= 0 {
		cfg.ReserveSteps = 3
	}
	if cfg.MemoryPrompt == nil {
		cfg.MemoryPrompt = FormatMemories
	}
	var specs []llms.Tool
	if cfg.Tools != nil && cfg.Tools.Len() > 0 {
		var opts []tools.ExportOption
		if cfg.StrictTools {
			opts = append(opts, tools.Strict())
		}
		var err error
		if specs, err = cfg.Tools.LLMTools(opts...); err != nil {
			return nil, fmt.Errorf("nodes: llm_reason: exporting tools: %w", err)
		}
	}
	return func(ctx context.Context, s S) (S, error) {
		a := P(&s).Agent()
		if m, ok := a.Last(); ok && m.Role == llm.RoleUser {
			// A new turn: the count starts again, whether or not a
			// memory_retain node reset it after the previous turn.
			a.Iterations = 0
		}
		last := a.Iterations+1 >= cfg.MaxIterations
		if left, ok := graph.StepsLeft(ctx); ok && left < cfg.ReserveSteps {
			last = true
		}
		req := &llm.Request{
			Model:       cfg.ModelName,
			Messages:    buildMessages(cfg, a, last),
			Temperature: cfg.Temperature,
			MaxTokens:   cfg.MaxTokens,
		}
		if !last {
			req.Tools = specs
		}
		if graph.Listening(ctx, graph.EventToken) {
			req.Stream = func(ctx context.Context, c llm.Chunk) error {
				if c.Text != "" && !graph.EmitToken(ctx, c.Text) {
					return context.Canceled
				}
				return nil
			}
		}
		resp, err := cfg.Model.Complete(ctx, req)
		if err != nil {
			return s, fmt.Errorf("llm_reason: %w", err)
		}
		msg := resp.Message
		msg.Role = llm.RoleAssistant
		if last {
			// Tools were withheld; a model that asks for them anyway gets
			// its text kept and the calls dropped, so the turn ends.
			msg.ToolCalls = nil
		}
		msg.Meta = &llm.ResponseMeta{
			Model:      resp.Model,
			Provider:   resp.Provider,
			Deployment: resp.Deployment,
			Usage:      resp.Usage,
			Cost:       resp.Cost,
			Latency:    resp.Latency,
		}
		a.appendMessages(msg)
		a.Iterations++
		a.Usage = a.Usage.Add(resp.Usage)
		a.Cost += resp.Cost
		return s, nil
	}, nil
}

func buildMessages(cfg ReasonConfig, a *AgentState, last bool) []llm.Message {
	n := len(a.Messages) + 3
	out := make([]llm.Message, 0, n)
	if cfg.SystemPrompt != "" {
		out = append(out, llm.System(cfg.SystemPrompt))
	}
	if len(a.Memories) > 0 {
		if text := cfg.MemoryPrompt(a.Memories); text != "" {
			out = append(out, llm.System(text))
		}
	}
	for _, m := range a.Messages {
		m.Meta = nil // bookkeeping, not conversation
		out = append(out, m)
	}
	if last {
		out = append(out, llm.System(finalInstruction))
	}
	return out
}

// FormatMemories is the default memory prompt: one line per memory, best
// first, under a heading that tells the model what they are.
func FormatMemories(ms []Recalled) string {
	const head = "Relevant memories (from earlier conversations; use them if they help):"
	n := len(head)
	for _, m := range ms {
		n += 3 + len(m.Text)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(head)
	for _, m := range ms {
		b.WriteString("\n- ")
		b.WriteString(m.Text)
	}
	return b.String()
}
