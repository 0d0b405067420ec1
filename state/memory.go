package state

import (
	"context"
	"fmt"
	"math/bits"
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
	id  string
	cps segs[memCP]    // in creation order
	ws  segs[memWrite] // every task entry, linked per checkpoint
	// index maps checkpoint ids to positions in cps for the first indexed
	// entries: a save that builds on the head and ids that only grow need
	// no lookup, so the index is caught up (under imu, as readers may do
	// it concurrently) only when an older checkpoint is asked for.
	imu     sync.Mutex
	index   map[string]int32
	indexed int32
	// maxID is the greatest checkpoint id saved: a new id above it is new.
	maxID string
	// bytes and tasks are the unused tails of the thread's current arena
	// chunks: what a save keeps is copied into them, so a step's save does
	// not allocate once per byte field.
	bytes []byte
	tasks []Task
}

// memCP is a saved checkpoint; its ThreadID and Base are not kept (the
// thread's id is its key, and Base is only for the save's check).
type memCP struct {
	cp     Checkpoint
	wfirst int32 // first entry in ws, -1 for none
}

type memWrite struct {
	w    TaskWrites
	next int32 // next entry of the same checkpoint, -1 for none
}

// segs is an append-only list kept in segments that double in size, so
// growing it never copies what it holds.
type segs[T any] struct {
	n    int32
	segs [][]T
}

// seg0Bits is log2 of the first segment's size.
const seg0Bits = 3

// segOf returns the segment of element i and its offset there.
func segOf(i int32) (int, int32) {
	u := uint32(i) + 1<<seg0Bits
	k := bits.Len32(u) - seg0Bits - 1
	return k, int32(u - 1<<(k+seg0Bits))
}

func (s *segs[T]) len() int32 { return s.n }

func (s *segs[T]) at(i int32) *T {
	k, off := segOf(i)
	return &s.segs[k][off]
}

// push appends v and returns its position.
func (s *segs[T]) push(v T) int32 {
	k, off := segOf(s.n)
	if k == len(s.segs) {
		s.segs = append(s.segs, make([]T, 1<<(k+seg0Bits)))
	}
	s.segs[k][off] = v
	s.n++
	return s.n - 1
}

// head is the position of the thread's latest checkpoint, -1 for none.
func (t *memThread) head() int32 { return t.cps.len() - 1 }

// find returns the position of checkpoint id.
func (t *memThread) find(id string) (int32, bool) {
	if h := t.head(); h >= 0 && t.cps.at(h).cp.ID == id {
		return h, true
	}
	t.imu.Lock()
	defer t.imu.Unlock()
	if t.index == nil {
		t.index = make(map[string]int32, t.cps.len())
	}
	for ; t.indexed < t.cps.len(); t.indexed++ {
		t.index[t.cps.at(t.indexed).cp.ID] = t.indexed
	}
	at, ok := t.index[id]
	return at, ok
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

// reader returns a copy of the checkpoint at position at, for a reader.
func (t *memThread) reader(at int32) Checkpoint {
	cp := (*memThread)(nil).keepCheckpoint(t.cps.at(at).cp)
	cp.ThreadID = t.id
	return cp
}

// cloneWrites copies what a reader is given.

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
	if t != nil && t.head() >= 0 {
		latest = t.cps.at(t.head()).cp.ID
	}
	base := ExpectedBase(cp)
	if base != latest {
		return &StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
	}
	if t == nil {
		t = &memThread{id: cp.ThreadID}
	} else if cp.ID <= t.maxID {
		if _, ok := t.find(cp.ID); ok {
			return &StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
		}
	}
	if len(writes) > 0 {
		at, ok := t.find(parentID)
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
	kept := t.keepCheckpoint(cp)
	kept.ThreadID, kept.Base = "", ""
	t.maxID = max(t.maxID, cp.ID)
	t.cps.push(memCP{cp: kept, wfirst: -1})
	return nil
}

// putWrites saves w against the checkpoint at position at, replacing an
// earlier entry for the same task.
func (t *memThread) putWrites(at int32, w TaskWrites) {
	w = t.keepWrites(w)
	c := t.cps.at(at)
	for i := c.wfirst; i >= 0; i = t.ws.at(i).next {
		if e := t.ws.at(i); e.w.Task == w.Task {
			e.w = w
			return
		}
	}
	c.wfirst = t.ws.push(memWrite{w: w, next: c.wfirst})
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
	at, ok := t.find(checkpointID)
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
	if t == nil || t.head() < 0 {
		return Checkpoint{}, fmt.Errorf("state: memory store: thread %q: %w", threadID, ErrNotFound)
	}
	at := t.head()
	if checkpointID != "" {
		var ok bool
		if at, ok = t.find(checkpointID); !ok {
			return Checkpoint{}, fmt.Errorf("state: memory store: checkpoint %q of thread %q: %w", checkpointID, threadID, ErrNotFound)
		}
	}
	return t.reader(at), nil
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
	at, ok := t.find(checkpointID)
	if !ok {
		return nil, nil
	}
	var out []TaskWrites
	for i := t.cps.at(at).wfirst; i >= 0; i = t.ws.at(i).next {
		out = append(out, cloneWrites(t.ws.at(i).w))
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
	end := int(t.cps.len())
	if opts.Before != "" {
		at, ok := t.find(opts.Before)
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
		out = append(out, t.reader(int32(i)))
	}
	return out, nil
}
