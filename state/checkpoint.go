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
type Checkpointer interface {
	// Put saves a checkpoint. Saving an existing (thread, id) replaces it.
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
}
