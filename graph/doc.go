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
// # Semantics
//
// Step. A step is the set of tasks triggered together; a task is one run
// of a node (a fan-out makes one task per Send, each with its own input;
// other tasks read the step's input state). The tasks of a step run
// concurrently on the same snapshot; when all have returned, their writes
// are merged, then the edges of every task pick the next step's tasks
// (each node at most once, plus one task per Send), ordered by node
// declaration. The first task that fails cancels its siblings and the
// run reports that failure.
//
// Routers. A conditional edge's router (AddConditionalEdge, -Edges,
// AddFanOut) reads the step's input state with its own node's writes
// applied through the reducers, never a sibling's, so where it goes does
// not depend on what ran beside it; in a step of one task that is the
// merged state. A fan-out branch's router reads the step's input plus that
// branch's writes. Static edges and joins do not read the state. A
// Command's Goto and Send add to what the node's edges pick.
//
// Writes. A node returns the whole state; a field counts as written by it
// when its value differs from the node's input, compared by value for
// every kind of field (strings by content, slices, arrays, maps and
// structs element by element, pointers and interfaces by what they hold:
// see state.Plan.Wrote). Setting a field to the value it already has is no
// write; MarkWritten makes it one, so an equal write conflicts or goes
// through the reducer. Values changed in place (a map or a pointed-to
// value of the input) look unchanged: replace them instead.
//
// Merge order. The writes of a step are merged field by field in task
// order (node declaration order; Sends to one node in the order returned),
// never in completion order, onto the step's input. A field without
// reducer written by two tasks fails the step with a *state.ConflictError
// naming the field and nodes. Reducers: append concatenates what each
// writer appended, sum adds each writer's change, merge applies each
// writer's set and deleted keys, a custom reducer (state.WithReducer)
// folds each write into a value that starts as the step's input value,
// also for a single writer. Node-end events come for every task that
// finished, in task order, after the step's tasks returned — also when a
// sibling failed or the step ended in an interrupt.
//
// Resume. With a checkpointer each finished task's writes are saved as it
// finishes; under DurabilitySync the last task of a step to finish, on a
// store that is a state.StepSaver, has its writes saved with the step's
// checkpoint in one PutStep (and with PutWrites if the step ends without a
// checkpoint), so a crash between the two can only make that task run
// again. Continuing a thread (the zero state as input) re-runs only the
// tasks of its unfinished step that saved no writes (failed, crashed or
// interrupted ones), each from its start, with its Once results and
// answers replayed; finished ones are not run again. New input on a
// finished thread is written onto its state through the reducers and the
// run starts again from START; so is new input on a thread whose last run
// failed (ended with an error; Snapshot.Failed): its unfinished step is
// dropped (its saved writes stay in History). A thread paused by Interrupt
// or a breakpoint takes no new input (ErrPaused): answer with Resume or
// ResumeID; at a breakpoint the value is ignored. An unfinished step whose
// run did not end with an error (a run in progress in another process, or
// a crash) takes no new input either (ErrUnfinished): continue it with the
// zero state. Runs of one thread never overlap: in a process they
// wait for each other (per checkpointer and thread); across processes the
// later run fails with state.ErrConflict and overwrites nothing.
//
// Replay and fork. FromCheckpoint(id) with the zero state replays: a
// checkpoint with no next step runs nothing, saves nothing and returns its
// state; otherwise its next step and everything after run again on a new
// branch (a "fork" checkpoint whose parent is id), which becomes the
// thread's latest while the old branch stays in History. With input, the
// input is written onto that checkpoint's state and the run starts from
// START. UpdateState writes values through the reducers as if asNode had
// returned them (END finishes the thread there) as a new checkpoint one
// step after its parent; on the latest checkpoint with asNode "" the
// pending step keeps its interrupts, answers and saved writes, and with
// AtCheckpoint it forks a past checkpoint.
//
// Deliberate differences from LangGraph:
//   - Writes are the fields whose value changed, not the keys a node returned (MarkWritten covers equal writes).
//   - Writes merge in node declaration order, not task path order.
//   - Overlapping runs of a thread are serialised in a process and refused across processes (state.ErrConflict).
//   - New input on a paused thread is an error (ErrPaused) instead of silently starting over.
//   - UpdateState keeps the pending step's saved writes, interrupts and answers.
//   - Resume(value) at a breakpoint continues and ignores the value.
//   - Interrupt without a checkpointer fails at once (ErrNoCheckpointer) and is never retried.
//   - The default retry filter retries only transient errors (DefaultRetryIf), not everything but a list of programming errors.
//   - A Command's targets are declared with Goto and checked; a Parent Command makes the parent node's result the subgraph's state so far with the update.
//   - A subgraph (AsNode, Subgraph) keeps no checkpoints of its own: resumed after an interrupt inside it, it runs again from its start, its answered Interrupt calls and Once calls returning the saved results, and its state is seen only through the outer node's.
//   - A reduce:"sum" field adds each writer's change (its output less its input), not the value it returned: a Send branch whose input carries 1 and that returns 10 adds 9.
//
// # Stepping
//
// A Stepper (Compiled.Stepper) runs the same graph one step at a time on
// encoded values, for an executor outside this process: Start and Next do
// the routing, joins and merge as pure, deterministic functions (fit for a
// workflow engine's deterministic code), and RunTask runs one node attempt
// wherever the executor runs user code. Module
// github.com/jedisos/jedisos/temporal drives graphs on Temporal this way.
package graph
