package state

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned (wrapped) by a Checkpointer when a thread or a
// checkpoint does not exist.
var ErrNotFound = errors.New("state: checkpoint not found")

// ErrCorrupt is matched (errors.Is) by a *CorruptError.
var ErrCorrupt = errors.New("state: corrupt or incompatible checkpoint")

// ErrConflict is matched (errors.Is) by a *StaleError: a Put that did
// not build on the thread's latest checkpoint, because another run (in this
// process or another) saved one first.
var ErrConflict = errors.New("state: thread changed by another run")

// StaleError reports a Put refused because the thread's latest
// checkpoint is not the one the writer built on. Nothing was saved.
type StaleError struct {
	ThreadID     string
	CheckpointID string
	// Base is the latest checkpoint the writer expected ("" for none).
	Base string
	// Latest is the thread's latest checkpoint at the time of the Put (""
	// for none), when the store could tell.
	Latest string
}

// Error names the thread and both checkpoints.
func (e *StaleError) Error() string {
	want, got := e.Base, e.Latest
	if want == "" {
		want = "none"
	}
	if got == "" {
		got = "none"
	}
	return fmt.Sprintf("state: checkpoint %q of thread %q was not saved: it builds on checkpoint %s, but the thread's latest is %s (another run saved first; load the thread again and retry)", e.CheckpointID, e.ThreadID, want, got)
}

// Is matches ErrConflict.
func (e *StaleError) Is(target error) bool { return target == ErrConflict }

// CorruptError reports a stored checkpoint that cannot be read back.
type CorruptError struct {
	ThreadID     string
	CheckpointID string
	Err          error
}

// Error names the thread and the checkpoint.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("state: checkpoint %q of thread %q is corrupt or incompatible: %v", e.CheckpointID, e.ThreadID, e.Err)
}

// Unwrap returns the cause.
func (e *CorruptError) Unwrap() error { return e.Err }

// Is matches ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Task is one task a checkpoint's next step will run: a node, and for a
// fan-out branch its own encoded input.
type Task struct {
	Node  string `json:"node"`
	Input []byte `json:"input,omitempty"`
}

// Checkpoint is the state of a thread at one step boundary. The store treats
// the byte fields as opaque.
type Checkpoint struct {
	ThreadID string
	// ID is unique and sorts in creation order within a thread.
	ID       string
	ParentID string
	// Base is the id of the thread's latest checkpoint that the writer built
	// on; "" means ParentID. Put saves the checkpoint only if the thread's
	// latest is still Base (none when Base and ParentID are both empty), and
	// fails with a *StaleError otherwise. It differs from ParentID for a
	// fork from an older checkpoint and when the checkpoints in between were
	// never saved. Stores do not keep it.
	Base string
	// Step is the number of steps the run had completed.
	Step int
	// Source says how the checkpoint came about: "input", "loop", "update"
	// or "fork".
	Source    string
	CreatedAt time.Time
	// Snapshot is the full encoded state, or nil when the state is the
	// parent's state plus the writes saved against the parent (a delta).
	Snapshot []byte
	// Delta holds the writes that made this checkpoint from its parent when
	// they were not a step of nodes (new input, a state update); nil
	// otherwise.
	Delta []byte
	// Next lists the tasks of the next step; empty when the run finished.
	Next []Task
	// Extra holds run bookkeeping (join progress, breakpoint flags).
	Extra []byte
}

// Interrupt is a pending request for human input raised by a task.
type Interrupt struct {
	ID      string `json:"id"`
	Node    string `json:"node"`
	Payload []byte `json:"payload,omitempty"`
}

// Memo is the saved result of one side effect a task performed (see
// graph.Once): the task's key for it and its encoded result.
type Memo struct {
	Key   string `json:"key"`
	Value []byte `json:"value"`
}

// TaskWrites is what one finished task of a checkpoint's next step wrote, or
// the interrupts it raised. Saved as soon as the task ends, so a crashed or
// interrupted step does not run it again. A task that is still running saves
// an entry with Running set as soon as one of its side effects has a result,
// so a re-run of the task can return that result instead of repeating it.
type TaskWrites struct {
	// Task is the task's position in the checkpoint's Next.
	Task       int
	Node       string
	Writes     []byte
	Interrupts []Interrupt
	// Resumed holds the answers (in Payload) already given to this task's
	// earlier interrupts, so a re-run can replay them.
	Resumed []Interrupt
	// Memos holds the results of the side effects the task performed so
	// far, by key, so a re-run does not perform them again.
	Memos []Memo
	// Running marks an entry saved while the task still ran: it has no
	// Writes and no Interrupts, only Memos and Resumed. The task must run
	// again.
	Running   bool
	CreatedAt time.Time
}

// ListOptions narrows Checkpointer.List.
type ListOptions struct {
	// Limit caps the number of checkpoints (0: no cap).
	Limit int
	// Before lists only checkpoints created before this checkpoint id.
	Before string
}

// Checkpointer stores checkpoints and task writes by thread. Implementations
// must be safe for concurrent use and must never lose what a successful call
// saved.
//
// A thread's checkpoints form a history in which each new checkpoint builds
// on the latest one: Put is a compare-and-set on the thread's latest
// checkpoint (see Checkpoint.Base), so two runs writing one thread at once,
// in one process or several, never interleave or overwrite each other; the
// later one gets an error matching ErrConflict.
//
// A store copies what it keeps: the slices of a Checkpoint and of
// TaskWrites belong to the caller once the call returns (the graph reuses
// its buffers from step to step).
type Checkpointer interface {
	// Put saves a checkpoint as the thread's new latest one, atomically
	// checking that the thread's latest is cp.Base (or cp.ParentID when Base
	// is empty). Otherwise, and when the id already exists, it saves nothing
	// and returns an error matching ErrConflict.
	Put(ctx context.Context, cp Checkpoint) error
	// PutWrites saves the writes of one task of checkpoint checkpointID's
	// next step, replacing an earlier entry for the same task.
	PutWrites(ctx context.Context, threadID, checkpointID string, w TaskWrites) error
	// Get returns one checkpoint; an empty checkpointID means the thread's
	// latest. A missing one is an error matching ErrNotFound.
	Get(ctx context.Context, threadID, checkpointID string) (Checkpoint, error)
	// Writes returns the task writes saved against a checkpoint, by task.
	Writes(ctx context.Context, threadID, checkpointID string) ([]TaskWrites, error)
	// List returns a thread's checkpoints, newest first.
	List(ctx context.Context, threadID string, opts ListOptions) ([]Checkpoint, error)
	// DeleteThread removes a thread with all its checkpoints and writes, for
	// retention and privacy requests. Deleting a thread that does not exist
	// is not an error. Afterwards Get reports ErrNotFound and a new run
	// starts the thread afresh.
	DeleteThread(ctx context.Context, threadID string) error
}

// ExpectedBase returns the latest checkpoint id that cp must build on:
// cp.Base, or cp.ParentID when Base is empty. Stores use it in Put.
func ExpectedBase(cp Checkpoint) string {
	if cp.Base != "" {
		return cp.Base
	}
	return cp.ParentID
}

// StepSaver is an optional interface of a Checkpointer: it saves the writes
// of the tasks that closed a step together with the checkpoint those writes
// lead to, as one atomic operation (for a SQL store, one transaction and one
// durable flush instead of two). Memory and the SQLite and PostgreSQL stores
// implement it. Under DurabilitySync the graph holds the writes of the last
// task of a step to end and saves them with the step's checkpoint through
// PutStep; when the step ends another way (an error, a panic, an interrupt
// of a sibling, a cancelled run, a stream the consumer stopped) it saves
// them with PutWrites first, so a resumed run does not run that task again.
// Saved through PutStep, a crash can never leave the checkpoint without the
// writes it was made from, nor those writes saved without their checkpoint.
//
// A wrapper that embeds a store type to change Put or PutWrites (to count
// or fail calls) must give PutStep the same treatment, or embed the store
// as a state.Checkpointer, which hides PutStep.
type StepSaver interface {
	// PutStep saves each of writes against checkpoint parentID of thread
	// cp.ThreadID, as PutWrites would (each replacing an earlier entry for
	// its task), and cp, as Put would, all or nothing: when Put would fail
	// (cp does not build on the thread's latest checkpoint, or its id
	// exists) nothing is saved and the error matches ErrConflict.
	PutStep(ctx context.Context, parentID string, writes []TaskWrites, cp Checkpoint) error
}
