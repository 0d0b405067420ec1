package state

import (
	"context"
	"fmt"
)

// OpKind says which Checkpointer call a BatchOp stands for.
type OpKind uint8

const (
	// OpPutWrites is PutWrites(ThreadID, CheckpointID, w) for each w of
	// Writes, in order.
	OpPutWrites OpKind = iota + 1
	// OpPut is Put(Checkpoint).
	OpPut
	// OpPutStep is PutStep(CheckpointID, Writes, Checkpoint) (see
	// StepSaver).
	OpPutStep
)

// String names the call.
func (k OpKind) String() string {
	switch k {
	case OpPutWrites:
		return "PutWrites"
	case OpPut:
		return "Put"
	case OpPutStep:
		return "PutStep"
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

// BatchOp is one save of a batch (see BatchSaver): the call Kind names,
// with its arguments.
type BatchOp struct {
	Kind OpKind
	// ThreadID is the thread of an OpPutWrites (an OpPut or OpPutStep
	// names its thread in Checkpoint.ThreadID).
	ThreadID string
	// CheckpointID is the checkpoint the writes are saved against: of an
	// OpPutWrites, and the parent of an OpPutStep.
	CheckpointID string
	// Writes are the task writes of an OpPutWrites or an OpPutStep.
	Writes []TaskWrites
	// Checkpoint is the checkpoint of an OpPut or an OpPutStep.
	Checkpoint Checkpoint
}

// BatchSaver is an optional interface of a Checkpointer: it saves a
// sequence of saves in one operation (for a SQL store, one transaction and
// one commit for all of them). The graph's background writer under
// DurabilityAsync hands it every save queued since its last one. The
// SQLite and PostgreSQL stores implement it; SaveBatch falls back to one
// call per op for a store that does not. Memory does not: one call per op
// costs it nothing more, and a test wrapper that embeds *Memory to watch
// Put sees every save.
//
// A wrapper that embeds a store type to change Put, PutWrites or PutStep
// must give SaveBatch the same treatment, or embed the store as a
// state.Checkpointer, which hides it.
type BatchSaver interface {
	// SaveBatch applies ops in order, each exactly as the call it stands
	// for would (the same checks, the same errors: a checkpoint that does
	// not build on the thread's latest, counting the checkpoints saved by
	// the ops before it, is refused with an error matching ErrConflict).
	// It stops at the first op that fails: the ops before it are saved, it
	// and the ops after it are not (per-op semantics, as if each op had
	// been its own call and the caller had stopped at the first error). It
	// returns the number of ops saved, len(ops) when err is nil; the error
	// is the failed op's, as its own call would have returned it. A
	// failure to commit saves none of the batch and returns 0.
	SaveBatch(ctx context.Context, ops []BatchOp) (int, error)
}

// Apply makes the call op stands for on cp.
func (op *BatchOp) Apply(ctx context.Context, cp Checkpointer) error {
	switch op.Kind {
	case OpPutWrites:
		return putEach(ctx, cp, op.ThreadID, op.CheckpointID, op.Writes)
	case OpPut:
		return cp.Put(ctx, op.Checkpoint)
	case OpPutStep:
		if ss, ok := cp.(StepSaver); ok {
			return ss.PutStep(ctx, op.CheckpointID, op.Writes, op.Checkpoint)
		}
		if err := putEach(ctx, cp, op.Checkpoint.ThreadID, op.CheckpointID, op.Writes); err != nil {
			return err
		}
		return cp.Put(ctx, op.Checkpoint)
	}
	return fmt.Errorf("state: batch op of unknown kind %d", uint8(op.Kind))
}

// putEach saves ws against checkpoint id of thread, one PutWrites each.
func putEach(ctx context.Context, cp Checkpointer, thread, id string, ws []TaskWrites) error {
	for _, w := range ws {
		if err := cp.PutWrites(ctx, thread, id, w); err != nil {
			return err
		}
	}
	return nil
}

// SaveBatch applies ops to cp in order, stopping at the first that fails,
// with BatchSaver's semantics: through cp's SaveBatch when it is a
// BatchSaver, otherwise one call per op. It returns the number of ops
// saved and the failed op's error.
func SaveBatch(ctx context.Context, cp Checkpointer, ops []BatchOp) (int, error) {
	if bs, ok := cp.(BatchSaver); ok {
		return bs.SaveBatch(ctx, ops)
	}
	for i := range ops {
		if err := ops[i].Apply(ctx, cp); err != nil {
			return i, err
		}
	}
	return len(ops), nil
}
