// Package graph runs LLM workflows as typed state graphs.
//
// A state is a plain Go struct S. A node is a function of it:
//
//	func(ctx context.Context, s S) (S, error)
//
// A node receives the state and returns the new state. Nodes are joined by
// static edges, join edges (wait for all of several nodes), conditional edges
// (a router picks one or more next nodes) and fan-out edges that give every
// branch its own input (Send, for map-reduce). START and END mark where a run
// begins and ends.
//
// Execution is bulk-synchronous: the nodes triggered together form a step and
// run concurrently on the same snapshot; their writes are merged at the end of
// the step in declaration order, never completion order, through the
// per-field reducers of package state (struct tags such as reduce:"append").
// The merge plan is worked out once by Compile; a step that runs one node
// simply takes that node's result.
//
// Invoke returns the final state; Stream yields events (node start and end,
// the state after each step, custom events and LLM token chunks emitted from
// inside nodes, interrupts and checkpoints) as an iter.Seq2. Nobody streaming
// costs nothing: Invoke builds no events.
//
// With a state.Checkpointer (see WithCheckpointer) every step boundary is
// saved under a thread id, and runs can be resumed after a crash or an
// Interrupt, inspected, updated and forked.
//
// The unit of re-execution is the task: a node whose writes were saved is
// not run again, but a node that was interrupted (or crashed, or failed)
// runs again from its start when the run resumes, so the code before its
// Interrupt call runs twice. Side effects belong in Once: the first time a
// task calls it, its function runs and the result is saved with the task's
// progress at once; every re-run of the task gets the saved result back
// without performing the effect again.
//
// A Stepper (Compiled.Stepper) runs the same graph one step at a time on
// encoded values, for an executor outside this process: Start and Next do
// the routing, joins and merge as pure, deterministic functions (fit for a
// workflow engine's deterministic code), and RunTask runs one node attempt
// wherever the executor runs user code. Module
// github.com/jedisos/jedisos/temporal drives graphs on Temporal this way.
package graph
