package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jedisos/jedisos/state"
)

// errNotDurable is returned by State, History and UpdateState on a graph
// compiled without WithCheckpointer.
var errNotDurable = errors.New("graph: State, History and UpdateState need a graph compiled WithCheckpointer")

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
	// Interrupts are the next step's pending interrupts.
	Interrupts []Pending
}

func (c *Compiled[S]) snapshot(ctx context.Context, thread string, cp state.Checkpoint, memo map[string]S) (Snapshot[S], error) {
	st, err := c.dur.load(ctx, c, thread, cp, memo)
	if err != nil {
		return Snapshot[S]{}, err
	}
	sn := Snapshot[S]{CheckpointInfo: infoOf(thread, cp), State: st}
	ws, err := c.dur.cp.Writes(ctx, thread, cp.ID)
	if err != nil {
		return sn, fmt.Errorf("graph: load writes of thread %q checkpoint %s: %w", thread, cp.ID, err)
	}
	for _, w := range ws {
		if w.Running {
			// A task that had not finished: no writes yet.
			continue
		}
		for _, it := range w.Interrupts {
			sn.Interrupts = append(sn.Interrupts, Pending{ID: it.ID, Kind: InterruptNode, Node: it.Node, Step: cp.Step, Payload: it.Payload})
		}
		if len(w.Interrupts) > 0 {
			continue
		}
		fields, err := state.WriteFields(w.Writes)
		if err != nil {
			return sn, c.corrupt(thread, cp.ID, err)
		}
		sn.Writes = append(sn.Writes, NodeWrite{Task: w.Task, Node: w.Node, Fields: fields, Data: w.Writes})
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

// UpdateState writes values onto the thread's latest state as if node asNode
// had returned them (fields equal to the current state are not written) and
// saves the result as a new checkpoint. The next step is what asNode's edges
// pick from the new state; with asNode empty the pending next step is kept.
// It returns the new checkpoint id.
func (c *Compiled[S]) UpdateState(ctx context.Context, thread, asNode string, values S) (string, error) {
	if c.dur == nil {
		return "", errNotDurable
	}
	var from *cnode[S]
	if asNode != "" {
		i, ok := c.byName[asNode]
		if !ok {
			return "", fmt.Errorf("graph: UpdateState as unknown node %q", asNode)
		}
		from = &c.nodes[i]
	}
	cp, err := c.dur.cp.Get(ctx, thread, "")
	if err != nil {
		return "", fmt.Errorf("graph: update thread %q: %w", thread, err)
	}
	st, err := c.dur.load(ctx, c, thread, cp, nil)
	if err != nil {
		return "", err
	}
	delta, err := c.plan.EncodeWrites(&st, &values)
	if err != nil {
		return "", err
	}
	next, err := c.plan.ApplyWrites(st, delta)
	if err != nil {
		return "", err
	}
	r, err := c.newRun(ctx, []RunOption{Thread(thread)})
	if err != nil {
		return "", err
	}
	var ex extra
	if len(cp.Extra) > 0 {
		if err := json.Unmarshal(cp.Extra, &ex); err != nil {
			return "", c.corrupt(thread, cp.ID, err)
		}
		if len(ex.Joins) == len(r.joinSeen) {
			copy(r.joinSeen, ex.Joins)
		}
	}
	r.state, r.step = next, cp.Step
	if from != nil {
		r.stamp++
		if err := r.routeFrom(from, asNode, &r.state); err != nil {
			return "", err
		}
		r.cur = r.next
	} else {
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
	}
	dr := &durableRun[S]{d: c.dur, r: r, ctx: ctx, sctx: ctx, thread: thread, mode: DurabilitySync, since: ex.Since, full: ex.Full, base: cp.ID}
	if err := dr.checkpoint(sourceUpdate, cp.ID, delta, len(delta), false); err != nil {
		return "", err
	}
	c.dur.mu.Lock()
	delete(c.dur.cache, thread)
	c.dur.mu.Unlock()
	return dr.cpID, nil
}
