package graph

import (
	"context"
	"errors"
)

// Tracer observes a compiled graph's runs, steps and node tasks, for
// tracing (package telemetry builds one on OpenTelemetry). Set it with
// WithTracer. A graph compiled without one pays a nil check per step and
// per node call, nothing else.
//
// The three Start methods return the context the child work runs with, so
// spans opened inside a node (an LLM call, a tool, a recall, a subgraph
// run) nest under the node's task, and a Span that is ended exactly once.
// They are called from the run's goroutines: parallel tasks of one step
// start and end concurrently. A Tracer must not panic.
type Tracer interface {
	// StartRun is called when Invoke or Stream starts a run. ctx is the
	// caller's context (inside a node for a subgraph run); the returned
	// context becomes the run's, from which every node's context derives.
	StartRun(ctx context.Context, info RunInfo) (context.Context, Span)
	// StartStep is called before the nodes of a step run. run is the
	// context StartRun returned; the step's Span ends when the next step
	// starts or the run ends.
	StartStep(run context.Context, info StepInfo) (context.Context, Span)
	// StartTask is called each time a node function is about to run
	// (once per attempt under a retry policy). ctx is the node's own
	// context and the returned context, which must derive from it, is
	// what the node receives; step is the context StartStep returned, the
	// task's parent.
	StartTask(ctx, step context.Context, info TaskInfo) (context.Context, Span)
}

// Span is one traced unit of a run, ended once with its outcome: nil on
// success, the node's or run's error otherwise (an *InterruptedError when a
// run paused for input).
type Span interface {
	End(err error)
}

// RunInfo describes a run to a Tracer.
type RunInfo struct {
	// Thread is the checkpointer thread id, "" without one.
	Thread string
	// Parent is the outer node's name for a subgraph run ("outer/inner"
	// for nested ones), "" for a top-level run.
	Parent string
	// Nodes is the number of nodes of the graph.
	Nodes int
}

// StepInfo describes a step to a Tracer.
type StepInfo struct {
	// Step is the step number (0-based, counting on across resumes).
	Step int
	// Nodes names the step's tasks in task order; fan-out branches of
	// one node repeat its name.
	Nodes []string
}

// TaskInfo describes one node task to a Tracer.
type TaskInfo struct {
	// Node is the node's name, prefixed "outer/" inside a subgraph.
	Node string
	// Step is the step number and Task the task's position in it.
	Step, Task int
	// Attempt counts the node's attempts under a retry policy from 1.
	Attempt int
}

// WithTracer makes every run of the compiled graph report its runs, steps
// and node tasks to t. A nil t is ignored.
func WithTracer(t Tracer) CompileOption {
	return func(c *compileConfig) {
		if t != nil {
			c.tracer = t
		}
	}
}

// traceState is a traced run's open spans.
type traceState struct {
	t       Tracer
	run     Span
	runCtx  context.Context
	step    Span
	stepCtx context.Context
	names   []string
}

// startTrace opens the run's span and returns the context the run uses.
func (r *run[S]) startTrace(ctx context.Context, t Tracer) context.Context {
	info := RunInfo{Thread: r.cfg.thread, Nodes: len(r.c.nodes)}
	if parent := taskFrom(ctx); parent != nil {
		info.Parent = parent.prefix + parent.name()
	}
	rctx, sp := t.StartRun(ctx, info)
	r.tr = &traceState{t: t, run: sp, runCtx: rctx}
	return rctx
}

// traceStep ends the previous step's span and opens the current one's.
func (r *run[S]) traceStep() {
	ts := r.tr
	if ts.step != nil {
		ts.step.End(nil)
	}
	ts.names = ts.names[:0]
	for i := range r.cur {
		ts.names = append(ts.names, r.seq.prefix+r.c.nodes[r.cur[i].node].name)
	}
	ts.stepCtx, ts.step = ts.t.StartStep(ts.runCtx, StepInfo{Step: r.step, Nodes: append([]string(nil), ts.names...)})
}

// endTrace ends the open step's span and the run's.
func (r *run[S]) endTrace(err error) {
	ts := r.tr
	if ts.step != nil {
		ts.step.End(err)
		ts.step = nil
	}
	ts.run.End(err)
}

// startTask opens the span of one node call; ctx is the node's context.
func (r *run[S]) startTask(ctx context.Context, n *cnode[S]) (context.Context, Span) {
	ts := r.tr
	info := TaskInfo{Node: n.name, Step: r.step, Attempt: 1}
	if t := taskFrom(ctx); t != nil {
		info.Node = t.prefix + n.name
		info.Step, info.Task = t.step, t.task
	}
	if a, ok := ctx.Value(attemptKey{}).(int); ok {
		info.Attempt = a
	}
	parent := ts.stepCtx
	if parent == nil {
		parent = ts.runCtx
	}
	return ts.t.StartTask(ctx, parent, info)
}

type attemptKey struct{}

// IsInterrupt reports whether err is a pause for input rather than a
// failure: what a node returns when it calls Interrupt, or a run's
// *InterruptedError. Tracers use it to keep paused runs out of error
// counts.
func IsInterrupt(err error) bool {
	var ie *InterruptedError
	return isInterrupt(err) || errors.As(err, &ie)
}
