package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidGraph is matched (errors.Is) by every *CompileError.
var ErrInvalidGraph = errors.New("graph: invalid graph")

// ErrStepLimit is matched (errors.Is) by every *StepLimitError.
var ErrStepLimit = errors.New("graph: step limit reached")

// ErrUnknownRoute is matched (errors.Is) by every *RouteError.
var ErrUnknownRoute = errors.New("graph: route to an undeclared target")

// ProblemKind classifies one compile problem.
type ProblemKind string

// The kinds of compile problems.
const (
	ProblemDuplicateNode ProblemKind = "duplicate node"
	ProblemReservedName  ProblemKind = "reserved name"
	ProblemNilFunc       ProblemKind = "nil function"
	ProblemUnknownNode   ProblemKind = "unknown node"
	ProblemMissingEntry  ProblemKind = "missing entry"
	ProblemUnreachable   ProblemKind = "unreachable"
	ProblemNoPathToEnd   ProblemKind = "no path to END"
	ProblemBadEdge       ProblemKind = "bad edge"
	ProblemState         ProblemKind = "state type"
	ProblemOption        ProblemKind = "option"
)

// Problem is one thing Compile found wrong, naming the nodes involved.
type Problem struct {
	Kind   ProblemKind
	Nodes  []string
	Detail string
}

// String renders the problem as "kind [nodes]: detail".
func (p Problem) String() string {
	if len(p.Nodes) == 0 {
		return fmt.Sprintf("%s: %s", p.Kind, p.Detail)
	}
	return fmt.Sprintf("%s [%s]: %s", p.Kind, strings.Join(p.Nodes, ", "), p.Detail)
}

// CompileError lists every problem found by Compile.
type CompileError struct {
	Problems []Problem
}

// Error lists all problems, one per line.
func (e *CompileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: compile found %d problem(s):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Is matches ErrInvalidGraph.
func (e *CompileError) Is(target error) bool { return target == ErrInvalidGraph }

// StepLimitError reports a run that reached its step limit.
type StepLimitError struct {
	Limit int
}

// Error names the limit and how to raise it.
func (e *StepLimitError) Error() string {
	return fmt.Sprintf("graph: step limit of %d reached without finishing (raise it with graph.WithStepLimit(n) at Compile or graph.StepLimit(n) per run)", e.Limit)
}

// Is matches ErrStepLimit.
func (e *StepLimitError) Is(target error) bool { return target == ErrStepLimit }

// NodeError is a node's failure: its name, the step, how many attempts ran,
// and the cause (a *PanicError when the node panicked, a *TimeoutError when
// it ran out of time, otherwise what the node returned).
type NodeError struct {
	Node     string
	Step     int
	Attempts int
	Err      error
}

// Error names the node and step.
func (e *NodeError) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("graph: node %q failed at step %d after %d attempts: %v", e.Node, e.Step, e.Attempts, e.Err)
	}
	return fmt.Sprintf("graph: node %q failed at step %d: %v", e.Node, e.Step, e.Err)
}

// Unwrap returns the cause.
func (e *NodeError) Unwrap() error { return e.Err }

// PanicError is a recovered panic of a node, with the stack of the panicking
// goroutine.
type PanicError struct {
	Value any
	Stack []byte
}

// Error includes the panic value; the stack is in Stack.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// TimeoutError reports an attempt that exceeded its node's timeout.
type TimeoutError struct {
	Node    string
	Timeout time.Duration
}

// Error names the node and the timeout.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("node %q exceeded its timeout of %s", e.Node, e.Timeout)
}

// Is matches ErrTimeout and context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// ErrTimeout is matched (errors.Is) by every *TimeoutError.
var ErrTimeout = errors.New("graph: node timeout")

// RouteError reports a router that returned a node it did not declare.
type RouteError struct {
	From     string
	To       string
	Declared []string
	Step     int
	// Command: the target came from a Command; Declared are the node's
	// Goto targets.
	Command bool
}

// Error names the edge and the declared targets.
func (e *RouteError) Error() string {
	if e.Command {
		return fmt.Sprintf("graph: node %q returned a Command to %q at step %d, which is not among its declared Goto targets [%s]",
			e.From, e.To, e.Step, strings.Join(e.Declared, ", "))
	}
	return fmt.Sprintf("graph: router of %q returned %q at step %d, which is not among its declared targets [%s]",
		e.From, e.To, e.Step, strings.Join(e.Declared, ", "))
}

// Is matches ErrUnknownRoute.
func (e *RouteError) Is(target error) bool { return target == ErrUnknownRoute }

// MergeError wraps a failure to merge a step's writes (for example a
// *state.ConflictError) with the step number.
type MergeError struct {
	Step int
	Err  error
}

// Error names the step.
func (e *MergeError) Error() string { return fmt.Sprintf("graph: step %d: %v", e.Step, e.Err) }

// Unwrap returns the cause.
func (e *MergeError) Unwrap() error { return e.Err }
