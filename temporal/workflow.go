package temporal

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/jedisos/jedisos/graph"
)

// wfRun is the workflow's own view of the run, read by the query handler.
type wfRun struct {
	phase   Phase
	pos     graph.StepState
	pending []graph.Pending
	running map[int]string
	errMsg  string
	base    int
	events  []wireEvent
	answers map[string]json.RawMessage
	fresh   int // answers accepted since the last re-run
	kinds   graph.EventKind
}

func (w *wfRun) add(ev wireEvent) { w.events = append(w.events, ev) }

func (w *wfRun) page(after int) statusPage {
	p := statusPage{Phase: w.phase, Step: w.pos.Step, State: w.pos.State, Interrupts: w.pending, Error: w.errMsg, Base: w.base, Next: w.base + len(w.events)}
	for _, i := range slices.Sorted(maps.Keys(w.running)) {
		p.Running = append(p.Running, w.running[i])
	}
	if after >= 0 {
		from := max(after-w.base, 0)
		if from < len(w.events) {
			p.Events = w.events[from:]
		}
	}
	return p
}

// validate accepts answers only for pending interrupts; the id "" stands
// for the only pending one.
func (w *wfRun) validate(answers map[string]json.RawMessage) error {
	if len(answers) == 0 {
		return errors.New("temporal: resume carries no answer")
	}
	if len(w.pending) == 0 {
		return errors.New("temporal: the run has no pending interrupt")
	}
	breaks := !slices.ContainsFunc(w.pending, func(p graph.Pending) bool { return p.Kind == graph.InterruptNode })
	for id := range answers {
		if id == "" {
			// A breakpoint takes no value: any resume continues the run.
			if len(w.pending) != 1 && !breaks {
				return fmt.Errorf("temporal: %d interrupts are pending; answer them by id", len(w.pending))
			}
			continue
		}
		if !slices.ContainsFunc(w.pending, func(p graph.Pending) bool { return p.ID == id }) {
			return fmt.Errorf("temporal: interrupt %q is not pending", id)
		}
	}
	return nil
}

func (w *wfRun) resume(_ workflow.Context, answers map[string]json.RawMessage) error {
	if err := w.validate(answers); err != nil {
		return err
	}
	for id, v := range answers {
		if id == "" {
			id = w.pending[0].ID
		}
		w.answers[id] = v
		w.fresh++
	}
	return nil
}

func (g *Graph[S]) workflow(ctx workflow.Context, in Input) (json.RawMessage, error) {
	w := &wfRun{phase: PhaseRunning, base: in.Events, running: map[int]string{}, answers: map[string]json.RawMessage{}}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func(after int) (statusPage, error) { return w.page(after), nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateResume, w.resume, workflow.UpdateHandlerOptions{
		Validator: func(_ workflow.Context, answers map[string]json.RawMessage) error { return w.validate(answers) },
	}); err != nil {
		return nil, err
	}
	fail := func(err error) (json.RawMessage, error) {
		w.phase, w.errMsg = PhaseFailed, err.Error()
		return nil, runFailure(err)
	}
	w.kinds = graph.EventCustom | graph.EventToken
	if in.NodeEvents != nil {
		w.kinds = *in.NodeEvents & (graph.EventCustom | graph.EventToken)
	}
	var err error
	if in.From != nil {
		w.pos = *in.From
	} else if w.pos, err = g.st.Start(in.State, in.StepLimit); err != nil {
		return fail(err)
	}
	runID := workflow.GetInfo(ctx).WorkflowExecution.ID
	steps := 0
	resumed := in.Resumed
	for !w.pos.Done() {
		if steps > 0 && (g.opts.ContinueAsNewEvery > 0 && steps >= g.opts.ContinueAsNewEvery || workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			pos := w.pos
			next := in
			next.State, next.From, next.Events, next.Resumed = nil, &pos, w.base+len(w.events), resumed
			return nil, workflow.NewContinueAsNewError(ctx, g.name, next)
		}
		if !resumed {
			br, err := g.st.BreaksBefore(runID, &w.pos, in.BreakBefore...)
			if err != nil {
				return fail(err)
			}
			if err := w.pause(ctx, br); err != nil {
				return fail(err)
			}
		}
		resumed = false
		results, err := g.step(ctx, w, runID)
		if err != nil {
			return fail(err)
		}
		next, err := g.st.Next(w.pos, results)
		if err != nil {
			return fail(err)
		}
		w.add(wireEvent{Kind: graph.EventState, Step: w.pos.Step, State: next.State})
		after, err := g.st.BreaksAfter(runID, &w.pos, &next, in.BreakAfter...)
		if err != nil {
			return fail(err)
		}
		w.pos = next
		steps++
		if len(after) > 0 {
			if err := w.pause(ctx, after); err != nil {
				return fail(err)
			}
			resumed = true
		}
	}
	w.phase = PhaseDone
	return w.pos.State, nil
}

// pause waits at breakpoints br (none: it returns at once) until a resume
// update continues the run.
func (w *wfRun) pause(ctx workflow.Context, br []graph.Pending) error {
	if len(br) == 0 {
		return nil
	}
	w.pending = br
	w.phase = PhaseInterrupted
	w.add(wireEvent{Kind: graph.EventInterrupt, Step: br[0].Step, Interrupts: slices.Clone(br)})
	w.fresh = 0
	if err := workflow.Await(ctx, func() bool { return w.fresh > 0 }); err != nil {
		return err
	}
	w.phase, w.pending = PhaseRunning, nil
	return nil
}

// step runs the tasks of the step at w.pos as parallel activities, waits
// for answers while any is interrupted and runs those again, and returns
// the results in task order.
func (g *Graph[S]) step(ctx workflow.Context, w *wfRun, runID string) ([]graph.TaskResult, error) {
	pos := &w.pos
	n := len(pos.Tasks)
	reqs := make([]graph.TaskRequest, n)
	results := make([]graph.TaskResult, n)
	todo := make([]int, n)
	for i := range n {
		reqs[i] = g.st.Request(runID, pos, i)
		reqs[i].Events = w.kinds
		todo[i] = i
	}
	sig := workflow.GetSignalChannel(ctx, SignalEvents)
	for {
		sctx, cancel := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		var first error
		// live: per running task, the attempt whose signalled events are
		// shown and how many of them.
		type live struct {
			key   string
			shown int
		}
		shown := map[int]*live{}
		take := func(b eventBatch) {
			if b.Step != pos.Step || w.running[b.Task] == "" {
				return // a late batch of a task no longer running
			}
			l := shown[b.Task]
			if l == nil || l.key != b.Key {
				l = &live{key: b.Key}
				shown[b.Task] = l
			}
			for j, ev := range b.Events {
				if b.From+j == l.shown {
					if w.kinds&ev.Kind != 0 {
						w.add(ev)
					}
					l.shown++
				}
			}
		}
		drain := func() {
			var b eventBatch
			for sig.ReceiveAsync(&b) {
				take(b)
				b = eventBatch{}
			}
		}
		drain()
		sel.AddReceive(sig, func(c workflow.ReceiveChannel, _ bool) {
			var b eventBatch
			c.Receive(ctx, &b)
			take(b)
		})
		completed := 0
		for _, i := range todo {
			w.add(wireEvent{Kind: graph.EventNodeStart, Step: pos.Step, Node: pos.Tasks[i].Node, Task: i})
			w.running[i] = pos.Tasks[i].Node
			f := workflow.ExecuteActivity(g.activityOptions(sctx, pos.Tasks[i].Node), g.activity, reqs[i])
			sel.AddFuture(f, func(f workflow.Future) {
				completed++
				drain()
				delete(w.running, i)
				var res taskOutput
				if err := f.Get(ctx, &res); err != nil {
					if first == nil {
						first = err
						cancel()
					}
					return
				}
				results[i] = res.TaskResult
				evs := res.Events
				if l := shown[i]; l != nil && l.key == res.Key {
					evs = evs[min(l.shown, len(evs)):]
				}
				for _, ev := range evs {
					if w.kinds&ev.Kind != 0 {
						w.add(ev)
					}
				}
			})
		}
		for completed < len(todo) {
			sel.Select(ctx)
		}
		cancel()
		// Every task that finished is reported, in task order, as
		// graph.Compiled.Stream reports them (also when a sibling failed
		// or was interrupted).
		for _, i := range todo {
			if r := &results[i]; (r.Writes != nil || r.Goto != nil || r.Send != nil) && r.Interrupt == nil {
				w.add(wireEvent{Kind: graph.EventNodeEnd, Step: pos.Step, Node: pos.Tasks[i].Node, Task: i, Written: g.st.Written(*r)})
			}
		}
		if first != nil {
			return nil, first
		}
		var again []int
		w.pending = w.pending[:0]
		for _, i := range todo {
			if it := results[i].Interrupt; it != nil {
				again = append(again, i)
				w.pending = append(w.pending, *it)
			}
		}
		if len(again) == 0 {
			w.pending = nil
			return results, nil
		}
		w.phase = PhaseInterrupted
		w.add(wireEvent{Kind: graph.EventInterrupt, Step: pos.Step, Interrupts: slices.Clone(w.pending)})
		w.fresh = 0
		if err := workflow.Await(ctx, func() bool { return w.fresh > 0 }); err != nil {
			return nil, err
		}
		w.phase = PhaseRunning
		for _, i := range again {
			reqs[i].Answers = maps.Clone(w.answers)
			reqs[i].Memos = results[i].Memos
			results[i] = graph.TaskResult{}
		}
		todo = again
	}
}

// activityOptions maps the node's retry policy and timeout onto the
// activity's options.
func (g *Graph[S]) activityOptions(ctx workflow.Context, node string) workflow.Context {
	spec, _ := g.st.Node(node)
	o := workflow.ActivityOptions{
		TaskQueue:           g.opts.TaskQueue,
		StartToCloseTimeout: g.opts.ActivityTimeout,
		HeartbeatTimeout:    g.opts.HeartbeatTimeout,
		RetryPolicy: &sdktemporal.RetryPolicy{
			InitialInterval:    g.opts.RetryInterval,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
			MaximumAttempts:    int32(g.opts.MaxAttempts),
		},
	}
	if spec.Timeout > 0 {
		o.StartToCloseTimeout = spec.Timeout + g.opts.TimeoutGrace
	}
	if p := spec.Retry; p != nil {
		o.RetryPolicy.InitialInterval = p.Backoff(1)
		o.RetryPolicy.BackoffCoefficient = 2
		if p.Multiplier > 1 {
			o.RetryPolicy.BackoffCoefficient = p.Multiplier
		}
		o.RetryPolicy.MaximumInterval = max(p.Backoff(1000), o.RetryPolicy.InitialInterval)
	}
	return workflow.WithActivityOptions(ctx, o)
}

// runFailure turns the error that ends a run into the workflow's failure,
// typed so that the client can rebuild the graph error.
func runFailure(err error) error {
	var ae *sdktemporal.ActivityError
	if errors.As(err, &ae) {
		var app *sdktemporal.ApplicationError
		if errors.As(err, &app) {
			var f failure
			if app.HasDetails() && app.Details(&f) == nil {
				switch app.Type() {
				case ErrTypeNode, ErrTypePanic:
					return sdktemporal.NewNonRetryableApplicationError(app.Message(), ErrTypeNode, nil, f)
				}
				return sdktemporal.NewNonRetryableApplicationError(app.Message(), app.Type(), nil, f)
			}
		}
		// A timeout or a lost activity that ran out of attempts.
		return sdktemporal.NewNonRetryableApplicationError(err.Error(), ErrTypeRun, nil, failure{Message: err.Error()})
	}
	var le *graph.StepLimitError
	if errors.As(err, &le) {
		return sdktemporal.NewNonRetryableApplicationError(err.Error(), ErrTypeStepLimit, nil, failure{Limit: le.Limit, Message: err.Error()})
	}
	var ce *sdktemporal.CanceledError
	if errors.As(err, &ce) {
		return err
	}
	return sdktemporal.NewNonRetryableApplicationError(err.Error(), ErrTypeRun, nil, failure{Message: err.Error()})
}
