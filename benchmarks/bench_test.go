// Package benchmarks runs the same three graph workloads on jedisos and on
// two peer Go graph runtimes, in one `go test -bench` run, so their figures
// are taken on the same machine under the same load.
package benchmarks

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/cloudwego/eino/compose"
	lgg "github.com/smallnest/langgraphgo/graph"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// State is the workload's state. For jedisos, Counter sums parallel writes.
type State struct {
	Counter  int `reduce:"sum"`
	Messages []string
}

func fresh() State { return State{Messages: []string{"hello"}} }

func noop(_ context.Context, s State) (State, error) { return s, nil }

func incr(_ context.Context, s State) (State, error) {
	s.Counter++
	return s, nil
}

func check(b *testing.B, got State, err error, want int) {
	if err != nil || got.Counter != want || len(got.Messages) != 1 || got.Messages[0] != "hello" {
		b.Fatalf("got %+v, %v; want Counter %d", got, err, want)
	}
}

func nodeName(p string, i int) string { return p + strconv.Itoa(i) }

// ---- jedisos ----

func jedisosLinear10(b *testing.B, opts ...graph.CompileOption) *graph.Compiled[State] {
	g := graph.New[State]()
	prev := graph.START
	for i := range 10 {
		g.AddNode(nodeName("n", i), noop).AddEdge(prev, nodeName("n", i))
		prev = nodeName("n", i)
	}
	g.AddEdge(prev, graph.END)
	c, err := g.Compile(opts...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func jedisosLoop100(b *testing.B) *graph.Compiled[State] {
	g := graph.New[State]()
	g.AddNode("A", incr).AddEdge(graph.START, "A")
	g.AddConditionalEdge("A", func(s State) string {
		if s.Counter < 100 {
			return "A"
		}
		return graph.END
	}, "A", graph.END)
	c, err := g.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// jedisosFanOut8 fans out from START, like plainFanOut8 starts its
// goroutines at once: no extra no-op step.
func jedisosFanOut8(b *testing.B) *graph.Compiled[State] {
	g := graph.New[State]()
	for i := range 8 {
		g.AddNode(nodeName("b", i), incr).AddEdge(graph.START, nodeName("b", i)).AddEdge(nodeName("b", i), graph.END)
	}
	c, err := g.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// ---- smallnest/langgraphgo ----

func lggLinear10(b *testing.B) *lgg.StateRunnable[State] {
	g := lgg.NewStateGraph[State]()
	lggAddLinear10(g, func(name string, fn func(context.Context, State) (State, error)) { g.AddNode(name, "", fn) })
	r, err := g.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func lggLoop100(b *testing.B) *lgg.StateRunnable[State] {
	g := lgg.NewStateGraph[State]()
	g.AddNode("A", "", incr)
	g.SetEntryPoint("A")
	g.AddConditionalEdge("A", func(_ context.Context, s State) string {
		if s.Counter < 100 {
			return "A"
		}
		return lgg.END
	})
	r, err := g.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// lggAddLinear10 adds Linear10's ten nodes (through addNode, which for a
// listenable graph is its own AddNode) and edges to g.
func lggAddLinear10(g *lgg.StateGraph[State], addNode func(name string, fn func(context.Context, State) (State, error))) {
	for i := range 10 {
		addNode(nodeName("n", i), noop)
		if i > 0 {
			g.AddEdge(nodeName("n", i-1), nodeName("n", i))
		}
	}
	g.SetEntryPoint("n0")
	g.AddEdge("n9", lgg.END)
}

// lggFanOut8 needs a no-op entry node: a langgraphgo graph has one entry
// point.
func lggFanOut8(b *testing.B) *lgg.StateRunnable[State] {
	g := lgg.NewStateGraph[State]()
	g.AddNode("fan", "", noop)
	g.SetEntryPoint("fan")
	for i := range 8 {
		g.AddNode(nodeName("b", i), "", incr)
		g.AddEdge("fan", nodeName("b", i))
		g.AddEdge(nodeName("b", i), lgg.END)
	}
	g.SetStateMerger(func(_ context.Context, cur State, results []State) (State, error) {
		base := cur.Counter
		for _, r := range results {
			cur.Counter += r.Counter - base
		}
		return cur, nil
	})
	r, err := g.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// ---- cloudwego/eino ----

var registerMerge sync.Once

func einoLinear10(b *testing.B) compose.Runnable[State, State] {
	g := compose.NewGraph[State, State]()
	prev := compose.START
	for i := range 10 {
		if err := g.AddLambdaNode(nodeName("n", i), compose.InvokableLambda(noop)); err != nil {
			b.Fatal(err)
		}
		if err := g.AddEdge(prev, nodeName("n", i)); err != nil {
			b.Fatal(err)
		}
		prev = nodeName("n", i)
	}
	if err := g.AddEdge(prev, compose.END); err != nil {
		b.Fatal(err)
	}
	r, err := g.Compile(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func einoLoop100(b *testing.B) compose.Runnable[State, State] {
	g := compose.NewGraph[State, State]()
	if err := g.AddLambdaNode("A", compose.InvokableLambda(incr)); err != nil {
		b.Fatal(err)
	}
	if err := g.AddEdge(compose.START, "A"); err != nil {
		b.Fatal(err)
	}
	err := g.AddBranch("A", compose.NewGraphBranch(func(_ context.Context, s State) (string, error) {
		if s.Counter < 100 {
			return "A", nil
		}
		return compose.END, nil
	}, map[string]bool{"A": true, compose.END: true}))
	if err != nil {
		b.Fatal(err)
	}
	r, err := g.Compile(context.Background(), compose.WithMaxRunSteps(1000))
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func einoFanOut8(b *testing.B) compose.Runnable[State, State] {
	registerMerge.Do(func() {
		compose.RegisterValuesMergeFunc(func(vs []State) (State, error) {
			out := State{Messages: vs[0].Messages}
			for _, v := range vs {
				out.Counter += v.Counter
			}
			return out, nil
		})
	})
	// Fans out from START, as plainFanOut8 does.
	g := compose.NewGraph[State, State]()
	for i := range 8 {
		if err := g.AddLambdaNode(nodeName("b", i), compose.InvokableLambda(incr)); err != nil {
			b.Fatal(err)
		}
		if err := g.AddEdge(compose.START, nodeName("b", i)); err != nil {
			b.Fatal(err)
		}
		if err := g.AddEdge(nodeName("b", i), compose.END); err != nil {
			b.Fatal(err)
		}
	}
	r, err := g.Compile(context.Background(), compose.WithNodeTriggerMode(compose.AllPredecessor))
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// ---- plain Go ----

func plainLinear10(s State) State {
	for range 10 {
		s, _ = noop(context.Background(), s)
	}
	return s
}

func plainLoop100(s State) State {
	for s.Counter < 100 {
		s, _ = incr(context.Background(), s)
	}
	return s
}

func plainFanOut8(s State) State {
	var wg sync.WaitGroup
	outs := make([]State, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], _ = incr(context.Background(), s)
		}()
	}
	wg.Wait()
	base := s.Counter
	for _, o := range outs {
		s.Counter += o.Counter - base
	}
	return s
}

func BenchmarkLinear10(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			check(b, plainLinear10(fresh()), nil, 0)
		}
	})
	b.Run("impl=jedisos", func(b *testing.B) {
		c := jedisosLinear10(b)
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.Invoke(ctx, fresh())
			check(b, out, err, 0)
		}
	})
	b.Run("impl=langgraphgo", func(b *testing.B) {
		r := lggLinear10(b)
		b.ReportAllocs()
		for b.Loop() {
			out, err := r.Invoke(ctx, fresh())
			check(b, out, err, 0)
		}
	})
	b.Run("impl=eino", func(b *testing.B) {
		r := einoLinear10(b)
		b.ReportAllocs()
		for b.Loop() {
			out, err := r.Invoke(ctx, fresh())
			check(b, out, err, 0)
		}
	})
}

func BenchmarkLoop100(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			check(b, plainLoop100(fresh()), nil, 100)
		}
	})
	b.Run("impl=jedisos", func(b *testing.B) {
		c := jedisosLoop100(b)
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.Invoke(ctx, fresh())
			check(b, out, err, 100)
		}
	})
	b.Run("impl=langgraphgo", func(b *testing.B) {
		r := lggLoop100(b)
		b.ReportAllocs()
		for b.Loop() {
			out, err := r.Invoke(ctx, fresh())
			check(b, out, err, 100)
		}
	})
	b.Run("impl=eino", func(b *testing.B) {
		r := einoLoop100(b)
		b.ReportAllocs()
		for b.Loop() {
			out, err := r.Invoke(ctx, fresh())
			check(b, out, err, 100)
		}
	})
}

func BenchmarkFanOut8(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			check(b, plainFanOut8(fresh()), nil, 8)
		}
	})
	b.Run("impl=jedisos", func(b *testing.B) {
		c := jedisosFanOut8(b)
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.Invoke(ctx, fresh())
			check(b, out, err, 8)
		}
	})
	b.Run("impl=langgraphgo", func(b *testing.B) {
		r := lggFanOut8(b)
		b.ReportAllocs()
		for b.Loop() {
			out, err := r.Invoke(ctx, fresh())
			check(b, out, err, 8)
		}
	})
	b.Run("impl=eino", func(b *testing.B) {
		r := einoFanOut8(b)
		b.ReportAllocs()
		for b.Loop() {
			out, err := r.Invoke(ctx, fresh())
			check(b, out, err, 8)
		}
	})
}

// BenchmarkCheckpointed10 is Linear10 saving a checkpoint at every step in
// an in-memory store, one new thread per run: jedisos with state.Memory
// under its default sync durability (the thread deleted after each run so
// the store does not grow with b.N), langgraphgo with its checkpointable
// graph on its default configuration (memory store, save after each node,
// the last 10 checkpoints kept, a new store per run).
func BenchmarkCheckpointed10(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=jedisos", func(b *testing.B) {
		store := state.NewMemory()
		c := jedisosLinear10(b, graph.WithCheckpointer(store))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			th := nodeName("t", i)
			out, err := c.Invoke(ctx, fresh(), graph.Thread(th))
			check(b, out, err, 0)
			if err := store.DeleteThread(ctx, th); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=langgraphgo", func(b *testing.B) {
		g := lgg.NewCheckpointableStateGraph[State]()
		lggAddLinear10(g.StateGraph, func(name string, fn func(context.Context, State) (State, error)) { g.AddNode(name, "", fn) })
		lr, err := g.CompileListenable()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			// A fresh store per run, as jedisos deletes its thread: the
			// store does not grow with b.N.
			r := lgg.NewCheckpointableRunnable(lr, lgg.CheckpointConfig{Store: lgg.NewMemoryCheckpointStore(), AutoSave: true, MaxCheckpoints: 10})
			out, err := r.InvokeWithConfig(ctx, fresh(), &lgg.Config{Configurable: map[string]any{"thread_id": nodeName("t", i)}})
			check(b, out, err, 0)
		}
	})
}
