package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jedisos/jedisos/state"
)

// errNotDurable is returned by State, History and UpdateState on a graph
// compiled without WithCheckpointer.
var errNotDurable = errors.New("graph: State, History, UpdateState and DeleteThread need a graph compiled WithCheckpointer")

// NodeWrite is what one finished task wrote, as saved.
type NodeWrite struct {
	Task   int
	Node   string
	Fields []string
	Data   json.RawMessage
}

// CheckpointInfo describes one checkpoint of a thread.
type CheckpointInfo struct {
	ThreadID     string
	CheckpointID string
	ParentID     string
	Step         int
	// Source is "input", "loop", "update" or "fork".
	Source    string
	CreatedAt time.Time
	// Next names the nodes of the next step; empty when the run finished.
	Next []string
}

func infoOf(thread string, cp state.Checkpoint) CheckpointInfo {
	in := CheckpointInfo{ThreadID: thread, CheckpointID: cp.ID, ParentID: cp.ParentID, Step: cp.Step, Source: cp.Source, CreatedAt: cp.CreatedAt}
	for _, t := range cp.Next {
		in.Next = append(in.Next, t.Node)
	}
	return in
}

// Snapshot is a thread's state at one checkpoint.
type Snapshot[S any] struct {
	CheckpointInfo
	State S
	// Writes are the saved writes of the next step's finished tasks.
	Writes []NodeWrite
	// Interrupts are the next step's pending interrupts: Interrupt calls
	// waiting for an answer and the breakpoint the run paused at.
	Interrupts []Pending
	// Tasks describes each task of the next step, in order, with what it
	// saved so far (empty when the run finished).
	Tasks []TaskState
	// Failed: the run that had the next step to do ended with an error, so
	// the thread takes new input (which drops the step) or the zero state
	// (which runs the step's unfinished tasks again).
	Failed bool
}

// TaskState is one task of a checkpoint's next step and what it saved.
type TaskState struct {
	// Task is the task's position in the step; Node its node.
	Task int
	Node string
	// Done: the task finished and its writes are saved; resuming the
	// thread does not run it again.
	Done bool
	// Fields names the fields its saved writes set (Done tasks).
	Fields []string
	// Interrupts are its pending Interrupt calls.
	Interrupts []Pending
	// Progress: the task had not finished but saved the results of side
	// effects (Once), which its next run gets back.
	Progress bool
}

func (c *Compiled[S]) snapshot(ctx context.Context, thread string, cp state.Checkpoint, memo map[string]S) (Snapshot[S], error) {
	st, err := c.dur.load(ctx, c, thread, cp, memo)
	if err != nil {
		return Snapshot[S]{}, err
	}
	sn := Snapshot[S]{CheckpointInfo: infoOf(thread, cp), State: st}
	if len(cp.Next) == 0 {
		return sn, nil
	}
	ws, err := c.dur.cp.Writes(ctx, thread, cp.ID)
	if err != nil {
		return sn, fmt.Errorf("graph: load writes of thread %q checkpoint %s: %w", thread, cp.ID, err)
	}
	sn.Tasks = make([]TaskState, len(cp.Next))
	for i, t := range cp.Next {
		sn.Tasks[i] = TaskState{Task: i, Node: t.Node}
	}
	for _, w := range ws {
		if w.Task == failedTask {
			sn.Failed = isFailedMark(w)
			continue
		}
		var ts *TaskState
		if w.Task >= 0 && w.Task < len(sn.Tasks) {
			ts = &sn.Tasks[w.Task]
		} else {
			return sn, c.corrupt(thread, cp.ID, fmt.Errorf("writes for task %d of %d", w.Task, len(cp.Next)))
		}
		if w.Running {
			// A task that had not finished: no writes yet.
			ts.Progress = len(w.Memos) > 0
			continue
		}
		for _, it := range w.Interrupts {
			p := Pending{ID: it.ID, Kind: InterruptNode, Node: it.Node, Step: cp.Step, Payload: it.Payload}
			sn.Interrupts = append(sn.Interrupts, p)
			ts.Interrupts = append(ts.Interrupts, p)
		}
		if len(w.Interrupts) > 0 {
			ts.Progress = len(w.Memos) > 0
			continue
		}
		fields, err := state.WriteFields(w.Writes)
		if err != nil {
			return sn, c.corrupt(thread, cp.ID, err)
		}
		ts.Done, ts.Fields = true, fields
		sn.Writes = append(sn.Writes, NodeWrite{Task: w.Task, Node: w.Node, Fields: fields, Data: w.Writes})
	}
	if len(sn.Interrupts) == 0 {
		ex, err := c.extraOf(thread, cp)
		if err != nil {
			return sn, err
		}
		sn.Interrupts = breakPending(thread, cp.ID, cp.Step, ex.Break)
	}
	return sn, nil
}

// State returns the thread's latest snapshot.
func (c *Compiled[S]) State(ctx context.Context, thread string) (Snapshot[S], error) {
	if c.dur == nil {
		return Snapshot[S]{}, errNotDurable
	}
	cp, err := c.dur.cp.Get(ctx, thread, "")
	if err != nil {
		return Snapshot[S]{}, fmt.Errorf("graph: state of thread %q: %w", thread, err)
	}
	return c.snapshot(ctx, thread, cp, nil)
}

// HistoryOptions narrows History.
type HistoryOptions struct {
	// Limit caps the number of snapshots returned (0: all).
	Limit int
	// Before lists only checkpoints older than this checkpoint id.
	Before string
	// Filter, if set, keeps only the checkpoints it accepts (Limit counts
	// accepted ones).
	Filter func(CheckpointInfo) bool
	// Source keeps only checkpoints of this source ("input", "loop",
	// "update", "fork"); empty keeps all.
	Source string
}

// History returns the thread's snapshots, newest first.
func (c *Compiled[S]) History(ctx context.Context, thread string, opts HistoryOptions) ([]Snapshot[S], error) {
	if c.dur == nil {
		return nil, errNotDurable
	}
	cps, err := c.dur.cp.List(ctx, thread, state.ListOptions{Before: opts.Before})
	if err != nil {
		return nil, fmt.Errorf("graph: history of thread %q: %w", thread, err)
	}
	var keep []state.Checkpoint
	for _, cp := range cps {
		if opts.Source != "" && cp.Source != opts.Source {
			continue
		}
		if opts.Filter != nil && !opts.Filter(infoOf(thread, cp)) {
			continue
		}
		keep = append(keep, cp)
		if opts.Limit > 0 && len(keep) >= opts.Limit {
			break
		}
	}
	// Build states oldest first so each one is a single derivation.
	memo := map[string]S{}
	out := make([]Snapshot[S], len(keep))
	for i := len(keep) - 1; i >= 0; i-- {
		sn, err := c.snapshot(ctx, thread, keep[i], memo)
		if err != nil {
			return nil, err
		}
		out[i] = sn
	}
	return out, nil
}

// UpdateOption configures UpdateState.
type UpdateOption func(*updateConfig)

type updateConfig struct {
	at     string
	fields []string
}

// AtCheckpoint makes UpdateState update the thread's checkpoint id instead
// of its latest: time travel. The new checkpoint's parent is id, and it
// becomes the thread's latest (a fork; the old branch stays in History).
func AtCheckpoint(id string) UpdateOption {
	return func(c *updateConfig) { c.at = id }
}

// UpdateFields makes UpdateState write exactly the named fields of values
// (by Go name), zero or not; other fields of values are ignored.
func UpdateFields(names ...string) UpdateOption {
	return func(c *updateConfig) { c.fields = append(c.fields, names...) }
}

// UpdateState writes values onto a thread's state as if node asNode had
// returned them, and saves the result as a new checkpoint, the thread's
// latest; it returns its id.
//
// The update goes through the field reducers, as a node's writes do: an
// append field gets values' elements appended, a sum field gets values'
// number added, a merge field gets its keys set, a custom reducer is
// applied, other fields take values' value. Only the fields values sets
// (non-zero) are written, so a partial update leaves the others alone;
// UpdateFields names the fields to write instead, so a zero value can be
// written too.
//
// The next step is what asNode's edges pick from the updated state;
// asNode END makes the checkpoint a finished one, START plans the step
// after the input, and an empty asNode keeps the checkpoint's pending
// next step. Kept on the thread's latest checkpoint, the pending step
// keeps what it saved: its pending interrupts (with their ids) and the
// answers already given, its finished tasks' writes and its side effects'
// results, so resuming runs only what had not finished, on the updated
// state. An asNode update on a checkpoint whose pending step saved work of
// other nodes is refused, so nothing saved is dropped silently.
//
// AtCheckpoint updates a past checkpoint instead: a fork, which keeps
// nothing of that checkpoint's pending step (it runs again on the fork).
// The new checkpoint's step is its parent's plus one.
func (c *Compiled[S]) UpdateState(ctx context.Context, thread, asNode string, values S, opts ...UpdateOption) (string, error) {
	if c.dur == nil {
		return "", errNotDurable
	}
	var cfg updateConfig
	for _, o := range opts {
		o(&cfg)
	}
	var from *cnode[S]
	switch asNode {
	case "", END:
	case START:
		from = &c.entry
	default:
		i, ok := c.byName[asNode]
		if !ok {
			return "", fmt.Errorf("graph: UpdateState as unknown node %q (want a node of the graph, START, END, or \"\" to keep the pending step)", asNode)
		}
		from = &c.nodes[i]
	}
	var marked []int
	if len(cfg.fields) > 0 {
		idx, err := c.plan.FieldIndexes(cfg.fields)
		if err != nil {
			return "", fmt.Errorf("graph: UpdateState of thread %q: UpdateFields: %w", thread, err)
		}
		var only S
		c.plan.CopyFields(&only, &values, idx)
		values, marked = only, idx
	}
	h, err := c.lock(ctx, thread)
	if err != nil {
		return "", err
	}
	defer h.release()
	latest, err := c.dur.cp.Get(ctx, thread, "")
	if err != nil {
		return "", fmt.Errorf("graph: update thread %q: %w", thread, err)
	}
	cp := latest
	if cfg.at != "" && cfg.at != latest.ID {
		if cp, err = c.dur.cp.Get(ctx, thread, cfg.at); err != nil {
			return "", fmt.Errorf("graph: update thread %q at checkpoint %q: %w", thread, cfg.at, err)
		}
	}
	isLatest := cp.ID == latest.ID
	st, err := c.dur.load(ctx, c, thread, cp, nil)
	if err != nil {
		return "", err
	}
	ex, err := c.extraOf(thread, cp)
	if err != nil {
		return "", err
	}
	var saved []state.TaskWrites
	if isLatest && len(cp.Next) > 0 {
		if saved, err = c.dur.cp.Writes(ctx, thread, cp.ID); err != nil {
			return "", fmt.Errorf("graph: load writes of thread %q checkpoint %s: %w", thread, cp.ID, err)
		}
		if asNode != "" {
			var others []string
			for _, w := range saved {
				if w.Task != failedTask && w.Node != asNode && !slices.Contains(others, w.Node) {
					others = append(others, w.Node)
				}
			}
			if len(others) > 0 {
				return "", fmt.Errorf("graph: UpdateState of thread %q as node %q would drop the saved work (writes, interrupts or side-effect results) of nodes %v in the pending step of checkpoint %s; update with asNode \"\" to keep the pending step, or resume the thread first", thread, asNode, others, cp.ID)
			}
		}
	}
	var zero S
	delta, err := c.plan.EncodeWritesMarked(&zero, &values, marked)
	if err != nil {
		return "", err
	}
	node := asNode
	if node == "" {
		node = "UpdateState"
	}
	next, err := c.plan.Merge(st, []state.Write[S]{{Node: node, In: &zero, Out: &values, Marked: marked}})
	if err != nil {
		return "", fmt.Errorf("graph: UpdateState of thread %q: %w", thread, err)
	}
	r, err := c.newRun(ctx, []RunOption{Thread(thread)})
	if err != nil {
		return "", err
	}
	if len(ex.Joins) == len(r.joinSeen) {
		copy(r.joinSeen, ex.Joins)
	}
	r.state, r.step = next, cp.Step+1
	var carry []state.TaskWrites
	switch {
	case from != nil:
		if err := r.routeAlone(from, asNode, &r.state); err != nil {
			return "", err
		}
		r.cur = r.next
	case asNode == END:
	default:
		for _, t := range cp.Next {
			i, ok := c.byName[t.Node]
			if !ok {
				return "", c.corrupt(thread, cp.ID, fmt.Errorf("next task names unknown node %q", t.Node))
			}
			tk := task[S]{node: int32(i)}
			if t.Input != nil {
				s, err := c.plan.DecodeState(t.Input)
				if err != nil {
					return "", c.corrupt(thread, cp.ID, err)
				}
				tk.send, tk.in = true, s
			}
			r.cur = append(r.cur, tk)
		}
		carry = saved
	}
	dr := &durableRun[S]{d: c.dur, r: r, ctx: ctx, sctx: ctx, intrSrc: intrSrc{thread: thread}, mode: DurabilitySync, since: ex.Since, full: ex.Full, base: latest.ID}
	dr.saver = dr
	if len(carry) > 0 {
		// Interrupt ids stay those the thread reported.
		dr.origin = ex.Origin
		if dr.origin == "" {
			dr.origin = cp.ID
		}
	}
	if err := dr.checkpoint(sourceUpdate, cp.ID, delta, len(delta), false); err != nil {
		return "", err
	}
	c.dur.forget(thread)
	for _, w := range carry {
		w.Memos = restep(w.Memos, w.Node, w.Task, cp.Step, r.step)
		if err := c.dur.cp.PutWrites(ctx, thread, dr.cpID, w); err != nil {
			return "", fmt.Errorf("graph: UpdateState of thread %q: keep the saved work of node %q on checkpoint %s: %w", thread, w.Node, dr.cpID, err)
		}
	}
	return dr.cpID, nil
}

// restep renames the side-effect results a task saved at step from for the
// same task at step to (Once keys name the step).
func restep(ms []state.Memo, node string, task, from, to int) []state.Memo {
	if len(ms) == 0 {
		return ms
	}
	old := node + "@" + strconv.Itoa(from) + "." + strconv.Itoa(task)
	now := node + "@" + strconv.Itoa(to) + "." + strconv.Itoa(task)
	out := make([]state.Memo, len(ms))
	for i, m := range ms {
		if rest, ok := strings.CutPrefix(m.Key, old); ok && (rest == "" || rest[0] == '/' || rest[0] == '#') {
			m.Key = now + rest
		}
		out[i] = m
	}
	return out
}
