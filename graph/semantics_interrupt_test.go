package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// irState is the state of the interrupt scenarios.
type irState struct {
	Log     []string `reduce:"append"`
	Answers []string `reduce:"append"`
	N       int
}

type irCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *irCounter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name]++
}

func (c *irCounter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

func irInterrupted(t *testing.T, err error) *graph.InterruptedError {
	t.Helper()
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an *InterruptedError", err)
	}
	return ie
}

// Two Interrupt calls in one node are answered in order: the first resume
// re-runs the node from its start, returns the first answer and pauses at
// the second call; the second resume completes the node with both answers.
func TestTwoInterruptsInOneNodeAnsweredInOrder(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	g := graph.New[irState]().
		AddNode("ask", func(ctx context.Context, s irState) (irState, error) {
			runs.add("ask")
			a, err := graph.Interrupt[string](ctx, "first?")
			if err != nil {
				return s, err
			}
			b, err := graph.Interrupt[string](ctx, "second?")
			if err != nil {
				return s, err
			}
			s.Answers = append(s.Answers, a, b)
			return s, nil
		}).
		AddEdge(graph.START, "ask").AddEdge("ask", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()))

	_, err := c.Invoke(ctx, irState{}, graph.Thread("t"))
	ie := irInterrupted(t, err)
	if len(ie.Interrupts) != 1 || string(ie.Interrupts[0].Payload) != `"first?"` || ie.Interrupts[0].Node != "ask" || ie.Interrupts[0].Kind != graph.InterruptNode {
		t.Fatalf("first pause %+v", ie.Interrupts)
	}
	firstID := ie.Interrupts[0].ID

	_, err = c.Invoke(ctx, irState{}, graph.Thread("t"), graph.Resume("A"))
	ie = irInterrupted(t, err)
	if len(ie.Interrupts) != 1 || string(ie.Interrupts[0].Payload) != `"second?"` {
		t.Fatalf("second pause %+v", ie.Interrupts)
	}
	if ie.Interrupts[0].ID == firstID {
		t.Errorf("second interrupt reuses the first's id %q", firstID)
	}

	out, err := c.Invoke(ctx, irState{}, graph.Thread("t"), graph.Resume("B"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Answers, []string{"A", "B"}) {
		t.Errorf("Answers %v, want [A B]", out.Answers)
	}
	if runs.get("ask") != 3 {
		t.Errorf("ask ran %d times, want 3 (from its start on every resume)", runs.get("ask"))
	}
}

// Interrupts of two parallel nodes pause the step together with distinct
// ids; a sibling that finished keeps its writes and is not run again; a
// single Resume value is refused while several are pending; answering one
// id runs that node while the other pauses again; the next step sees the
// writes of all three.
func TestParallelInterruptsPartialResume(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	asker := func(name string) graph.NodeFunc[irState] {
		return func(ctx context.Context, s irState) (irState, error) {
			runs.add(name)
			a, err := graph.Interrupt[string](ctx, name+"?")
			if err != nil {
				return s, err
			}
			s.Answers = append(s.Answers, name+"="+a)
			return s, nil
		}
	}
	g := graph.New[irState]().
		AddNode("p", asker("p")).
		AddNode("q", asker("q")).
		AddNode("r", func(_ context.Context, s irState) (irState, error) {
			runs.add("r")
			s.Log = append(s.Log, "r")
			return s, nil
		}).
		AddNode("after", func(_ context.Context, s irState) (irState, error) {
			runs.add("after")
			s.Log = append(s.Log, "after:"+strings.Join(s.Answers, ","))
			return s, nil
		}).
		AddEdge(graph.START, "p").AddEdge(graph.START, "q").AddEdge(graph.START, "r").
		AddJoin("after", "p", "q", "r").
		AddEdge("after", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()))

	_, err := c.Invoke(ctx, irState{}, graph.Thread("t"))
	ie := irInterrupted(t, err)
	if len(ie.Interrupts) != 2 {
		t.Fatalf("pending %+v, want two", ie.Interrupts)
	}
	ids := map[string]string{}
	for _, p := range ie.Interrupts {
		ids[p.Node] = p.ID
	}
	if ids["p"] == "" || ids["q"] == "" || ids["p"] == ids["q"] {
		t.Fatalf("interrupt ids %v, want distinct ids for p and q", ids)
	}
	sn, err := c.State(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sn.Next, []string{"p", "q", "r"}) || len(sn.Tasks) != 3 || !sn.Tasks[2].Done || sn.Tasks[0].Done || sn.Tasks[1].Done {
		t.Errorf("snapshot Next %v Tasks %+v, want r done and p, q pending", sn.Next, sn.Tasks)
	}

	if _, err := c.Invoke(ctx, irState{}, graph.Thread("t"), graph.Resume("x")); err == nil || errors.Is(err, graph.ErrInterrupted) {
		t.Fatalf("Resume with two pending: err %v, want a refusal naming ResumeID", err)
	} else if !strings.Contains(err.Error(), "ResumeID") {
		t.Errorf("refusal %q does not say to use ResumeID", err)
	}

	_, err = c.Invoke(ctx, irState{}, graph.Thread("t"), graph.ResumeID(ids["p"], "P"))
	ie = irInterrupted(t, err)
	if len(ie.Interrupts) != 1 || ie.Interrupts[0].Node != "q" || ie.Interrupts[0].ID != ids["q"] {
		t.Fatalf("after answering p: pending %+v, want only q with its id", ie.Interrupts)
	}

	out, err := c.Invoke(ctx, irState{}, graph.Thread("t"), graph.ResumeID(ids["q"], "Q"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Answers, []string{"p=P", "q=Q"}) || !slices.Equal(out.Log, []string{"r", "after:p=P,q=Q"}) {
		t.Errorf("final %+v", out)
	}
	if runs.get("r") != 1 || runs.get("p") != 2 || runs.get("q") != 3 || runs.get("after") != 1 {
		t.Errorf("runs p=%d q=%d r=%d after=%d, want 2 3 1 1", runs.get("p"), runs.get("q"), runs.get("r"), runs.get("after"))
	}
}

// A resume value for an id that is not pending fails without touching the
// thread; the thread stays paused and takes the right answer afterwards.
func TestResumeUnknownIDLeavesThreadPaused(t *testing.T) {
	ctx := context.Background()
	g := graph.New[irState]().
		AddNode("ask", func(ctx context.Context, s irState) (irState, error) {
			a, err := graph.Interrupt[string](ctx, "?")
			if err != nil {
				return s, err
			}
			s.Answers = append(s.Answers, a)
			return s, nil
		}).
		AddEdge(graph.START, "ask").AddEdge("ask", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	_, err := c.Invoke(ctx, irState{}, graph.Thread("t"))
	ie := irInterrupted(t, err)
	before, _ := c.State(ctx, "t")

	_, err = c.Invoke(ctx, irState{}, graph.Thread("t"), graph.ResumeID("no-such-id", "x"))
	if !errors.Is(err, graph.ErrNoPendingInterrupt) {
		t.Fatalf("unknown id: err %v, want ErrNoPendingInterrupt", err)
	}
	after, _ := c.State(ctx, "t")
	if after.CheckpointID != before.CheckpointID || len(after.Interrupts) != 1 {
		t.Errorf("thread changed: before %s, after %s with %d interrupts", before.CheckpointID, after.CheckpointID, len(after.Interrupts))
	}
	out, err := c.Invoke(ctx, irState{}, graph.Thread("t"), graph.ResumeID(ie.Interrupts[0].ID, "ok"))
	if err != nil || !slices.Equal(out.Answers, []string{"ok"}) {
		t.Fatalf("resume: %v %+v", err, out)
	}
}

// A static breakpoint before a node pauses with that node as the next step
// and the node not run; continuing the thread with the zero state runs it.
// A breakpoint after the same node then pauses with its writes applied and
// the following node next.
func TestBreakpointsBeforeAndAfter(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	node := func(name string) graph.NodeFunc[irState] {
		return func(_ context.Context, s irState) (irState, error) {
			runs.add(name)
			s.Log = append(s.Log, name)
			return s, nil
		}
	}
	g := graph.New[irState]().
		AddNode("a", node("a")).AddNode("b", node("b")).AddNode("c", node("c")).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()), graph.WithInterruptBefore("b"), graph.WithInterruptAfter("b"))

	_, err := c.Invoke(ctx, irState{}, graph.Thread("t"))
	ie := irInterrupted(t, err)
	if len(ie.Interrupts) != 1 || ie.Interrupts[0].Kind != graph.InterruptBefore || ie.Interrupts[0].Node != "b" {
		t.Fatalf("pause %+v, want a before-breakpoint at b", ie.Interrupts)
	}
	sn, _ := c.State(ctx, "t")
	if !slices.Equal(sn.Next, []string{"b"}) || !slices.Equal(sn.State.Log, []string{"a"}) || runs.get("b") != 0 {
		t.Errorf("at breakpoint: Next %v Log %v b ran %d, want [b] [a] 0", sn.Next, sn.State.Log, runs.get("b"))
	}

	_, err = c.Invoke(ctx, irState{}, graph.Thread("t"))
	ie = irInterrupted(t, err)
	if len(ie.Interrupts) != 1 || ie.Interrupts[0].Kind != graph.InterruptAfter || ie.Interrupts[0].Node != "b" {
		t.Fatalf("second pause %+v, want an after-breakpoint at b", ie.Interrupts)
	}
	sn, _ = c.State(ctx, "t")
	if !slices.Equal(sn.State.Log, []string{"a", "b"}) || !slices.Equal(sn.Next, []string{"c"}) {
		t.Errorf("after b: Log %v Next %v, want [a b] and [c]", sn.State.Log, sn.Next)
	}

	out, err := c.Invoke(ctx, irState{}, graph.Thread("t"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Log, []string{"a", "b", "c"}) || runs.get("a") != 1 || runs.get("b") != 1 || runs.get("c") != 1 {
		t.Errorf("final Log %v runs a=%d b=%d c=%d", out.Log, runs.get("a"), runs.get("b"), runs.get("c"))
	}
}

// A breakpoint after the last node pauses the run too, as LangGraph's
// interrupt_after does whether or not a step follows (after_tick raises
// GraphInterrupt after saving the checkpoint): the final answer can be
// reviewed before the run reports it finished.
func TestBreakpointAfterLastNodePauses(t *testing.T) {
	ctx := context.Background()
	g := graph.New[irState]().
		AddNode("a", func(_ context.Context, s irState) (irState, error) {
			s.Log = append(s.Log, "a")
			return s, nil
		}).
		AddNode("final", func(_ context.Context, s irState) (irState, error) {
			s.Log = append(s.Log, "final")
			return s, nil
		}).
		AddEdge(graph.START, "a").AddEdge("a", "final").AddEdge("final", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()), graph.WithInterruptAfter("final"))
	out, err := c.Invoke(ctx, irState{}, graph.Thread("t"))
	if !errors.Is(err, graph.ErrInterrupted) {
		t.Fatalf("err = %v (Log %v), want a pause after final", err, out.Log)
	}
	out, err = c.Invoke(ctx, irState{}, graph.Thread("t"))
	if err != nil || !slices.Equal(out.Log, []string{"a", "final"}) {
		t.Errorf("continued: %v %v, want [a final] and no error", out.Log, err)
	}
}

// The step limit bounds each run, not the thread: a resumed run gets a
// fresh budget, as LangGraph's recursion_limit applies per invocation.
func TestStepLimitIsPerRunAcrossResume(t *testing.T) {
	ctx := context.Background()
	g := graph.New[irState]().
		AddNode("inc", func(ctx context.Context, s irState) (irState, error) {
			if s.N == 3 {
				if _, err := graph.Interrupt[string](ctx, "continue?"); err != nil {
					return s, err
				}
			}
			s.N++
			return s, nil
		}).
		AddEdge(graph.START, "inc").
		AddConditionalEdge("inc", func(s irState) string {
			if s.N < 6 {
				return "inc"
			}
			return graph.END
		}, "inc", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()), graph.WithStepLimit(4))
	_, err := c.Invoke(ctx, irState{}, graph.Thread("t"))
	ie := irInterrupted(t, err)
	if ie.Step != 3 {
		t.Errorf("paused at step %d, want 3", ie.Step)
	}
	out, err := c.Invoke(ctx, irState{}, graph.Thread("t"), graph.Resume("yes"))
	if err != nil {
		t.Fatalf("resume with a fresh budget of 4 steps (3 needed): %v", err)
	}
	if out.N != 6 {
		t.Errorf("N %d, want 6", out.N)
	}
}

// An Interrupt inside a subgraph run as a node pauses the outer run; the
// pending interrupt is named "outer/inner"; resuming answers it and the
// outer run goes on.
func TestInterruptInsideSubgraphAnswered(t *testing.T) {
	ctx := context.Background()
	var runs irCounter
	inner := graph.New[irState]().
		AddNode("prep", func(_ context.Context, s irState) (irState, error) {
			runs.add("prep")
			s.Log = append(s.Log, "prep")
			return s, nil
		}).
		AddNode("ask", func(ctx context.Context, s irState) (irState, error) {
			runs.add("ask")
			a, err := graph.Interrupt[string](ctx, "inner?")
			if err != nil {
				return s, err
			}
			s.Answers = append(s.Answers, a)
			return s, nil
		}).
		AddEdge(graph.START, "prep").AddEdge("prep", "ask").AddEdge("ask", graph.END)
	ic := ssCompile(t, inner)
	outer := graph.New[irState]().
		AddNode("before", func(_ context.Context, s irState) (irState, error) {
			runs.add("before")
			s.Log = append(s.Log, "before")
			return s, nil
		}).
		AddNode("sub", ic.AsNode()).
		AddNode("after", func(_ context.Context, s irState) (irState, error) {
			runs.add("after")
			s.Log = append(s.Log, "after")
			return s, nil
		}).
		AddEdge(graph.START, "before").AddEdge("before", "sub").AddEdge("sub", "after").AddEdge("after", graph.END)
	c := ssCompile(t, outer, graph.WithCheckpointer(state.NewMemory()))
	_, err := c.Invoke(ctx, irState{}, graph.Thread("t"))
	ie := irInterrupted(t, err)
	if len(ie.Interrupts) != 1 || ie.Interrupts[0].Node != "sub/ask" || string(ie.Interrupts[0].Payload) != `"inner?"` {
		t.Fatalf("pending %+v, want sub/ask", ie.Interrupts)
	}
	out, err := c.Invoke(ctx, irState{}, graph.Thread("t"), graph.Resume("yes"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Answers, []string{"yes"}) {
		t.Errorf("Answers %v, want [yes]", out.Answers)
	}
	// The subgraph runs again from its start on resume (documented on
	// AsNode), but its result is written once.
	if !slices.Equal(out.Log, []string{"before", "prep", "after"}) {
		t.Errorf("Log %v, want [before prep after]", out.Log)
	}
	if runs.get("before") != 1 || runs.get("after") != 1 || runs.get("ask") != 2 {
		t.Errorf("runs before=%d ask=%d after=%d, want 1 2 1", runs.get("before"), runs.get("ask"), runs.get("after"))
	}
}
