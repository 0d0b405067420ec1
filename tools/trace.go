package tools

import (
	"context"

	"github.com/jedisos/jedisos/llm"
)

// Tracer observes a Registry's tool executions, for tracing (package
// telemetry builds one on OpenTelemetry). Set it in Config.Tracer; a
// registry without one pays a nil check per call, nothing else.
//
// StartTool is called before each call of Execute and RunTurn, unknown
// tools and bad arguments included; the context it returns is the one the
// tool runs with, and the Span is ended once with the call's Result.
// Calls of one turn start and end concurrently. A Tracer must not panic.
type Tracer interface {
	StartTool(ctx context.Context, call llm.ToolCall) (context.Context, Span)
}

// Span is one traced tool call.
type Span interface {
	// End receives the Result the model reads (Err set on failure).
	End(res Result)
}

// tracedExecute is Execute under cfg.Tracer.
func (r *Registry) tracedExecute(ctx context.Context, cfg Config, t *Tool, call llm.ToolCall) Result {
	ctx, sp := cfg.Tracer.StartTool(ctx, call)
	var res Result
	if t == nil {
		res = r.unknown(call, cfg.MaxOutputBytes)
	} else {
		res = t.execute(ctx, call, cfg.Timeout, cfg.MaxOutputBytes, cfg.MaxArgumentBytes)
	}
	sp.End(res)
	return res
}

// startSpan opens the span of call i of a traced turn.
func (tn *turn) startSpan(ctx context.Context, i int) context.Context {
	ctx, tn.spans[i] = tn.cfg.Tracer.StartTool(ctx, tn.calls[i])
	return ctx
}
