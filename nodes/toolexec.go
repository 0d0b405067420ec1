package nodes

import (
	"context"
	"errors"
	"fmt"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/tools"
)

// ErrNoTools is returned by ToolExec when it is given no registry.
var ErrNoTools = errors.New("nodes: tool_exec needs a tools.Registry")

// ToolExec returns the tool_exec node: it runs the tool calls of the last
// assistant message concurrently through reg (bounded by the registry's
// concurrency) and appends one tool message per call, in call order. A bad
// call — malformed JSON, arguments that violate the schema, an unknown
// tool, a panic, a timeout — becomes a tool message telling the model what
// was wrong, so it can correct itself; it never fails the run. Only the
// run's own cancellation does.
//
// When the graph is streamed, each result is also emitted as a custom event
// carrying a [ToolEvent].
func ToolExec[S any, P interface {
	*S
	Agent
}](reg *tools.Registry) (graph.NodeFunc[S], error) {
	if reg == nil {
		return nil, ErrNoTools
	}
	return func(ctx context.Context, s S) (S, error) {
		a := P(&s).Agent()
		last, ok := a.Last()
		if !ok || len(last.ToolCalls) == 0 {
			return s, nil
		}
		results, err := reg.RunTurn(ctx, last.ToolCalls)
		if err != nil {
			return s, fmt.Errorf("tool_exec: %w", err)
		}
		if graph.Listening(ctx, graph.EventCustom) {
			for _, r := range results {
				graph.Emit(ctx, ToolEvent{CallID: r.CallID, Name: r.Name, Content: r.Content, Err: r.Err})
			}
		}
		a.appendMessages(tools.Messages(results)...)
		return s, nil
	}, nil
}

// ToolEvent is the custom stream event tool_exec emits for each call.
type ToolEvent struct {
	CallID  string
	Name    string
	Content string
	// Err is the call's typed error from package tools, nil on success.
	Err error
}

// RouteTools returns a router for a conditional edge out of llm_reason: to
// toolNode when the latest assistant message asks for tools, to next
// otherwise.
func RouteTools[S any, P interface {
	*S
	Agent
}](toolNode, next string) func(S) string {
	return func(s S) string {
		if m, ok := P(&s).Agent().Last(); ok && len(m.ToolCalls) > 0 {
			return toolNode
		}
		return next
	}
}
