// Package temporal runs jedisos graphs as Temporal workflows.
//
// New turns a graph.Compiled into a Graph: Register puts its workflow and
// its activity on a Temporal worker, and Start (or Invoke) runs it through a
// Temporal client. The nodes stay the same Go functions.
//
// One run is one workflow execution. Each step's node tasks are activities
// (the tasks of a parallel step are scheduled together and run in parallel
// on whatever workers poll the task queue); the superstep loop, the merge of
// the step's writes and the routing run in the workflow, through the
// deterministic graph.Stepper, so Temporal's history holds every step and a
// run survives the crash of any worker or of the client: another worker
// replays the history and carries on, and nodes that finished are not run
// again.
//
// What maps onto what:
//
//   - a node's RetryPolicy becomes the activity's retry: the wait before each
//     attempt is the policy's (jitter included, sent as the failure's next
//     retry delay), and an attempt that the policy would not retry (the last
//     one, a panic, an error RetryIf refuses) fails the activity for good.
//     Attempts lost to a crashed or stopped worker are retried by Temporal
//     too (Options.MaxAttempts bounds them) and count as attempts;
//
//   - a node's timeout bounds each attempt inside the activity (a
//     *graph.TimeoutError) and, with Options.TimeoutGrace added, is the
//     activity's start-to-close timeout;
//
//   - an activity heartbeats while its node runs, so a worker that dies is
//     noticed within Options.HeartbeatTimeout;
//
//   - graph.Once results are saved in the activity's heartbeat details, so a
//     retried attempt gets them back, and in the workflow, so the re-run of
//     an interrupted task does;
//
//   - graph.Interrupt pauses the workflow: the pending interrupts are in
//     Status, and Run.Resume (a workflow update) answers them; the
//     interrupted tasks run again with the answers while the step's other
//     finished tasks keep their results;
//
//   - the run's state, step, pending interrupts and progress events are a
//     workflow query: Run.Status, and Run.Stream, which follows the run with
//     graph.Event values like graph.Compiled.Stream;
//
//   - a long run continues as new at a step boundary when Temporal suggests
//     it (or every Options.ContinueAsNewEvery steps), carrying its position.
//
//   - a node's Command (Goto, END included, and Send fan-out with each
//     branch's own input) and its MarkWritten marks travel in the activity's
//     result and route and merge in the workflow as in graph.Compiled.Invoke,
//     also for a Command of a task that was interrupted and resumed;
//
//   - Emit and EmitToken events travel in the activity's result and reach
//     Stream in the order graph.Compiled.Stream yields them: after the
//     node's start, before the step's node-end and state events (node ends
//     of a parallel step in task order). While the node runs, its activity
//     signals the workflow (SignalEvents) with what it emitted every
//     Options.EventFlushInterval, one batch per signal, so tokens of a long
//     model call stream as it runs; what is left comes with the activity's
//     result, so a node quicker than the interval costs no signal. Signals
//     are Temporal's own durable, ordered channel into a workflow, and
//     batching bounds the history they add. NodeEvents narrows the kinds
//     carried (graph.Listening tells the nodes), and an Emit payload
//     arrives as its JSON encoding (json.RawMessage);
//
//   - breakpoints (graph.WithInterruptBefore, graph.WithInterruptAfter, or
//     BreakBefore and BreakAfter for one run) pause the workflow where a run
//     with a checkpointer pauses: Status shows them as interrupts of kind
//     before or after, and Resume (any value) continues.
//
// Routers and reducers run inside the workflow and must be deterministic
// (no clock, randomness or I/O), as graph already asks. The checkpointer
// and durability options of the compiled graph are not used: Temporal's
// history is what makes the run durable. A graph compiled with a
// checkpointer (breakpoints need one to compile) runs on Temporal all the
// same; its checkpointer is simply left alone.
//
// Package devserver starts a real Temporal server in-process with SQLite
// persistence, for tests and for trying this out offline.
package temporal
