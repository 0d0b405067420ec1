package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// ssState is the state of the superstep scenarios.
type ssState struct {
	Log   []string `reduce:"append"`
	Sum   int      `reduce:"sum"`
	Seen  []string `reduce:"append"`
	Owner string
	N     int
	Item  string
	Round int
}

func ssCompile[T any](t *testing.T, g *graph.Graph[T], opts ...graph.CompileOption) *graph.Compiled[T] {
	t.Helper()
	c, err := g.Compile(opts...)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

func ssLog(name string) graph.NodeFunc[ssState] {
	return func(_ context.Context, s ssState) (ssState, error) {
		s.Log = append(s.Log, name)
		return s, nil
	}
}

// Parallel nodes read the same snapshot: a write of one is invisible to its
// siblings in the same step, and visible to every node of the next step.
func TestParallelNodesSeeSameSnapshot(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	reader := func(name string) graph.NodeFunc[ssState] {
		return func(_ context.Context, s ssState) (ssState, error) {
			mu.Lock()
			seen[name] = s.Sum
			mu.Unlock()
			s.Sum += 10
			return s, nil
		}
	}
	g := graph.New[ssState]().
		AddNode("a", reader("a")).
		AddNode("b", reader("b")).
		AddNode("c", reader("c")).
		AddEdge(graph.START, "a").AddEdge(graph.START, "b").
		AddJoin("c", "a", "b").
		AddEdge("c", graph.END)
	c := ssCompile(t, g)
	out, err := c.Invoke(context.Background(), ssState{Sum: 1})
	if err != nil {
		t.Fatal(err)
	}
	if seen["a"] != 1 || seen["b"] != 1 {
		t.Errorf("a and b saw Sum %d and %d, want both 1 (the step's input)", seen["a"], seen["b"])
	}
	if seen["c"] != 21 {
		t.Errorf("c saw Sum %d, want 21 (both parallel increments merged)", seen["c"])
	}
	if out.Sum != 31 {
		t.Errorf("final Sum %d, want 31", out.Sum)
	}
}

func ssSlow(name string, d time.Duration) graph.NodeFunc[ssState] {
	return func(ctx context.Context, s ssState) (ssState, error) {
		if err := graph.SleepContext(ctx, d); err != nil {
			return s, err
		}
		s.Log = append(s.Log, name)
		return s, nil
	}
}

// The merge order is node declaration order, not the order the edges were
// added in, and not completion order: the first-declared node finishes last.
func TestMergeOrderIsDeclarationNotEdgeOrCompletion(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("z", ssSlow("z", 30*time.Millisecond)).
		AddNode("m", ssSlow("m", 15*time.Millisecond)).
		AddNode("a", ssSlow("a", 0)).
		AddNode("first", ssLog("first")).
		AddEdge(graph.START, "first").
		// Edges added in the reverse of declaration order.
		AddEdge("first", "a").AddEdge("first", "m").AddEdge("first", "z").
		AddEdge("a", graph.END).AddEdge("m", graph.END).AddEdge("z", graph.END)
	c := ssCompile(t, g)
	for i := 0; i < 3; i++ {
		out, err := c.Invoke(context.Background(), ssState{})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"first", "z", "m", "a"}; !slices.Equal(out.Log, want) {
			t.Fatalf("run %d: Log %v, want %v (declaration order)", i, out.Log, want)
		}
	}
}

// The first step (the nodes START triggers) merges in declaration order
// too, whatever order the START edges were added in or a START router
// returned its targets in. Node-start events and task indexes follow the
// same order.
func TestFirstStepMergeOrderIsDeclarationOrder(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("z", ssSlow("z", 30*time.Millisecond)).
		AddNode("m", ssSlow("m", 15*time.Millisecond)).
		AddNode("a", ssSlow("a", 0)).
		AddEdge(graph.START, "a").AddEdge(graph.START, "m").AddEdge(graph.START, "z").
		AddEdge("a", graph.END).AddEdge("m", graph.END).AddEdge("z", graph.END)
	c := ssCompile(t, g)
	out, err := c.Invoke(context.Background(), ssState{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"z", "m", "a"}; !slices.Equal(out.Log, want) {
		t.Errorf("static START edges: Log %v, want %v (declaration order)", out.Log, want)
	}
	var starts []string
	for ev, err := range c.Stream(context.Background(), ssState{}, graph.Only(graph.EventNodeStart)) {
		if err != nil {
			t.Fatal(err)
		}
		starts = append(starts, ev.Node)
	}
	if want := []string{"z", "m", "a"}; !slices.Equal(starts, want) {
		t.Errorf("node-start order %v, want %v", starts, want)
	}

	r := graph.New[ssState]().
		AddNode("z", ssSlow("z", 30*time.Millisecond)).
		AddNode("a", ssSlow("a", 0)).
		AddConditionalEdges(graph.START, func(ssState) []string { return []string{"a", "z"} }, "a", "z").
		AddEdge("a", graph.END).AddEdge("z", graph.END)
	rc := ssCompile(t, r)
	out, err = rc.Invoke(context.Background(), ssState{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"z", "a"}; !slices.Equal(out.Log, want) {
		t.Errorf("START router: Log %v, want %v (declaration order)", out.Log, want)
	}

	// The same with a checkpointer: the input checkpoint's Next and the
	// merge follow declaration order.
	dc := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	out, err = dc.Invoke(context.Background(), ssState{}, graph.Thread("t"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"z", "m", "a"}; !slices.Equal(out.Log, want) {
		t.Errorf("checkpointed: Log %v, want %v", out.Log, want)
	}
	h, err := dc.History(context.Background(), "t", graph.HistoryOptions{Source: "input"})
	if err != nil || len(h) != 1 {
		t.Fatalf("input checkpoint: %d (%v)", len(h), err)
	}
	if want := []string{"z", "m", "a"}; !slices.Equal(h[0].Next, want) {
		t.Errorf("input checkpoint Next %v, want %v", h[0].Next, want)
	}
}

// Two parallel nodes writing a field without reducer fail the step with a
// ConflictError naming the field and both nodes, wrapped in a MergeError
// with the step number.
func TestConflictNamesFieldNodesAndStep(t *testing.T) {
	owner := func(name string) graph.NodeFunc[ssState] {
		return func(_ context.Context, s ssState) (ssState, error) {
			s.Owner = name
			s.Log = append(s.Log, name)
			return s, nil
		}
	}
	g := graph.New[ssState]().
		AddNode("first", ssLog("first")).
		AddNode("left", owner("left")).
		AddNode("right", owner("right")).
		AddEdge(graph.START, "first").
		AddEdge("first", "left").AddEdge("first", "right").
		AddEdge("left", graph.END).AddEdge("right", graph.END)
	c := ssCompile(t, g)
	_, err := c.Invoke(context.Background(), ssState{})
	var ce *state.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *state.ConflictError", err)
	}
	if ce.Field != "Owner" || !slices.Equal(ce.Nodes, []string{"left", "right"}) {
		t.Errorf("conflict on %q by %v, want Owner by [left right]", ce.Field, ce.Nodes)
	}
	var me *graph.MergeError
	if !errors.As(err, &me) || me.Step != 1 {
		t.Errorf("err = %v, want a *graph.MergeError of step 1", err)
	}
	for _, s := range []string{"Owner", `"left"`, `"right"`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q does not mention %s", err.Error(), s)
		}
	}
}

// Two Send branches of one node writing a field without reducer conflict
// too, as LangGraph's InvalidUpdateError does for two pushes to one key.
func TestSendBranchesConflictOnPlainField(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("plan", ssLog("plan")).
		AddNode("work", func(_ context.Context, s ssState) (ssState, error) {
			s.Owner = s.Item
			return s, nil
		}).
		AddEdge(graph.START, "plan").
		AddFanOut("plan", func(s ssState) []graph.Send[ssState] {
			return []graph.Send[ssState]{{Node: "work", State: ssState{Item: "x"}}, {Node: "work", State: ssState{Item: "y"}}}
		}, "work").
		AddEdge("work", graph.END)
	c := ssCompile(t, g)
	_, err := c.Invoke(context.Background(), ssState{})
	var ce *state.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *state.ConflictError", err)
	}
	if ce.Field != "Owner" || !slices.Equal(ce.Nodes, []string{"work", "work"}) {
		t.Errorf("conflict on %q by %v, want Owner by [work work]", ce.Field, ce.Nodes)
	}
}

// A join fires only once all of its sources have finished; sources that
// finished in an earlier pass of a loop count until the join fires
// (LangGraph's NamedBarrierValue), and after firing it waits for all again.
func TestJoinAcrossLoopPasses(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("router", func(_ context.Context, s ssState) (ssState, error) {
			s.Round++
			s.Log = append(s.Log, "router")
			return s, nil
		}).
		AddNode("b", ssLog("b")).
		AddNode("c", ssLog("c")).
		AddNode("d", ssLog("d")).
		AddNode("back", ssLog("back")).
		AddEdge(graph.START, "router").
		AddConditionalEdge("router", func(s ssState) string {
			// rounds 1 and 2 alternate b and c; round 3 b again; round 4 ends.
			switch s.Round {
			case 1, 3:
				return "b"
			case 2:
				return "c"
			}
			return graph.END
		}, "b", "c", graph.END).
		AddEdge("b", "back").AddEdge("c", "back").
		AddJoin("d", "b", "c").
		AddEdge("back", "router").
		AddEdge("d", graph.END)
	c := ssCompile(t, g)
	out, err := c.Invoke(context.Background(), ssState{})
	if err != nil {
		t.Fatal(err)
	}
	// d is declared before back, so in the step they share d's write is first.
	want := []string{"router", "b", "back", "router", "c", "d", "back", "router", "b", "back", "router"}
	if !slices.Equal(out.Log, want) {
		t.Errorf("Log %v\nwant %v", out.Log, want)
	}
}

// When only some of a join's sources ever run, the join target never runs
// and the run ends normally.
func TestJoinWithMissingSourceDoesNotFire(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("a", ssLog("a")).
		AddNode("b", ssLog("b")).
		AddNode("c", ssLog("c")).
		AddNode("d", ssLog("d")).
		AddEdge(graph.START, "a").
		AddConditionalEdges("a", func(ssState) []string { return []string{"b"} }, "b", "c").
		AddJoin("d", "b", "c").
		AddEdge("b", graph.END).AddEdge("c", graph.END).AddEdge("d", graph.END)
	c := ssCompile(t, g)
	out, err := c.Invoke(context.Background(), ssState{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b"}; !slices.Equal(out.Log, want) {
		t.Errorf("Log %v, want %v", out.Log, want)
	}
}

// Separate edges b->d and c->d (not a join) in one step trigger d once in
// the next step; in different steps they trigger it once per step.
func TestSeparateEdgesFireOncePerStep(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("a", ssLog("a")).
		AddNode("b", ssLog("b")).
		AddNode("c", ssLog("c")).
		AddNode("c2", ssLog("c2")).
		AddNode("d", ssLog("d")).
		AddEdge(graph.START, "a").
		AddEdge("a", "b").AddEdge("a", "c").
		AddEdge("b", "d").AddEdge("c", "c2").AddEdge("c", "d").AddEdge("c2", "d").
		AddEdge("d", graph.END)
	c := ssCompile(t, g)
	out, err := c.Invoke(context.Background(), ssState{})
	if err != nil {
		t.Fatal(err)
	}
	// step 0 a; step 1 b c; step 2 c2 d (d once for b and c); step 3 d (from c2).
	want := []string{"a", "b", "c", "c2", "d", "d"}
	if !slices.Equal(out.Log, want) {
		t.Errorf("Log %v, want %v", out.Log, want)
	}
}

// A router returning several targets runs them in parallel, a duplicate
// runs once, END among them ends only that branch, and an empty list ends it.
func TestConditionalEdgesManyTargetsWithEnd(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("a", ssLog("a")).
		AddNode("b", ssLog("b")).
		AddNode("c", ssLog("c")).
		AddEdge(graph.START, "a").
		AddConditionalEdges("a", func(ssState) []string {
			return []string{"c", graph.END, "b", "c"}
		}, "b", "c", graph.END).
		AddConditionalEdges("b", func(ssState) []string { return nil }, graph.END).
		AddEdge("c", graph.END)
	c := ssCompile(t, g)
	var steps [][]string
	for ev, err := range c.Stream(context.Background(), ssState{}, graph.Only(graph.EventNodeStart)) {
		if err != nil {
			t.Fatal(err)
		}
		for len(steps) <= ev.Step {
			steps = append(steps, nil)
		}
		steps[ev.Step] = append(steps[ev.Step], ev.Node)
	}
	if len(steps) != 2 || !slices.Equal(steps[0], []string{"a"}) || !slices.Equal(steps[1], []string{"b", "c"}) {
		t.Errorf("steps %v, want [[a] [b c]]", steps)
	}
}

// A router answering a name it did not declare fails the run with a
// RouteError naming the edge, the answer, the declared targets and the step.
func TestRouterUnknownTargetError(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("a", ssLog("a")).
		AddNode("b", ssLog("b")).
		AddNode("x", ssLog("x")).
		AddEdge(graph.START, "a").AddEdge("a", "b").
		AddConditionalEdge("b", func(ssState) string { return "x" }, graph.END).
		AddEdge("x", graph.END).AddEdge(graph.START, "x")
	c := ssCompile(t, g)
	_, err := c.Invoke(context.Background(), ssState{})
	var re *graph.RouteError
	if !errors.As(err, &re) || !errors.Is(err, graph.ErrUnknownRoute) {
		t.Fatalf("err = %v, want a *graph.RouteError", err)
	}
	if re.From != "b" || re.To != "x" || !slices.Equal(re.Declared, []string{graph.END}) || re.Step != 1 {
		t.Errorf("RouteError %+v, want From b To x Declared [END] Step 1", *re)
	}
}

// Send gives each branch its own input; a node triggered by a normal edge
// in the same step runs in addition to the Send branches, reading the
// step's state; writes merge in node declaration order, Sends in the order
// returned.
func TestSendCombinedWithNormalEdge(t *testing.T) {
	var mu sync.Mutex
	inputs := map[string]string{}
	g := graph.New[ssState]().
		AddNode("collect", func(_ context.Context, s ssState) (ssState, error) {
			s.Log = append(s.Log, "collect:"+s.Item)
			return s, nil
		}).
		AddNode("plan", func(_ context.Context, s ssState) (ssState, error) {
			s.Item = "main"
			return s, nil
		}).
		AddNode("work", func(_ context.Context, s ssState) (ssState, error) {
			mu.Lock()
			inputs[s.Item] = strings.Join(s.Log, ",")
			mu.Unlock()
			s.Log = append(s.Log, "work:"+s.Item)
			s.Sum++
			return s, nil
		}).
		AddEdge(graph.START, "plan").
		AddEdge("plan", "work").
		AddEdge("plan", "collect").
		AddFanOut("plan", func(s ssState) []graph.Send[ssState] {
			return []graph.Send[ssState]{
				{Node: "work", State: ssState{Item: "s2", Log: []string{"own2"}}},
				{Node: "work", State: ssState{Item: "s1"}},
			}
		}, "work").
		AddEdge("work", graph.END).AddEdge("collect", graph.END)
	c := ssCompile(t, g)
	out, err := c.Invoke(context.Background(), ssState{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Sum != 3 {
		t.Errorf("Sum %d, want 3 (two Sends plus the edge-triggered run)", out.Sum)
	}
	if inputs["s2"] != "own2" || inputs["s1"] != "" || inputs["main"] != "" {
		t.Errorf("work inputs %v, want own Log per Send and the step state for the edge run", inputs)
	}
	// collect is declared first, so its write comes first; then work's
	// tasks. The two Send branches keep the order returned.
	if len(out.Log) != 4 || out.Log[0] != "collect:main" {
		t.Fatalf("Log %v, want collect first and three work entries", out.Log)
	}
	i2, i1 := slices.Index(out.Log, "work:s2"), slices.Index(out.Log, "work:s1")
	if i2 < 0 || i1 < 0 || i2 > i1 || !slices.Contains(out.Log, "work:main") {
		t.Errorf("Log %v, want work:s2 before work:s1 and work:main present", out.Log)
	}
}

// A fan-out returning no Send ends that branch, as a LangGraph router
// returning an empty list does.
func TestFanOutNoSendsEnds(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("plan", ssLog("plan")).
		AddNode("work", ssLog("work")).
		AddEdge(graph.START, "plan").
		AddFanOut("plan", func(ssState) []graph.Send[ssState] { return nil }, "work").
		AddEdge("work", graph.END)
	c := ssCompile(t, g)
	out, err := c.Invoke(context.Background(), ssState{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Log, []string{"plan"}) {
		t.Errorf("Log %v, want [plan]", out.Log)
	}
}

// The step limit counts supersteps as LangGraph's recursion_limit does: a
// run that needs exactly n steps finishes under limit n and fails under
// n-1, with an error that names the limit and how to raise it and that
// leaves the state of the steps that ran.
func TestStepLimitExactBoundary(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("inc", func(_ context.Context, s ssState) (ssState, error) {
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
	c := ssCompile(t, g)
	out, err := c.Invoke(context.Background(), ssState{}, graph.StepLimit(5))
	if err != nil || out.N != 5 {
		t.Fatalf("limit 5: N %d err %v, want 5 and no error", out.N, err)
	}
	out, err = c.Invoke(context.Background(), ssState{}, graph.StepLimit(4))
	var sle *graph.StepLimitError
	if !errors.As(err, &sle) || sle.Limit != 4 || !errors.Is(err, graph.ErrStepLimit) {
		t.Fatalf("limit 4: err %v, want a *StepLimitError with Limit 4", err)
	}
	if !strings.Contains(err.Error(), "4") || !strings.Contains(err.Error(), "StepLimit") || !strings.Contains(err.Error(), "WithStepLimit") {
		t.Errorf("message %q should name the limit and how to raise it", err.Error())
	}
	if out.N != 4 {
		t.Errorf("state after the limit: N %d, want 4", out.N)
	}

	// The same boundary for a parallel graph: a step of two nodes counts once.
	p := graph.New[ssState]().
		AddNode("a", ssLog("a")).AddNode("b", ssLog("b")).AddNode("c", ssLog("c")).
		AddEdge(graph.START, "a").AddEdge(graph.START, "b").
		AddJoin("c", "a", "b").AddEdge("c", graph.END)
	pc := ssCompile(t, p)
	if _, err := pc.Invoke(context.Background(), ssState{}, graph.StepLimit(2)); err != nil {
		t.Errorf("two steps under limit 2: %v", err)
	}
	if _, err := pc.Invoke(context.Background(), ssState{}, graph.StepLimit(1)); !errors.Is(err, graph.ErrStepLimit) {
		t.Errorf("two steps under limit 1: err %v, want ErrStepLimit", err)
	}
}

// StepsLeft tells a node how many steps the run may still start.
func TestStepsLeftCountsDown(t *testing.T) {
	var lefts []int
	g := graph.New[ssState]().
		AddNode("inc", func(ctx context.Context, s ssState) (ssState, error) {
			left, ok := graph.StepsLeft(ctx)
			if !ok {
				return s, errors.New("StepsLeft not ok inside a node")
			}
			lefts = append(lefts, left)
			s.N++
			return s, nil
		}).
		AddEdge(graph.START, "inc").
		AddConditionalEdge("inc", func(s ssState) string {
			if s.N < 3 {
				return "inc"
			}
			return graph.END
		}, "inc", graph.END)
	c := ssCompile(t, g)
	if _, err := c.Invoke(context.Background(), ssState{}, graph.StepLimit(3)); err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 1, 0}; !slices.Equal(lefts, want) {
		t.Errorf("StepsLeft %v, want %v", lefts, want)
	}
}

// Results are the same on every run, whatever the scheduling: a wide
// fan-out with random-ish delays merges identically each time.
func TestDeterministicWideFanOut(t *testing.T) {
	g := graph.New[ssState]().
		AddNode("plan", ssLog("plan")).
		AddNode("work", func(ctx context.Context, s ssState) (ssState, error) {
			d := time.Duration((len(s.Item)*7)%5) * time.Millisecond
			if err := graph.SleepContext(ctx, d); err != nil {
				return s, err
			}
			s.Log = append(s.Log, s.Item)
			s.Sum += len(s.Item)
			return s, nil
		}).
		AddNode("done", ssLog("done")).
		AddEdge(graph.START, "plan").
		AddFanOut("plan", func(ssState) []graph.Send[ssState] {
			var out []graph.Send[ssState]
			for _, it := range []string{"eeeee", "a", "ccc", "bb", "dddd", "ffffff", "g"} {
				out = append(out, graph.Send[ssState]{Node: "work", State: ssState{Item: it}})
			}
			return out
		}, "work").
		AddEdge("work", "done").
		AddEdge("done", graph.END)
	c := ssCompile(t, g)
	want := []string{"plan", "eeeee", "a", "ccc", "bb", "dddd", "ffffff", "g", "done"}
	for i := 0; i < 10; i++ {
		out, err := c.Invoke(context.Background(), ssState{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.Log, want) || out.Sum != 22 {
			t.Fatalf("run %d: Log %v Sum %d, want %v and 22", i, out.Log, out.Sum, want)
		}
	}
}
