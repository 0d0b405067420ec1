package state

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Memory is an in-memory Checkpointer, for tests and short-lived programs.
// The zero value is ready to use.
type Memory struct {
	mu      sync.RWMutex
	threads map[string]*memThread
}

type memThread struct {
	cps   []memCP          // in creation order
	index map[string]int32 // checkpoint id -> position in cps
	ws    []memWrite       // every task entry, linked per checkpoint
	// bytes and tasks are the unused tails of the thread's current arena
	// chunks: what a save keeps is copied into them, so a step's save does
	// not allocate once per byte field.
	bytes []byte
	tasks []Task
}

type memCP struct {
	cp     Checkpoint
	wfirst int32 // first entry in ws, -1 for none
}

type memWrite struct {
	w    TaskWrites
	next int32 // next entry of the same checkpoint, -1 for none
}

const (
	arenaBytes = 8 << 10
	arenaTasks = 128
)

// keep copies b into the thread's arena (a fresh copy for a nil t: what
// a reader is given); nil stays nil.
func (t *memThread) keep(b []byte) []byte {
	if b == nil {
		return nil
	}
	if t == nil || len(b) > arenaBytes/4 {
		return slices.Clone(b)
	}
	if len(b) > cap(t.bytes)-len(t.bytes) {
		// Chunks grow from small, so a short thread stays small.
		t.bytes = make([]byte, 0, max(min(2*cap(t.bytes), arenaBytes), 512, len(b)))
	}
	n := len(t.bytes)
	t.bytes = append(t.bytes, b...)
	return t.bytes[n : n+len(b) : n+len(b)]
}

func (t *memThread) keepCheckpoint(cp Checkpoint) Checkpoint {
	cp.Snapshot = t.keep(cp.Snapshot)
	cp.Extra = t.keep(cp.Extra)
	cp.Delta = t.keep(cp.Delta)
	n := len(cp.Next)
	if t == nil || n > arenaTasks/4 {
		next := make([]Task, n)
		for i, tk := range cp.Next {
			next[i] = Task{Node: tk.Node, Input: t.keep(tk.Input)}
		}
		cp.Next = next
		return cp
	}
	if n > cap(t.tasks)-len(t.tasks) {
		t.tasks = make([]Task, 0, max(min(2*cap(t.tasks), arenaTasks), 8, n))
	}
	at := len(t.tasks)
	for _, tk := range cp.Next {
		t.tasks = append(t.tasks, Task{Node: tk.Node, Input: t.keep(tk.Input)})
	}
	cp.Next = t.tasks[at : at+n : at+n]
	return cp
}

func (t *memThread) keepInterrupts(in []Interrupt) []Interrupt {
	if len(in) == 0 {
		return nil
	}
	out := make([]Interrupt, len(in))
	for i, it := range in {
		out[i] = Interrupt{ID: it.ID, Node: it.Node, Payload: t.keep(it.Payload)}
	}
	return out
}

func (t *memThread) keepWrites(w TaskWrites) TaskWrites {
	w.Writes = t.keep(w.Writes)
	w.Interrupts = t.keepInterrupts(w.Interrupts)
	w.Resumed = t.keepInterrupts(w.Resumed)
	if len(w.Memos) > 0 {
		ms := make([]Memo, len(w.Memos))
		for i, m := range w.Memos {
			ms[i] = Memo{Key: m.Key, Value: t.keep(m.Value)}
		}
		w.Memos = ms
	} else {
		w.Memos = nil
	}
	return w
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{} }

// cloneCheckpoint and cloneWrites copy what a reader is given.
func cloneCheckpoint(cp Checkpoint) Checkpoint { return (*memThread)(nil).keepCheckpoint(cp) }

func cloneWrites(w TaskWrites) TaskWrites { return (*memThread)(nil).keepWrites(w) }

// Put saves a checkpoint.
func (m *Memory) Put(ctx context.Context, cp Checkpoint) error {
	return m.PutStep(ctx, "", nil, cp)
}

// PutStep saves writes against checkpoint parentID and cp, all or nothing
// (see StepSaver).
func (m *Memory) PutStep(ctx context.Context, parentID string, writes []TaskWrites, cp Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if cp.ThreadID == "" || cp.ID == "" {
		return fmt.Errorf("state: memory store: checkpoint needs a thread id and an id (got %q, %q)", cp.ThreadID, cp.ID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.threads[cp.ThreadID]
	latest := ""
	if t != nil && len(t.cps) > 0 {
		latest = t.cps[len(t.cps)-1].cp.ID
	}
	base := ExpectedBase(cp)
	if base != latest {
		return &StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
	}
	if t == nil {
		// Room for a short thread's checkpoints and writes up front.
		t = &memThread{index: make(map[string]int32, 8), cps: make([]memCP, 0, 8), ws: make([]memWrite, 0, 8)}
	} else if _, ok := t.index[cp.ID]; ok {
		return &StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
	}
	if len(writes) > 0 {
		at, ok := t.index[parentID]
		if !ok {
			return fmt.Errorf("state: memory store: writes for checkpoint %q of thread %q: %w", parentID, cp.ThreadID, ErrNotFound)
		}
		for _, w := range writes {
			t.putWrites(at, w)
		}
	}
	if m.threads == nil {
		m.threads = map[string]*memThread{}
	}
	m.threads[cp.ThreadID] = t
	cp.Base = ""
	t.index[cp.ID] = int32(len(t.cps))
	t.cps = append(t.cps, memCP{cp: t.keepCheckpoint(cp), wfirst: -1})
	return nil
}

// putWrites saves w against the checkpoint at position at, replacing an
// earlier entry for the same task.
func (t *memThread) putWrites(at int32, w TaskWrites) {
	w = t.keepWrites(w)
	c := &t.cps[at]
	for i := c.wfirst; i >= 0; i = t.ws[i].next {
		if t.ws[i].w.Task == w.Task {
			t.ws[i].w = w
			return
		}
	}
	t.ws = append(t.ws, memWrite{w: w, next: c.wfirst})
	c.wfirst = int32(len(t.ws) - 1)
}

// DeleteThread removes a thread and everything saved for it.
func (m *Memory) DeleteThread(ctx context.Context, threadID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.threads, threadID)
	return nil
}

// PutWrites saves one task's writes.
func (m *Memory) PutWrites(ctx context.Context, threadID, checkpointID string, w TaskWrites) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.threads[threadID]
	if t == nil {
		return fmt.Errorf("state: memory store: writes for thread %q: %w", threadID, ErrNotFound)
	}
	at, ok := t.index[checkpointID]
	if !ok {
		return fmt.Errorf("state: memory store: writes for checkpoint %q of thread %q: %w", checkpointID, threadID, ErrNotFound)
	}
	t.putWrites(at, w)
	return nil
}

// Get returns a checkpoint, or the thread's latest for an empty id.
func (m *Memory) Get(ctx context.Context, threadID, checkpointID string) (Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return Checkpoint{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.threads[threadID]
	if t == nil || len(t.cps) == 0 {
		return Checkpoint{}, fmt.Errorf("state: memory store: thread %q: %w", threadID, ErrNotFound)
	}
	at := int32(len(t.cps) - 1)
	if checkpointID != "" {
		var ok bool
		if at, ok = t.index[checkpointID]; !ok {
			return Checkpoint{}, fmt.Errorf("state: memory store: checkpoint %q of thread %q: %w", checkpointID, threadID, ErrNotFound)
		}
	}
	return cloneCheckpoint(t.cps[at].cp), nil
}

// Writes returns the task writes saved against a checkpoint, by task.
func (m *Memory) Writes(ctx context.Context, threadID, checkpointID string) ([]TaskWrites, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.threads[threadID]
	if t == nil {
		return nil, nil
	}
	at, ok := t.index[checkpointID]
	if !ok {
		return nil, nil
	}
	var out []TaskWrites
	for i := t.cps[at].wfirst; i >= 0; i = t.ws[i].next {
		out = append(out, cloneWrites(t.ws[i].w))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Task < out[j].Task })
	return out, nil
}

// List returns a thread's checkpoints, newest first.
func (m *Memory) List(ctx context.Context, threadID string, opts ListOptions) ([]Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.threads[threadID]
	if t == nil {
		t = &memThread{}
	}
	end := len(t.cps)
	if opts.Before != "" {
		at, ok := t.index[opts.Before]
		if !ok {
			return nil, fmt.Errorf("state: memory store: checkpoint %q of thread %q: %w", opts.Before, threadID, ErrNotFound)
		}
		end = int(at)
	}
	var out []Checkpoint
	for i := end - 1; i >= 0; i-- {
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
		out = append(out, cloneCheckpoint(t.cps[i].cp))
	}
	return out, nil
}

// SaveBatch applies ops in order, each as its own call would, stopping at
// the first that fails (see BatchSaver).
func (m *Memory) SaveBatch(ctx context.Context, ops []BatchOp) (int, error) {
	return applyEach(ctx, m, ops)
}
