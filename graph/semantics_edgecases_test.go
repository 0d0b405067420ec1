package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// Interrupts raised by two Send branches of one node get distinct ids, and
// each branch gets its own answer back on resume.
func TestInterruptsInSendBranchesHaveDistinctIDs(t *testing.T) {
	ctx := context.Background()
	g := graph.New[ssState]().
		AddNode("plan", ssLog("plan")).
		AddNode("review", func(ctx context.Context, s ssState) (ssState, error) {
			a, err := graph.Interrupt[string](ctx, "review "+s.Item)
			if err != nil {
				return s, err
			}
			s.Log = append(s.Log, s.Item+"="+a)
			return s, nil
		}).
		AddEdge(graph.START, "plan").
		AddFanOut("plan", func(ssState) []graph.Send[ssState] {
			return []graph.Send[ssState]{{Node: "review", State: ssState{Item: "x"}}, {Node: "review", State: ssState{Item: "y"}}}
		}, "review").
		AddEdge("review", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	_, err := c.Invoke(ctx, ssState{}, graph.Thread("t"))
	ie := irInterrupted(t, err)
	if len(ie.Interrupts) != 2 || ie.Interrupts[0].ID == ie.Interrupts[1].ID {
		t.Fatalf("pending %+v, want two with distinct ids", ie.Interrupts)
	}
	byPayload := map[string]string{}
	for _, p := range ie.Interrupts {
		byPayload[string(p.Payload)] = p.ID
	}
	out, err := c.Invoke(ctx, ssState{}, graph.Thread("t"),
		graph.ResumeID(byPayload[`"review y"`], "Y"), graph.ResumeID(byPayload[`"review x"`], "X"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Log, []string{"plan", "x=X", "y=Y"}) {
		t.Errorf("Log %v, want [plan x=X y=Y]", out.Log)
	}
}

// A run stopped by its step limit leaves the thread at its last checkpoint:
// continuing it with a higher limit goes on from there without running the
// finished steps again, as invoking a LangGraph thread with None after a
// GraphRecursionError does.
func TestContinueAfterStepLimit(t *testing.T) {
	ctx := context.Background()
	var runs int
	g := graph.New[ssState]().
		AddNode("inc", func(_ context.Context, s ssState) (ssState, error) {
			runs++
			s.N++
			return s, nil
		}).
		AddEdge(graph.START, "inc").
		AddConditionalEdge("inc", func(s ssState) string {
			if s.N < 5 {
				return "inc"
			}
			return graph.END
		}, "inc", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	if _, err := c.Invoke(ctx, ssState{}, graph.Thread("t"), graph.StepLimit(3)); !errors.Is(err, graph.ErrStepLimit) {
		t.Fatalf("err %v, want ErrStepLimit", err)
	}
	sn, err := c.State(ctx, "t")
	if err != nil || sn.State.N != 3 || !slices.Equal(sn.Next, []string{"inc"}) {
		t.Fatalf("after the limit: N %d Next %v (%v), want 3 and [inc]", sn.State.N, sn.Next, err)
	}
	out, err := c.Invoke(ctx, ssState{}, graph.Thread("t"), graph.StepLimit(10))
	if err != nil || out.N != 5 || runs != 5 {
		t.Errorf("continued: N %d runs %d err %v, want 5 and 5", out.N, runs, err)
	}
}

// A join's progress is kept when its target runs through another edge:
// b finishes in step 0, d runs in step 1 through x->d, c finishes in step
// 2, and the join fires d again in step 3. This is LangGraph's behaviour
// (the barrier channel is consumed only when it is what triggered the node).
func TestJoinProgressWhenTargetRunsByOtherEdge(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("b", ssLog("b")).
		AddNode("x", ssLog("x")).
		AddNode("y", ssLog("y")).
		AddNode("c", ssLog("c")).
		AddNode("d", ssLog("d")).
		AddEdge(graph.START, "b").AddEdge(graph.START, "x").
		AddEdge("x", "d").
		AddEdge("b", "y").AddEdge("y", "c").
		AddJoin("d", "b", "c").
		AddEdge("c", graph.END).AddEdge("d", graph.END)
	out, err := ssCompile(t, g).Invoke(context.Background(), ssState{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"b", "x", "y", "d", "c", "d"}; !slices.Equal(out.Log, want) {
		t.Errorf("Log %v, want %v", out.Log, want)
	}
}

// A resume value that does not decode into the Interrupt's type fails the
// run with an error naming the problem, and the thread stays paused so a
// good answer can still be given.
func TestResumeValueOfWrongType(t *testing.T) {
	ctx := context.Background()
	g := graph.New[ssState]().
		AddNode("ask", func(ctx context.Context, s ssState) (ssState, error) {
			n, err := graph.Interrupt[int](ctx, "how many?")
			if err != nil {
				return s, err
			}
			s.N = n
			return s, nil
		}).
		AddEdge(graph.START, "ask").AddEdge("ask", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	_, err := c.Invoke(ctx, ssState{}, graph.Thread("t"))
	irInterrupted(t, err)
	_, err = c.Invoke(ctx, ssState{}, graph.Thread("t"), graph.Resume("many"))
	if err == nil || errors.Is(err, graph.ErrInterrupted) {
		t.Fatalf("wrong-type answer: err %v, want a failure", err)
	}
	if !strings.Contains(err.Error(), "does not decode into int") || !strings.Contains(err.Error(), `"ask"`) {
		t.Errorf("wrong-type answer: message %q should name the node and the type", err)
	}
	out, err := c.Invoke(ctx, ssState{}, graph.Thread("t"), graph.Resume(4))
	if err != nil || out.N != 4 {
		t.Errorf("good answer after a bad one: N %d err %v, want 4", out.N, err)
	}
}

// Under DurabilityAsync every checkpoint is saved by the time Invoke
// returns.
func TestDurabilityAsyncSavedBeforeReturn(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	c := ttChain(t, &runs, graph.WithDurability(graph.DurabilityAsync))
	if _, err := c.Invoke(ctx, ttState{}, graph.Thread("t")); err != nil {
		t.Fatal(err)
	}
	h, err := c.History(ctx, "t", graph.HistoryOptions{})
	if err != nil || len(h) != 4 || len(h[0].Next) != 0 || !slices.Equal(h[0].State.Log, []string{"a:", "b:", "c:"}) {
		t.Errorf("history %d entries (%v), want 4 ending finished", len(h), err)
	}
}

// UpdateState as a node with a conditional edge routes by that edge's
// router on the updated state.
func TestUpdateStateAsRouterNode(t *testing.T) {
	ctx := context.Background()
	g := graph.New[ssState]().
		AddNode("decide", ssLog("decide")).
		AddNode("yes", ssLog("yes")).
		AddNode("no", ssLog("no")).
		AddEdge(graph.START, "decide").
		AddConditionalEdge("decide", func(s ssState) string {
			if s.Owner == "approve" {
				return "yes"
			}
			return "no"
		}, "yes", "no").
		AddEdge("yes", graph.END).AddEdge("no", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()), graph.WithInterruptBefore("decide"))
	if _, err := c.Invoke(ctx, ssState{}, graph.Thread("t")); !errors.Is(err, graph.ErrInterrupted) {
		t.Fatalf("err %v, want a pause before decide", err)
	}
	if _, err := c.UpdateState(ctx, "t", "decide", ssState{Owner: "approve"}); err != nil {
		t.Fatal(err)
	}
	sn, _ := c.State(ctx, "t")
	if !slices.Equal(sn.Next, []string{"yes"}) {
		t.Errorf("Next %v, want [yes]", sn.Next)
	}
	out, err := c.Invoke(ctx, ssState{}, graph.Thread("t"))
	if err != nil || !slices.Equal(out.Log, []string{"yes"}) {
		t.Errorf("continued: Log %v err %v, want [yes]", out.Log, err)
	}
}
