package graph_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// countingStore counts the calls a run makes to its store.
type countingStore struct {
	*state.Memory
	mu                  sync.Mutex
	puts, writes, steps int
	stepWrites          int
}

func (s *countingStore) Put(ctx context.Context, cp state.Checkpoint) error {
	s.mu.Lock()
	s.puts++
	s.mu.Unlock()
	return s.Memory.Put(ctx, cp)
}

func (s *countingStore) PutWrites(ctx context.Context, thread, id string, w state.TaskWrites) error {
	s.mu.Lock()
	s.writes++
	s.mu.Unlock()
	return s.Memory.PutWrites(ctx, thread, id, w)
}

func (s *countingStore) PutStep(ctx context.Context, parent string, ws []state.TaskWrites, cp state.Checkpoint) error {
	s.mu.Lock()
	s.steps++
	s.stepWrites += len(ws)
	s.mu.Unlock()
	return s.Memory.PutStep(ctx, parent, ws, cp)
}

// SaveBatch saves each op through the methods above, so they count the
// background saves of DurabilityAsync too.
func (s *countingStore) SaveBatch(ctx context.Context, ops []state.BatchOp) (int, error) {
	return applyOps(ctx, s, ops)
}

// applyOps saves ops one by one through cp's own methods: the SaveBatch of
// a wrapper whose Put, PutWrites or PutStep change what the store it
// embeds does.
func applyOps(ctx context.Context, cp state.Checkpointer, ops []state.BatchOp) (int, error) {
	for i := range ops {
		if err := ops[i].Apply(ctx, cp); err != nil {
			return i, err
		}
	}
	return len(ops), nil
}

func logAppend(name string, runs *atomic.Int32) graph.NodeFunc[U] {
	return func(_ context.Context, s U) (U, error) {
		runs.Add(1)
		s.Log = append(s.Log, name)
		return s, nil
	}
}

// Under sync durability a store that is a state.StepSaver gets one call per
// step: the closing task's writes go with the step's checkpoint. A store
// that is not one gets PutWrites then Put, as before.
func TestStepSaverOneSavePerStep(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int32
	build := func(store state.Checkpointer) *graph.Compiled[U] {
		g := graph.New[U]()
		g.AddNode("a", logAppend("a", &runs)).AddNode("b", logAppend("b", &runs)).AddNode("c", logAppend("c", &runs))
		g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", graph.END)
		return mustCompile(t, g, graph.WithCheckpointer(store))
	}
	s := &countingStore{Memory: state.NewMemory()}
	out, err := build(s).Invoke(ctx, U{}, graph.Thread("t"))
	if err != nil || len(out.Log) != 3 {
		t.Fatalf("got %+v, %v", out, err)
	}
	if s.puts != 1 || s.steps != 3 || s.stepWrites != 3 || s.writes != 0 {
		t.Fatalf("input Put %d, PutStep %d with %d writes, PutWrites %d; want 1, 3, 3, 0", s.puts, s.steps, s.stepWrites, s.writes)
	}
	// What PutStep saved reads back as the thread's history: each step's
	// writes against its parent checkpoint.
	h, err := s.List(ctx, "t", state.ListOptions{})
	if err != nil || len(h) != 4 {
		t.Fatalf("history %d, %v", len(h), err)
	}
	for i, cp := range h[1:] {
		ws, _ := s.Writes(ctx, "t", cp.ID)
		if len(ws) != 1 || ws[0].Node != []string{"c", "b", "a"}[i] {
			t.Fatalf("writes of checkpoint %d: %+v", cp.Step, ws)
		}
		// saved with the next checkpoint, the writes carry its time
		if ws[0].CreatedAt.IsZero() || !ws[0].CreatedAt.Equal(h[i].CreatedAt) {
			t.Fatalf("writes of checkpoint %d created %v, the checkpoint saved with them %v", cp.Step, ws[0].CreatedAt, h[i].CreatedAt)
		}
	}
	// The same graph on a store that only has the Checkpointer methods.
	plain := &struct{ state.Checkpointer }{state.NewMemory()}
	out2, err := build(plain).Invoke(ctx, U{}, graph.Thread("t"))
	if err != nil || len(out2.Log) != 3 {
		t.Fatalf("plain store: %+v, %v", out2, err)
	}
}

// A step whose closing task's writes were held ends without its
// checkpoint in every other way too: the writes are saved then, and the
// resumed run does not run the task again.
func TestHeldWritesSavedWhenStepEndsEarly(t *testing.T) {
	ctx := context.Background()
	type setup struct {
		name string
		// run makes the first, failing run.
		run func(t *testing.T, c *graph.Compiled[U], fail *atomic.Bool)
	}
	for _, tc := range []setup{
		{"router panics", func(t *testing.T, c *graph.Compiled[U], fail *atomic.Bool) {
			fail.Store(true)
			defer func() {
				if p := recover(); p == nil {
					t.Fatal("the router's panic did not reach the caller")
				}
			}()
			_, err := c.Invoke(ctx, U{}, graph.Thread("t"))
			t.Fatalf("no panic, err %v", err)
		}},
		{"stream stopped after the node", func(t *testing.T, c *graph.Compiled[U], _ *atomic.Bool) {
			for ev, err := range c.Stream(ctx, U{}, graph.Thread("t"), graph.Only(graph.EventNodeEnd)) {
				if err != nil {
					t.Fatal(err)
				}
				if ev.Node == "a" {
					break
				}
			}
		}},
		{"run cancelled in the router", func(t *testing.T, c *graph.Compiled[U], fail *atomic.Bool) {
			cctx, cancel := context.WithCancelCause(ctx)
			defer cancel(nil)
			cancelInRouter = func() { cancel(errors.New("shutting down")) }
			defer func() { cancelInRouter = nil }()
			_, err := c.Invoke(cctx, U{}, graph.Thread("t"))
			if err == nil {
				t.Fatal("cancelled run succeeded")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var aRuns, bRuns atomic.Int32
			var fail atomic.Bool
			g := graph.New[U]()
			g.AddNode("a", logAppend("a", &aRuns)).AddNode("b", func(ctx context.Context, s U) (U, error) {
				bRuns.Add(1)
				s.Log = append(s.Log, "b")
				return s, ctx.Err()
			})
			g.AddEdge(graph.START, "a")
			g.AddConditionalEdge("a", func(s U) string {
				if fail.Swap(false) {
					panic("router bug")
				}
				if f := cancelInRouter; f != nil {
					f()
				}
				return "b"
			}, "b")
			g.AddEdge("b", graph.END)
			store := state.NewMemory()
			c := mustCompile(t, g, graph.WithCheckpointer(store))
			tc.run(t, c, &fail)
			if aRuns.Load() != 1 {
				t.Fatalf("a ran %d times in the first run", aRuns.Load())
			}
			h, err := store.List(ctx, "t", state.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			saved := 0
			for _, cp := range h {
				ws, _ := store.Writes(ctx, "t", cp.ID)
				for _, w := range ws {
					if w.Node == "a" && string(w.Writes) == `{"set":{"Log":["a"]}}` {
						saved++
					}
				}
			}
			if saved != 1 {
				t.Fatalf("a's writes saved %d times, want once", saved)
			}
			out, err := c.Invoke(ctx, U{}, graph.Thread("t"))
			if err != nil {
				t.Fatal(err)
			}
			if aRuns.Load() != 1 || len(out.Log) != 2 || out.Log[0] != "a" || out.Log[1] != "b" {
				t.Fatalf("after resume: a ran %d times, log %v", aRuns.Load(), out.Log)
			}
		})
	}
}

var cancelInRouter func()

// In a parallel step, a task that ends after its sibling interrupted
// closes the step: its writes are held, then saved when the interrupt ends
// the step, and it does not run again on resume.
func TestHeldWritesSavedOnSiblingInterrupt(t *testing.T) {
	ctx := context.Background()
	var aRuns atomic.Int32
	asked := make(chan struct{})
	g := graph.New[U]()
	g.AddNode("a", func(ctx context.Context, s U) (U, error) {
		if aRuns.Add(1) == 1 {
			<-asked // end after q's interrupt
		}
		s.Log = append(s.Log, "a")
		return s, nil
	})
	g.AddNode("q", func(ctx context.Context, s U) (U, error) {
		ans, err := graph.Interrupt[string](ctx, "ok?")
		if err != nil {
			close(asked)
			return s, err
		}
		s.Log = append(s.Log, "q:"+ans)
		return s, nil
	})
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "q").AddEdge("a", graph.END).AddEdge("q", graph.END)
	store := &countingStore{Memory: state.NewMemory()}
	c := mustCompile(t, g, graph.WithCheckpointer(store))
	_, err := c.Invoke(ctx, U{}, graph.Thread("t"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err %v", err)
	}
	ws, _ := store.Writes(ctx, "t", ie.CheckpointID)
	if len(ws) != 2 || ws[0].Node != "a" || ws[1].Node != "q" || len(ws[1].Interrupts) != 1 {
		t.Fatalf("saved writes %+v", ws)
	}
	out, err := c.Invoke(ctx, U{}, graph.Thread("t"), graph.Resume("yes"))
	if err != nil {
		t.Fatal(err)
	}
	if aRuns.Load() != 1 || len(out.Log) != 2 || out.Log[0] != "a" || out.Log[1] != "q:yes" {
		t.Fatalf("a ran %d times, log %v", aRuns.Load(), out.Log)
	}
}

// stepFailStore fails its first PutStep as a store that lost its
// connection would.
type stepFailStore struct {
	*state.Memory
	failed atomic.Bool
}

func (s *stepFailStore) PutStep(ctx context.Context, parent string, ws []state.TaskWrites, cp state.Checkpoint) error {
	if !s.failed.Swap(true) {
		return errors.New("connection reset")
	}
	return s.Memory.PutStep(ctx, parent, ws, cp)
}

// A PutStep that fails leaves the closing task's writes held: they are
// saved against the step's own checkpoint when the run ends, so the
// resumed run does not run the task again.
func TestHeldWritesSavedWhenPutStepFails(t *testing.T) {
	ctx := context.Background()
	var aRuns atomic.Int32
	g := graph.New[U]()
	g.AddNode("a", logAppend("a", &aRuns)).AddNode("b", logAppend("b", new(atomic.Int32)))
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	store := &stepFailStore{Memory: state.NewMemory()}
	c := mustCompile(t, g, graph.WithCheckpointer(store))
	if _, err := c.Invoke(ctx, U{}, graph.Thread("t")); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("first run: %v, want the store's error", err)
	}
	h, err := store.List(ctx, "t", state.ListOptions{})
	if err != nil || len(h) != 1 {
		t.Fatalf("history after the failed save: %d checkpoints, %v", len(h), err)
	}
	// a's writes, and the failed run's mark, on the checkpoint the step
	// ran from (the one that exists)
	ws, _ := store.Writes(ctx, "t", h[0].ID)
	if len(ws) != 2 || !ws[0].Running || ws[1].Node != "a" || string(ws[1].Writes) != `{"set":{"Log":["a"]}}` {
		t.Fatalf("writes of the step's checkpoint: %+v", ws)
	}
	out, err := c.Invoke(ctx, U{}, graph.Thread("t"))
	if err != nil {
		t.Fatal(err)
	}
	if aRuns.Load() != 1 || len(out.Log) != 2 || out.Log[0] != "a" || out.Log[1] != "b" {
		t.Fatalf("after resume: a ran %d times, log %v", aRuns.Load(), out.Log)
	}
}
