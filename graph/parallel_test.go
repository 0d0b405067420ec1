package graph_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
)

// barrierState is the state of barrierGraph.
type barrierState struct {
	N int `reduce:"sum"`
}

// barrierGraph has n branches from START, each of which (after emitting
// its name when emit is set) waits until all n have started.
func barrierGraph(t *testing.T, n int, emit bool) *graph.Compiled[barrierState] {
	var started atomic.Int32
	all := make(chan struct{})
	g := graph.New[barrierState]()
	for i := range n {
		name := "b" + strconv.Itoa(i)
		g.AddNode(name, func(ctx context.Context, s barrierState) (barrierState, error) {
			if emit {
				graph.Emit(ctx, name)
			}
			if started.Add(1) == int32(n) {
				close(all)
			}
			select {
			case <-all:
			case <-time.After(5 * time.Second):
				return s, errors.New("the other branches did not start")
			}
			s.N++
			return s, nil
		})
		g.AddEdge(graph.START, name).AddEdge(name, graph.END)
	}
	return mustCompile(t, g)
}

// Every branch of a step gets a goroutine of its own when it needs one:
// branches that each wait for all the others to start all finish.
func TestParallelBranchesRunTogether(t *testing.T) {
	const n = 12
	for round := range 3 {
		out, err := barrierGraph(t, n, false).Invoke(context.Background(), barrierState{})
		if err != nil || out.N != n {
			t.Fatalf("round %d: N = %d, err = %v; want %d, nil", round, out.N, err, n)
		}
	}
}

// The same holds in a Stream, where the caller pumps events instead of
// running tasks.
func TestParallelBranchesRunTogetherStream(t *testing.T) {
	const n = 5
	c := barrierGraph(t, n, true)
	customs := 0
	var last barrierState
	for ev, err := range c.Stream(context.Background(), barrierState{}) {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind {
		case graph.EventCustom:
			customs++
		case graph.EventState:
			last = ev.State
		}
	}
	if customs != n || last.N != n {
		t.Fatalf("custom events %d, N = %d; want %d, %d", customs, last.N, n, n)
	}
}

// Runs reuse pooled buffers: runs one after another and at the same time,
// some failing mid-step, all give their own exact results.
func TestParallelBuffersReusedAcrossRuns(t *testing.T) {
	type P struct {
		N    int      `reduce:"sum"`
		Log  []string `reduce:"append"`
		Fail bool
	}
	bad := errors.New("bad")
	g := graph.New[P]()
	for i := range 4 {
		name := "b" + strconv.Itoa(i)
		g.AddNode(name, func(ctx context.Context, s P) (P, error) {
			if s.Fail && i == 2 {
				return s, bad
			}
			if s.Fail {
				<-ctx.Done() // cancelled by the failing sibling
				return s, ctx.Err()
			}
			s.N++
			s.Log = append(s.Log, name)
			return s, nil
		})
	}
	g.AddNode("join", func(_ context.Context, s P) (P, error) {
		s.Log = append(s.Log, "join")
		return s, nil
	})
	g.AddConditionalEdges(graph.START, func(P) []string { return []string{"b0", "b1", "b2", "b3"} }, "b0", "b1", "b2", "b3")
	g.AddJoin("join", "b0", "b1", "b2", "b3")
	g.AddEdge("join", graph.END)
	c := mustCompile(t, g)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				fail := (w+i)%3 == 0
				out, err := c.Invoke(context.Background(), P{Fail: fail})
				if fail {
					if !errors.Is(err, bad) {
						t.Errorf("failing run: err = %v, want %v", err, bad)
					}
					continue
				}
				if err != nil || out.N != 4 || len(out.Log) != 5 || out.Log[0] != "b0" || out.Log[3] != "b3" || out.Log[4] != "join" {
					t.Errorf("run: %+v, %v", out, err)
				}
			}
		}()
	}
	wg.Wait()
}

// A step of 8 parallel branches allocates a bounded, small number of
// objects: no closure or goroutine record per task.
func TestParallelStepAllocs(t *testing.T) {
	type P struct {
		N int `reduce:"sum"`
	}
	g := graph.New[P]()
	for i := range 8 {
		name := "b" + strconv.Itoa(i)
		g.AddNode(name, func(_ context.Context, s P) (P, error) {
			s.N++
			return s, nil
		})
		g.AddEdge(graph.START, name).AddEdge(name, graph.END)
	}
	c := mustCompile(t, g)
	ctx := context.Background()
	var out P
	var err error
	allocs := testing.AllocsPerRun(200, func() {
		out, err = c.Invoke(ctx, P{})
	})
	if err != nil || out.N != 8 {
		t.Fatalf("N = %d, err = %v", out.N, err)
	}
	if allocs > 6 {
		t.Fatalf("%.1f allocations per run of 8 branches, want at most 6", allocs)
	}
	t.Logf("%.1f allocations per run", allocs)
}
