package graph_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

type benchState struct {
	Counter  int `reduce:"sum"`
	Messages []string
}

func noop(_ context.Context, s benchState) (benchState, error) { return s, nil }

func incr(_ context.Context, s benchState) (benchState, error) {
	s.Counter++
	return s, nil
}

func linear10(b testing.TB) *graph.Compiled[benchState] { return linear10Opts(b) }

func linear10Opts(b testing.TB, opts ...graph.CompileOption) *graph.Compiled[benchState] {
	g := graph.New[benchState]()
	prev := graph.START
	for i := range 10 {
		name := "n" + strconv.Itoa(i)
		g.AddNode(name, noop)
		g.AddEdge(prev, name)
		prev = name
	}
	g.AddEdge(prev, graph.END)
	c, err := g.Compile(opts...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func loop100(b testing.TB) *graph.Compiled[benchState] { return loop100Opts(b) }

func loop100Opts(b testing.TB, opts ...graph.CompileOption) *graph.Compiled[benchState] {
	g := graph.New[benchState]()
	g.AddNode("A", incr)
	g.AddEdge(graph.START, "A")
	g.AddConditionalEdge("A", func(s benchState) string {
		if s.Counter < 100 {
			return "A"
		}
		return graph.END
	}, "A", graph.END)
	c, err := g.Compile(opts...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func fanOut8(b testing.TB) *graph.Compiled[benchState] {
	g := graph.New[benchState]()
	for i := range 8 {
		name := "b" + strconv.Itoa(i)
		g.AddNode(name, incr)
		g.AddEdge(graph.START, name)
		g.AddEdge(name, graph.END)
	}
	c, err := g.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkLinear10(b *testing.B) {
	c := linear10(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.Invoke(ctx, benchState{Messages: []string{"hello"}})
		if err != nil || out.Counter != 0 || len(out.Messages) != 1 {
			b.Fatalf("got %+v, %v", out, err)
		}
	}
}

func BenchmarkLoop100(b *testing.B) {
	c := loop100(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.Invoke(ctx, benchState{Messages: []string{"hello"}})
		if err != nil || out.Counter != 100 {
			b.Fatalf("got %+v, %v", out, err)
		}
	}
}

func BenchmarkFanOut8(b *testing.B) {
	c := fanOut8(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.Invoke(ctx, benchState{Messages: []string{"hello"}})
		if err != nil || out.Counter != 8 {
			b.Fatalf("got %+v, %v", out, err)
		}
	}
}

// BenchmarkFanOut8Plain is the same work with plain goroutines and a
// WaitGroup: the baseline FanOut8 is compared with.
func BenchmarkFanOut8Plain(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s := benchState{Messages: []string{"hello"}}
		var wg sync.WaitGroup
		outs := make([]benchState, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], _ = incr(ctx, s)
			}()
		}
		wg.Wait()
		for i := range outs {
			s.Counter += outs[i].Counter
		}
		if s.Counter != 8 {
			b.Fatalf("got %d", s.Counter)
		}
	}
}

// BenchmarkCheckpointed10 is Linear10 compiled with the in-memory
// checkpointer under the default (sync) durability: each of the ten steps
// saves its task's writes and a checkpoint.
func BenchmarkCheckpointed10(b *testing.B) {
	store := state.NewMemory()
	benchCheckpointed(b, store, linear10Opts(b, graph.WithCheckpointer(store)), 10, 0)
}

// BenchmarkCheckpointedLoop100 is Loop100 with the in-memory checkpointer:
// 100 saved steps per run, so the run's own start and end weigh less in
// ns/step than in Checkpointed10.
func BenchmarkCheckpointedLoop100(b *testing.B) {
	store := state.NewMemory()
	benchCheckpointed(b, store, loop100Opts(b, graph.WithCheckpointer(store)), 100, 100)
}

// benchCheckpointed runs c, a graph of steps saved steps that leaves
// Counter at counter, on a new thread each time, as a new conversation
// would be; the thread is deleted after the run so the store does not grow
// with b.N. It reports the time per step.
func benchCheckpointed(b *testing.B, store *state.Memory, c *graph.Compiled[benchState], steps, counter int) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		th := "t" + strconv.Itoa(i)
		out, err := c.Invoke(ctx, benchState{Messages: []string{"hello"}}, graph.Thread(th))
		if err != nil || out.Counter != counter || len(out.Messages) != 1 {
			b.Fatalf("got %+v, %v", out, err)
		}
		if err := store.DeleteThread(ctx, th); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(steps), "ns/step")
}

// discard is a checkpointer that keeps nothing: every thread is new, and
// every save succeeds at once. It measures the graph's own part of a saved
// step (ids, the writes' encoding, the checkpoint's bookkeeping) apart
// from any store's.
type discard struct{}

func (discard) Put(context.Context, state.Checkpoint) error { return nil }
func (discard) PutStep(context.Context, string, []state.TaskWrites, state.Checkpoint) error {
	return nil
}
func (discard) PutWrites(context.Context, string, string, state.TaskWrites) error { return nil }
func (discard) Get(context.Context, string, string) (state.Checkpoint, error) {
	return state.Checkpoint{}, state.ErrNotFound
}
func (discard) Writes(context.Context, string, string) ([]state.TaskWrites, error) { return nil, nil }
func (discard) List(context.Context, string, state.ListOptions) ([]state.Checkpoint, error) {
	return nil, nil
}
func (discard) DeleteThread(context.Context, string) error { return nil }

// BenchmarkCheckpointedLoop100Discard is CheckpointedLoop100 on a
// checkpointer that keeps nothing: what a saved step costs the graph
// itself, the floor under CheckpointedLoop100 for any store.
func BenchmarkCheckpointedLoop100Discard(b *testing.B) {
	c := loop100Opts(b, graph.WithCheckpointer(discard{}))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.Invoke(ctx, benchState{Messages: []string{"hello"}}, graph.Thread("t"))
		if err != nil || out.Counter != 100 || len(out.Messages) != 1 {
			b.Fatalf("got %+v, %v", out, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/step")
}
