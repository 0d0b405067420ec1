package state

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"sync"
	"time"
	"unsafe"
)

// Memory is an in-memory Checkpointer, for tests and short-lived programs.
// The zero value is ready to use. Times are given back in UTC.
type Memory struct {
	mu      sync.RWMutex
	threads map[string]*memThread
	// hot is the thread saved to last (written under mu's write lock
	// only): a run saves to one thread step after step.
	hot *memThread
}

// saving returns the thread named id for a save, or nil; mu must be
// write-locked.
func (m *Memory) saving(id string) *memThread {
	if t := m.hot; t != nil && t.id == id {
		return t
	}
	t := m.threads[id]
	if t != nil {
		m.hot = t
	}
	return t
}

// memThread holds one thread. Its records hold no pointers (strings and
// bytes are refs into the thread's arena), so saving one copies plain
// memory and the garbage collector never scans them.
type memThread struct {
	id    string
	cps   segs[memCP]    // in creation order
	ws    segs[memWrite] // every task entry, linked per checkpoint
	tasks segs[memTask]  // the checkpoints' Next lists
	// more holds the rare parts of task entries (interrupts, answers,
	// Once results), by memWrite.more.
	more []memMore
	a    arena
	// index maps checkpoint ids to positions in cps for the first indexed
	// entries: a save that builds on the head and ids that only grow need
	// no lookup, so the index is caught up (under imu, as readers may do
	// it concurrently) only when an older checkpoint is asked for.
	imu     sync.Mutex
	index   map[string]int32
	indexed int32
	// maxID is the greatest checkpoint id saved: a new id above it is new.
	maxID string
	// last is the head's record and lastID its id (the kept bytes).
	last   *memCP
	lastID string
}

// memCP is a checkpoint's record. Its own bytes (id, snapshot, delta,
// extra) are kept one after the other in one chunk, so it holds where they
// start and their lengths rather than a ref for each; its parent and
// source are refs, as they are often the head's.
type memCP struct {
	own            span4
	parent, source ref
	step           int64
	atSec          int64
	atNsec         int32
	next0, nnext   int32 // Next is tasks[next0 : next0+nnext]
	wfirst         int32 // first entry in ws, -1 for none
}

// span4 locates four values kept one after the other in one chunk: from
// off in chunk c, of lengths n (nilLen for nil).
type span4 struct {
	c, off uint32
	n      [4]uint32
}

// span2 is span4 for two values.
type span2 struct {
	c, off uint32
	n      [2]uint32
}

// nilLen is the length recorded for a nil value.
const nilLen = ^uint32(0)

// lenOf is b's recorded length.
func lenOf(b []byte) uint32 {
	if b == nil {
		return nilLen
	}
	return uint32(len(b))
}

// ref returns the ref of value i of the span.
func (s *span4) ref(i int) ref {
	return spanRef(s.c, s.off, s.n[:], i)
}

// ref returns the ref of value i of the span.
func (s *span2) ref(i int) ref {
	return spanRef(s.c, s.off, s.n[:], i)
}

// spanRef is the ref of value i of lengths n kept from off in chunk c.
func spanRef(c, off uint32, n []uint32, i int) ref {
	if n[i] == nilLen {
		return ref{c: noChunk}
	}
	for _, l := range n[:i] {
		if l != nilLen {
			off += l
		}
	}
	return ref{c: c, off: off, n: n[i]}
}

// id is the ref of the checkpoint's id.
func (r *memCP) id() ref { return ref{c: r.own.c, off: r.own.off, n: r.own.n[0]} }

// memTask is an entry of a checkpoint's Next: its node and input.
type memTask struct{ v span2 }

// memWrite is a task's entry: its node and writes in v.
type memWrite struct {
	task    int64
	v       span2
	atSec   int64
	atNsec  int32
	running bool
	next    int32 // next entry of the same checkpoint, -1 for none
	more    int32 // entry in more, -1 for none
}

type memMore struct {
	interrupts, resumed []Interrupt
	memos               []Memo
}

// stamp is a time without its location or monotonic reading.
type stamp struct {
	sec  int64
	nsec int32
}

func stampOf(t time.Time) stamp { return stamp{t.Unix(), int32(t.Nanosecond())} }

func (s stamp) time() time.Time { return time.Unix(s.sec, int64(s.nsec)).UTC() }

// ref locates bytes in a thread's arena: chunk c, from off, n long; c is
// noChunk for nil.
type ref struct{ c, off, n uint32 }

const noChunk = ^uint32(0)

// arena keeps a thread's bytes in chunks that are only ever appended to,
// so what was kept never moves or changes.
type arena struct {
	chunks [][]byte
	cur    int // the chunk small values are appended to
	// first is the first chunk and hdr room for the first chunk headers.
	first [1024]byte
	hdr   [4][]byte
}

const arenaBytes = 8 << 10

// reserve makes room for n bytes in one chunk (a chunk of its own for a
// large n) and returns a filler that copies values into it.
func (a *arena) reserve(n int) filler {
	if a.chunks == nil {
		a.chunks, a.cur = append(a.hdr[:0], a.first[:0]), 0
	}
	if n > arenaBytes/4 {
		a.chunks = append(a.chunks, make([]byte, n))
		return filler{chunk: a.chunks[len(a.chunks)-1], c: uint32(len(a.chunks) - 1)}
	}
	if n > cap(a.chunks[a.cur])-len(a.chunks[a.cur]) {
		// Chunks grow from small, so a short thread stays small.
		last := cap(a.chunks[a.cur])
		a.chunks = append(a.chunks, make([]byte, 0, max(min(2*last, arenaBytes), 512, n)))
		a.cur = len(a.chunks) - 1
	}
	c := a.chunks[a.cur]
	a.chunks[a.cur] = c[:len(c)+n]
	return filler{chunk: c[:len(c)+n], c: uint32(a.cur), off: uint32(len(c))}
}

// filler copies values into room an arena reserved, in order.
type filler struct {
	chunk  []byte
	c, off uint32
}

func (f *filler) put(b []byte) ref {
	if b == nil {
		return ref{c: noChunk}
	}
	r := ref{c: f.c, off: f.off, n: uint32(len(b))}
	f.off += uint32(copy(f.chunk[f.off:], b))
	return r
}

func (f *filler) putString(s string) ref {
	r := ref{c: f.c, off: f.off, n: uint32(len(s))}
	f.off += uint32(copy(f.chunk[f.off:], s))
	return r
}

// bytes returns the kept bytes, which the caller must not change.
func (a *arena) bytes(r ref) []byte {
	if r.c == noChunk {
		return nil
	}
	return a.chunks[r.c][r.off : r.off+r.n : r.off+r.n]
}

// clone returns a copy of the kept bytes, for a reader.
func (a *arena) clone(r ref) []byte { return slices.Clone(a.bytes(r)) }

// str returns the kept bytes as a string (they never change).
func (a *arena) str(r ref) string {
	b := a.bytes(r)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// segs is an append-only list kept in segments that double in size, so
// growing it never copies what it holds.
type segs[T any] struct {
	n    int32
	segs [][]T
	// first is the first segment and hdr room for the first segment
	// headers, so a short list needs no allocation of its own.
	first [1 << seg0Bits]T
	hdr   [4][]T
}

// seg0Bits is log2 of the first segment's size.
const seg0Bits = 4

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
	*s.grow() = v
	return s.n - 1
}

// grow appends a zero element and returns it, to be filled in place.
func (s *segs[T]) grow() *T {
	k, off := segOf(s.n)
	if k == len(s.segs) {
		if k == 0 {
			s.segs = append(s.hdr[:0], s.first[:])
		} else {
			s.segs = append(s.segs, make([]T, 1<<(k+seg0Bits)))
		}
	}
	s.n++
	return &s.segs[k][off]
}

// head is the position of the thread's latest checkpoint, -1 for none.
func (t *memThread) head() int32 { return t.cps.len() - 1 }

// find returns the position of checkpoint id.
func (t *memThread) find(id string) (int32, bool) {
	if t.last != nil && t.lastID == id {
		return t.head(), true
	}
	t.imu.Lock()
	defer t.imu.Unlock()
	if t.index == nil {
		t.index = make(map[string]int32, t.cps.len())
	}
	for ; t.indexed < t.cps.len(); t.indexed++ {
		t.index[t.a.str(t.cps.at(t.indexed).id())] = t.indexed
	}
	at, ok := t.index[id]
	return at, ok
}

// keepCheckpoint saves cp (its Base and ThreadID aside) as the thread's
// newest checkpoint.
func (t *memThread) keepCheckpoint(cp *Checkpoint, parentIsHead bool) {
	// A parent that is the head (parentIsHead: known by the caller) and a
	// source like the head's share the head's bytes.
	head := t.last
	sameParent := head != nil && (parentIsHead || t.lastID == cp.ParentID)
	sameSource := head != nil && t.a.str(head.source) == cp.Source
	n := len(cp.ID) + len(cp.Snapshot) + len(cp.Delta) + len(cp.Extra)
	if !sameParent {
		n += len(cp.ParentID)
	}
	if !sameSource {
		n += len(cp.Source)
	}
	for _, tk := range cp.Next {
		n += len(tk.Node) + len(tk.Input)
	}
	f := t.a.reserve(n)
	rec := t.cps.grow()
	rec.own = span4{c: f.c, off: f.off, n: [4]uint32{uint32(len(cp.ID)), lenOf(cp.Snapshot), lenOf(cp.Delta), lenOf(cp.Extra)}}
	f.putString(cp.ID)
	f.put(cp.Snapshot)
	f.put(cp.Delta)
	f.put(cp.Extra)
	at := stampOf(cp.CreatedAt)
	rec.step, rec.atSec, rec.atNsec, rec.next0, rec.nnext, rec.wfirst = int64(cp.Step), at.sec, at.nsec, t.tasks.len(), int32(len(cp.Next)), -1
	if sameParent {
		rec.parent = head.id()
	} else {
		rec.parent = f.putString(cp.ParentID)
	}
	if sameSource {
		rec.source = head.source
	} else {
		rec.source = f.putString(cp.Source)
	}
	if cp.Next == nil {
		rec.nnext = -1
	}
	for i := range cp.Next {
		tk := t.tasks.grow()
		tk.v = span2{c: f.c, off: f.off, n: [2]uint32{uint32(len(cp.Next[i].Node)), lenOf(cp.Next[i].Input)}}
		f.putString(cp.Next[i].Node)
		f.put(cp.Next[i].Input)
	}
	t.last, t.lastID = rec, t.a.str(rec.id())
}

// checkpoint returns a reader's copy of the checkpoint at position at.
func (t *memThread) checkpoint(at int32) Checkpoint {
	rec := t.cps.at(at)
	cp := Checkpoint{ThreadID: t.id, ID: t.a.str(rec.id()), ParentID: t.a.str(rec.parent), Source: t.a.str(rec.source),
		Step: int(rec.step), CreatedAt: stamp{rec.atSec, rec.atNsec}.time(),
		Snapshot: t.a.clone(rec.own.ref(1)), Delta: t.a.clone(rec.own.ref(2)), Extra: t.a.clone(rec.own.ref(3))}
	if rec.nnext >= 0 {
		cp.Next = make([]Task, rec.nnext)
		for i := range cp.Next {
			tk := t.tasks.at(rec.next0 + int32(i))
			cp.Next[i] = Task{Node: t.a.str(tk.v.ref(0)), Input: t.a.clone(tk.v.ref(1))}
		}
	}
	return cp
}

// writes returns a reader's copy of task entry i.
func (t *memThread) writes(i int32) TaskWrites {
	rec := t.ws.at(i)
	w := TaskWrites{Task: int(rec.task), Node: t.a.str(rec.v.ref(0)), Writes: t.a.clone(rec.v.ref(1)), Running: rec.running, CreatedAt: stamp{rec.atSec, rec.atNsec}.time()}
	if rec.more >= 0 {
		m := &t.more[rec.more]
		w.Interrupts, w.Resumed, w.Memos = cloneInterrupts(m.interrupts), cloneInterrupts(m.resumed), cloneMemos(m.memos)
	}
	return w
}

func cloneInterrupts(in []Interrupt) []Interrupt {
	if len(in) == 0 {
		return nil
	}
	out := make([]Interrupt, len(in))
	for i, it := range in {
		out[i] = Interrupt{ID: it.ID, Node: it.Node, Payload: slices.Clone(it.Payload)}
	}
	return out
}

func cloneMemos(in []Memo) []Memo {
	if len(in) == 0 {
		return nil
	}
	out := make([]Memo, len(in))
	for i, m := range in {
		out[i] = Memo{Key: m.Key, Value: slices.Clone(m.Value)}
	}
	return out
}

// putWrites saves w against the checkpoint at position at, replacing an
// earlier entry for the same task.
func (t *memThread) putWrites(at int32, w *TaskWrites) {
	f := t.a.reserve(len(w.Node) + len(w.Writes))
	ts := stampOf(w.CreatedAt)
	rec := memWrite{task: int64(w.Task), v: span2{c: f.c, off: f.off, n: [2]uint32{uint32(len(w.Node)), lenOf(w.Writes)}},
		atSec: ts.sec, atNsec: ts.nsec, running: w.Running, more: -1}
	f.putString(w.Node)
	f.put(w.Writes)
	c := t.cps.at(at)
	var old *memWrite
	for i := c.wfirst; i >= 0; i = t.ws.at(i).next {
		if e := t.ws.at(i); e.task == rec.task {
			old = e
			break
		}
	}
	if len(w.Interrupts) > 0 || len(w.Resumed) > 0 || len(w.Memos) > 0 {
		m := memMore{interrupts: cloneInterrupts(w.Interrupts), resumed: cloneInterrupts(w.Resumed), memos: cloneMemos(w.Memos)}
		if old != nil && old.more >= 0 {
			rec.more = old.more
			t.more[rec.more] = m
		} else {
			rec.more = int32(len(t.more))
			t.more = append(t.more, m)
		}
	} else if old != nil && old.more >= 0 {
		t.more[old.more] = memMore{}
	}
	if old != nil {
		rec.next = old.next
		*old = rec
		return
	}
	rec.next = c.wfirst
	c.wfirst = t.ws.push(rec)
}

// memNotFound is the store's ErrNotFound, its text made only when asked
// for (a run on a new thread gets one from Get every time).
type memNotFound struct{ what, id, thread string }

func (e *memNotFound) Error() string {
	if e.id == "" && e.what != "checkpoint" && e.what != "writes for checkpoint" {
		return fmt.Sprintf("state: memory store: %s %q: %v", e.what, e.thread, ErrNotFound)
	}
	return fmt.Sprintf("state: memory store: %s %q of thread %q: %v", e.what, e.id, e.thread, ErrNotFound)
}

func (e *memNotFound) Unwrap() error { return ErrNotFound }

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{} }

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
	t := m.saving(cp.ThreadID)
	latest, h := "", int32(-1)
	if t != nil && t.last != nil {
		latest, h = t.lastID, t.head()
	}
	base := cp.Base // ExpectedBase, without copying cp
	if base == "" {
		base = cp.ParentID
	}
	if base != latest {
		return &StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
	}
	// An id above every saved one is new; below, it is looked up.
	newest := t == nil || cp.ID > t.maxID
	if !newest {
		if _, ok := t.find(cp.ID); ok {
			return &StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
		}
	}
	if len(writes) > 0 {
		// parentID is the head (base checked above) unless it was given
		// apart from cp's own parent.
		if t == nil {
			return &memNotFound{what: "writes for checkpoint", id: parentID, thread: cp.ThreadID}
		}
		at, ok := h, h >= 0 && parentID == base
		if !ok {
			at, ok = t.find(parentID)
		}
		if !ok {
			return &memNotFound{what: "writes for checkpoint", id: parentID, thread: cp.ThreadID}
		}
		for i := range writes {
			t.putWrites(at, &writes[i])
		}
	}
	if t == nil {
		t = &memThread{id: cp.ThreadID}
		if m.threads == nil {
			m.threads = map[string]*memThread{}
		}
		m.threads[cp.ThreadID] = t
		m.hot = t
	}
	// With no Base of its own, cp's parent is the base, found equal to the
	// head above.
	t.keepCheckpoint(&cp, cp.Base == "")
	if newest {
		// The kept copy, so the thread holds none of the caller's memory.
		t.maxID = t.lastID
	}
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
	if m.hot != nil && m.hot.id == threadID {
		m.hot = nil
	}
	return nil
}

// PutWrites saves one task's writes.
func (m *Memory) PutWrites(ctx context.Context, threadID, checkpointID string, w TaskWrites) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.saving(threadID)
	if t == nil {
		return &memNotFound{what: "writes for thread", thread: threadID}
	}
	at, ok := t.find(checkpointID)
	if !ok {
		return &memNotFound{what: "writes for checkpoint", id: checkpointID, thread: threadID}
	}
	t.putWrites(at, &w)
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
		return Checkpoint{}, &memNotFound{what: "thread", thread: threadID}
	}
	at := t.head()
	if checkpointID != "" {
		var ok bool
		if at, ok = t.find(checkpointID); !ok {
			return Checkpoint{}, &memNotFound{what: "checkpoint", id: checkpointID, thread: threadID}
		}
	}
	return t.checkpoint(at), nil
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
		out = append(out, t.writes(i))
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
		if opts.Before != "" {
			return nil, &memNotFound{what: "checkpoint", id: opts.Before, thread: threadID}
		}
		return nil, nil
	}
	end := int(t.cps.len())
	if opts.Before != "" {
		at, ok := t.find(opts.Before)
		if !ok {
			return nil, &memNotFound{what: "checkpoint", id: opts.Before, thread: threadID}
		}
		end = int(at)
	}
	var out []Checkpoint
	for i := end - 1; i >= 0; i-- {
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
		out = append(out, t.checkpoint(int32(i)))
	}
	return out, nil
}
