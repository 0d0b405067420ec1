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
	order  []string // checkpoint ids in creation order
	cps    map[string]Checkpoint
	writes map[string]map[int]TaskWrites
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{} }

func cloneCheckpoint(cp Checkpoint) Checkpoint {
	cp.Snapshot = slices.Clone(cp.Snapshot)
	cp.Extra = slices.Clone(cp.Extra)
	cp.Delta = slices.Clone(cp.Delta)
	next := make([]Task, len(cp.Next))
	for i, t := range cp.Next {
		next[i] = Task{Node: t.Node, Input: slices.Clone(t.Input)}
	}
	cp.Next = next
	return cp
}

func cloneWrites(w TaskWrites) TaskWrites {
	w.Writes = slices.Clone(w.Writes)
	in := make([]Interrupt, len(w.Interrupts))
	for i, it := range w.Interrupts {
		in[i] = Interrupt{ID: it.ID, Node: it.Node, Payload: slices.Clone(it.Payload)}
	}
	w.Interrupts = in
	res := make([]Interrupt, len(w.Resumed))
	for i, it := range w.Resumed {
		res[i] = Interrupt{ID: it.ID, Node: it.Node, Payload: slices.Clone(it.Payload)}
	}
	w.Resumed = res
	if w.Memos != nil {
		ms := make([]Memo, len(w.Memos))
		for i, m := range w.Memos {
			ms[i] = Memo{Key: m.Key, Value: slices.Clone(m.Value)}
		}
		w.Memos = ms
	}
	return w
}

// Put saves a checkpoint.
func (m *Memory) Put(ctx context.Context, cp Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if cp.ThreadID == "" || cp.ID == "" {
		return fmt.Errorf("state: memory store: checkpoint needs a thread id and an id (got %q, %q)", cp.ThreadID, cp.ID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.threads == nil {
		m.threads = map[string]*memThread{}
	}
	t := m.threads[cp.ThreadID]
	latest := ""
	if t != nil && len(t.order) > 0 {
		latest = t.order[len(t.order)-1]
	}
	if base := ExpectedBase(cp); base != latest {
		return &StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
	}
	if t == nil {
		t = &memThread{cps: map[string]Checkpoint{}, writes: map[string]map[int]TaskWrites{}}
		m.threads[cp.ThreadID] = t
	}
	if _, ok := t.cps[cp.ID]; ok {
		return &StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: ExpectedBase(cp), Latest: latest}
	}
	t.order = append(t.order, cp.ID)
	cp.Base = ""
	t.cps[cp.ID] = cloneCheckpoint(cp)
	return nil
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
	if _, ok := t.cps[checkpointID]; !ok {
		return fmt.Errorf("state: memory store: writes for checkpoint %q of thread %q: %w", checkpointID, threadID, ErrNotFound)
	}
	if t.writes[checkpointID] == nil {
		t.writes[checkpointID] = map[int]TaskWrites{}
	}
	t.writes[checkpointID][w.Task] = cloneWrites(w)
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
	if t == nil || len(t.order) == 0 {
		return Checkpoint{}, fmt.Errorf("state: memory store: thread %q: %w", threadID, ErrNotFound)
	}
	if checkpointID == "" {
		checkpointID = t.order[len(t.order)-1]
	}
	cp, ok := t.cps[checkpointID]
	if !ok {
		return Checkpoint{}, fmt.Errorf("state: memory store: checkpoint %q of thread %q: %w", checkpointID, threadID, ErrNotFound)
	}
	return cloneCheckpoint(cp), nil
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
	var out []TaskWrites
	for _, w := range t.writes[checkpointID] {
		out = append(out, cloneWrites(w))
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
	end := len(t.order)
	if opts.Before != "" {
		end = slices.Index(t.order, opts.Before)
		if end < 0 {
			return nil, fmt.Errorf("state: memory store: checkpoint %q of thread %q: %w", opts.Before, threadID, ErrNotFound)
		}
	}
	var out []Checkpoint
	for i := end - 1; i >= 0; i-- {
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
		out = append(out, cloneCheckpoint(t.cps[t.order[i]]))
	}
	return out, nil
}
