package graph_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// ttState is the state of the time-travel scenarios.
type ttState struct {
	Log  []string `reduce:"append"`
	Sum  int      `reduce:"sum"`
	Note string
}

func ttChain(t *testing.T, runs *irCounter, opts ...graph.CompileOption) *graph.Compiled[ttState] {
	t.Helper()
	node := func(name string) graph.NodeFunc[ttState] {
		return func(_ context.Context, s ttState) (ttState, error) {
			runs.add(name)
			s.Log = append(s.Log, name+":"+s.Note)
			return s, nil
		}
	}
	g := graph.New[ttState]().
		AddNode("a", node("a")).AddNode("b", node("b")).AddNode("c", node("c")).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", graph.END)
	return ssCompile(t, g, append([]graph.CompileOption{graph.WithCheckpointer(state.NewMemory())}, opts...)...)
}

// History lists a thread's checkpoints newest first, each the child of the
// next one, with the steps counting down, the input checkpoint last, and
// Next naming the step each one was about to run.
func TestHistoryNewestFirstWithParents(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	c := ttChain(t, &runs)
	if _, err := c.Invoke(ctx, ttState{}, graph.Thread("t")); err != nil {
		t.Fatal(err)
	}
	h, err := c.History(ctx, "t", graph.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 4 {
		t.Fatalf("%d checkpoints, want 4 (input and one per step)", len(h))
	}
	wantNext := [][]string{nil, {"c"}, {"b"}, {"a"}}
	for i, sn := range h {
		if sn.Step != 3-i {
			t.Errorf("h[%d].Step = %d, want %d", i, sn.Step, 3-i)
		}
		if len(sn.Next) != len(wantNext[i]) || (len(sn.Next) > 0 && !slices.Equal(sn.Next, wantNext[i])) {
			t.Errorf("h[%d].Next = %v, want %v", i, sn.Next, wantNext[i])
		}
		if i+1 < len(h) && sn.ParentID != h[i+1].CheckpointID {
			t.Errorf("h[%d].ParentID = %q, want %q", i, sn.ParentID, h[i+1].CheckpointID)
		}
	}
	if h[3].Source != "input" || h[0].Source != "loop" || h[3].ParentID != "" {
		t.Errorf("sources %q..%q parent of first %q", h[3].Source, h[0].Source, h[3].ParentID)
	}
	if !slices.Equal(h[1].State.Log, []string{"a:", "b:"}) {
		t.Errorf("h[1].State.Log = %v, want [a: b:]", h[1].State.Log)
	}
	latest, err := c.State(ctx, "t")
	if err != nil || latest.CheckpointID != h[0].CheckpointID {
		t.Errorf("State = %s (%v), want the newest history entry %s", latest.CheckpointID, err, h[0].CheckpointID)
	}
	lim, err := c.History(ctx, "t", graph.HistoryOptions{Limit: 2})
	if err != nil || len(lim) != 2 || lim[0].CheckpointID != h[0].CheckpointID || lim[1].CheckpointID != h[1].CheckpointID {
		t.Errorf("History with Limit 2 = %d entries (%v), want the two newest", len(lim), err)
	}
}

// Running again from a past checkpoint (LangGraph's replay of a
// checkpoint_id) does not run the nodes before it again, runs those after
// it on a new branch that becomes the thread's latest, and keeps the old
// branch in History.
func TestForkFromPastCheckpointDoesNotRerunEarlierNodes(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	c := ttChain(t, &runs)
	if _, err := c.Invoke(ctx, ttState{}, graph.Thread("t")); err != nil {
		t.Fatal(err)
	}
	h, _ := c.History(ctx, "t", graph.HistoryOptions{})
	afterA := h[2] // Next = [b]
	if !slices.Equal(afterA.Next, []string{"b"}) {
		t.Fatalf("picked checkpoint with Next %v", afterA.Next)
	}
	out, err := c.Invoke(ctx, ttState{}, graph.Thread("t"), graph.FromCheckpoint(afterA.CheckpointID))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Log, []string{"a:", "b:", "c:"}) {
		t.Errorf("replayed Log %v, want [a: b: c:]", out.Log)
	}
	if runs.get("a") != 1 || runs.get("b") != 2 || runs.get("c") != 2 {
		t.Errorf("runs a=%d b=%d c=%d, want 1 2 2", runs.get("a"), runs.get("b"), runs.get("c"))
	}
	h2, _ := c.History(ctx, "t", graph.HistoryOptions{})
	if len(h2) <= len(h) {
		t.Fatalf("history shrank or did not grow: %d -> %d", len(h), len(h2))
	}
	for _, old := range h {
		if !slices.ContainsFunc(h2, func(s graph.Snapshot[ttState]) bool { return s.CheckpointID == old.CheckpointID }) {
			t.Errorf("old checkpoint %s (step %d) is gone from History", old.CheckpointID, old.Step)
		}
	}
	latest, _ := c.State(ctx, "t")
	if latest.CheckpointID == h[0].CheckpointID || len(latest.Next) != 0 {
		t.Errorf("latest %s Next %v, want a new finished checkpoint", latest.CheckpointID, latest.Next)
	}

	// A finished checkpoint replayed runs nothing and returns its state.
	before := runs.get("c")
	out, err = c.Invoke(ctx, ttState{}, graph.Thread("t"), graph.FromCheckpoint(h[0].CheckpointID))
	if err != nil || runs.get("c") != before || !slices.Equal(out.Log, []string{"a:", "b:", "c:"}) {
		t.Errorf("replay of finished checkpoint: %v runs c %d->%d Log %v", err, before, runs.get("c"), out.Log)
	}
}

// UpdateState with asNode goes through the reducers (append appends, sum
// adds, a plain field is replaced) and the next step is what asNode's
// edges pick; continuing the thread runs from there.
func TestUpdateStateAsNodeAppliesReducersAndRoutes(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	c := ttChain(t, &runs, graph.WithInterruptBefore("b"))
	if _, err := c.Invoke(ctx, ttState{Sum: 1}, graph.Thread("t")); err == nil {
		t.Fatal("want a pause before b")
	}
	if _, err := c.UpdateState(ctx, "t", "b", ttState{Log: []string{"human"}, Sum: 5, Note: "n"}); err != nil {
		t.Fatal(err)
	}
	sn, err := c.State(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sn.State.Log, []string{"a:", "human"}) || sn.State.Sum != 6 || sn.State.Note != "n" {
		t.Errorf("after update: %+v, want Log [a: human] Sum 6 Note n", sn.State)
	}
	if !slices.Equal(sn.Next, []string{"c"}) || sn.Source != "update" {
		t.Errorf("after update as b: Next %v Source %q, want [c] and update", sn.Next, sn.Source)
	}
	out, err := c.Invoke(ctx, ttState{}, graph.Thread("t"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Log, []string{"a:", "human", "c:n"}) || runs.get("b") != 0 {
		t.Errorf("continued: Log %v b ran %d, want [a: human c:n] and b not run", out.Log, runs.get("b"))
	}
}

// UpdateState on a past checkpoint forks it: the next step runs again on
// the edited state and the thread's latest is the fork.
func TestUpdateStateAtPastCheckpointForks(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	c := ttChain(t, &runs)
	if _, err := c.Invoke(ctx, ttState{}, graph.Thread("t")); err != nil {
		t.Fatal(err)
	}
	h, _ := c.History(ctx, "t", graph.HistoryOptions{})
	afterA := h[2]
	id, err := c.UpdateState(ctx, "t", "", ttState{Note: "edited"}, graph.AtCheckpoint(afterA.CheckpointID))
	if err != nil {
		t.Fatal(err)
	}
	sn, _ := c.State(ctx, "t")
	if sn.CheckpointID != id || sn.ParentID != afterA.CheckpointID || !slices.Equal(sn.Next, []string{"b"}) {
		t.Errorf("fork checkpoint %s parent %s Next %v, want %s, parent %s, Next [b]", sn.CheckpointID, sn.ParentID, sn.Next, id, afterA.CheckpointID)
	}
	out, err := c.Invoke(ctx, ttState{}, graph.Thread("t"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Log, []string{"a:", "b:edited", "c:edited"}) || runs.get("a") != 1 {
		t.Errorf("fork ran to %v with a run %d times, want [a: b:edited c:edited] and 1", out.Log, runs.get("a"))
	}
}

// New input on a finished thread is written through the reducers and the
// run starts again from START, as invoking a finished LangGraph thread
// with new input does.
func TestNewInputOnFinishedThreadGoesThroughReducers(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	c := ttChain(t, &runs)
	if _, err := c.Invoke(ctx, ttState{Sum: 2}, graph.Thread("t")); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, ttState{Log: []string{"turn2"}, Sum: 3}, graph.Thread("t"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a:", "b:", "c:", "turn2", "a:", "b:", "c:"}
	if !slices.Equal(out.Log, want) || out.Sum != 5 {
		t.Errorf("second turn: Log %v Sum %d, want %v and 5", out.Log, out.Sum, want)
	}
}

// With DurabilityExit nothing is saved while the run goes on; when it ends
// the thread's state and History show the final state.
func TestDurabilityExitSavesAtEnd(t *testing.T) {
	ctx := context.Background()
	mem := state.NewMemory()
	var seen []int
	g := graph.New[ttState]().
		AddNode("a", func(ctx context.Context, s ttState) (ttState, error) {
			s.Log = append(s.Log, "a")
			return s, nil
		}).
		AddNode("b", func(ctx context.Context, s ttState) (ttState, error) {
			cps, err := mem.List(ctx, "t", state.ListOptions{})
			if err != nil {
				return s, err
			}
			seen = append(seen, len(cps))
			s.Log = append(s.Log, "b")
			return s, nil
		}).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(mem), graph.WithDurability(graph.DurabilityExit))
	if _, err := c.Invoke(ctx, ttState{}, graph.Thread("t")); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != 0 {
		t.Errorf("checkpoints saved while b ran: %v, want 0", seen)
	}
	sn, err := c.State(ctx, "t")
	if err != nil || !slices.Equal(sn.State.Log, []string{"a", "b"}) || len(sn.Next) != 0 {
		t.Errorf("State after the run: %+v %v", sn, err)
	}
}
