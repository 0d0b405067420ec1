package graph

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/jedisos/jedisos/state"
)

// RunOption configures one run.
type RunOption func(*runConfig)

type runConfig struct {
	stepLimit   int
	kinds       EventKind
	kindsSet    bool
	thread      string
	from        string
	resume      []resumeValue
	breakBefore []string
	breakAfter  []string
	durability  Durability
	durSet      bool
	errs        []string
}

// StepLimit overrides the compiled graph's step limit for this run.
func StepLimit(n int) RunOption {
	return func(c *runConfig) {
		if n <= 0 {
			c.errs = append(c.errs, fmt.Sprintf("StepLimit(%d): the limit must be positive", n))
			return
		}
		c.stepLimit = n
	}
}

// Only makes Stream yield only events of the given kinds (default: all).
func Only(kinds EventKind) RunOption {
	return func(c *runConfig) { c.kinds, c.kindsSet = kinds, true }
}

type task[S any] struct {
	node int32
	send bool
	// done marks a task whose result was restored from saved writes.
	done bool
	// in is the task's own input (fan-out branches only); other tasks read
	// the run's state.
	in   S
	out  S
	err  error
	intr *Pending
	// ext is what the node reported beside its result: fields it marked
	// as written, its Command's routing (nil for most tasks).
	ext *taskExt
}

// noOptions is the configuration of runs given no options; never written.
var noOptions runConfig

type run[S any] struct {
	c     *Compiled[S]
	cfg   *runConfig
	done  <-chan struct{}
	nctx  nodeCtx
	seq   taskInfo
	seqSt taskStep
	seqRn taskRun
	state S
	step  int

	cur, next []task[S]
	buf       [2][1]task[S]
	mark      []int32
	joinSeen  []uint64
	stamp     int32
	kinds     EventKind
	stopped   bool
	pump      bool

	yield func(Event[S], error) bool
	// par is the run's parallel state: part of its pooled buffers (par.bufs)
	// when the graph has steps of several tasks.
	par *parallelState[S]
	// todo is how many tasks of the current step run (those not done in
	// an earlier run).
	todo int
	d    *durableRun[S]
	tr   *traceState
}

var errStopped = errors.New("graph: stream consumer stopped")

// parallelState is what only steps with several tasks need: part of the
// run's pooled buffers when the graph has steps of several tasks, else
// allocated on the first such step.
type parallelState[S any] struct {
	writes []state.Write[S]
	slots  []slot
	// in is the step's input state, which routers read with their own
	// task's writes applied.
	in        S
	writesBuf [8]state.Write[S]
	markBuf   [16]int32
	wg        sync.WaitGroup
	cancel    context.CancelFunc
	failed    atomic.Int32 // 1 + index of the task whose failure cancelled the step
	// claimed counts the step's task indexes handed out to workers; spare
	// counts the workers started and not yet claiming.
	claimed atomic.Int32
	spare   atomic.Int32
	// first holds the slots for the run's first step of several tasks
	// (fresh for every run); high is the most tasks a step had.
	first *stepSlots
	high  int
	// running is set while workers of a step may still run: a run that
	// unwinds then leaves its buffers to the garbage collector.
	running bool
	// r is the run the state belongs to, and work its worker method value,
	// made once so starting a worker allocates nothing.
	r    *run[S]
	work func()
	// bufs are the pooled buffers the state is part of, nil for a state
	// of its own.
	bufs *runBufs[S]
}

// runSlots is a run allocated with the slots of its first step of several
// tasks.
type runSlots[S any] struct {
	r     run[S]
	first stepSlots
}

// runBufs are the buffers of a run of a graph with steps of several tasks,
// reused by later runs: they hold nothing a node can keep.
type runBufs[S any] struct {
	tasks []task[S]
	par   parallelState[S]
}

// slot is a parallel task's context: what its node can learn about it.
type slot struct {
	info taskInfo
	ctx  nodeCtx
}

// stepSlots are the slots of a step of up to 8 tasks and what they share,
// in one allocation.
type stepSlots struct {
	shared taskStep
	slots  [8]slot
}

// durableSlot is the slot of a durable step of one task with what it
// shares, in one allocation.
type durableSlot struct {
	shared taskStep
	slots  [1]slot
}

// maxSteps is the run's step limit: it stops at seqRn.limit, the step it
// started at plus this.
func (r *run[S]) maxSteps() int {
	if r.cfg.stepLimit > 0 {
		return r.cfg.stepLimit
	}
	return r.c.stepLimit
}

// noCancel is the cancel of a step whose one task has no siblings.
func noCancel() {}

func (c *Compiled[S]) newRun(ctx context.Context, opts []RunOption) (*run[S], error) {
	var r *run[S]
	var first *stepSlots
	if c.width > 1 {
		// The first step of several tasks takes its slots from the
		// run's own allocation.
		rs := new(runSlots[S])
		r, first = &rs.r, &rs.first
	} else {
		r = new(run[S])
	}
	r.c, r.done = c, ctx.Done()
	r.cfg = &noOptions
	if len(opts) > 0 {
		r.cfg = new(runConfig)
		for _, o := range opts {
			o(r.cfg)
		}
	}
	if len(r.cfg.errs) > 0 {
		return nil, fmt.Errorf("graph: bad run options: %v", r.cfg.errs)
	}
	r.seqRn.limit = r.maxSteps()
	r.seq.taskStep = &r.seqSt
	r.seqSt.taskRun = &r.seqRn
	r.seq.static = &c.static
	if parent := taskFrom(ctx); parent != nil {
		// A subgraph: its nodes' events flow into the outer run's stream.
		r.seq.sink = parent.sink
		r.seq.prefix = parent.prefix + parent.name() + "/"
		if c.dur == nil {
			if is := parent.state(); is != nil {
				// Interrupts inside the subgraph pause the outer task;
				// Once results are saved with it.
				r.seq.intr.Store(is.sub(parent))
			}
		}
	}
	r.nctx = nodeCtx{Context: ctx, t: &r.seq}
	if c.width <= len(r.buf[0]) {
		r.cur, r.next = r.buf[0][:0], r.buf[1][:0]
	} else {
		bp, _ := c.taskBufs.Get().(*runBufs[S])
		if bp == nil {
			bp = &runBufs[S]{tasks: make([]task[S], 2*c.width)}
			bp.par.init()
			bp.par.bufs = bp
		}
		bp.par.r, bp.par.first = r, first
		r.par = &bp.par
		b := bp.tasks
		r.cur, r.next = b[:0:c.width], b[c.width:c.width]
	}
	if len(c.joins) > 0 {
		r.joinSeen = make([]uint64, len(c.joins))
	}
	return r, nil
}

// Invoke runs the graph from in to the end and returns the final state.
// With a checkpointer, pass Thread; see also Resume and FromCheckpoint.
// A run that pauses for input returns an *InterruptedError.
func (c *Compiled[S]) Invoke(ctx context.Context, in S, opts ...RunOption) (S, error) {
	r, err := c.newRun(ctx, opts)
	if err != nil {
		return in, err
	}
	return r.exec(in)
}

// Stream runs the graph like Invoke and yields its events as they happen;
// Only narrows the kinds. An error ends the sequence as its last item (with a
// zero Event). Breaking out of the loop cancels the run and waits for its
// nodes to return.
func (c *Compiled[S]) Stream(ctx context.Context, in S, opts ...RunOption) iter.Seq2[Event[S], error] {
	return func(yield func(Event[S], error) bool) {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		r, err := c.newRun(sctx, opts)
		if err != nil {
			yield(Event[S]{}, err)
			return
		}
		r.yield = yield
		r.kinds = EventAll
		if r.cfg.kindsSet {
			r.kinds = r.cfg.kinds
		}
		if r.kinds&(EventCustom|EventToken) != 0 {
			r.pump = true
			r.seq.sink = &sink{kinds: r.kinds, ch: make(chan nodeEvent), done: sctx.Done()}
			r.seq.prefix = ""
		}
		_, err = r.exec(in)
		if err != nil && !r.stopped {
			yield(Event[S]{}, err)
		}
	}
}

// release returns the run's pooled buffers, cleared, unless workers of a
// step may still use them (a panic unwinding the run mid-step).
func (r *run[S]) release() {
	p := r.par
	bp := p.bufs
	// Only the entries the run's steps used hold anything.
	high := max(p.high, len(r.cur), len(r.next), 1)
	r.cur, r.next, r.par, r.mark = nil, nil, nil, nil
	if p.running {
		return
	}
	w := len(bp.tasks) / 2
	clear(bp.tasks[:min(high, w)])
	clear(bp.tasks[w : w+min(high, w)])
	var zero S
	p.in = zero
	clear(p.writes[:min(high, cap(p.writes))])
	clear(p.writesBuf[:min(high, len(p.writesBuf))])
	p.writes = p.writes[:0]
	clear(p.markBuf[:])
	p.slots, p.cancel, p.r, p.first, p.high = nil, nil, nil, nil, 0
	r.c.taskBufs.Put(bp)
}

func (r *run[S]) emit(ev Event[S]) bool {
	if r.stopped {
		return false
	}
	if !r.yield(ev, nil) {
		r.stopped = true
		return false
	}
	return true
}

func (r *run[S]) exec(in S) (xout S, xerr error) {
	c := r.c
	if c.tracer != nil {
		r.nctx.Context = r.startTrace(r.nctx.Context, c.tracer)
		defer func() { r.endTrace(xerr) }()
	}
	if r.par != nil && r.par.bufs != nil {
		// Task buffers hold no state a node can keep, so they are reused.
		defer r.release()
	}
	resuming := false
	if c.dur != nil {
		d, st, err := c.dur.start(r, in)
		if err != nil {
			return in, err
		}
		// Released on every way out: finish, or abort when a panic
		// unwinds the run.
		defer d.abort()
		r.d = d
		r.seqRn.mk = &d.intrSrc
		r.state = st
		resuming = d.resumed
		if d.input && r.kinds&EventState != 0 && !r.emit(Event[S]{Kind: EventState, Step: r.step, Node: START, State: st}) {
			return st, d.finish(st, errStopped)
		}
	} else {
		if r.cfg.thread != "" || r.cfg.from != "" || len(r.cfg.resume) > 0 || len(r.cfg.breakBefore)+len(r.cfg.breakAfter) > 0 {
			return in, errors.New("graph: Thread, FromCheckpoint, Resume, BreakBefore and BreakAfter need a graph compiled with WithCheckpointer")
		}
		r.state = in
		if r.kinds&EventState != 0 && !isZero(&in) && !r.emit(Event[S]{Kind: EventState, Step: r.step, Node: START, State: in}) {
			return in, errStopped
		}
		if c.entry.simple && len(c.entry.static) == 1 {
			r.cur = append(r.cur[:0], task[S]{node: int32(c.entry.static[0])})
		} else {
			if err := r.routeAlone(&c.entry, START, &r.state); err != nil {
				return in, err
			}
			r.cur, r.next = r.next, r.cur[:0]
		}
	}
	final, err := r.loop(resuming)
	if r.d != nil {
		err = r.d.finish(final, err)
	}
	return final, err
}

// loop is the one step loop. Everything durable happens at its two hooks:
// before a step (breakpoints) and at the step boundary (checkpoint,
// breakpoints after nodes).
func (r *run[S]) loop(resuming bool) (S, error) {
	c := r.c
	// The state lives in a local between steps so a run of single-node
	// steps copies it without heap write barriers; r.state is kept in step
	// wherever other code reads it.
	st := r.state
	for len(r.cur) > 0 {
		if r.step >= r.seqRn.limit {
			r.state = st
			return st, &StepLimitError{Limit: r.maxSteps()}
		}
		if r.done != nil {
			select {
			case <-r.done:
				r.state = st
				return st, fmt.Errorf("graph: run cancelled before step %d: %w", r.step, context.Cause(r.nctx.Context))
			default:
			}
		}
		if r.d != nil && !resuming {
			r.state = st
			if err := r.d.beforeStep(); err != nil {
				return st, err
			}
		}
		resuming = false
		if r.tr != nil {
			r.traceStep()
		}
		if r.kinds&EventNodeStart != 0 {
			for i := range r.cur {
				if r.cur[i].done {
					continue
				}
				if !r.emit(Event[S]{Kind: EventNodeStart, Step: r.step, Node: c.nodes[r.cur[i].node].name, Task: i}) {
					return st, errStopped
				}
			}
		}
		if len(r.cur) == 1 && !r.cur[0].send && !r.cur[0].done && !r.pump && r.d == nil {
			// One node: run it here, take its result as the state.
			n := &c.nodes[r.cur[0].node]
			r.seq.idx, r.seq.step = int(r.cur[0].node), r.step
			if r.seq.ext.Load() != nil {
				r.seq.ext.Store(nil)
			}
			var out S
			var err error
			if n.retry == nil && n.timeout == 0 {
				out, err = r.once(&r.nctx, n, st)
				if err != nil {
					err = &NodeError{Node: n.name, Step: r.step, Attempts: 1, Err: err}
				}
			} else {
				out, err = r.call(&r.nctx, n, st)
			}
			if err != nil {
				r.state = st
				return st, err
			}
			ext := r.seq.ext.Load()
			marked := ext.marks()
			if r.kinds&EventNodeEnd != 0 && !r.emit(Event[S]{Kind: EventNodeEnd, Step: r.step, Node: n.name, State: out, Written: c.writtenNames(st, out, marked)}) {
				r.state = out
				return out, errStopped
			}
			if c.custom {
				out = c.reduceOne(st, out, marked)
			}
			st = out
			r.cur[0].ext = ext
			if n.simple && ext.route() == nil {
				// One successor at most: move the task along.
				if r.kinds&EventState != 0 && !r.emit(Event[S]{Kind: EventState, Step: r.step, State: st}) {
					r.state = st
					return st, errStopped
				}
				next := -1
				if len(n.static) == 1 {
					next = n.static[0]
				} else {
					e := &c.conds[n.conds[0]]
					if next, err = r.routeIdx(e, e.one(st)); err != nil {
						r.state = st
						return st, err
					}
				}
				if next < 0 {
					r.cur = r.cur[:0]
				} else {
					r.cur[0].node = int32(next)
				}
				r.step++
				continue
			}
		} else {
			r.state = st
			err := r.parallel()
			st = r.state
			if err != nil {
				return st, err
			}
		}
		if r.kinds&EventState != 0 && !r.emit(Event[S]{Kind: EventState, Step: r.step, State: st}) {
			r.state = st
			return st, errStopped
		}
		if err := r.routeStep(&st); err != nil {
			r.state = st
			return st, err
		}
		if r.d != nil {
			r.state = st
			if err := r.d.boundary(); err != nil {
				return st, err
			}
		}
		r.cur, r.next = r.next, r.cur
		r.step++
	}
	r.state = st
	return st, nil
}

// parallel runs the step's tasks concurrently on the same snapshot and merges
// their results in task order.
func (r *run[S]) parallel() error {
	c := r.c
	if len(r.cur) > 1 {
		c.plan.Isolate(&r.state)
	}
	r.todo = 0
	for i := range r.cur {
		t := &r.cur[i]
		t.err, t.intr = nil, nil
		if !t.done {
			r.todo++
		}
	}
	var runErr error
	if r.todo > 0 {
		runErr = r.runTasks()
		if runErr == errStopped {
			return runErr
		}
	}
	// Every task that finished is reported, in task (declaration) order,
	// also when a sibling failed or interrupted.
	if r.kinds&EventNodeEnd != 0 {
		for i := range r.cur {
			t := &r.cur[i]
			if t.err != nil || t.intr != nil {
				continue
			}
			if !r.emit(Event[S]{Kind: EventNodeEnd, Step: r.step, Node: c.nodes[t.node].name, Task: i, State: t.out, Written: c.plan.WrittenNames(r.input(t), &t.out, t.ext.marks()...)}) {
				return errStopped
			}
		}
	}
	if runErr != nil {
		return runErr
	}
	if r.d != nil {
		if err := r.d.interrupted(); err != nil {
			return err
		}
	} else {
		// A subgraph run: the first interrupt pauses the outer task; the
		// others are raised again when the outer task runs after resume.
		for i := range r.cur {
			if r.cur[i].intr != nil {
				return r.cur[i].err
			}
		}
	}
	return r.mergeStep()
}

// mergeStep merges the results of the step's tasks into r.state in task
// order.
func (r *run[S]) mergeStep() error {
	c := r.c
	if len(r.cur) == 1 && !r.cur[0].send {
		t := &r.cur[0]
		out := t.out
		if c.custom {
			out = c.reduceOne(r.state, out, t.ext.marks())
		}
		r.state = out
		return nil
	}
	p := r.parState()
	p.in = r.state
	if cap(p.writes) < len(r.cur) {
		p.writes = make([]state.Write[S], 0, len(r.cur))
	}
	p.writes = p.writes[:0]
	for i := range r.cur {
		t := &r.cur[i]
		p.writes = append(p.writes, state.Write[S]{Node: c.nodes[t.node].name, In: r.input(t), Out: &t.out, Marked: t.ext.marks()})
	}
	merged, err := c.plan.Merge(r.state, p.writes)
	if err != nil {
		return &MergeError{Step: r.step, Err: err}
	}
	r.state = merged
	return nil
}

func (r *run[S]) runTasks() error {
	var sctx context.Context = &r.nctx
	cancel := noCancel
	if r.todo > 1 || r.pump {
		// Siblings to cancel when one fails (or a stream consumer that
		// stops): a context of the step's own.
		var stop context.CancelFunc
		sctx, stop = context.WithCancel(&r.nctx)
		defer stop()
		cancel = stop
	}
	p := r.parState()
	p.high = max(p.high, len(r.cur))
	p.failed.Store(0)
	// Fresh slots every step: a context a node derived from its own (a
	// timer, a worker's cancel) may still read it after the node returned,
	// so a slot must never be rewritten for a later step.
	var slots []slot
	var shared *taskStep
	if r.d != nil && len(r.cur) == 1 {
		b := r.d.slot()
		slots, shared = b.slots[:], &b.shared
	} else if len(r.cur) <= len(stepSlots{}.slots) {
		b := p.first
		if b != nil {
			p.first = nil
		} else {
			b = new(stepSlots)
		}
		slots, shared = b.slots[:len(r.cur)], &b.shared
	} else {
		slots, shared = make([]slot, len(r.cur)), new(taskStep)
	}
	*shared = taskStep{taskRun: r.seq.taskRun, step: r.step}
	if r.d != nil {
		// A durable task's interrupt state is made when its node first
		// needs it (Interrupt, Once, a subgraph), from the checkpoint
		// the step runs from.
		shared.durable, shared.cpID, shared.loaded = true, r.d.idBase, r.d.loadedCP == r.d.cpID
	}
	p.slots = slots
	p.cancel = cancel
	for i := range r.cur {
		t := &r.cur[i]
		if t.done {
			continue
		}
		sl := &slots[i]
		sl.info.taskStep, sl.info.idx, sl.info.task = shared, int(t.node), i
		if r.d == nil {
			if is := r.seq.intr.Load(); is != nil {
				sl.info.intr.Store(is.child(r.step, i))
			}
		}
		sl.ctx = nodeCtx{Context: sctx, t: &sl.info}
	}
	// The tasks are handed out to workers in task order: the caller and
	// goroutines started one at a time, each before a task is run while
	// tasks are left, so every task has a worker however long the others
	// block, and a step of quick tasks needs few goroutines.
	p.running = true
	switch {
	case len(r.cur) == 1 && !r.pump:
		// The only task: run here, with no worker to hand it out.
		r.runTask(0)
		p.running = false
	case r.pump:
		p.claimed.Store(0)
		p.spare.Store(1)
		p.wg.Add(1)
		go p.work()
		finished := make(chan struct{})
		go func() { p.wg.Wait(); close(finished) }()
	pump:
		for {
			select {
			case ev := <-r.seqRn.sink.ch:
				if r.kinds&ev.kind != 0 && !r.stopped {
					if !r.emit(Event[S]{Kind: ev.kind, Step: ev.step, Node: ev.node, Task: ev.task, Payload: ev.payload, Token: ev.token}) {
						cancel()
					}
				}
			case <-finished:
				break pump
			}
		}
		p.running = false
		if r.stopped {
			return errStopped
		}
	default:
		p.claimed.Store(0)
		p.spare.Store(0)
		r.work()
		p.wg.Wait()
		p.running = false
	}
	// Report the failure that cancelled the step, else the first failure in
	// task order that is not a cancellation.
	if f := p.failed.Load(); f > 0 {
		return r.cur[f-1].err
	}
	var first error
	for i := range r.cur {
		t := &r.cur[i]
		if t.err == nil || t.intr != nil {
			continue
		}
		if first == nil {
			first = t.err
		}
		if !errors.Is(t.err, context.Canceled) || r.nctx.Context.Err() != nil {
			return t.err
		}
	}
	if first != nil {
		return first
	}
	select {
	case <-r.done:
		return fmt.Errorf("graph: run cancelled at step %d: %w", r.step, context.Cause(r.nctx.Context))
	default:
	}
	return nil
}

// reduceOne is the state after a step whose single writer took in to out:
// out with the custom reducers applied. Values in and out, so the caller's
// copies of the state do not escape to the heap.
//
//go:noinline
func (c *Compiled[S]) reduceOne(in, out S, marked []int) S {
	c.plan.ReduceOne(&in, &out, marked)
	return out
}

// writtenNames names the fields a node that took in to out wrote. Values,
// for the same reason as reduceOne.
//
//go:noinline
func (c *Compiled[S]) writtenNames(in, out S, marked []int) []string {
	return c.plan.WrittenNames(&in, &out, marked...)
}

// routerView is the state the routers of task t's node read after a step
// of several tasks: the step's input with t's writes applied through the
// reducers.
func (r *run[S]) routerView(t *task[S]) (S, error) {
	p := r.par
	in := &p.in
	if t.send {
		in = &t.in
	}
	ws := [1]state.Write[S]{{Node: r.c.nodes[t.node].name, In: in, Out: &t.out, Marked: t.ext.marks()}}
	v, err := r.c.plan.Merge(p.in, ws[:])
	if err != nil {
		return v, &MergeError{Step: r.step, Err: err}
	}
	return v, nil
}

func (r *run[S]) parState() *parallelState[S] {
	if r.par == nil {
		p := new(parallelState[S])
		p.init()
		p.r = r
		r.par = p
	}
	return r.par
}

// init readies a new parallelState: its writes in its own buffer, and the
// worker method value made once, so starting a worker allocates nothing.
func (p *parallelState[S]) init() {
	p.writes = p.writesBuf[:0]
	p.work = p.worker
}

// worker runs tasks of the step on a goroutine of its own.
func (p *parallelState[S]) worker() {
	p.spare.Add(-1)
	p.r.work()
	p.wg.Done()
}

// work claims the step's tasks in order and runs them until none is left.
// Before running one while others are unclaimed, it starts a worker unless
// one started already waits to claim.
func (r *run[S]) work() {
	p := r.par
	n := int32(len(r.cur))
	for {
		i := p.claimed.Add(1) - 1
		if i >= n {
			return
		}
		if r.cur[i].done {
			continue
		}
		if i+1 < n && p.spare.Load() == 0 {
			p.spare.Add(1)
			p.wg.Add(1)
			go p.work()
		}
		r.runTask(int(i))
	}
}

func (r *run[S]) runTask(i int) {
	p := r.par
	ctx, cancel := &p.slots[i].ctx, p.cancel
	t := &r.cur[i]
	n := &r.c.nodes[t.node]
	out, err := r.call(ctx, n, *r.input(t))
	t.ext = p.slots[i].info.ext.Load()
	if err != nil {
		if intr := interruptOf(err); intr != nil {
			t.intr = intr
			t.err = err
			if r.d != nil {
				if derr := r.d.taskDone(i, t, p.slots[i].info.finish()); derr != nil {
					t.intr, t.err = nil, derr
					cancel()
				}
			}
			return
		}
		t.err = err
		p.failed.CompareAndSwap(0, int32(i+1))
		cancel()
		return
	}
	t.out = out
	if r.d != nil {
		if derr := r.d.taskDone(i, t, p.slots[i].info.finish()); derr != nil {
			t.err = derr
			p.failed.CompareAndSwap(0, int32(i+1))
			cancel()
		}
	}
}

// call runs one node with its retry policy and timeout, turning panics into
// errors.
func (r *run[S]) call(ctx context.Context, n *cnode[S], in S) (S, error) {
	attempt := 1
	// A retry is a new run of the node: its Interrupt calls are numbered
	// from where this attempt started, so answered ones are answered again.
	var counter *interruptState
	calls := 0
	if n.retry != nil {
		// A durable task's state made later counts from 0, as here.
		if is := taskFrom(ctx).made(); is != nil {
			counter = is.counterOf()
			counter.mu.Lock()
			calls = counter.calls
			counter.mu.Unlock()
		}
	}
	for {
		octx := ctx
		if r.tr != nil && attempt > 1 {
			octx = context.WithValue(ctx, attemptKey{}, attempt)
		}
		out, err := r.once(octx, n, in)
		if err == nil {
			return out, nil
		}
		if isInterrupt(err) {
			return in, err
		}
		if n.retry == nil || attempt >= n.retry.attempts() || !n.retry.retryable(err) || ctx.Err() != nil {
			return in, &NodeError{Node: n.name, Step: r.step, Attempts: attempt, Err: err}
		}
		if serr := SleepContext(ctx, n.retry.wait(attempt)); serr != nil {
			return in, &NodeError{Node: n.name, Step: r.step, Attempts: attempt, Err: err}
		}
		attempt++
		retryOnce(ctx)
		if t := taskFrom(ctx); t != nil {
			t.ext.Store(nil)
			if is := t.made(); counter == nil && is != nil {
				counter = is.counterOf()
			}
		}
		if counter != nil {
			counter.mu.Lock()
			counter.calls = calls
			counter.mu.Unlock()
		}
	}
}

func (r *run[S]) once(ctx context.Context, n *cnode[S], in S) (out S, err error) {
	if r.tr != nil {
		var sp Span
		ctx, sp = r.startTask(ctx, n)
		defer func() { sp.End(err) }()
	}
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	if n.timeout <= 0 {
		return n.fn(ctx, in)
	}
	tctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	out, err = n.fn(tctx, in)
	if errors.Is(tctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return in, &TimeoutError{Node: n.name, Timeout: n.timeout}
	}
	return out, err
}

// input returns the state task t reads: its own for a fan-out branch, the
// step's snapshot otherwise.
func (r *run[S]) input(t *task[S]) *S {
	if t.send {
		return &t.in
	}
	return &r.state
}

func (r *run[S]) trigger(node int) {
	if r.mark == nil {
		if n := len(r.c.nodes); n <= 16 {
			r.mark = r.parState().markBuf[:n]
		} else {
			r.mark = make([]int32, n)
		}
	}
	if r.mark[node] == r.stamp {
		return
	}
	r.mark[node] = r.stamp
	r.next = append(r.next, task[S]{node: int32(node)})
}

// routeAlone adds to r.next the tasks that node n's edges trigger when n
// routes alone (the entry's edges from START, or the node an UpdateState
// writes as), in node declaration order as routeStep orders a step's,
// whatever the order the edges were added or a router returned them.
func (r *run[S]) routeAlone(n *cnode[S], name string, st *S) error {
	r.stamp++
	if err := r.routeFrom(n, name, st); err != nil {
		return err
	}
	sortTasks(r.next)
	return nil
}

// routeFrom adds to r.next the tasks that node n's edges trigger, reading
// the merged state.
func (r *run[S]) routeFrom(n *cnode[S], name string, st *S) error {
	for _, t := range n.static {
		if t >= 0 {
			r.trigger(t)
		}
	}
	for _, ji := range n.joins {
		j := &r.c.joins[ji.join]
		r.joinSeen[ji.join] |= ji.bit
		if r.joinSeen[ji.join] == j.all {
			r.joinSeen[ji.join] = 0
			r.trigger(j.target)
		}
	}
	for _, ci := range n.conds {
		e := &r.c.conds[ci]
		switch e.kind {
		case edgeRoute:
			if err := r.routeTo(e, e.one(*st)); err != nil {
				return err
			}
		case edgeRoutes:
			for _, to := range e.many(*st) {
				if err := r.routeTo(e, to); err != nil {
					return err
				}
			}
		case edgeSend:
			for _, s := range e.send(*st) {
				idx := -1
				for i, t := range e.targets {
					if t == s.Node {
						idx = e.tidx[i]
						break
					}
				}
				if idx < 0 {
					return &RouteError{From: name, To: s.Node, Declared: e.targets, Step: r.step}
				}
				// Branches built from one state share its slices' spare
				// capacity: clip them so each branch's appends stay its own.
				in := s.State
				r.c.plan.Isolate(&in)
				r.next = append(r.next, task[S]{node: int32(idx), send: true, in: in})
			}
		}
	}
	return nil
}

// routeCmd adds to r.next the tasks a Command of node n's task names.
func (r *run[S]) routeCmd(n *cnode[S], cmd *cmdRoute) error {
	for _, to := range cmd.gotos {
		i := slices.Index(n.gotoT, to)
		if i < 0 {
			return &RouteError{From: n.name, To: to, Declared: n.gotoT, Step: r.step, Command: true}
		}
		if n.gotoIdx[i] >= 0 {
			r.trigger(n.gotoIdx[i])
		}
	}
	sends, _ := cmd.sends.([]Send[S])
	for _, s := range sends {
		i := slices.Index(n.gotoT, s.Node)
		if i < 0 || n.gotoIdx[i] < 0 {
			return &RouteError{From: n.name, To: s.Node, Declared: n.gotoT, Step: r.step, Command: true}
		}
		in := s.State
		r.c.plan.Isolate(&in)
		r.next = append(r.next, task[S]{node: int32(n.gotoIdx[i]), send: true, in: in})
	}
	return nil
}

// routeStep puts in r.next, in node order, the tasks that the edges (and
// Commands) of the step's tasks trigger; st is the merged state.
func (r *run[S]) routeStep(st *S) error {
	c := r.c
	r.stamp++
	r.next = r.next[:0]
	for i := range r.cur {
		n := &c.nodes[r.cur[i].node]
		view := st
		if len(r.cur) > 1 && len(n.conds) > 0 {
			// A router sees the step's input with its own node's
			// writes applied, never a sibling's.
			v, err := r.routerView(&r.cur[i])
			if err != nil {
				return err
			}
			view = &v
		}
		if err := r.routeFrom(n, n.name, view); err != nil {
			return err
		}
		if cmd := r.cur[i].ext.route(); cmd != nil {
			if err := r.routeCmd(n, cmd); err != nil {
				return err
			}
		}
	}
	sortTasks(r.next)
	return nil
}

func (r *run[S]) routeTo(e *cedge[S], to string) error {
	i, err := r.routeIdx(e, to)
	if err == nil && i >= 0 {
		r.trigger(i)
	}
	return err
}

// routeIdx returns the node index of a router's answer (-1 for END).
func (r *run[S]) routeIdx(e *cedge[S], to string) (int, error) {
	for i, t := range e.targets {
		if t == to {
			return e.tidx[i], nil
		}
	}
	return 0, &RouteError{From: e.from, To: to, Declared: e.targets, Step: r.step}
}

// sortTasks orders tasks by node declaration order, keeping the order of
// sends to the same node (insertion sort: steps are small).
func sortTasks[S any](ts []task[S]) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j-1].node > ts[j].node; j-- {
			ts[j-1], ts[j] = ts[j], ts[j-1]
		}
	}
}
