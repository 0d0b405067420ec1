package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jedisos/jedisos/state"
)

// Durability says when a checkpointed run saves its progress.
type Durability uint8

const (
	// DurabilitySync saves every task's writes as it finishes and every
	// checkpoint before the next step starts (the default).
	DurabilitySync Durability = iota
	// DurabilityAsync saves in the background, in order, while the run goes
	// on; everything is saved before Invoke returns.
	DurabilityAsync
	// DurabilityExit saves only when the run ends (finished, failed or
	// interrupted): cheapest, but a crash loses the run's progress.
	DurabilityExit
)

// String names the mode.
func (d Durability) String() string {
	switch d {
	case DurabilitySync:
		return "sync"
	case DurabilityAsync:
		return "async"
	case DurabilityExit:
		return "exit"
	}
	return fmt.Sprintf("Durability(%d)", uint8(d))
}

// WithCheckpointer makes every run of the compiled graph durable: runs need
// a Thread and save a checkpoint at every step boundary. The state type must
// then be encodable (checked at Compile, naming the field path).
func WithCheckpointer(cp state.Checkpointer) CompileOption {
	return func(c *compileConfig) {
		if cp == nil {
			c.errs = append(c.errs, "WithCheckpointer: the checkpointer is nil")
			return
		}
		c.cp = cp
	}
}

// WithDurability sets the default durability mode of checkpointed runs.
func WithDurability(d Durability) CompileOption {
	return func(c *compileConfig) {
		if d > DurabilityExit {
			c.errs = append(c.errs, fmt.Sprintf("WithDurability: unknown mode %d", d))
		}
		c.durability = d
	}
}

// WithSnapshotRatio sets how often a full state snapshot is stored: when the
// writes saved since the last snapshot reach ratio times its size (default
// 4). Between snapshots only writes are stored (for append fields, only the
// new elements), so storage grows linearly with a conversation.
func WithSnapshotRatio(ratio int) CompileOption {
	return func(c *compileConfig) {
		if ratio < 1 {
			c.errs = append(c.errs, fmt.Sprintf("WithSnapshotRatio(%d): the ratio must be at least 1", ratio))
			return
		}
		c.snapEvery = ratio
	}
}

// WithInterruptBefore pauses every run before the named nodes run. It
// needs WithCheckpointer: Compile reports it otherwise.
func WithInterruptBefore(nodes ...string) CompileOption {
	return func(c *compileConfig) { c.breakBefore = append(c.breakBefore, nodes...) }
}

// WithInterruptAfter pauses every run after the named nodes ran, also
// after a node the run would end after (to review a final answer);
// continuing such a pause with the zero state (or Resume) ends the run
// with its state, and new input starts the next run. It needs
// WithCheckpointer: Compile reports it otherwise.
func WithInterruptAfter(nodes ...string) CompileOption {
	return func(c *compileConfig) { c.breakAfter = append(c.breakAfter, nodes...) }
}

// Thread runs under the given thread id: its checkpoints are saved under it,
// and a thread with unfinished work (a crash, an interrupt) is continued
// when the input is the zero state.
// A finished thread takes the run's input as new writes onto its saved
// state (through the reducers), so a conversation continues turn by turn;
// so does a thread whose last run failed (its unfinished step is dropped),
// while a paused thread needs Resume and a crashed one the zero state (see
// the package doc, "Semantics").
// Runs of one thread wait for each other in a process (per checkpointer
// and thread, honouring their contexts); a run of it in another process
// that saved first makes this one fail with an error matching
// state.ErrConflict, naming the thread, with nothing overwritten. A node
// must not run its own thread again (that fails at once). The state a run of a thread returns
// is also where the thread's next run in this process starts: treat it as a
// node treats its input and do not change its slices' elements, maps or
// pointed-to values in place (copy them first).
func Thread(id string) RunOption {
	return func(c *runConfig) { c.thread = id }
}

// FromCheckpoint starts the run from a past checkpoint of the thread instead
// of its latest: a fork. The new checkpoints branch off that one and become
// the thread's latest.
func FromCheckpoint(id string) RunOption {
	return func(c *runConfig) { c.from = id }
}

// BreakBefore pauses this run before the named nodes run; on a graph
// compiled without WithCheckpointer the run fails instead of starting.
func BreakBefore(nodes ...string) RunOption {
	return func(c *runConfig) { c.breakBefore = append(c.breakBefore, nodes...) }
}

// BreakAfter pauses this run after the named nodes ran; on a graph
// compiled without WithCheckpointer the run fails instead of starting.
func BreakAfter(nodes ...string) RunOption {
	return func(c *runConfig) { c.breakAfter = append(c.breakAfter, nodes...) }
}

// RunDurability overrides the durability mode for this run.
func RunDurability(d Durability) RunOption {
	return func(c *runConfig) {
		if d > DurabilityExit {
			c.errs = append(c.errs, fmt.Sprintf("RunDurability: unknown mode %d", d))
		}
		c.durability, c.durSet = d, true
	}
}

const (
	sourceInput  = "input"
	sourceLoop   = "loop"
	sourceUpdate = "update"
	sourceFork   = "fork"
	inputNode    = "__input__"
)

type durable[S any] struct {
	cp    state.Checkpointer
	plan  *state.Plan[S]
	mode  Durability
	ratio int

	mu    sync.Mutex
	cache map[string]cachedState[S]
}

type cachedState[S any] struct {
	id string
	st S
}

const cacheThreads = 256

func newDurable[S any](cfg compileConfig, plan *state.Plan[S]) (*durable[S], []string) {
	d := &durable[S]{cp: cfg.cp, plan: plan, mode: cfg.durability, ratio: cfg.snapEvery, cache: map[string]cachedState[S]{}}
	if d.ratio == 0 {
		d.ratio = 4
	}
	if p := plan.EncodingProblems(); len(p) > 0 {
		return nil, p
	}
	return d, nil
}

// extra is the bookkeeping saved with each checkpoint.
type extra struct {
	Joins []uint64 `json:"j,omitempty"`
	Since int      `json:"s,omitempty"`
	Full  int      `json:"f,omitempty"`
	// Origin is the checkpoint the next step's interrupt ids are based on
	// when it is not this one (an update that kept the pending step).
	Origin string `json:"o,omitempty"`
	// Break lists the breakpoints ("before:node", "after:node") the run
	// paused at right after saving this checkpoint.
	Break []string `json:"b,omitempty"`
	// Upd marks an update whose Delta is relative to the zero state and
	// applied through the reducers.
	Upd bool `json:"u,omitempty"`
}

type durableRun[S any] struct {
	d *durable[S]
	r *run[S]
	// anyBefore and anyAfter are set when some node has a breakpoint
	// before or after it, of the graph or of the run.
	anyBefore, anyAfter bool
	ctx                 context.Context
	sctx                context.Context // for saves: not cancelled with the run
	mode                Durability
	// intrSrc holds the thread, the resume answers and the Once results
	// read back (loaded, for the step of checkpoint loadedCP): what the
	// run's tasks make their interrupt states from.
	intrSrc

	cpID string
	// idBase is the checkpoint the ids of the next step's interrupts are
	// based on: cpID, or the origin an update kept.
	idBase string
	// origin, if set, is the Origin the next checkpoint records.
	origin string
	// brk are the breakpoints the next checkpoint records (see extra).
	brk []string
	// input: the run's input was written onto the state; replayed: the run
	// replays a finished checkpoint and runs nothing.
	input    bool
	replayed bool
	lock     *heldLock
	finished bool
	// saved: this run saved (or queued) a checkpoint.
	saved bool
	// base is the thread's latest saved checkpoint (or the one queued last
	// under DurabilityAsync): the next Put must build on it, so a run that
	// lost a race with another run on the thread gets state.ErrConflict
	// instead of overwriting its history.
	base    string
	since   int
	full    int
	resumed bool
	before  map[int]bool
	after   map[int]bool

	// nextBuf and extraBuf are reused for each checkpoint's Next and Extra.
	nextBuf  []state.Task
	extraBuf []byte
	// idBuf is the unused tail of the chunk checkpoint ids are made in.
	idBuf []byte
	// steps is the store as a state.StepSaver under DurabilitySync, when
	// it is one; held are the writes of the tasks that closed the current
	// step, saved with the step's checkpoint by PutStep (or by PutWrites
	// when the step ends without one, see flushHeld).
	steps state.StepSaver
	held  []state.TaskWrites
	// heldBufs are the pooled buffers of held's writes, released once
	// they are saved.
	heldBufs []*[]byte
	// ended counts the tasks of the current step that ended, of r.todo.
	ended int
	// slab holds the slots not yet handed out (see slot), of a block of
	// slabN.
	slab  []durableSlot
	slabN int
	// ownW is the run's own buffer for the writes of a step's only task
	// under DurabilitySync, used while nothing is held: they are saved
	// (with the step's checkpoint, or at once) before the next step's
	// task is encoded.
	ownW []byte

	mu sync.Mutex
	// taskN are the sizes of the current step's tasks' writes, by task.
	taskN  []int
	intrs  []*interruptState
	exitCP *state.Checkpoint
	exitW  []state.TaskWrites
	exitSt S

	// loadedCP is the checkpoint whose step the loaded Once results are
	// of; exitRun holds running tasks' progress under DurabilityExit.
	loadedCP string
	exitRun  map[int]state.TaskWrites

	// q is the queue of background saves under DurabilityAsync (see
	// drain); qerr its first failure.
	q     *saveQueue
	qdone chan struct{}
	qmu   sync.Mutex
	qerr  error
}

// saveQueue holds the background saves of a run under DurabilityAsync
// that its writer (drain) has not taken yet.
type saveQueue struct {
	mu sync.Mutex
	// wake wakes the writer; room wakes a run waiting for room.
	wake, room sync.Cond
	ops        []state.BatchOp
	bytes      int
	closed     bool
}

// The bounds of a run's queue of background saves: a run that gets this
// far ahead of its writer waits for it. They bound the queue's memory: at
// most asyncQueueOps saves holding at most asyncQueueBytes of encoded
// states, writes and bookkeeping (one save larger than that alone waits
// for an empty queue and is queued alone), plus as much again in the batch
// the writer is saving: for a run of 1 KB states about 4,000 steps, of
// 100 KB states 40 to 80. Under DurabilityAsync a crash loses what is
// queued; everything is saved before the run returns.
const (
	asyncQueueOps   = 8192
	asyncQueueBytes = 8 << 20
)

// opBytes is about how many bytes op holds.
func opBytes(op *state.BatchOp) int {
	cp := &op.Checkpoint
	n := 256 + len(cp.Snapshot) + len(cp.Delta) + len(cp.Extra)
	for _, t := range cp.Next {
		n += 32 + len(t.Node) + len(t.Input)
	}
	for i := range op.Writes {
		w := &op.Writes[i]
		n += 128 + len(w.Writes)
		for _, m := range w.Memos {
			n += 32 + len(m.Key) + len(m.Value)
		}
		for _, it := range w.Interrupts {
			n += 48 + len(it.Payload)
		}
		for _, it := range w.Resumed {
			n += 48 + len(it.Payload)
		}
	}
	return n
}

func (c *Compiled[S]) corrupt(thread, id string, err error) error {
	return &state.CorruptError{ThreadID: thread, CheckpointID: id, Err: err}
}

func isZero[S any](s *S) bool {
	return reflect.ValueOf(s).Elem().IsZero()
}

func (d *durable[S]) start(r *run[S], in S) (*durableRun[S], S, error) {
	c := r.c
	cfg := r.cfg
	if cfg.thread == "" {
		return nil, in, errors.New("graph: this graph is compiled WithCheckpointer, so every run needs graph.Thread(id)")
	}
	dr := &durableRun[S]{d: d, r: r, ctx: r.nctx.Context, sctx: context.WithoutCancel(r.nctx.Context), mode: d.mode,
		intrSrc: intrSrc{thread: cfg.thread, answers: map[string]json.RawMessage{}}}
	dr.saver = dr
	if cfg.durSet {
		dr.mode = cfg.durability
	}
	if ss, ok := d.cp.(state.StepSaver); ok && dr.mode == DurabilitySync {
		dr.steps = ss
	}
	for _, name := range cfg.breakBefore {
		i, ok := c.byName[name]
		if !ok {
			return nil, in, fmt.Errorf("graph: BreakBefore names unknown node %q", name)
		}
		if dr.before == nil {
			dr.before = map[int]bool{}
		}
		dr.before[i] = true
	}
	for _, name := range cfg.breakAfter {
		i, ok := c.byName[name]
		if !ok {
			return nil, in, fmt.Errorf("graph: BreakAfter names unknown node %q", name)
		}
		if dr.after == nil {
			dr.after = map[int]bool{}
		}
		dr.after[i] = true
	}
	dr.anyBefore, dr.anyAfter = c.breaksBefore || dr.before != nil, c.breaksAfter || dr.after != nil
	lock, err := lockThread(dr.ctx, storeKey(d), dr.thread)
	if err != nil {
		return nil, in, err
	}
	dr.lock = lock
	// Nodes' contexts carry the lock, so a nested run of the thread fails
	// instead of waiting for itself.
	r.nctx.Context = withHeld(r.nctx.Context, lock)
	dr.ctx = r.nctx.Context
	if dr.mode == DurabilityAsync {
		q := &saveQueue{}
		q.wake.L, q.room.L = &q.mu, &q.mu
		dr.q = q
		dr.qdone = make(chan struct{})
		go dr.drain(q)
	}
	opened := false
	defer func() {
		if !opened {
			// An error, or a panic of a stream consumer's loop (open
			// emits the input checkpoint's event).
			dr.stopQueue()
			if dr.saved && dr.mode != DurabilityExit && len(r.cur) > 0 && dr.queueErr() == nil {
				// The input was saved and the run ends here (its stream's
				// consumer stopped): its step counts as failed.
				_ = d.cp.PutWrites(dr.sctx, dr.thread, dr.cpID, failedMark())
			}
			dr.lock.release()
		}
	}()
	st, err := dr.open(in)
	if err != nil {
		return nil, in, err
	}
	opened = true
	return dr, st, nil
}

// abort ends a run that did not reach finish (a panic through the run):
// its background saves are waited for and its thread's lock released.
func (dr *durableRun[S]) abort() {
	if dr.finished {
		return
	}
	dr.finished = true
	dr.stopQueue()
	flushErr := dr.flushHeld()
	if dr.mode != DurabilityExit && dr.cpID != "" && len(dr.r.cur) > 0 && dr.queueErr() == nil && flushErr == nil {
		// The run ended here: its step counts as failed.
		_ = dr.d.cp.PutWrites(dr.sctx, dr.thread, dr.cpID, failedMark())
	}
	dr.d.forget(dr.thread)
	dr.lock.release()
}

// forget drops what this process remembers of thread.
func (d *durable[S]) forget(thread string) {
	d.mu.Lock()
	delete(d.cache, thread)
	d.mu.Unlock()
}

func (dr *durableRun[S]) open(in S) (S, error) {
	d, r, c := dr.d, dr.r, dr.r.c
	if r.cfg.from != "" && len(r.cfg.resume) > 0 {
		// Refused before anything is saved: a fork checkpoint would become
		// the thread's latest and hide its pending interrupts.
		return in, errors.New("graph: Resume cannot be combined with FromCheckpoint")
	}
	if len(r.cfg.resume) > 0 && !isZero(&in) {
		return in, fmt.Errorf("graph: Resume and ResumeID continue thread %q where it paused, so the input must be the zero state; change the state with UpdateState instead", dr.thread)
	}
	cp, err := d.cp.Get(dr.ctx, dr.thread, r.cfg.from)
	if errors.Is(err, state.ErrNotFound) {
		if r.cfg.from != "" {
			return in, fmt.Errorf("graph: thread %q has no checkpoint %q to start from: %w", dr.thread, r.cfg.from, err)
		}
		if len(r.cfg.resume) > 0 {
			return in, fmt.Errorf("%w: thread %q has nothing to resume (it has no checkpoint); start it with its input and no Resume", ErrNoPendingInterrupt, dr.thread)
		}
		r.state = in
		dr.input = !isZero(&in)
		if err := r.routeAlone(&c.entry, START, &r.state); err != nil {
			return in, err
		}
		r.cur, r.next = r.next, r.cur[:0]
		dr.brk = dr.breaksBefore()
		if err := dr.checkpoint(sourceInput, "", nil, 0, true); err != nil {
			return in, err
		}
		return in, nil
	}
	if err != nil {
		return in, fmt.Errorf("graph: load thread %q: %w", dr.thread, err)
	}
	st, err := d.load(dr.ctx, c, dr.thread, cp, nil)
	if err != nil {
		return in, err
	}
	ex, err := c.extraOf(dr.thread, cp)
	if err != nil {
		return in, err
	}
	if len(ex.Joins) > 0 {
		if len(ex.Joins) != len(r.joinSeen) {
			return in, c.corrupt(dr.thread, cp.ID, fmt.Errorf("saved %d joins, graph has %d", len(ex.Joins), len(r.joinSeen)))
		}
		copy(r.joinSeen, ex.Joins)
	}
	dr.cpID, dr.since, dr.full = cp.ID, ex.Since, ex.Full
	dr.idBase = cp.ID
	if ex.Origin != "" {
		dr.idBase = ex.Origin
	}
	dr.base = cp.ID
	if r.cfg.from != "" {
		latest, err := d.cp.Get(dr.ctx, dr.thread, "")
		if err != nil {
			return in, fmt.Errorf("graph: load thread %q: %w", dr.thread, err)
		}
		dr.base = latest.ID
	}
	r.step = cp.Step
	// The step limit bounds this run, not the thread's earlier runs.
	r.seqRn.limit = r.step + r.maxSteps()
	r.state = st

	// What the checkpoint's next step left: saved writes, interrupts,
	// answers. A fork re-runs the step on its own branch and reads none.
	var ws []state.TaskWrites
	if len(cp.Next) > 0 && r.cfg.from == "" {
		ws, err = d.cp.Writes(dr.ctx, dr.thread, cp.ID)
		if err != nil {
			return in, fmt.Errorf("graph: load writes of thread %q checkpoint %s: %w", dr.thread, cp.ID, err)
		}
	}
	var pending []string
	failed := false
	for _, w := range ws {
		if w.Task == failedTask {
			failed = isFailedMark(w)
			continue
		}
		if !w.Running {
			for _, it := range w.Interrupts {
				pending = append(pending, it.ID)
			}
		}
	}
	breaks := breakPending(dr.thread, cp.ID, cp.Step, ex.Break)

	if len(cp.Next) == 0 && r.cfg.from != "" && isZero(&in) && len(r.cfg.resume) == 0 {
		// Replaying a checkpoint with no next step: there is nothing to
		// run and nothing to save; the run returns its state.
		r.cur = r.cur[:0]
		dr.replayed = true
		return st, nil
	}
	if len(cp.Next) == 0 && r.cfg.from == "" && len(breaks) > 0 && isZero(&in) {
		// Continuing a run paused after its last node (Resume's value, as
		// at every breakpoint, is ignored): nothing is left to run and
		// nothing to save; the run returns its state. New input starts
		// the thread's next run from START, as on any finished thread.
		for _, rv := range r.cfg.resume {
			if rv.id != "" && !slices.ContainsFunc(breaks, func(p Pending) bool { return p.ID == rv.id }) {
				return in, fmt.Errorf("%w: resume value for interrupt %q, which is not pending on thread %q (pending: %v)", ErrNoPendingInterrupt, rv.id, dr.thread, waitingIDs(nil, breaks))
			}
		}
		r.cur = r.cur[:0]
		dr.replayed = true
		return st, nil
	}
	if len(cp.Next) == 0 || (!isZero(&in) && len(r.cfg.resume) == 0) {
		if len(cp.Next) == 0 && len(r.cfg.resume) > 0 {
			return in, fmt.Errorf("%w: thread %q has no pending interrupt to resume (its run finished at checkpoint %s); give it new input without Resume", ErrNoPendingInterrupt, dr.thread, cp.ID)
		}
		if len(cp.Next) > 0 && r.cfg.from == "" && (len(pending) > 0 || len(breaks) > 0) {
			return in, fmt.Errorf("%w: thread %q is paused at step %d (checkpoint %s) waiting for input on %v, so it takes no new input: answer with graph.Resume(value) or graph.ResumeID(id, value) and the zero state as input, change the state with UpdateState, or delete the thread with DeleteThread", ErrPaused, dr.thread, cp.Step, cp.ID, waitingIDs(pending, breaks))
		}
		if len(cp.Next) > 0 && r.cfg.from == "" && !failed {
			return in, fmt.Errorf("%w: thread %q stopped at step %d (checkpoint %s) without a run ending in an error, so it takes no new input: a run of it may be in progress in another process (retry when it is done), or one crashed (continue it by passing the zero state as input); or start from a past checkpoint with FromCheckpoint", ErrUnfinished, dr.thread, cp.Step, cp.ID)
		}
		// New input: on a finished thread, on a thread whose last run
		// failed or crashed (its unfinished step is dropped; its saved
		// writes stay in the history), or onto a past checkpoint (a fork).
		// The input's non-zero fields are written onto the saved state
		// through the reducers and the run starts again from START.
		var zero S
		delta, err := c.plan.EncodeWrites(&zero, &in)
		if err != nil {
			return in, err
		}
		merged, err := c.plan.Merge(st, []state.Write[S]{{Node: inputNode, In: &zero, Out: &in}})
		if err != nil {
			return in, fmt.Errorf("graph: input for thread %q: %w", dr.thread, err)
		}
		r.state = merged
		dr.input = !isZero(&in)
		if err := r.routeAlone(&c.entry, START, &r.state); err != nil {
			return in, err
		}
		r.cur, r.next = r.next, r.cur[:0]
		dr.brk = dr.breaksBefore()
		if err := dr.checkpoint(sourceInput, cp.ID, delta, len(delta), false); err != nil {
			return in, err
		}
		return r.state, nil
	}

	// Unfinished work: continue it.
	tasks := make([]task[S], len(cp.Next))
	for i, t := range cp.Next {
		ni, ok := c.byName[t.Node]
		if !ok {
			return in, c.corrupt(dr.thread, cp.ID, fmt.Errorf("next task names node %q, which this graph does not have", t.Node))
		}
		tasks[i] = task[S]{node: int32(ni)}
		if t.Input != nil {
			s, err := c.plan.DecodeState(t.Input)
			if err != nil {
				return in, c.corrupt(dr.thread, cp.ID, err)
			}
			tasks[i].send, tasks[i].in = true, s
		}
	}
	if r.cfg.from != "" {
		// A fork re-runs the step on its own branch so the original's saved
		// writes stay as they were.
		r.cur = append(r.cur[:0], tasks...)
		if err := dr.checkpoint(sourceFork, cp.ID, nil, 0, false); err != nil {
			return in, err
		}
		dr.resumed = true
		return st, nil
	}
	for _, w := range ws {
		if w.Task == failedTask {
			continue
		}
		if w.Task < 0 || w.Task >= len(tasks) {
			return in, c.corrupt(dr.thread, cp.ID, fmt.Errorf("writes for task %d of %d", w.Task, len(tasks)))
		}
		for _, a := range w.Resumed {
			dr.answers[a.ID] = a.Payload
		}
		if len(w.Memos) > 0 && (w.Running || len(w.Interrupts) > 0) {
			if dr.loaded == nil {
				dr.loaded = map[int][]state.Memo{}
			}
			dr.loaded[w.Task] = w.Memos
			dr.loadedCP = cp.ID
		}
		if w.Running || len(w.Interrupts) > 0 {
			// Still running or waiting for an answer: the task runs again,
			// its side effects' results and answers at hand.
			continue
		}
		t := &tasks[w.Task]
		in := st
		if t.send {
			in = t.in
		}
		out, err := c.plan.ApplyWrites(in, w.Writes)
		if err != nil {
			return in, c.corrupt(dr.thread, cp.ID, err)
		}
		marked, err := c.writtenIn(w.Writes)
		if err != nil {
			return in, c.corrupt(dr.thread, cp.ID, err)
		}
		var route *cmdRoute
		for _, m := range w.Memos {
			if m.Key == routeKey {
				if route, err = decodeRoute[S](c, m.Value); err != nil {
					return in, c.corrupt(dr.thread, cp.ID, err)
				}
			}
		}
		if marked != nil || route != nil {
			t.ext = &taskExt{marked: marked, cmd: route}
		}
		t.out, t.done = out, true
	}
	answered := 0
	for _, rv := range r.cfg.resume {
		id := rv.id
		if id == "" {
			switch {
			case len(pending) == 1:
				id = pending[0]
			case len(pending) == 0 && len(breaks) > 0:
				// A breakpoint takes no value: Resume(value) continues the
				// run and the value is ignored.
				answered++
				continue
			case len(pending) == 0:
				return in, fmt.Errorf("%w: thread %q has no pending interrupt at step %d (checkpoint %s): its last run stopped there without one (it failed or crashed, or UpdateState replaced the pause); continue it with the zero state and no Resume", ErrNoPendingInterrupt, dr.thread, cp.Step, cp.ID)
			default:
				return in, fmt.Errorf("graph: thread %q has %d pending interrupts %v; answer each with graph.ResumeID(id, value)", dr.thread, len(pending), pending)
			}
		}
		if !slices.Contains(pending, id) {
			if slices.ContainsFunc(breaks, func(p Pending) bool { return p.ID == id }) {
				answered++
				continue
			}
			return in, fmt.Errorf("%w: resume value for interrupt %q, which is not pending on thread %q (pending: %v)", ErrNoPendingInterrupt, id, dr.thread, pending)
		}
		b, err := state.EncodeValue("resume value", rv.value)
		if err != nil {
			return in, fmt.Errorf("graph: resume value for interrupt %q cannot be encoded: %w", id, err)
		}
		dr.answers[id] = b
		answered++
	}
	if len(pending) > 0 && answered == 0 {
		return in, fmt.Errorf("%w: thread %q is waiting for input on interrupts %v; pass graph.Resume(value) or graph.ResumeID(id, value)", ErrPaused, dr.thread, pending)
	}
	r.cur = append(r.cur[:0], tasks...)
	dr.resumed = true
	return st, nil
}

// failedTask is the task index of the entry that marks a checkpoint's step
// as failed (a run ended with an error while the step had work left).
const failedTask = -1

const failedKey = "\x00graph:failed"

func failedMark() state.TaskWrites {
	return state.TaskWrites{Task: failedTask, Running: true, Memos: []state.Memo{{Key: failedKey, Value: []byte("true")}}, CreatedAt: time.Now().UTC()}
}

func isFailedMark(w state.TaskWrites) bool {
	return w.Task == failedTask && len(w.Memos) == 1 && w.Memos[0].Key == failedKey
}

// extraOf decodes a checkpoint's bookkeeping.
func (c *Compiled[S]) extraOf(thread string, cp state.Checkpoint) (extra, error) {
	var ex extra
	if len(cp.Extra) > 0 {
		if err := json.Unmarshal(cp.Extra, &ex); err != nil {
			return ex, c.corrupt(thread, cp.ID, fmt.Errorf("bookkeeping: %w", err))
		}
	}
	return ex, nil
}

// writtenIn returns the indexes of the fields encoded writes set: on replay
// every field a node's saved writes name counts as written by it, equal
// value or not.
func (c *Compiled[S]) writtenIn(b []byte) ([]int, error) {
	names, err := state.WriteFields(b)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	return c.plan.FieldIndexes(names)
}

// breaksBefore lists the breakpoints before the nodes of r.cur, the next
// step, which pause the run before it.
func (dr *durableRun[S]) breaksBefore() []string {
	if !dr.anyBefore {
		return nil
	}
	var out []string
	for i := range dr.r.cur {
		n := int(dr.r.cur[i].node)
		name := dr.r.c.nodes[n].name
		if (dr.r.c.nodes[n].breakBefore || dr.before[n]) && !slices.Contains(out, string(InterruptBefore)+":"+name) {
			out = append(out, string(InterruptBefore)+":"+name)
		}
	}
	return out
}

// waitingIDs lists what a paused thread waits on: the pending interrupts'
// ids, then the breakpoints'.
func waitingIDs(pending []string, breaks []Pending) []string {
	ids := slices.Clone(pending)
	for _, b := range breaks {
		ids = append(ids, b.ID)
	}
	return ids
}

// breakPending is the pending breakpoints recorded in a checkpoint's
// bookkeeping, with the ids the run reported.
func breakPending(thread, cpID string, step int, brk []string) []Pending {
	var out []Pending
	for _, b := range brk {
		kind, node, _ := strings.Cut(b, ":")
		out = append(out, Pending{ID: interruptID(thread, cpID, -1, b, 0), Kind: InterruptKind(kind), Node: node, Step: step})
	}
	return out
}

// checkpoint records a step boundary: r.state, r.cur as the next tasks.
func (dr *durableRun[S]) checkpoint(source, parent string, delta []byte, grew int, forceFull bool) error {
	r, c := dr.r, dr.r.c
	now := time.Now()
	var id string
	id, dr.idBuf = newCheckpointID(now, dr.idBuf)
	cp := state.Checkpoint{ThreadID: dr.thread, ID: id, ParentID: parent, Base: dr.base, Step: r.step, Source: source, CreatedAt: now.UTC(), Delta: delta}
	// Next and Extra are built in the run's buffers: a store copies what it
	// keeps before Put returns, and the queued and exit saves below copy
	// them first.
	next := dr.nextBuf[:0]
	for i := range r.cur {
		t := &r.cur[i]
		task := state.Task{Node: c.nodes[t.node].name}
		if t.send {
			b, err := c.plan.EncodeState(&t.in)
			if err != nil {
				return err
			}
			task.Input = b
		}
		next = append(next, task)
	}
	dr.nextBuf = next
	if len(next) > 0 {
		cp.Next = next
	}
	dr.since += grew
	if forceFull || dr.since >= dr.d.ratio*dr.full {
		b, err := c.plan.EncodeState(&r.state)
		if err != nil {
			return err
		}
		cp.Snapshot, cp.Delta = b, nil
		dr.full, dr.since = len(b), 0
	}
	ex := extra{Since: dr.since, Full: dr.full, Break: dr.brk, Origin: dr.origin, Upd: source == sourceUpdate}
	dr.brk, dr.origin = nil, ""
	if len(r.joinSeen) > 0 {
		ex.Joins = r.joinSeen
	}
	dr.extraBuf = appendExtra(dr.extraBuf[:0], ex)
	cp.Extra = dr.extraBuf
	prevID, prevBase := dr.cpID, dr.idBase
	dr.cpID = cp.ID
	dr.idBase = cp.ID
	if ex.Origin != "" {
		dr.idBase = ex.Origin
	}
	dr.taskN = dr.taskN[:0]
	dr.ended = 0
	switch dr.mode {
	case DurabilityExit:
		ecp := ownCheckpoint(cp)
		dr.exitCP = &ecp
		dr.exitSt = r.state
		dr.exitW = dr.exitW[:0]
		clear(dr.exitRun)
	case DurabilityAsync:
		// A copy made here, so only this branch moves a checkpoint to the
		// heap.
		dr.enqueue(state.BatchOp{Kind: state.OpPut, Checkpoint: ownCheckpoint(cp)})
		dr.base = cp.ID
		dr.saved = true
	default:
		var err error
		if held := dr.held; len(held) > 0 && dr.steps != nil && source == sourceLoop {
			for i := range held {
				held[i].CreatedAt = cp.CreatedAt
			}
			if err = dr.steps.PutStep(dr.sctx, parent, held, cp); err == nil {
				dr.held = held[:0]
				dr.heldBufs = releaseWBufs(dr.heldBufs)
			}
		} else {
			err = dr.d.cp.Put(dr.sctx, cp)
		}
		if err != nil {
			// Nothing of the step was saved: the run stays at the
			// checkpoint it had, where flushHeld saves the held writes
			// and a failed run leaves its mark.
			dr.cpID, dr.idBase = prevID, prevBase
			if errors.Is(err, state.ErrConflict) {
				return fmt.Errorf("graph: thread %q was changed by another run (another process, or a Compiled over another checkpointer value) while this run was at step %d; this run's progress was not saved and nothing was overwritten: %w", dr.thread, r.step, err)
			}
			return fmt.Errorf("graph: save checkpoint of thread %q at step %d: %w", dr.thread, r.step, err)
		}
		dr.base = cp.ID
		dr.saved = true
	}
	if r.kinds&EventCheckpoint != 0 && !r.emit(Event[S]{Kind: EventCheckpoint, Step: r.step, Checkpoint: cp.ID}) {
		return errStopped
	}
	return nil
}

// ownCheckpoint returns cp with its own copies of the run's reused
// buffers, for a save that happens after the run moved on.
func ownCheckpoint(cp state.Checkpoint) state.Checkpoint {
	cp.Next = slices.Clone(cp.Next)
	cp.Extra = slices.Clone(cp.Extra)
	return cp
}

// enqueue queues a background save; it waits while the queue is full. A
// save queued after the run stopped its queue is not saved (it would
// otherwise wait forever).
func (dr *durableRun[S]) enqueue(op state.BatchOp) {
	q, n := dr.q, opBytes(&op)
	q.mu.Lock()
	for len(q.ops) > 0 && !q.closed && (len(q.ops) >= asyncQueueOps || q.bytes+n > asyncQueueBytes) {
		q.room.Wait()
	}
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.ops = append(q.ops, op)
	q.bytes += n
	q.mu.Unlock()
	q.wake.Signal()
}

// drain is the background writer: it takes every save queued so far and
// saves them as one batch (one transaction for a state.BatchSaver, one
// call each otherwise), in queue order. After the first failure it saves
// nothing more, but goes on taking what is queued until the queue closes.
func (dr *durableRun[S]) drain(q *saveQueue) {
	defer close(dr.qdone)
	var batch []state.BatchOp
	for {
		q.mu.Lock()
		for len(q.ops) == 0 && !q.closed {
			q.wake.Wait()
		}
		if len(q.ops) == 0 {
			q.mu.Unlock()
			return
		}
		batch, q.ops = q.ops, batch[:0]
		q.bytes = 0
		q.mu.Unlock()
		q.room.Broadcast()
		if dr.queueErr() == nil {
			if _, err := state.SaveBatch(dr.sctx, dr.d.cp, batch); err != nil {
				dr.qmu.Lock()
				dr.qerr = fmt.Errorf("graph: background save for thread %q: %w", dr.thread, err)
				dr.qmu.Unlock()
			}
		}
		// The saved ops' buffers are not kept past their save.
		clear(batch)
	}
}

// queueErr is the first failure of a background save, if any.
func (dr *durableRun[S]) queueErr() error {
	dr.qmu.Lock()
	defer dr.qmu.Unlock()
	return dr.qerr
}

func (dr *durableRun[S]) stopQueue() {
	if q := dr.q; q != nil {
		q.mu.Lock()
		q.closed = true
		q.mu.Unlock()
		q.wake.Signal()
		q.room.Broadcast()
		// dr.q stays set: a task still running (a panic unwound the run
		// mid-step) may read it, and finds the queue closed
		<-dr.qdone
	}
}

func (dr *durableRun[S]) pause(kind InterruptKind, nodes []int) error {
	r := dr.r
	e := &InterruptedError{ThreadID: dr.thread, CheckpointID: dr.cpID, Step: r.step}
	for _, n := range nodes {
		name := r.c.nodes[n].name
		e.Interrupts = append(e.Interrupts, Pending{ID: interruptID(dr.thread, dr.cpID, -1, string(kind)+":"+name, 0), Kind: kind, Node: name, Step: r.step})
	}
	if r.kinds&EventInterrupt != 0 && !r.emit(Event[S]{Kind: EventInterrupt, Step: r.step, Interrupts: e.Interrupts}) {
		return errStopped
	}
	return e
}

// beforeStep is the hook before a step runs: breakpoints before nodes.
func (dr *durableRun[S]) beforeStep() error {
	if !dr.anyBefore {
		return nil
	}
	var hit []int
	for i := range dr.r.cur {
		n := int(dr.r.cur[i].node)
		if (dr.r.c.nodes[n].breakBefore || dr.before[n]) && !slices.Contains(hit, n) {
			hit = append(hit, n)
		}
	}
	if len(hit) > 0 {
		return dr.pause(InterruptBefore, hit)
	}
	return nil
}

// boundary is the hook after a step: save the checkpoint, then breakpoints
// after nodes. r.cur holds the finished step, r.next the next one.
func (dr *durableRun[S]) boundary() error {
	r := dr.r
	grew := 0
	var hit []int
	for i := range r.cur {
		if i < len(dr.taskN) {
			grew += dr.taskN[i]
		}
		n := int(r.cur[i].node)
		if dr.anyAfter && (r.c.nodes[n].breakAfter || dr.after[n]) && !slices.Contains(hit, n) {
			hit = append(hit, n)
		}
	}
	if dr.q != nil {
		// A background save failed (another run saved first, the store is
		// gone): stop now rather than compute what cannot be saved.
		if err := dr.queueErr(); err != nil {
			return err
		}
	}
	parent := dr.cpID
	r.step++
	cur := r.cur
	r.cur = r.next
	if len(hit) > 0 {
		for _, n := range hit {
			dr.brk = append(dr.brk, string(InterruptAfter)+":"+r.c.nodes[n].name)
		}
	} else {
		dr.brk = dr.breaksBefore()
	}
	err := dr.checkpoint(sourceLoop, parent, nil, grew, false)
	r.cur = cur
	r.step--
	if err != nil {
		return err
	}
	if len(hit) > 0 {
		r.step++
		e := dr.pause(InterruptAfter, hit)
		r.step--
		return e
	}
	return nil
}

// slot returns the slot of a step of one task, never handed out before
// (a context derived from a node's may outlive its step): slots are
// allocated in blocks that double up to 16, so a long run of one-task
// steps allocates for one in 16.
func (dr *durableRun[S]) slot() *durableSlot {
	if len(dr.slab) == 0 {
		dr.slabN = min(max(2*dr.slabN, 2), 16)
		dr.slab = make([]durableSlot, dr.slabN)
	}
	b := &dr.slab[0]
	dr.slab = dr.slab[1:]
	return b
}

// taskState is a durable task's interrupt state and memo table, made
// together.
type taskState struct {
	is interruptState
	m  taskMemo
}

// intrSrc is what a durable run's tasks make their interrupt states
// from, set before its first step and never written after, so a node's
// goroutine may use it while the run goes on.
type intrSrc struct {
	thread string
	// answers are the resume values the run was given, loaded the Once
	// results it was resumed with, by task.
	answers map[string]json.RawMessage
	loaded  map[int][]state.Memo
	saver   memoSaver
}

// makeIntr makes the interrupt state of task t, closed (saving nothing)
// when the task already ended.
func (src *intrSrc) makeIntr(t *taskInfo, closed bool) *interruptState {
	tm := new(taskState)
	i := t.task
	m := &tm.m
	m.task, m.node, m.saver, m.closed = i, t.name(), src.saver, closed
	if ms := src.loaded[i]; len(ms) > 0 && t.loaded {
		m.saved = make(map[string]json.RawMessage, len(ms))
		for _, mm := range ms {
			m.saved[mm.Key] = mm.Value
		}
	}
	is := &tm.is
	is.thread, is.cpID, is.task, is.step, is.answers, is.memo = src.thread, t.cpID, i, t.step, src.answers, m
	return is
}

// resumed lists the answers given so far, for a task's saved entry.
func (dr *durableRun[S]) resumedList(node string) []state.Interrupt {
	var out []state.Interrupt
	for id, v := range dr.answers {
		out = append(out, state.Interrupt{ID: id, Node: node, Payload: v})
	}
	slices.SortFunc(out, func(a, b state.Interrupt) int { return cmpStr(a.ID, b.ID) })
	return out
}

// saveRunning saves the progress of task i, still running: the results of
// its side effects so far (and the answers it was given), so a re-run of the
// task does not perform them again. The caller holds the task's memo lock,
// which orders this save before the task's final entry.
func (dr *durableRun[S]) saveRunning(i int, node string, memos []state.Memo) error {
	w := state.TaskWrites{Task: i, Node: node, Running: true, Memos: memos, Resumed: dr.resumedList(node), CreatedAt: time.Now().UTC()}
	switch dr.mode {
	case DurabilityExit:
		dr.mu.Lock()
		if dr.exitRun == nil {
			dr.exitRun = map[int]state.TaskWrites{}
		}
		dr.exitRun[i] = w
		dr.mu.Unlock()
	case DurabilityAsync:
		// A copy made here, so only this branch moves an entry to the heap.
		dr.mu.Lock()
		dr.enqueue(state.BatchOp{Kind: state.OpPutWrites, ThreadID: dr.thread, CheckpointID: dr.cpID, Writes: []state.TaskWrites{w}})
		dr.mu.Unlock()
	default:
		if err := dr.d.cp.PutWrites(dr.sctx, dr.thread, dr.cpID, w); err != nil {
			return fmt.Errorf("graph: save progress of node %q (thread %q, step %d): %w", node, dr.thread, dr.r.step, err)
		}
	}
	return nil
}

// taskDone saves a finished task's writes (or its interrupt) at once, so a
// crash or an interrupt later in the step does not run it again.
func (dr *durableRun[S]) taskDone(i int, t *task[S], is *interruptState) error {
	r := dr.r
	// CreatedAt is set when w is saved: held writes take the time of the
	// checkpoint they are saved with.
	w := state.TaskWrites{Task: i, Node: r.c.nodes[t.node].name}
	// bp is the pooled buffer of w's writes, released when taskDone
	// returns unless the writes are held for the step's checkpoint.
	var bp *[]byte
	defer func() {
		if bp != nil {
			releaseWBuf(bp)
		}
	}()
	var memos []state.Memo
	if is != nil && is.memo != nil {
		m := is.memo
		// Closed, the task saves no more progress, so no save of a side
		// effect can land after (and replace) the task's final entry.
		memos = m.close()
	}
	if dr.mode == DurabilityExit {
		dr.mu.Lock()
		delete(dr.exitRun, i)
		dr.mu.Unlock()
	}
	if t.intr != nil {
		it := t.intr
		w.Interrupts = append(w.Interrupts, state.Interrupt{ID: it.ID, Node: it.Node, Payload: it.Payload})
		w.Resumed = dr.resumedList(w.Node)
		// The node runs again on resume: keep its side effects' results.
		w.Memos = memos
	} else {
		// Under DurabilitySync the writes are encoded in a pooled buffer,
		// released once their save returned (a store copies what it
		// keeps), or in the run's own for a step of one task.
		var dst []byte
		own := false
		if dr.mode == DurabilitySync {
			if r.todo == 1 && len(dr.held) == 0 {
				dst, own = dr.ownW[:0], true
			} else {
				bp = wbufs.Get().(*[]byte)
				dst = (*bp)[:0]
			}
		}
		b, err := r.c.plan.AppendWritesMarked(dst, r.input(t), &t.out, t.ext.marks())
		if err != nil {
			return fmt.Errorf("graph: node %q at step %d: %w", w.Node, r.step, err)
		}
		switch {
		case bp != nil:
			*bp = b
		case own && cap(b) <= maxPooledWrites:
			dr.ownW = b
		}
		w.Writes = b
		if cmd := t.ext.route(); cmd != nil {
			// Where its Command goes, for a resumed step to route it.
			m, err := encodeRoute[S](r.c, cmd)
			if err != nil {
				return fmt.Errorf("graph: node %q at step %d: %w", w.Node, r.step, err)
			}
			w.Memos = append(w.Memos, m)
		}
		dr.mu.Lock()
		for len(dr.taskN) <= i {
			dr.taskN = append(dr.taskN, 0)
		}
		dr.taskN[i] = len(b)
		if dr.steps != nil { // under DurabilitySync
			// The last task of the step to end: its writes are saved with
			// the step's checkpoint, in one operation (flushHeld saves them
			// if the step ends another way).
			dr.ended++
			if dr.ended == r.todo {
				dr.held = append(dr.held, w)
				if bp != nil {
					dr.heldBufs = append(dr.heldBufs, bp)
					bp = nil // released when saved
				}
				dr.mu.Unlock()
				return nil
			}
		}
		dr.mu.Unlock()
	}
	switch dr.mode {
	case DurabilityExit:
		w.CreatedAt = time.Now().UTC()
		dr.mu.Lock()
		dr.exitW = append(dr.exitW, w)
		dr.mu.Unlock()
	case DurabilityAsync:
		w.CreatedAt = time.Now().UTC()
		// A copy made here, so only this branch moves an entry to the heap.
		dr.mu.Lock()
		dr.enqueue(state.BatchOp{Kind: state.OpPutWrites, ThreadID: dr.thread, CheckpointID: dr.cpID, Writes: []state.TaskWrites{w}})
		dr.mu.Unlock()
	default:
		if err := dr.putWrites(w); err != nil {
			return err
		}
	}
	return nil
}

// flushHeld saves the held writes of the step's closing task when the step
// ends without its checkpoint (an error, a panic, an interrupt of a
// sibling, a cancelled run, a stopped stream), so a resumed run does not
// run that task again.
func (dr *durableRun[S]) flushHeld() error {
	dr.mu.Lock()
	held, bufs := dr.held, dr.heldBufs
	dr.held, dr.heldBufs = nil, nil
	dr.mu.Unlock()
	defer releaseWBufs(bufs)
	for _, w := range held {
		if err := dr.putWrites(w); err != nil {
			return err
		}
	}
	return nil
}

// putWrites saves a finished task's writes now, against the run's
// checkpoint.
func (dr *durableRun[S]) putWrites(w state.TaskWrites) error {
	w.CreatedAt = time.Now().UTC()
	if err := dr.d.cp.PutWrites(dr.sctx, dr.thread, dr.cpID, w); err != nil {
		return fmt.Errorf("graph: save writes of node %q (thread %q, step %d): %w", w.Node, dr.thread, dr.r.step, err)
	}
	return nil
}

// wbufs holds the buffers task writes are encoded in under DurabilitySync.
var wbufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledWrites is the largest buffer wbufs keeps.
const maxPooledWrites = 64 << 10

// releaseWBuf gives a writes buffer back to wbufs once its save returned.
func releaseWBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledWrites {
		*bp = (*bp)[:0]
		wbufs.Put(bp)
	}
}

// releaseWBufs releases bufs and returns the emptied slice.
func releaseWBufs(bufs []*[]byte) []*[]byte {
	for i, bp := range bufs {
		releaseWBuf(bp)
		bufs[i] = nil
	}
	return bufs[:0]
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// interrupted ends the step when tasks interrupted; their siblings' writes
// are already saved.
func (dr *durableRun[S]) interrupted() error {
	r := dr.r
	var its []Pending
	for i := range r.cur {
		if r.cur[i].intr != nil {
			its = append(its, *r.cur[i].intr)
		}
	}
	if len(its) == 0 {
		return nil
	}
	e := &InterruptedError{ThreadID: dr.thread, CheckpointID: dr.cpID, Step: r.step, Interrupts: its}
	if r.kinds&EventInterrupt != 0 && !r.emit(Event[S]{Kind: EventInterrupt, Step: r.step, Interrupts: its}) {
		return errStopped
	}
	return e
}

// finish flushes what is still unsaved and remembers the thread's latest
// state for the next run in this process.
func (dr *durableRun[S]) finish(final S, err error) error {
	d := dr.d
	if dr.finished {
		return err
	}
	dr.finished = true
	defer dr.lock.release()
	if ferr := dr.flushHeld(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	// A run that ended with an error (not a pause, not a lost race) while
	// its step had work left marks that step's checkpoint as failed, so the
	// thread takes new input; an unmarked unfinished step may be a run in
	// progress elsewhere, and new input waits for it.
	failed := err != nil && !errors.Is(err, ErrInterrupted) && !errors.Is(err, state.ErrConflict) && len(dr.r.cur) > 0 && !dr.replayed
	var marker state.TaskWrites
	if failed {
		marker = failedMark()
	}
	switch dr.mode {
	case DurabilityAsync:
		dr.stopQueue()
		if dr.qerr != nil && err == nil {
			err = dr.qerr
		}
		if failed && dr.qerr == nil {
			// Best effort: without the mark the thread asks for the zero
			// state before new input.
			_ = d.cp.PutWrites(dr.sctx, dr.thread, dr.cpID, marker)
		}
	case DurabilitySync:
		if failed {
			_ = d.cp.PutWrites(dr.sctx, dr.thread, dr.cpID, marker)
		}
	case DurabilityExit:
		if dr.exitCP != nil {
			cp := *dr.exitCP
			// The checkpoints between the run's start and its end were never
			// saved: the saved one's parent is the thread's latest saved
			// checkpoint, which it must still build on.
			cp.ParentID, cp.Base = dr.base, dr.base
			b, eerr := dr.r.c.plan.EncodeState(&dr.exitSt)
			if eerr == nil {
				cp.Snapshot, cp.Delta = b, nil
				var ex extra
				_ = json.Unmarshal(cp.Extra, &ex)
				ex.Full, ex.Since = len(b), 0
				cp.Extra = appendExtra(nil, ex)
				sctx := dr.sctx
				eerr = d.cp.Put(sctx, cp)
				for _, w := range dr.exitW {
					if eerr != nil {
						break
					}
					eerr = d.cp.PutWrites(sctx, dr.thread, cp.ID, w)
				}
				// Tasks that did not finish keep their side effects' results.
				for _, i := range slices.Sorted(maps.Keys(dr.exitRun)) {
					if eerr != nil {
						break
					}
					eerr = d.cp.PutWrites(sctx, dr.thread, cp.ID, dr.exitRun[i])
				}
				if failed && eerr == nil && len(cp.Next) > 0 {
					eerr = d.cp.PutWrites(sctx, dr.thread, cp.ID, marker)
				}
			}
			if eerr != nil {
				eerr = fmt.Errorf("graph: save thread %q at exit: %w", dr.thread, eerr)
				if err == nil {
					err = eerr
				} else {
					err = errors.Join(err, eerr)
				}
			}
		}
	}
	if err == nil && !dr.replayed {
		d.mu.Lock()
		if len(d.cache) >= cacheThreads {
			for k := range d.cache {
				delete(d.cache, k)
				break
			}
		}
		d.cache[dr.thread] = cachedState[S]{id: dr.cpID, st: final}
		d.mu.Unlock()
	} else if err != nil {
		d.forget(dr.thread)
	}
	return err
}

// load rebuilds the state at cp: its nearest full snapshot, then each later
// checkpoint's writes merged in order. memo, if not nil, caches states by
// checkpoint id across calls.
func (d *durable[S]) load(ctx context.Context, c *Compiled[S], thread string, cp state.Checkpoint, memo map[string]S) (S, error) {
	var zero S
	d.mu.Lock()
	cached, ok := d.cache[thread]
	d.mu.Unlock()
	if ok && cached.id == cp.ID {
		st := cached.st
		c.plan.Isolate(&st)
		return st, nil
	}
	chain := []state.Checkpoint{cp}
	var st S
	have := false
	for {
		last := chain[len(chain)-1]
		if s, ok := memo[last.ID]; ok {
			st, have = s, true
			chain = chain[:len(chain)-1]
			break
		}
		if last.Snapshot != nil {
			break
		}
		if last.ParentID == "" {
			return zero, c.corrupt(thread, last.ID, errors.New("no snapshot and no parent"))
		}
		p, err := d.cp.Get(ctx, thread, last.ParentID)
		if err != nil {
			if errors.Is(err, state.ErrNotFound) {
				return zero, c.corrupt(thread, last.ID, fmt.Errorf("parent checkpoint %s is missing", last.ParentID))
			}
			return zero, fmt.Errorf("graph: load thread %q: %w", thread, err)
		}
		chain = append(chain, p)
	}
	if !have {
		last := chain[len(chain)-1]
		s, err := c.plan.DecodeState(last.Snapshot)
		if err != nil {
			return zero, c.corrupt(thread, last.ID, err)
		}
		st = s
		if memo != nil {
			memo[last.ID] = st
		}
		chain = chain[:len(chain)-1]
	}
	for i := len(chain) - 1; i >= 0; i-- {
		child := chain[i]
		var parent state.Checkpoint
		if i+1 < len(chain) {
			parent = chain[i+1]
		} else {
			p, err := d.cp.Get(ctx, thread, child.ParentID)
			if err != nil {
				return zero, c.corrupt(thread, child.ID, fmt.Errorf("parent checkpoint %s: %w", child.ParentID, err))
			}
			parent = p
		}
		next, err := d.derive(ctx, c, thread, parent, st, child)
		if err != nil {
			return zero, err
		}
		st = next
		if memo != nil {
			memo[child.ID] = st
		}
	}
	c.plan.Isolate(&st)
	return st, nil
}

func (d *durable[S]) derive(ctx context.Context, c *Compiled[S], thread string, parent state.Checkpoint, ps S, child state.Checkpoint) (S, error) {
	switch child.Source {
	case sourceFork:
		return ps, nil
	case sourceUpdate, sourceInput:
		ex, err := c.extraOf(thread, child)
		if err != nil {
			return ps, err
		}
		if child.Source == sourceUpdate && !ex.Upd {
			// An update saved before updates went through the reducers:
			// its writes are relative to the parent's state.
			out, err := c.plan.ApplyWrites(ps, child.Delta)
			if err != nil {
				return ps, c.corrupt(thread, child.ID, err)
			}
			return out, nil
		}
		var zero S
		out, err := c.plan.ApplyWrites(zero, child.Delta)
		if err != nil {
			return ps, c.corrupt(thread, child.ID, err)
		}
		var marked []int
		if child.Source == sourceUpdate {
			if marked, err = c.writtenIn(child.Delta); err != nil {
				return ps, c.corrupt(thread, child.ID, err)
			}
		}
		merged, err := c.plan.Merge(ps, []state.Write[S]{{Node: inputNode, In: &zero, Out: &out, Marked: marked}})
		if err != nil {
			return ps, c.corrupt(thread, child.ID, err)
		}
		return merged, nil
	case sourceLoop:
		ws, err := d.cp.Writes(ctx, thread, parent.ID)
		if err != nil {
			return ps, fmt.Errorf("graph: load writes of thread %q checkpoint %s: %w", thread, parent.ID, err)
		}
		byTask := make(map[int]state.TaskWrites, len(ws))
		for _, w := range ws {
			byTask[w.Task] = w
		}
		base := ps
		if len(parent.Next) > 1 {
			c.plan.Isolate(&base)
		}
		ins := make([]S, len(parent.Next))
		outs := make([]S, len(parent.Next))
		writes := make([]state.Write[S], len(parent.Next))
		for i, t := range parent.Next {
			w, ok := byTask[i]
			if !ok || len(w.Interrupts) > 0 {
				return ps, c.corrupt(thread, child.ID, fmt.Errorf("writes of task %d (%s) of parent %s are missing", i, t.Node, parent.ID))
			}
			ins[i] = base
			if t.Input != nil {
				s, err := c.plan.DecodeState(t.Input)
				if err != nil {
					return ps, c.corrupt(thread, parent.ID, err)
				}
				ins[i] = s
			}
			out, err := c.plan.ApplyWrites(ins[i], w.Writes)
			if err != nil {
				return ps, c.corrupt(thread, parent.ID, err)
			}
			marked, err := c.writtenIn(w.Writes)
			if err != nil {
				return ps, c.corrupt(thread, parent.ID, err)
			}
			outs[i] = out
			writes[i] = state.Write[S]{Node: t.Node, In: &ins[i], Out: &outs[i], Marked: marked}
		}
		if len(parent.Next) == 1 && parent.Next[0].Input == nil {
			if c.custom {
				c.plan.ReduceOne(&ins[0], &outs[0], writes[0].Marked)
			}
			return outs[0], nil
		}
		merged, err := c.plan.Merge(base, writes)
		if err != nil {
			return ps, c.corrupt(thread, child.ID, err)
		}
		return merged, nil
	}
	return ps, c.corrupt(thread, child.ID, fmt.Errorf("unknown checkpoint source %q", child.Source))
}
