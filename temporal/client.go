package temporal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/jedisos/jedisos/graph"
)

// StartOption configures one run.
type StartOption func(*Input)

// StepLimit overrides the compiled graph's step limit for this run.
func StepLimit(n int) StartOption {
	return func(in *Input) { in.StepLimit = n }
}

// NodeEvents sets the kinds of events raised inside nodes (graph.EventCustom,
// graph.EventToken) that the run carries to Stream; the default is both,
// NodeEvents(0) carries none. graph.Listening reports them to the nodes.
func NodeEvents(kinds graph.EventKind) StartOption {
	return func(in *Input) { in.NodeEvents = &kinds }
}

// BreakBefore pauses this run before the named nodes run, besides the
// compiled graph's WithInterruptBefore nodes (as graph.BreakBefore).
func BreakBefore(nodes ...string) StartOption {
	return func(in *Input) { in.BreakBefore = append(in.BreakBefore, nodes...) }
}

// BreakAfter pauses this run after the named nodes ran, besides the
// compiled graph's WithInterruptAfter nodes (as graph.BreakAfter).
func BreakAfter(nodes ...string) StartOption {
	return func(in *Input) { in.BreakAfter = append(in.BreakAfter, nodes...) }
}

// Start starts a run of the graph with input in, under the workflow options
// opts (ID and TaskQueue, at least). The run goes on in Temporal whatever
// happens to the caller; the returned Run follows it.
func (g *Graph[S]) Start(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, in S, ropts ...StartOption) (*Run[S], error) {
	if opts.TaskQueue == "" {
		return nil, errors.New("temporal: Start: StartWorkflowOptions.TaskQueue is empty")
	}
	ri, err := g.Input(in, ropts...)
	if err != nil {
		return nil, fmt.Errorf("temporal: Start: %w", err)
	}
	wr, err := c.ExecuteWorkflow(ctx, opts, g.name, ri)
	if err != nil {
		return nil, fmt.Errorf("temporal: start workflow %q: %w", opts.ID, err)
	}
	return &Run[S]{g: g, c: c, id: wr.GetID(), runID: wr.GetRunID()}, nil
}

// Input returns the workflow's argument for a run with input in.
func (g *Graph[S]) Input(in S, opts ...StartOption) (Input, error) {
	enc, err := g.st.Encode(in)
	if err != nil {
		return Input{}, err
	}
	ri := Input{State: enc}
	for _, o := range opts {
		o(&ri)
	}
	if ri.StepLimit < 0 {
		return Input{}, fmt.Errorf("StepLimit(%d): the limit must be positive", ri.StepLimit)
	}
	var none graph.StepState
	if _, err := g.st.BreaksBefore("", &none, ri.BreakBefore...); err != nil {
		return Input{}, err
	}
	if _, err := g.st.BreaksAfter("", &none, &none, ri.BreakAfter...); err != nil {
		return Input{}, err
	}
	return ri, nil
}

// Invoke starts a run and waits for its final state, like
// graph.Compiled.Invoke. A run that pauses for input keeps waiting: use
// Start, Stream and Resume for graphs that interrupt.
func (g *Graph[S]) Invoke(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, in S, ropts ...StartOption) (S, error) {
	r, err := g.Start(ctx, c, opts, in, ropts...)
	if err != nil {
		var zero S
		return zero, err
	}
	return r.Result(ctx)
}

// Attach returns a Run following the workflow execution workflowID (its
// latest run when runID is empty), started earlier, maybe by another
// process.
func (g *Graph[S]) Attach(c client.Client, workflowID, runID string) *Run[S] {
	return &Run[S]{g: g, c: c, id: workflowID, runID: runID}
}

// Run is one run of a graph on Temporal, seen from a client.
type Run[S any] struct {
	g     *Graph[S]
	c     client.Client
	id    string
	runID string
}

// ID is the run's workflow id.
func (r *Run[S]) ID() string { return r.id }

// RunID is the id of the workflow execution the run started as (a run that
// continued as new has later executions under the same ID).
func (r *Run[S]) RunID() string { return r.runID }

// Status is a run's state as its workflow sees it.
type Status[S any] struct {
	Phase Phase
	// Step is the step running (or, once done, the number of steps run).
	Step int
	// State is the state after the last finished step.
	State S
	// Interrupts are the pending requests for input (PhaseInterrupted).
	Interrupts []graph.Pending
	// Running names the nodes whose activities have not finished.
	Running []string
	// Error says why the run failed (PhaseFailed).
	Error string
}

func (r *Run[S]) query(ctx context.Context, after int) (statusPage, error) {
	// Queries go to the latest execution, which continued runs are.
	v, err := r.c.QueryWorkflow(ctx, r.id, "", QueryStatus, after)
	if err != nil {
		return statusPage{}, fmt.Errorf("temporal: query run %q: %w", r.id, err)
	}
	var p statusPage
	if err := v.Get(&p); err != nil {
		return statusPage{}, fmt.Errorf("temporal: query run %q: %w", r.id, err)
	}
	return p, nil
}

// Status asks the run's workflow where it is (a workflow query: it needs a
// worker, and works on finished runs too).
func (r *Run[S]) Status(ctx context.Context) (Status[S], error) {
	p, err := r.query(ctx, -1)
	if err != nil {
		return Status[S]{}, err
	}
	st := Status[S]{Phase: p.Phase, Step: p.Step, Interrupts: p.Interrupts, Running: p.Running, Error: p.Error}
	if len(p.State) > 0 {
		if st.State, err = r.g.st.Decode(p.State); err != nil {
			return st, fmt.Errorf("temporal: run %q state: %w", r.id, err)
		}
	}
	return st, nil
}

// Resume answers the run's only pending interrupt with value; the
// interrupted task runs again with it. It returns once the workflow has
// accepted the answer.
func (r *Run[S]) Resume(ctx context.Context, value any) error {
	return r.ResumeID(ctx, "", value)
}

// ResumeID answers the pending interrupt id with value. An id that is not
// pending is refused with an error and changes nothing.
func (r *Run[S]) ResumeID(ctx context.Context, id string, value any) error {
	b, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("temporal: resume value for interrupt %q cannot be encoded: %w", id, err)
	}
	h, err := r.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   r.id,
		UpdateName:   UpdateResume,
		Args:         []any{map[string]json.RawMessage{id: b}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return fmt.Errorf("temporal: resume run %q: %w", r.id, err)
	}
	if err := h.Get(ctx, nil); err != nil {
		return fmt.Errorf("temporal: resume run %q: %w", r.id, err)
	}
	return nil
}

// Result waits for the run to end and returns its final state. A run that
// failed returns the graph's error: a *graph.NodeError (with the node, step
// and attempts) for a node that failed, a *graph.StepLimitError, or a
// *RunError for the rest.
func (r *Run[S]) Result(ctx context.Context) (S, error) {
	var zero S
	var raw json.RawMessage
	if err := r.c.GetWorkflow(ctx, r.id, r.runID).Get(ctx, &raw); err != nil {
		return zero, graphError(r.id, err)
	}
	out, err := r.g.st.Decode(raw)
	if err != nil {
		return zero, fmt.Errorf("temporal: run %q final state: %w", r.id, err)
	}
	return out, nil
}

// Stream follows the run and yields its events as the workflow records
// them: EventNodeStart when a node's activity is scheduled, EventNodeEnd
// when it finished (Written names the fields it changed; State is left
// zero), EventCustom and EventToken for the node's Emit and EmitToken
// calls (before its EventNodeEnd; a Payload is the json.RawMessage of
// what the node emitted), EventState with the merged state after each
// step, and
// EventInterrupt when the run waits for Resume (the stream goes on after
// it). It ends when the run ends, with the run's error as the last item if
// it failed. Events are read by polling a query every
// Options.PollInterval; a stream that falls behind a continue-as-new skips
// the events it missed. Breaking out of the loop stops following; the run
// goes on.
func (r *Run[S]) Stream(ctx context.Context) iter.Seq2[graph.Event[S], error] {
	return func(yield func(graph.Event[S], error) bool) {
		next := 0
		for {
			p, err := r.query(ctx, next)
			if err != nil {
				yield(graph.Event[S]{}, err)
				return
			}
			for _, we := range p.Events {
				ev := graph.Event[S]{Kind: we.Kind, Step: we.Step, Node: we.Node, Task: we.Task, Written: we.Written, Interrupts: we.Interrupts, Token: we.Token}
				if len(we.Payload) > 0 {
					ev.Payload = we.Payload
				}
				if len(we.State) > 0 {
					if ev.State, err = r.g.st.Decode(we.State); err != nil {
						yield(graph.Event[S]{}, fmt.Errorf("temporal: run %q event state: %w", r.id, err))
						return
					}
				}
				if !yield(ev, nil) {
					return
				}
			}
			next = p.Next
			switch p.Phase {
			case PhaseDone:
				// A continued run reports done only in its last execution.
				if _, err := r.Result(ctx); err != nil {
					yield(graph.Event[S]{}, err)
				}
				return
			case PhaseFailed:
				_, err := r.Result(ctx)
				if err == nil {
					err = &RunError{Type: ErrTypeRun, Message: p.Error}
				}
				yield(graph.Event[S]{}, err)
				return
			}
			t := time.NewTimer(r.g.opts.PollInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				yield(graph.Event[S]{}, ctx.Err())
				return
			case <-t.C:
			}
		}
	}
}

// RunError is a run's failure that is not a node's: a routing or merge
// error, a bad input, an activity that ran out of attempts or time, or a
// cancelled or terminated workflow.
type RunError struct {
	// Type is the Temporal application error type (ErrType...), or the
	// kind of workflow failure.
	Type    string
	Message string
	Err     error
}

// Error returns the message.
func (e *RunError) Error() string { return "temporal: run failed: " + e.Message }

// Unwrap returns the Temporal error.
func (e *RunError) Unwrap() error { return e.Err }

// graphError rebuilds the graph error a run failed with.
func graphError(id string, err error) error {
	var app *sdktemporal.ApplicationError
	if errors.As(err, &app) {
		var f failure
		if app.HasDetails() {
			_ = app.Details(&f)
		}
		switch app.Type() {
		case ErrTypeNode:
			return &graph.NodeError{Node: f.Node, Step: f.Step, Attempts: f.Attempts, Err: errors.New(f.Message)}
		case ErrTypeStepLimit:
			return &graph.StepLimitError{Limit: f.Limit}
		}
		msg := f.Message
		if msg == "" {
			msg = app.Error()
		}
		return &RunError{Type: app.Type(), Message: msg, Err: err}
	}
	return &RunError{Type: "workflow", Message: fmt.Sprintf("run %q: %v", id, err), Err: err}
}
