package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jedisos/jedisos/state"
)

// Stepper drives a compiled graph one step at a time on encoded values, for
// an executor that keeps the run somewhere else than in this process's
// memory (a workflow engine, a job queue). It splits a run into three pure
// calls:
//
//   - Start: the run's input → the first step's tasks;
//   - RunTask: one task (a node name and its encoded input) → the node's
//     encoded writes, or the interrupt it raised, or its error;
//   - Next: the step's task results → the merged state and the next step's
//     tasks, or none when the run is over.
//
// Start and Next run no node, start no goroutine and read no clock or random
// source: given the same values they return the same values, so they may
// run inside a deterministic workflow (routers and reducers must then be
// deterministic too, as they should be anyway). RunTask runs user code and
// belongs in an activity or worker. Merge order, routing, joins, fan-out and
// the step limit are those of Invoke: a run driven through a Stepper ends in
// the state Invoke returns.
//
// A node's Command (Goto, Send) and MarkWritten travel in its TaskResult
// and Next routes and merges them as Invoke does; Emit and EmitToken reach
// the driver through TaskRequest.OnEvent. Breakpoints (WithInterruptBefore,
// WithInterruptAfter) are reported by BreaksBefore and BreaksAfter for the
// driver to pause at. The checkpointer and durability modes of the compiled
// graph are not used: the driver is what makes the run durable.
type Stepper[S any] struct {
	c *Compiled[S]
}

// StepState is a run's position between two steps: everything a driver
// needs to keep. It encodes to JSON.
type StepState struct {
	// Step is the number (0-based) of the step Tasks make up.
	Step int `json:"step"`
	// Limit is the step number the run may not reach (the step limit).
	Limit int `json:"limit"`
	// State is the encoded state after the previous step.
	State json.RawMessage `json:"state"`
	// Joins is the progress of the graph's join edges.
	Joins []uint64 `json:"joins,omitempty"`
	// Tasks are the tasks of step Step, in the order their writes merge;
	// none when the run is over.
	Tasks []StepTask `json:"tasks,omitempty"`
}

// Done reports whether the run is over.
func (s *StepState) Done() bool { return len(s.Tasks) == 0 }

// StepTask is one task of a step.
type StepTask struct {
	// Node is the node to run.
	Node string `json:"node"`
	// Input is the encoded own input of a fan-out branch (Send); empty
	// means the task reads the step's state.
	Input json.RawMessage `json:"input,omitempty"`
}

// TaskRequest is what RunTask needs to run one task. It encodes to JSON
// (SaveMemos excepted).
type TaskRequest struct {
	// Run identifies the run; the ids of the interrupts a node raises are
	// derived from it, the step, the task and the node, so they are stable
	// across re-runs of the task.
	Run string `json:"run"`
	// Step and Task locate the task: its step number and position in it.
	Step int `json:"step"`
	Task int `json:"task"`
	// Limit is the run's step limit (for StepsLeft).
	Limit int `json:"limit"`
	// Node is the node to run.
	Node string `json:"node"`
	// Input is the encoded state the node receives.
	Input json.RawMessage `json:"input"`
	// Attempt numbers this attempt from 1; it decides, with the node's
	// RetryPolicy, whether a failure is to be retried (TaskError.Retry).
	Attempt int `json:"attempt,omitempty"`
	// Answers are resume values for the task's interrupts, by interrupt id.
	Answers map[string]json.RawMessage `json:"answers,omitempty"`
	// Memos are the Once results an earlier run of the task saved.
	Memos []state.Memo `json:"memos,omitempty"`
	// SaveMemos, if not nil, is called with all the task's Once results
	// each time one is added, before Once returns: where the driver keeps
	// them for the task's next attempt. An error fails that Once call.
	SaveMemos func([]state.Memo) error `json:"-"`
	// Events are the event kinds the driver streams: Listening reports
	// them to the node, and each Emit or EmitToken of a kind in Events is
	// handed to OnEvent. With no kinds or no OnEvent, Emit and EmitToken
	// do nothing, as in Invoke.
	Events EventKind `json:"events,omitempty"`
	// OnEvent receives the node's Emit and EmitToken events, on the
	// goroutine that called them and in their order; what it returns is
	// what Emit returns (false: the run is stopping).
	OnEvent func(NodeEvent) bool `json:"-"`
}

// NodeEvent is an event a node raised with Emit or EmitToken during a
// stepped task (TaskRequest.OnEvent).
type NodeEvent struct {
	// Kind is EventCustom or EventToken.
	Kind EventKind
	// Node is the node that raised it; a subgraph's nodes are named
	// "outer/inner", as in Stream.
	Node string
	// Step and Task locate the task.
	Step int
	Task int
	// Payload is what the node passed to Emit.
	Payload any
	// Token is the chunk passed to EmitToken.
	Token string
}

// TaskResult is what one task did. It encodes to JSON.
type TaskResult struct {
	// Writes are the node's encoded writes: the fields it changed and
	// those it marked with MarkWritten; empty when it was interrupted.
	Writes json.RawMessage `json:"writes,omitempty"`
	// Goto and Send are the routing of the Command the node returned:
	// the nodes (or END) it named, and its fan-out tasks with their own
	// encoded inputs. Next routes them as Invoke does.
	Goto []string   `json:"goto,omitempty"`
	Send []StepTask `json:"send,omitempty"`
	// Interrupt is the request for input the node raised, if any: the task
	// must run again, with an answer in TaskRequest.Answers.
	Interrupt *Pending `json:"interrupt,omitempty"`
	// Memos are the task's Once results, for its next run.
	Memos []state.Memo `json:"memos,omitempty"`
}

// TaskError is a failed task attempt.
type TaskError struct {
	Node    string
	Step    int
	Attempt int
	// Retry says whether the node's RetryPolicy asks for another attempt
	// (false for nodes without one, panics, and errors RetryIf refuses).
	Retry bool
	// Backoff is the wait the policy asks for before the next attempt.
	Backoff time.Duration
	Err     error
}

// Error names the node, step and attempt.
func (e *TaskError) Error() string {
	return fmt.Sprintf("graph: node %q failed at step %d (attempt %d): %v", e.Node, e.Step, e.Attempt, e.Err)
}

// Unwrap returns the node's error.
func (e *TaskError) Unwrap() error { return e.Err }

// NodeSpec is what a driver needs to know of a node to run it.
type NodeSpec struct {
	Name string
	// Retry is the node's retry policy (nil: a failure is final).
	Retry *RetryPolicy
	// Timeout bounds each attempt (0: none).
	Timeout time.Duration
}

// Stepper returns a Stepper for the graph. The state type must be
// encodable, as for WithCheckpointer.
func (c *Compiled[S]) Stepper() (*Stepper[S], error) {
	if p := c.plan.EncodingProblems(); len(p) > 0 {
		return nil, fmt.Errorf("graph: a stepped run encodes its state, and this state type cannot be encoded: %s", strings.Join(p, "; "))
	}
	return &Stepper[S]{c: c}, nil
}

// Compiled returns the graph the stepper drives.
func (s *Stepper[S]) Compiled() *Compiled[S] { return s.c }

// Node describes the named node.
func (s *Stepper[S]) Node(name string) (NodeSpec, bool) {
	i, ok := s.c.byName[name]
	if !ok {
		return NodeSpec{}, false
	}
	n := &s.c.nodes[i]
	return NodeSpec{Name: n.name, Retry: n.retry, Timeout: n.timeout}, true
}

// Encode encodes a state for Start.
func (s *Stepper[S]) Encode(st S) (json.RawMessage, error) { return s.c.plan.EncodeState(&st) }

// Decode decodes a state from a StepState.
func (s *Stepper[S]) Decode(b json.RawMessage) (S, error) { return s.c.plan.DecodeState(b) }

// stepRun is a run with no context, used for the stepper's pure parts.
func (s *Stepper[S]) stepRun(step, limit int, joins []uint64) (*run[S], error) {
	c := s.c
	r := &run[S]{c: c, cfg: &noOptions, step: step}
	r.seqRn.limit = limit
	if len(c.joins) > 0 {
		r.joinSeen = make([]uint64, len(c.joins))
		if len(joins) > 0 {
			if len(joins) != len(c.joins) {
				return nil, fmt.Errorf("graph: step state has %d joins, the graph has %d", len(joins), len(c.joins))
			}
			copy(r.joinSeen, joins)
		}
	}
	return r, nil
}

// tasksOf encodes the tasks in r.next.
func (s *Stepper[S]) tasksOf(r *run[S]) ([]StepTask, error) {
	if len(r.next) == 0 {
		return nil, nil
	}
	out := make([]StepTask, len(r.next))
	for i := range r.next {
		t := &r.next[i]
		out[i].Node = s.c.nodes[t.node].name
		if t.send {
			b, err := s.c.plan.EncodeState(&t.in)
			if err != nil {
				return nil, fmt.Errorf("graph: fan-out input for node %q: %w", out[i].Node, err)
			}
			out[i].Input = b
		}
	}
	return out, nil
}

func (s *Stepper[S]) position(r *run[S], st json.RawMessage) (StepState, error) {
	tasks, err := s.tasksOf(r)
	if err != nil {
		return StepState{}, err
	}
	p := StepState{Step: r.step, Limit: r.seqRn.limit, State: st, Tasks: tasks}
	if len(r.joinSeen) > 0 {
		p.Joins = append([]uint64(nil), r.joinSeen...)
	}
	if len(tasks) > 0 && r.step >= r.seqRn.limit {
		return p, &StepLimitError{Limit: r.seqRn.limit}
	}
	return p, nil
}

// Start begins a run from the encoded input with a step limit (0: the
// compiled graph's) and returns the first step's tasks.
func (s *Stepper[S]) Start(input json.RawMessage, limit int) (StepState, error) {
	if limit <= 0 {
		limit = s.c.stepLimit
	}
	in, err := s.c.plan.DecodeState(input)
	if err != nil {
		return StepState{}, fmt.Errorf("graph: run input: %w", err)
	}
	r, err := s.stepRun(0, limit, nil)
	if err != nil {
		return StepState{}, err
	}
	r.state = in
	if err := r.routeAlone(&s.c.entry, START, &r.state); err != nil {
		return StepState{}, err
	}
	enc, err := s.c.plan.EncodeState(&r.state)
	if err != nil {
		return StepState{}, err
	}
	return s.position(r, enc)
}

// TaskInput returns the encoded state task i of the step reads.
func (s *Stepper[S]) TaskInput(p *StepState, i int) json.RawMessage {
	if len(p.Tasks[i].Input) > 0 {
		return p.Tasks[i].Input
	}
	return p.State
}

// Request returns the request for task i of the step, for run id run.
func (s *Stepper[S]) Request(run string, p *StepState, i int) TaskRequest {
	return TaskRequest{Run: run, Step: p.Step, Task: i, Limit: p.Limit, Node: p.Tasks[i].Node, Input: s.TaskInput(p, i)}
}

// Next merges the results of the step's tasks (one per task of p, in order,
// none interrupted) and routes: it returns the position after the step,
// whose Tasks are the next step's. A *MergeError, *RouteError or
// *StepLimitError is returned as Invoke would.
func (s *Stepper[S]) Next(p StepState, results []TaskResult) (StepState, error) {
	c := s.c
	if len(results) != len(p.Tasks) {
		return p, fmt.Errorf("graph: step %d has %d tasks, got %d results", p.Step, len(p.Tasks), len(results))
	}
	r, err := s.stepRun(p.Step, p.Limit, p.Joins)
	if err != nil {
		return p, err
	}
	base, err := c.plan.DecodeState(p.State)
	if err != nil {
		return p, fmt.Errorf("graph: state at step %d: %w", p.Step, err)
	}
	r.state = base
	r.cur = make([]task[S], len(p.Tasks))
	for i, t := range p.Tasks {
		idx, ok := c.byName[t.Node]
		if !ok {
			return p, fmt.Errorf("graph: step %d task %d names unknown node %q", p.Step, i, t.Node)
		}
		if results[i].Interrupt != nil {
			return p, fmt.Errorf("graph: step %d task %d (node %q) is interrupted; run it again with an answer before Next", p.Step, i, t.Node)
		}
		ct := &r.cur[i]
		ct.node = int32(idx)
		in := base
		if len(t.Input) > 0 {
			ct.send = true
			if ct.in, err = c.plan.DecodeState(t.Input); err != nil {
				return p, fmt.Errorf("graph: step %d task %d (node %q) input: %w", p.Step, i, t.Node, err)
			}
			in = ct.in
		}
		res := &results[i]
		if ct.out, err = c.plan.ApplyWrites(in, res.Writes); err != nil {
			return p, fmt.Errorf("graph: step %d task %d (node %q) writes: %w", p.Step, i, t.Node, err)
		}
		// Every field the writes name counts as written by the task, equal
		// value or not: that is how a MarkWritten mark travels.
		marked, err := c.writtenIn(res.Writes)
		if err != nil {
			return p, fmt.Errorf("graph: step %d task %d (node %q) writes: %w", p.Step, i, t.Node, err)
		}
		var route *cmdRoute
		if len(res.Goto) > 0 || len(res.Send) > 0 {
			route = &cmdRoute{gotos: res.Goto}
			if len(res.Send) > 0 {
				sends := make([]Send[S], len(res.Send))
				for j, sd := range res.Send {
					sends[j].Node = sd.Node
					if sends[j].State, err = c.plan.DecodeState(sd.Input); err != nil {
						return p, fmt.Errorf("graph: step %d task %d (node %q) Command send to %q: %w", p.Step, i, t.Node, sd.Node, err)
					}
				}
				route.sends = sends
			}
		}
		if marked != nil || route != nil {
			ct.ext = &taskExt{marked: marked, cmd: route}
		}
	}
	if err := r.mergeStep(); err != nil {
		return p, err
	}
	if err := r.routeStep(&r.state); err != nil {
		return p, err
	}
	r.step++
	enc, err := c.plan.EncodeState(&r.state)
	if err != nil {
		return p, err
	}
	return s.position(r, enc)
}

// Written lists the fields a task's writes change.
func (s *Stepper[S]) Written(res TaskResult) []string {
	if len(res.Writes) == 0 {
		return nil
	}
	names, _ := state.WriteFields(res.Writes)
	return names
}

// RunTask runs one attempt of a task: the node with its timeout, panics
// turned into errors. An interrupt is a result, not an error. A failure is
// a *TaskError whose Retry field applies the node's RetryPolicy to
// req.Attempt; the caller schedules the retry (the stepper does not sleep).
func (s *Stepper[S]) RunTask(ctx context.Context, req TaskRequest) (TaskResult, error) {
	c := s.c
	idx, ok := c.byName[req.Node]
	if !ok {
		return TaskResult{}, fmt.Errorf("graph: task names unknown node %q", req.Node)
	}
	n := &c.nodes[idx]
	in, err := c.plan.DecodeState(req.Input)
	if err != nil {
		return TaskResult{}, fmt.Errorf("graph: input of node %q at step %d: %w", req.Node, req.Step, err)
	}
	attempt := max(req.Attempt, 1)
	limit := req.Limit
	if limit <= 0 {
		limit = c.stepLimit
	}
	memo := &taskMemo{task: req.Task, node: n.name, saver: memoFunc(req.SaveMemos)}
	for _, m := range req.Memos {
		if memo.saved == nil {
			memo.saved = map[string]json.RawMessage{}
		}
		memo.saved[m.Key] = m.Value
	}
	answers := req.Answers
	if answers == nil {
		answers = map[string]json.RawMessage{}
	}
	info := taskInfo{taskStep: &taskStep{taskRun: &taskRun{static: &c.static, limit: limit}, step: req.Step}, idx: idx, task: req.Task}
	info.intr.Store(&interruptState{thread: req.Run, cpID: "step-" + strconv.Itoa(req.Step), task: req.Task, step: req.Step, answers: answers, memo: memo})
	if fn := req.OnEvent; fn != nil && req.Events&(EventCustom|EventToken) != 0 {
		info.sink = &sink{kinds: req.Events, fn: func(ev nodeEvent) bool {
			return fn(NodeEvent{Kind: ev.kind, Node: ev.node, Step: ev.step, Task: ev.task, Payload: ev.payload, Token: ev.token})
		}}
	}
	nctx := nodeCtx{Context: ctx, t: &info}
	r := &run[S]{c: c, cfg: &noOptions, step: req.Step}
	r.seqRn.limit = limit
	out, err := r.once(&nctx, n, in)
	memos := memo.close()
	if err != nil {
		if p := interruptOf(err); p != nil {
			return TaskResult{Interrupt: p, Memos: memos}, nil
		}
		te := &TaskError{Node: n.name, Step: req.Step, Attempt: attempt, Err: err}
		if n.retry != nil && attempt < n.retry.attempts() && n.retry.retryable(err) && ctx.Err() == nil {
			te.Retry = true
			te.Backoff = n.retry.wait(attempt)
		}
		return TaskResult{Memos: memos}, te
	}
	ext := info.ext.Load()
	w, err := c.plan.EncodeWritesMarked(&in, &out, ext.marks())
	if err != nil {
		return TaskResult{Memos: memos}, &TaskError{Node: n.name, Step: req.Step, Attempt: attempt, Err: fmt.Errorf("encode writes: %w", err)}
	}
	res := TaskResult{Writes: w, Memos: memos}
	if cmd := ext.route(); cmd != nil {
		res.Goto = cmd.gotos
		sends, _ := cmd.sends.([]Send[S])
		for i := range sends {
			b, err := c.plan.EncodeState(&sends[i].State)
			if err != nil {
				return TaskResult{Memos: memos}, &TaskError{Node: n.name, Step: req.Step, Attempt: attempt, Err: fmt.Errorf("encode Command send to %q: %w", sends[i].Node, err)}
			}
			res.Send = append(res.Send, StepTask{Node: sends[i].Node, Input: b})
		}
	}
	return res, nil
}

// BreaksBefore returns the breakpoints the step at p hits before it runs:
// its nodes compiled WithInterruptBefore and those named in nodes (a run's
// own, as BreakBefore), each once, in task order. A driver pauses the run
// there as a run with a checkpointer pauses, and when resumed runs the
// step without asking again. The ids derive from run and the step, so they
// are stable across replays. An unknown node name is an error.
func (s *Stepper[S]) BreaksBefore(run string, p *StepState, nodes ...string) ([]Pending, error) {
	extra, err := s.nodeSet("BreakBefore", nodes)
	if err != nil {
		return nil, err
	}
	return s.breaks(run, InterruptBefore, p.Step, p.Tasks, extra, func(n *cnode[S]) bool { return n.breakBefore }), nil
}

// BreaksAfter returns the breakpoints the finished step done hits: its
// nodes compiled WithInterruptAfter and those named in nodes (as
// BreakAfter), each once, in task order, also when next, the position
// after the step, is done (a pause after the last node, as Invoke makes).
// The run pauses at next (Pending.Step is next.Step); resumed, it runs
// next's step without asking BreaksBefore, as a run with a checkpointer
// does, or ends when next is done. An unknown node name is an error.
func (s *Stepper[S]) BreaksAfter(run string, done, next *StepState, nodes ...string) ([]Pending, error) {
	extra, err := s.nodeSet("BreakAfter", nodes)
	if err != nil {
		return nil, err
	}
	return s.breaks(run, InterruptAfter, next.Step, done.Tasks, extra, func(n *cnode[S]) bool { return n.breakAfter }), nil
}

// nodeSet checks that nodes are the graph's.
func (s *Stepper[S]) nodeSet(what string, nodes []string) ([]bool, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	set := make([]bool, len(s.c.nodes))
	for _, name := range nodes {
		i, ok := s.c.byName[name]
		if !ok {
			return nil, fmt.Errorf("graph: %s names unknown node %q", what, name)
		}
		set[i] = true
	}
	return set, nil
}

func (s *Stepper[S]) breaks(run string, kind InterruptKind, step int, tasks []StepTask, extra []bool, compiled func(*cnode[S]) bool) []Pending {
	var out []Pending
	cp := "step-" + strconv.Itoa(step)
	for _, t := range tasks {
		i, ok := s.c.byName[t.Node]
		if !ok {
			continue
		}
		n := &s.c.nodes[i]
		if !compiled(n) && (extra == nil || !extra[i]) {
			continue
		}
		if slices.ContainsFunc(out, func(p Pending) bool { return p.Node == n.name }) {
			continue
		}
		out = append(out, Pending{ID: interruptID(run, cp, -1, string(kind)+":"+n.name, 0), Kind: kind, Node: n.name, Step: step})
	}
	return out
}

// memoFunc adapts TaskRequest.SaveMemos to the Once saver.
type memoFunc func([]state.Memo) error

func (f memoFunc) saveRunning(_ int, _ string, memos []state.Memo) error {
	if f == nil {
		return nil
	}
	return f(memos)
}
