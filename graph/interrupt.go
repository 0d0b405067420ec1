package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jedisos/jedisos/state"
)

// ErrInterrupted is matched (errors.Is) by every *InterruptedError.
var ErrInterrupted = errors.New("graph: run interrupted")

// ErrNoCheckpointer is returned by Interrupt in a run that cannot be resumed
// (a graph compiled without WithCheckpointer).
var ErrNoCheckpointer = errors.New("graph: Interrupt needs a graph compiled WithCheckpointer and a run with Thread")

// ErrPaused is matched (errors.Is) by the error a run of a paused thread
// gets when it does not answer the pause: new input, or no Resume for a
// pending Interrupt. The message lists the pending ids and what to call.
var ErrPaused = errors.New("graph: thread is paused for input")

// ErrNoPendingInterrupt is matched (errors.Is) by the error a run with
// Resume or ResumeID gets when the thread has nothing to resume, or not
// the named interrupt.
var ErrNoPendingInterrupt = errors.New("graph: no such pending interrupt")

// ErrUnfinished is matched (errors.Is) by the error a run with new input
// gets on a thread whose last step is unfinished but did not fail in a run
// that ended: a run of it may be in progress in another process, or one
// crashed. Pass the zero state to continue it.
var ErrUnfinished = errors.New("graph: thread has unfinished work")

// InterruptKind says what paused a run.
type InterruptKind string

// The kinds of interrupts.
const (
	// InterruptNode: a node called Interrupt and waits for an answer.
	InterruptNode InterruptKind = "node"
	// InterruptBefore: a breakpoint before a node.
	InterruptBefore InterruptKind = "before"
	// InterruptAfter: a breakpoint after a node.
	InterruptAfter InterruptKind = "after"
)

// Pending is one pending request for input. IDs are stable across
// re-runs and distinct across parallel tasks and across several Interrupt
// calls of one node.
type Pending struct {
	ID      string
	Kind    InterruptKind
	Node    string
	Step    int
	Payload json.RawMessage
}

// Decode unmarshals the interrupt's payload into v.
func (i Pending) Decode(v any) error {
	if len(i.Payload) == 0 {
		return fmt.Errorf("graph: interrupt %s has no payload", i.ID)
	}
	if err := json.Unmarshal(i.Payload, v); err != nil {
		return fmt.Errorf("graph: interrupt %s payload: %w", i.ID, err)
	}
	return nil
}

// InterruptedError ends a run that paused for input. Resume it by invoking
// the same thread with Resume or ResumeID (or, for a breakpoint, with no
// value at all).
type InterruptedError struct {
	ThreadID     string
	CheckpointID string
	Step         int
	Interrupts   []Pending
}

// Error lists the pending interrupts.
func (e *InterruptedError) Error() string {
	ids := make([]string, len(e.Interrupts))
	for i, it := range e.Interrupts {
		ids[i] = fmt.Sprintf("%s %s(%s)", it.ID, it.Kind, it.Node)
	}
	return fmt.Sprintf("graph: thread %q paused at step %d for input: %s", e.ThreadID, e.Step, strings.Join(ids, ", "))
}

// Is matches ErrInterrupted.
func (e *InterruptedError) Is(target error) bool { return target == ErrInterrupted }

// interruptSignal is what Interrupt returns to unwind a node.
type interruptSignal struct {
	it Pending
}

// Error says the node was interrupted and must return this error.
func (s *interruptSignal) Error() string {
	return fmt.Sprintf("graph: node %q interrupted (%s); return this error from the node", s.it.Node, s.it.ID)
}

func isInterrupt(err error) bool {
	var s *interruptSignal
	return errors.As(err, &s)
}

func interruptOf(err error) *Pending {
	var s *interruptSignal
	if errors.As(err, &s) {
		return &s.it
	}
	return nil
}

// interruptState is the per-task side of Interrupt.
type interruptState struct {
	mu      sync.Mutex
	thread  string
	cpID    string
	task    int
	step    int
	calls   int
	answers map[string]json.RawMessage
	// path locates a task of a subgraph inside the outer task ("" for the
	// outer task itself), so its interrupts get their own stable ids.
	path string
	// counter, if not nil, is the state whose calls count this one's
	// Interrupt calls (a subgraph run in the node of that state's task).
	counter *interruptState
	// memo holds the outer task's Once results; scope prefixes the Once
	// keys of a subgraph's tasks with the node run that started it.
	memo  *taskMemo
	scope string
}

// counterOf returns the state counting is's Interrupt calls.
func (is *interruptState) counterOf() *interruptState {
	if is.counter != nil {
		return is.counter
	}
	return is
}

// child is the interrupt state of task i at step step of a subgraph run
// inside this task.
func (is *interruptState) child(step, i int) *interruptState {
	return &interruptState{thread: is.thread, cpID: is.cpID, task: is.task, step: is.step, answers: is.answers, path: is.path + strconv.Itoa(step) + "." + strconv.Itoa(i) + "/", memo: is.memo, scope: is.scope}
}

func interruptID(thread, cpID string, task int, node string, call int) string {
	h := sha256.New()
	for _, p := range []string{thread, cpID, strconv.Itoa(task), node, strconv.Itoa(call)} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}

// Interrupt asks for input. The first time it runs in a task it returns an
// error the node must return (the run then stops with an *InterruptedError
// listing payload); when the thread is resumed with an answer for this
// interrupt, the node runs again from its start and this call returns the
// answer decoded into T. Several Interrupt calls in one node are answered in
// order.
//
// Because the node runs again from its start, the code before Interrupt
// runs again on resume. Wrap each side effect there in Once: its result is
// saved with the task's progress and returned on the re-run without
// performing the effect again.
func Interrupt[T any](ctx context.Context, payload any) (T, error) {
	var zero T
	t := taskFrom(ctx)
	is := t.state()
	if is == nil {
		return zero, ErrNoCheckpointer
	}
	cs := is.counterOf()
	cs.mu.Lock()
	call := cs.calls
	cs.calls++
	cs.mu.Unlock()
	node := t.prefix + t.name()
	id := interruptID(is.thread, is.cpID, is.task, is.path+node, call)
	raw, ok := is.answers[id]
	if ok {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return zero, fmt.Errorf("graph: resume value for interrupt %s of node %q does not decode into %T: %w", id, node, zero, err)
		}
		return v, nil
	}
	b, err := state.EncodeValue("interrupt payload", payload)
	if err != nil {
		return zero, fmt.Errorf("graph: interrupt payload of node %q cannot be encoded: %w", node, err)
	}
	return zero, &interruptSignal{it: Pending{ID: id, Kind: InterruptNode, Node: node, Step: is.step, Payload: b}}
}

type resumeValue struct {
	id    string
	value any
}

// Resume answers the single pending interrupt of the thread with value. With
// several pending, use ResumeID.
func Resume(value any) RunOption {
	return func(c *runConfig) { c.resume = append(c.resume, resumeValue{value: value}) }
}

// ResumeID answers the pending interrupt id with value. An id that is not
// pending makes the run fail.
func ResumeID(id string, value any) RunOption {
	return func(c *runConfig) {
		if id == "" {
			c.errs = append(c.errs, "ResumeID: empty interrupt id")
			return
		}
		c.resume = append(c.resume, resumeValue{id: id, value: value})
	}
}
