package nodes

import (
	"context"
	"errors"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/tools"
)

// ReActConfig configures the prebuilt ReAct agent.
type ReActConfig struct {
	// Model answers: the llm Router normally. Required.
	Model llm.Completer
	// ModelName is the Router group or model string requested.
	ModelName string
	// SystemPrompt opens every model call.
	SystemPrompt string
	// Tools the agent may call; nil means none (no tool_exec node).
	Tools *tools.Registry
	// Memory, when set, adds memory_recall before the first model call and
	// memory_retain after the answer.
	Memory *memory.Engine
	// Bank is the memory bank when the state names none.
	Bank string
	// Recall tunes memory_recall (budget, token limit, filters).
	Recall memory.RecallOptions
	// Retain qualifies what memory_retain stores.
	Retain memory.RetainOptions
	// Retainer, when set, makes memory_retain queue turns in the
	// background; close it before exiting. It is not the default: the
	// compiled agent has no Close of its own to flush a queue, so a
	// turn queued when the program exits would be lost after its answer
	// was returned, and the next turn's recall could run before the
	// previous turn is stored (waiting for it there would put the
	// retain back on the next turn's path). Retaining in line costs
	// about a tenth of a turn's CPU at 10k memories with the offline
	// extractor (BenchmarkReActTurn): extraction, embedding, the search
	// for temporal neighbours (a few records around the turn's time)
	// and the store's write.
	Retainer *Retainer
	// MaxIterations bounds model calls per turn (default
	// DefaultMaxIterations); the last one is made without tools so the
	// agent answers instead of failing.
	MaxIterations int
	// Temperature and MaxTokens are passed to the model when set.
	Temperature *float64
	MaxTokens   int
	// Checkpointer makes runs durable (resume, interrupts, history).
	Checkpointer state.Checkpointer
	// CompileOptions are added to Compile (interrupts, durability...).
	CompileOptions []graph.CompileOption
	// Tracer, when set, traces the agent's runs, steps and node tasks
	// (graph.WithTracer), e.g. telemetry's Graph("react"). The model,
	// tools and memory get their hooks where they are built.
	Tracer graph.Tracer
}

// ReActGraph builds the ReAct agent's graph over any state embedding
// AgentState, uncompiled, so a caller can add nodes and edges, compile it
// with options, or use it as a subgraph:
//
//	memory_recall -> llm_reason <-> tool_exec
//	                 llm_reason  -> memory_retain -> END
//
// memory_recall and memory_retain are present only with cfg.Memory, and
// tool_exec only with cfg.Tools.
func ReActGraph[S any, P interface {
	*S
	Agent
}](cfg ReActConfig) (*graph.Graph[S], error) {
	reason, err := LLMReason[S, P](ReasonConfig{
		Model: cfg.Model, ModelName: cfg.ModelName, Tools: cfg.Tools,
		SystemPrompt: cfg.SystemPrompt, MaxIterations: cfg.MaxIterations,
		Temperature: cfg.Temperature, MaxTokens: cfg.MaxTokens,
	})
	if err != nil {
		return nil, err
	}
	g := graph.New[S]()
	g.AddNode(NodeLLMReason, reason)
	after := graph.END
	if cfg.Memory != nil {
		recall, err := MemoryRecall[S, P](RecallConfig{Engine: cfg.Memory, Bank: cfg.Bank, Options: cfg.Recall})
		if err != nil {
			return nil, err
		}
		retain, err := MemoryRetain[S, P](RetainConfig{Engine: cfg.Memory, Bank: cfg.Bank, Options: cfg.Retain, Background: cfg.Retainer})
		if err != nil {
			return nil, err
		}
		g.AddNode(NodeMemoryRecall, recall).AddNode(NodeMemoryRetain, retain)
		g.AddEdge(graph.START, NodeMemoryRecall).AddEdge(NodeMemoryRecall, NodeLLMReason)
		g.AddEdge(NodeMemoryRetain, graph.END)
		after = NodeMemoryRetain
	} else {
		g.AddEdge(graph.START, NodeLLMReason)
	}
	if cfg.Tools != nil && cfg.Tools.Len() > 0 {
		exec, err := ToolExec[S, P](cfg.Tools)
		if err != nil {
			return nil, err
		}
		g.AddNode(NodeToolExec, exec)
		g.AddConditionalEdge(NodeLLMReason, RouteTools[S, P](NodeToolExec, after), NodeToolExec, after)
		g.AddEdge(NodeToolExec, NodeLLMReason)
	} else {
		g.AddEdge(NodeLLMReason, after)
	}
	return g, nil
}

// NewReAct compiles the ReAct agent over AgentState.
func NewReAct(cfg ReActConfig) (*graph.Compiled[AgentState], error) {
	return CompileReAct[AgentState](cfg)
}

// CompileReAct compiles the ReAct agent over any state embedding
// AgentState, with cfg's checkpointer and compile options. The step limit
// is raised if needed so MaxIterations always fits.
func CompileReAct[S any, P interface {
	*S
	Agent
}](cfg ReActConfig) (*graph.Compiled[S], error) {
	if cfg.Model == nil {
		return nil, ErrNoModel
	}
	g, err := ReActGraph[S, P](cfg)
	if err != nil {
		return nil, err
	}
	iters := cfg.MaxIterations
	if iters <= 0 {
		iters = DefaultMaxIterations
	}
	opts := []graph.CompileOption{graph.WithStepLimit(max(graph.DefaultStepLimit, 2*iters+4))}
	if cfg.Checkpointer != nil {
		opts = append(opts, graph.WithCheckpointer(cfg.Checkpointer))
	}
	if cfg.Tracer != nil {
		opts = append(opts, graph.WithTracer(cfg.Tracer))
	}
	opts = append(opts, cfg.CompileOptions...)
	return g.Compile(opts...)
}

// ErrNoAnswer is returned by Ask when the run ended without an answer.
var ErrNoAnswer = errors.New("nodes: the agent ended without answering")

// Ask runs one turn of a compiled agent over AgentState: it appends question
// as a user message to st, invokes the agent and returns its answer and the
// new state. Pass the returned state to the next Ask to keep the
// conversation (or run under a checkpointer thread).
func Ask(ctx context.Context, agent *graph.Compiled[AgentState], st AgentState, question string, opts ...graph.RunOption) (string, AgentState, error) {
	st.Messages = append(st.Messages[:len(st.Messages):len(st.Messages)], llm.User(question))
	out, err := agent.Invoke(ctx, st, opts...)
	if err != nil {
		return "", out, err
	}
	ans := out.Answer()
	if ans == "" {
		return "", out, ErrNoAnswer
	}
	return ans, out, nil
}
