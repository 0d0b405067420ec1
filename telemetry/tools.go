package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/tools"
)

// Tools returns the tools.Tracer for tools.Config.Tracer: one
// "execute_tool {name}" span per call (gen_ai.operation.name execute_tool,
// gen_ai.tool.name, gen_ai.tool.call.id; error status and error.type for a
// failed call, whose text the model reads).
func (t *Telemetry) Tools() tools.Tracer { return t.tools }

type toolTracer struct{ t *Telemetry }

type toolSpan struct {
	t  *Telemetry
	sp trace.Span
}

func (tt *toolTracer) StartTool(ctx context.Context, call llm.ToolCall) (context.Context, tools.Span) {
	attrs := []attribute.KeyValue{semconv.GenAIOperationNameExecuteTool, semconv.GenAIToolNameKey.String(call.Name),
		semconv.GenAIToolCallIDKey.String(call.ID), semconv.GenAIToolTypeKey.String("function")}
	if tt.t.capture {
		attrs = append(attrs, semconv.GenAIToolCallArgumentsKey.String(tt.t.scrub(call.Arguments)))
	}
	ctx, sp := tt.t.tracer.Start(ctx, "execute_tool "+call.Name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return ctx, toolSpan{tt.t, sp}
}

func (s toolSpan) End(res tools.Result) {
	if res.Truncated {
		s.sp.SetAttributes(KeyToolTruncated.Bool(true))
	}
	if s.t.capture {
		s.sp.SetAttributes(semconv.GenAIToolCallResultKey.String(s.t.scrub(res.Content)))
	}
	if res.Err != nil {
		s.t.fail(s.sp, errorType(res.Err), res.Err)
	} else {
		s.sp.SetStatus(codes.Ok, "")
	}
	s.sp.End()
}
