package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jedisos/jedisos/state"
)

// ErrOnceKey is matched (errors.Is) by the error Once returns for a key that
// is empty or was already used in the same run of the node.
var ErrOnceKey = errors.New("graph: bad Once key")

// Once runs a side effect of a node once per task of a checkpointed run and
// returns its result, which re-runs of the node get back from the
// checkpointer instead of performing the effect again.
//
// The first time a task calls Once with key, fn runs; when it succeeds its
// result is encoded as JSON and saved with the task's progress in the
// checkpointer at once (before Once returns, under DurabilitySync). When the
// node runs again for the same task (after an Interrupt is answered, after a
// retry, or after a crash or a failed step once the result was saved), Once
// returns the saved result decoded into T without calling fn. Code before
// an Interrupt runs again on resume; wrap every side effect it performs
// (sending a message, charging a card, calling a paid model) in Once.
//
// The result Once returns is always the one decoded from its saved JSON, so
// a node sees the same value the first time and on every re-run (unexported
// fields and other things JSON drops are dropped both times).
//
// Keys name call sites: each key may be used once per run of the node (in a
// checkpointed run a second call with the same key returns an error
// matching ErrOnceKey; a retry of the node is a new run). They
// are scoped to the task (node, step and task index, and for the nodes of a
// subgraph their position in it), so parallel tasks and later steps may
// reuse a key without meeting each other's results.
//
// An error from fn is returned as is and nothing is saved: the next run
// calls fn again. A result that cannot be encoded is an error. In a graph
// compiled without a checkpointer (or outside a node) Once simply calls fn.
//
// Inside subgraphs, results are matched to calls by the order in which the
// node starts its subgraph runs (as Interrupt ids are): a node that starts
// several subgraph runs from concurrent goroutines must start them in a
// fixed order for their Once results to come back to the right run.
//
// A crash after fn returned but before its result was saved runs fn again
// on resume; give the outside system an idempotency key if that window
// matters. Forks (FromCheckpoint, UpdateState with AtCheckpoint or asNode)
// start from a new checkpoint and run their side effects again; an
// UpdateState that keeps the pending step keeps its saved results.
func Once[T any](ctx context.Context, key string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	t := taskFrom(ctx)
	is := t.state()
	if is == nil || is.memo == nil {
		return fn(ctx)
	}
	node := t.prefix + t.name()
	if key == "" {
		return zero, fmt.Errorf("%w: node %q called Once with an empty key", ErrOnceKey, node)
	}
	full := is.scope + t.name() + "@" + strconv.Itoa(t.step) + "." + strconv.Itoa(t.task) + "/" + key
	m := is.memo
	m.mu.Lock()
	if m.used[full] {
		m.mu.Unlock()
		return zero, fmt.Errorf("%w: node %q used key %q twice in one run; give each side effect its own key", ErrOnceKey, node, key)
	}
	if m.used == nil {
		m.used = map[string]bool{}
	}
	m.used[full] = true
	raw, ok := m.saved[full]
	m.mu.Unlock()
	if ok {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return zero, fmt.Errorf("graph: saved result of Once %q of node %q does not decode into %T: %w", key, node, zero, err)
		}
		return v, nil
	}
	v, err := fn(ctx)
	if err != nil {
		// Not remembered: the key may be tried again in this run.
		m.mu.Lock()
		delete(m.used, full)
		m.mu.Unlock()
		return v, err
	}
	b, err := state.EncodeValue("Once result", v)
	if err != nil {
		return zero, fmt.Errorf("graph: result of Once %q of node %q (%T) cannot be encoded, so it cannot be saved: %w", key, node, v, err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return zero, fmt.Errorf("graph: result of Once %q of node %q does not decode back into %T: %w", key, node, zero, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return zero, fmt.Errorf("graph: Once %q ran after node %q returned; its result was not saved", key, node)
	}
	if m.saved == nil {
		m.saved = map[string]json.RawMessage{}
	}
	m.saved[full] = b
	if err := m.saver.saveRunning(m.task, m.node, m.listLocked()); err != nil {
		return zero, fmt.Errorf("graph: save result of Once %q of node %q: %w", key, node, err)
	}
	return out, nil
}

// memoSaver saves the progress of a running task.
type memoSaver interface {
	saveRunning(task int, node string, memos []state.Memo) error
}

// taskMemo holds the saved results of the Once calls of one checkpointed
// task, its subgraphs' tasks included.
type taskMemo struct {
	mu     sync.Mutex
	saved  map[string]json.RawMessage
	used   map[string]bool
	runs   map[string]int // subgraph runs started by each node run, by node key
	closed bool
	task   int
	node   string
	saver  memoSaver
}

func (m *taskMemo) listLocked() []state.Memo {
	out := make([]state.Memo, 0, len(m.saved))
	for k, v := range m.saved {
		out = append(out, state.Memo{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b state.Memo) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// close ends the task: later Once calls are not saved. It returns the
// saved results.
func (m *taskMemo) close() []state.Memo {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if len(m.saved) == 0 {
		return nil
	}
	return m.listLocked()
}

// nodeKey names one run of a node inside the task's memo scope.
func nodeKey(t *taskInfo, is *interruptState) string {
	return is.scope + t.name() + "@" + strconv.Itoa(t.step) + "." + strconv.Itoa(t.task)
}

// retry forgets which keys the node run of t used (and which subgraph runs
// it started), so its next attempt may use them again.
func retryOnce(ctx context.Context) {
	nc, ok := ctx.(*nodeCtx)
	if !ok {
		return
	}
	is := nc.t.made()
	if is == nil || is.memo == nil {
		return
	}
	k := nodeKey(nc.t, is)
	m := is.memo
	m.mu.Lock()
	defer m.mu.Unlock()
	for u := range m.used {
		if strings.HasPrefix(u, k+"/") || strings.HasPrefix(u, k+"#") {
			delete(m.used, u)
		}
	}
	for u := range m.runs {
		if u == k || strings.HasPrefix(u, k+"#") {
			delete(m.runs, u)
		}
	}
}

// sub is the interrupt state of a subgraph run started by the node of task
// parent: interrupts count with the parent's, Once keys get their own scope.
func (is *interruptState) sub(parent *taskInfo) *interruptState {
	s := &interruptState{thread: is.thread, cpID: is.cpID, task: is.task, step: is.step, answers: is.answers, path: is.path, counter: is.counterOf(), memo: is.memo, scope: is.scope}
	if is.memo != nil {
		k := nodeKey(parent, is)
		is.memo.mu.Lock()
		if is.memo.runs == nil {
			is.memo.runs = map[string]int{}
		}
		n := is.memo.runs[k]
		is.memo.runs[k] = n + 1
		is.memo.mu.Unlock()
		s.scope = k + "#" + strconv.Itoa(n) + "/"
	}
	return s
}
