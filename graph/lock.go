package graph

import (
	"context"
	"fmt"
	"reflect"
	"sync"
)

// Runs of one thread are serialised in the process: a run (and UpdateState,
// DeleteThread) holds its thread's lock from loading the thread until it has
// saved its last checkpoint. The lock is per checkpointer and thread, so
// several Compiled values over one store share it. Across processes the
// store's compare-and-set (state.ErrConflict) keeps runs from overwriting
// each other.

type lockKey struct {
	store  any
	thread string
}

type threadLock struct {
	ch   chan struct{}
	refs int
}

var threadLocks struct {
	mu sync.Mutex
	m  map[lockKey]*threadLock
}

// heldLock is a thread lock a run holds; release is idempotent.
type heldLock struct {
	key  lockKey
	l    *threadLock
	done bool
}

// storeKey is what identifies a checkpointer in lock keys: the value itself
// when it can be compared (pointers, the usual case), otherwise the
// compiled graph's durable part, which then serialises only its own runs.
func storeKey[S any](d *durable[S]) any {
	if t := reflect.TypeOf(d.cp); t != nil && t.Comparable() {
		return d.cp
	}
	return d
}

// heldKey is the context key under which a run's context lists the thread
// locks its run and the runs around it (a subgraph's parents) hold.
type heldKey struct{}

type heldChain struct {
	key  lockKey
	next *heldChain
}

// withHeld returns ctx noting that h is held.
func withHeld(ctx context.Context, h *heldLock) context.Context {
	next, _ := ctx.Value(heldKey{}).(*heldChain)
	return context.WithValue(ctx, heldKey{}, &heldChain{key: h.key, next: next})
}

// lockThread waits until no other run of the thread in this process holds
// its lock, or ctx ends.
func lockThread(ctx context.Context, store any, thread string) (*heldLock, error) {
	k := lockKey{store: store, thread: thread}
	for hc, _ := ctx.Value(heldKey{}).(*heldChain); hc != nil; hc = hc.next {
		if hc.key == k {
			return nil, fmt.Errorf("graph: a node of a run of thread %q started another run (or UpdateState, DeleteThread) of the same thread, which would wait for itself; give the inner graph its own thread id", thread)
		}
	}
	threadLocks.mu.Lock()
	if threadLocks.m == nil {
		threadLocks.m = map[lockKey]*threadLock{}
	}
	l := threadLocks.m[k]
	if l == nil {
		l = &threadLock{ch: make(chan struct{}, 1)}
		threadLocks.m[k] = l
	}
	l.refs++
	threadLocks.mu.Unlock()
	select {
	case l.ch <- struct{}{}:
		return &heldLock{key: k, l: l}, nil
	default:
	}
	select {
	case l.ch <- struct{}{}:
		return &heldLock{key: k, l: l}, nil
	case <-ctx.Done():
		unref(k, l)
		return nil, fmt.Errorf("graph: waiting for another run of thread %q in this process to finish: %w", thread, context.Cause(ctx))
	}
}

func unref(k lockKey, l *threadLock) {
	threadLocks.mu.Lock()
	l.refs--
	if l.refs == 0 {
		delete(threadLocks.m, k)
	}
	threadLocks.mu.Unlock()
}

func (h *heldLock) release() {
	if h == nil || h.done {
		return
	}
	h.done = true
	<-h.l.ch
	unref(h.key, h.l)
}

// lock takes the lock of thread for an operation of c outside a run.
func (c *Compiled[S]) lock(ctx context.Context, thread string) (*heldLock, error) {
	return lockThread(ctx, storeKey(c.dur), thread)
}

// DeleteThread deletes the thread with all its checkpoints and writes from
// the checkpointer (state.Checkpointer.DeleteThread) and forgets the state
// this process remembered for it, so the thread's next run starts afresh.
// It waits for a run of the thread in progress in this process to finish
// (or ctx to end). Deleting a thread that does not exist is not an error.
func (c *Compiled[S]) DeleteThread(ctx context.Context, thread string) error {
	if c.dur == nil {
		return errNotDurable
	}
	if thread == "" {
		return fmt.Errorf("graph: DeleteThread needs a thread id")
	}
	h, err := c.lock(ctx, thread)
	if err != nil {
		return err
	}
	defer h.release()
	c.dur.forget(thread)
	if err := c.dur.cp.DeleteThread(ctx, thread); err != nil {
		return fmt.Errorf("graph: delete thread %q: %w", thread, err)
	}
	return nil
}
