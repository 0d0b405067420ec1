package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jedisos/jedisos/graph"
)

// Graph returns the graph.Tracer for graphs named name (the workflow name
// of the run span, e.g. "react"); pass it to graph.WithTracer or
// nodes.ReActConfig.Tracer. Spans: "invoke_workflow {name}" per run,
// "graph.step" per step, "graph.node {node}" per node call.
func (t *Telemetry) Graph(name string) graph.Tracer {
	if name == "" {
		name = "graph"
	}
	return &graphTracer{t: t, name: name, runName: "invoke_workflow " + name}
}

type graphTracer struct {
	t       *Telemetry
	name    string
	runName string
}

type span struct {
	t  *Telemetry
	sp trace.Span
}

// End ends the span; an interrupt is recorded as one, not as an error.
func (s span) End(err error) {
	if err != nil {
		if graph.IsInterrupt(err) {
			s.sp.SetAttributes(KeyInterrupted.Bool(true))
		} else {
			s.t.fail(s.sp, errorType(err), err)
		}
	} else {
		s.sp.SetStatus(codes.Ok, "")
	}
	s.sp.End()
}

func (g *graphTracer) StartRun(ctx context.Context, info graph.RunInfo) (context.Context, graph.Span) {
	attrs := []attribute.KeyValue{semconv.GenAIOperationNameInvokeWorkflow, semconv.GenAIWorkflowNameKey.String(g.name)}
	if info.Thread != "" {
		attrs = append(attrs, KeyGraphThread.String(info.Thread))
	}
	if info.Parent != "" {
		attrs = append(attrs, KeyGraphParent.String(info.Parent))
	}
	ctx, sp := g.t.tracer.Start(ctx, g.runName, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return ctx, span{g.t, sp}
}

func (g *graphTracer) StartStep(ctx context.Context, info graph.StepInfo) (context.Context, graph.Span) {
	ctx, sp := g.t.tracer.Start(ctx, "graph.step", trace.WithAttributes(KeyGraphStep.Int(info.Step), KeyGraphNodes.StringSlice(info.Nodes)))
	return ctx, span{g.t, sp}
}

func (g *graphTracer) StartTask(ctx, step context.Context, info graph.TaskInfo) (context.Context, graph.Span) {
	// The node's context carries the run's span; its task hangs under
	// the step's.
	parent := trace.ContextWithSpan(ctx, trace.SpanFromContext(step))
	attrs := []attribute.KeyValue{KeyGraphNode.String(info.Node), KeyGraphStep.Int(info.Step), KeyGraphTask.Int(info.Task)}
	if info.Attempt > 1 {
		attrs = append(attrs, KeyGraphAttempt.Int(info.Attempt))
	}
	ctx, sp := g.t.tracer.Start(parent, "graph.node "+info.Node, trace.WithAttributes(attrs...))
	return ctx, span{g.t, sp}
}
