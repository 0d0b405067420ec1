package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// EventKind is a bit set of event kinds; a Stream caller picks the kinds it
// wants with Only.
type EventKind uint16

// The event kinds.
const (
	// EventNodeStart: a node is about to run (Node, Task, Step).
	EventNodeStart EventKind = 1 << iota
	// EventNodeEnd: a node finished; State is what it returned and Written
	// names the fields it changed.
	EventNodeEnd
	// EventState: the merged state after a step (State).
	EventState
	// EventCustom: a node called Emit (Payload).
	EventCustom
	// EventToken: a node streamed an LLM token chunk with EmitToken (Token).
	EventToken
	// EventInterrupt: the run paused for input (Interrupts).
	EventInterrupt
	// EventCheckpoint: a checkpoint was saved (Checkpoint).
	EventCheckpoint

	// EventAll selects every kind.
	EventAll = EventNodeStart | EventNodeEnd | EventState | EventCustom | EventToken | EventInterrupt | EventCheckpoint
)

// String names the kinds in k.
func (k EventKind) String() string {
	names := []string{"node-start", "node-end", "state", "custom", "token", "interrupt", "checkpoint"}
	var parts []string
	for i, n := range names {
		if k&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Event is one item of a Stream.
type Event[S any] struct {
	Kind EventKind
	// Step is the step number (0-based) the event belongs to.
	Step int
	// Node is the node the event comes from; events of a subgraph's nodes
	// are named "outer/inner".
	Node string
	// Task is the node's position among the step's tasks.
	Task int
	// State is the node's result (EventNodeEnd) or the merged state after
	// the step (EventState).
	State S
	// Written lists the fields the node changed (EventNodeEnd).
	Written []string
	// Payload is what the node passed to Emit (EventCustom).
	Payload any
	// Token is the chunk passed to EmitToken (EventToken).
	Token string
	// Interrupts lists the pending interrupts (EventInterrupt).
	Interrupts []Pending
	// Checkpoint is the id of the saved checkpoint (EventCheckpoint).
	Checkpoint string
}

// nodeEvent is an event raised inside a node, before it is typed.
type nodeEvent struct {
	kind    EventKind
	node    string
	step    int
	task    int
	payload any
	token   string
}

// sink carries node-raised events to the goroutine that yields them, or,
// when fn is set, hands each to fn (a stepped task's TaskRequest.OnEvent).
type sink struct {
	kinds EventKind
	ch    chan nodeEvent
	fn    func(nodeEvent) bool
	// done is closed when the stream's reader is gone: sends to ch stop.
	done <-chan struct{}
}

// taskInfo is what node code can learn about the task it runs in.
type taskInfo struct {
	// taskStep is what the task shares with the other tasks of its step.
	*taskStep
	idx  int
	task int
	// intr is the task's interrupt state and Once memo. A durable task's
	// is made on its first use (see state), so a step whose node calls
	// neither Interrupt nor Once allocates none; closedIntr marks a task
	// that ended before any use.
	intr atomic.Pointer[interruptState]
	// ext holds what a node reported beyond its result (MarkWritten, a
	// Command), allocated only when it does.
	ext atomic.Pointer[taskExt]
}

// taskStep is what the tasks of one step share; a step of several tasks
// has its own, never rewritten once its tasks run.
type taskStep struct {
	// taskRun is what every step of the run shares.
	*taskRun
	step int
	// cpID is the checkpoint id a durable step's interrupts are made
	// from; loaded reports that the Once results the run was resumed
	// with belong to the step.
	cpID            string
	durable, loaded bool
}

// taskRun is what the steps of one run share: set before its first step,
// never written after.
type taskRun struct {
	static *taskStatic
	limit  int
	sink   *sink
	prefix string
	// mk makes a durable step's interrupt states on first use; nil
	// outside durable runs.
	mk *intrSrc
}

// closedIntr marks a durable task that ended before it used its interrupt
// state: none was made, and a late use gets a closed one of its own.
var closedIntr = new(interruptState)

// state returns the task's interrupt state, made on first use in a durable
// run, or nil when the run has none (no checkpointer) or there is no task
// (t nil: a context that is not a node's). Several goroutines of one node
// may ask at once: one state is made for all.
func (t *taskInfo) state() *interruptState {
	if t == nil {
		return nil
	}
	is := t.intr.Load()
	if is == nil {
		if !t.durable {
			return nil
		}
		is = t.mk.makeIntr(t, false)
		if t.intr.CompareAndSwap(nil, is) {
			return is
		}
		is = t.intr.Load()
	}
	if is == closedIntr {
		// A context kept past its node's return: what it does now is not
		// saved, as for a task whose state was closed at its end.
		return t.mk.makeIntr(t, true)
	}
	return is
}

// made returns the task's interrupt state if it has one already, without
// making it (nil for a nil task).
func (t *taskInfo) made() *interruptState {
	if t == nil {
		return nil
	}
	if is := t.intr.Load(); is != closedIntr {
		return is
	}
	return nil
}

// finish ends the task for its interrupt state: it returns the state the
// task used, or nil when it used none (and none is made for it later).
func (t *taskInfo) finish() *interruptState {
	if t.durable && t.intr.CompareAndSwap(nil, closedIntr) {
		return nil
	}
	return t.made()
}

// taskStatic is what all tasks of one compiled graph share.
type taskStatic struct {
	names  []string
	fields fieldIndexer
}

// taskExt is what a node reported about its run beside its result.
type taskExt struct {
	mu     sync.Mutex
	marked []int
	// cmd is the routing of a Command the node returned.
	cmd *cmdRoute
}

func (e *taskExt) marks() []int {
	if e == nil {
		return nil
	}
	return e.marked
}

func (e *taskExt) route() *cmdRoute {
	if e == nil {
		return nil
	}
	return e.cmd
}

// extOf returns t's taskExt, making it if needed.
func (t *taskInfo) extOf() *taskExt {
	if e := t.ext.Load(); e != nil {
		return e
	}
	t.ext.CompareAndSwap(nil, new(taskExt))
	return t.ext.Load()
}

// sub reports whether the task belongs to a graph run as a node of
// another.
func (t *taskInfo) sub() bool { return t.prefix != "" }

func (t *taskInfo) name() string { return t.static.names[t.idx] }

// fieldIndexer finds a state field by name (a *state.Plan).
type fieldIndexer interface {
	FieldIndex(name string) int
}

// ErrUnknownField is matched (errors.Is) by the error MarkWritten returns
// for a name that is not a field of the state.
var ErrUnknownField = errors.New("graph: unknown state field")

// MarkWritten marks fields of the state (by Go name, as state.Plan names
// them) as written by the node running with ctx, even where the node
// returns them unchanged. A field counts as written when its value differs
// from the node's input (see the package doc, "Semantics"); a mark makes an
// equal value a write too, so two nodes of one step that both set a field
// without reducer to the same value conflict, and the field's reducer sees
// the write. Call it before the node returns; marks of a failed attempt
// are dropped with it. Outside a node
// MarkWritten does nothing; an unknown name is an error matching
// ErrUnknownField and marks nothing.
func MarkWritten(ctx context.Context, fields ...string) error {
	t := taskFrom(ctx)
	if t == nil || t.static.fields == nil {
		return nil
	}
	idx := make([]int, 0, len(fields))
	for _, f := range fields {
		i := t.static.fields.FieldIndex(f)
		if i < 0 {
			return fmt.Errorf("%w: node %q marked field %q as written", ErrUnknownField, t.prefix+t.name(), f)
		}
		idx = append(idx, i)
	}
	e := t.extOf()
	e.mu.Lock()
	for _, i := range idx {
		if !slices.Contains(e.marked, i) {
			e.marked = append(e.marked, i)
		}
	}
	e.mu.Unlock()
	return nil
}

type taskKey struct{}

// nodeCtx is the context a node receives: the run's context plus the task.
// It is a value inside the run so a sequential run allocates none.
type nodeCtx struct {
	context.Context
	t *taskInfo
}

// Value returns the task for the package's key and defers to the parent
// otherwise.
func (c *nodeCtx) Value(key any) any {
	if _, ok := key.(taskKey); ok {
		return c.t
	}
	return c.Context.Value(key)
}

func taskFrom(ctx context.Context) *taskInfo {
	t, _ := ctx.Value(taskKey{}).(*taskInfo)
	return t
}

// Listening reports whether a Stream caller wants events of kind k from the
// node running with ctx, so a node can skip building events nobody reads.
func Listening(ctx context.Context, k EventKind) bool {
	t := taskFrom(ctx)
	return t != nil && t.sink != nil && t.sink.kinds&k != 0
}

// Emit sends payload to the run's stream as an EventCustom from the node
// running with ctx. It is a no-op when nobody streams custom events, and it
// returns false if the run is being stopped. Emit is safe to call from any
// goroutine while the node runs.
func Emit(ctx context.Context, payload any) bool {
	return emit(ctx, nodeEvent{kind: EventCustom, payload: payload})
}

// EmitToken sends an LLM token chunk to the run's stream as an EventToken
// from the node running with ctx. It is a no-op when nobody streams tokens.
func EmitToken(ctx context.Context, chunk string) bool {
	return emit(ctx, nodeEvent{kind: EventToken, token: chunk})
}

func emit(ctx context.Context, ev nodeEvent) bool {
	t := taskFrom(ctx)
	if t == nil || t.sink == nil || t.sink.kinds&ev.kind == 0 {
		return true
	}
	ev.node, ev.step, ev.task = t.prefix+t.name(), t.step, t.task
	if t.sink.fn != nil {
		return t.sink.fn(ev)
	}
	select {
	case t.sink.ch <- ev:
		return true
	case <-t.sink.done:
		return false
	case <-ctx.Done():
		return false
	}
}

// NodeName returns the name of the node running with ctx and its step, or
// ok false outside a node.
func NodeName(ctx context.Context) (node string, step int, ok bool) {
	t := taskFrom(ctx)
	if t == nil {
		return "", 0, false
	}
	return t.prefix + t.name(), t.step, true
}

// StepsLeft returns how many steps the run of the node running with ctx may
// still start after the current one before it reaches its step limit, or ok
// false outside a node. An agent can use it to answer while it still can
// instead of failing with a *StepLimitError.
func StepsLeft(ctx context.Context) (left int, ok bool) {
	t := taskFrom(ctx)
	if t == nil || t.limit <= 0 {
		return 0, false
	}
	return max(t.limit-t.step-1, 0), true
}
