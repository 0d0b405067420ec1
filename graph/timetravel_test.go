package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

type U struct {
	Log    []string `reduce:"append"`
	Count  int      `reduce:"sum"`
	Note   string
	Answer []string `reduce:"append"`
}

// UpdateState while a node waits on its second Interrupt keeps the pending
// interrupt (same id) and the first answer; resuming answers the second
// and the node sees both, its side effect done once.
func TestUpdateStateKeepsPendingInterrupt(t *testing.T) {
	ctx := context.Background()
	var charges atomic.Int32
	g := graph.New[U]()
	g.AddNode("ask", func(ctx context.Context, s U) (U, error) {
		if _, err := graph.Once(ctx, "charge", func(context.Context) (int, error) { return int(charges.Add(1)), nil }); err != nil {
			return s, err
		}
		a1, err := graph.Interrupt[string](ctx, "first?")
		if err != nil {
			return s, err
		}
		a2, err := graph.Interrupt[string](ctx, "second?")
		if err != nil {
			return s, err
		}
		s.Answer = append(s.Answer, a1, a2, "note="+s.Note)
		return s, nil
	})
	g.AddEdge(graph.START, "ask").AddEdge("ask", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	_, err := c.Invoke(ctx, U{}, graph.Thread("t"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx, U{}, graph.Thread("t"), graph.Resume("one"))
	if !errors.As(err, &ie) || len(ie.Interrupts) != 1 {
		t.Fatalf("second interrupt: %v", err)
	}
	second := ie.Interrupts[0].ID
	before, _ := c.State(ctx, "t")

	id, err := c.UpdateState(ctx, "t", "", U{Note: "edited"})
	if err != nil {
		t.Fatal(err)
	}
	sn, err := c.State(ctx, "t")
	if err != nil || sn.CheckpointID != id || len(sn.Interrupts) != 1 || sn.Interrupts[0].ID != second || sn.State.Note != "edited" {
		t.Fatalf("after update: %+v %v", sn, err)
	}
	if sn.Step != before.Step+1 || sn.ParentID != before.CheckpointID || sn.Source != "update" {
		t.Fatalf("update checkpoint step %d parent %s source %s; before: step %d id %s", sn.Step, sn.ParentID, sn.Source, before.Step, before.CheckpointID)
	}
	if len(sn.Tasks) != 1 || len(sn.Tasks[0].Interrupts) != 1 || !sn.Tasks[0].Progress {
		t.Fatalf("task view %+v", sn.Tasks)
	}
	out, err := c.Invoke(ctx, U{}, graph.Thread("t"), graph.ResumeID(second, "two"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"one", "two", "note=edited"}; !slices.Equal(out.Answer, want) || charges.Load() != 1 {
		t.Fatalf("answers %v charges %d, want %v and 1", out.Answer, charges.Load(), want)
	}
}

// An update as a node on a step whose other nodes saved work is refused.
func TestUpdateStateAsNodeRefusesToDropWork(t *testing.T) {
	ctx := context.Background()
	g := graph.New[U]()
	g.AddNode("a", func(_ context.Context, s U) (U, error) { s.Log = append(s.Log, "a"); return s, nil })
	g.AddNode("b", func(ctx context.Context, s U) (U, error) {
		v, err := graph.Interrupt[string](ctx, "?")
		s.Note = v
		return s, err
	})
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	if _, err := c.Invoke(ctx, U{}, graph.Thread("t")); !errors.Is(err, graph.ErrInterrupted) {
		t.Fatal(err)
	}
	_, err := c.UpdateState(ctx, "t", "b", U{Note: "by hand"})
	if err == nil || !strings.Contains(err.Error(), `[a]`) || !strings.Contains(err.Error(), `asNode ""`) {
		t.Fatalf("update as b: %v", err)
	}
	// Kept as the pending step, a's write stays and b runs with its answer.
	if _, err := c.UpdateState(ctx, "t", "", U{Count: 5}); err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, U{}, graph.Thread("t"), graph.Resume("yes"))
	if err != nil || !slices.Equal(out.Log, []string{"a"}) || out.Note != "yes" || out.Count != 5 {
		t.Fatalf("resumed: %+v %v", out, err)
	}
}

func countingChain(t *testing.T, cp state.Checkpointer, runs map[string]*atomic.Int32) *graph.Compiled[U] {
	g := graph.New[U]()
	for _, n := range []string{"a", "b", "c"} {
		runs[n] = new(atomic.Int32)
		g.AddNode(n, func(_ context.Context, s U) (U, error) {
			runs[n].Add(1)
			s.Log = append(s.Log, n)
			s.Count++
			return s, nil
		})
	}
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", graph.END)
	return mustCompile(t, g, graph.WithCheckpointer(cp))
}

func counts(runs map[string]*atomic.Int32) [3]int32 {
	return [3]int32{runs["a"].Load(), runs["b"].Load(), runs["c"].Load()}
}

// Replaying a finished checkpoint runs nothing and returns its state;
// replaying an earlier one runs only what came after it.
func TestReplay(t *testing.T) {
	ctx := context.Background()
	runs := map[string]*atomic.Int32{}
	c := countingChain(t, state.NewMemory(), runs)
	if _, err := c.Invoke(ctx, U{}, graph.Thread("t")); err != nil {
		t.Fatal(err)
	}
	hist, _ := c.History(ctx, "t", graph.HistoryOptions{})
	final, afterA := hist[0], hist[2]
	out, err := c.Invoke(ctx, U{}, graph.Thread("t"), graph.FromCheckpoint(final.CheckpointID))
	if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c"}) || counts(runs) != [3]int32{1, 1, 1} {
		t.Fatalf("replay of the final checkpoint: %v %v runs %v", out.Log, err, counts(runs))
	}
	if h, _ := c.History(ctx, "t", graph.HistoryOptions{}); len(h) != len(hist) {
		t.Fatalf("replay of a finished checkpoint saved %d checkpoints", len(h)-len(hist))
	}
	out, err = c.Invoke(ctx, U{}, graph.Thread("t"), graph.FromCheckpoint(afterA.CheckpointID))
	if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c"}) || counts(runs) != [3]int32{1, 2, 2} {
		t.Fatalf("replay after a: %v %v runs %v", out.Log, err, counts(runs))
	}
}

// UpdateState on a past checkpoint forks the thread: through the reducers,
// partial, with the parent and source in History and steps advancing; END
// as the node makes a finished checkpoint.
func TestUpdateStateTimeTravel(t *testing.T) {
	ctx := context.Background()
	runs := map[string]*atomic.Int32{}
	c := countingChain(t, state.NewMemory(), runs)
	if _, err := c.Invoke(ctx, U{Note: "keep"}, graph.Thread("t")); err != nil {
		t.Fatal(err)
	}
	hist, _ := c.History(ctx, "t", graph.HistoryOptions{})
	afterA := hist[2]
	if !slices.Equal(afterA.State.Log, []string{"a"}) || afterA.State.Count != 1 {
		t.Fatalf("picked %+v", afterA.State)
	}
	// Partial: Note is not named and stays; Log appends; Count adds.
	id, err := c.UpdateState(ctx, "t", "a", U{Log: []string{"x"}, Count: 10}, graph.AtCheckpoint(afterA.CheckpointID))
	if err != nil {
		t.Fatal(err)
	}
	sn, _ := c.State(ctx, "t")
	if sn.CheckpointID != id || sn.ParentID != afterA.CheckpointID || sn.Source != "update" || sn.Step != afterA.Step+1 || !slices.Equal(sn.Next, []string{"b"}) {
		t.Fatalf("fork head %+v", sn.CheckpointInfo)
	}
	if want := []string{"a", "x"}; !slices.Equal(sn.State.Log, want) || sn.State.Count != 11 || sn.State.Note != "keep" {
		t.Fatalf("fork state %+v, want log %v, count 11, note keep", sn.State, want)
	}
	out, err := c.Invoke(ctx, U{}, graph.Thread("t"))
	if err != nil || !slices.Equal(out.Log, []string{"a", "x", "b", "c"}) || out.Count != 13 {
		t.Fatalf("run on the fork: %+v %v", out, err)
	}
	all, _ := c.History(ctx, "t", graph.HistoryOptions{})
	for i := 0; i+1 < len(all) && all[i].CheckpointID != id; i++ {
		if all[i].Step <= all[i+1].Step && all[i+1].CheckpointID != afterA.CheckpointID {
			t.Fatalf("steps do not advance: %d then %d", all[i+1].Step, all[i].Step)
		}
	}
	// The original branch is intact.
	if !slices.Equal(hist[0].State.Log, []string{"a", "b", "c"}) {
		t.Fatalf("original %v", hist[0].State.Log)
	}

	// UpdateFields writes a zero value; END finishes the thread there.
	if _, err := c.UpdateState(ctx, "t", graph.END, U{}, graph.UpdateFields("Note")); err != nil {
		t.Fatal(err)
	}
	sn, _ = c.State(ctx, "t")
	if sn.State.Note != "" || len(sn.Next) != 0 || !slices.Equal(sn.State.Log, []string{"a", "x", "b", "c"}) {
		t.Fatalf("after END update: %+v", sn)
	}
	if _, err := c.UpdateState(ctx, "t", "", U{}, graph.UpdateFields("Nope")); err == nil || !strings.Contains(err.Error(), `"Nope"`) {
		t.Fatalf("unknown field: %v", err)
	}
	if _, err := c.UpdateState(ctx, "t", "", U{}, graph.AtCheckpoint("missing")); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("unknown checkpoint: %v", err)
	}
}

// DeleteThread removes the thread from the store and from the process's
// memory: the next run starts afresh.
func TestDeleteThread(t *testing.T) {
	ctx := context.Background()
	runs := map[string]*atomic.Int32{}
	mem := state.NewMemory()
	c := countingChain(t, mem, runs)
	if _, err := c.Invoke(ctx, U{}, graph.Thread("t")); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteThread(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.State(ctx, "t"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("state after delete: %v", err)
	}
	out, err := c.Invoke(ctx, U{}, graph.Thread("t"))
	if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c"}) {
		t.Fatalf("after delete: %v %v", out.Log, err)
	}
	if err := c.DeleteThread(ctx, "never"); err != nil {
		t.Fatal(err)
	}
}
